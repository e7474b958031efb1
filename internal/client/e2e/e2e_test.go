package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

type collector struct {
	mu   sync.Mutex
	msgs []*message.MessageExt
}

func (c *collector) handle(_ context.Context, msgs []*message.MessageExt) client.ConsumeResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, msgs...)
	return client.ConsumeSuccess
}

func (c *collector) bodies() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.msgs {
		out = append(out, string(m.Body))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestProducerRealBrokerAllSendKinds(t *testing.T) {
	e := startEnv(t)
	e.createTopic("TopicE", 4)
	p := e.producer("pg")
	ctx := context.Background()
	var want []string

	for i := 0; i < 8; i++ {
		m := &message.Message{Topic: "TopicE", Body: []byte(fmt.Sprint("sync", i))}
		m.SetProperty(message.PropertyTags, "TagA")
		m.SetProperty(message.PropertyKeys, fmt.Sprint("key", i))
		r, err := p.Send(ctx, m)
		require.NoError(t, err)
		require.Equal(t, client.SendOK, r.Status)
		require.Equal(t, m.UniqKey(), r.MsgID)
		want = append(want, string(m.Body))
	}
	done := make(chan error, 4)
	for i := 0; i < 4; i++ {
		m := &message.Message{Topic: "TopicE", Body: []byte(fmt.Sprint("async", i))}
		require.NoError(t, p.SendAsync(ctx, m, func(_ *client.SendResult, err error) { done <- err }))
		want = append(want, string(m.Body))
	}
	for i := 0; i < 4; i++ {
		require.NoError(t, <-done)
	}
	require.NoError(t, p.SendOneway(ctx, &message.Message{Topic: "TopicE", Body: []byte("oneway")}))
	want = append(want, "oneway")
	var batch []*message.Message
	for i := 0; i < 3; i++ {
		batch = append(batch, &message.Message{Topic: "TopicE", Body: []byte(fmt.Sprint("batch", i))})
		want = append(want, fmt.Sprint("batch", i))
	}
	br, err := p.SendBatch(ctx, batch)
	require.NoError(t, err)
	require.Len(t, strings.Split(br.OffsetMsgID, ","), 3)

	var got collector
	e.pushConsumer(client.ConsumerConfig{Group: "cg", FromWhere: client.ConsumeFromFirstOffset}, "TopicE", "*", got.handle)
	slices.Sort(want)
	require.Eventually(t, func() bool { return slices.Equal(want, got.bodies()) }, 30*time.Second, 20*time.Millisecond)

	// The group's progress reaches the end on the broker.
	require.Eventually(t, func() bool {
		cs, err := e.admin.ConsumeStats(ctx, "cg", "TopicE")
		return err == nil && len(cs.OffsetTable) == 4 && cs.Diff() == 0
	}, 30*time.Second, 20*time.Millisecond)
}

func TestProducerRealBrokerAutoCreate(t *testing.T) {
	e := startEnv(t)
	p := e.producer("pg")
	r, err := p.Send(context.Background(), &message.Message{Topic: "AutoTopic", Body: []byte("x")})
	require.NoError(t, err)
	require.Equal(t, client.SendOK, r.Status)
	require.Eventually(t, func() bool {
		route, err := e.admin.TopicRoute(context.Background(), "AutoTopic")
		return err == nil && route.QueueDatas[0].WriteQueueNums == client.DefaultTopicQueueNums
	}, 20*time.Second, 10*time.Millisecond)
}

func TestProducerRealBrokerIllegalMessage(t *testing.T) {
	e := startEnv(t)
	e.createTopic("TopicI", 1)
	// Client-side limit and compression off, so the broker judges the size.
	p, err := client.NewProducer(client.ProducerConfig{ClientConfig: e.cfg(), MaxMessageSize: 8 << 20, CompressOver: -1}, quietLogger(t))
	require.NoError(t, err)
	require.NoError(t, p.Start())
	defer p.Shutdown(context.Background())
	big := make([]byte, 4<<20+1)
	_, err = p.Send(context.Background(), &message.Message{Topic: "TopicI", Body: big})
	require.Error(t, err)
	code, ok := client.CodeOf(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, protocol.MessageIllegal, code)
}

func TestPullConsumerRealBroker(t *testing.T) {
	e := startEnv(t)
	e.createTopic("TopicP", 1)
	p := e.producer("pg")
	pc, err := client.NewPullConsumer(client.PullConsumerConfig{ClientConfig: e.cfg(), Group: "pull-g",
		BrokerSuspendMaxTime: 5 * time.Second, ConsumerTimeoutWhenSuspend: 10 * time.Second}, quietLogger(t))
	require.NoError(t, err)
	require.NoError(t, pc.Start())
	defer pc.Shutdown(context.Background())
	ctx := context.Background()
	mqs, err := pc.FetchQueues(ctx, "TopicP")
	require.NoError(t, err)
	require.Len(t, mqs, 1)
	mq := mqs[0]
	for i, tag := range []string{"TagA", "TagB", "TagA"} {
		m := &message.Message{Topic: "TopicP", Body: []byte(fmt.Sprint("p", i))}
		m.SetProperty(message.PropertyTags, tag)
		_, err := p.SendToQueue(ctx, m, mq)
		require.NoError(t, err)
	}
	// The consume queue is built asynchronously after the commit log append.
	require.Eventually(t, func() bool {
		maxOff, err := pc.MaxOffset(ctx, mq)
		return err == nil && maxOff == 3
	}, 20*time.Second, 5*time.Millisecond)
	res, err := pc.Pull(ctx, mq, "TagA", 0, 32)
	require.NoError(t, err)
	require.Equal(t, client.PullFound, res.Status)
	require.Len(t, res.Messages, 2)
	require.Equal(t, int64(3), res.NextBeginOffset)
	res, err = pc.Pull(ctx, mq, "*", 3, 32)
	require.NoError(t, err)
	require.Equal(t, client.PullNoNewMsg, res.Status)
	res, err = pc.Pull(ctx, mq, "*", 50, 32)
	require.NoError(t, err)
	require.Equal(t, client.PullOffsetIllegal, res.Status)
	require.Equal(t, int64(0), res.NextBeginOffset, "past the end with min offset 0: the store corrects to the min offset")

	// A held pull wakes up when a message arrives.
	type out struct {
		res *client.PullResult
		err error
	}
	ch := make(chan out, 1)
	go func() {
		r, err := pc.PullBlockIfNotFound(ctx, mq, "*", 3, 32)
		ch <- out{r, err}
	}()
	_, err = p.SendToQueue(ctx, &message.Message{Topic: "TopicP", Body: []byte("late")}, mq)
	require.NoError(t, err)
	o := <-ch
	require.NoError(t, o.err)
	require.Equal(t, client.PullFound, o.res.Status)
	require.Equal(t, "late", string(o.res.Messages[0].Body))

	require.NoError(t, pc.UpdateOffset(ctx, mq, 2))
	off, err := pc.QueryOffset(ctx, mq)
	require.NoError(t, err)
	require.Equal(t, int64(2), off)
	require.Eventually(t, func() bool {
		maxOff, err := pc.MaxOffset(ctx, mq)
		return err == nil && maxOff == 4
	}, 20*time.Second, 5*time.Millisecond)
}

func TestRebalanceRealBroker(t *testing.T) {
	e := startEnv(t)
	e.createTopic("TopicR", 4)
	var c1, c2 collector
	a := e.pushConsumer(client.ConsumerConfig{Group: "rg"}, "TopicR", "*", c1.handle)
	b := e.pushConsumer(client.ConsumerConfig{Group: "rg"}, "TopicR", "*", c2.handle)
	count := func(pc *client.PushConsumer) int {
		n := 0
		for _, mq := range pc.Assigned() {
			if mq.Topic == "TopicR" {
				n++
			}
		}
		return n
	}
	require.Eventually(t, func() bool { return count(a) == 2 && count(b) == 2 }, 30*time.Second, 20*time.Millisecond)

	// With the assignment settled, every message is delivered exactly once.
	p := e.producer("pg")
	var want []string
	for i := 0; i < 40; i++ {
		body := fmt.Sprintf("r%02d", i)
		_, err := p.Send(context.Background(), &message.Message{Topic: "TopicR", Body: []byte(body)})
		require.NoError(t, err)
		want = append(want, body)
	}
	all := func() []string {
		c1.mu.Lock()
		c2.mu.Lock()
		defer c1.mu.Unlock()
		defer c2.mu.Unlock()
		var out []string
		for _, m := range append(append([]*message.MessageExt{}, c1.msgs...), c2.msgs...) {
			out = append(out, string(m.Body))
		}
		slices.Sort(out)
		return out
	}
	require.Eventually(t, func() bool { return len(all()) >= len(want) }, 30*time.Second, 20*time.Millisecond)
	require.Equal(t, want, all())
	require.NotEmpty(t, c1.bodies())
	require.NotEmpty(t, c2.bodies())

	cc, err := e.admin.ConsumerConnections(context.Background(), "rg")
	require.NoError(t, err)
	require.Len(t, cc.ConnectionSet, 2)
	require.Equal(t, protocol.Clustering, cc.MessageModel)
	require.NoError(t, b.Shutdown(context.Background()))
	require.Eventually(t, func() bool { return count(a) == 4 }, 30*time.Second, 20*time.Millisecond)
}
