package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// metaEnv is a real remoting server on loopback with the metadata
// processors over fresh tables in a temp dir.
type metaEnv struct {
	t       testing.TB
	srv     *remoting.Server
	addr    string
	d       MetaDeps
	deleted []string
	mu      sync.Mutex
}

func newMetaEnv(t testing.TB, mutate func(c *Config, d *MetaDeps)) *metaEnv {
	t.Helper()
	lg := zap.NewNop()
	if tt, ok := t.(*testing.T); ok {
		lg = zaptest.NewLogger(tt)
	}
	dir := t.TempDir()
	cfg := testConfig()
	e := &metaEnv{t: t}
	d := MetaDeps{}
	if mutate != nil {
		mutate(cfg, &d)
	}
	var err error
	d.Config = NewSharedConfig(*cfg, map[string]string{"flushDiskType": "ASYNC_FLUSH"})
	d.Topics, err = NewTopicTable(dir, cfg, lg)
	require.NoError(t, err)
	d.Groups, err = NewSubscriptionGroupTable(dir, cfg.AutoCreateSubscriptionGroup, lg)
	require.NoError(t, err)
	d.Offsets, err = NewConsumerOffsetTable(dir, lg)
	require.NoError(t, err)
	d.Clients = NewClientRegistry(ClientRegistryConfig{NotifyConsumerIdsChangedEnable: cfg.NotifyConsumerIdsChangedEnable}, lg)
	d.Locks = NewQueueLocks(0, lg)
	if d.DeleteTopicFiles == nil {
		d.DeleteTopicFiles = func(topic string) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.deleted = append(e.deleted, topic)
			return nil
		}
	}
	e.d = d
	e.srv = remoting.NewServer(remoting.ServerConfig{ListenAddr: "127.0.0.1:0"}, lg)
	RegisterMeta(e.srv, NewMetaProcessor(d, lg), MetaPools{})
	require.NoError(t, e.srv.Start())
	e.addr = e.srv.Addr()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.srv.Shutdown(ctx)
	})
	return e
}

// testClient is one client connection that records the
// NOTIFY_CONSUMER_IDS_CHANGED requests it gets.
type testClient struct {
	cli      *remoting.Client
	addr     string
	mu       sync.Mutex
	notified []string
}

func (e *metaEnv) client() *testClient {
	tc := &testClient{cli: remoting.NewClient(remoting.ClientConfig{}, nil), addr: e.addr}
	tc.cli.Register(protocol.NotifyConsumerIdsChanged, func(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
		var h protocol.NotifyConsumerIdsChangedRequestHeader
		if err := protocol.DecodeHeader(req.ExtFields, &h); err == nil {
			tc.mu.Lock()
			tc.notified = append(tc.notified, h.ConsumerGroup)
			tc.mu.Unlock()
		}
		return nil
	})
	e.t.Cleanup(func() { _ = tc.cli.Close() })
	return tc
}

func (tc *testClient) notifications() []string {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return append([]string(nil), tc.notified...)
}

func (tc *testClient) invoke(t *testing.T, req *remoting.Command) *remoting.Command {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := tc.cli.Invoke(ctx, tc.addr, req)
	require.NoError(t, err)
	return resp
}

func (tc *testClient) localAddr(t *testing.T) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := tc.cli.Conn(ctx, tc.addr)
	require.NoError(t, err)
	return c.LocalAddr()
}

// goHeartbeat is a heartbeat body as the Go client v2.1.2 writes it
// (wire-protocol.md §8.1): string codeSet, nanosecond subVersion.
func goHeartbeat(clientID, group string, subVersion int64, topics ...string) []byte {
	subs := ""
	for i, topic := range topics {
		if i > 0 {
			subs += ","
		}
		subs += fmt.Sprintf(`{"classFilterMode":false,"topic":%q,"subString":"TagA || TagB","tagsSet":["TagA","TagB"],"codeSet":["2598919","2598920"],"subVersion":%d,"expressionType":"TAG"}`, topic, subVersion)
	}
	return fmt.Appendf(nil, `{"clientID":%q,"producerDataSet":[{"groupName":"pg"}],"consumerDataSet":[{"groupName":%q,"consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","subscriptionDataSet":[%s],"unitMode":false}]}`,
		clientID, group, subs)
}

func heartbeatReq(body []byte) *remoting.Command {
	req := remoting.NewRequest(protocol.HeartBeat, nil, body)
	req.Language = "GO"
	req.Version = 317
	return req
}

func requireCode(t *testing.T, resp *remoting.Command, code protocol.ResponseCode, remark string) {
	t.Helper()
	require.Equal(t, code, resp.ResponseCode(), "remark: %s", resp.Remark)
	if remark != "" {
		require.Contains(t, resp.Remark, remark)
	}
}

func consumerList(t *testing.T, c *testClient, group string) []string {
	resp := c.invoke(t, remoting.NewRequest(protocol.GetConsumerListByGroup,
		protocol.EncodeHeader(&protocol.GetConsumerListByGroupRequestHeader{ConsumerGroup: group}), nil))
	if resp.ResponseCode() != protocol.Success {
		return nil
	}
	var body protocol.ConsumerListBody
	require.NoError(t, json.Unmarshal(resp.Body, &body))
	return body.ConsumerIDList
}

