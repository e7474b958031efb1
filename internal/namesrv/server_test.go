package namesrv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

func testConfig(t *testing.T) Config {
	dir := t.TempDir()
	return Config{
		KvConfigPath:        filepath.Join(dir, "kvConfig.json"),
		ConfigStorePath:     filepath.Join(dir, "namesrv.properties"),
		ProductEnvName:      "center",
		ConfigBlackList:     "configBlackList;configStorePath;kvConfigPath",
		BindAddress:         "127.0.0.1",
		ListenPort:          0,
		ServerWorkerThreads: 4,
	}
}

func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NoError(t, s.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.Shutdown(ctx))
	})
	return s
}

func newClient(t *testing.T) *remoting.Client {
	t.Helper()
	c := remoting.NewClient(remoting.ClientConfig{}, zaptest.NewLogger(t))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func call(t *testing.T, c *remoting.Client, addr string, req *remoting.Command) *remoting.Command {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.Invoke(ctx, addr, req)
	require.NoError(t, err)
	return resp
}

func request(code protocol.RequestCode, header any, body []byte) *remoting.Command {
	var ext map[string]string
	if header != nil {
		ext = protocol.EncodeHeader(header)
	}
	return remoting.NewRequest(code, ext, body)
}

func registerReq(name, addr string, id int64, body *protocol.RegisterBrokerBody) *remoting.Command {
	raw := body.Encode()
	return request(protocol.RegisterBroker, &protocol.RegisterBrokerRequestHeader{
		BrokerName: name, BrokerAddr: addr, ClusterName: "DefaultCluster",
		HaServerAddr: strings.Replace(addr, ":10911", ":10912", 1), BrokerID: id, BodyCrc32: bodyCRC32(raw),
	}, raw)
}

func registerBody(counter int64, tcs ...protocol.TopicConfig) *protocol.RegisterBrokerBody {
	return &protocol.RegisterBrokerBody{TopicConfigSerializeWrapper: topics(counter, tcs...)}
}

func requireOK(t *testing.T, resp *remoting.Command) {
	t.Helper()
	require.Equal(t, protocol.Success, resp.ResponseCode(), "remark %q", resp.Remark)
}

func TestNamesrvRegisterAndRoute(t *testing.T) {
	s := startServer(t, testConfig(t))
	c := newClient(t)
	body := registerBody(1, protocol.NewTopicConfig("TopicTest", 4, 4, 6), protocol.NewTopicConfig("ReadOnly", 4, 4, 4))

	resp := call(t, c, s.Addr(), registerReq("broker-a", "10.0.0.1:10911", 0, body))
	requireOK(t, resp)
	require.NotContains(t, resp.ExtFields, "masterAddr")
	require.Empty(t, resp.Body, "no ORDER_TOPIC_CONFIG entries, no body")

	resp = call(t, c, s.Addr(), registerReq("broker-a", "10.0.0.2:10911", 1, body))
	requireOK(t, resp)
	require.Equal(t, "10.0.0.1:10911", resp.ExtFields["masterAddr"])
	require.Equal(t, "10.0.0.1:10912", resp.ExtFields["haServerAddr"])

	// A requester before V4_9_4 (the Go client sends 317) gets bare keys.
	req := request(protocol.GetRouteinfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "TopicTest"}, nil)
	req.Version = 317
	resp = call(t, c, s.Addr(), req)
	requireOK(t, resp)
	require.Equal(t, `{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`, string(resp.Body))

	// V4_9_4 and later, or acceptStandardJsonOnly, get quoted keys.
	resp = call(t, c, s.Addr(), request(protocol.GetRouteinfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "TopicTest"}, nil))
	requireOK(t, resp)
	require.Contains(t, string(resp.Body), `"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"}`)
	yes := true
	req = request(protocol.GetRouteinfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "ReadOnly", AcceptStandardJSONOnly: &yes}, nil)
	req.Version = 317
	resp = call(t, c, s.Addr(), req)
	requireOK(t, resp)
	route, err := protocol.DecodeTopicRouteData(resp.Body)
	require.NoError(t, err)
	require.EqualValues(t, 4, route.QueueDatas[0].Perm)
	require.Contains(t, string(resp.Body), `{"0":"10.0.0.1:10911"`)

	resp = call(t, c, s.Addr(), request(protocol.GetRouteinfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "NoSuchTopic"}, nil))
	require.Equal(t, protocol.TopicNotExist, resp.ResponseCode())
	require.Equal(t, "No topic route info in name server for the topic: NoSuchTopic\nSee http://rocketmq.apache.org/docs/faq/ for further details.", resp.Remark)
	require.Empty(t, resp.Body)
}

