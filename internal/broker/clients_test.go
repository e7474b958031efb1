package broker

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// fakeClock is a settable clock for the registries' expiry.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestClientsExpiry(t *testing.T) {
	e := newMetaEnv(t, nil)
	clock := &fakeClock{now: time.Unix(1700000000, 0)}
	e.d.Clients.now = clock.Now
	a, b := e.client(), e.client()
	requireCode(t, a.invoke(t, heartbeatReq(goHeartbeat("x@a", "cg", 1, "T"))), protocol.Success, "")
	clock.Add(100 * time.Second)
	requireCode(t, b.invoke(t, heartbeatReq(goHeartbeat("x@b", "cg", 1, "T"))), protocol.Success, "")
	require.Eventually(t, func() bool { return len(b.notifications()) == 1 }, 5*time.Second, 5*time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	aConn, err := a.cli.Conn(ctx, a.addr)
	require.NoError(t, err)

	// 121 s after A's heartbeat, 21 s after B's: only A expires.
	clock.Add(21 * time.Second)
	require.Equal(t, 1, e.d.Clients.scanExpired())
	require.Equal(t, []string{"x@b"}, e.d.Clients.ConsumerIDs("cg"))
	require.Equal(t, 1, len(e.d.Clients.ProducerChannels("pg")))
	// B is told; A's connection was closed by the broker.
	require.Eventually(t, func() bool { return len(b.notifications()) == 2 }, 5*time.Second, 5*time.Millisecond)
	require.Eventually(t, aConn.Closed, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, 0, e.d.Clients.scanExpired())

	clock.Add(200 * time.Second)
	require.Equal(t, 1, e.d.Clients.scanExpired())
	require.Nil(t, e.d.Clients.ConsumerGroup("cg"))
	require.Empty(t, e.d.Clients.ProducerGroups())
}

func TestClientsSubscriptionVersions(t *testing.T) {
	e := newMetaEnv(t, nil)
	a := e.client()
	hb := func(ver int64, topics ...string) {
		requireCode(t, a.invoke(t, heartbeatReq(goHeartbeat("x@a", "cg", ver, topics...))), protocol.Success, "")
	}
	hb(10, "T1", "T2")
	require.Equal(t, int64(10), e.d.Clients.ConsumerSubscription("cg", "T1").SubVersion)
	hb(5, "T1", "T2") // older version: kept
	require.Equal(t, int64(10), e.d.Clients.ConsumerSubscription("cg", "T1").SubVersion)
	hb(11, "T1") // newer version replaces, absent topic is dropped
	require.Equal(t, int64(11), e.d.Clients.ConsumerSubscription("cg", "T1").SubVersion)
	require.Nil(t, e.d.Clients.ConsumerSubscription("cg", "T2"))
	require.Equal(t, []string{"cg"}, e.d.Clients.ConsumerGroupsOfTopic("T1"))
	require.Empty(t, e.d.Clients.ConsumerGroupsOfTopic("T2"))

	info := e.d.Clients.ConsumerGroup("cg")
	require.NotNil(t, info)
	require.Equal(t, "CONSUME_PASSIVELY", info.ConsumeType)
	require.Equal(t, "CLUSTERING", info.MessageModel)
	require.Len(t, info.Channels, 1)
	require.Equal(t, "GO", info.Channels[0].Language)
	require.Equal(t, int32(317), info.Channels[0].Version)
	require.NotNil(t, e.d.Clients.ConsumerChannel("cg", "x@a"))
	require.Nil(t, e.d.Clients.ConsumerChannel("cg", "x@b"))
	require.NotNil(t, e.d.Clients.ProducerConn("pg"))
	require.Nil(t, e.d.Clients.ProducerConn("nobody"))
	require.Equal(t, []string{"cg"}, e.d.Clients.ConsumerGroups())
}

func TestClientsQueueLockExpiry(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1700000000, 0)}
	l := NewQueueLocks(0, zaptest.NewLogger(t))
	l.now = clock.Now
	mq := protocol.MessageQueue{BrokerName: "b", QueueID: 0, Topic: "T"}
	require.Equal(t, []protocol.MessageQueue{mq}, l.TryLockBatch("g", []protocol.MessageQueue{mq}, "c1"))
	require.True(t, l.IsLocked("g", mq, "c1"))
	clock.Add(60 * time.Second)
	require.Empty(t, l.TryLockBatch("g", []protocol.MessageQueue{mq}, "c2"), "60 s is not yet expired")
	clock.Add(time.Millisecond)
	require.False(t, l.IsLocked("g", mq, "c1"))
	require.Equal(t, []protocol.MessageQueue{mq}, l.TryLockBatch("g", []protocol.MessageQueue{mq}, "c2"))
	require.True(t, l.IsLocked("g", mq, "c2"))
	// Another group is independent.
	require.Equal(t, []protocol.MessageQueue{mq}, l.TryLockBatch("g2", []protocol.MessageQueue{mq}, "c1"))
	require.Equal(t, []protocol.MessageQueue{mq}, l.TryLockBatch("g", []protocol.MessageQueue{mq, mq}, "c2"), "a set")
	l.UnlockBatch("g", []protocol.MessageQueue{mq}, "c2")
	require.False(t, l.IsLocked("g", mq, "c2"))
}
