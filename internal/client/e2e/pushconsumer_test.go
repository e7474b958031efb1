package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
	"github.com/gorocket/gorocket/internal/store"
)

func TestPushConsumerConsumesAndCommits(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicA", 4, 6)
	p := e.newProducer(client.ProducerConfig{})
	var got received
	pc := newPushConsumer(t, e.fastConsumerConfig("cg"), "TopicA", "*", got.handler(client.ConsumeSuccess))

	want := bodiesN("a", 40)
	sendBodies(t, p, "TopicA", want, "")
	require.Eventually(t, func() bool { return slices.Equal(want, got.bodies()) }, waitFor, tick)
	got.mu.Lock()
	for _, m := range got.msgs {
		require.Equal(t, "TopicA", m.Topic)
		require.NotEmpty(t, m.Property(message.PropertyConsumeStartTimestamp))
	}
	got.mu.Unlock()
	// Every queue's offset reaches its end on the broker.
	require.Eventually(t, func() bool {
		for q := int32(0); q < 4; q++ {
			off, ok := e.committed("cg", client.MessageQueue{Topic: "TopicA", BrokerName: "broker-a", QueueID: q})
			if !ok || off != int64(storedCount(t, e.broker, "TopicA", q)) {
				return false
			}
		}
		return true
	}, waitFor, tick)
	require.Eventually(t, func() bool { return len(pc.Assigned()) == 5 }, waitFor, tick, "4 queues plus the retry queue")
	require.Len(t, pc.Assigned(), 5, "4 queues plus the retry queue")

	// The heartbeat carries the subscriptions, retry topic included.
	cc, err := e.admin.ConsumerConnections(context.Background(), "cg")
	require.NoError(t, err)
	require.Len(t, cc.ConnectionSet, 1)
	require.Equal(t, pc.ClientID(), cc.ConnectionSet[0].ClientID)
	require.Equal(t, protocol.Clustering, cc.MessageModel)
	var subs []string
	for topic, sd := range cc.SubscriptionTable {
		subs = append(subs, topic+"="+sd.SubString)
	}
	slices.Sort(subs)
	require.Equal(t, []string{"%RETRY%cg=*", "TopicA=*"}, subs)
}

func TestPushConsumerTagFilter(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicT", 2, 6)
	p := e.newProducer(client.ProducerConfig{})
	var got received
	newPushConsumer(t, e.fastConsumerConfig("cg"), "TopicT", "TagA || TagB", got.handler(client.ConsumeSuccess))
	sendBodies(t, p, "TopicT", []string{"c0", "c1"}, "TagC")
	sendBodies(t, p, "TopicT", []string{"a0", "a1"}, "TagA")
	sendBodies(t, p, "TopicT", []string{"b0"}, "TagB")
	sendBodies(t, p, "TopicT", []string{"n0"}, "")
	require.Eventually(t, func() bool { return len(got.bodies()) == 3 }, waitFor, tick)
	require.Equal(t, []string{"a0", "a1", "b0"}, got.bodies())
	// The skipped messages are committed past too.
	require.Eventually(t, func() bool {
		o0, _ := e.committed("cg", client.MessageQueue{Topic: "TopicT", BrokerName: "broker-a", QueueID: 0})
		o1, _ := e.committed("cg", client.MessageQueue{Topic: "TopicT", BrokerName: "broker-a", QueueID: 1})
		return o0+o1 == 6
	}, waitFor, tick)
}

