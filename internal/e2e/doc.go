// Package e2e holds end-to-end tests of the operator-facing entry points: the
// bin/ scripts (mqnamesrv, mqbroker, mqshutdown) run as the RocketMQ
// tutorials run them, against real binaries built from this module. It has
// no non-test code.
package e2e
