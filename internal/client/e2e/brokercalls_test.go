package e2e

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/broker"
	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// callBroker sends one request to a real broker as an admin tool would.
func callBroker(t testing.TB, b *broker.Broker, req *remoting.Command) *remoting.Command {
	t.Helper()
	rc := remoting.NewClient(remoting.ClientConfig{}, quietLogger(t))
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := rc.Invoke(ctx, b.BrokerAddr(), req)
	require.NoError(t, err)
	return resp
}

// queueState is the part of a ProcessQueueInfo the tests read.
type queueState struct {
	CommitOffset   int64 `json:"commitOffset"`
	CachedMsgCount int   `json:"cachedMsgCount"`
}

type runningInfo struct {
	MQTable         map[client.MessageQueue]queueState
	Properties      map[string]string
	SubscriptionSet []protocol.SubscriptionData
}

// decodeRunningInfo reads a ConsumerRunningInfo body (fastjson, with
// MessageQueue object keys in mqTable).
func decodeRunningInfo(t testing.TB, body []byte) runningInfo {
	t.Helper()
	var info runningInfo
	raw, err := protocol.RawMember(body, "mqTable")
	require.NoError(t, err)
	info.MQTable = map[client.MessageQueue]queueState{}
	for _, kv := range lenientEntries(t, raw) {
		var mq client.MessageQueue
		require.NoError(t, json.Unmarshal([]byte(kv[0]), &mq), kv[0])
		var st queueState
		require.NoError(t, json.Unmarshal([]byte(kv[1]), &st), kv[1])
		info.MQTable[mq] = st
	}
	raw, err = protocol.RawMember(body, "properties")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &info.Properties))
	raw, err = protocol.RawMember(body, "subscriptionSet")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &info.SubscriptionSet))
	return info
}

// consumerRunningInfo asks the broker for GET_CONSUMER_RUNNING_INFO, which
// it forwards to the client over the client's own connection.
func consumerRunningInfo(t testing.TB, b *broker.Broker, group, clientID string) (*remoting.Command, runningInfo) {
	t.Helper()
	resp := callBroker(t, b, remoting.NewRequest(protocol.GetConsumerRunningInfo,
		protocol.EncodeHeader(&protocol.GetConsumerRunningInfoRequestHeader{ConsumerGroup: group, ClientID: clientID}), nil))
	if resp.ResponseCode() != protocol.Success {
		return resp, runningInfo{}
	}
	return resp, decodeRunningInfo(t, resp.Body)
}

