package e2e

// Helpers for the tests moved here from package client: more brokers in one
// cluster, reading what a real broker stored, and short client intervals.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
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

const (
	waitFor = 20 * time.Second
	tick    = 10 * time.Millisecond
)

// offsetsNotInMemory makes the store treat every stored message as paged
// out (accessMessageInMemoryMaxRatio=0), so QUERY_CONSUMER_OFFSET answers
// QUERY_NOT_FOUND for a group without a committed offset instead of 0.
func offsetsNotInMemory(_ *broker.Config, s *store.Config) { s.AccessMessageInMemoryMaxRatio = 0 }

// addBroker starts one more real broker in the env's cluster.
func (e *env) addBroker(name string, opts ...envOpt) *broker.Broker {
	e.t.Helper()
	return startBroker(e.t, e.ns.Addr(), name, opts...)
}

// createTopicOn creates or updates a topic on one broker and waits until
// the name server's route shows that broker's queues with queues and perm.
func (e *env) createTopicOn(b *broker.Broker, name string, queues, perm int32) {
	e.t.Helper()
	ctx := context.Background()
	require.NoError(e.t, e.admin.CreateTopic(ctx, b.BrokerAddr(), protocol.NewTopicConfig(name, queues, queues, perm)))
	e.waitRoute(b, name, queues, perm)
}

// waitRoute waits until the route of topic lists broker b with queues
// write queues and perm.
func (e *env) waitRoute(b *broker.Broker, topic string, queues, perm int32) {
	e.t.Helper()
	brokerName := b.Config().BrokerName
	require.Eventually(e.t, func() bool {
		r, err := e.admin.TopicRoute(context.Background(), topic)
		if err != nil {
			return false
		}
		for _, qd := range r.QueueDatas {
			if qd.BrokerName == brokerName {
				return qd.WriteQueueNums == queues && qd.Perm == perm
			}
		}
		return false
	}, waitFor, tick)
}

// stored decodes every message of a topic queue from a real broker's
// store, once the store has dispatched everything it appended.
func stored(t testing.TB, b *broker.Broker, topic string, qid int32) []*message.MessageExt {
	t.Helper()
	s := b.Store()
	require.Eventually(t, func() bool { return s.DispatchBehindBytes() == 0 }, waitFor, tick)
	var out []*message.MessageExt
	for off := max(s.MinOffsetInQueue(topic, qid), 0); off < s.MaxOffsetInQueue(topic, qid); {
		r := s.GetMessage("", topic, qid, off, 32, nil)
		require.Equal(t, store.Found, r.Status, "read %s@%d offset %d", topic, qid, off)
		for _, rec := range r.Messages {
			m, _, err := message.DecodeRecord(rec)
			require.NoError(t, err)
			out = append(out, m)
		}
		off = r.NextBeginOffset
	}
	return out
}

// storedCount is how many messages a topic queue of a broker holds.
func storedCount(t testing.TB, b *broker.Broker, topic string, qid int32) int {
	t.Helper()
	return len(stored(t, b, topic, qid))
}

// committed is a group's committed offset of a queue as the broker has it.
func (e *env) committed(group string, mq client.MessageQueue) (int64, bool) {
	off, err := e.admin.QueryConsumerOffset(context.Background(), group, mq)
	if err != nil || off < 0 {
		return 0, false
	}
	return off, true
}

// runtimeStat reads one integer of GET_BROKER_RUNTIME_INFO.
func (e *env) runtimeStat(b *broker.Broker, key string) int64 {
	e.t.Helper()
	info, err := e.admin.BrokerRuntimeInfo(context.Background(), b.BrokerAddr())
	require.NoError(e.t, err)
	v, err := strconv.ParseInt(info[key], 10, 64)
	require.NoError(e.t, err, "%s=%q", key, info[key])
	return v
}

func (e *env) newProducer(cfg client.ProducerConfig) *client.Producer {
	e.t.Helper()
	if len(cfg.NameServers) == 0 {
		cfg.ClientConfig = e.cfg()
	}
	p, err := client.NewProducer(cfg, quietLogger(e.t))
	require.NoError(e.t, err)
	require.NoError(e.t, p.Start())
	e.t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return p
}

