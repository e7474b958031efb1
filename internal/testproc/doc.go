// Package testproc runs the suite's real binaries for tests: it builds the
// commands under cmd/ once per test binary, finds free loopback ports, starts
// a process and waits for its boot line, stops it with a signal and checks
// its exit status, and starts a name server plus one broker as a cluster.
// Everything listens on 127.0.0.1.
//
// It is plain Go, imported only by _test.go files; nothing it holds is part
// of the product. Lock order: builds.mu and shared.mu are leaves, as is each
// Proc's mu.
package testproc