func TestNamesrvRegisterCompressedOldVersionAndCRC(t *testing.T) {
	s := startServer(t, testConfig(t))
	c := newClient(t)
	body := registerBody(1, protocol.NewTopicConfig("Zipped", 2, 2, 6))
	raw := body.EncodeCompressed()
	req := request(protocol.RegisterBroker, &protocol.RegisterBrokerRequestHeader{
		BrokerName: "broker-z", BrokerAddr: "z:10911", ClusterName: "C", HaServerAddr: "z:10912", Compressed: true, BodyCrc32: bodyCRC32(raw),
	}, raw)
	requireOK(t, call(t, c, s.Addr(), req))
	require.NotNil(t, s.Routes().Route("Zipped"))

	// Version < 37: the body is a bare TopicConfigSerializeWrapper.
	old := request(protocol.RegisterBroker, &protocol.RegisterBrokerRequestHeader{
		BrokerName: "broker-o", BrokerAddr: "o:10911", ClusterName: "C", HaServerAddr: "o:10912",
	}, protocol.MarshalCompact(topics(1, protocol.NewTopicConfig("Old", 1, 1, 6))))
	old.Version = 36
	requireOK(t, call(t, c, s.Addr(), old))
	require.NotNil(t, s.Routes().Route("Old"))

	bad := registerReq("broker-a", "a:10911", 0, body)
	bad.ExtFields["bodyCrc32"] = "12345"
	resp := call(t, c, s.Addr(), bad)
	require.Equal(t, protocol.SystemError, resp.ResponseCode())
	require.Equal(t, "crc32 not match", resp.Remark)
	require.Nil(t, s.Routes().Route("a"), "nothing registered")
}