// TestPushConsumerBrokerCalls drives the client's server-side handlers
// through a real broker, as mqadmin does: the broker forwards
// GET_CONSUMER_RUNNING_INFO and CONSUME_MESSAGE_DIRECTLY to the client,
// and turns INVOKE_BROKER_TO_GET_CONSUMER_STATUS and
// INVOKE_BROKER_TO_RESET_OFFSET into GET_CONSUMER_STATUS_FROM_CLIENT and
// RESET_CONSUMER_CLIENT_OFFSET.
func TestPushConsumerBrokerCalls(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicC", 2, 6)
	p := e.newProducer(client.ProducerConfig{})
	var got received
	pc := newPushConsumer(t, e.fastConsumerConfig("cg"), "TopicC", "*", got.handler(client.ConsumeSuccess))
	sendBodies(t, p, "TopicC", bodiesN("c", 6), "")
	require.Eventually(t, func() bool { return len(got.bodies()) == 6 }, waitFor, tick)
	q0 := client.MessageQueue{Topic: "TopicC", BrokerName: "broker-a", QueueID: 0}
	q1 := client.MessageQueue{Topic: "TopicC", BrokerName: "broker-a", QueueID: 1}

	// Each call is a subtest: one the broker cannot forward does not hide
	// the others.
	t.Run("GetConsumerRunningInfo", func(t *testing.T) {
		var info runningInfo
		require.Eventually(t, func() bool {
			resp, i := consumerRunningInfo(t, e.broker, "cg", pc.ClientID())
			require.Equal(t, protocol.Success, resp.ResponseCode(), resp.Remark)
			info = i
			return len(i.MQTable) == 3 && i.MQTable[q0].CommitOffset+i.MQTable[q1].CommitOffset == 6
		}, waitFor, tick)
		require.Equal(t, protocol.ConsumePassively, info.Properties["PROP_CONSUME_TYPE"])
		require.Len(t, info.MQTable, 3, "two topic queues and the retry queue")
		require.Len(t, info.SubscriptionSet, 2)
		var committed int64
		for mq, v := range info.MQTable {
			if mq.Topic == "TopicC" {
				committed += v.CommitOffset
			}
		}
		require.Equal(t, int64(6), committed)
		// A group this client does not serve: the broker knows no such member.
		resp, _ := consumerRunningInfo(t, e.broker, "other", "x")
		require.Equal(t, protocol.SystemError, resp.ResponseCode())
	})

	t.Run("GetConsumerStatusFromClient", func(t *testing.T) {
		resp := callBroker(t, e.broker, remoting.NewRequest(protocol.InvokeBrokerToGetConsumerStatus,
			protocol.EncodeHeader(&protocol.GetConsumerStatusRequestHeader{Topic: "TopicC", Group: "cg"}), nil))
		require.Equal(t, protocol.Success, resp.ResponseCode(), resp.Remark)
		table, err := protocol.RawMember(resp.Body, "consumerTable")
		require.NoError(t, err)
		entries := lenientEntries(t, table)
		require.Len(t, entries, 1)
		require.Equal(t, `"`+pc.ClientID()+`"`, entries[0][0])
		status, err := protocol.DecodeMQOffsetTable([]byte(entries[0][1]))
		require.NoError(t, err)
		require.Len(t, status, 2)
	})

	t.Run("ConsumeMessageDirectly", func(t *testing.T) {
		stored0 := stored(t, e.broker, "TopicC", 0)
		require.NotEmpty(t, stored0)
		before := got.count()
		resp := callBroker(t, e.broker, remoting.NewRequest(protocol.ConsumeMessageDirectly, protocol.EncodeHeader(
			&protocol.ConsumeMessageDirectlyResultRequestHeader{ConsumerGroup: "cg", ClientID: pc.ClientID(), MsgID: stored0[0].MsgID}), nil))
		require.Equal(t, protocol.Success, resp.ResponseCode(), resp.Remark)
		var direct struct {
			ConsumeResult string `json:"consumeResult"`
		}
		require.NoError(t, json.Unmarshal(resp.Body, &direct))
		require.Equal(t, "CR_SUCCESS", direct.ConsumeResult)
		got.mu.Lock()
		require.Len(t, got.msgs, before+1)
		require.Equal(t, stored0[0].Body, got.msgs[before].Body)
		got.mu.Unlock()
		// A message id the broker cannot load is refused.
		resp = callBroker(t, e.broker, remoting.NewRequest(protocol.ConsumeMessageDirectly, protocol.EncodeHeader(
			&protocol.ConsumeMessageDirectlyResultRequestHeader{ConsumerGroup: "cg", ClientID: pc.ClientID(), MsgID: "010203"}), nil))
		require.Equal(t, protocol.SystemError, resp.ResponseCode())
	})

	// RESET_CONSUMER_CLIENT_OFFSET rewinds the topic to timestamp 0: its
	// messages come again. The broker needs the group's committed offsets.
	t.Run("ResetConsumerClientOffset", func(t *testing.T) {
		require.Eventually(t, func() bool {
			o0, ok0 := e.committed("cg", q0)
			o1, ok1 := e.committed("cg", q1)
			return ok0 && ok1 && o0+o1 == 6
		}, waitFor, tick)
		before := got.count()
		resp := callBroker(t, e.broker, remoting.NewRequest(protocol.InvokeBrokerToResetOffset, protocol.EncodeHeader(
			&protocol.ResetOffsetRequestHeader{Topic: "TopicC", Group: "cg", Timestamp: 0, IsForce: true}), nil))
		require.Equal(t, protocol.Success, resp.ResponseCode(), resp.Remark)
		require.Eventually(t, func() bool { return got.count() >= before+6 }, waitFor, tick)
	})
}

// TestAdminBrokerPermissionReachesRoute: after UPDATE_BROKER_CONFIG sets
// brokerPermission, the broker re-registers and the name server's route
// shows the broker's queues with that permission (Java's
// AdminBrokerProcessor.updateBrokerConfig bumps the topic config
// DataVersion before registerBrokerAll, so the name server takes the new
// table).
func TestAdminBrokerPermissionReachesRoute(t *testing.T) {
	e := startEnv(t)
	e.createTopicOn(e.broker, "TopicP", 1, 6)
	require.NoError(t, e.admin.UpdateBrokerConfig(context.Background(), e.broker.BrokerAddr(), map[string]string{"brokerPermission": "4"}))
	require.Eventually(t, func() bool {
		r, err := e.admin.TopicRoute(context.Background(), "TopicP")
		return err == nil && len(r.QueueDatas) == 1 && r.QueueDatas[0].Perm == protocol.PermRead
	}, 5*time.Second, tick, "the route still shows the old permission")
}