func TestMetaProcessorHeartbeatMembership(t *testing.T) {
	e := newMetaEnv(t, nil)
	a, b := e.client(), e.client()

	resp := a.invoke(t, heartbeatReq(goHeartbeat("10.0.0.1@a", "cg", 1795339958951945534, "TopicA")))
	requireCode(t, resp, protocol.Success, "")
	require.GreaterOrEqual(t, resp.Version, int32(232))
	require.Equal(t, []string{"10.0.0.1@a"}, consumerList(t, a, "cg"))
	// The group and its retry topic exist now.
	require.NotNil(t, e.d.Groups.Get("cg"))
	require.Equal(t, &protocol.TopicConfig{Perm: 6, ReadQueueNums: 1, WriteQueueNums: 1, TopicFilterType: "SINGLE_TAG", TopicName: "%RETRY%cg"}, e.d.Topics.Get("%RETRY%cg"))
	sub := e.d.Clients.ConsumerSubscription("cg", "TopicA")
	require.NotNil(t, sub)
	require.Equal(t, protocol.CodeSet{2598919, 2598920}, sub.CodeSet)
	require.Equal(t, int64(1795339958951945534), sub.SubVersion)
	// A first member is told too (Java notifies every channel of the group).
	require.Eventually(t, func() bool { return len(a.notifications()) == 1 }, 5*time.Second, 5*time.Millisecond)

	// B joins: both members are told.
	requireCode(t, b.invoke(t, heartbeatReq(goHeartbeat("10.0.0.1@b", "cg", 1, "TopicA"))), protocol.Success, "")
	require.Equal(t, []string{"10.0.0.1@a", "10.0.0.1@b"}, consumerList(t, a, "cg"))
	require.Eventually(t, func() bool { return len(a.notifications()) == 2 && len(b.notifications()) == 1 }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, []string{"cg", "cg"}, a.notifications())

	// A repeated heartbeat changes nothing and tells no one.
	requireCode(t, b.invoke(t, heartbeatReq(goHeartbeat("10.0.0.1@b", "cg", 1, "TopicA"))), protocol.Success, "")
	// A new topic in A's subscription is a change: everyone is told.
	requireCode(t, a.invoke(t, heartbeatReq(goHeartbeat("10.0.0.1@a", "cg", 2, "TopicA", "TopicB"))), protocol.Success, "")
	require.Eventually(t, func() bool { return len(a.notifications()) == 3 && len(b.notifications()) == 2 }, 5*time.Second, 5*time.Millisecond)

	// B's connection closes: it leaves at once and A is told.
	require.NoError(t, b.cli.Close())
	require.Eventually(t, func() bool { return len(consumerList(t, a, "cg")) == 1 }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, []string{"10.0.0.1@a"}, consumerList(t, a, "cg"))
	require.Eventually(t, func() bool { return len(a.notifications()) == 4 }, 5*time.Second, 5*time.Millisecond)
	require.Len(t, b.notifications(), 2)
	require.Len(t, e.d.Clients.ProducerChannels("pg"), 1, "B's producer registration is gone too")
}

func TestMetaProcessorNotifyDisabled(t *testing.T) {
	e := newMetaEnv(t, nil)
	g := protocol.NewSubscriptionGroupConfig("quiet")
	g.NotifyConsumerIdsChangedEnable = false
	require.NoError(t, e.d.Groups.Update(g))
	a, b := e.client(), e.client()
	requireCode(t, a.invoke(t, heartbeatReq(goHeartbeat("x@a", "quiet", 1, "T"))), protocol.Success, "")
	requireCode(t, b.invoke(t, heartbeatReq(goHeartbeat("x@b", "quiet", 1, "T"))), protocol.Success, "")
	// A notification for another group, sent after, proves ordering: if
	// "quiet" had been notified, it would have arrived first.
	requireCode(t, a.invoke(t, heartbeatReq(goHeartbeat("x@a", "loud", 1, "T"))), protocol.Success, "")
	requireCode(t, b.invoke(t, heartbeatReq(goHeartbeat("x@b", "loud", 1, "T"))), protocol.Success, "")
	require.Eventually(t, func() bool { return len(a.notifications()) == 2 && len(b.notifications()) == 1 }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, []string{"loud", "loud"}, a.notifications())
	require.Equal(t, []string{"loud"}, b.notifications())
}

func TestMetaProcessorUnregisterClient(t *testing.T) {
	e := newMetaEnv(t, nil)
	a, b := e.client(), e.client()
	requireCode(t, a.invoke(t, heartbeatReq(goHeartbeat("x@a", "cg", 1, "T"))), protocol.Success, "")
	requireCode(t, b.invoke(t, heartbeatReq(goHeartbeat("x@b", "cg", 1, "T"))), protocol.Success, "")
	require.Eventually(t, func() bool { return len(a.notifications()) == 2 }, 5*time.Second, 5*time.Millisecond)

	req := remoting.NewRequest(protocol.UnregisterClient, protocol.EncodeHeader(&protocol.UnregisterClientRequestHeader{
		ClientID: "x@b", ConsumerGroup: "cg", ProducerGroup: "pg"}), nil)
	requireCode(t, b.invoke(t, req), protocol.Success, "")
	require.Equal(t, []string{"x@a"}, consumerList(t, a, "cg"))
	require.Len(t, e.d.Clients.ProducerChannels("pg"), 1)
	require.Eventually(t, func() bool { return len(a.notifications()) == 3 }, 5*time.Second, 5*time.Millisecond)

	requireCode(t, b.invoke(t, remoting.NewRequest(protocol.UnregisterClient, nil, nil)), protocol.SystemError, "the custom field <clientID> is null")
}

func TestMetaProcessorConnectionLists(t *testing.T) {
	e := newMetaEnv(t, nil)
	a := e.client()
	requireCode(t, a.invoke(t, heartbeatReq(goHeartbeat("10.0.0.1@a", "cg", 7, "TopicA"))), protocol.Success, "")

	resp := a.invoke(t, remoting.NewRequest(protocol.GetConsumerConnectionList,
		protocol.EncodeHeader(&protocol.GetConsumerConnectionListRequestHeader{ConsumerGroup: "cg"}), nil))
	requireCode(t, resp, protocol.Success, "")
	want := fmt.Sprintf(`{"connectionSet":[{"clientAddr":%q,"clientId":"10.0.0.1@a","language":"GO","version":317}],"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","subscriptionTable":{"TopicA":{"classFilterMode":false,"codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB","subVersion":7,"tagsSet":["TagA","TagB"],"topic":"TopicA"}}}`, a.localAddr(t))
	require.Equal(t, want, string(resp.Body))

	resp = a.invoke(t, remoting.NewRequest(protocol.GetConsumerConnectionList,
		protocol.EncodeHeader(&protocol.GetConsumerConnectionListRequestHeader{ConsumerGroup: "nobody"}), nil))
	requireCode(t, resp, protocol.ConsumerNotOnline, "the consumer group[nobody] not online")

	resp = a.invoke(t, remoting.NewRequest(protocol.GetProducerConnectionList,
		protocol.EncodeHeader(&protocol.GetProducerConnectionListRequestHeader{ProducerGroup: "pg"}), nil))
	requireCode(t, resp, protocol.Success, "")
	require.Equal(t, fmt.Sprintf(`{"connectionSet":[{"clientAddr":%q,"clientId":"10.0.0.1@a","language":"GO","version":317}]}`, a.localAddr(t)), string(resp.Body))
	resp = a.invoke(t, remoting.NewRequest(protocol.GetProducerConnectionList,
		protocol.EncodeHeader(&protocol.GetProducerConnectionListRequestHeader{ProducerGroup: "none"}), nil))
	requireCode(t, resp, protocol.SystemError, "the producer group[none] not exist")

	resp = a.invoke(t, remoting.NewRequest(protocol.GetConsumerListByGroup,
		protocol.EncodeHeader(&protocol.GetConsumerListByGroupRequestHeader{ConsumerGroup: "nobody"}), nil))
	requireCode(t, resp, protocol.SystemError, "no consumer for this group, nobody")
	require.Empty(t, resp.Body)
}

