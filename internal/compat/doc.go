// Package compat holds the compatibility suite: the official Go client
// github.com/apache/rocketmq-client-go/v2 v2.1.2, unchanged, against real
// mqnamesrv and mqbroker processes built from this module once per test
// run and started on free loopback ports with their data in temporary
// directories.
//
// The package has no code outside its tests. Processes it starts are
// stopped (SIGTERM, or SIGKILL for the crash cases) by each test's
// cleanup; nothing is shared between tests but the built binaries.
package compat
