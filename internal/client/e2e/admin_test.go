package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

func TestAdminTopicsAndCluster(t *testing.T) {
	e := startEnv(t)
	ctx := context.Background()
	e.createTopic("AdminTopic", 3)

	topics, err := e.admin.TopicList(ctx)
	require.NoError(t, err)
	require.Contains(t, topics, "AdminTopic")
	require.Contains(t, topics, "TBW102")
	ci, err := e.admin.ClusterInfo(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"broker-a"}, ci.ClusterAddrTable["DefaultCluster"])
	require.Equal(t, e.broker.BrokerAddr(), ci.BrokerAddrTable["broker-a"].BrokerAddrs[0])
	inCluster, err := e.admin.TopicsOfCluster(ctx, "DefaultCluster")
	require.NoError(t, err)
	require.Contains(t, inCluster, "AdminTopic")

	p := e.producer("pg")
	for i := 0; i < 5; i++ {
		_, err := p.SendToQueue(ctx, &message.Message{Topic: "AdminTopic", Body: []byte("x")}, client.MessageQueue{Topic: "AdminTopic", BrokerName: "broker-a", QueueID: 1})
		require.NoError(t, err)
	}
	var stats map[client.MessageQueue]client.TopicOffset
	require.Eventually(t, func() bool {
		var err error
		stats, err = e.admin.TopicStats(ctx, "AdminTopic")
		return err == nil && stats[client.MessageQueue{Topic: "AdminTopic", BrokerName: "broker-a", QueueID: 1}].MaxOffset == 5
	}, 20*time.Second, 5*time.Millisecond)
	require.Len(t, stats, 3)
	require.Equal(t, int64(5), stats[client.MessageQueue{Topic: "AdminTopic", BrokerName: "broker-a", QueueID: 1}].MaxOffset)
	require.Equal(t, int64(0), stats[client.MessageQueue{Topic: "AdminTopic", BrokerName: "broker-a", QueueID: 0}].MaxOffset)
	require.NotZero(t, stats[client.MessageQueue{Topic: "AdminTopic", BrokerName: "broker-a", QueueID: 1}].LastUpdateTimestamp)

	_, err = e.admin.TopicStats(ctx, "NoSuchTopic")
	code, ok := client.CodeOf(err)
	require.True(t, ok)
	require.Equal(t, protocol.TopicNotExist, code)

	require.NoError(t, e.admin.DeleteTopic(ctx, "AdminTopic", "DefaultCluster"))
	_, err = e.admin.TopicRoute(ctx, "AdminTopic")
	code, _ = client.CodeOf(err)
	require.Equal(t, protocol.TopicNotExist, code)
}

func TestAdminViewAndQueryMessages(t *testing.T) {
	e := startEnv(t)
	ctx := context.Background()
	e.createTopic("QTopic", 2)
	p := e.producer("pg")
	begin := time.Now().Add(-time.Minute)
	m := &message.Message{Topic: "QTopic", Body: []byte("find me")}
	m.SetProperty(message.PropertyKeys, "order-1 order-2")
	r, err := p.Send(ctx, m)
	require.NoError(t, err)
	_, err = p.Send(ctx, &message.Message{Topic: "QTopic", Body: []byte("other"), Properties: map[string]string{message.PropertyKeys: "order-3"}})
	require.NoError(t, err)

	got, err := e.admin.ViewMessage(ctx, r.OffsetMsgID)
	require.NoError(t, err)
	require.Equal(t, "find me", string(got.Body))
	require.Equal(t, r.MsgID, got.UniqKey())
	require.Equal(t, r.QueueOffset, got.QueueOffset)

	end := time.Now().Add(time.Minute)
	require.Eventually(t, func() bool {
		msgs, err := e.admin.QueryMessageByKey(ctx, "QTopic", "order-2", 32, begin, end)
		return err == nil && len(msgs) == 1 && string(msgs[0].Body) == "find me"
	}, 20*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool {
		msgs, err := e.admin.QueryMessageByUniqKey(ctx, "QTopic", r.MsgID, begin, end)
		return err == nil && len(msgs) == 1 && msgs[0].MsgID == r.OffsetMsgID
	}, 20*time.Second, 20*time.Millisecond)
	msgs, err := e.admin.QueryMessageByKey(ctx, "QTopic", "nobody", 32, begin, end)
	require.NoError(t, err)
	require.Empty(t, msgs)

	_, err = e.admin.ViewMessage(ctx, "not-an-id")
	require.Error(t, err)
}

