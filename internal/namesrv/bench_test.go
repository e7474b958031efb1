package namesrv

import (
	"context"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// BenchmarkNamesrvGetRoute measures GET_ROUTEINFO_BY_TOPIC round trips over
// loopback against a name server with 100 topics on 2 brokers (master and
// slave each).
func BenchmarkNamesrvGetRoute(b *testing.B) {
	cfg := Config{
		KvConfigPath: b.TempDir() + "/kv.json", BindAddress: "127.0.0.1", ServerWorkerThreads: 8,
	}
	s, err := New(cfg, zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	}()
	var tcs []protocol.TopicConfig
	for i := range 100 {
		tcs = append(tcs, protocol.NewTopicConfig("Topic"+strconv.Itoa(i), 8, 8, 6))
	}
	for _, name := range []string{"broker-a", "broker-b"} {
		for id := range int64(2) {
			s.Routes().Register(Registration{ClusterName: "C", BrokerName: name, BrokerAddr: name + ":" + strconv.FormatInt(id, 10),
				BrokerID: id, Topics: topics(1, tcs...)})
		}
	}
	c := remoting.NewClient(remoting.ClientConfig{}, zap.NewNop())
	defer c.Close()
	ext := protocol.EncodeHeader(&protocol.GetRouteInfoRequestHeader{Topic: "Topic42"})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := c.Invoke(ctx, s.Addr(), remoting.NewRequest(protocol.GetRouteinfoByTopic, ext, nil))
		if err != nil || resp.ResponseCode() != protocol.Success {
			b.Fatal(err, resp)
		}
	}
}

// BenchmarkRouteTableRoute measures the in-memory lookup alone, the
// baseline for the loopback figure.
func BenchmarkRouteTableRoute(b *testing.B) {
	rt := NewRouteTable(nil)
	var tcs []protocol.TopicConfig
	for i := range 100 {
		tcs = append(tcs, protocol.NewTopicConfig("Topic"+strconv.Itoa(i), 8, 8, 6))
	}
	for _, name := range []string{"broker-a", "broker-b"} {
		rt.Register(Registration{ClusterName: "C", BrokerName: name, BrokerAddr: name + ":0", Topics: topics(1, tcs...)})
	}
	b.ReportAllocs()
	for b.Loop() {
		if rt.Route("Topic42") == nil {
			b.Fatal("no route")
		}
	}
}
