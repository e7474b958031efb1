package broker

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/namesrv"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
	"github.com/gorocket/gorocket/internal/store"
)

// testEnv is a real name server and a real broker on loopback, with the
// store in a temporary directory, and a remoting client to talk to them.
type testEnv struct {
	t       *testing.T
	ns      *namesrv.Server
	b       *Broker
	cli     *remoting.Client
	dir     string
	stopped bool
}

type envOpt func(cfg *Config, scfg *store.Config)

func startNamesrv(t *testing.T) *namesrv.Server {
	t.Helper()
	dir := t.TempDir()
	ns, err := namesrv.New(namesrv.Config{
		KvConfigPath:        filepath.Join(dir, "kvConfig.json"),
		ConfigStorePath:     filepath.Join(dir, "namesrv.properties"),
		ProductEnvName:      "center",
		ConfigBlackList:     "configBlackList;configStorePath;kvConfigPath",
		BindAddress:         "127.0.0.1",
		ServerWorkerThreads: 4,
	}, zaptest.NewLogger(t).Named("namesrv"))
	require.NoError(t, err)
	require.NoError(t, ns.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = ns.Shutdown(ctx)
	})
	return ns
}

// testConfigs returns a broker and store config for tests: loopback, free
// ports, small files under dir.
func testConfigs(dir, nsAddr string) (Config, store.Config) {
	cfg := NewConfig()
	cfg.BrokerIP1 = "127.0.0.1"
	cfg.BrokerIP2 = "127.0.0.1"
	cfg.BrokerName = "broker-a"
	cfg.BrokerClusterName = "DefaultCluster"
	cfg.ListenPort = 0
	cfg.NamesrvAddr = nsAddr
	cfg.SendMessageThreadPoolNums = 2
	cfg.PullMessageThreadPoolNums = 4
	cfg.QueryMessageThreadPoolNums = 2
	cfg.AdminBrokerThreadPoolNums = 2
	cfg.HeartbeatThreadPoolNums = 2
	cfg.ClientManageThreadPoolNums = 2
	cfg.ConsumerManageThreadPoolNums = 2
	scfg := store.DefaultConfig(filepath.Join(dir, "store"))
	scfg.MappedFileSizeCommitLog = 1 << 20
	scfg.MappedFileSizeConsumeQueue = 20 * 1000
	scfg.MaxHashSlotNum = 1000
	scfg.MaxIndexNum = 4000
	return *cfg, scfg
}

func startEnv(t *testing.T, opts ...envOpt) *testEnv {
	t.Helper()
	ns := startNamesrv(t)
	dir := t.TempDir()
	cfg, scfg := testConfigs(dir, ns.Addr())
	for _, o := range opts {
		o(&cfg, &scfg)
	}
	b, err := New(cfg, scfg, zaptest.NewLogger(t).Named("broker"))
	require.NoError(t, err)
	require.NoError(t, b.Start())
	e := &testEnv{t: t, ns: ns, b: b, dir: dir, cli: remoting.NewClient(remoting.ClientConfig{}, zaptest.NewLogger(t).Named("client"))}
	t.Cleanup(func() {
		e.cli.Close()
		e.shutdown()
	})
	return e
}

func (e *testEnv) shutdown() {
	if e.stopped {
		return
	}
	e.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(e.t, e.b.Shutdown(ctx))
}

// invoke sends req to the broker's main port.
func (e *testEnv) invoke(req *remoting.Command) *remoting.Command {
	e.t.Helper()
	return e.invokeAt(e.b.Addr(), req)
}

func (e *testEnv) invokeAt(addr string, req *remoting.Command) *remoting.Command {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := e.cli.Invoke(ctx, addr, req)
	require.NoError(e.t, err)
	return resp
}

// sendReq builds a SEND_MESSAGE_V2 request.
func sendReq(topic string, queueID int32, props map[string]string, body []byte) *remoting.Command {
	h := protocol.SendMessageRequestHeaderV2{
		ProducerGroup:         "pg",
		Topic:                 topic,
		DefaultTopic:          "TBW102",
		DefaultTopicQueueNums: 4,
		QueueID:               queueID,
		BornTimestamp:         time.Now().UnixMilli(),
		Properties:            message.EncodeProperties(props),
	}
	return remoting.NewRequest(protocol.SendMessageV2, protocol.EncodeHeader(&h), body)
}

