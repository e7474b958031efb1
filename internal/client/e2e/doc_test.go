// Package e2e runs the client against the real name server and the real
// broker (internal/namesrv, internal/broker) on loopback, with stores in
// temporary directories. It lives apart from package client so that the
// client's own tests do not depend on the broker building. It drives the
// client through its exported API; where a test plays an admin tool it
// sends the tool's request to the broker over internal/remoting, and where
// it checks what the broker stored it reads the broker's store. Faults are
// real too: a second or third broker, a broker shut down, a store set not
// writable, a read-only brokerPermission, a listener that drops
// connections.
package e2e