func TestRebalanceTwoConsumersShareQueues(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicR", 4, 6)
	p := e.newProducer(client.ProducerConfig{})
	var got1, got2 received
	c1 := newPushConsumer(t, e.fastConsumerConfig("cg"), "TopicR", "*", got1.handler(client.ConsumeSuccess))
	c2 := newPushConsumer(t, e.fastConsumerConfig("cg"), "TopicR", "*", got2.handler(client.ConsumeSuccess))

	topicQueues := func(pc *client.PushConsumer) []int32 {
		var ids []int32
		for _, mq := range pc.Assigned() {
			if mq.Topic == "TopicR" {
				ids = append(ids, mq.QueueID)
			}
		}
		slices.Sort(ids)
		return ids
	}
	// Sorted ids decide who is first: the first takes queues 0,1.
	first, second := c1, c2
	firstGot := &got1
	if c2.ClientID() < c1.ClientID() {
		first, second = c2, c1
		firstGot = &got2
	}
	require.Eventually(t, func() bool {
		return slices.Equal(topicQueues(first), []int32{0, 1}) && slices.Equal(topicQueues(second), []int32{2, 3})
	}, waitFor, tick)

	want := bodiesN("r", 40)
	sendBodies(t, p, "TopicR", want, "")
	require.Eventually(t, func() bool {
		all := append(got1.bodies(), got2.bodies()...)
		slices.Sort(all)
		return slices.Equal(want, slices.Compact(all))
	}, waitFor, tick)
	require.NotEmpty(t, got1.bodies())
	require.NotEmpty(t, got2.bodies())

	// When one leaves, the other takes every queue.
	require.NoError(t, second.Shutdown(context.Background()))
	require.Eventually(t, func() bool { return slices.Equal(topicQueues(first), []int32{0, 1, 2, 3}) }, waitFor, tick)
	more := bodiesN("s", 12)
	sendBodies(t, p, "TopicR", more, "")
	require.Eventually(t, func() bool {
		n := 0
		for _, b := range firstGot.bodies() {
			if b[0] == 's' {
				n++
			}
		}
		return n == len(more)
	}, waitFor, tick)
}

// failFirst returns a handler that asks for a retry of the first message
// it sees and accepts everything after, recording every attempt.
func failFirst() (client.MessageHandler, func() []*message.MessageExt) {
	var mu sync.Mutex
	var attempts []*message.MessageExt
	h := func(_ context.Context, msgs []*message.MessageExt) client.ConsumeResult {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, msgs...)
		if len(attempts) == 1 {
			return client.ConsumeRetryLater
		}
		return client.ConsumeSuccess
	}
	return h, func() []*message.MessageExt {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(attempts)
	}
}

// scheduled reads the delay-level queue of SCHEDULE_TOPIC_XXXX where a
// retry with delay level 3 waits (queue id = level - 1).
func scheduled(t *testing.T, e *env, level int32) []*message.MessageExt {
	return stored(t, e.broker, store.ScheduleTopic, level-1)
}

// TestPushConsumerRetryThroughSendBack runs the broker with 1 s delay
// levels. The one stored copy in the delay queue carries the broker-set
// ORIGIN_MESSAGE_ID (the offset message id), which tells a
// CONSUMER_SEND_MSG_BACK from the client's re-send fallback (which would set
// the client's id): so exactly one send-back reached the broker.
func TestPushConsumerRetryThroughSendBack(t *testing.T) {
	e := startEnv(t, oneSecondLevels)
	e.createTopicOn(e.broker, "TopicX", 1, 6)
	p := e.newProducer(client.ProducerConfig{})
	h, attempts := failFirst()
	newPushConsumer(t, e.fastConsumerConfig("cg"), "TopicX", "*", h)
	m := &message.Message{Topic: "TopicX", Body: []byte("again")}
	m.SetProperty(message.PropertyTags, "T")
	r, err := p.Send(context.Background(), m)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(attempts()) >= 2 }, waitFor, tick)
	delayed := scheduled(t, e, 3)
	require.Len(t, delayed, 1)
	require.Equal(t, r.OffsetMsgID, delayed[0].Property(message.PropertyOriginMessageID), "stored by the broker's send-back")
	second := attempts()[1]
	require.Equal(t, "TopicX", second.Topic, "the retry topic is replaced by the original")
	require.Equal(t, int32(1), second.ReconsumeTimes)
	require.Equal(t, "again", string(second.Body))
	require.Equal(t, r.MsgID, second.ClientMsgID(), "the client id survives the retry")
	require.Equal(t, r.OffsetMsgID, second.Property(message.PropertyOriginMessageID))
	require.Len(t, stored(t, e.broker, "%RETRY%cg", 0), 1)
}