// send stores one message and requires success.
func (e *testEnv) send(topic string, queueID int32, props map[string]string, body string) *remoting.Command {
	e.t.Helper()
	resp := e.invoke(sendReq(topic, queueID, props, []byte(body)))
	require.Equal(e.t, int32(protocol.Success), resp.Code, resp.Remark)
	return resp
}

// createTopic puts a topic straight into the broker's table.
func (e *testEnv) createTopic(topic string, queues, perm int32) {
	e.t.Helper()
	require.NoError(e.t, e.b.topics.Update(protocol.NewTopicConfig(topic, queues, queues, perm)))
}

// pullReq builds a PULL_MESSAGE request carrying its subscription.
func pullReq(topic string, queueID int32, offset int64, sub string, sysFlag int32, suspendMs int64) *remoting.Command {
	h := protocol.PullMessageRequestHeader{
		ConsumerGroup:        "cg",
		Topic:                topic,
		QueueID:              queueID,
		QueueOffset:          offset,
		MaxMsgNums:           32,
		SysFlag:              sysFlag,
		SuspendTimeoutMillis: suspendMs,
		Subscription:         sub,
		ExpressionType:       "TAG",
	}
	return remoting.NewRequest(protocol.PullMessage, protocol.EncodeHeader(&h), nil)
}

func pullHeader(t *testing.T, resp *remoting.Command) protocol.PullMessageResponseHeader {
	t.Helper()
	var h protocol.PullMessageResponseHeader
	require.NoError(t, protocol.DecodeHeader(resp.ExtFields, &h), "pull responses carry all four offsets: %v", resp.ExtFields)
	return h
}

func bodies(t *testing.T, resp *remoting.Command) []string {
	t.Helper()
	msgs, err := message.DecodeMessages(resp.Body)
	require.NoError(t, err)
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Body)
	}
	return out
}

func TestBrokerRegistersWithNameServer(t *testing.T) {
	e := startEnv(t)
	route := e.ns.Routes().Route("TBW102")
	require.NotNil(t, route, "TBW102 is registered at boot")
	require.Len(t, route.BrokerDatas, 1)
	require.Equal(t, "broker-a", route.BrokerDatas[0].BrokerName)
	require.Equal(t, e.b.BrokerAddr(), route.BrokerDatas[0].BrokerAddrs[0])
	require.Equal(t, e.b.Addr(), e.b.BrokerAddr(), "the broker listens where it says it does")
	for _, qd := range route.QueueDatas {
		require.Equal(t, int32(8), qd.WriteQueueNums)
		require.Equal(t, int32(protocol.PermRead|protocol.PermWrite|protocol.PermInherit), qd.Perm)
	}
	// A topic change re-registers at once.
	e.createTopic("RegisteredLater", 2, 6)
	e.b.topicsChanged(nil)
	require.Eventually(t, func() bool { return e.ns.Routes().Route("RegisteredLater") != nil }, 10*time.Second, 10*time.Millisecond)
}

func TestBrokerShutdownUnregistersAndRemovesAbort(t *testing.T) {
	e := startEnv(t)
	abort := filepath.Join(e.dir, "store", "abort")
	_, err := os.Stat(abort)
	require.NoError(t, err, "a running store has its abort file")
	require.Equal(t, 1, e.ns.Routes().BrokerCount())
	e.send("ShutdownTopic", 0, nil, "x")
	e.shutdown()
	_, err = os.Stat(abort)
	require.True(t, os.IsNotExist(err), "a clean shutdown removes the abort file: %v", err)
	require.Equal(t, 0, e.ns.Routes().BrokerCount(), "the broker unregistered")
	_, err = os.Stat(filepath.Join(e.dir, "store", "config", "consumerOffset.json"))
	require.NoError(t, err, "offsets are persisted at shutdown")
}

func TestBrokerUnknownCode(t *testing.T) {
	e := startEnv(t)
	resp := e.invoke(remoting.NewRequest(protocol.RequestCode(9999), nil, nil))
	require.Equal(t, int32(protocol.RequestCodeNotSupported), resp.Code)
	require.Contains(t, resp.Remark, "9999")
}

