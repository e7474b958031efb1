package testproc

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// Cluster is a name server and one broker, each a real process on
// loopback, sharing one HOME.
type Cluster struct {
	BinDir     string // holds mqnamesrv and mqbroker
	Home       string // HOME of both; the broker's store is Home/store
	NsAddr     string
	BrokerName string
	BrokerPort int      // listenPort; the fast port is 2 below, HA 1 above
	Settings   []string // the broker's key=value settings after the standard ones
	Namesrv    *Proc
	Broker     *Proc
}

// StartCluster starts mqnamesrv (bindAddress=127.0.0.1) and mqbroker
// (brokerIP1=127.0.0.1, its store under home) from binDir, each waited for
// until it prints its boot line. settings are extra broker key=value
// arguments.
func StartCluster(binDir, home, brokerName string, settings ...string) (*Cluster, error) {
	brokerPort, err := freeBrokerPort()
	if err != nil {
		return nil, err
	}
	nsPort, err := freePort()
	for err == nil && nsPort >= brokerPort-2 && nsPort <= brokerPort+1 {
		nsPort, err = freePort()
	}
	if err != nil {
		return nil, err
	}
	c := &Cluster{BinDir: binDir, Home: home, NsAddr: "127.0.0.1:" + strconv.Itoa(nsPort),
		BrokerName: brokerName, BrokerPort: brokerPort, Settings: settings}
	c.Namesrv, err = Start(Command(filepath.Join(binDir, "mqnamesrv"), home,
		"listenPort="+strconv.Itoa(nsPort), "bindAddress=127.0.0.1"), "The Name Server boot success")
	if err != nil {
		return nil, err
	}
	if err := c.StartBroker(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// BrokerAddr is the broker's "127.0.0.1:listenPort".
func (c *Cluster) BrokerAddr() string { return "127.0.0.1:" + strconv.Itoa(c.BrokerPort) }

// StoreDir is the broker's storePathRootDir.
func (c *Cluster) StoreDir() string { return filepath.Join(c.Home, "store") }

// StartBroker (re)starts the broker on the same port and store; the
// previous one must have exited.
func (c *Cluster) StartBroker() error {
	args := append([]string{
		"-n", c.NsAddr,
		"brokerIP1=127.0.0.1",
		"brokerName=" + c.BrokerName,
		"listenPort=" + strconv.Itoa(c.BrokerPort),
		"storePathRootDir=" + c.StoreDir(),
	}, c.Settings...)
	p, err := Start(Command(filepath.Join(c.BinDir, "mqbroker"), c.Home, args...), "boot success")
	if err != nil {
		return err
	}
	c.Broker = p
	return nil
}

// Stop sends SIGTERM to the broker, then the name server, and waits (for
// teardown: nothing is checked).
func (c *Cluster) Stop() {
	for _, p := range []*Proc{c.Broker, c.Namesrv} {
		if p != nil {
			p.Terminate()
		}
	}
}

// Close kills whatever still runs of the broker and the name server.
func (c *Cluster) Close() {
	for _, p := range []*Proc{c.Broker, c.Namesrv} {
		if p != nil {
			p.Close()
		}
	}
}

// shared is the test binary's one long-lived cluster.
var shared struct {
	mu   sync.Mutex
	c    *Cluster
	err  error
	home string
}

// SharedCluster returns the test binary's one cluster, started on first use
// in a temporary HOME with the broker brokerName and settings; later calls
// return it whatever their arguments. Tests sharing it use their own topics
// and groups. Main stops it and removes its HOME.
func SharedCluster(t testing.TB, brokerName string, settings ...string) *Cluster {
	t.Helper()
	bin := Binaries(t, "mqnamesrv", "mqbroker")
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.c == nil && shared.err == nil {
		shared.home, shared.err = os.MkdirTemp("", "gorocket-testproc-home-")
		if shared.err == nil {
			shared.c, shared.err = StartCluster(bin, shared.home, brokerName, settings...)
		}
		if shared.err != nil {
			shared.err = fmt.Errorf("shared cluster: %w", shared.err)
		}
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.c
}

func stopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.c != nil {
		shared.c.Stop()
		shared.c = nil
	}
	if shared.home != "" {
		_ = os.RemoveAll(shared.home)
		shared.home = ""
	}
}
