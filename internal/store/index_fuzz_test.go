package store

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzIndexHeader decodes any bytes as an index header: no panic, and a
// header that decodes re-encodes to the same bytes (indexCount 0 reads as 1).
func FuzzIndexHeader(f *testing.F) {
	h := indexHeader{BeginTimestamp: 1_700_000_000_000, EndTimestamp: 1_700_000_001_000, BeginPhyOffset: 0, EndPhyOffset: 4096, HashSlotCount: 2, IndexCount: 3}
	b := make([]byte, indexHeaderSize)
	h.encode(b)
	f.Add(b)
	f.Add(make([]byte, indexHeaderSize))
	f.Add(b[:12])
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := decodeIndexHeader(data)
		if err != nil {
			if len(data) >= indexHeaderSize {
				t.Fatalf("decode of %d bytes failed: %v", len(data), err)
			}
			return
		}
		_ = h.validate(5, 8)
		out := make([]byte, indexHeaderSize)
		h.encode(out)
		if h.IndexCount == 1 && string(data[36:40]) == "\x00\x00\x00\x00" {
			copy(out[36:], data[36:40])
		}
		if string(out) != string(data[:indexHeaderSize]) {
			t.Fatalf("round trip: %x != %x", out, data[:indexHeaderSize])
		}
	})
}

// FuzzIndexFileQuery opens any bytes as a small index file and queries and
// appends to it: errors are fine, panics and endless chain walks are not.
func FuzzIndexFileQuery(f *testing.F) {
	const slots, num = 4, 8
	seed := func(puts int) []byte {
		path := filepath.Join(f.TempDir(), "seed")
		x, err := createIndexFile(path, slots, num, 0, 0)
		if err != nil {
			f.Fatal(err)
		}
		for i := range puts {
			x.putKey("T#k"+string(rune('a'+i%3)), int64(i)*100, 1_700_000_000_000+int64(i)*1000)
		}
		if err := x.close(); err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	f.Add(seed(0), "ka", int64(0), int64(1<<62))
	f.Add(seed(4), "kb", int64(1_700_000_000_000), int64(1_700_000_005_000))
	f.Add(seed(7), "ka", int64(0), int64(1<<62))
	f.Add(make([]byte, indexFileSize(slots, num)), "x", int64(-1), int64(1))
	f.Fuzz(func(t *testing.T, data []byte, key string, begin, end int64) {
		path := filepath.Join(t.TempDir(), "20260102030405000")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		x, err := openIndexFile(path, slots, num)
		if err != nil {
			return
		}
		defer x.close()
		got := x.selectPhyOffsets(nil, "T#"+key, 64, begin, end)
		if len(got) > 64 {
			t.Fatalf("%d offsets for maxNum 64", len(got))
		}
		for x.putKey("T#"+key, 1, end) {
		}
		if !x.isFull() {
			t.Fatal("putKey refused a file that is not full")
		}
		_ = x.selectPhyOffsets(nil, "T#"+key, num, begin, end)
	})
}
