package broker

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// BenchmarkPullLongPollWake measures one held pull being answered: the
// pull is parked, a message is sent, and the op ends when the pull's
// response (with that message) arrives. It covers the send round trip,
// the store's dispatch notification, the re-run and the reply.
func BenchmarkPullLongPollWake(b *testing.B) {
	e := startBenchEnv(b)
	if err := e.b.topics.Update(protocol.NewTopicConfig("BenchPoll", 1, 1, 6)); err != nil {
		b.Fatal(err)
	}
	body := make([]byte, 128)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	off := int64(0)
	for b.Loop() {
		done := make(chan *remoting.Command, 1)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		req := pullReq("BenchPoll", 0, off, "*", protocol.PullFlagSubscription|protocol.PullFlagSuspend, 15000)
		if err := e.cli.InvokeAsync(ctx, e.b.Addr(), req, func(r *remoting.Command, err error) {
			if err != nil {
				r = &remoting.Command{Code: -1, Remark: err.Error()}
			}
			done <- r
		}); err != nil {
			b.Fatal(err)
		}
		for e.b.hold.held() == 0 {
			runtime.Gosched()
		}
		resp, err := e.cli.Invoke(ctx, e.b.Addr(), sendReq("BenchPoll", 0, nil, body))
		if err != nil || resp.Code != int32(protocol.Success) {
			b.Fatalf("send: %v %v", err, resp)
		}
		r := <-done
		cancel()
		if r.Code != int32(protocol.Success) {
			b.Fatalf("pull: %d %s", r.Code, r.Remark)
		}
		off++
	}
}
