package broker

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

func queryReq(topic, key string, unique bool) *remoting.Command {
	h := protocol.QueryMessageRequestHeader{Topic: topic, Key: key, MaxNum: 32, BeginTimestamp: 0, EndTimestamp: time.Now().Add(time.Hour).UnixMilli()}
	ext := protocol.EncodeHeader(&h)
	ext[protocol.UniqueKeyQuery] = strconv.FormatBool(unique)
	return remoting.NewRequest(protocol.QueryMessage, ext, nil)
}

func TestQueryMessageByKeyAndUniqueKey(t *testing.T) {
	e := startEnv(t)
	e.createTopic("QueryTopic", 1, 6)
	e.send("QueryTopic", 0, map[string]string{"KEYS": "order-1 order-2", "UNIQ_KEY": "UNIQ0001"}, "first")
	e.send("QueryTopic", 0, map[string]string{"KEYS": "order-2"}, "second")
	e.waitMaxOffset("QueryTopic", 0, 2)

	var resp *remoting.Command
	require.Eventually(t, func() bool {
		resp = e.invoke(queryReq("QueryTopic", "order-2", false))
		return resp.Code == int32(protocol.Success) && len(bodies(t, resp)) == 2
	}, 10*time.Second, 10*time.Millisecond, "the index holds both messages")
	require.ElementsMatch(t, []string{"first", "second"}, bodies(t, resp))
	var h protocol.QueryMessageResponseHeader
	require.NoError(t, protocol.DecodeHeader(resp.ExtFields, &h))
	require.Positive(t, h.IndexLastUpdateTimestamp)

	resp = e.invoke(queryReq("QueryTopic", "UNIQ0001", true))
	require.Equal(t, int32(protocol.Success), resp.Code, resp.Remark)
	require.Equal(t, []string{"first"}, bodies(t, resp))

	resp = e.invoke(queryReq("QueryTopic", "nothing-here", false))
	require.Equal(t, int32(protocol.QueryNotFound), resp.Code)
	require.Equal(t, "can not find message, maybe time range not correct", resp.Remark)

	req := queryReq("QueryTopic", "order-1", false)
	delete(req.ExtFields, "maxNum")
	resp = e.invoke(req)
	require.Equal(t, int32(protocol.SystemError), resp.Code)
	require.Equal(t, "the custom field <maxNum> is null", resp.Remark)
}

func TestQueryViewMessageByID(t *testing.T) {
	e := startEnv(t)
	e.createTopic("ViewTopic", 1, 6)
	e.send("ViewTopic", 0, nil, "zero")
	resp := e.send("ViewTopic", 0, map[string]string{"TAGS": "V"}, "one")
	host, phy, err := message.ParseOffsetMsgID(resp.ExtFields["msgId"])
	require.NoError(t, err)
	require.Equal(t, e.b.BrokerAddr(), host.String(), "the id leads back to this broker")

	view := func(off int64) *remoting.Command {
		return e.invoke(remoting.NewRequest(protocol.ViewMessageById, protocol.EncodeHeader(&protocol.ViewMessageRequestHeader{Offset: off}), nil))
	}
	r := view(phy)
	require.Equal(t, int32(protocol.Success), r.Code, r.Remark)
	msgs, err := message.DecodeMessages(r.Body)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, "one", string(msgs[0].Body))
	require.Equal(t, "V", msgs[0].Properties["TAGS"])
	require.Equal(t, resp.ExtFields["msgId"], msgs[0].MsgID)

	r = view(phy + 1<<30)
	require.Equal(t, int32(protocol.SystemError), r.Code)
	require.True(t, strings.HasPrefix(r.Remark, "can not find message by the offset, "), r.Remark)
}

func TestAdminStoreOffsetsAndStats(t *testing.T) {
	e := startEnv(t)
	e.createTopic("StatsTopic", 2, 6)
	before := time.Now().UnixMilli()
	for range 3 {
		e.send("StatsTopic", 1, nil, "x")
	}
	e.waitMaxOffset("StatsTopic", 1, 3)
	ask := func(code protocol.RequestCode, ext map[string]string) *remoting.Command {
		r := e.invoke(remoting.NewRequest(code, ext, nil))
		require.Equal(t, int32(protocol.Success), r.Code, r.Remark)
		return r
	}
	q := map[string]string{"topic": "StatsTopic", "queueId": "1"}
	require.Equal(t, "3", ask(protocol.GetMaxOffset, q).ExtFields["offset"])
	require.Equal(t, "0", ask(protocol.GetMinOffset, q).ExtFields["offset"])
	ts, err := strconv.ParseInt(ask(protocol.GetEarliestMsgStoretime, q).ExtFields["timestamp"], 10, 64)
	require.NoError(t, err)
	require.GreaterOrEqual(t, ts, before)
	search := map[string]string{"topic": "StatsTopic", "queueId": "1", "timestamp": strconv.FormatInt(before-1000, 10)}
	require.Equal(t, "0", ask(protocol.SearchOffsetByTimestamp, search).ExtFields["offset"])
	empty := map[string]string{"topic": "NoSuchTopic", "queueId": "0"}
	require.Equal(t, "0", ask(protocol.GetMaxOffset, empty).ExtFields["offset"], "an unknown queue has max offset 0")

	r := e.invoke(remoting.NewRequest(protocol.GetMaxOffset, map[string]string{"topic": "StatsTopic"}, nil))
	require.Equal(t, int32(protocol.SystemError), r.Code)
	require.Equal(t, "the custom field <queueId> is null", r.Remark)

	stats := ask(protocol.GetTopicStatsInfo, map[string]string{"topic": "StatsTopic"})
	body := string(stats.Body)
	require.Contains(t, body, `{"brokerName":"broker-a","queueId":1,"topic":"StatsTopic"}:{"lastUpdateTimestamp":`)
	require.Contains(t, body, `"maxOffset":3,"minOffset":0}`)
	require.Contains(t, body, `{"brokerName":"broker-a","queueId":0,"topic":"StatsTopic"}:{"lastUpdateTimestamp":0,"maxOffset":0,"minOffset":0}`)
	r = e.invoke(remoting.NewRequest(protocol.GetTopicStatsInfo, map[string]string{"topic": "NoSuchTopic"}, nil))
	require.Equal(t, int32(protocol.TopicNotExist), r.Code)

	e.b.offsets.CommitOffset("test", "cgstats", "StatsTopic", 1, 2)
	cs := ask(protocol.GetConsumeStats, map[string]string{"consumerGroup": "cgstats"})
	require.Contains(t, string(cs.Body), `{"brokerName":"broker-a","queueId":1,"topic":"StatsTopic"}:{"brokerOffset":3,"consumerOffset":2,"lastTimestamp":`)
	require.True(t, strings.HasPrefix(string(cs.Body), `{"consumeTps":0.0,"offsetTable":{`))
}

// TestAdminStoreDeleteExpiredCommitLog: DELETE_EXPIRED_COMMITLOG is served
// (the store test TestStoreExecuteDeleteFilesManually covers its effect).
func TestAdminStoreDeleteExpiredCommitLog(t *testing.T) {
	e := startEnv(t)
	r := e.invoke(remoting.NewRequest(protocol.DeleteExpiredCommitlog, nil, nil))
	require.Equal(t, int32(protocol.Success), r.Code, r.Remark)
}