func TestAdminBrokerInfoConfigGroupsAndKV(t *testing.T) {
	e := startEnv(t)
	ctx := context.Background()
	addr := e.broker.BrokerAddr()

	info, err := e.admin.BrokerRuntimeInfo(ctx, addr)
	require.NoError(t, err)
	require.Contains(t, info, "putTps")
	require.Contains(t, info, "brokerVersionDesc")

	conf, err := e.admin.BrokerConfig(ctx, addr)
	require.NoError(t, err)
	require.Equal(t, "broker-a", conf["brokerName"])
	require.NoError(t, e.admin.UpdateBrokerConfig(ctx, addr, map[string]string{"maxMessageSize": "1048576"}))
	conf, err = e.admin.BrokerConfig(ctx, addr)
	require.NoError(t, err)
	require.Equal(t, "1048576", conf["maxMessageSize"])

	g := protocol.NewSubscriptionGroupConfig("admin-group")
	g.RetryMaxTimes = 3
	require.NoError(t, e.admin.CreateSubscriptionGroup(ctx, addr, g))
	groups, err := e.admin.SubscriptionGroups(ctx, addr)
	require.NoError(t, err)
	require.Equal(t, int32(3), groups["admin-group"].RetryMaxTimes)
	require.NoError(t, e.admin.DeleteSubscriptionGroup(ctx, addr, "admin-group", true))
	groups, err = e.admin.SubscriptionGroups(ctx, addr)
	require.NoError(t, err)
	require.NotContains(t, groups, "admin-group")

	require.NoError(t, e.admin.PutKVConfig(ctx, "ORDER_TOPIC_CONFIG", "TopicO", "broker-a:4"))
	v, err := e.admin.GetKVConfig(ctx, "ORDER_TOPIC_CONFIG", "TopicO")
	require.NoError(t, err)
	require.Equal(t, "broker-a:4", v)
	kv, err := e.admin.KVList(ctx, "ORDER_TOPIC_CONFIG")
	require.NoError(t, err)
	require.Equal(t, map[string]string{"TopicO": "broker-a:4"}, kv)
	require.NoError(t, e.admin.DeleteKVConfig(ctx, "ORDER_TOPIC_CONFIG", "TopicO"))
	_, err = e.admin.GetKVConfig(ctx, "ORDER_TOPIC_CONFIG", "TopicO")
	code, _ := client.CodeOf(err)
	require.Equal(t, protocol.QueryNotFound, code)
}

func TestAdminOffsetsAndConnections(t *testing.T) {
	e := startEnv(t)
	ctx := context.Background()
	e.createTopic("OTopic", 1)
	p := e.producer("prod-g")
	mq := client.MessageQueue{Topic: "OTopic", BrokerName: "broker-a", QueueID: 0}
	for i := 0; i < 3; i++ {
		_, err := p.SendToQueue(ctx, &message.Message{Topic: "OTopic", Body: []byte("x")}, mq)
		require.NoError(t, err)
	}
	// The consume queue is built asynchronously after the commit log append.
	require.Eventually(t, func() bool {
		maxOff, err := e.admin.MaxOffset(ctx, mq)
		return err == nil && maxOff == 3
	}, 20*time.Second, 5*time.Millisecond)
	minOff, err := e.admin.MinOffset(ctx, mq)
	require.NoError(t, err)
	require.Equal(t, int64(0), minOff)
	require.NoError(t, e.admin.UpdateConsumerOffset(ctx, "og", mq, 2))
	off, err := e.admin.QueryConsumerOffset(ctx, "og", mq)
	require.NoError(t, err)
	require.Equal(t, int64(2), off)

	require.Eventually(t, func() bool {
		conns, err := e.admin.ProducerConnections(ctx, "prod-g", "OTopic")
		return err == nil && len(conns) == 1 && conns[0].ClientID == p.ClientID()
	}, 40*time.Second, 50*time.Millisecond)
}

