package client

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// received collects consumed message bodies.
type received struct {
	mu   sync.Mutex
	msgs []*message.MessageExt
}

func (r *received) add(msgs []*message.MessageExt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msgs...)
}

func (r *received) bodies() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.msgs))
	for _, m := range r.msgs {
		out = append(out, string(m.Body))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (r *received) handler(res ConsumeResult) MessageHandler {
	return func(_ context.Context, msgs []*message.MessageExt) ConsumeResult {
		r.add(msgs)
		return res
	}
}

func fastConsumerConfig(ns *testNameServer, group string) ConsumerConfig {
	return ConsumerConfig{
		ClientConfig:      testClientConfig(ns),
		Group:             group,
		SuspendTime:       2 * time.Second,
		PullTimeout:       5 * time.Second,
		PullErrorDelay:    20 * time.Millisecond,
		PersistInterval:   20 * time.Millisecond,
		RebalanceInterval: 200 * time.Millisecond,
		ConsumeGoroutines: 4,
	}
}

func newTestPushConsumer(t *testing.T, cfg ConsumerConfig, topic, expr string, h MessageHandler) *PushConsumer {
	t.Helper()
	pc, err := NewPushConsumer(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe(topic, expr, h))
	require.NoError(t, pc.Start())
	t.Cleanup(func() { _ = pc.Shutdown(context.Background()) })
	return pc
}

func bodiesN(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(prefix, i)
	}
	slices.Sort(out)
	return out
}

func sendBodies(t *testing.T, p *Producer, topic string, bodies []string, tag string) {
	t.Helper()
	for _, b := range bodies {
		m := &message.Message{Topic: topic, Body: []byte(b)}
		if tag != "" {
			m.SetProperty(message.PropertyTags, tag)
		}
		_, err := p.Send(context.Background(), m)
		require.NoError(t, err)
	}
}

func TestPushConsumerConsumesAndCommits(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicA", 4, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	var got received
	pc := newTestPushConsumer(t, fastConsumerConfig(ns, "cg"), "TopicA", "*", got.handler(ConsumeSuccess))

	want := bodiesN("a", 40)
	sendBodies(t, p, "TopicA", want, "")
	require.Eventually(t, func() bool { return slices.Equal(want, got.bodies()) }, 20*time.Second, 10*time.Millisecond)
	for _, m := range got.msgs {
		require.Equal(t, "TopicA", m.Topic)
		require.NotEmpty(t, m.Property(message.PropertyConsumeStartTimestamp))
	}
	// Every queue's offset reaches its end on the broker.
	require.Eventually(t, func() bool {
		for q := int32(0); q < 4; q++ {
			off, ok := b.committed("cg", "TopicA", q)
			if !ok || off != int64(len(b.stored("TopicA", q))) {
				return false
			}
		}
		return true
	}, 20*time.Second, 10*time.Millisecond)
	require.Len(t, pc.Assigned(), 5, "4 queues plus the retry queue")

	// The heartbeat carries the subscriptions, retry topic included.
	b.mu.Lock()
	var subs []string
	for _, c := range b.mu.groups["cg"] {
		for topic, sd := range c.subs {
			subs = append(subs, topic+"="+sd.SubString)
		}
		require.Equal(t, protocol.Clustering, c.model)
	}
	b.mu.Unlock()
	slices.Sort(subs)
	require.Equal(t, []string{"%RETRY%cg=*", "TopicA=*"}, subs)
}

func TestPushConsumerTagFilter(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicT", 2, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	var got received
	newTestPushConsumer(t, fastConsumerConfig(ns, "cg"), "TopicT", "TagA || TagB", got.handler(ConsumeSuccess))
	sendBodies(t, p, "TopicT", []string{"c0", "c1"}, "TagC")
	sendBodies(t, p, "TopicT", []string{"a0", "a1"}, "TagA")
	sendBodies(t, p, "TopicT", []string{"b0"}, "TagB")
	sendBodies(t, p, "TopicT", []string{"n0"}, "")
	require.Eventually(t, func() bool { return len(got.bodies()) == 3 }, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"a0", "a1", "b0"}, got.bodies())
	// The skipped messages are committed past too.
	require.Eventually(t, func() bool {
		o0, _ := b.committed("cg", "TopicT", 0)
		o1, _ := b.committed("cg", "TopicT", 1)
		return o0+o1 == 6
	}, 20*time.Second, 10*time.Millisecond)
}

