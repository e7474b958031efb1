// Package broker is the RocketMQ 4.9.8-compatible broker: its Config, its
// metadata tables and the processors of the client-facing and admin
// commands.
//
// This part owns:
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
// Lock order: each table has one mutex, held only inside its own methods;
// no method calls another table or the network while holding it. Hooks
// (TopicTable.OnChange) and NOTIFY_CONSUMER_IDS_CHANGED sends run after the
// lock is released. SharedConfig's lock is independent of all others.
package broker
