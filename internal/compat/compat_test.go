package compat

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/stretchr/testify/require"
)

var instanceSeq atomic.Int64

// instance returns a unique client instance name, so every producer and
// consumer of a test gets its own client id and connections.
func instance(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), instanceSeq.Add(1))
}

func (c *cluster) producer(t *testing.T) rocketmq.Producer {
	t.Helper()
	p, err := rocketmq.NewProducer(
		producer.WithNameServer([]string{c.NsAddr}),
		producer.WithGroupName("compat_pg"),
		producer.WithInstanceName(instance("p")),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(5*time.Second),
	)
	require.NoError(t, err)
	require.NoError(t, p.Start())
	t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

// createTopic creates a topic on the broker with the official admin client
// (UPDATE_AND_CREATE_TOPIC), then waits until the name server routes it.
func (c *cluster) createTopic(t *testing.T, topic string, queues int) {
	t.Helper()
	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{c.NsAddr})))
	require.NoError(t, err)
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, adm.CreateTopic(ctx,
		admin.WithTopicCreate(topic),
		admin.WithBrokerAddrCreate(c.BrokerAddr()),
		admin.WithReadQueueNums(queues),
		admin.WithWriteQueueNums(queues),
	))
	require.Eventually(t, func() bool {
		mqs, err := adm.FetchPublishMessageQueues(ctx, topic)
		return err == nil && len(mqs) == queues
	}, 10*time.Second, 20*time.Millisecond, "route of %s", topic)
}

// received collects consumed messages by body.
type received struct {
	mu     sync.Mutex
	counts map[string]int
	by     map[string]map[string]bool // consumer -> bodies
}

func newReceived() *received {
	return &received{counts: map[string]int{}, by: map[string]map[string]bool{}}
}

func (r *received) add(who string, msgs ...*primitive.MessageExt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs {
		b := string(m.Body)
		r.counts[b]++
		if r.by[who] == nil {
			r.by[who] = map[string]bool{}
		}
		r.by[who][b] = true
	}
}

func (r *received) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.counts)
}

func (r *received) snapshot() (map[string]int, map[string]map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := make(map[string]int, len(r.counts))
	for k, v := range r.counts {
		c[k] = v
	}
	by := make(map[string]map[string]bool, len(r.by))
	for w, m := range r.by {
		by[w] = make(map[string]bool, len(m))
		for k := range m {
			by[w][k] = true
		}
	}
	return c, by
}

// allocations records, per consumer, how many members the latest
// rebalance of a topic saw.
type allocations struct {
	mu      sync.Mutex
	members map[string]int // currentCID -> len(cidAll) of the last rebalance
	queues  map[string]int // currentCID -> queues assigned
}

func (a *allocations) strategy(topic string) consumer.AllocateStrategy {
	return func(group, cid string, mqAll []*primitive.MessageQueue, cidAll []string) []*primitive.MessageQueue {
		res := consumer.AllocateByAveragely(group, cid, mqAll, cidAll)
		if len(mqAll) > 0 && mqAll[0].Topic == topic {
			a.mu.Lock()
			a.members[cid] = len(cidAll)
			a.queues[cid] = len(res)
			a.mu.Unlock()
		}
		return res
	}
}

func (a *allocations) settled(consumers, queues int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.members) != consumers {
		return false
	}
	total := 0
	for cid, n := range a.members {
		if n != consumers {
			return false
		}
		total += a.queues[cid]
	}
	return total == queues
}

type pushOpts struct {
	group    string
	topic    string
	expr     string
	model    consumer.MessageModel
	strategy consumer.AllocateStrategy
}

// pushConsumer starts a push consumer that records into r under its
// instance name, which it returns with a stop function.
func (c *cluster) pushConsumer(t *testing.T, o pushOpts, r *received) (string, func()) {
	t.Helper()
	name := instance("c")
	opts := []consumer.Option{
		consumer.WithNameServer([]string{c.NsAddr}),
		consumer.WithGroupName(o.group),
		consumer.WithInstance(name),
		consumer.WithConsumerModel(o.model),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}
	if o.strategy != nil {
		opts = append(opts, consumer.WithStrategy(o.strategy))
	}
	pc, err := rocketmq.NewPushConsumer(opts...)
	require.NoError(t, err)
	expr := o.expr
	if expr == "" {
		expr = "*"
	}
	require.NoError(t, pc.Subscribe(o.topic, consumer.MessageSelector{Type: consumer.TAG, Expression: expr},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			r.add(name, msgs...)
			return consumer.ConsumeSuccess, nil
		}))
	require.NoError(t, pc.Start())
	var once sync.Once
	stop := func() { once.Do(func() { _ = pc.Shutdown() }) }
	t.Cleanup(stop)
	return name, stop
}

