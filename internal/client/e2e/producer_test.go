package e2e

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/broker"
	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
	"github.com/gorocket/gorocket/internal/store"
)

func TestProducerSendSync(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicA", 4, 6)
	p := e.newProducer(client.ProducerConfig{Group: "pg"})

	ctx := context.Background()
	seen := map[int32]bool{}
	for i := 0; i < 8; i++ {
		msg := &message.Message{Topic: "TopicA", Body: []byte(fmt.Sprintf("hello %d", i))}
		msg.SetProperty(message.PropertyTags, "TagA")
		msg.SetProperty(message.PropertyKeys, "k1 k2")
		r, err := p.Send(ctx, msg)
		require.NoError(t, err)
		require.Equal(t, client.SendOK, r.Status)
		require.Equal(t, "broker-a", r.Queue.BrokerName)
		require.Equal(t, msg.UniqKey(), r.MsgID)
		require.Len(t, r.MsgID, 32)
		host, _, err := message.ParseOffsetMsgID(r.OffsetMsgID)
		require.NoError(t, err)
		require.Equal(t, e.broker.BrokerAddr(), host.String())
		seen[r.Queue.QueueID] = true
		got := stored(t, e.broker, "TopicA", r.Queue.QueueID)[r.QueueOffset]
		require.Equal(t, msg.Body, got.Body)
		require.Equal(t, "TagA", got.Tags())
		require.Equal(t, "k1 k2", got.Properties[message.PropertyKeys])
		require.Equal(t, r.MsgID, got.UniqKey())
		require.Equal(t, r.OffsetMsgID, got.MsgID)
	}
	require.Len(t, seen, 4, "round robin over all four queues")
}

// smallMessages lowers the broker's maxMessageSize, so that a body the
// client accepts is refused by the broker with MESSAGE_ILLEGAL.
func smallMessages(_ *broker.Config, s *store.Config) { s.MaxMessageSize = 64 << 10 }

// TestProducerRetriesOnAnotherBroker makes brokers refuse sends the way a
// full disk does: their stores are set not writable, and the broker answers
// SERVICE_NOT_AVAILABLE. The broker does not count refused puts (like
// Java's store, whose failed-put counter skips the status check), so the
// attempts are counted from the producer's round robin: each attempt takes
// the next queue, skipping the broker that just failed.
func TestProducerRetriesOnAnotherBroker(t *testing.T) {
	e := startEnv(t, smallMessages)
	a := e.broker
	b := e.addBroker("broker-b", smallMessages)
	c := e.addBroker("broker-c", smallMessages)
	all := []*broker.Broker{a, b, c}
	for _, br := range all {
		e.createTopicOn(br, "TopicR", 1, 6)
	}
	p := e.newProducer(client.ProducerConfig{Group: "pg"})
	ctx := context.Background()
	mqs, err := p.FetchPublishQueues(ctx, "TopicR")
	require.NoError(t, err)
	require.Equal(t, []string{"broker-a", "broker-b", "broker-c"}, brokerNames(mqs))
	send := func(p *client.Producer) (*client.SendResult, error) {
		return p.Send(ctx, &message.Message{Topic: "TopicR", Body: []byte("x")})
	}
	// One round: the next send's first attempt goes to broker-a again.
	for _, want := range []string{"broker-a", "broker-b", "broker-c"} {
		r, err := send(p)
		require.NoError(t, err)
		require.Equal(t, want, r.Queue.BrokerName)
	}

	// The first two brokers fail: the send fails on one, then on the other,
	// and succeeds on its third attempt.
	a.Store().SetWritable("disk full (test)")
	b.Store().SetWritable("disk full (test)")
	r, err := send(p)
	require.NoError(t, err)
	require.Equal(t, client.SendOK, r.Status)
	require.Equal(t, "broker-c", r.Queue.BrokerName)
	a.Store().SetWritable("")
	b.Store().SetWritable("")
	r, err = send(p)
	require.NoError(t, err)
	require.Equal(t, "broker-a", r.Queue.BrokerName, "the retried send took three queues: a, b, c")
	require.Equal(t, 5, storedCount(t, a, "TopicR", 0)+storedCount(t, b, "TopicR", 0)+storedCount(t, c, "TopicR", 0))
	require.Equal(t, 2, storedCount(t, c, "TopicR", 0))

	// A non-retryable code is returned at once, typed.
	big := make([]byte, 100<<10) // random: compression does not shrink it under the broker's limit
	_, _ = rand.Read(big)
	_, err = p.Send(ctx, &message.Message{Topic: "TopicR", Body: big})
	code, ok := client.CodeOf(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, protocol.MessageIllegal, code)
	require.Equal(t, 1, joinedErrors(err), "one attempt only")
	var failed int64
	for _, br := range all {
		failed += e.runtimeStat(br, "putMessageFailedTimes")
	}
	require.Equal(t, int64(1), failed, "one attempt only")
	r, err = send(p)
	require.NoError(t, err)
	require.Equal(t, "broker-c", r.Queue.BrokerName, "the refused send took one queue (broker-b)")

	// With retries off, a retryable failure is returned after one attempt.
	q := e.newProducer(client.ProducerConfig{Group: "pg2", RetryTimes: -1})
	for _, br := range all {
		br.Store().SetWritable("disk full (test)")
	}
	_, err = send(q)
	code, _ = client.CodeOf(err)
	require.Equal(t, protocol.ServiceNotAvailable, code)
	require.Equal(t, 1, joinedErrors(err))
	for _, br := range all {
		br.Store().SetWritable("")
	}
	r, err = send(q)
	require.NoError(t, err)
	require.Equal(t, "broker-b", r.Queue.BrokerName, "the failed send took one queue (broker-a)")
}

