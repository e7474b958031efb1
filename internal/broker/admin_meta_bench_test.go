package broker

import (
	"context"
	"testing"
	"time"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// BenchmarkMetaProcessorHeartbeat is one Go-client heartbeat (one consumer
// group with two subscriptions, one producer group) over loopback, request
// to response; the baseline is UPDATE_CONSUMER_OFFSET on the same
// connection.
func BenchmarkMetaProcessorHeartbeat(b *testing.B) {
	e := newMetaEnv(b, nil)
	cli := remoting.NewClient(remoting.ClientConfig{}, nil)
	defer cli.Close()
	body := goHeartbeat("10.0.0.1@bench", "cg", 1, "TopicA", "TopicB")
	run := func(b *testing.B, mk func() *remoting.Command, size int) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			resp, err := cli.Invoke(ctx, e.addr, mk())
			cancel()
			if err != nil || resp.ResponseCode() != protocol.Success {
				b.Fatalf("invoke: %v %v", err, resp)
			}
		}
	}
	b.Run("op=heartbeat", func(b *testing.B) {
		run(b, func() *remoting.Command { return heartbeatReq(body) }, len(body))
	})
	b.Run("op=updateOffset", func(b *testing.B) {
		ext := protocol.EncodeHeader(&protocol.UpdateConsumerOffsetRequestHeader{ConsumerGroup: "cg", Topic: "TopicA", QueueID: 1, CommitOffset: 5})
		run(b, func() *remoting.Command { return remoting.NewRequest(protocol.UpdateConsumerOffset, ext, nil) }, 0)
	})
}
