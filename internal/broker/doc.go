// Package broker is the RocketMQ 4.9.8-compatible broker: its Config, its
// metadata tables and the processors of the client-facing and admin
// commands.
//
// It owns:
//   - Broker (broker.go): the process wiring — store, tables, the two
//     remoting servers (listenPort, and listenPort-2 which serves all but
//     PULL_MESSAGE), name server registration (register.go), background
//     loops, graceful shutdown;
//   - the data path: send.go, send_back.go, send_delay.go (delay levels out
//     of SCHEDULE_TOPIC_XXXX), send_transaction.go (half messages,
//     END_TRANSACTION, check-back), send_reply.go (request-reply), pull.go
//     and pull_hold.go (PULL_MESSAGE with long polling), query.go
//     (QUERY_MESSAGE, VIEW_MESSAGE_BY_ID), admin_store.go (offsets, stats,
//     runtime info);
//   - Config: every BrokerConfig, NettyServerConfig and NettyClientConfig key
//     with Java's defaults (the store's keys are store.Config's), strict
//     value parsing, LoadConfig (internal/config binding with KeyAliases)
//     and WarnKeys for misspelled or ignored keys; SharedConfig, the live
//     configuration GET_BROKER_CONFIG shows and UPDATE_BROKER_CONFIG changes;
//   - TopicTable (topics.json), GroupTable (subscriptionGroup.json) and
//     OffsetTable (consumerOffset.json) under <storePathRootDir>/config/,
//     written with RocketMQ's .tmp/.bak protocol in fastjson's format;
//   - Producers and Consumers: the client registries fed by HEART_BEAT,
//     with connection-close cleanup, expiry and NOTIFY_CONSUMER_IDS_CHANGED;
//   - QueueLocks: the orderly-consumer lock table of LOCK_BATCH_MQ;
//   - MetaProcessor: the metadata commands (heartbeats, offsets, locks,
//     topic/group admin, broker config, connection lists, offset reset and
//     consumer status, requests proxied to clients); the few store facts
//     they need come in as MetaDeps callbacks;
//   - SlaveSync: a slave's periodic copy of its master's metadata.
//
// Goroutines: processors run on the remoting servers' bounded pools; a held
// pull occupies no worker and is answered with Conn.Reply by whichever
// goroutine resumes it (a store dispatch notification, its expiry timer, or
// the 5 s check). Background work runs as run(ctx) loops that Start starts
// and Shutdown stops.
//
// Lock order: Broker.regMu (one registration round at a time) is taken
// before no other lock; pullHold.mu and delayService.mu are leaves. Each
// table has one mutex, held only inside its own methods;
// no method calls another table or the network while holding it. Hooks
// (TopicTable.OnChange) and NOTIFY_CONSUMER_IDS_CHANGED sends run after the
// lock is released. SharedConfig's lock is independent of all others.
package broker