func brokerNames(mqs []client.MessageQueue) []string {
	var out []string
	for _, mq := range mqs {
		out = append(out, mq.BrokerName)
	}
	return out
}

func TestProducerAutoCreateViaTBW102(t *testing.T) {
	e := startEnv(t)
	cfg := e.cfg()
	cfg.PollNameServerInterval = 20 * time.Millisecond
	p := e.newProducer(client.ProducerConfig{ClientConfig: cfg, Group: "pg"})
	r, err := p.Send(context.Background(), &message.Message{Topic: "NewTopic", Body: []byte("x")})
	require.NoError(t, err)
	require.Equal(t, "NewTopic", r.Queue.Topic)
	mqs, err := p.FetchPublishQueues(context.Background(), "NewTopic")
	require.NoError(t, err)
	require.Len(t, mqs, client.DefaultTopicQueueNums, "TBW102's 8 queues capped at 4")
	require.Len(t, stored(t, e.broker, "NewTopic", r.Queue.QueueID), 1)
	// The broker registered the new topic; a route fetch finds its real route.
	require.Eventually(t, func() bool {
		route, err := e.admin.TopicRoute(context.Background(), "NewTopic")
		return err == nil && len(route.QueueDatas) == 1 && route.QueueDatas[0].WriteQueueNums == 4
	}, waitFor, tick)
	route, err := e.admin.TopicRoute(context.Background(), "NewTopic")
	require.NoError(t, err)
	require.Equal(t, int32(4), route.QueueDatas[0].WriteQueueNums)
	require.Equal(t, int32(6), route.QueueDatas[0].Perm)
	// The producer's own refreshed route says the same.
	require.Eventually(t, func() bool {
		mqs, err := p.FetchPublishQueues(context.Background(), "NewTopic")
		return err == nil && len(mqs) == 4
	}, waitFor, tick)
}

