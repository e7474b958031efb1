package client

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// consumerConn returns the broker side of a consumer's connection.
func (b *testBroker) consumerConn(t *testing.T, group, clientID string) *remoting.Conn {
	t.Helper()
	var conn *remoting.Conn
	require.Eventually(t, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		for c, tc := range b.mu.groups[group] {
			if tc.clientID == clientID {
				conn = c
				return true
			}
		}
		return false
	}, 10*time.Second, 5*time.Millisecond)
	return conn
}

func callClient(t *testing.T, conn *remoting.Conn, req *remoting.Command) *remoting.Command {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := conn.Invoke(ctx, req)
	require.NoError(t, err)
	return resp
}

func TestPushConsumerBrokerCalls(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicC", 2, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns)})
	var got received
	pc := newTestPushConsumer(t, fastConsumerConfig(ns, "cg"), "TopicC", "*", got.handler(ConsumeSuccess))
	sendBodies(t, p, "TopicC", bodiesN("c", 6), "")
	require.Eventually(t, func() bool { return len(got.bodies()) == 6 }, 20*time.Second, 10*time.Millisecond)
	conn := b.consumerConn(t, "cg", pc.ClientID())

	// GET_CONSUMER_RUNNING_INFO
	req := remoting.NewRequest(protocol.GetConsumerRunningInfo, protocol.EncodeHeader(&protocol.GetConsumerRunningInfoRequestHeader{ConsumerGroup: "cg", ClientID: pc.ClientID()}), nil)
	resp := callClient(t, conn, req)
	require.Equal(t, protocol.Success, resp.ResponseCode(), resp.Remark)
	var info struct {
		MQTable         map[string]processQueueInfo `json:"mqTable"`
		Properties      map[string]string           `json:"properties"`
		SubscriptionSet []protocol.SubscriptionData `json:"subscriptionSet"`
	}
	require.NoError(t, decodeJSON(resp.Body, &info))
	require.Equal(t, protocol.ConsumePassively, info.Properties["PROP_CONSUME_TYPE"])
	require.Len(t, info.MQTable, 3, "two topic queues and the retry queue")
	require.Len(t, info.SubscriptionSet, 2)
	var committed int64
	for k, v := range info.MQTable {
		var mq MessageQueue
		require.NoError(t, json.Unmarshal([]byte(k), &mq))
		if mq.Topic == "TopicC" {
			committed += v.CommitOffset
		}
	}
	require.Equal(t, int64(6), committed)
	resp = callClient(t, conn, remoting.NewRequest(protocol.GetConsumerRunningInfo, protocol.EncodeHeader(&protocol.GetConsumerRunningInfoRequestHeader{ConsumerGroup: "other", ClientID: "x"}), nil))
	require.Equal(t, protocol.SystemError, resp.ResponseCode())

	// GET_CONSUMER_STATUS_FROM_CLIENT
	resp = callClient(t, conn, remoting.NewRequest(protocol.GetConsumerStatusFromClient, protocol.EncodeHeader(&getConsumerStatusRequestHeader{Topic: "TopicC", Group: "cg"}), nil))
	require.Equal(t, protocol.Success, resp.ResponseCode(), resp.Remark)
	var status struct {
		MessageQueueTable map[string]int64 `json:"messageQueueTable"`
	}
	require.NoError(t, decodeJSON(resp.Body, &status))
	require.Len(t, status.MessageQueueTable, 2)

	// CONSUME_MESSAGE_DIRECTLY with a stored record.
	stored := b.stored("TopicC", 0)
	require.NotEmpty(t, stored)
	b.mu.Lock()
	rec := b.mu.records[stored[0].CommitLogOffset]
	b.mu.Unlock()
	got.mu.Lock()
	before := len(got.msgs)
	got.mu.Unlock()
	resp = callClient(t, conn, remoting.NewRequest(protocol.ConsumeMessageDirectly, protocol.EncodeHeader(&consumeMessageDirectlyHeader{ConsumerGroup: "cg", ClientID: pc.ClientID(), MsgID: stored[0].MsgID, BrokerName: "broker-a"}), rec))
	require.Equal(t, protocol.Success, resp.ResponseCode(), resp.Remark)
	var direct consumeDirectlyResult
	require.NoError(t, json.Unmarshal(resp.Body, &direct))
	require.Equal(t, "CR_SUCCESS", direct.ConsumeResult)
	got.mu.Lock()
	require.Len(t, got.msgs, before+1)
	require.Equal(t, stored[0].Body, got.msgs[before].Body)
	got.mu.Unlock()
	resp = callClient(t, conn, remoting.NewRequest(protocol.ConsumeMessageDirectly, protocol.EncodeHeader(&consumeMessageDirectlyHeader{ConsumerGroup: "cg"}), []byte{1, 2, 3}))
	require.Equal(t, protocol.SystemError, resp.ResponseCode())

	// RESET_CONSUMER_CLIENT_OFFSET rewinds queue 0 to 0: its messages come again.
	q0 := MessageQueue{Topic: "TopicC", BrokerName: "broker-a", QueueID: 0}
	body := []byte(`{"offsetTable":` + string(encodeMQMap(map[MessageQueue]int64{q0: 0})) + `}`)
	reset := remoting.NewRequest(protocol.ResetConsumerClientOffset, protocol.EncodeHeader(&resetOffsetRequestHeader{Topic: "TopicC", Group: "cg", Timestamp: 0, IsForce: true}), body)
	reset.MarkOneway()
	require.NoError(t, conn.InvokeOneway(reset))
	n0 := len(stored)
	require.Eventually(t, func() bool {
		got.mu.Lock()
		defer got.mu.Unlock()
		return len(got.msgs) >= before+1+n0
	}, 20*time.Second, 10*time.Millisecond)
}

func TestPushConsumerMQMapEncoding(t *testing.T) {
	m := map[MessageQueue]int64{{Topic: "T", BrokerName: "b", QueueID: 1}: 3, {Topic: "T", BrokerName: "a", QueueID: 0}: 5}
	require.Equal(t, `{{"brokerName":"a","queueId":0,"topic":"T"}:5,{"brokerName":"b","queueId":1,"topic":"T"}:3}`, string(encodeMQMap(m)))
	back, err := decodeMQTable[int64]([]byte(`{"offsetTable":`+string(encodeMQMap(m))+`}`), nil)
	require.NoError(t, err)
	require.Equal(t, m, back)
}