func TestMetaProcessorConsumerOffsets(t *testing.T) {
	var minOffset atomic.Int64
	var inDisk atomic.Bool
	e := newMetaEnv(t, func(_ *Config, d *MetaDeps) {
		d.MinOffset = func(topic string, qid int32) int64 { return minOffset.Load() }
		d.OffsetInDisk = func(topic string, qid int32, off int64) bool { return inDisk.Load() }
	})
	a := e.client()
	query := func(qid string) *remoting.Command {
		return a.invoke(t, remoting.NewRequest(protocol.QueryConsumerOffset,
			map[string]string{"consumerGroup": "cg", "topic": "T", "queueId": qid, "bname": "broker-a"}, nil))
	}

	// Never committed, queue starts at 0 and is in memory: 0.
	resp := query("0")
	requireCode(t, resp, protocol.Success, "")
	require.Equal(t, "0", resp.ExtFields["offset"])
	// Queue no longer starts at 0, or offset 0 is on disk: not found.
	minOffset.Store(5)
	requireCode(t, query("0"), protocol.QueryNotFound, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")
	minOffset.Store(0)
	inDisk.Store(true)
	requireCode(t, query("0"), protocol.QueryNotFound, "Not found, V3_0_6_SNAPSHOT")

	update := remoting.NewRequest(protocol.UpdateConsumerOffset, protocol.EncodeHeader(&protocol.UpdateConsumerOffsetRequestHeader{
		ConsumerGroup: "cg", Topic: "T", QueueID: 0, CommitOffset: 42}), nil)
	requireCode(t, a.invoke(t, update), protocol.Success, "")
	resp = query("0")
	requireCode(t, resp, protocol.Success, "")
	require.Equal(t, "42", resp.ExtFields["offset"])

	resp = a.invoke(t, remoting.NewRequest(protocol.GetAllConsumerOffset, nil, nil))
	requireCode(t, resp, protocol.Success, "")
	require.Equal(t, `{"offsetTable":{"T@cg":{0:42}}}`, string(resp.Body))

	// Bad headers.
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.QueryConsumerOffset,
		map[string]string{"consumerGroup": "cg", "topic": "T"}, nil)), protocol.SystemError, "the custom field <queueId> is null")
	requireCode(t, query("abc"), protocol.SystemError, `the custom field <queueId> is not a number: "abc"`)
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateConsumerOffset,
		map[string]string{"consumerGroup": "cg", "topic": "T", "queueId": "0", "commitOffset": "x"}, nil)),
		protocol.SystemError, "commitOffset")
}

func TestMetaProcessorLockBatch(t *testing.T) {
	e := newMetaEnv(t, nil)
	a := e.client()
	mq := func(q int32) protocol.MessageQueue {
		return protocol.MessageQueue{BrokerName: "broker-a", QueueID: q, Topic: "TopicA"}
	}
	lock := func(client string, qs ...int32) []protocol.MessageQueue {
		body := protocol.LockBatchRequestBody{ClientID: client, ConsumerGroup: "cg"}
		for _, q := range qs {
			body.MQSet = append(body.MQSet, mq(q))
		}
		b, err := json.Marshal(body)
		require.NoError(t, err)
		resp := a.invoke(t, remoting.NewRequest(protocol.LockBatchMq, nil, b))
		requireCode(t, resp, protocol.Success, "")
		var out protocol.LockBatchResponseBody
		require.NoError(t, json.Unmarshal(resp.Body, &out))
		require.NotNil(t, out.LockOKMQSet)
		return out.LockOKMQSet
	}
	require.Equal(t, []protocol.MessageQueue{mq(0), mq(1)}, lock("c1", 0, 1))
	require.Equal(t, []protocol.MessageQueue{mq(2)}, lock("c2", 1, 2))
	require.Equal(t, []protocol.MessageQueue{mq(0), mq(1)}, lock("c1", 0, 1), "renewal")

	// The Go client's member order is accepted; unlock by a non-holder is ignored.
	unlock := func(client string, q int32) {
		body := fmt.Sprintf(`{"consumerGroup":"cg","clientId":%q,"mqSet":[{"topic":"TopicA","brokerName":"broker-a","queueId":%d}]}`, client, q)
		requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UnlockBatchMq, nil, []byte(body))), protocol.Success, "")
	}
	unlock("c2", 1)
	require.Empty(t, lock("c2", 1))
	unlock("c1", 1)
	require.Equal(t, []protocol.MessageQueue{mq(1)}, lock("c2", 1))

	resp := a.invoke(t, remoting.NewRequest(protocol.LockBatchMq, nil, []byte(`{"clientId":`)))
	requireCode(t, resp, protocol.SystemError, "decode LockBatchRequestBody body")
	resp = a.invoke(t, remoting.NewRequest(protocol.LockBatchMq, nil, nil))
	requireCode(t, resp, protocol.SystemError, "LockBatchRequestBody body is empty")
	resp = a.invoke(t, remoting.NewRequest(protocol.LockBatchMq, nil, []byte(`{"mqSet":[]}`)))
	requireCode(t, resp, protocol.SystemError, "needs consumerGroup and clientId")
	resp = a.invoke(t, remoting.NewRequest(protocol.UnlockBatchMq, nil, []byte(`[1,2]`)))
	requireCode(t, resp, protocol.SystemError, "decode UnlockBatchRequestBody body")
}