func TestNamesrvClusterInfoAndTopicLists(t *testing.T) {
	s := startServer(t, testConfig(t))
	c := newClient(t)
	unit := protocol.NewTopicConfig("UnitTopic", 1, 1, 6)
	unit.TopicSysFlag = protocol.TopicSysFlagUnit
	requireOK(t, call(t, c, s.Addr(), registerReq("broker-a", "10.0.0.1:10911", 0, registerBody(1, protocol.NewTopicConfig("TopicTest", 4, 4, 6), unit))))

	resp := call(t, c, s.Addr(), request(protocol.GetBrokerClusterInfo, nil, nil))
	requireOK(t, resp)
	require.Equal(t, `{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}`, string(resp.Body))

	for _, tc := range []struct {
		name string
		req  *remoting.Command
		want string
	}{
		{"all", request(protocol.GetAllTopicListFromNameserver, nil, nil), `{"topicList":["TopicTest","UnitTopic"]}`},
		{"cluster", request(protocol.GetTopicsByCluster, &protocol.GetTopicsByClusterRequestHeader{Cluster: "DefaultCluster"}, nil), `{"topicList":["TopicTest","UnitTopic"]}`},
		{"no cluster", request(protocol.GetTopicsByCluster, &protocol.GetTopicsByClusterRequestHeader{Cluster: "X"}, nil), `{"topicList":[]}`},
		{"system", request(protocol.GetSystemTopicListFromNs, nil, nil), `{"brokerAddr":"10.0.0.1:10911","topicList":["DefaultCluster","broker-a"]}`},
		{"unit", request(protocol.GetUnitTopicList, nil, nil), `{"topicList":["UnitTopic"]}`},
		{"unit sub", request(protocol.GetHasUnitSubTopicList, nil, nil), `{"topicList":[]}`},
		{"unit sub ununit", request(protocol.GetHasUnitSubUnunitTopicList, nil, nil), `{"topicList":[]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := call(t, c, s.Addr(), tc.req)
			requireOK(t, resp)
			require.Equal(t, tc.want, string(resp.Body))
		})
	}
}

func TestNamesrvPermsDeleteUnregisterAndDataVersion(t *testing.T) {
	s := startServer(t, testConfig(t))
	c := newClient(t)
	requireOK(t, call(t, c, s.Addr(), registerReq("broker-a", "10.0.0.1:10911", 0, registerBody(3, protocol.NewTopicConfig("T1", 4, 4, 6), protocol.NewTopicConfig("T2", 4, 4, 6)))))

	resp := call(t, c, s.Addr(), request(protocol.WipeWritePermOfBroker, &protocol.WipeWritePermOfBrokerRequestHeader{BrokerName: "broker-a"}, nil))
	requireOK(t, resp)
	require.Equal(t, "2", resp.ExtFields["wipeTopicCount"])
	require.EqualValues(t, 4, s.Routes().Route("T1").QueueDatas[0].Perm)
	resp = call(t, c, s.Addr(), request(protocol.AddWritePermOfBroker, &protocol.AddWritePermOfBrokerRequestHeader{BrokerName: "broker-a"}, nil))
	requireOK(t, resp)
	require.Equal(t, "2", resp.ExtFields["addTopicCount"])
	require.EqualValues(t, 6, s.Routes().Route("T1").QueueDatas[0].Perm)

	qdv := &protocol.QueryDataVersionRequestHeader{BrokerName: "broker-a", BrokerAddr: "10.0.0.1:10911", ClusterName: "DefaultCluster"}
	resp = call(t, c, s.Addr(), request(protocol.QueryDataVersion, qdv, protocol.MarshalCompact(protocol.DataVersion{Counter: 3, Timestamp: 1700000000000})))
	requireOK(t, resp)
	require.Equal(t, "false", resp.ExtFields["changed"])
	require.Equal(t, `{"counter":3,"timestamp":1700000000000}`, string(resp.Body))
	resp = call(t, c, s.Addr(), request(protocol.QueryDataVersion, qdv, protocol.MarshalCompact(protocol.DataVersion{Counter: 4})))
	require.Equal(t, "true", resp.ExtFields["changed"])

	cluster := "DefaultCluster"
	requireOK(t, call(t, c, s.Addr(), request(protocol.DeleteTopicInNamesrv, &protocol.DeleteTopicFromNamesrvRequestHeader{Topic: "T1", ClusterName: &cluster}, nil)))
	require.Nil(t, s.Routes().Route("T1"))
	requireOK(t, call(t, c, s.Addr(), request(protocol.UnregisterBroker, &protocol.UnRegisterBrokerRequestHeader{BrokerName: "broker-a", BrokerAddr: "10.0.0.1:10911", ClusterName: "DefaultCluster"}, nil)))
	require.Nil(t, s.Routes().Route("T2"))
	require.Equal(t, 0, s.Routes().BrokerCount())
}

func TestNamesrvKVConfigAndOrderTopicConf(t *testing.T) {
	cfg := testConfig(t)
	cfg.OrderMessageEnable = true
	s := startServer(t, cfg)
	c := newClient(t)

	put := &protocol.PutKVConfigRequestHeader{Namespace: protocol.NamespaceOrderTopicConfig, Key: "TopicTest", Value: "broker-a:4"}
	requireOK(t, call(t, c, s.Addr(), request(protocol.PutKvConfig, put, nil)))
	resp := call(t, c, s.Addr(), request(protocol.GetKvConfig, &protocol.GetKVConfigRequestHeader{Namespace: put.Namespace, Key: "TopicTest"}, nil))
	requireOK(t, resp)
	require.Equal(t, "broker-a:4", resp.ExtFields["value"])
	resp = call(t, c, s.Addr(), request(protocol.GetKvConfig, &protocol.GetKVConfigRequestHeader{Namespace: put.Namespace, Key: "Nope"}, nil))
	require.Equal(t, protocol.QueryNotFound, resp.ResponseCode())
	require.Equal(t, "No config item, Namespace: ORDER_TOPIC_CONFIG Key: Nope", resp.Remark)
	resp = call(t, c, s.Addr(), request(protocol.GetKvlistByNamespace, &protocol.GetKVListByNamespaceRequestHeader{Namespace: put.Namespace}, nil))
	requireOK(t, resp)
	require.Equal(t, `{"table":{"TopicTest":"broker-a:4"}}`, string(resp.Body))
	resp = call(t, c, s.Addr(), request(protocol.GetKvlistByNamespace, &protocol.GetKVListByNamespaceRequestHeader{Namespace: "empty"}, nil))
	require.Equal(t, protocol.QueryNotFound, resp.ResponseCode())
	require.Equal(t, "No config item, Namespace: empty", resp.Remark)

	// The register response carries the ORDER_TOPIC_CONFIG table; routes
	// carry orderTopicConf because orderMessageEnable is on.
	resp = call(t, c, s.Addr(), registerReq("broker-a", "10.0.0.1:10911", 0, registerBody(1, protocol.NewTopicConfig("TopicTest", 4, 4, 6))))
	requireOK(t, resp)
	require.Equal(t, `{"table":{"TopicTest":"broker-a:4"}}`, string(resp.Body))
	resp = call(t, c, s.Addr(), request(protocol.GetRouteinfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: "TopicTest"}, nil))
	requireOK(t, resp)
	route, err := protocol.DecodeTopicRouteData(resp.Body)
	require.NoError(t, err)
	require.Equal(t, "broker-a:4", route.OrderTopicConf)

	requireOK(t, call(t, c, s.Addr(), request(protocol.DeleteKvConfig, &protocol.DeleteKVConfigRequestHeader{Namespace: put.Namespace, Key: "TopicTest"}, nil)))
	requireOK(t, call(t, c, s.Addr(), request(protocol.PutKvConfig, &protocol.PutKVConfigRequestHeader{Namespace: "ns", Key: "k", Value: "v"}, nil)))

	// A new server on the same kvConfig.json sees the same store.
	s2 := startServer(t, cfg)
	resp = call(t, c, s2.Addr(), request(protocol.GetKvConfig, &protocol.GetKVConfigRequestHeader{Namespace: "ns", Key: "k"}, nil))
	requireOK(t, resp)
	require.Equal(t, "v", resp.ExtFields["value"])
	resp = call(t, c, s2.Addr(), request(protocol.GetKvConfig, &protocol.GetKVConfigRequestHeader{Namespace: put.Namespace, Key: "TopicTest"}, nil))
	require.Equal(t, protocol.QueryNotFound, resp.ResponseCode())
}

func TestNamesrvConnCloseRemovesBroker(t *testing.T) {
	s := startServer(t, testConfig(t))
	broker := remoting.NewClient(remoting.ClientConfig{}, zaptest.NewLogger(t))
	requireOK(t, call(t, broker, s.Addr(), registerReq("broker-a", "10.0.0.1:10911", 0, registerBody(1, protocol.NewTopicConfig("T", 4, 4, 6)))))
	other := newClient(t)
	requireOK(t, call(t, other, s.Addr(), registerReq("broker-b", "10.0.0.2:10911", 0, registerBody(1, protocol.NewTopicConfig("T", 4, 4, 6)))))
	require.Len(t, s.Routes().Route("T").QueueDatas, 2)

	require.NoError(t, broker.Close())
	require.Eventually(t, func() bool {
		r := s.Routes().Route("T")
		return r != nil && len(r.QueueDatas) == 1 && r.QueueDatas[0].BrokerName == "broker-b"
	}, 10*time.Second, 10*time.Millisecond)
}

func TestNamesrvBrokerExpiry(t *testing.T) {
	cfg := testConfig(t)
	cfg.BrokerExpiry = 200 * time.Millisecond
	cfg.ScanInterval = 20 * time.Millisecond
	s := startServer(t, cfg)
	broker := newClient(t)
	requireOK(t, call(t, broker, s.Addr(), registerReq("broker-a", "10.0.0.1:10911", 0, registerBody(1, protocol.NewTopicConfig("T", 4, 4, 6)))))
	require.Eventually(t, func() bool { return s.Routes().Route("T") == nil && s.Routes().BrokerCount() == 0 },
		10*time.Second, 10*time.Millisecond)
}

func TestNamesrvBadInput(t *testing.T) {
	s := startServer(t, testConfig(t))
	c := newClient(t)
	for _, tc := range []struct {
		name   string
		req    *remoting.Command
		code   protocol.ResponseCode
		remark string
	}{
		{"missing topic", remoting.NewRequest(protocol.GetRouteinfoByTopic, nil, nil), protocol.SystemError, "the custom field <topic> is null"},
		{"bad brokerId", remoting.NewRequest(protocol.RegisterBroker, map[string]string{
			"brokerName": "b", "brokerAddr": "a:1", "clusterName": "c", "haServerAddr": "a:2", "brokerId": "abc"}, nil),
			protocol.SystemError, `the custom field <brokerId> is not a number: "abc"`},
		{"missing brokerName", remoting.NewRequest(protocol.UnregisterBroker, map[string]string{"brokerAddr": "a:1", "clusterName": "c", "brokerId": "0"}, nil),
			protocol.SystemError, "the custom field <brokerName> is null"},
		{"garbage register body", remoting.NewRequest(protocol.RegisterBroker, map[string]string{
			"brokerName": "b", "brokerAddr": "a:1", "clusterName": "c", "haServerAddr": "a:2", "brokerId": "0"}, []byte(`{"topicConfigSerializeWrapper":[`)),
			protocol.SystemError, "decode RegisterBrokerBody"},
		{"garbage compressed body", remoting.NewRequest(protocol.RegisterBroker, map[string]string{
			"brokerName": "b", "brokerAddr": "a:1", "clusterName": "c", "haServerAddr": "a:2", "brokerId": "0", "compressed": "true"}, []byte("not zlib")),
			protocol.SystemError, "decode compressed RegisterBrokerBody"},
		{"garbage data version", remoting.NewRequest(protocol.QueryDataVersion, map[string]string{
			"brokerName": "b", "brokerAddr": "a:1", "clusterName": "c", "brokerId": "0"}, []byte("{{")),
			protocol.SystemError, "decode DataVersion"},
		{"missing kv value", remoting.NewRequest(protocol.PutKvConfig, map[string]string{"namespace": "n", "key": "k"}, nil),
			protocol.SystemError, "the custom field <value> is null"},
		{"unknown code", remoting.NewRequest(protocol.RequestCode(9999), nil, nil), protocol.RequestCodeNotSupported, " request type 9999 not supported"},
		{"broker code at name server", remoting.NewRequest(protocol.SendMessageV2, nil, nil), protocol.RequestCodeNotSupported, " request type 310 not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := call(t, c, s.Addr(), tc.req)
			require.Equal(t, tc.code, resp.ResponseCode())
			require.Contains(t, resp.Remark, tc.remark)
		})
	}
	require.Equal(t, 0, s.Routes().BrokerCount(), "nothing bad got registered")
}

func TestNamesrvConfigGetAndUpdate(t *testing.T) {
	cfg := testConfig(t)
	s := startServer(t, cfg)
	c := newClient(t)

	resp := call(t, c, s.Addr(), request(protocol.GetNamesrvConfig, nil, nil))
	requireOK(t, resp)
	require.Contains(t, string(resp.Body), "orderMessageEnable=false\n")
	require.Contains(t, string(resp.Body), "kvConfigPath="+cfg.KvConfigPath+"\n")

	resp = call(t, c, s.Addr(), request(protocol.UpdateNamesrvConfig, nil, []byte("orderMessageEnable=true\nproductEnvName=test\ncustomKey=1\n")))
	requireOK(t, resp)
	require.True(t, s.Config().OrderMessageEnable)
	require.Equal(t, "test", s.Config().ProductEnvName)
	resp = call(t, c, s.Addr(), request(protocol.GetNamesrvConfig, nil, nil))
	require.Contains(t, string(resp.Body), "orderMessageEnable=true\n")
	require.Contains(t, string(resp.Body), "customKey=1\n")
	stored, err := os.ReadFile(cfg.ConfigStorePath)
	require.NoError(t, err)
	require.Contains(t, string(stored), "orderMessageEnable=true\n")

	for _, body := range []string{"kvConfigPath=/tmp/x", "configStorePath=/tmp/y", "rocketmqHome=/z", "configBlackList=", "a=1\nconfigBlackList=x"} {
		resp = call(t, c, s.Addr(), request(protocol.UpdateNamesrvConfig, nil, []byte(body)))
		require.Equal(t, protocol.NoPermission, resp.ResponseCode(), body)
		require.Equal(t, "Can not update config in black list.", resp.Remark)
	}
	resp = call(t, c, s.Addr(), request(protocol.UpdateNamesrvConfig, nil, []byte("serverWorkerThreads=many")))
	require.Equal(t, protocol.SystemError, resp.ResponseCode())
	require.Contains(t, resp.Remark, "serverWorkerThreads")
	require.Equal(t, 4, s.Config().ServerWorkerThreads)
	resp = call(t, c, s.Addr(), request(protocol.UpdateNamesrvConfig, nil, []byte("bad\\u00zz=1")))
	require.Equal(t, protocol.SystemError, resp.ResponseCode())
	require.Equal(t, "string2Properties error", resp.Remark)
}

func TestNamesrvDefaultConfig(t *testing.T) {
	t.Setenv("HOME", "/home/rmq")
	t.Setenv("ROCKETMQ_HOME", "/opt/rocketmq")
	c := DefaultConfig()
	require.NoError(t, c.Validate())
	require.Equal(t, 9876, c.ListenPort)
	require.Equal(t, "/home/rmq/namesrv/kvConfig.json", c.KvConfigPath)
	require.Equal(t, "/home/rmq/namesrv/namesrv.properties", c.ConfigStorePath)
	require.Equal(t, "/opt/rocketmq", c.RocketmqHome)
	require.Equal(t, "0.0.0.0", c.BindAddress)
	require.False(t, c.OrderMessageEnable)
	require.Equal(t, DefaultBrokerExpiry, c.brokerExpiry())
	require.Equal(t, DefaultScanInterval, c.scanInterval())

	bad := c
	bad.ListenPort = 70000
	require.ErrorContains(t, bad.Validate(), "listenPort")
	_, err := New(bad, nil)
	require.ErrorContains(t, err, "listenPort")
}