func sendN(t *testing.T, p rocketmq.Producer, topic, prefix string, n int, tag func(i int) string) []string {
	t.Helper()
	bodies := make([]string, 0, n)
	for i := range n {
		body := fmt.Sprintf("%s-%d", prefix, i)
		m := primitive.NewMessage(topic, []byte(body))
		if tag != nil {
			m.WithTag(tag(i))
		}
		res, err := p.SendSync(context.Background(), m)
		require.NoError(t, err)
		require.Equal(t, primitive.SendOK, res.Status)
		require.Len(t, res.OffsetMsgID, 32, "offsetMsgId is IPv4 store host + offset")
		bodies = append(bodies, body)
	}
	return bodies
}

// pullAll reads topic's queues from offset 0 with the official pull
// consumer and returns the bodies, stopping once it has want of them (a
// pull at the end of a queue is held by the broker's long polling, so it
// never asks past the last message it needs).
func (c *cluster) pullAll(t *testing.T, topic string, queues, want int) []string {
	t.Helper()
	pc, err := rocketmq.NewPullConsumer(
		consumer.WithNameServer([]string{c.NsAddr}),
		consumer.WithGroupName("compat_pull_"+strconv.FormatInt(instanceSeq.Add(1), 10)),
		consumer.WithInstance(instance("pull")),
	)
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}))
	require.NoError(t, pc.Start())
	defer pc.Shutdown()
	var bodies []string
	for q := range queues {
		if len(bodies) >= want {
			break
		}
		mq := &primitive.MessageQueue{Topic: topic, BrokerName: brokerName, QueueId: q}
		off := int64(0)
		for range 1000 {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			res, err := pc.PullFrom(ctx, mq, off, 32)
			cancel()
			require.NoError(t, err)
			if res.Status != primitive.PullFound {
				require.Contains(t, []primitive.PullStatus{primitive.PullNoNewMsg, primitive.PullNoMsgMatched}, res.Status)
				break
			}
			for _, m := range res.GetMessageExts() {
				bodies = append(bodies, string(m.Body))
			}
			require.Greater(t, res.NextBeginOffset, off)
			off = res.NextBeginOffset
			if off >= res.MaxOffset || len(bodies) >= want {
				break
			}
		}
	}
	return bodies
}

// TestCompatSendModes: sync, async, oneway and batch sends all land, and
// the official pull consumer reads them back.
func TestCompatSendModes(t *testing.T) {
	c := startCluster(t)
	const topic = "CompatSendModes"
	c.createTopic(t, topic, 4)
	p := c.producer(t)

	want := map[string]bool{}
	for _, b := range sendN(t, p, topic, "sync", 10, nil) {
		want[b] = true
	}

	var wg sync.WaitGroup
	var asyncErr atomic.Value
	for i := range 10 {
		body := fmt.Sprintf("async-%d", i)
		want[body] = true
		wg.Add(1)
		err := p.SendAsync(context.Background(), func(_ context.Context, r *primitive.SendResult, err error) {
			defer wg.Done()
			if err == nil && r.Status != primitive.SendOK {
				err = fmt.Errorf("status %v", r.Status)
			}
			if err != nil {
				asyncErr.Store(err)
			}
		}, primitive.NewMessage(topic, []byte(body)))
		require.NoError(t, err)
	}
	wg.Wait()
	require.Nil(t, asyncErr.Load())

	for i := range 10 {
		body := fmt.Sprintf("oneway-%d", i)
		want[body] = true
		require.NoError(t, p.SendOneWay(context.Background(), primitive.NewMessage(topic, []byte(body))))
	}

	var batch []*primitive.Message
	for i := range 10 {
		body := fmt.Sprintf("batch-%d", i)
		want[body] = true
		batch = append(batch, primitive.NewMessage(topic, []byte(body)))
	}
	res, err := p.SendSync(context.Background(), batch...)
	require.NoError(t, err)
	require.Equal(t, primitive.SendOK, res.Status)
	require.Len(t, strings.Split(res.OffsetMsgID, ","), 10, "a batch answers one offsetMsgId per message")

	var got []string
	require.Eventually(t, func() bool {
		got = c.pullAll(t, topic, 4, len(want))
		return len(got) >= len(want)
	}, 20*time.Second, 50*time.Millisecond)
	require.Len(t, got, len(want))
	for _, b := range got {
		require.True(t, want[b], "unexpected body %q", b)
	}
}