func TestMetaProcessorTopicAdmin(t *testing.T) {
	e := newMetaEnv(t, nil)
	a := e.client()
	var changed []string
	var mu sync.Mutex
	e.d.Topics.OnChange(func(c []protocol.TopicConfig) {
		mu.Lock()
		defer mu.Unlock()
		for _, tc := range c {
			changed = append(changed, tc.TopicName)
		}
	})
	create := func(h protocol.CreateTopicRequestHeader) *remoting.Command {
		return a.invoke(t, remoting.NewRequest(protocol.UpdateAndCreateTopic, protocol.EncodeHeader(&h), nil))
	}
	h := protocol.CreateTopicRequestHeader{Topic: "TopicX", DefaultTopic: "TBW102", ReadQueueNums: 4, WriteQueueNums: 2,
		Perm: 6, TopicFilterType: "MULTI_TAG"}
	requireCode(t, create(h), protocol.Success, "")
	require.Equal(t, &protocol.TopicConfig{Perm: 6, ReadQueueNums: 4, WriteQueueNums: 2, TopicFilterType: "MULTI_TAG", TopicName: "TopicX"}, e.d.Topics.Get("TopicX"))
	mu.Lock()
	require.Equal(t, []string{"TopicX"}, changed)
	mu.Unlock()

	resp := a.invoke(t, remoting.NewRequest(protocol.GetAllTopicConfig, nil, nil))
	requireCode(t, resp, protocol.Success, "")
	m, v, err := DecodeTopicTable(resp.Body)
	require.NoError(t, err)
	require.Contains(t, m, "TopicX")
	require.Equal(t, e.d.Topics.DataVersion(), v)

	bad := []struct {
		name   string
		mutate func(h *protocol.CreateTopicRequestHeader)
		remark string
	}{
		{"illegal chars", func(h *protocol.CreateTopicRequestHeader) { h.Topic = "a b" }, "contains illegal characters"},
		{"too long", func(h *protocol.CreateTopicRequestHeader) {
			h.Topic = string(make([]byte, 0)) + fmt.Sprintf("%0128d", 0)
		}, "longer than topic max length"},
		{"system topic", func(h *protocol.CreateTopicRequestHeader) { h.Topic = "SCHEDULE_TOPIC_XXXX" }, "The topic[SCHEDULE_TOPIC_XXXX] is conflict with system topic."},
		{"cluster name", func(h *protocol.CreateTopicRequestHeader) { h.Topic = "DefaultCluster" }, "conflict with system topic"},
		{"rmq_sys_ prefix", func(h *protocol.CreateTopicRequestHeader) { h.Topic = "rmq_sys_x" }, "conflict with system topic"},
		{"filter type", func(h *protocol.CreateTopicRequestHeader) { h.TopicFilterType = "TAGS" }, "topicFilterType"},
		{"negative queues", func(h *protocol.CreateTopicRequestHeader) { h.ReadQueueNums = -1 }, "readQueueNums"},
		{"perm", func(h *protocol.CreateTopicRequestHeader) { h.Perm = 99 }, "perm"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			hh := h
			tc.mutate(&hh)
			requireCode(t, create(hh), protocol.SystemError, tc.remark)
		})
	}
	ext := protocol.EncodeHeader(&h)
	delete(ext, "perm")
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateAndCreateTopic, ext, nil)), protocol.SystemError, "the custom field <perm> is null")
	ext["perm"] = "rw"
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateAndCreateTopic, ext, nil)), protocol.SystemError, `the custom field <perm> is not a number: "rw"`)

	del := func(topic string) *remoting.Command {
		return a.invoke(t, remoting.NewRequest(protocol.DeleteTopicInBroker,
			protocol.EncodeHeader(&protocol.DeleteTopicRequestHeader{Topic: topic}), nil))
	}
	requireCode(t, del("TopicX"), protocol.Success, "")
	require.Nil(t, e.d.Topics.Get("TopicX"))
	e.mu.Lock()
	require.Equal(t, []string{"TopicX"}, e.deleted)
	e.mu.Unlock()
	requireCode(t, del("TBW102"), protocol.SystemError, "conflict with system topic")
	requireCode(t, del(""), protocol.SystemError, "The specified topic is blank.")
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.DeleteTopicInBroker, nil, nil)), protocol.SystemError, "the custom field <topic> is null")
}

func TestMetaProcessorSlaveRefusesAdminWrites(t *testing.T) {
	e := newMetaEnv(t, func(c *Config, _ *MetaDeps) {
		c.BrokerRole = Slave
		c.BrokerID = 1
	})
	a := e.client()
	h := protocol.CreateTopicRequestHeader{Topic: "T", DefaultTopic: "TBW102", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: "SINGLE_TAG"}
	const remark = "Can't modify topic or subscription group from slave broker, please execute it from master broker."
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateAndCreateTopic, protocol.EncodeHeader(&h), nil)), protocol.SystemError, remark)
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.DeleteTopicInBroker, map[string]string{"topic": "T"}, nil)), protocol.SystemError, remark)
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateAndCreateSubscriptiongroup, nil, []byte(`{"groupName":"g"}`))), protocol.SystemError, remark)
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.DeleteSubscriptiongroup, map[string]string{"groupName": "g"}, nil)), protocol.SystemError, remark)
	require.Nil(t, e.d.Topics.Get("T"))
}

func TestMetaProcessorGroupAdmin(t *testing.T) {
	e := newMetaEnv(t, nil)
	a := e.client()
	body := `{"brokerId":0,"consumeBroadcastEnable":false,"consumeEnable":true,"consumeFromMinEnable":true,"groupName":"orders","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":3,"retryQueueNums":2,"whichBrokerWhenConsumeSlowly":1}`
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateAndCreateSubscriptiongroup, nil, []byte(body))), protocol.Success, "")
	g := e.d.Groups.Get("orders")
	require.NotNil(t, g)
	require.EqualValues(t, 3, g.RetryMaxTimes)
	require.False(t, g.ConsumeBroadcastEnable)

	resp := a.invoke(t, remoting.NewRequest(protocol.GetAllSubscriptiongroupConfig, nil, nil))
	requireCode(t, resp, protocol.Success, "")
	require.Contains(t, string(resp.Body), `"orders":`+body)
	var w protocol.SubscriptionGroupWrapper
	require.NoError(t, json.Unmarshal(resp.Body, &w))
	require.Equal(t, *g, w.SubscriptionGroupTable["orders"])

	e.d.Offsets.CommitOffset("h", "orders", "T", 0, 5)
	e.d.Offsets.CommitOffset("h", "keep", "T", 0, 5)
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.DeleteSubscriptiongroup,
		protocol.EncodeHeader(&protocol.DeleteSubscriptionGroupRequestHeader{GroupName: "keep"}), nil)), protocol.Success, "")
	require.Equal(t, int64(5), e.d.Offsets.QueryOffset("keep", "T", 0))
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.DeleteSubscriptiongroup,
		protocol.EncodeHeader(&protocol.DeleteSubscriptionGroupRequestHeader{GroupName: "orders", RemoveOffset: true}), nil)), protocol.Success, "")
	require.Nil(t, e.d.Groups.Get("orders"))
	require.Equal(t, int64(-1), e.d.Offsets.QueryOffset("orders", "T", 0))

	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateAndCreateSubscriptiongroup, nil, []byte(`{"groupName":`))), protocol.SystemError, "decode SubscriptionGroupConfig body")
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateAndCreateSubscriptiongroup, nil, []byte(`{"retryMaxTimes":"many"}`))), protocol.SystemError, "decode SubscriptionGroupConfig body")
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateAndCreateSubscriptiongroup, nil, []byte(`{}`))), protocol.SystemError, "groupName is blank")
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.DeleteSubscriptiongroup, nil, nil)), protocol.SystemError, "the custom field <groupName> is null")
}

