package namesrv

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// clientBrokerAddrs reads the broker addresses of a route body the way
// rocketmq-client-go v2.1.2 does (internal/route.go TopicRouteData.decode,
// which public packages cannot call): gjson finds each brokerDatas element,
// the raw text of brokerAddrs is cut at its braces, split on commas, each
// part split at its first colon, and quotes are dropped from id and address.
func clientBrokerAddrs(t *testing.T, body []byte) map[string]map[int64]string {
	t.Helper()
	out := map[string]map[int64]string{}
	for _, bd := range gjson.ParseBytes(body).Get("brokerDatas").Array() {
		raw := bd.Get("brokerAddrs").String()
		require.GreaterOrEqual(t, len(raw), 2, "brokerAddrs must be present")
		addrs := map[int64]string{}
		for _, part := range strings.Split(raw[1:len(raw)-1], ",") {
			idText, addr, ok := strings.Cut(part, ":")
			if !ok {
				continue
			}
			id, err := strconv.ParseInt(strings.ReplaceAll(idText, `"`, ""), 10, 64)
			require.NoError(t, err, "broker id %q", idText)
			addrs[id] = strings.ReplaceAll(addr, `"`, "")
		}
		out[bd.Get("brokerName").String()] = addrs
	}
	return out
}

// TestNamesrvGoClientRoute registers brokers through our remoting client and
// reads the routes with the official Go client's public admin API.
func TestNamesrvGoClientRoute(t *testing.T) {
	rlog.SetLogLevel("error")
	s := startServer(t, testConfig(t))

	// broker-a's master address is a real remoting server standing in for
	// the broker, so the admin client's use of the parsed master address is
	// observable: DeleteTopic sends DELETE_TOPIC_IN_BROKER there.
	fake := remoting.NewServer(remoting.ServerConfig{ListenAddr: "127.0.0.1:0"}, zaptest.NewLogger(t))
	var mu sync.Mutex
	var deleted []string
	fake.Register(protocol.DeleteTopicInBroker, func(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
		mu.Lock()
		deleted = append(deleted, req.ExtFields["topic"])
		mu.Unlock()
		return remoting.NewResponse(req, protocol.Success, "")
	}, nil)
	require.NoError(t, fake.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = fake.Shutdown(ctx)
	})
	masterA := fake.Addr()

	c := newClient(t)
	bodyA := registerBody(1,
		protocol.NewTopicConfig("TopicTest", 4, 4, 6),
		protocol.NewTopicConfig("ReadOnlyTopic", 4, 4, 4))
	reg := func(name, addr string, id int64, body *protocol.RegisterBrokerBody) *remoting.Command {
		return request(protocol.RegisterBroker, &protocol.RegisterBrokerRequestHeader{
			BrokerName: name, BrokerAddr: addr, ClusterName: "DefaultCluster", HaServerAddr: addr, BrokerID: id,
		}, body.Encode())
	}
	requireOK(t, call(t, c, s.Addr(), reg("broker-a", masterA, 0, bodyA)))
	resp := call(t, c, s.Addr(), reg("broker-a", "127.0.0.1:1", 1, bodyA))
	requireOK(t, resp)
	require.Equal(t, masterA, resp.ExtFields["masterAddr"])
	// broker-b serves TopicTest too, but its master leaves: only its slave
	// (id 1) remains, so producers must not use it.
	bodyB := registerBody(1, protocol.NewTopicConfig("TopicTest", 2, 2, 6))
	requireOK(t, call(t, c, s.Addr(), reg("broker-b", "127.0.0.1:2", 0, bodyB)))
	requireOK(t, call(t, c, s.Addr(), reg("broker-b", "127.0.0.1:3", 1, bodyB)))
	requireOK(t, call(t, c, s.Addr(), request(protocol.UnregisterBroker, &protocol.UnRegisterBrokerRequestHeader{
		BrokerName: "broker-b", BrokerAddr: "127.0.0.1:2", ClusterName: "DefaultCluster", BrokerID: 0}, nil)))

	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{s.Addr()})))
	require.NoError(t, err)
	t.Cleanup(func() { _ = adm.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// Publish queues: writable queue data of brokers whose parsed
	// brokerAddrs has a master (id 0).
	mqs, err := adm.FetchPublishMessageQueues(ctx, "TopicTest")
	require.NoError(t, err)
	var got []string
	for _, mq := range mqs {
		got = append(got, mq.BrokerName+"/"+strconv.Itoa(mq.QueueId))
		require.Equal(t, "TopicTest", mq.Topic)
	}
	sort.Strings(got)
	require.Equal(t, []string{"broker-a/0", "broker-a/1", "broker-a/2", "broker-a/3"}, got)

	mqs, err = adm.FetchPublishMessageQueues(ctx, "ReadOnlyTopic")
	require.NoError(t, err)
	require.Empty(t, mqs, "perm 4 (read only) gives no publish queues")

	_, err = adm.FetchPublishMessageQueues(ctx, "NoSuchTopic")
	require.Error(t, err, "TOPIC_NOT_EXIST reaches the client as an error")

	list, err := adm.FetchAllTopicList(ctx)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"TopicTest", "ReadOnlyTopic"}, list.TopicList)

	// DeleteTopic resolves the broker from the route it parsed: the master
	// address of broker-a, then deletes the route on the name server.
	require.NoError(t, adm.DeleteTopic(ctx, admin.WithTopicDelete("ReadOnlyTopic")))
	mu.Lock()
	require.Equal(t, []string{"ReadOnlyTopic"}, deleted)
	mu.Unlock()
	require.Nil(t, s.Routes().Route("ReadOnlyTopic"))

	// Addresses by id are not observable through the public API beyond the
	// master; check them on our bytes with the client's parsing steps, in
	// both dialects.
	for _, version := range []int32{317, 409} {
		req := request(protocol.GetRouteinfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "TopicTest"}, nil)
		req.Version = version
		resp := call(t, c, s.Addr(), req)
		requireOK(t, resp)
		require.Equal(t, map[string]map[int64]string{
			"broker-a": {0: masterA, 1: "127.0.0.1:1"},
			"broker-b": {1: "127.0.0.1:3"},
		}, clientBrokerAddrs(t, resp.Body), "version %d", version)
		queues := gjson.GetBytes(resp.Body, "queueDatas").Array()
		require.Len(t, queues, 2)
		require.Equal(t, "broker-a", queues[0].Get("brokerName").String())
		require.EqualValues(t, 6, queues[0].Get("perm").Int())
		require.EqualValues(t, 2, queues[1].Get("writeQueueNums").Int())
	}
}