func TestBrokerFastPortRefusesPull(t *testing.T) {
	e := startEnv(t)
	e.createTopic("FastTopic", 1, 6)
	resp := e.invokeAt(e.b.FastAddr(), pullReq("FastTopic", 0, 0, "*", protocol.PullFlagSubscription, 0))
	require.Equal(t, int32(protocol.RequestCodeNotSupported), resp.Code)

	// Everything else is served there.
	resp = e.invokeAt(e.b.FastAddr(), sendReq("FastTopic", 0, nil, []byte("via fast port")))
	require.Equal(t, int32(protocol.Success), resp.Code, resp.Remark)
	e.waitMaxOffset("FastTopic", 0, 1)
	resp = e.invokeAt(e.b.FastAddr(), remoting.NewRequest(protocol.GetMaxOffset,
		protocol.EncodeHeader(&protocol.GetMaxOffsetRequestHeader{Topic: "FastTopic"}), nil))
	require.Equal(t, int32(protocol.Success), resp.Code)
	require.Equal(t, "1", resp.ExtFields["offset"])
}

// TestBrokerStartupCodes: every code a stock client sends while starting
// gets a real answer on the broker.
func TestBrokerStartupCodes(t *testing.T) {
	e := startEnv(t)
	e.createTopic("StartupTopic", 2, 6)
	hb := []byte(`{"clientID":"127.0.0.1@1","producerDataSet":[{"groupName":"pg"}],"consumerDataSet":[{"groupName":"cg","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"StartupTopic","subString":"*","tagsSet":[],"codeSet":[],"subVersion":1795339958951945534,"expressionType":"TAG"}],"unitMode":false}]}`)
	reqs := []*remoting.Command{
		remoting.NewRequest(protocol.HeartBeat, nil, hb),
		remoting.NewRequest(protocol.GetConsumerListByGroup, map[string]string{"consumerGroup": "cg"}, nil),
		remoting.NewRequest(protocol.QueryConsumerOffset, map[string]string{"consumerGroup": "cg", "topic": "StartupTopic", "queueId": "0"}, nil),
		remoting.NewRequest(protocol.UpdateConsumerOffset, map[string]string{"consumerGroup": "cg", "topic": "StartupTopic", "queueId": "0", "commitOffset": "0"}, nil),
		remoting.NewRequest(protocol.GetMaxOffset, map[string]string{"topic": "StartupTopic", "queueId": "0"}, nil),
		remoting.NewRequest(protocol.GetMinOffset, map[string]string{"topic": "StartupTopic", "queueId": "0"}, nil),
		remoting.NewRequest(protocol.SearchOffsetByTimestamp, map[string]string{"topic": "StartupTopic", "queueId": "0", "timestamp": "0"}, nil),
		remoting.NewRequest(protocol.GetEarliestMsgStoretime, map[string]string{"topic": "StartupTopic", "queueId": "0"}, nil),
		remoting.NewRequest(protocol.LockBatchMq, nil, []byte(`{"consumerGroup":"cg","clientId":"127.0.0.1@1","mqSet":[{"topic":"StartupTopic","brokerName":"broker-a","queueId":0}]}`)),
		remoting.NewRequest(protocol.UnlockBatchMq, nil, []byte(`{"consumerGroup":"cg","clientId":"127.0.0.1@1","mqSet":[{"topic":"StartupTopic","brokerName":"broker-a","queueId":0}]}`)),
	}
	for _, req := range reqs {
		resp := e.invoke(req)
		require.NotEqual(t, int32(protocol.RequestCodeNotSupported), resp.Code, "code %d", req.Code)
		require.Equal(t, int32(protocol.Success), resp.Code, "code %d: %s", req.Code, resp.Remark)
	}
}

