// Package remoting is the RocketMQ remoting layer: the frame codec (both
// header serializations, JSON and ROCKETMQ binary), the gnet Server with its
// processor table and bounded handler pools, and the Client that keeps one
// connection per address.
//
// It owns the bytes of a frame and the life of a connection: cutting frames
// out of the stream, matching responses to requests by opaque, timeouts,
// oneway requests, and connection close events. It knows nothing of what a
// code means; processors in namesrv and broker register for codes, and
// typed headers and bodies live in package protocol.
//
// Threading: a server's gnet event loops only cut, decode and queue frames;
// handlers run on Pools and answer through Conn.Reply (gnet AsyncWrite), so
// they may answer later from any goroutine. A client connection has one
// reader goroutine; its writes are serialized under a lock. Callbacks of
// InvokeAsync and server-sent requests on a client run on goroutines of
// their own; close callbacks run off the event loop.
//
// Lock order (outer first): clientSlot.mu, then Client.mu (a dial checks
// that the client is still open). Server.mu and Pool.mu are never held
// together. Conn.mu is a leaf: it is never held while writing, running a
// callback or taking another lock. netTransport.mu is a leaf held only
// around one socket write.
package remoting