func TestRebalanceTwoConsumersShareQueues(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicR", 4, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	var got1, got2 received
	c1 := newTestPushConsumer(t, fastConsumerConfig(ns, "cg"), "TopicR", "*", got1.handler(ConsumeSuccess))
	c2 := newTestPushConsumer(t, fastConsumerConfig(ns, "cg"), "TopicR", "*", got2.handler(ConsumeSuccess))

	topicQueues := func(pc *PushConsumer) []int32 {
		var ids []int32
		for _, mq := range pc.Assigned() {
			if mq.Topic == "TopicR" {
				ids = append(ids, mq.QueueID)
			}
		}
		return ids
	}
	// Sorted ids decide who is first: the first takes queues 0,1.
	first, second := c1, c2
	if c2.ClientID() < c1.ClientID() {
		first, second = c2, c1
	}
	require.Eventually(t, func() bool {
		return slices.Equal(topicQueues(first), []int32{0, 1}) && slices.Equal(topicQueues(second), []int32{2, 3})
	}, 20*time.Second, 10*time.Millisecond)

	want := bodiesN("r", 40)
	sendBodies(t, p, "TopicR", want, "")
	require.Eventually(t, func() bool {
		all := append(got1.bodies(), got2.bodies()...)
		slices.Sort(all)
		return slices.Equal(want, slices.Compact(all))
	}, 20*time.Second, 10*time.Millisecond)
	require.NotEmpty(t, got1.bodies())
	require.NotEmpty(t, got2.bodies())

	// When one leaves, the other takes every queue.
	require.NoError(t, second.Shutdown(context.Background()))
	require.Eventually(t, func() bool { return slices.Equal(topicQueues(first), []int32{0, 1, 2, 3}) }, 20*time.Second, 10*time.Millisecond)
	more := bodiesN("s", 12)
	sendBodies(t, p, "TopicR", more, "")
	require.Eventually(t, func() bool {
		var firstGot *received
		if first == c1 {
			firstGot = &got1
		} else {
			firstGot = &got2
		}
		n := 0
		for _, b := range firstGot.bodies() {
			if b[0] == 's' {
				n++
			}
		}
		return n == len(more)
	}, 20*time.Second, 10*time.Millisecond)
}

func TestPushConsumerRetryThroughSendBack(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicX", 1, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	var mu sync.Mutex
	var attempts []*message.MessageExt
	h := func(_ context.Context, msgs []*message.MessageExt) ConsumeResult {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, msgs...)
		if len(attempts) == 1 {
			return ConsumeRetryLater
		}
		return ConsumeSuccess
	}
	newTestPushConsumer(t, fastConsumerConfig(ns, "cg"), "TopicX", "*", h)
	m := &message.Message{Topic: "TopicX", Body: []byte("again")}
	m.SetProperty(message.PropertyTags, "T")
	r, err := p.Send(context.Background(), m)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(attempts) >= 2
	}, 20*time.Second, 10*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, 1, b.requests(protocol.ConsumerSendMsgBack))
	second := attempts[1]
	require.Equal(t, "TopicX", second.Topic, "the retry topic is replaced by the original")
	require.Equal(t, int32(1), second.ReconsumeTimes)
	require.Equal(t, "again", string(second.Body))
	require.Equal(t, r.MsgID, second.ClientMsgID(), "the client id survives the retry")
	require.Equal(t, r.OffsetMsgID, second.Property(message.PropertyOriginMessageID))
	require.Len(t, b.stored("%RETRY%cg", 0), 1)
}

func TestPushConsumerSendBackFallback(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicF", 1, 6)
	// The broker refuses send-back, so the consumer re-sends the message.
	b.srv.Register(protocol.ConsumerSendMsgBack, func(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
		return remoting.NewResponse(req, protocol.SystemError, "send back refused by the test")
	}, nil)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	var mu sync.Mutex
	var attempts []*message.MessageExt
	h := func(_ context.Context, msgs []*message.MessageExt) ConsumeResult {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, msgs...)
		if len(attempts) == 1 {
			return ConsumeRetryLater
		}
		return ConsumeSuccess
	}
	newTestPushConsumer(t, fastConsumerConfig(ns, "cg"), "TopicF", "*", h)
	r, err := p.Send(context.Background(), &message.Message{Topic: "TopicF", Body: []byte("fallback")})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(attempts) >= 2
	}, 20*time.Second, 10*time.Millisecond)
	retried := b.stored("%RETRY%cg", 0)
	require.Len(t, retried, 1)
	require.Equal(t, int32(1), retried[0].ReconsumeTimes, "RECONSUME_TIME travelled in the send header")
	require.Equal(t, "TopicF", retried[0].Property(message.PropertyRetryTopic))
	require.Equal(t, "3", retried[0].Property(message.PropertyDelayTimeLevel))
	require.Equal(t, r.MsgID, retried[0].Property(message.PropertyOriginMessageID))
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, "TopicF", attempts[1].Topic)
	require.Equal(t, "fallback", string(attempts[1].Body))
}