// TestPushConsumerSendBackFallback makes broker-a refuse the send-back for
// real: after the message is stored, broker-a's brokerPermission becomes
// read-only, so CONSUMER_SEND_MSG_BACK answers NO_PERMISSION while pulls
// still work. The consumer then re-sends the message itself to its retry
// topic, which lands on broker-b, the writable broker (broker-a refuses
// that send too, and the producer path retries it on broker-b).
func TestPushConsumerSendBackFallback(t *testing.T) {
	e := startEnv(t, oneSecondLevels)
	a := e.broker
	b := e.addBroker("broker-b", oneSecondLevels)
	e.createTopicOn(a, "TopicF", 1, 6)
	e.createTopicOn(b, "TopicF", 1, 6)
	e.createTopicOn(b, "%RETRY%cg", 1, 6)
	p := e.newProducer(client.ProducerConfig{})
	r, err := p.SendToQueue(context.Background(), &message.Message{Topic: "TopicF", Body: []byte("fallback")},
		client.MessageQueue{Topic: "TopicF", BrokerName: "broker-a", QueueID: 0})
	require.NoError(t, err)
	require.NoError(t, e.admin.UpdateBrokerConfig(context.Background(), a.BrokerAddr(), map[string]string{"brokerPermission": "4"}))
	_, err = p.SendToQueue(context.Background(), &message.Message{Topic: "TopicF", Body: []byte("refused")},
		client.MessageQueue{Topic: "TopicF", BrokerName: "broker-a", QueueID: 0})
	code, _ := client.CodeOf(err)
	require.Equal(t, protocol.NoPermission, code, "broker-a is read-only now: %v", err)

	h, attempts := failFirst()
	newPushConsumer(t, e.fastConsumerConfig("cg"), "TopicF", "*", h)
	require.Eventually(t, func() bool { return len(attempts()) >= 2 }, waitFor, tick)
	require.Empty(t, stored(t, a, store.ScheduleTopic, 2), "broker-a refused the send-back")
	delayed := stored(t, b, store.ScheduleTopic, 2)
	require.Len(t, delayed, 1)
	require.Equal(t, "3", delayed[0].Property(message.PropertyDelayTimeLevel))
	require.Equal(t, "%RETRY%cg", delayed[0].Property(message.PropertyRealTopic))
	retried := stored(t, b, "%RETRY%cg", 0)
	require.Len(t, retried, 1)
	require.Equal(t, int32(1), retried[0].ReconsumeTimes, "RECONSUME_TIME travelled in the send header")
	require.Equal(t, "TopicF", retried[0].Property(message.PropertyRetryTopic))
	require.Equal(t, r.MsgID, retried[0].Property(message.PropertyOriginMessageID))
	second := attempts()[1]
	require.Equal(t, "TopicF", second.Topic)
	require.Equal(t, "fallback", string(second.Body))
}

