package store

import (
	"strconv"
	"testing"
)

// benchIndexConfig keeps the files small enough for a temp dir:
// 500,000 slots and 2,000,000 entries (42 MB a file).
var benchIndexConfig = indexConfig{MaxHashSlotNum: 500_000, MaxIndexNum: 2_000_000}

// BenchmarkIndexServicePut measures indexing one message with two keys
// (UNIQ_KEY and one KEYS token).
func BenchmarkIndexServicePut(b *testing.B) {
	s, err := openIndexService(b.TempDir(), benchIndexConfig, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.close()
	keys := make([]string, 2)
	b.ReportAllocs()
	var i int64
	for b.Loop() {
		keys[0] = "UNIQ" + strconv.FormatInt(i, 10)
		keys[1] = "order-" + strconv.FormatInt(i%1000, 10)
		if err := s.put("BenchTopic", keys, i*200, 1_700_000_000_000+i); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkIndexServiceQuery measures a key lookup returning up to 32
// offsets from a chain of 100 entries per key.
func BenchmarkIndexServiceQuery(b *testing.B) {
	s, err := openIndexService(b.TempDir(), benchIndexConfig, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.close()
	const n = 100_000
	for i := range int64(n) {
		if err := s.put("BenchTopic", []string{"order-" + strconv.FormatInt(i%1000, 10)}, i*200, 1_700_000_000_000+i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	var i int
	for b.Loop() {
		got, _ := s.query("BenchTopic", "order-"+strconv.Itoa(i%1000), 32, 0, 1<<62)
		if len(got) != 32 {
			b.Fatalf("got %d offsets", len(got))
		}
		i++
	}
}
