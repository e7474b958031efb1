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
// Lock order: Server.mu (settings) and RouteTable.mu and KVConfig.mu are
// leaves; none is held while taking another, except that Server.mu may be
// held while reading KVConfig-free state only. RouteTable.ExpireBefore
// closes expired connections after releasing RouteTable.mu, because closing
// runs the close callback, which takes it again.
package namesrv