func (e *env) newPullConsumer(cfg client.PullConsumerConfig) *client.PullConsumer {
	e.t.Helper()
	if len(cfg.NameServers) == 0 {
		cfg.ClientConfig = e.cfg()
	}
	pc, err := client.NewPullConsumer(cfg, quietLogger(e.t))
	require.NoError(e.t, err)
	require.NoError(e.t, pc.Start())
	e.t.Cleanup(func() { _ = pc.Shutdown(context.Background()) })
	return pc
}

// fastConsumerConfig is a push consumer config with short intervals. The
// route poll is short too: the broker creates the group's retry topic on
// the first heartbeat, after the consumer's first route fetch.
func (e *env) fastConsumerConfig(group string) client.ConsumerConfig {
	cc := e.cfg()
	cc.PollNameServerInterval = 100 * time.Millisecond
	return client.ConsumerConfig{
		ClientConfig:      cc,
		Group:             group,
		SuspendTime:       2 * time.Second,
		PullTimeout:       5 * time.Second,
		PullErrorDelay:    20 * time.Millisecond,
		PersistInterval:   20 * time.Millisecond,
		RebalanceInterval: 200 * time.Millisecond,
		ConsumeGoroutines: 4,
	}
}

func newPushConsumer(t testing.TB, cfg client.ConsumerConfig, topic, expr string, h client.MessageHandler) *client.PushConsumer {
	t.Helper()
	pc, err := client.NewPushConsumer(cfg, quietLogger(t))
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe(topic, expr, h))
	require.NoError(t, pc.Start())
	t.Cleanup(func() { _ = pc.Shutdown(context.Background()) })
	return pc
}

// received collects consumed messages.
type received struct {
	mu   sync.Mutex
	msgs []*message.MessageExt
}

func (r *received) add(msgs []*message.MessageExt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msgs...)
}

// bodies are the distinct bodies received, sorted.
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

func (r *received) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

func (r *received) handler(res client.ConsumeResult) client.MessageHandler {
	return func(_ context.Context, msgs []*message.MessageExt) client.ConsumeResult {
		r.add(msgs)
		return res
	}
}

func bodiesN(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(prefix, i)
	}
	slices.Sort(out)
	return out
}

func sendBodies(t testing.TB, p *client.Producer, topic string, bodies []string, tag string) {
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

func sendN(t testing.TB, p *client.Producer, mq client.MessageQueue, n int, tag func(i int) string) {
	t.Helper()
	for i := 0; i < n; i++ {
		m := &message.Message{Topic: mq.Topic, Body: []byte(fmt.Sprint("m", i))}
		if tag != nil {
			m.SetProperty(message.PropertyTags, tag(i))
		}
		_, err := p.SendToQueue(context.Background(), m, mq)
		require.NoError(t, err)
	}
}

// joinedErrors is how many attempts a failed send reports: the producer
// wraps errors.Join of one error per attempt.
func joinedErrors(err error) int {
	for err != nil {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			return len(j.Unwrap())
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return 1
		}
		err = u.Unwrap()
	}
	return 0
}

// lenientEntries splits a fastjson object whose keys may be objects (a
// MessageQueue-keyed map) into raw key and value texts.
func lenientEntries(t testing.TB, raw []byte) [][2]string {
	t.Helper()
	s := strings.TrimSpace(string(raw))
	require.True(t, strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"), "not an object: %s", s)
	s = s[1 : len(s)-1]
	var out [][2]string
	depth, inStr, esc := 0, false, false
	start, colon := 0, -1
	flush := func(end int) {
		if strings.TrimSpace(s[start:end]) == "" {
			return
		}
		require.GreaterOrEqual(t, colon, 0, "entry without ':' in %s", s)
		out = append(out, [2]string{strings.TrimSpace(s[start:colon]), strings.TrimSpace(s[colon+1 : end])})
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		case c == ':' && depth == 0 && colon < 0:
			colon = i
		case c == ',' && depth == 0:
			flush(i)
			start, colon = i+1, -1
		}
	}
	flush(len(s))
	return out
}
