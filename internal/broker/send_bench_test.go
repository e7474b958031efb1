package broker

import (
	"context"
	"testing"
	"time"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// BenchmarkSend measures SEND_MESSAGE_V2 round trips through a real
// broker on loopback (ASYNC_FLUSH store in a temp dir), with the request
// and response codec, the send pool, the topic checks and the store put.
func BenchmarkSend(b *testing.B) {
	for _, tc := range []struct {
		name    string
		size    int
		callers int
	}{
		{"size=1KiB/callers=1", 1024, 1},
		{"size=1KiB/callers=16", 1024, 16},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e := startBenchEnv(b)
			body := make([]byte, tc.size)
			b.SetBytes(int64(tc.size))
			b.ReportAllocs()
			if tc.callers == 1 {
				for b.Loop() {
					e.benchSend(b, body)
				}
				return
			}
			b.SetParallelism(tc.callers)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					e.benchSend(b, body)
				}
			})
		})
	}
}

type benchEnv struct {
	b   *Broker
	cli *remoting.Client
}

func startBenchEnv(tb testing.TB) *benchEnv {
	tb.Helper()
	dir := tb.TempDir()
	cfg, scfg := testConfigs(dir, "")
	scfg.MappedFileSizeCommitLog = 64 << 20
	br, err := New(cfg, scfg, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := br.Start(); err != nil {
		tb.Fatal(err)
	}
	if err := br.topics.Update(protocol.NewTopicConfig("BenchSend", 4, 4, 6)); err != nil {
		tb.Fatal(err)
	}
	e := &benchEnv{b: br, cli: remoting.NewClient(remoting.ClientConfig{}, nil)}
	tb.Cleanup(func() {
		e.cli.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = br.Shutdown(ctx)
	})
	return e
}

func (e *benchEnv) benchSend(b *testing.B, body []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := e.cli.Invoke(ctx, e.b.Addr(), sendReq("BenchSend", -1, nil, body))
	if err != nil {
		b.Error(err)
		return
	}
	if resp.Code != int32(protocol.Success) {
		b.Errorf("send: %d %s", resp.Code, resp.Remark)
	}
}
