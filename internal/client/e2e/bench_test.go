package e2e

import (
	"context"
	"testing"

	"github.com/gorocket/gorocket/internal/message"
)

// BenchmarkProducerSend measures synchronous sends of 1 KiB messages to
// the real broker on loopback (async flush), one sender.
func BenchmarkProducerSend(b *testing.B) {
	e := startEnv(b)
	e.createTopic("BenchTopic", 4)
	p := e.producer("bench-pg")
	body := make([]byte, 1024)
	ctx := context.Background()
	b.Run("size=1KiB/senders=1", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Send(ctx, &message.Message{Topic: "BenchTopic", Body: body}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("size=1KiB/batch=32", func(b *testing.B) {
		msgs := make([]*message.Message, 32)
		b.SetBytes(int64(len(body) * len(msgs)))
		b.ReportAllocs()
		for b.Loop() {
			for i := range msgs {
				msgs[i] = &message.Message{Topic: "BenchTopic", Body: body}
			}
			if _, err := p.SendBatch(ctx, msgs); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(32, "msgs/op")
	})
}