func TestAdminToolsCalls(t *testing.T) {
	e := startEnv(t)
	ctx := context.Background()
	e.createTopic("ToolTopic", 2)
	p := e.producer("pg")
	mq := client.MessageQueue{Topic: "ToolTopic", BrokerName: "broker-a", QueueID: 0}
	var times []time.Time
	for i := 0; i < 4; i++ {
		times = append(times, time.Now())
		_, err := p.SendToQueue(ctx, &message.Message{Topic: "ToolTopic", Body: []byte{byte('a' + i)}}, mq)
		require.NoError(t, err)
		// Space the store times, so the offset nearest times[i] is message i.
		now := time.Now().UnixMilli()
		require.Eventually(t, func() bool { return time.Now().UnixMilli() > now+20 }, time.Second, time.Millisecond)
	}
	require.Eventually(t, func() bool {
		n, err := e.admin.MaxOffset(ctx, mq)
		return err == nil && n == 4
	}, 20*time.Second, 5*time.Millisecond)

	m, err := e.admin.QueryMessageByOffset(ctx, mq, 2)
	require.NoError(t, err)
	require.Equal(t, "c", string(m.Body))
	_, err = e.admin.QueryMessageByOffset(ctx, mq, 9)
	require.Error(t, err)

	earliest, err := e.admin.EarliestMsgStoreTime(ctx, mq)
	require.NoError(t, err)
	require.GreaterOrEqual(t, earliest, times[0].UnixMilli())

	// Reset an offline group to the third message's time, then to the end.
	require.NoError(t, e.admin.UpdateConsumerOffset(ctx, "reset-g", mq, 4))
	got, err := e.admin.ResetOffsetByTime(ctx, "reset-g", "ToolTopic", times[2], false)
	require.NoError(t, err)
	require.Equal(t, int64(2), got[mq])
	off, err := e.admin.QueryConsumerOffset(ctx, "reset-g", mq)
	require.NoError(t, err)
	require.Equal(t, int64(2), off)
	got, err = e.admin.ResetOffsetByTime(ctx, "reset-g", "ToolTopic", time.Time{}, false)
	require.NoError(t, err)
	require.Equal(t, int64(2), got[mq], "without force an offset never moves forward")
	got, err = e.admin.ResetOffsetByTime(ctx, "reset-g", "ToolTopic", time.Time{}, true)
	require.NoError(t, err)
	require.Equal(t, int64(4), got[mq])

	require.NoError(t, e.admin.CloneGroupOffset(ctx, "reset-g", "clone-g", "ToolTopic", true))
	off, err = e.admin.QueryConsumerOffset(ctx, "clone-g", mq)
	require.NoError(t, err)
	require.Equal(t, int64(4), off)
	groups, err := e.admin.TopicConsumedBy(ctx, "ToolTopic")
	require.NoError(t, err)
	require.Contains(t, groups, "reset-g")
	require.Contains(t, groups, "clone-g")

	tcs, err := e.admin.TopicConfigs(ctx, e.broker.BrokerAddr())
	require.NoError(t, err)
	require.Equal(t, int32(2), tcs["ToolTopic"].WriteQueueNums)

	counts, err := e.admin.WipeWritePerm(ctx, "broker-a")
	require.NoError(t, err)
	require.Positive(t, counts[e.ns.Addr()])
	route, err := e.admin.TopicRoute(ctx, "ToolTopic")
	require.NoError(t, err)
	require.Equal(t, int32(4), route.QueueDatas[0].Perm, "write bit wiped")
	_, err = e.admin.AddWritePerm(ctx, "broker-a")
	require.NoError(t, err)
	route, err = e.admin.TopicRoute(ctx, "ToolTopic")
	require.NoError(t, err)
	require.Equal(t, int32(6), route.QueueDatas[0].Perm)
}