// TestPushConsumerFromWhere runs the broker with every message counted as
// paged out, so QUERY_CONSUMER_OFFSET finds nothing for new groups.
func TestPushConsumerFromWhere(t *testing.T) {
	e := startEnv(t, offsetsNotInMemory)
	e.createTopicOn(e.broker, "TopicW", 1, 6)
	p := e.newProducer(client.ProducerConfig{})
	mq := client.MessageQueue{Topic: "TopicW", BrokerName: "broker-a", QueueID: 0}
	sendBodies(t, p, "TopicW", []string{"old0", "old1"}, "")
	// Store times are in ms: make old1 < old2 strictly. The timestamp group
	// starts at old2's store time exactly: the broker's search answers the
	// nearest message, so a time between the two could pick old1.
	before := time.Now().UnixMilli()
	require.Eventually(t, func() bool { return time.Now().UnixMilli() > before+1 }, time.Second, time.Millisecond)
	sendBodies(t, p, "TopicW", []string{"old2"}, "")
	e.waitQueued(mq, 3)
	old := stored(t, e.broker, "TopicW", 0)
	require.Less(t, old[1].StoreTimestamp, old[2].StoreTimestamp)
	mid := time.UnixMilli(old[2].StoreTimestamp)

	var last, first, ts received
	cLast := newPushConsumer(t, e.fastConsumerConfig("g-last"), "TopicW", "*", last.handler(client.ConsumeSuccess))
	cfgFirst := e.fastConsumerConfig("g-first")
	cfgFirst.FromWhere = client.ConsumeFromFirstOffset
	newPushConsumer(t, cfgFirst, "TopicW", "*", first.handler(client.ConsumeSuccess))
	cfgTS := e.fastConsumerConfig("g-ts")
	cfgTS.FromWhere = client.ConsumeFromTimestamp
	cfgTS.ConsumeTimestamp = mid
	newPushConsumer(t, cfgTS, "TopicW", "*", ts.handler(client.ConsumeSuccess))

	// Wait until the last-offset group has its queue and its start offset
	// (its running info, which the broker fetches from the client, shows
	// the queue at offset 3), then send one more.
	require.Eventually(t, func() bool {
		resp, info := consumerRunningInfo(t, e.broker, "g-last", cLast.ClientID())
		if resp.ResponseCode() != protocol.Success {
			return false
		}
		st, ok := info.MQTable[mq]
		return ok && st.CommitOffset == 3
	}, waitFor, tick)
	sendBodies(t, p, "TopicW", []string{"new0"}, "")
	require.Eventually(t, func() bool {
		return slices.Equal(last.bodies(), []string{"new0"}) &&
			slices.Equal(first.bodies(), []string{"new0", "old0", "old1", "old2"}) &&
			slices.Equal(ts.bodies(), []string{"new0", "old2"})
	}, waitFor, tick)
}

func TestPushConsumerCommittedOffsetSurvivesRestart(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicS", 1, 6)
	p := e.newProducer(client.ProducerConfig{})
	cfg := e.fastConsumerConfig("cg")
	cfg.PersistInterval = time.Hour // only Shutdown commits
	var got received
	pc, err := client.NewPushConsumer(cfg, quietLogger(t))
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe("TopicS", "*", got.handler(client.ConsumeSuccess)))
	require.NoError(t, pc.Start())
	sendBodies(t, p, "TopicS", bodiesN("x", 5), "")
	require.Eventually(t, func() bool { return len(got.bodies()) == 5 }, waitFor, tick)
	require.NoError(t, pc.Shutdown(context.Background()))
	off, ok := e.committed("cg", client.MessageQueue{Topic: "TopicS", BrokerName: "broker-a", QueueID: 0})
	require.True(t, ok)
	require.Equal(t, int64(5), off)

	var again received
	newPushConsumer(t, cfg, "TopicS", "*", again.handler(client.ConsumeSuccess))
	sendBodies(t, p, "TopicS", []string{"y0"}, "")
	require.Eventually(t, func() bool { return slices.Equal(again.bodies(), []string{"y0"}) }, waitFor, tick)
}