func TestProducerSendAsyncAndOneway(t *testing.T) {
	e := startEnv(t)
	a := e.broker
	b := e.addBroker("broker-b")
	e.createTopicOn(a, "TopicA", 2, 6)
	e.createTopicOn(b, "TopicA", 2, 6)
	p := e.newProducer(client.ProducerConfig{Group: "pg"})
	mqs, err := p.FetchPublishQueues(context.Background(), "TopicA")
	require.NoError(t, err)
	require.Len(t, mqs, 4)
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	results := map[string]*client.SendResult{}
	for i := 0; i < n; i++ {
		wg.Add(1)
		msg := &message.Message{Topic: "TopicA", Body: []byte(fmt.Sprint(i))}
		require.NoError(t, p.SendAsync(context.Background(), msg, func(r *client.SendResult, err error) {
			defer wg.Done()
			if !assertNoError(t, err) {
				return
			}
			mu.Lock()
			results[r.MsgID] = r
			mu.Unlock()
		}))
	}
	wg.Wait()
	require.Len(t, results, n)

	perQueue := map[client.MessageQueue]int{}
	for _, r := range results {
		perQueue[r.Queue]++
	}
	for _, mq := range mqs {
		require.Equal(t, 5, perQueue[mq], "round robin: the next pick is %v", mqs[0])
	}

	// Async retry: the first attempt goes to broker-a, which refuses (store
	// not writable: SERVICE_NOT_AVAILABLE, retryable); the retry skips
	// broker-a's other queue and succeeds on broker-b's first.
	a.Store().SetWritable("disk full (test)")
	done := make(chan error, 1)
	var got *client.SendResult
	require.NoError(t, p.SendAsync(context.Background(), &message.Message{Topic: "TopicA", Body: []byte("r")}, func(r *client.SendResult, err error) {
		got = r
		done <- err
	}))
	require.NoError(t, <-done)
	require.Equal(t, mqs[2], got.Queue)
	require.Equal(t, "broker-b", got.Queue.BrokerName)
	a.Store().SetWritable("")

	require.NoError(t, p.SendOneway(context.Background(), &message.Message{Topic: "TopicA", Body: []byte("oneway")}))
	require.Eventually(t, func() bool {
		total := 0
		for _, br := range []*broker.Broker{a, b} {
			for q := int32(0); q < 2; q++ {
				total += int(br.Store().MaxOffsetInQueue("TopicA", q))
			}
		}
		return total == n+2
	}, waitFor, tick)
}

// assertNoError reports err from a goroutine that may not call FailNow.
func assertNoError(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Errorf("unexpected error: %v", err)
		return false
	}
	return true
}

func TestProducerSendBatch(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicB", 1, 6)
	p := e.newProducer(client.ProducerConfig{Group: "pg"})
	var msgs []*message.Message
	for i := 0; i < 5; i++ {
		m := &message.Message{Topic: "TopicB", Flag: int32(i), Body: []byte(fmt.Sprint("batch-", i))}
		m.SetProperty(message.PropertyTags, "T"+fmt.Sprint(i))
		msgs = append(msgs, m)
	}
	r, err := p.SendBatch(context.Background(), msgs)
	require.NoError(t, err)
	ids := strings.Split(r.MsgID, ",")
	offIDs := strings.Split(r.OffsetMsgID, ",")
	require.Len(t, ids, 5)
	require.Len(t, offIDs, 5)
	got := stored(t, e.broker, "TopicB", 0)
	require.Len(t, got, 5)
	for i, m := range got {
		require.Equal(t, int64(i), m.QueueOffset)
		require.Equal(t, msgs[i].Body, m.Body)
		require.Equal(t, int32(i), m.Flag)
		require.Equal(t, "T"+fmt.Sprint(i), m.Tags())
		require.Equal(t, ids[i], m.UniqKey())
		require.Equal(t, offIDs[i], m.MsgID)
		require.Equal(t, "true", m.Properties[message.PropertyWaitStoreMsgOK], "batch-level properties are kept")
	}

	_, err = p.SendBatch(context.Background(), []*message.Message{{Topic: "A", Body: []byte("x")}, {Topic: "B", Body: []byte("x")}})
	require.ErrorIs(t, err, client.ErrInvalidMessage)
	d := &message.Message{Topic: "TopicB", Body: []byte("x")}
	d.SetProperty(message.PropertyDelayTimeLevel, "3")
	_, err = p.SendBatch(context.Background(), []*message.Message{d})
	require.ErrorIs(t, err, client.ErrInvalidMessage)
}

