package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// waitQueued waits until the broker's consume queue of mq holds n messages
// (dispatch follows the commit-log append asynchronously).
func (e *env) waitQueued(mq client.MessageQueue, n int64) {
	e.t.Helper()
	require.Eventually(e.t, func() bool {
		maxOff, err := e.admin.MaxOffset(context.Background(), mq)
		return err == nil && maxOff == n
	}, waitFor, tick)
}

func TestPullConsumerStatuses(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicP", 2, 6)
	p := e.newProducer(client.ProducerConfig{})
	pc := e.newPullConsumer(client.PullConsumerConfig{Group: "cg"})
	ctx := context.Background()

	mqs, err := pc.FetchQueues(ctx, "TopicP")
	require.NoError(t, err)
	require.Equal(t, []client.MessageQueue{{Topic: "TopicP", BrokerName: "broker-a", QueueID: 0}, {Topic: "TopicP", BrokerName: "broker-a", QueueID: 1}}, mqs)
	mq := mqs[0]
	sendN(t, p, mq, 6, func(i int) string { return []string{"TagA", "TagB"}[i%2] })
	e.waitQueued(mq, 6)

	res, err := pc.Pull(ctx, mq, "*", 0, 32)
	require.NoError(t, err)
	require.Equal(t, client.PullFound, res.Status)
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
	require.Equal(t, client.PullFound, res.Status)
	require.Len(t, res.Messages, 2)
	require.Equal(t, "m1", string(res.Messages[0].Body))
	require.Equal(t, "m3", string(res.Messages[1].Body))
	require.Equal(t, int64(4), res.NextBeginOffset)

	res, err = pc.Pull(ctx, mq, "TagZ", 0, 32)
	require.NoError(t, err)
	require.Equal(t, client.PullNoMatchedMsg, res.Status)
	require.Equal(t, int64(6), res.NextBeginOffset)

	res, err = pc.Pull(ctx, mq, "*", 6, 32)
	require.NoError(t, err)
	require.Equal(t, client.PullNoNewMsg, res.Status)
	require.Equal(t, int64(6), res.NextBeginOffset)

	res, err = pc.Pull(ctx, mq, "*", 100, 32)
	require.NoError(t, err)
	require.Equal(t, client.PullOffsetIllegal, res.Status)
	require.Equal(t, int64(0), res.NextBeginOffset)

	_, err = pc.Pull(ctx, client.MessageQueue{Topic: "TopicP", BrokerName: "broker-a", QueueID: 7}, "*", 0, 32)
	code, ok := client.CodeOf(err)
	require.True(t, ok, "%v", err)
	require.Equal(t, protocol.SystemError, code)

	_, err = pc.Pull(ctx, mq, "*", -1, 32)
	require.Error(t, err)
}

func TestPullConsumerTagCollisionRefilter(t *testing.T) {
	require.Equal(t, message.JavaStringHash("Aa"), message.JavaStringHash("BB"), "precondition: colliding tags")
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicC", 1, 6)
	p := e.newProducer(client.ProducerConfig{})
	pc := e.newPullConsumer(client.PullConsumerConfig{Group: "cg"})
	mq := client.MessageQueue{Topic: "TopicC", BrokerName: "broker-a", QueueID: 0}
	sendN(t, p, mq, 4, func(i int) string { return []string{"Aa", "BB"}[i%2] })
	e.waitQueued(mq, 4)

	res, err := pc.Pull(context.Background(), mq, "Aa", 0, 32)
	require.NoError(t, err)
	require.Equal(t, client.PullFound, res.Status)
	require.Len(t, res.Messages, 2, "the broker matched 4 by hash; the client keeps the 2 tagged Aa")
	for _, m := range res.Messages {
		require.Equal(t, "Aa", m.Tags())
	}
	res, err = pc.Pull(context.Background(), mq, "Aa", 1, 1)
	require.NoError(t, err)
	require.Equal(t, client.PullNoMatchedMsg, res.Status, "only a collision in range")
	require.Equal(t, int64(2), res.NextBeginOffset)
}

