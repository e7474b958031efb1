package client

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// deadAddr returns a loopback address nobody listens on.
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func TestRouteNameServerFailover(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicA", 2, 6)
	c, err := newCore(ClientConfig{NameServers: []string{deadAddr(t) + ";" + deadAddr(t), ns.addr}}, zaptest.NewLogger(t))
	require.NoError(t, err)
	defer c.close()
	for i := 0; i < 3; i++ { // whichever server is tried first
		r, err := c.fetchRoute(context.Background(), "TopicA")
		require.NoError(t, err)
		require.Equal(t, b.addr, r.BrokerDatas[0].BrokerAddrs[0])
	}
	c.mu.Lock()
	require.Equal(t, ns.addr, c.ns[c.mu.nsIndex], "the answering server is tried first next time")
	c.mu.Unlock()

	_, err = c.fetchRoute(context.Background(), "Nope")
	code, ok := CodeOf(err)
	require.True(t, ok)
	require.Equal(t, protocol.TopicNotExist, code)

	_, err = newCore(ClientConfig{NameServers: []string{" ; "}}, nil)
	require.ErrorIs(t, err, ErrNoNameServer)
}

func TestRouteAllNameServersDown(t *testing.T) {
	c, err := newCore(ClientConfig{NameServers: []string{deadAddr(t), deadAddr(t)}, RequestTimeout: time.Second}, zaptest.NewLogger(t))
	require.NoError(t, err)
	defer c.close()
	_, err = c.fetchRoute(context.Background(), "TopicA")
	require.ErrorContains(t, err, "no name server answered")
}

func TestRouteCacheAndPeriodicRefresh(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicA", 2, 6)
	cfg := testClientConfig(ns)
	cfg.PollNameServerInterval = 20 * time.Millisecond
	p := newTestProducer(t, ProducerConfig{ClientConfig: cfg})
	mqs, err := p.FetchPublishQueues(context.Background(), "TopicA")
	require.NoError(t, err)
	require.Len(t, mqs, 2)

	b.createTopic("TopicA", 5, 6)
	require.Eventually(t, func() bool {
		mqs, err := p.FetchPublishQueues(context.Background(), "TopicA")
		return err == nil && len(mqs) == 5
	}, 10*time.Second, 10*time.Millisecond)

	// A read-only topic has no publish queues, but stays subscribable.
	b.createTopic("TopicA", 5, protocol.PermRead)
	require.Eventually(t, func() bool {
		_, err := p.FetchPublishQueues(context.Background(), "TopicA")
		return err != nil
	}, 10*time.Second, 10*time.Millisecond)
	r, err := p.core.route(context.Background(), "TopicA")
	require.NoError(t, err)
	require.Len(t, subscribeQueues("TopicA", r), 5)
}

func TestRouteClientIDAndConfig(t *testing.T) {
	c1, err := newCore(ClientConfig{NameServers: []string{"a:1"}, ClientIP: "10.0.0.1"}, nil)
	require.NoError(t, err)
	c2, err := newCore(ClientConfig{NameServers: []string{"a:1"}, ClientIP: "10.0.0.1"}, nil)
	require.NoError(t, err)
	require.NotEqual(t, c1.clientID, c2.clientID, "two clients in one process get distinct ids")
	require.Regexp(t, `^10\.0\.0\.1@\d+#\d+$`, c1.clientID)
	c3, err := newCore(ClientConfig{NameServers: []string{"a:1"}, ClientIP: "10.0.0.1", InstanceName: "inst"}, nil)
	require.NoError(t, err)
	require.Equal(t, "10.0.0.1@inst", c3.clientID)
	require.Equal(t, []string{"a:1", "b:2", "c:3"}, splitNameServers([]string{"a:1; b:2", "", "c:3;"}))
}