func TestPushConsumerFromWhere(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.noOffsetInMemory = true // QUERY_CONSUMER_OFFSET finds nothing for new groups
	b.createTopic("TopicW", 1, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	sendBodies(t, p, "TopicW", []string{"old0", "old1"}, "")
	// Store times are in ms: make old1 < mid < old2 strictly.
	before := time.Now().UnixMilli()
	require.Eventually(t, func() bool { return time.Now().UnixMilli() > before }, time.Second, time.Millisecond)
	mid := time.Now()
	require.Eventually(t, func() bool { return time.Now().UnixMilli() > mid.UnixMilli() }, time.Second, time.Millisecond)
	sendBodies(t, p, "TopicW", []string{"old2"}, "")

	var last, first, ts received
	cfgLast := fastConsumerConfig(ns, "g-last")
	cLast := newTestPushConsumer(t, cfgLast, "TopicW", "*", last.handler(ConsumeSuccess))
	cfgFirst := fastConsumerConfig(ns, "g-first")
	cfgFirst.FromWhere = ConsumeFromFirstOffset
	newTestPushConsumer(t, cfgFirst, "TopicW", "*", first.handler(ConsumeSuccess))
	cfgTS := fastConsumerConfig(ns, "g-ts")
	cfgTS.FromWhere = ConsumeFromTimestamp
	cfgTS.ConsumeTimestamp = mid
	newTestPushConsumer(t, cfgTS, "TopicW", "*", ts.handler(ConsumeSuccess))

	// Wait until the last-offset group has its queue, then send one more.
	require.Eventually(t, func() bool {
		_, ok := cLast.offsets.(*remoteOffsetStore).get(MessageQueue{Topic: "TopicW", BrokerName: "broker-a", QueueID: 0})
		return ok
	}, 20*time.Second, 10*time.Millisecond)
	sendBodies(t, p, "TopicW", []string{"new0"}, "")
	require.Eventually(t, func() bool {
		return slices.Equal(last.bodies(), []string{"new0"}) &&
			slices.Equal(first.bodies(), []string{"new0", "old0", "old1", "old2"}) &&
			slices.Equal(ts.bodies(), []string{"new0", "old2"})
	}, 20*time.Second, 10*time.Millisecond)
}

func TestPushConsumerCommittedOffsetSurvivesRestart(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicS", 1, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	cfg := fastConsumerConfig(ns, "cg")
	cfg.PersistInterval = time.Hour // only Shutdown commits
	var got received
	pc, err := NewPushConsumer(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe("TopicS", "*", got.handler(ConsumeSuccess)))
	require.NoError(t, pc.Start())
	sendBodies(t, p, "TopicS", bodiesN("x", 5), "")
	require.Eventually(t, func() bool { return len(got.bodies()) == 5 }, 20*time.Second, 10*time.Millisecond)
	require.NoError(t, pc.Shutdown(context.Background()))
	off, ok := b.committed("cg", "TopicS", 0)
	require.True(t, ok)
	require.Equal(t, int64(5), off)

	var again received
	newTestPushConsumer(t, cfg, "TopicS", "*", again.handler(ConsumeSuccess))
	sendBodies(t, p, "TopicS", []string{"y0"}, "")
	require.Eventually(t, func() bool { return slices.Equal(again.bodies(), []string{"y0"}) }, 20*time.Second, 10*time.Millisecond)
}

func TestPushConsumerBroadcasting(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicB", 2, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	dir := t.TempDir()
	mk := func(instance string, r *received) ConsumerConfig {
		cfg := fastConsumerConfig(ns, "bg")
		cfg.Model = Broadcasting
		cfg.FromWhere = ConsumeFromFirstOffset
		cfg.OffsetStoreDir = dir
		cfg.InstanceName = instance
		return cfg
	}
	var r1, r2 received
	c1 := newTestPushConsumer(t, mk("one", &r1), "TopicB", "*", r1.handler(ConsumeSuccess))
	newTestPushConsumer(t, mk("two", &r2), "TopicB", "*", r2.handler(ConsumeSuccess))
	want := bodiesN("b", 10)
	sendBodies(t, p, "TopicB", want, "")
	require.Eventually(t, func() bool { return slices.Equal(want, r1.bodies()) && slices.Equal(want, r2.bodies()) }, 20*time.Second, 10*time.Millisecond)
	require.Equal(t, 0, b.requests(protocol.GetConsumerListByGroup), "broadcasting never asks for members")
	require.Equal(t, 0, b.requests(protocol.UpdateConsumerOffset), "broadcasting keeps offsets locally")

	require.NoError(t, c1.Shutdown(context.Background()))
	path := filepath.Join(dir, "127.0.0.1@one", "bg", "offsets.json")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	table, err := decodeOffsetTable(data)
	require.NoError(t, err)
	var sum int64
	for mq, off := range table {
		require.Equal(t, "TopicB", mq.Topic)
		sum += off
	}
	require.Equal(t, int64(10), sum)

	// Restarted, it resumes from the file: only new messages arrive.
	var r3 received
	newTestPushConsumer(t, mk("one", &r3), "TopicB", "*", r3.handler(ConsumeSuccess))
	sendBodies(t, p, "TopicB", []string{"late"}, "")
	require.Eventually(t, func() bool { return slices.Equal(r3.bodies(), []string{"late"}) }, 20*time.Second, 10*time.Millisecond)
}

func TestPushConsumerConfigErrors(t *testing.T) {
	_, err := NewPushConsumer(ConsumerConfig{ClientConfig: ClientConfig{NameServers: []string{"a:1"}}}, nil)
	require.Error(t, err, "group required")
	_, err = NewPushConsumer(ConsumerConfig{ClientConfig: ClientConfig{NameServers: []string{"a:1"}}, Group: "g",
		SuspendTime: time.Minute, PullTimeout: time.Second}, nil)
	require.Error(t, err, "pull timeout must exceed suspend time")
	pc, err := NewPushConsumer(ConsumerConfig{ClientConfig: ClientConfig{NameServers: []string{"a:1"}}, Group: "g"}, nil)
	require.NoError(t, err)
	require.Error(t, pc.Start(), "no subscription")
	require.Error(t, pc.Subscribe("bad topic", "*", func(context.Context, []*message.MessageExt) ConsumeResult { return ConsumeSuccess }))
}

func TestPushConsumerOffsetFileFormat(t *testing.T) {
	m := map[MessageQueue]int64{
		{Topic: "T", BrokerName: "b", QueueID: 1}: 7,
		{Topic: "T", BrokerName: "a", QueueID: 0}: 5,
	}
	data := encodeOffsetTable(m)
	require.Equal(t, `{"offsetTable":{{"brokerName":"a","queueId":0,"topic":"T"}:5,{"brokerName":"b","queueId":1,"topic":"T"}:7}}`, string(data))
	back, err := decodeOffsetTable(data)
	require.NoError(t, err)
	require.Equal(t, m, back)
	_, err = decodeOffsetTable([]byte(`{"offsetTable":{{"brokerName":"a"`))
	require.Error(t, err)
	_, err = decodeOffsetTable([]byte(`{"offsetTable":{"notjson":1}}`))
	require.Error(t, err)
}

func FuzzClientOffsetTable(f *testing.F) {
	f.Add([]byte(`{"offsetTable":{{"brokerName":"a","queueId":0,"topic":"T"}:5}}`))
	f.Add([]byte(`{"offsetTable":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeOffsetTable(data)
		if err != nil {
			return
		}
		back, err := decodeOffsetTable(encodeOffsetTable(m))
		require.NoError(t, err)
		require.Equal(t, m, back)
	})
}

func TestPushConsumerFlowControl(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicFC", 1, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	sendBodies(t, p, "TopicFC", bodiesN("f", 60), "")
	release := make(chan struct{})
	var got received
	h := func(ctx context.Context, msgs []*message.MessageExt) ConsumeResult {
		select {
		case <-release:
		case <-ctx.Done():
			return ConsumeRetryLater
		}
		got.add(msgs)
		return ConsumeSuccess
	}
	cfg := fastConsumerConfig(ns, "cg")
	cfg.FromWhere = ConsumeFromFirstOffset
	cfg.PullBatchSize = 4
	cfg.PullThresholdForQueue = 8
	cfg.ConsumeGoroutines = 2
	pc := newTestPushConsumer(t, cfg, "TopicFC", "*", h)
	mq := MessageQueue{Topic: "TopicFC", BrokerName: "broker-a", QueueID: 0}
	cached := func() int {
		pc.mu.Lock()
		q := pc.mu.pqs[mq]
		pc.mu.Unlock()
		if q == nil {
			return 0
		}
		n, _ := q.size()
		return n
	}
	require.Eventually(t, func() bool { return cached() >= 8 }, 20*time.Second, 5*time.Millisecond)
	// Pulling paused at the threshold: at most one pull batch over it.
	pulls := b.requests(protocol.PullMessage)
	require.LessOrEqual(t, cached(), 8+4-1)
	require.Less(t, pulls, 60/4, "it did not pull the whole queue")
	close(release)
	require.Eventually(t, func() bool { return len(got.bodies()) == 60 }, 20*time.Second, 5*time.Millisecond)
}
