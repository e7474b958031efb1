package client

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

func newTestPullConsumer(t *testing.T, cfg PullConsumerConfig) *PullConsumer {
	t.Helper()
	pc, err := NewPullConsumer(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NoError(t, pc.Start())
	t.Cleanup(func() { _ = pc.Shutdown(context.Background()) })
	return pc
}

func sendN(t *testing.T, p *Producer, mq MessageQueue, n int, tag func(i int) string) {
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

func TestPullConsumerStatuses(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicP", 2, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	pc := newTestPullConsumer(t, PullConsumerConfig{ClientConfig: testClientConfig(ns), Group: "cg"})
	ctx := context.Background()

	mqs, err := pc.FetchQueues(ctx, "TopicP")
	require.NoError(t, err)
	require.Equal(t, []MessageQueue{{Topic: "TopicP", BrokerName: "broker-a", QueueID: 0}, {Topic: "TopicP", BrokerName: "broker-a", QueueID: 1}}, mqs)
	mq := mqs[0]
	sendN(t, p, mq, 6, func(i int) string { return []string{"TagA", "TagB"}[i%2] })

	res, err := pc.Pull(ctx, mq, "*", 0, 32)
	require.NoError(t, err)
	require.Equal(t, PullFound, res.Status)
	require.Len(t, res.Messages, 6)
	require.Equal(t, int64(6), res.NextBeginOffset)
	require.Equal(t, int64(6), res.MaxOffset)
	for i, m := range res.Messages {
		require.Equal(t, fmt.Sprint("m", i), string(m.Body))
		require.Equal(t, int64(i), m.QueueOffset)
		require.Equal(t, "0", m.Properties[message.PropertyMinOffset])
		require.Equal(t, "6", m.Properties[message.PropertyMaxOffset])
		require.Len(t, m.ClientMsgID(), 32)
	}

	res, err = pc.Pull(ctx, mq, "TagB", 0, 2)
	require.NoError(t, err)
	require.Equal(t, PullFound, res.Status)
	require.Len(t, res.Messages, 2)
	require.Equal(t, "m1", string(res.Messages[0].Body))
	require.Equal(t, "m3", string(res.Messages[1].Body))
	require.Equal(t, int64(4), res.NextBeginOffset)

	res, err = pc.Pull(ctx, mq, "TagZ", 0, 32)
	require.NoError(t, err)
	require.Equal(t, PullNoMatchedMsg, res.Status)
	require.Equal(t, int64(6), res.NextBeginOffset)

	res, err = pc.Pull(ctx, mq, "*", 6, 32)
	require.NoError(t, err)
	require.Equal(t, PullNoNewMsg, res.Status)
	require.Equal(t, int64(6), res.NextBeginOffset)

	res, err = pc.Pull(ctx, mq, "*", 100, 32)
	require.NoError(t, err)
	require.Equal(t, PullOffsetIllegal, res.Status)
	require.Equal(t, int64(0), res.NextBeginOffset)

	_, err = pc.Pull(ctx, MessageQueue{Topic: "TopicP", BrokerName: "broker-a", QueueID: 7}, "*", 0, 32)
	code, ok := CodeOf(err)
	require.True(t, ok)
	require.Equal(t, protocol.SystemError, code)

	_, err = pc.Pull(ctx, mq, "*", -1, 32)
	require.Error(t, err)
}

func TestPullConsumerTagCollisionRefilter(t *testing.T) {
	require.Equal(t, message.JavaStringHash("Aa"), message.JavaStringHash("BB"), "precondition: colliding tags")
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicC", 1, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	pc := newTestPullConsumer(t, PullConsumerConfig{ClientConfig: testClientConfig(ns), Group: "cg"})
	mq := MessageQueue{Topic: "TopicC", BrokerName: "broker-a", QueueID: 0}
	sendN(t, p, mq, 4, func(i int) string { return []string{"Aa", "BB"}[i%2] })

	res, err := pc.Pull(context.Background(), mq, "Aa", 0, 32)
	require.NoError(t, err)
	require.Equal(t, PullFound, res.Status)
	require.Len(t, res.Messages, 2, "the broker matched 4 by hash; the client keeps the 2 tagged Aa")
	for _, m := range res.Messages {
		require.Equal(t, "Aa", m.Tags())
	}
	res, err = pc.Pull(context.Background(), mq, "Aa", 1, 1)
	require.NoError(t, err)
	require.Equal(t, PullNoMatchedMsg, res.Status, "only a collision in range")
	require.Equal(t, int64(2), res.NextBeginOffset)
}

func TestPullConsumerInflatesBodies(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicZ", 1, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	pc := newTestPullConsumer(t, PullConsumerConfig{ClientConfig: testClientConfig(ns), Group: "cg"})
	mq := MessageQueue{Topic: "TopicZ", BrokerName: "broker-a", QueueID: 0}
	body := []byte(strings.Repeat("compress me ", 1000))
	_, err := p.SendToQueue(context.Background(), &message.Message{Topic: "TopicZ", Body: body}, mq)
	require.NoError(t, err)
	require.Less(t, len(b.stored("TopicZ", 0)[0].Body), len(body), "stored compressed")
	res, err := pc.Pull(context.Background(), mq, "*", 0, 1)
	require.NoError(t, err)
	require.Equal(t, body, res.Messages[0].Body)
}

func TestPullConsumerLongPolling(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicL", 1, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	pc := newTestPullConsumer(t, PullConsumerConfig{ClientConfig: testClientConfig(ns), Group: "cg",
		BrokerSuspendMaxTime: 5 * time.Second, ConsumerTimeoutWhenSuspend: 10 * time.Second})
	mq := MessageQueue{Topic: "TopicL", BrokerName: "broker-a", QueueID: 0}
	// Learn the route first, so the held pull is the only PULL_MESSAGE.
	_, err := pc.FetchQueues(context.Background(), "TopicL")
	require.NoError(t, err)

	type out struct {
		res *PullResult
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := pc.PullBlockIfNotFound(context.Background(), mq, "*", 0, 32)
		done <- out{res, err}
	}()
	require.Eventually(t, func() bool { return b.requests(protocol.PullMessage) == 1 }, 10*time.Second, 5*time.Millisecond)
	select {
	case o := <-done:
		t.Fatalf("held pull answered before any message: %+v %v", o.res, o.err)
	default:
	}
	sendN(t, p, mq, 1, nil)
	o := <-done
	require.NoError(t, o.err)
	require.Equal(t, PullFound, o.res.Status)
	require.Len(t, o.res.Messages, 1)

	// With nothing arriving the broker answers NO_NEW_MSG at the end of the hold.
	short := newTestPullConsumer(t, PullConsumerConfig{ClientConfig: testClientConfig(ns), Group: "cg",
		BrokerSuspendMaxTime: 50 * time.Millisecond, ConsumerTimeoutWhenSuspend: 10 * time.Second})
	res, err := short.PullBlockIfNotFound(context.Background(), mq, "*", 1, 32)
	require.NoError(t, err)
	require.Equal(t, PullNoNewMsg, res.Status)

	_, err = NewPullConsumer(PullConsumerConfig{ClientConfig: testClientConfig(ns), BrokerSuspendMaxTime: time.Minute}, nil)
	require.Error(t, err, "client timeout must exceed the broker hold time")
}

