package store

import (
	"testing"
)

// BenchmarkConsumeQueuePut measures appending one unit, the dispatcher's
// per-message cost, with the default 6,000,000-byte files.
func BenchmarkConsumeQueuePut(b *testing.B) {
	tbl, err := openConsumeQueues(b.TempDir(), 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tbl.close()
	cq, err := tbl.findOrCreate("BenchTopic", 0)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(cqUnitSize)
	b.ReportAllocs()
	var i int64
	for b.Loop() {
		if err := cq.put(i, i*200, 200, i); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkConsumeQueueGet measures reading 32 units, a pull's batch.
func BenchmarkConsumeQueueGet(b *testing.B) {
	tbl, err := openConsumeQueues(b.TempDir(), 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tbl.close()
	cq, err := tbl.findOrCreate("BenchTopic", 0)
	if err != nil {
		b.Fatal(err)
	}
	const n = 100_000
	for i := range int64(n) {
		if err := cq.put(i, i*200, 200, i); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(32 * cqUnitSize)
	b.ReportAllocs()
	var off int64
	for b.Loop() {
		if got := cq.get(off, 32); len(got) != 32 {
			b.Fatalf("got %d units at %d", len(got), off)
		}
		off = (off + 32) % (n - 32)
	}
}