func TestMetaProcessorBrokerConfig(t *testing.T) {
	e := newMetaEnv(t, nil)
	a := e.client()
	resp := a.invoke(t, remoting.NewRequest(protocol.GetBrokerConfig, nil, nil))
	requireCode(t, resp, protocol.Success, "")
	require.Contains(t, string(resp.Body), "brokerName=broker-a\n")
	require.Contains(t, string(resp.Body), "flushDiskType=ASYNC_FLUSH\n")
	var v protocol.DataVersion
	require.NoError(t, json.Unmarshal([]byte(resp.ExtFields["version"]), &v))
	require.Equal(t, e.d.Config.Version(), v)

	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateBrokerConfig, nil, []byte("brokerPermission=4\nlongPollingEnable = false\n"))), protocol.Success, "")
	require.EqualValues(t, 4, e.d.Config.Config().BrokerPermission)
	require.False(t, e.d.Config.Config().LongPollingEnable)
	require.Equal(t, v.Counter+1, e.d.Config.Version().Counter)

	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateBrokerConfig, nil, []byte("brokerConfigPath=/tmp/x"))), protocol.NoPermission, "Can not update config in black list.")
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateBrokerConfig, nil, []byte("configBlackList=x"))), protocol.NoPermission, "Can not update config in black list.")
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateBrokerConfig, nil, []byte("brokerRole=slave"))), protocol.SystemError, "brokerRole")
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateBrokerConfig, nil, []byte("defaultTopicQueueNums=eight"))), protocol.SystemError, "defaultTopicQueueNums")
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.UpdateBrokerConfig, nil, []byte("a=\\u12"))), protocol.SystemError, "string2Properties error")
	require.EqualValues(t, 4, e.d.Config.Config().BrokerPermission)
}

func TestMetaProcessorBadBodies(t *testing.T) {
	e := newMetaEnv(t, func(c *Config, _ *MetaDeps) { c.EnablePropertyFilter = false })
	a := e.client()
	for _, body := range []string{"", "garbage", `{"clientID":5}`, `{"consumerDataSet":[{"subscriptionDataSet":[{"codeSet":["x"]}]}]}`,
		`{"consumerDataSet":[{"subscriptionDataSet":[{"subVersion":1.5e30}]}]}`, `{"consumerDataSet":[{"groupName":""}]}`, `{"producerDataSet":[{}]}`} {
		resp := a.invoke(t, heartbeatReq([]byte(body)))
		requireCode(t, resp, protocol.SystemError, "")
		require.NotEmpty(t, resp.Remark, body)
	}

	check := func(body string) *remoting.Command {
		return a.invoke(t, remoting.NewRequest(protocol.CheckClientConfig, nil, []byte(body)))
	}
	requireCode(t, check(`{"clientId":"c","group":"g","subscriptionData":{"expressionType":"TAG","subString":"*","topic":"T"}}`), protocol.Success, "")
	requireCode(t, check(`{"clientId":"c","group":"g","subscriptionData":{"subString":"*","topic":"T"}}`), protocol.Success, "")
	requireCode(t, check(`{"clientId":"c","group":"g","subscriptionData":{"expressionType":"SQL92","subString":"a > 1","topic":"T"}}`),
		protocol.SystemError, "The broker does not support consumer to filter message by SQL92")
	requireCode(t, check(`{"clientId"`), protocol.SystemError, "decode CheckClientRequestBody body")
}

func TestMetaProcessorCheckClientConfigSQL92Enabled(t *testing.T) {
	e := newMetaEnv(t, func(c *Config, _ *MetaDeps) { c.EnablePropertyFilter = true })
	a := e.client()
	check := func(body string) *remoting.Command {
		return a.invoke(t, remoting.NewRequest(protocol.CheckClientConfig, nil, []byte(body)))
	}
	requireCode(t, check(`{"clientId":"c","group":"g","subscriptionData":{"expressionType":"SQL92","subString":"a > 1","topic":"T"}}`),
		protocol.SystemError, "The broker does not support consumer to filter message by SQL92")
	requireCode(t, check(`{"clientId":"c","group":"g","subscriptionData":{"expressionType":"TAG","subString":"*","topic":"T"}}`), protocol.Success, "")
	requireCode(t, check(`{"clientId":"c","group":"g","subscriptionData":{"expressionType":"XPATH","subString":"/a","topic":"T"}}`), protocol.SubscriptionParseFailed, "XPATH")
}

func TestMetaProcessorAutoCreateGroupOff(t *testing.T) {
	e := newMetaEnv(t, func(c *Config, _ *MetaDeps) { c.AutoCreateSubscriptionGroup = false })
	a := e.client()
	// The consumer still registers (Java does), but no group config or
	// retry topic is created.
	requireCode(t, a.invoke(t, heartbeatReq(goHeartbeat("x@a", "cg", 1, "T"))), protocol.Success, "")
	require.Equal(t, []string{"x@a"}, consumerList(t, a, "cg"))
	require.Nil(t, e.d.Groups.Get("cg"))
	require.Nil(t, e.d.Topics.Get("%RETRY%cg"))
}

// FuzzMetaProcessorBodies feeds arbitrary bodies to every processor that
// decodes one without a connection: each must answer, never panic.
func FuzzMetaProcessorBodies(f *testing.F) {
	f.Add([]byte(`{"clientId":"c","consumerGroup":"cg","mqSet":[{"brokerName":"b","queueId":0,"topic":"T"}]}`))
	f.Add([]byte(`{"clientId":"c","group":"g","subscriptionData":{"expressionType":"SQL92","subString":"a>1","topic":"T"}}`))
	f.Add([]byte(`{"groupName":"g","retryMaxTimes":3}`))
	f.Add([]byte("brokerPermission=4\n"))
	dir := f.TempDir()
	lg := zap.NewNop()
	cfg := testConfig()
	d := MetaDeps{Config: NewSharedConfig(*cfg, nil), Locks: NewQueueLocks(0, lg)}
	var err error
	d.Topics, err = NewTopicTable(dir, cfg, lg)
	require.NoError(f, err)
	d.Groups, err = NewSubscriptionGroupTable(dir, true, lg)
	require.NoError(f, err)
	d.Offsets, err = NewConsumerOffsetTable(dir, lg)
	require.NoError(f, err)
	d.Clients = NewClientRegistry(ClientRegistryConfig{}, lg)
	p := NewMetaProcessor(d, lg)
	handlers := map[protocol.RequestCode]func(*remoting.Conn, *remoting.Command) *remoting.Command{
		protocol.LockBatchMq:                      p.LockBatchMQ,
		protocol.UnlockBatchMq:                    p.UnlockBatchMQ,
		protocol.CheckClientConfig:                p.CheckClientConfig,
		protocol.UpdateAndCreateSubscriptiongroup: p.UpdateAndCreateSubscriptionGroup,
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for code, h := range handlers {
			resp := h(nil, remoting.NewRequest(code, nil, body))
			require.NotNil(t, resp)
			if resp.ResponseCode() != protocol.Success {
				require.NotEmpty(t, resp.Remark)
			}
		}
	})
}

