package client

import (
	"encoding/json"
	"testing"

	"github.com/gorocket/gorocket/internal/remoting/protocol"

	"github.com/stretchr/testify/require"
)

// Route bodies as the two fastjson dialects write them (wire-protocol.md §6.1).
const (
	routeBareKeys   = `{"brokerDatas":[{"brokerAddrs":{0:"192.168.0.1:10911",1:"192.168.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`
	routeQuotedKeys = `{"brokerDatas":[{"brokerAddrs":{"0":"192.168.0.1:10911","1":"192.168.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`
)

func TestRouteDecodeBothDialects(t *testing.T) {
	for name, body := range map[string]string{"bare": routeBareKeys, "quoted": routeQuotedKeys} {
		t.Run(name, func(t *testing.T) {
			r, err := decodeRoute([]byte(body))
			require.NoError(t, err)
			require.Len(t, r.BrokerDatas, 1)
			require.Equal(t, "192.168.0.1:10911", r.BrokerDatas[0].BrokerAddrs[0])
			require.Equal(t, "192.168.0.2:10911", r.BrokerDatas[0].BrokerAddrs[1])
			require.Equal(t, "DefaultCluster", r.BrokerDatas[0].Cluster)
			require.Equal(t, []*protocol.QueueData{{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4}}, r.QueueDatas)
		})
	}
}

func TestRouteDecodeOldFlagName(t *testing.T) {
	r, err := decodeRoute([]byte(`{"brokerDatas":[],"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":1,"topicSynFlag":1,"writeQueueNums":1}]}`))
	require.NoError(t, err)
	require.Equal(t, int32(1), r.QueueDatas[0].TopicSysFlag)
}

func TestRouteDecodeRejectsGarbage(t *testing.T) {
	for name, body := range map[string]string{
		"empty":        ``,
		"unterminated": `{"brokerDatas":[{"brokerAddrs":{0:"x"`,
		"unbalanced":   `{"a":[}`,
		"bad key":      `{"brokerDatas":[{"brokerAddrs":{0,"x"}}]}`,
		"string key":   `{"a":{"x`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeRoute([]byte(body))
			require.Error(t, err)
		})
	}
}

func TestRouteNormalizeObjectKeys(t *testing.T) {
	in := `{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:{"maxOffset":10,"minOffset":0},{"brokerName":"broker-a","queueId":1,"topic":"T"}:{"maxOffset":12,"minOffset":1}}}`
	var out struct {
		OffsetTable map[string]struct {
			MaxOffset int64 `json:"maxOffset"`
			MinOffset int64 `json:"minOffset"`
		} `json:"offsetTable"`
	}
	require.NoError(t, decodeJSON([]byte(in), &out))
	require.Len(t, out.OffsetTable, 2)
	for k, v := range out.OffsetTable {
		var mq MessageQueue
		require.NoError(t, json.Unmarshal([]byte(k), &mq))
		require.Equal(t, "T", mq.Topic)
		require.Equal(t, int64(10+2*int64(mq.QueueID)), v.MaxOffset)
	}
}

func TestRouteNormalizePassesStandardJSON(t *testing.T) {
	in := `{"a": [1, 2, {"b": "x\"}{:"}], "c": {"d": null}}`
	out, err := normalizeJSON([]byte(in))
	require.NoError(t, err)
	require.Equal(t, in, string(out))
}

func TestRoutePublishQueues(t *testing.T) {
	r := &TopicRouteData{
		BrokerDatas: []*protocol.BrokerData{
			{BrokerName: "b", BrokerAddrs: map[int64]string{0: "b:1"}},
			{BrokerName: "a", BrokerAddrs: map[int64]string{0: "a:1", 1: "a:2"}},
			{BrokerName: "c", BrokerAddrs: map[int64]string{1: "c:2"}}, // no master
			{BrokerName: "d", BrokerAddrs: map[int64]string{0: "d:1"}},
		},
		QueueDatas: []*protocol.QueueData{
			{BrokerName: "b", Perm: 6, ReadQueueNums: 1, WriteQueueNums: 2},
			{BrokerName: "a", Perm: 6, ReadQueueNums: 3, WriteQueueNums: 1},
			{BrokerName: "c", Perm: 6, ReadQueueNums: 1, WriteQueueNums: 1},
			{BrokerName: "d", Perm: 4, ReadQueueNums: 2, WriteQueueNums: 2}, // read only
		},
	}
	require.Equal(t, []MessageQueue{
		{Topic: "T", BrokerName: "a", QueueID: 0},
		{Topic: "T", BrokerName: "b", QueueID: 0},
		{Topic: "T", BrokerName: "b", QueueID: 1},
	}, publishQueues("T", r))
	sub := subscribeQueues("T", r)
	require.Len(t, sub, 3+1+1+2)
	require.Equal(t, MessageQueue{Topic: "T", BrokerName: "a", QueueID: 0}, sub[0])
	require.Equal(t, MessageQueue{Topic: "T", BrokerName: "d", QueueID: 1}, sub[len(sub)-1])

	r.OrderTopicConf = "x:2;y:1"
	require.Equal(t, []MessageQueue{
		{Topic: "T", BrokerName: "x", QueueID: 0},
		{Topic: "T", BrokerName: "x", QueueID: 1},
		{Topic: "T", BrokerName: "y", QueueID: 0},
	}, publishQueues("T", r))
}

func TestRouteEqualAndClone(t *testing.T) {
	a, err := decodeRoute([]byte(routeBareKeys))
	require.NoError(t, err)
	b, err := decodeRoute([]byte(routeQuotedKeys))
	require.NoError(t, err)
	require.True(t, routeEqual(a, b))
	c := cloneRoute(a)
	require.True(t, routeEqual(a, c))
	c.BrokerDatas[0].BrokerAddrs[0] = "elsewhere:1"
	require.False(t, routeEqual(a, c))
	require.Equal(t, "192.168.0.1:10911", a.BrokerDatas[0].BrokerAddrs[0])
	c = cloneRoute(a)
	c.QueueDatas[0].Perm = 4
	require.False(t, routeEqual(a, c))
}

func FuzzClientNormalizeJSON(f *testing.F) {
	f.Add([]byte(routeBareKeys))
	f.Add([]byte(routeQuotedKeys))
	f.Add([]byte(`{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:5}}`))
	f.Add([]byte(`{"a":[{"b":{1:[{}]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := normalizeJSON(data)
		if err != nil {
			return
		}
		// Standard JSON must pass through unchanged.
		if json.Valid(data) {
			require.Equal(t, string(data), string(out))
		}
		_, _ = decodeRoute(data)
	})
}