func TestPullConsumerInflatesBodies(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicZ", 1, 6)
	p := e.newProducer(client.ProducerConfig{})
	pc := e.newPullConsumer(client.PullConsumerConfig{Group: "cg"})
	mq := client.MessageQueue{Topic: "TopicZ", BrokerName: "broker-a", QueueID: 0}
	body := []byte(strings.Repeat("compress me ", 1000))
	_, err := p.SendToQueue(context.Background(), &message.Message{Topic: "TopicZ", Body: body}, mq)
	require.NoError(t, err)
	require.Less(t, len(stored(t, e.broker, "TopicZ", 0)[0].Body), len(body), "stored compressed")
	res, err := pc.Pull(context.Background(), mq, "*", 0, 1)
	require.NoError(t, err)
	require.Equal(t, body, res.Messages[0].Body)
}

// TestPullConsumerLongPolling knows the held pull has reached the broker
// from the broker's get-miss counter: the pull found nothing and was
// suspended (nothing else pulls from this broker).
func TestPullConsumerLongPolling(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicL", 1, 6)
	p := e.newProducer(client.ProducerConfig{})
	pc := e.newPullConsumer(client.PullConsumerConfig{Group: "cg",
		BrokerSuspendMaxTime: 5 * time.Second, ConsumerTimeoutWhenSuspend: 10 * time.Second})
	mq := client.MessageQueue{Topic: "TopicL", BrokerName: "broker-a", QueueID: 0}
	_, err := pc.FetchQueues(context.Background(), "TopicL")
	require.NoError(t, err)
	misses := func() string {
		info, err := e.admin.BrokerRuntimeInfo(context.Background(), e.broker.BrokerAddr())
		require.NoError(t, err)
		return info["getMissTps"]
	}
	require.Equal(t, "0.00 0.00 0.00", misses(), "no pull yet")

	type out struct {
		res *client.PullResult
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := pc.PullBlockIfNotFound(context.Background(), mq, "*", 0, 32)
		done <- out{res, err}
	}()
	require.Eventually(t, func() bool { return misses() != "0.00 0.00 0.00" }, waitFor, 5*time.Millisecond)
	select {
	case o := <-done:
		t.Fatalf("held pull answered before any message: %+v %v", o.res, o.err)
	default:
	}
	sendN(t, p, mq, 1, nil)
	o := <-done
	require.NoError(t, o.err)
	require.Equal(t, client.PullFound, o.res.Status)
	require.Len(t, o.res.Messages, 1)

	// With nothing arriving the broker answers NO_NEW_MSG at the end of the hold.
	short := e.newPullConsumer(client.PullConsumerConfig{Group: "cg",
		BrokerSuspendMaxTime: 50 * time.Millisecond, ConsumerTimeoutWhenSuspend: 10 * time.Second})
	res, err := short.PullBlockIfNotFound(context.Background(), mq, "*", 1, 32)
	require.NoError(t, err)
	require.Equal(t, client.PullNoNewMsg, res.Status)

	_, err = client.NewPullConsumer(client.PullConsumerConfig{ClientConfig: e.cfg(), BrokerSuspendMaxTime: time.Minute}, nil)
	require.Error(t, err, "client timeout must exceed the broker hold time")
}

// TestPullConsumerOffsets runs the broker with every message counted as
// paged out, so that a group without a committed offset gets
// QUERY_NOT_FOUND.
func TestPullConsumerOffsets(t *testing.T) {
	e := startEnv(t, offsetsNotInMemory)
	e.createTopicOn(e.broker, "TopicO", 1, 6)
	p := e.newProducer(client.ProducerConfig{})
	pc := e.newPullConsumer(client.PullConsumerConfig{Group: "cg"})
	ctx := context.Background()
	mq := client.MessageQueue{Topic: "TopicO", BrokerName: "broker-a", QueueID: 0}
	before := time.Now()
	sendN(t, p, mq, 5, nil)
	e.waitQueued(mq, 5)

	off, err := pc.QueryOffset(ctx, mq)
	require.NoError(t, err)
	require.Equal(t, int64(-1), off, "QUERY_NOT_FOUND means no offset")
	require.NoError(t, pc.UpdateOffset(ctx, mq, 3))
	off, err = pc.QueryOffset(ctx, mq)
	require.NoError(t, err)
	require.Equal(t, int64(3), off)
	got, ok := e.committed("cg", mq)
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
	// Past the last store time the broker answers the nearest message, the
	// last one (ConsumeQueue.getOffsetInQueueByTime), not the end.
	at, err = pc.SearchOffset(ctx, mq, time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, int64(4), at)
}