func TestMetaProcessorTopicConsumersAndProducers(t *testing.T) {
	e := newMetaEnv(t, nil)
	a := e.client()
	requireCode(t, a.invoke(t, heartbeatReq(goHeartbeat("x@a", "live", 1, "TopicA"))), protocol.Success, "")
	e.d.Offsets.CommitOffset("h", "stored", "TopicA", 0, 1)
	e.d.Offsets.CommitOffset("h", "live", "TopicA", 0, 1)
	e.d.Offsets.CommitOffset("h", "other", "TopicB", 0, 1)

	resp := a.invoke(t, remoting.NewRequest(protocol.QueryTopicConsumeByWho,
		protocol.EncodeHeader(&protocol.QueryTopicConsumeByWhoRequestHeader{Topic: "TopicA"}), nil))
	requireCode(t, resp, protocol.Success, "")
	require.Equal(t, `{"groupList":["live","stored"]}`, string(resp.Body))
	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.QueryTopicConsumeByWho, nil, nil)), protocol.SystemError, "the custom field <topic> is null")

	resp = a.invoke(t, remoting.NewRequest(protocol.GetSystemTopicListFromBroker, nil, nil))
	requireCode(t, resp, protocol.Success, "")
	var tl protocol.TopicList
	require.NoError(t, json.Unmarshal(resp.Body, &tl))
	require.Contains(t, tl.TopicList, "SCHEDULE_TOPIC_XXXX")
	require.Contains(t, tl.TopicList, "DefaultCluster_REPLY_TOPIC")
	require.Contains(t, tl.TopicList, "broker-a")

	resp = a.invoke(t, remoting.NewRequest(protocol.GetAllProducerInfo, nil, nil))
	requireCode(t, resp, protocol.Success, "")
	var pi protocol.ProducerTableInfo
	require.NoError(t, json.Unmarshal(resp.Body, &pi))
	require.Len(t, pi.Data["pg"], 1)
	got := pi.Data["pg"][0]
	require.Equal(t, "x@a", got.ClientID)
	require.Equal(t, "GO", got.Language)
	require.Equal(t, int32(317), got.Version)
	require.Equal(t, a.localAddr(t), got.RemoteIP)
	require.Positive(t, got.LastUpdateTimestamp)
	require.Contains(t, string(resp.Body), `{"data":{"pg":[{"clientId":"x@a","language":"GO","lastUpdateTimestamp":`)
}

func TestMetaProcessorBodiesNotHTMLEscaped(t *testing.T) {
	e := newMetaEnv(t, nil)
	a := e.client()
	body := `{"clientID":"x@a","consumerDataSet":[{"groupName":"g&h","consumeType":"CONSUME_ACTIVELY","messageModel":"BROADCASTING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[{"topic":"T","subString":"a > 1 && b < 2","expressionType":"SQL92","subVersion":3}]}]}`
	requireCode(t, a.invoke(t, heartbeatReq([]byte(body))), protocol.Success, "")
	resp := a.invoke(t, remoting.NewRequest(protocol.GetConsumerConnectionList,
		protocol.EncodeHeader(&protocol.GetConsumerConnectionListRequestHeader{ConsumerGroup: "g&h"}), nil))
	requireCode(t, resp, protocol.Success, "")
	require.Contains(t, string(resp.Body), `"subString":"a > 1 && b < 2"`)
	require.Contains(t, string(resp.Body), `"messageModel":"BROADCASTING"`)
	resp = a.invoke(t, remoting.NewRequest(protocol.GetAllSubscriptiongroupConfig, nil, nil))
	require.Contains(t, string(resp.Body), `"g&h":{`)
}

func TestMetaProcessorCloneGroupOffset(t *testing.T) {
	e := newMetaEnv(t, nil)
	a := e.client()
	for _, topic := range []string{"A", "B", "Gone"} {
		if topic != "Gone" {
			require.NoError(t, e.d.Topics.Update(protocol.NewTopicConfig(topic, 2, 2, 6)))
		}
		e.d.Offsets.CommitOffset("h", "src", topic, 0, 10)
		e.d.Offsets.CommitOffset("h", "src", topic, 1, 11)
	}
	clone := func(h protocol.CloneGroupOffsetRequestHeader) {
		requireCode(t, a.invoke(t, remoting.NewRequest(protocol.CloneGroupOffset, protocol.EncodeHeader(&h), nil)), protocol.Success, "")
	}
	clone(protocol.CloneGroupOffsetRequestHeader{SrcGroup: "src", DestGroup: "one", Topic: "A"})
	require.Equal(t, map[int32]int64{0: 10, 1: 11}, e.d.Offsets.QueryAllOffsets("one", "A"))
	require.Empty(t, e.d.Offsets.TopicsOfGroup("one")[1:])

	clone(protocol.CloneGroupOffsetRequestHeader{SrcGroup: "src", DestGroup: "all"})
	require.Equal(t, []string{"A", "B"}, e.d.Offsets.TopicsOfGroup("all"), "topics the broker lacks are skipped")

	// Online source subscribed to A only: B is skipped unless offline.
	requireCode(t, a.invoke(t, heartbeatReq(goHeartbeat("x@a", "src", 1, "A"))), protocol.Success, "")
	clone(protocol.CloneGroupOffsetRequestHeader{SrcGroup: "src", DestGroup: "on"})
	require.Equal(t, []string{"A"}, e.d.Offsets.TopicsOfGroup("on"))
	clone(protocol.CloneGroupOffsetRequestHeader{SrcGroup: "src", DestGroup: "off", Offline: true})
	require.Equal(t, []string{"A", "B"}, e.d.Offsets.TopicsOfGroup("off"))

	requireCode(t, a.invoke(t, remoting.NewRequest(protocol.CloneGroupOffset, map[string]string{"srcGroup": "src"}, nil)),
		protocol.SystemError, "the custom field <destGroup> is null")
}