// TestCompatPushClusterSplit: two members of a clustering group split the
// queues, and every message is delivered exactly once.
func TestCompatPushClusterSplit(t *testing.T) {
	c := startCluster(t)
	const topic, group = "CompatSplit", "compat_split_cg"
	c.createTopic(t, topic, 4)
	alloc := &allocations{members: map[string]int{}, queues: map[string]int{}}
	r := newReceived()
	c.pushConsumer(t, pushOpts{group: group, topic: topic, model: consumer.Clustering, strategy: alloc.strategy(topic)}, r)
	c.pushConsumer(t, pushOpts{group: group, topic: topic, model: consumer.Clustering, strategy: alloc.strategy(topic)}, r)
	require.Eventually(t, func() bool { return alloc.settled(2, 4) }, 30*time.Second, 20*time.Millisecond,
		"both members see each other and hold 4 queues between them")

	p := c.producer(t)
	bodies := sendN(t, p, topic, "split", 100, nil)
	require.Eventually(t, func() bool { return r.distinct() == len(bodies) }, 30*time.Second, 20*time.Millisecond)
	counts, by := r.snapshot()
	for _, b := range bodies {
		require.Equal(t, 1, counts[b], "message %s delivered %d times", b, counts[b])
	}
	require.Len(t, by, 2, "both members consumed")
	for who, got := range by {
		require.NotEmpty(t, got, "member %s consumed nothing", who)
	}
}

// TestCompatBroadcast: every broadcasting consumer gets every message.
func TestCompatBroadcast(t *testing.T) {
	c := startCluster(t)
	const topic, group = "CompatBroadcast", "compat_bc_cg"
	c.createTopic(t, topic, 4)
	r := newReceived()
	a, _ := c.pushConsumer(t, pushOpts{group: group, topic: topic, model: consumer.BroadCasting}, r)
	b, _ := c.pushConsumer(t, pushOpts{group: group, topic: topic, model: consumer.BroadCasting}, r)
	p := c.producer(t)
	bodies := sendN(t, p, topic, "bc", 20, nil)
	require.Eventually(t, func() bool {
		_, by := r.snapshot()
		return len(by[a]) == len(bodies) && len(by[b]) == len(bodies)
	}, 30*time.Second, 20*time.Millisecond)
}

// TestCompatTagFilter: a "TagA || TagB" subscription gets exactly those.
func TestCompatTagFilter(t *testing.T) {
	c := startCluster(t)
	const topic, group = "CompatTags", "compat_tag_cg"
	c.createTopic(t, topic, 2)
	r := newReceived()
	c.pushConsumer(t, pushOpts{group: group, topic: topic, expr: "TagA || TagB", model: consumer.Clustering}, r)
	p := c.producer(t)
	tags := []string{"TagA", "TagB", "TagC"}
	bodies := sendN(t, p, topic, "tag", 30, func(i int) string { return tags[i%3] })
	var want []string
	for i, b := range bodies {
		if i%3 != 2 {
			want = append(want, b)
		}
	}
	require.Eventually(t, func() bool { return r.distinct() >= len(want) }, 30*time.Second, 20*time.Millisecond)
	// Messages are consumed in queue order, so once every wanted one is in,
	// any TagC that had passed would be too.
	counts, _ := r.snapshot()
	require.Len(t, counts, len(want))
	for _, b := range want {
		require.Equal(t, 1, counts[b])
	}
}

// TestCompatConsumerRestart: a restarted member of a group resumes from
// the offsets committed before its shutdown.
func TestCompatConsumerRestart(t *testing.T) {
	c := startCluster(t)
	const topic, group = "CompatResume", "compat_resume_cg"
	c.createTopic(t, topic, 4)
	p := c.producer(t)

	r1 := newReceived()
	_, stop := c.pushConsumer(t, pushOpts{group: group, topic: topic, model: consumer.Clustering}, r1)
	first := sendN(t, p, topic, "first", 20, nil)
	require.Eventually(t, func() bool { return r1.distinct() == len(first) }, 30*time.Second, 20*time.Millisecond)
	// A push consumer may shut down before committing the very last
	// message it consumed (at-least-once); wait for its periodic commit.
	c.waitCommitted(t, topic, group, len(first))
	stop()

	second := sendN(t, p, topic, "second", 20, nil)
	r2 := newReceived()
	c.pushConsumer(t, pushOpts{group: group, topic: topic, model: consumer.Clustering}, r2)
	require.Eventually(t, func() bool { return r2.distinct() >= len(second) }, 30*time.Second, 20*time.Millisecond)
	counts, _ := r2.snapshot()
	for _, b := range second {
		require.Equal(t, 1, counts[b], "second-round message %s", b)
	}
	for _, b := range first {
		require.Zero(t, counts[b], "first-round message %s consumed again after restart", b)
	}
}

