package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/broker"
	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/namesrv"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
	"github.com/gorocket/gorocket/internal/store"
)

type env struct {
	t      testing.TB
	ns     *namesrv.Server
	broker *broker.Broker
	admin  *client.Admin
}

func quietLogger(t testing.TB) *zap.Logger {
	return zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
}

// envOpt adjusts the broker and store configs before the broker starts.
type envOpt func(*broker.Config, *store.Config)

func startEnv(t testing.TB, opts ...envOpt) *env {
	t.Helper()
	ns := startNameServer(t)
	b := startBroker(t, ns.Addr(), "broker-a", opts...)
	a, err := client.NewAdmin(client.AdminConfig{ClientConfig: clientConfig(ns.Addr())}, quietLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	return &env{t: t, ns: ns, broker: b, admin: a}
}

// startNameServer runs the real name server on a free loopback port, with
// its files in a temporary directory.
func startNameServer(t testing.TB) *namesrv.Server {
	t.Helper()
	dir := t.TempDir()
	ncfg := namesrv.DefaultConfig()
	ncfg.ListenPort = 0
	ncfg.BindAddress = "127.0.0.1"
	ncfg.KvConfigPath = filepath.Join(dir, "kvConfig.json")
	ncfg.ConfigStorePath = filepath.Join(dir, "namesrv.properties")
	ns, err := namesrv.New(ncfg, quietLogger(t).Named("namesrv"))
	require.NoError(t, err)
	require.NoError(t, ns.Start())
	t.Cleanup(func() { _ = ns.Shutdown(context.Background()) })
	return ns
}

// startBroker runs a real master broker named name, registered with the
// name server at nsAddr, its store in a temporary directory.
func startBroker(t testing.TB, nsAddr, name string, opts ...envOpt) *broker.Broker {
	t.Helper()
	dir := t.TempDir()
	cfg := broker.NewConfig()
	cfg.BrokerIP1 = "127.0.0.1"
	cfg.BrokerIP2 = "127.0.0.1"
	cfg.BrokerName = name
	cfg.BrokerClusterName = "DefaultCluster"
	cfg.ListenPort = 0
	cfg.NamesrvAddr = nsAddr
	scfg := store.DefaultConfig(filepath.Join(dir, "store"))
	scfg.MappedFileSizeCommitLog = 4 << 20
	scfg.MappedFileSizeConsumeQueue = 20 * 1000
	scfg.MaxHashSlotNum = 1000
	scfg.MaxIndexNum = 4000
	for _, o := range opts {
		o(cfg, &scfg)
	}
	b, err := broker.New(*cfg, scfg, quietLogger(t).Named(name))
	require.NoError(t, err)
	require.NoError(t, b.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = b.Shutdown(ctx)
	})
	return b
}

func clientConfig(nsAddr string) client.ClientConfig {
	return client.ClientConfig{NameServers: []string{nsAddr}, ClientIP: "127.0.0.1"}
}

func (e *env) cfg() client.ClientConfig { return clientConfig(e.ns.Addr()) }

// createTopic creates a topic on the broker and waits for its route.
func (e *env) createTopic(name string, queues int32) {
	e.t.Helper()
	ctx := context.Background()
	require.NoError(e.t, e.admin.CreateTopic(ctx, e.broker.BrokerAddr(), protocol.NewTopicConfig(name, queues, queues, 6)))
	require.Eventually(e.t, func() bool {
		r, err := e.admin.TopicRoute(ctx, name)
		return err == nil && len(r.QueueDatas) == 1 && r.QueueDatas[0].WriteQueueNums == queues
	}, 20*time.Second, 10*time.Millisecond)
}

func (e *env) producer(group string) *client.Producer {
	e.t.Helper()
	p, err := client.NewProducer(client.ProducerConfig{ClientConfig: e.cfg(), Group: group}, quietLogger(e.t))
	require.NoError(e.t, err)
	require.NoError(e.t, p.Start())
	e.t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return p
}

func (e *env) pushConsumer(cfg client.ConsumerConfig, topic, expr string, h client.MessageHandler) *client.PushConsumer {
	e.t.Helper()
	cfg.ClientConfig = e.cfg()
	if cfg.SuspendTime == 0 {
		cfg.SuspendTime = 2 * time.Second
		cfg.PullTimeout = 5 * time.Second
	}
	if cfg.PersistInterval == 0 {
		cfg.PersistInterval = 50 * time.Millisecond
	}
	if cfg.RebalanceInterval == 0 {
		cfg.RebalanceInterval = 500 * time.Millisecond
	}
	cfg.PullErrorDelay = 50 * time.Millisecond
	pc, err := client.NewPushConsumer(cfg, quietLogger(e.t))
	require.NoError(e.t, err)
	require.NoError(e.t, pc.Subscribe(topic, expr, h))
	require.NoError(e.t, pc.Start())
	e.t.Cleanup(func() { _ = pc.Shutdown(context.Background()) })
	return pc
}
