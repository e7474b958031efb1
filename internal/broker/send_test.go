package broker

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
	"github.com/gorocket/gorocket/internal/store"
)

func TestSendPullRoundTrip(t *testing.T) {
	e := startEnv(t)
	e.createTopic("RoundTrip", 2, 6)
	props := map[string]string{"TAGS": "TagA", "KEYS": "k1 k2", "WAIT": "true", "UNIQ_KEY": "ABC"}
	resp := e.send("RoundTrip", 1, props, "hello")
	require.Equal(t, "DefaultRegion", resp.ExtFields["MSG_REGION"])
	require.Equal(t, "true", resp.ExtFields["TRACE_ON"])
	var h protocol.SendMessageResponseHeader
	require.NoError(t, protocol.DecodeHeader(resp.ExtFields, &h))
	require.Equal(t, int32(1), h.QueueID)
	require.Equal(t, int64(0), h.QueueOffset)
	require.Len(t, h.MsgID, 32)
	host, phy, err := message.ParseOffsetMsgID(h.MsgID)
	require.NoError(t, err)
	require.Equal(t, e.b.BrokerAddr(), host.String(), "offsetMsgId carries the store host")
	require.Equal(t, int64(0), phy)

	e.send("RoundTrip", 1, nil, "second")
	e.waitMaxOffset("RoundTrip", 1, 2)
	pr := e.invoke(pullReq("RoundTrip", 1, 0, "*", protocol.PullFlagSubscription, 0))
	require.Equal(t, int32(protocol.Success), pr.Code, pr.Remark)
	require.Equal(t, "FOUND", pr.Remark)
	ph := pullHeader(t, pr)
	require.Equal(t, int64(2), ph.NextBeginOffset)
	require.Equal(t, int64(0), ph.MinOffset)
	require.Equal(t, int64(2), ph.MaxOffset)
	msgs, err := message.DecodeMessages(pr.Body)
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	m := msgs[0]
	require.Equal(t, "hello", string(m.Body))
	require.Equal(t, "RoundTrip", m.Topic)
	require.Equal(t, int32(1), m.QueueID)
	require.Equal(t, "TagA", m.Properties["TAGS"])
	require.Equal(t, "k1 k2", m.Properties["KEYS"])
	require.Equal(t, "DefaultCluster", m.Properties["CLUSTER"], "the broker adds CLUSTER")
	require.NotContains(t, m.Properties, "WAIT", "WAIT is not stored")
	require.Equal(t, h.MsgID, m.MsgID)
	require.Equal(t, int64(1), msgs[1].QueueOffset)
}

func TestSendBatch(t *testing.T) {
	e := startEnv(t)
	e.createTopic("BatchTopic", 1, 6)
	var ms []*message.Message
	for _, b := range []string{"a", "b", "c"} {
		ms = append(ms, &message.Message{Body: []byte(b), Properties: map[string]string{"KEYS": "key-" + b}})
	}
	body, err := message.EncodeBatch(ms)
	require.NoError(t, err)
	h := protocol.SendMessageRequestHeaderV2{ProducerGroup: "pg", Topic: "BatchTopic", DefaultTopic: "TBW102",
		DefaultTopicQueueNums: 4, QueueID: 0, BornTimestamp: time.Now().UnixMilli(), Batch: true,
		Properties: message.EncodeProperties(map[string]string{"WAIT": "true"})}
	resp := e.invoke(remoting.NewRequest(protocol.SendBatchMessage, protocol.EncodeHeader(&h), body))
	require.Equal(t, int32(protocol.Success), resp.Code, resp.Remark)
	ids := strings.Split(resp.ExtFields["msgId"], ",")
	require.Len(t, ids, 3)
	require.Equal(t, "0", resp.ExtFields["queueOffset"])
	e.waitMaxOffset("BatchTopic", 0, 3)

	pr := e.invoke(pullReq("BatchTopic", 0, 0, "*", protocol.PullFlagSubscription, 0))
	require.Equal(t, int32(protocol.Success), pr.Code)
	msgs, err := message.DecodeMessages(pr.Body)
	require.NoError(t, err)
	require.Len(t, msgs, 3)
	for i, m := range msgs {
		require.Equal(t, ids[i], m.MsgID)
		require.Equal(t, int64(i), m.QueueOffset)
		require.Equal(t, "key-"+string(m.Body), m.Properties["KEYS"])
		require.Equal(t, "true", m.Properties["WAIT"], "batch-level properties are appended to every message")
		require.Equal(t, "DefaultCluster", m.Properties["CLUSTER"])
	}
}

