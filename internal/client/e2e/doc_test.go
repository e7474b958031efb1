// Package e2e runs the client against the real name server and the real
// broker (internal/namesrv, internal/broker) on loopback, with stores in
// temporary directories. It lives apart from package client so that the
// client's own tests do not depend on the broker building, and it uses only
// the client's exported API.
package e2e