func TestBrokerRuntimeInfo(t *testing.T) {
	e := startEnv(t)
	e.send("RuntimeTopic", 0, nil, "x")
	resp := e.invoke(remoting.NewRequest(protocol.GetBrokerRuntimeInfo, nil, nil))
	require.Equal(t, int32(protocol.Success), resp.Code)
	var kv protocol.KVTable
	require.NoError(t, protocol.UnmarshalLenient(resp.Body, &kv))
	for _, k := range []string{"brokerVersionDesc", "putTps", "getTransferedTps", "msgPutTotalTodayNow", "msgGetTotalTodayNow",
		"msgPutTotalTodayMorning", "msgGetTotalTodayMorning", "msgPutTotalYesterdayMorning", "msgGetTotalYesterdayMorning",
		"sendThreadPoolQueueSize", "pullThreadPoolQueueSize", "earliestMessageTimeStamp", "commitLogDiskRatio",
		"commitLogMaxOffset", "commitLogMinOffset", "bootTimestamp", "runtime"} {
		require.Contains(t, kv.Table, k)
	}
	require.Equal(t, "V4_9_8", kv.Table["brokerVersionDesc"])
	require.Equal(t, "1", kv.Table["msgPutTotalTodayNow"])
	maxOff, err := strconv.ParseInt(kv.Table["commitLogMaxOffset"], 10, 64)
	require.NoError(t, err)
	require.Positive(t, maxOff)
}

// waitMaxOffset waits until a queue's max offset is want: the store
// dispatches to consume queues asynchronously after a put returns.
func (e *testEnv) waitMaxOffset(topic string, queueID int32, want int64, msgAndArgs ...any) {
	e.t.Helper()
	require.Eventually(e.t, func() bool { return e.b.store.MaxOffsetInQueue(topic, queueID) == want }, 10*time.Second, 5*time.Millisecond, msgAndArgs...)
}

func TestBrokerListenHost(t *testing.T) {
	require.Equal(t, "127.0.0.1", listenHost("127.0.0.1"))
	require.Equal(t, "0.0.0.0", listenHost("203.0.113.77"), "an address this host does not have: every interface")
	require.Equal(t, "0.0.0.0", listenHost("not-an-ip"))
	if ip := DetectBrokerIP(); ip != "127.0.0.1" {
		require.Equal(t, ip, listenHost(ip), "a local address is bound as is")
	}
}

func TestBrokerRegisterPeriodClamped(t *testing.T) {
	for _, tc := range []struct {
		ms   int
		want time.Duration
	}{{30000, 30 * time.Second}, {1000, 10 * time.Second}, {120000, 60 * time.Second}, {45000, 45 * time.Second}} {
		b := &Broker{cfg: Config{RegisterNameServerPeriod: tc.ms}}
		require.Equal(t, tc.want, b.registerPeriod(), "registerNameServerPeriod=%d", tc.ms)
	}
}

func TestBrokerShutdownIdempotent(t *testing.T) {
	e := startEnv(t)
	e.shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	require.NoError(t, e.b.Shutdown(ctx), "a second shutdown is a no-op")

	cfg, scfg := testConfigs(t.TempDir(), "")
	b, err := New(cfg, scfg, nil)
	require.NoError(t, err)
	require.NoError(t, b.Shutdown(ctx), "shutting down a broker never started is a no-op")
}

// TestBrokerRestartKeepsData: a broker reopened on the same store serves
// what it stored and the offsets committed before.
func TestBrokerRestartKeepsData(t *testing.T) {
	ns := startNamesrv(t)
	dir := t.TempDir()
	cfg, scfg := testConfigs(dir, ns.Addr())
	start := func() *Broker {
		b, err := New(cfg, scfg, zaptest.NewLogger(t))
		require.NoError(t, err)
		require.NoError(t, b.Start())
		return b
	}
	stop := func(b *Broker) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		require.NoError(t, b.Shutdown(ctx))
	}
	b := start()
	cli := remoting.NewClient(remoting.ClientConfig{}, zaptest.NewLogger(t))
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := cli.Invoke(ctx, b.Addr(), sendReq("Persisted", 0, nil, []byte("kept")))
	require.NoError(t, err)
	require.Equal(t, int32(protocol.Success), resp.Code, resp.Remark)
	b.offsets.CommitOffset("t", "cgkeep", "Persisted", 0, 1)
	stop(b)

	b = start()
	defer stop(b)
	require.NotNil(t, b.topics.Get("Persisted"), "the auto-created topic survives")
	require.Equal(t, int64(1), b.offsets.QueryOffset("cgkeep", "Persisted", 0), "committed offsets survive")
	resp, err = cli.Invoke(ctx, b.Addr(), pullReq("Persisted", 0, 0, "*", protocol.PullFlagSubscription, 0))
	require.NoError(t, err)
	require.Equal(t, int32(protocol.Success), resp.Code, resp.Remark)
	msgs, err := message.DecodeMessages(resp.Body)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, "kept", string(msgs[0].Body))
}
