// Package namesrv is the RocketMQ name server (NamesrvController.java and
// its processors): brokers register their topics here, and clients and
// tools ask it for routes.
//
// It owns the RouteTable (topic → broker name → QueueData; broker name →
// addresses; cluster → broker names; broker address → last registration,
// DataVersion, connection and HA address; filter servers), the KVConfig
// store persisted to kvConfig.json, the name server settings (Config, which
// UPDATE_NAMESRV_CONFIG changes at run time and persists to
// configStorePath), the processors of every name-server request code, and
// the expiry scan that drops brokers not heard from for 120 s (run every
// 10 s). A broker whose registering connection closes is dropped at once.
//
// Threading: processors run on one bounded remoting pool; the expiry scan is
// one goroutine (Server.runExpiry); connection-close callbacks come from the
// remoting server.
//
// Lock order: Server.mu (settings), RouteTable.mu and KVConfig.mu are
// leaves: no code holds one while taking another. RouteTable.ExpireBefore
// closes expired connections only after releasing RouteTable.mu, because a
// close runs the connection-close callback, which takes it again.
package namesrv