func TestMetaProcessorGetConsumerRunningInfo(t *testing.T) {
	e := newMetaEnv(t, func(_ *Config, d *MetaDeps) { d.CallConsumerTimeout = 200 * time.Millisecond })
	consumer, slow, adminCli := e.client(), e.client(), e.client()
	answer := func(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
		resp := remoting.NewResponse(req, protocol.Success, "")
		resp.Body = []byte(`{"properties":{"clientId":"` + req.ExtFields["clientId"] + `","jstack":"` + req.ExtFields["jstackEnable"] + `"}}`)
		return resp
	}
	consumer.cli.Register(protocol.GetConsumerRunningInfo, answer)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	slow.cli.Register(protocol.GetConsumerRunningInfo, func(c *remoting.Conn, req *remoting.Command) *remoting.Command {
		<-release
		return answer(c, req)
	})
	requireCode(t, consumer.invoke(t, heartbeatReq(goHeartbeat("x@a", "cg", 1, "T"))), protocol.Success, "")
	requireCode(t, slow.invoke(t, heartbeatReq(goHeartbeat("x@slow", "cg", 1, "T"))), protocol.Success, "")

	ask := func(client string) *remoting.Command {
		return adminCli.invoke(t, remoting.NewRequest(protocol.GetConsumerRunningInfo, protocol.EncodeHeader(
			&protocol.GetConsumerRunningInfoRequestHeader{ConsumerGroup: "cg", ClientID: client, JstackEnable: true}), nil))
	}
	resp := ask("x@a")
	requireCode(t, resp, protocol.Success, "")
	require.Equal(t, `{"properties":{"clientId":"x@a","jstack":"true"}}`, string(resp.Body))

	requireCode(t, ask("x@slow"), protocol.ConsumeMsgTimeout, "consumer <cg> <x@slow> Timeout")
	requireCode(t, ask("x@nobody"), protocol.SystemError, "The Consumer <cg> <x@nobody> not online")
	requireCode(t, adminCli.invoke(t, remoting.NewRequest(protocol.GetConsumerRunningInfo, map[string]string{"consumerGroup": "cg"}, nil)),
		protocol.SystemError, "the custom field <clientId> is null")

	// A client too old to answer.
	old := e.client()
	req := heartbeatReq(goHeartbeat("x@old", "cg", 1, "T"))
	req.Version = 61
	requireCode(t, old.invoke(t, req), protocol.Success, "")
	requireCode(t, ask("x@old"), protocol.SystemError, "Version <61> too low")
}

// goClientResetOffsets parses a ResetOffsetBody the way rocketmq-client-go
// v2.1.2 does for fastjson text (internal/model.go parseFastJsonFormat,
// which public packages cannot call): cut the offsetTable text, drop "{{"
// and the last "}", split on ",{", then each part on "}:".
func goClientResetOffsets(t *testing.T, body []byte) map[protocol.MessageQueue]int64 {
	t.Helper()
	s := string(body)
	const prefix = `{"offsetTable":`
	require.True(t, strings.HasPrefix(s, prefix), s)
	table := s[len(prefix) : len(s)-1]
	out := map[protocol.MessageQueue]int64{}
	for _, part := range strings.Split(table[2:len(table)-1], ",{") {
		kv := strings.Split(part, "}:")
		require.Len(t, kv, 2, part)
		var mq protocol.MessageQueue
		require.NoError(t, json.Unmarshal([]byte("{"+kv[0]+"}"), &mq))
		off, err := strconv.ParseInt(kv[1], 10, 64)
		require.NoError(t, err)
		out[mq] = off
	}
	return out
}

func TestMetaProcessorResetOffset(t *testing.T) {
	e := newMetaEnv(t, func(_ *Config, d *MetaDeps) {
		d.MaxOffset = func(topic string, qid int32) int64 { return 20 + int64(qid) }
		d.OffsetByTime = func(topic string, qid int32, ts int64) int64 { return ts / 1000 }
	})
	require.NoError(t, e.d.Topics.Update(protocol.NewTopicConfig("T", 2, 2, 6)))
	for q := range int32(2) {
		e.d.Offsets.CommitOffset("h", "cg", "T", q, 10)
	}
	consumer, adminCli := e.client(), e.client()
	var mu sync.Mutex
	var pushed []*remoting.Command
	consumer.cli.Register(protocol.ResetConsumerClientOffset, func(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
		mu.Lock()
		pushed = append(pushed, req)
		mu.Unlock()
		return nil
	})
	reset := func(topic, group string, ts int64, force bool) *remoting.Command {
		return adminCli.invoke(t, remoting.NewRequest(protocol.InvokeBrokerToResetOffset, protocol.EncodeHeader(
			&protocol.ResetOffsetRequestHeader{Topic: topic, Group: group, Timestamp: ts, IsForce: force}), nil))
	}
	requireCode(t, reset("T", "cg", -1, false), protocol.ConsumerNotOnline, "Consumer not online, so can not reset offset, Group: cg Topic: T Timestamp: -1")
	requireCode(t, consumer.invoke(t, heartbeatReq(goHeartbeat("x@a", "cg", 1, "T"))), protocol.Success, "")

	mq := func(q int32) protocol.MessageQueue {
		return protocol.MessageQueue{BrokerName: "broker-a", QueueID: q, Topic: "T"}
	}
	// waitPush waits for the n-th RESET_CONSUMER_CLIENT_OFFSET (each reset
	// is awaited before the next, so the n-th recorded is the n-th sent).
	waitPush := func(n int) *remoting.Command {
		require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(pushed) == n }, 5*time.Second, 5*time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		return pushed[n-1]
	}
	// To the max offset: later than committed, so only with force.
	resp := reset("T", "cg", -1, false)
	requireCode(t, resp, protocol.Success, "")
	require.Equal(t, `{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:10,{"brokerName":"broker-a","queueId":1,"topic":"T"}:10}}`, string(resp.Body))
	waitPush(1)
	resp = reset("T", "cg", -1, true)
	requireCode(t, resp, protocol.Success, "")
	require.Equal(t, map[protocol.MessageQueue]int64{mq(0): 20, mq(1): 21}, goClientResetOffsets(t, resp.Body))
	waitPush(2)
	// Back in time: earlier than committed, applied without force.
	resp = reset("T", "cg", 5000, false)
	requireCode(t, resp, protocol.Success, "")
	require.Equal(t, map[protocol.MessageQueue]int64{mq(0): 5, mq(1): 5}, goClientResetOffsets(t, resp.Body))

	// The reset is pushed to the member, header and body as the Go client reads them.
	last := waitPush(3)
	require.Equal(t, map[string]string{"topic": "T", "group": "cg", "timestamp": "5000", "isForce": "false"}, last.ExtFields)
	require.Equal(t, map[protocol.MessageQueue]int64{mq(0): 5, mq(1): 5}, goClientResetOffsets(t, last.Body))

	// A C++ admin gets the same answer; its clients the array form.
	req := remoting.NewRequest(protocol.InvokeBrokerToResetOffset, protocol.EncodeHeader(
		&protocol.ResetOffsetRequestHeader{Topic: "T", Group: "cg", Timestamp: 5000}), nil)
	req.Language = "CPP"
	requireCode(t, adminCli.invoke(t, req), protocol.Success, "")
	require.Equal(t, `{"offsetTable":[{"brokerName":"broker-a","offset":5,"queueId":0,"topic":"T"},{"brokerName":"broker-a","offset":5,"queueId":1,"topic":"T"}]}`, string(waitPush(4).Body))

	requireCode(t, reset("Nope", "cg", -1, false), protocol.SystemError, "[reset-offset] reset offset failed, no topic in this broker. topic=Nope")
	requireCode(t, reset("T", "other", -1, false), protocol.SystemError, "THe consumer group <other> not exist")
	requireCode(t, adminCli.invoke(t, remoting.NewRequest(protocol.InvokeBrokerToResetOffset, map[string]string{"topic": "T", "group": "cg", "timestamp": "x", "isForce": "true"}, nil)),
		protocol.SystemError, `the custom field <timestamp> is not a number: "x"`)

	old := e.client()
	hb := heartbeatReq(goHeartbeat("x@old", "cg", 1, "T"))
	hb.Version = 27
	requireCode(t, old.invoke(t, hb), protocol.Success, "")
	requireCode(t, reset("T", "cg", -1, false), protocol.SystemError, "the client does not support this feature. version=27")
}