func TestProducerOrderedSelector(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicO", 4, 6)
	p := e.newProducer(client.ProducerConfig{Group: "pg"})
	for i := 0; i < 12; i++ {
		orderID := i % 3
		r, err := p.SendSelect(context.Background(), &message.Message{Topic: "TopicO", Body: []byte(fmt.Sprint(i))}, client.SelectByHash, orderID)
		require.NoError(t, err)
		require.Equal(t, int32(orderID), r.Queue.QueueID)
	}
	for q := int32(0); q < 3; q++ {
		got := stored(t, e.broker, "TopicO", q)
		require.Len(t, got, 4)
		for k, m := range got {
			require.Equal(t, fmt.Sprint(int(q)+3*k), string(m.Body), "order within a queue")
		}
	}
	r, err := p.SendToQueue(context.Background(), &message.Message{Topic: "TopicO", Body: []byte("q3")}, client.MessageQueue{Topic: "TopicO", BrokerName: "broker-a", QueueID: 3})
	require.NoError(t, err)
	require.Equal(t, int32(3), r.Queue.QueueID)
	_, err = p.SendToQueue(context.Background(), &message.Message{Topic: "TopicO", Body: []byte("bad")}, client.MessageQueue{Topic: "TopicO", BrokerName: "broker-a", QueueID: 9})
	code, _ := client.CodeOf(err)
	require.Equal(t, protocol.SystemError, code)
}

func TestProducerHeartbeatAndUnregister(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicA", 1, 6)
	cfg := e.cfg()
	cfg.HeartbeatInterval = 20 * time.Millisecond
	p, err := client.NewProducer(client.ProducerConfig{ClientConfig: cfg, Group: "pg"}, quietLogger(t))
	require.NoError(t, err)
	require.NoError(t, p.Start())
	_, err = p.Send(context.Background(), &message.Message{Topic: "TopicA", Body: []byte("x")})
	require.NoError(t, err)
	ids := func() []string {
		conns, err := e.admin.ProducerConnections(context.Background(), "pg", "TopicA")
		if err != nil { // "the producer group[pg] not exist"
			code, _ := client.CodeOf(err)
			require.Equal(t, protocol.SystemError, code, "%v", err)
			return nil
		}
		var out []string
		for _, c := range conns {
			out = append(out, c.ClientID)
		}
		return out
	}
	require.Eventually(t, func() bool { return slices.Contains(ids(), p.ClientID()) }, waitFor, tick)
	// Shutdown unregisters before it returns: the broker has dropped the
	// producer at once.
	require.NoError(t, p.Shutdown(context.Background()))
	require.NotContains(t, ids(), p.ClientID())
}

func TestProducerFailsOverFromDeadBroker(t *testing.T) {
	e := startEnv(t)
	a := e.broker
	b := e.addBroker("broker-b")
	e.createTopicOn(a, "TopicD", 2, 6)
	e.createTopicOn(b, "TopicD", 2, 6)
	cfg := e.cfg()
	cfg.PollNameServerInterval = time.Hour // the producer keeps its route with broker-a in it
	p := e.newProducer(client.ProducerConfig{ClientConfig: cfg, Group: "pg"})
	mqs, err := p.FetchPublishQueues(context.Background(), "TopicD")
	require.NoError(t, err)
	require.Len(t, mqs, 4)
	_, err = p.Send(context.Background(), &message.Message{Topic: "TopicD", Body: []byte("warm")})
	require.NoError(t, err)
	onA := storedCount(t, a, "TopicD", 0) + storedCount(t, a, "TopicD", 1)

	// broker-a dies; the producer's cached route still lists it.
	require.NoError(t, a.Shutdown(context.Background()))
	for i := 0; i < 10; i++ {
		r, err := p.Send(context.Background(), &message.Message{Topic: "TopicD", Body: []byte(fmt.Sprint(i))})
		require.NoError(t, err)
		require.Equal(t, "broker-b", r.Queue.BrokerName)
	}
	total := onA + storedCount(t, b, "TopicD", 0) + storedCount(t, b, "TopicD", 1)
	require.Equal(t, 11, total)
}