func TestSendAutoCreateThroughTBW102(t *testing.T) {
	e := startEnv(t)
	e.send("AutoCreated", -1, nil, "x")
	tc := e.b.topics.Get("AutoCreated")
	require.NotNil(t, tc)
	require.Equal(t, int32(4), tc.WriteQueueNums, "min(defaultTopicQueueNums from the request, TBW102's queues)")
	require.Equal(t, int32(protocol.PermRead|protocol.PermWrite), tc.Perm)
	require.Eventually(t, func() bool { return e.ns.Routes().Route("AutoCreated") != nil }, 10*time.Second, 10*time.Millisecond,
		"an auto-created topic is registered at once")
}

func TestSendAutoCreateDisabled(t *testing.T) {
	e := startEnv(t, func(c *Config, _ *store.Config) { c.AutoCreateTopicEnable = false })
	resp := e.invoke(sendReq("NotCreated", 0, nil, []byte("x")))
	require.Equal(t, int32(protocol.TopicNotExist), resp.Code)
	require.Contains(t, resp.Remark, "topic[NotCreated] not exist, apply first please!")
}

func TestSendMessageIllegalOverMaxSize(t *testing.T) {
	e := startEnv(t, func(_ *Config, s *store.Config) { s.MaxMessageSize = 1024 })
	e.createTopic("BigTopic", 1, 6)
	resp := e.invoke(sendReq("BigTopic", 0, nil, make([]byte, 2048)))
	require.Equal(t, int32(protocol.MessageIllegal), resp.Code)
	require.Contains(t, resp.Remark, "msg body length limit 1024B")
	require.Equal(t, "DefaultRegion", resp.ExtFields["MSG_REGION"], "errors carry the region too")
	e.send("BigTopic", 0, nil, strings.Repeat("x", 100))
}

func TestSendNoPermission(t *testing.T) {
	t.Run("broker read-only", func(t *testing.T) {
		e := startEnv(t, func(c *Config, _ *store.Config) { c.BrokerPermission = protocol.PermRead })
		resp := e.invoke(sendReq("AnyTopic", 0, nil, []byte("x")))
		require.Equal(t, int32(protocol.NoPermission), resp.Code)
		require.Contains(t, resp.Remark, "sending message is forbidden")
	})
	t.Run("topic read-only", func(t *testing.T) {
		e := startEnv(t)
		e.createTopic("ReadOnly", 1, protocol.PermRead)
		resp := e.invoke(sendReq("ReadOnly", 0, nil, []byte("x")))
		require.Equal(t, int32(protocol.NoPermission), resp.Code)
		require.Contains(t, resp.Remark, "the topic[ReadOnly] sending message is forbidden")
	})
	t.Run("system topic", func(t *testing.T) {
		e := startEnv(t)
		resp := e.invoke(sendReq("SCHEDULE_TOPIC_XXXX", 0, nil, []byte("x")))
		require.Equal(t, int32(protocol.NoPermission), resp.Code)
		require.Equal(t, "Sending message to topic[SCHEDULE_TOPIC_XXXX] is forbidden.", resp.Remark)
	})
}

func TestSendBadTopicNames(t *testing.T) {
	e := startEnv(t)
	cases := []struct{ topic, remark string }{
		{"bad topic!", "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"},
		{"a/b", "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"},
		{strings.Repeat("t", 128), "The specified topic is longer than topic max length."},
		{"", "The specified topic is blank."},
	}
	for _, tc := range cases {
		resp := e.invoke(sendReq(tc.topic, 0, nil, []byte("x")))
		require.Equal(t, int32(protocol.SystemError), resp.Code, tc.topic)
		require.Equal(t, tc.remark, resp.Remark)
	}
}

func TestSendBadHeaderFields(t *testing.T) {
	e := startEnv(t)
	e.createTopic("HeaderTopic", 2, 6)

	req := sendReq("HeaderTopic", 0, nil, []byte("x"))
	delete(req.ExtFields, "a")
	resp := e.invoke(req)
	require.Equal(t, int32(protocol.SystemError), resp.Code)
	require.Equal(t, "the custom field <a> is null", resp.Remark)

	req = sendReq("HeaderTopic", 0, nil, []byte("x"))
	req.ExtFields["e"] = "abc"
	resp = e.invoke(req)
	require.Equal(t, int32(protocol.SystemError), resp.Code)
	require.Contains(t, resp.Remark, "<e>")

	resp = e.invoke(sendReq("HeaderTopic", 7, nil, []byte("x")))
	require.Equal(t, int32(protocol.SystemError), resp.Code)
	require.Contains(t, resp.Remark, "request queueId[7] is illegal, TopicConfig [topicName=HeaderTopic, readQueueNums=2, writeQueueNums=2, perm=RW-")

	// The long-named header of SEND_MESSAGE (10) works too.
	h := protocol.SendMessageRequestHeader{ProducerGroup: "pg", Topic: "HeaderTopic", DefaultTopic: "TBW102",
		DefaultTopicQueueNums: 4, QueueID: 1, BornTimestamp: time.Now().UnixMilli()}
	resp = e.invoke(remoting.NewRequest(protocol.SendMessage, protocol.EncodeHeader(&h), []byte("v1")))
	require.Equal(t, int32(protocol.Success), resp.Code, resp.Remark)
	require.Equal(t, "1", resp.ExtFields["queueId"])

	// A garbage batch body is MESSAGE_ILLEGAL, not a panic.
	h2 := protocol.SendMessageRequestHeaderV2{ProducerGroup: "pg", Topic: "HeaderTopic", DefaultTopic: "TBW102",
		DefaultTopicQueueNums: 4, BornTimestamp: time.Now().UnixMilli(), Batch: true}
	resp = e.invoke(remoting.NewRequest(protocol.SendBatchMessage, protocol.EncodeHeader(&h2), []byte{0, 0, 0, 99, 1}))
	require.Equal(t, int32(protocol.MessageIllegal), resp.Code)
}