func TestMetaProcessorGetConsumerStatus(t *testing.T) {
	e := newMetaEnv(t, nil)
	c1, c2, bad, adminCli := e.client(), e.client(), e.client(), e.client()
	status := func(body string) remoting.HandlerFunc {
		return func(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
			if req.ExtFields["topic"] != "T" || req.ExtFields["group"] != "cg" {
				return remoting.NewResponse(req, protocol.SystemError, "unexpected header")
			}
			resp := remoting.NewResponse(req, protocol.Success, "")
			resp.Body = []byte(body)
			return resp
		}
	}
	// The Go client's hand-written form, then Java's.
	c1.cli.Register(protocol.GetConsumerStatusFromClient, status(`{"messageQueueTable":{{"topic":"T","brokerName":"broker-a","queueId":0}:5}}`))
	c2.cli.Register(protocol.GetConsumerStatusFromClient, status(`{"messageQueueTable":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:7}}`))
	bad.cli.Register(protocol.GetConsumerStatusFromClient, status(`{"messageQueueTable":{5:5}}`))
	for id, c := range map[string]*testClient{"x@1": c1, "x@2": c2, "x@bad": bad} {
		requireCode(t, c.invoke(t, heartbeatReq(goHeartbeat(id, "cg", 1, "T"))), protocol.Success, "")
	}
	ask := func(clientAddr string) *remoting.Command {
		return adminCli.invoke(t, remoting.NewRequest(protocol.InvokeBrokerToGetConsumerStatus, protocol.EncodeHeader(
			&protocol.GetConsumerStatusRequestHeader{Topic: "T", Group: "cg", ClientAddr: clientAddr}), nil))
	}
	resp := ask("")
	requireCode(t, resp, protocol.Success, "")
	require.Equal(t, `{"consumerTable":{"x@1":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:5},"x@2":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:7}},"messageQueueTable":{}}`, string(resp.Body))
	resp = ask("x@2")
	requireCode(t, resp, protocol.Success, "")
	require.Equal(t, `{"consumerTable":{"x@2":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:7}},"messageQueueTable":{}}`, string(resp.Body))

	requireCode(t, adminCli.invoke(t, remoting.NewRequest(protocol.InvokeBrokerToGetConsumerStatus, protocol.EncodeHeader(
		&protocol.GetConsumerStatusRequestHeader{Topic: "T", Group: "nobody"}), nil)), protocol.SystemError, "No Any Consumer online in the consumer group: [nobody]")
	requireCode(t, adminCli.invoke(t, remoting.NewRequest(protocol.InvokeBrokerToGetConsumerStatus, map[string]string{"topic": "T"}, nil)),
		protocol.SystemError, "the custom field <group> is null")
}

func TestMetaProcessorConsumeMessageDirectly(t *testing.T) {
	record := []byte("stored-record-bytes")
	e := newMetaEnv(t, func(_ *Config, d *MetaDeps) {
		d.MessageByID = func(id string) ([]byte, error) {
			if id != "0A00000100002A9F0000000000000064" {
				return nil, fmt.Errorf("no message at that offset")
			}
			return record, nil
		}
	})
	consumer, adminCli := e.client(), e.client()
	got := make(chan *remoting.Command, 1)
	consumer.cli.Register(protocol.ConsumeMessageDirectly, func(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
		got <- req
		resp := remoting.NewResponse(req, protocol.Success, "")
		resp.Body = []byte(`{"autoCommit":true,"consumeResult":"CR_SUCCESS","order":false,"spentTimeMills":3}`)
		return resp
	})
	requireCode(t, consumer.invoke(t, heartbeatReq(goHeartbeat("x@a", "cg", 1, "T"))), protocol.Success, "")
	ask := func(id string) *remoting.Command {
		return adminCli.invoke(t, remoting.NewRequest(protocol.ConsumeMessageDirectly, protocol.EncodeHeader(
			&protocol.ConsumeMessageDirectlyResultRequestHeader{ConsumerGroup: "cg", ClientID: "x@a", MsgID: id, BrokerName: "other"}), nil))
	}
	resp := ask("0A00000100002A9F0000000000000064")
	requireCode(t, resp, protocol.Success, "")
	require.Equal(t, `{"autoCommit":true,"consumeResult":"CR_SUCCESS","order":false,"spentTimeMills":3}`, string(resp.Body))
	fwd := <-got
	require.Equal(t, record, fwd.Body)
	require.Equal(t, "broker-a", fwd.ExtFields["brokerName"], "the broker names itself")
	require.Equal(t, "0A00000100002A9F0000000000000064", fwd.ExtFields["msgId"])

	requireCode(t, ask("bad"), protocol.SystemError, "no message at that offset")
	requireCode(t, adminCli.invoke(t, remoting.NewRequest(protocol.ConsumeMessageDirectly, protocol.EncodeHeader(
		&protocol.ConsumeMessageDirectlyResultRequestHeader{ConsumerGroup: "cg", ClientID: "x@gone", MsgID: "0A00000100002A9F0000000000000064"}), nil)),
		protocol.SystemError, "The Consumer <cg> <x@gone> not online")
}
