// Package client is gorocket's RocketMQ 4.x client, speaking the protocol
// of Apache RocketMQ 4.9.8 clients:
//
//   - routing: topic routes from one of several name servers
//     ("a:9876;b:9876", failing over on transport errors), cached and
//     refreshed every 30 s; producers fall back to the TBW102 template
//     route for unknown topics so the broker can auto-create them;
//   - Producer: SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE, synchronous,
//     asynchronous and oneway, UNIQ_KEY message ids, zlib compression from
//     4 KiB, round-robin queues with retry on another broker for the codes
//     17, 14, 1, 16 (and legacy 204, 205), queue selectors for ordered
//     messages, heartbeats and UNREGISTER_CLIENT;
//   - PullConsumer: PULL_MESSAGE with or without long polling, decoded,
//     inflated and re-filtered by tag, plus offset queries and commits;
//   - PushConsumer: heartbeats with subscriptions (and %RETRY%<group> in
//     clustering mode), average allocation at every rebalance (20 s and on
//     NOTIFY_CONSUMER_IDS_CHANGED), one long-polling puller per assigned
//     queue, concurrent handlers, offsets committed every 5 s and on
//     shutdown (brokers for clustering, a JSON file for broadcasting),
//     failed messages returned with CONSUMER_SEND_MSG_BACK or, when that
//     fails, re-sent to the retry topic; optionally orderly, holding the
//     broker lock (LOCK_BATCH_MQ, renewed every 20 s) of each queue it
//     consumes in offset order;
//   - Admin: the name-server and broker calls mqadmin needs.
//
// The package never imports store, ha, broker or namesrv; it talks to them
// only over remoting.
//
// # Goroutines
//
// Each Producer, PullConsumer, PushConsumer and Admin owns a core: one
// remoting.Client (one reader goroutine per broker or name-server
// connection) and the route cache. Started producers and consumers run a
// route-refresh loop and a heartbeat loop; a PushConsumer adds a rebalance
// loop, an offset-persist loop, one puller goroutine per assigned queue,
// ConsumeGoroutines handler goroutines fed by a bounded channel (or, when
// orderly, one consuming goroutine per queue and a lock-renewal loop), and
// short-lived goroutines that re-submit messages whose send-back failed.
// Shutdown cancels them all and waits for them before it returns.
//
// # Lock order
//
// PushConsumer.rebMu (one rebalance at a time) → PushConsumer.mu →
// processQueue.mu; core.mu, offsetTable.mu, localOffsetStore.fileMu,
// Producer.mu and PullConsumer.mu are leaves. No lock is held across a
// network call or a handler call.
package client
