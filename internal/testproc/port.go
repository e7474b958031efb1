package testproc

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"
)

// Port returns a loopback TCP port nobody listens on.
func Port(t testing.TB) int {
	t.Helper()
	return must(t, freePort)
}

// BrokerPort returns a loopback port p for a broker's listenPort with p-2
// (its fast port) and p+1 (its HA port) free too.
func BrokerPort(t testing.TB) int {
	t.Helper()
	return must(t, freeBrokerPort)
}

func must(t testing.TB, find func() (int, error)) int {
	t.Helper()
	p, err := find()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func freeBrokerPort() (int, error) {
	for range 50 {
		p, err := freePort()
		if err != nil {
			return 0, err
		}
		if p < 1030 || p > 65000 {
			continue
		}
		if allFree(p, p-2, p+1) {
			return p, nil
		}
	}
	return 0, errors.New("no free broker port triple (p, p-2, p+1) on loopback")
}

// allFree reports whether every port can be listened on at once.
func allFree(ports ...int) bool {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for _, q := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
		if err != nil {
			return false
		}
		ls = append(ls, l)
	}
	return true
}