// TestCompatBrokerRestart: messages and committed offsets survive a
// graceful broker restart and a kill -9.
func TestCompatBrokerRestart(t *testing.T) {
	for _, mode := range []string{"graceful", "kill9"} {
		t.Run(mode, func(t *testing.T) {
			c := startCluster(t)
			topic, group := "CompatRestart_"+mode, "compat_restart_cg_"+mode
			c.createTopic(t, topic, 4)
			p := c.producer(t)
			first := sendN(t, p, topic, "before", 30, nil)

			r1 := newReceived()
			_, stop := c.pushConsumer(t, pushOpts{group: group, topic: topic, model: consumer.Clustering}, r1)
			require.Eventually(t, func() bool { return r1.distinct() == len(first) }, 30*time.Second, 20*time.Millisecond)
			// The client commits every 5 s; once the broker has persisted
			// all 30, nothing is left to redeliver.
			c.waitCommitted(t, topic, group, len(first))
			stop()

			if mode == "graceful" {
				c.Broker.Stop(t)
				_, err := os.Stat(filepath.Join(c.StoreDir(), "abort"))
				require.True(t, os.IsNotExist(err), "a clean shutdown removes the abort file")
			} else {
				c.Broker.Kill(t)
				_, err := os.Stat(filepath.Join(c.StoreDir(), "abort"))
				require.NoError(t, err, "a killed broker leaves its abort file")
			}
			c.startBroker()

			got := c.pullAll(t, topic, 4, len(first))
			require.ElementsMatch(t, first, got, "every message is still stored")

			second := sendN(t, p, topic, "after", 10, nil)
			r2 := newReceived()
			c.pushConsumer(t, pushOpts{group: group, topic: topic, model: consumer.Clustering}, r2)
			require.Eventually(t, func() bool { return r2.distinct() >= len(second) }, 40*time.Second, 20*time.Millisecond)
			counts, _ := r2.snapshot()
			for _, b := range first {
				require.Zero(t, counts[b], "message %s consumed again after the broker restart", b)
			}
		})
	}
}

// TestCompatMessageTooLarge: a body over maxMessageSize is refused with
// MESSAGE_ILLEGAL and the client reports it.
func TestCompatMessageTooLarge(t *testing.T) {
	c := startCluster(t, "maxMessageSize=1024")
	const topic = "CompatTooLarge"
	c.createTopic(t, topic, 1)
	p := c.producer(t)
	_, err := p.SendSync(context.Background(), primitive.NewMessage(topic, make([]byte, 2000)))
	require.Error(t, err)
	require.Contains(t, err.Error(), "CODE: 13")
	require.Contains(t, err.Error(), "msg body length limit 1024B")
	res, err := p.SendSync(context.Background(), primitive.NewMessage(topic, make([]byte, 500)))
	require.NoError(t, err, "a message under the limit still goes through")
	require.Equal(t, primitive.SendOK, res.Status)
}

// TestCompatAutoCreate200Topics: sending to 200 unknown topics creates
// them through TBW102, and each becomes routable.
func TestCompatAutoCreate200Topics(t *testing.T) {
	c := startCluster(t)
	p := c.producer(t)
	for i := range 200 {
		topic := fmt.Sprintf("CompatAuto_%03d", i)
		res, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte(topic)))
		require.NoError(t, err, "topic %s", topic)
		require.Equal(t, primitive.SendOK, res.Status)
	}
	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{c.NsAddr})))
	require.NoError(t, err)
	defer adm.Close()
	require.Eventually(t, func() bool {
		list, err := adm.FetchAllTopicList(context.Background())
		if err != nil {
			return false
		}
		n := 0
		for _, topic := range list.TopicList {
			if strings.HasPrefix(topic, "CompatAuto_") {
				n++
			}
		}
		return n == 200
	}, 20*time.Second, 50*time.Millisecond, "all 200 topics registered with the name server")
}

// waitCommitted waits until the broker's consumerOffset.json holds n
// consumed messages in total for topic@group.
func (c *cluster) waitCommitted(t *testing.T, topic, group string, n int) {
	t.Helper()
	offsets := filepath.Join(c.StoreDir(), "config", "consumerOffset.json")
	require.Eventually(t, func() bool {
		data, err := os.ReadFile(offsets)
		return err == nil && committedSum(string(data), topic+"@"+group) == int64(n)
	}, 20*time.Second, 20*time.Millisecond, "offsets of %s@%s persisted to %s", topic, group, offsets)
}

// committedSum adds up the queue offsets of one topic@group entry of a
// consumerOffset.json ({"offsetTable":{"T@g":{0:8,1:7}}}, bare or quoted
// queue ids); -1 when the entry is missing or unreadable.
func committedSum(file, key string) int64 {
	i := strings.Index(file, strconv.Quote(key))
	if i < 0 {
		return -1
	}
	rest := file[i+len(key)+2:]
	open := strings.IndexByte(rest, '{')
	end := strings.IndexByte(rest, '}')
	if open < 0 || end < open {
		return -1
	}
	var sum int64
	for _, kv := range strings.Split(rest[open+1:end], ",") {
		_, v, ok := strings.Cut(kv, ":")
		if !ok {
			return -1
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return -1
		}
		sum += n
	}
	return sum
}