func TestSendRetryTopicToDLQ(t *testing.T) {
	e := startEnv(t)
	req := sendReq("%RETRY%cg1", 0, nil, []byte("dead"))
	req.ExtFields["j"] = "16" // reconsumeTimes ≥ retryMaxTimes (16)
	resp := e.invoke(req)
	require.Equal(t, int32(protocol.Success), resp.Code, resp.Remark)
	dlq := e.b.topics.Get("%DLQ%cg1")
	require.NotNil(t, dlq, "the DLQ topic is created")
	require.Equal(t, int32(1), dlq.WriteQueueNums)
	require.Equal(t, int32(6), dlq.Perm)
	e.waitMaxOffset("%DLQ%cg1", 0, 1)
	e.waitMaxOffset("%RETRY%cg1", 0, 0)

	req = sendReq("%RETRY%cg1", 0, nil, []byte("retry"))
	req.ExtFields["j"] = "3"
	resp = e.invoke(req)
	require.Equal(t, int32(protocol.Success), resp.Code, resp.Remark)
	e.waitMaxOffset("%RETRY%cg1", 0, 1)
}

func TestSendBackToRetryAndDLQ(t *testing.T) {
	e := startEnv(t)
	e.createTopic("BackTopic", 1, 6)
	resp := e.send("BackTopic", 0, map[string]string{"TAGS": "T"}, "failed once")
	_, phy, err := message.ParseOffsetMsgID(resp.ExtFields["msgId"])
	require.NoError(t, err)

	back := func(delay int32, maxTimes *int32) *remoting.Command {
		h := protocol.ConsumerSendMsgBackRequestHeader{Offset: phy, Group: "cgback", DelayLevel: delay, MaxReconsumeTimes: maxTimes}
		return e.invoke(remoting.NewRequest(protocol.ConsumerSendMsgBack, protocol.EncodeHeader(&h), nil))
	}
	r := back(0, nil)
	require.Equal(t, int32(protocol.Success), r.Code, r.Remark)
	require.NotNil(t, e.b.topics.Get("%RETRY%cgback"), "the retry topic is created")
	// Delay level 3 + reconsumeTimes(0) goes through SCHEDULE_TOPIC_XXXX queue 2.
	e.waitMaxOffset("SCHEDULE_TOPIC_XXXX", 2, 1)

	zero := int32(0)
	r = back(0, &zero) // the client's limit 0 is reached at once: DLQ
	require.Equal(t, int32(protocol.Success), r.Code, r.Remark)
	e.waitMaxOffset("%DLQ%cgback", 0, 1)
	pr := e.invoke(pullReq("%DLQ%cgback", 0, 0, "*", protocol.PullFlagSubscription, 0))
	require.Equal(t, int32(protocol.Success), pr.Code)
	msgs, err := message.DecodeMessages(pr.Body)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, "failed once", string(msgs[0].Body))
	require.Equal(t, "BackTopic", msgs[0].Properties["RETRY_TOPIC"])
	require.Equal(t, resp.ExtFields["msgId"], msgs[0].Properties["ORIGIN_MESSAGE_ID"])
	require.Equal(t, int32(1), msgs[0].ReconsumeTimes)

	r = back(-1, nil) // delay level < 0: straight to the DLQ
	require.Equal(t, int32(protocol.Success), r.Code)
	e.waitMaxOffset("%DLQ%cgback", 0, 2)

	h := protocol.ConsumerSendMsgBackRequestHeader{Offset: 1 << 40, Group: "cgback"}
	r = e.invoke(remoting.NewRequest(protocol.ConsumerSendMsgBack, protocol.EncodeHeader(&h), nil))
	require.Equal(t, int32(protocol.SystemError), r.Code)
	require.Contains(t, r.Remark, "look message by offset failed")
}