// TestPushConsumerBroadcasting runs the broker with every message counted
// as paged out, so that QUERY_NOT_FOUND shows no offset was ever committed
// for the group.
func TestPushConsumerBroadcasting(t *testing.T) {
	e := startEnv(t, offsetsNotInMemory)
	e.createTopicOn(e.broker, "TopicB", 2, 6)
	p := e.newProducer(client.ProducerConfig{})
	dir := t.TempDir()
	mk := func(instance string) client.ConsumerConfig {
		cfg := e.fastConsumerConfig("bg")
		cfg.Model = client.Broadcasting
		cfg.FromWhere = client.ConsumeFromFirstOffset
		cfg.OffsetStoreDir = dir
		cfg.InstanceName = instance
		return cfg
	}
	var r1, r2 received
	c1 := newPushConsumer(t, mk("one"), "TopicB", "*", r1.handler(client.ConsumeSuccess))
	c2 := newPushConsumer(t, mk("two"), "TopicB", "*", r2.handler(client.ConsumeSuccess))
	want := bodiesN("b", 10)
	sendBodies(t, p, "TopicB", want, "")
	require.Eventually(t, func() bool { return slices.Equal(want, r1.bodies()) && slices.Equal(want, r2.bodies()) }, waitFor, tick)
	// Every member takes every queue: members are not asked for.
	all := []client.MessageQueue{{Topic: "TopicB", BrokerName: "broker-a", QueueID: 0}, {Topic: "TopicB", BrokerName: "broker-a", QueueID: 1}}
	for _, pc := range []*client.PushConsumer{c1, c2} {
		assigned := pc.Assigned()
		for _, mq := range all {
			require.Contains(t, assigned, mq, "broadcasting never asks for members")
		}
	}
	for _, mq := range all {
		_, ok := e.committed("bg", mq)
		require.False(t, ok, "broadcasting keeps offsets locally")
	}

	require.NoError(t, c1.Shutdown(context.Background()))
	path := filepath.Join(dir, "127.0.0.1@one", "bg", "offsets.json")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	raw, err := protocol.RawMember(data, "offsetTable")
	require.NoError(t, err)
	table, err := protocol.DecodeMQOffsetTable(raw)
	require.NoError(t, err)
	var sum int64
	for mq, off := range table {
		require.Equal(t, "TopicB", mq.Topic)
		sum += off
	}
	require.Equal(t, int64(10), sum)

	// Restarted, it resumes from the file: only new messages arrive.
	var r3 received
	newPushConsumer(t, mk("one"), "TopicB", "*", r3.handler(client.ConsumeSuccess))
	sendBodies(t, p, "TopicB", []string{"late"}, "")
	require.Eventually(t, func() bool { return slices.Equal(r3.bodies(), []string{"late"}) }, waitFor, tick)
}

// TestPushConsumerFlowControl reads how many messages the broker handed
// out from its msgGetTotalTodayNow counter: with the handler blocked,
// every pulled message is still in the consumer's cache.
func TestPushConsumerFlowControl(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicFC", 1, 6)
	p := e.newProducer(client.ProducerConfig{})
	sendBodies(t, p, "TopicFC", bodiesN("f", 60), "")
	e.waitQueued(client.MessageQueue{Topic: "TopicFC", BrokerName: "broker-a", QueueID: 0}, 60)
	release := make(chan struct{})
	var got received
	h := func(ctx context.Context, msgs []*message.MessageExt) client.ConsumeResult {
		select {
		case <-release:
		case <-ctx.Done():
			return client.ConsumeRetryLater
		}
		got.add(msgs)
		return client.ConsumeSuccess
	}
	cfg := e.fastConsumerConfig("cg")
	cfg.FromWhere = client.ConsumeFromFirstOffset
	cfg.PullBatchSize = 4
	cfg.PullThresholdForQueue = 8
	cfg.ConsumeGoroutines = 2
	newPushConsumer(t, cfg, "TopicFC", "*", h)
	pulled := func() int64 { return e.runtimeStat(e.broker, "msgGetTotalTodayNow") }
	require.Eventually(t, func() bool { return pulled() >= 8 }, waitFor, 5*time.Millisecond)
	// Pulling paused at the threshold: at most one pull batch over it.
	n := pulled()
	require.LessOrEqual(t, n, int64(8+4-1))
	require.Less(t, n, int64(60), "it did not pull the whole queue")
	close(release)
	require.Eventually(t, func() bool { return len(got.bodies()) == 60 }, waitFor, 5*time.Millisecond)
}
