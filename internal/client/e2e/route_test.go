package e2e

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// droppingServer is a name server address whose process accepts
// connections and drops them at once, counting them: a name server that
// is down but still reachable.
type droppingServer struct {
	addr     string
	accepted atomic.Int32
}

func startDroppingServer(t *testing.T) *droppingServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	d := &droppingServer{addr: l.Addr().String()}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			d.accepted.Add(1)
			_ = c.Close()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		wg.Wait()
	})
	return d
}

func TestRouteNameServerFailover(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicA", 2, 6)
	d1, d2 := startDroppingServer(t), startDroppingServer(t)
	dropped := func() int32 { return d1.accepted.Load() + d2.accepted.Load() }
	ctx := context.Background()
	// The first server tried is picked at random: take a client whose first
	// fetch went to a dropping server (bounded; 2 in 3 do).
	var a *client.Admin
	for i := 0; i < 50 && dropped() == 0; i++ {
		if a != nil {
			require.NoError(t, a.Close())
		}
		var err error
		a, err = client.NewAdmin(client.AdminConfig{ClientConfig: client.ClientConfig{
			NameServers: []string{d1.addr + ";" + d2.addr, e.ns.Addr()}, ClientIP: "127.0.0.1"}}, quietLogger(t))
		require.NoError(t, err)
		r, err := a.TopicRoute(ctx, "TopicA")
		require.NoError(t, err)
		require.Equal(t, e.broker.BrokerAddr(), r.BrokerDatas[0].BrokerAddrs[0])
	}
	defer a.Close()
	tried := dropped()
	require.Positive(t, tried, "a fetch fell over from a dropping server")
	for i := 0; i < 3; i++ {
		r, err := a.TopicRoute(ctx, "TopicA")
		require.NoError(t, err)
		require.Equal(t, e.broker.BrokerAddr(), r.BrokerDatas[0].BrokerAddrs[0])
	}
	require.Equal(t, tried, dropped(), "the answering server is tried first next time")

	_, err := a.TopicRoute(ctx, "Nope")
	code, ok := client.CodeOf(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, protocol.TopicNotExist, code)

	_, err = client.NewAdmin(client.AdminConfig{ClientConfig: client.ClientConfig{NameServers: []string{" ; "}}}, nil)
	require.ErrorIs(t, err, client.ErrNoNameServer)
}

func TestRouteCacheAndPeriodicRefresh(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicA", 2, 6)
	cfg := e.cfg()
	cfg.PollNameServerInterval = 20 * time.Millisecond
	p := e.newProducer(client.ProducerConfig{ClientConfig: cfg})
	pc := e.newPullConsumer(client.PullConsumerConfig{ClientConfig: cfg, Group: "cg"})
	mqs, err := p.FetchPublishQueues(context.Background(), "TopicA")
	require.NoError(t, err)
	require.Len(t, mqs, 2)

	e.createTopicOn(e.broker, "TopicA", 5, 6)
	require.Eventually(t, func() bool {
		mqs, err := p.FetchPublishQueues(context.Background(), "TopicA")
		return err == nil && len(mqs) == 5
	}, waitFor, tick)

	// A read-only topic has no publish queues, but stays subscribable.
	e.createTopicOn(e.broker, "TopicA", 5, protocol.PermRead)
	require.Eventually(t, func() bool {
		_, err := p.FetchPublishQueues(context.Background(), "TopicA")
		return err != nil
	}, waitFor, tick)
	sub, err := pc.FetchQueues(context.Background(), "TopicA")
	require.NoError(t, err)
	require.Len(t, sub, 5)
}