func TestPullConsumerOffsets(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.noOffsetInMemory = true
	b.createTopic("TopicO", 1, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	pc := newTestPullConsumer(t, PullConsumerConfig{ClientConfig: testClientConfig(ns), Group: "cg"})
	ctx := context.Background()
	mq := MessageQueue{Topic: "TopicO", BrokerName: "broker-a", QueueID: 0}
	before := time.Now()
	sendN(t, p, mq, 5, nil)

	off, err := pc.QueryOffset(ctx, mq)
	require.NoError(t, err)
	require.Equal(t, int64(-1), off, "QUERY_NOT_FOUND means no offset")
	require.NoError(t, pc.UpdateOffset(ctx, mq, 3))
	off, err = pc.QueryOffset(ctx, mq)
	require.NoError(t, err)
	require.Equal(t, int64(3), off)
	got, ok := b.committed("cg", "TopicO", 0)
	require.True(t, ok)
	require.Equal(t, int64(3), got)

	maxOff, err := pc.MaxOffset(ctx, mq)
	require.NoError(t, err)
	require.Equal(t, int64(5), maxOff)
	minOff, err := pc.MinOffset(ctx, mq)
	require.NoError(t, err)
	require.Equal(t, int64(0), minOff)
	at, err := pc.SearchOffset(ctx, mq, before.Add(-time.Second))
	require.NoError(t, err)
	require.Equal(t, int64(0), at)
	at, err = pc.SearchOffset(ctx, mq, time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, int64(5), at)
}

func TestPullConsumerHeader(t *testing.T) {
	sd := newTagSubscription("T", "TagA || TagB", 1700000000000)
	r := &pullRequest{group: "cg", mq: MessageQueue{Topic: "T", BrokerName: "b", QueueID: 2}, sub: &sd, offset: 42, maxNums: 32,
		sysFlag: protocol.PullFlagCommitOffset, commitOffset: 40, suspend: 15 * time.Second}
	ext := protocol.EncodeHeader(r.header())
	require.Equal(t, map[string]string{
		"consumerGroup": "cg", "topic": "T", "queueId": "2", "queueOffset": "42", "maxMsgNums": "32",
		"sysFlag": "3", "commitOffset": "40", "suspendTimeoutMillis": "15000", "subscription": "",
		"subVersion": "1700000000000", "expressionType": "TAG", "bname": "b",
	}, ext, "push style: commit offset and suspend, subscription from the heartbeat")

	r = &pullRequest{group: "cg", mq: MessageQueue{Topic: "T", BrokerName: "b"}, sub: &sd, maxNums: 1, sysFlag: protocol.PullFlagSubscription}
	ext = protocol.EncodeHeader(r.header())
	require.Equal(t, "4", ext["sysFlag"])
	require.Equal(t, "TagA || TagB", ext["subscription"])
	require.Equal(t, "0", ext["suspendTimeoutMillis"])

	// Unknown codes and missing header fields are errors, not panics.
	req := remoting.NewRequest(protocol.PullMessage, nil, nil)
	_, err := pullResultOf(remoting.NewResponse(req, protocol.SubscriptionNotExist, "no subscription"), "x:1", r.mq, &sd)
	code, ok := CodeOf(err)
	require.True(t, ok)
	require.Equal(t, protocol.SubscriptionNotExist, code)
	_, err = pullResultOf(remoting.NewResponse(req, protocol.Success, ""), "x:1", r.mq, &sd)
	require.Error(t, err)
	bad := remoting.NewResponse(req, protocol.Success, "")
	bad.ExtFields = map[string]string{"nextBeginOffset": "1", "minOffset": "0", "maxOffset": "1", "suggestWhichBrokerId": "0"}
	bad.Body = []byte{0, 0, 0, 9, 1, 2}
	_, err = pullResultOf(bad, "x:1", r.mq, &sd)
	require.Error(t, err)
}
