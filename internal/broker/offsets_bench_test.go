package broker

import (
	"fmt"
	"testing"

	"go.uber.org/zap"
)

func BenchmarkOffsetTableCommit(b *testing.B) {
	o, err := NewConsumerOffsetTable(b.TempDir(), zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	topics := make([]string, 64)
	for i := range topics {
		topics[i] = fmt.Sprintf("Topic%d", i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		o.CommitOffset("127.0.0.1:1", "cg", topics[i%len(topics)], int32(i%8), int64(i))
		i++
	}
}

func BenchmarkOffsetTableEncode(b *testing.B) {
	for _, keys := range []int{100, 1000} {
		b.Run(fmt.Sprintf("keys=%d/queues=8", keys), func(b *testing.B) {
			o, err := NewConsumerOffsetTable(b.TempDir(), zap.NewNop())
			if err != nil {
				b.Fatal(err)
			}
			for k := range keys {
				for q := range int32(8) {
					o.CommitOffset("h", fmt.Sprintf("group%d", k%10), fmt.Sprintf("Topic%d", k), q, int64(k)*1000+int64(q))
				}
			}
			b.SetBytes(int64(len(o.Encode(false))))
			b.ReportAllocs()
			for b.Loop() {
				o.Encode(false)
			}
		})
	}
}

func BenchmarkOffsetTableDecode(b *testing.B) {
	o, err := NewConsumerOffsetTable(b.TempDir(), zap.NewNop())
	if err != nil {
		b.Fatal(err)
	}
	for k := range 1000 {
		for q := range int32(8) {
			o.CommitOffset("h", "cg", fmt.Sprintf("Topic%d", k), q, int64(k))
		}
	}
	data := o.Encode(true)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeOffsetTable(data); err != nil {
			b.Fatal(err)
		}
	}
}
