package store

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzConsumeQueueUnit decodes any bytes as a unit: no panic, and a decoded
// unit re-encodes to the same 20 bytes.
func FuzzConsumeQueueUnit(f *testing.F) {
	b := make([]byte, cqUnitSize)
	cqUnit{PhyOffset: 4096, Size: 180, TagsCode: 96354}.encode(b)
	f.Add(b)
	cqUnit{Size: cqBlankSize}.encode(b)
	f.Add(append([]byte(nil), b...))
	f.Add(b[:7])
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := decodeCQUnit(data)
		if err != nil {
			if len(data) >= cqUnitSize {
				t.Fatalf("decode of %d bytes failed: %v", len(data), err)
			}
			return
		}
		out := make([]byte, cqUnitSize)
		u.encode(out)
		if string(out) != string(data[:cqUnitSize]) {
			t.Fatalf("round trip: %x != %x", out, data[:cqUnitSize])
		}
	})
}

// FuzzConsumeQueueRecover loads any bytes as the files of one queue
// (5 units a file), then reads, searches, truncates and appends: no panic,
// and the recovered queue is consistent.
func FuzzConsumeQueueRecover(f *testing.F) {
	valid := make([]byte, 2*cqTestFileSize)
	for i := range 10 {
		cqUnit{PhyOffset: int64(i) * 100, Size: 50, TagsCode: int64(i)}.encode(valid[i*cqUnitSize:])
	}
	f.Add(valid, int64(450))
	f.Add(valid[:3*cqUnitSize+7], int64(0))
	blanks := make([]byte, cqTestFileSize)
	for i := range 3 {
		cqUnit{Size: cqBlankSize}.encode(blanks[i*cqUnitSize:])
	}
	cqUnit{PhyOffset: 4096, Size: 50}.encode(blanks[3*cqUnitSize:])
	f.Add(blanks, int64(5000))
	f.Fuzz(func(t *testing.T, data []byte, phy int64) {
		root := t.TempDir()
		dir := filepath.Join(root, "T", "0")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		files := 0
		for i := 0; i*cqTestFileSize < len(data) && i < 4; i++ {
			files++
			chunk := make([]byte, cqTestFileSize)
			copy(chunk, data[i*cqTestFileSize:])
			if err := os.WriteFile(filepath.Join(dir, fileName(int64(i)*cqTestFileSize)), chunk, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		tbl, err := openConsumeQueues(root, cqTestFileSize, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tbl.close()
		cq := tbl.find("T", 0)
		if cq == nil {
			if len(data) == 0 {
				return
			}
			t.Fatal("queue not loaded")
		}
		minOff, maxOff := cq.minOffset(), cq.maxOffset()
		if minOff > maxOff {
			t.Fatalf("min %d > max %d", minOff, maxOff)
		}
		units := cq.get(minOff, 64)
		if int64(len(units)) > maxOff-minOff {
			t.Fatalf("%d units between %d and %d", len(units), minOff, maxOff)
		}
		// Recovery checks the last three files only, as Java's does.
		scannedFrom := int64(max(0, files-3)) * cqTestFileSize / cqUnitSize
		for i, u := range units {
			if minOff+int64(i) >= scannedFrom && !u.valid() {
				t.Fatalf("recovered queue returned invalid unit %+v at %d", u, minOff+int64(i))
			}
		}
		_ = cq.offsetByTime(phy, func(p int64, s int32) int64 { return p ^ int64(s) })
		cq.correctMinOffset(phy)
		_ = tbl.deleteExpired(phy)
		if err := cq.truncateDirty(phy); err != nil {
			t.Fatal(err)
		}
		if cq.lastPhyOffset() > phy && phy >= 0 && cq.maxOffset() > cq.minOffset() {
			last := cq.get(cq.maxOffset()-1, 1)
			if len(last) == 1 && last[0].PhyOffset >= phy {
				t.Fatalf("unit at %d survived truncation at %d", last[0].PhyOffset, phy)
			}
		}
		next, newPhy := cq.maxOffset(), max(phy, 0)+1<<40
		written := newPhy+10 > cq.lastPhyOffset() // else skipped as already written
		if err := cq.put(next, newPhy, 10, 0); err != nil {
			t.Fatal(err)
		}
		if got := cq.get(next, 1); written && (len(got) != 1 || got[0].PhyOffset != newPhy) {
			t.Fatalf("unit at %d: %+v", next, got)
		}
	})
}
