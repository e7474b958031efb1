package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

// cqTestFileSize holds 5 units a file, so a dozen units span three files.
const cqTestFileSize = 5 * cqUnitSize

func openTestCQTable(t *testing.T, dir string) *consumeQueueTable {
	t.Helper()
	tbl, err := openConsumeQueues(dir, cqTestFileSize, zaptest.NewLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = tbl.close() })
	return tbl
}

// fillCQ puts units 0..n-1 with phyOffset i×100, size 50, tags code i.
func fillCQ(t *testing.T, cq *consumeQueue, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		require.NoError(t, cq.put(int64(i), int64(i)*100, 50, int64(i)))
	}
}

func cqFileNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func cqPhys(units []cqUnit) []int64 {
	var out []int64
	for _, u := range units {
		out = append(out, u.PhyOffset)
	}
	return out
}

// TestConsumeQueueUnitGolden pins the unit bytes, built from the layout drawn
// in consumequeue.go rather than from the encoder.
func TestConsumeQueueUnitGolden(t *testing.T) {
	root := t.TempDir()
	tbl := openTestCQTable(t, root)
	cq, err := tbl.findOrCreate("TopicTest", 3)
	require.NoError(t, err)
	require.NoError(t, cq.put(0, 0x0102030405060708, 0x00112244, -2))
	require.NoError(t, cq.put(1, 0x0102030405180000, 77, 96354))
	require.NoError(t, cq.flush(0))

	want := []byte{
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // commitlog offset
		0x00, 0x11, 0x22, 0x44, // size
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, // tags code -2
		0x01, 0x02, 0x03, 0x04, 0x05, 0x18, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x4d,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x78, 0x62,
	}
	got, err := os.ReadFile(filepath.Join(root, "TopicTest", "3", "00000000000000000000"))
	require.NoError(t, err)
	require.Len(t, got, cqTestFileSize)
	assert.Equal(t, want, got[:40])
	assert.Equal(t, make([]byte, cqTestFileSize-40), got[40:])

	u, err := decodeCQUnit(want)
	require.NoError(t, err)
	assert.Equal(t, cqUnit{PhyOffset: 0x0102030405060708, Size: 0x00112244, TagsCode: -2}, u)
	_, err = decodeCQUnit(want[:19])
	require.Error(t, err)
}

func TestConsumeQueuePutGetAcrossFiles(t *testing.T) {
	root := t.TempDir()
	tbl := openTestCQTable(t, root)
	cq, err := tbl.findOrCreate("T", 0)
	require.NoError(t, err)
	fillCQ(t, cq, 0, 12)

	assert.Equal(t, []string{"00000000000000000000", "00000000000000000100", "00000000000000000200"},
		cqFileNames(t, filepath.Join(root, "T", "0")), "names are the byte offset of the first unit")
	assert.Equal(t, int64(0), cq.minOffset())
	assert.Equal(t, int64(12), cq.maxOffset())
	assert.Equal(t, int64(1150), cq.lastPhyOffset())

	cases := []struct {
		name        string
		offset      int64
		max         int
		wantOffsets []int64
	}{
		{"within a file", 1, 3, []int64{100, 200, 300}},
		{"across two boundaries", 3, 9, []int64{300, 400, 500, 600, 700, 800, 900, 1000, 1100}},
		{"capped by the end", 10, 32, []int64{1000, 1100}},
		{"at the end", 12, 32, nil},
		{"past the end", 40, 32, nil},
		{"negative", -1, 32, nil},
		{"zero max", 0, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.wantOffsets, cqPhys(cq.get(tc.offset, tc.max)))
		})
	}
	got := cq.get(7, 1)
	require.Len(t, got, 1)
	assert.Equal(t, cqUnit{PhyOffset: 700, Size: 50, TagsCode: 7}, got[0])
}

func TestConsumeQueuePutIdempotent(t *testing.T) {
	tbl := openTestCQTable(t, t.TempDir())
	cq, err := tbl.findOrCreate("T", 1)
	require.NoError(t, err)
	fillCQ(t, cq, 0, 7)
	// Re-dispatch after recovery: every unit again.
	fillCQ(t, cq, 0, 7)
	assert.Equal(t, int64(7), cq.maxOffset())
	// A record below the queue's last record, at a new position.
	require.NoError(t, cq.put(7, 300, 50, 0))
	assert.Equal(t, int64(7), cq.maxOffset())
	// A lower position with a new record: position wins.
	require.NoError(t, cq.put(2, 5000, 50, 0))
	assert.Equal(t, int64(7), cq.maxOffset())
	assert.Equal(t, []int64{200}, cqPhys(cq.get(2, 1)))

	require.Error(t, cq.put(-1, 0, 1, 0))
	require.Error(t, cq.put(8, -1, 1, 0))
	require.Error(t, cq.put(8, 800, 0, 0))
}

func TestConsumeQueueGapFill(t *testing.T) {
	root := t.TempDir()
	tbl := openTestCQTable(t, root)
	cq, err := tbl.findOrCreate("T", 2)
	require.NoError(t, err)
	// A queue whose first unit is offset 7: its first file is the one at
	// byte 100, filled with blanks up to unit 7.
	require.NoError(t, cq.put(7, 4096, 50, 9))
	require.NoError(t, cq.put(8, 4146, 50, 9))
	dir := filepath.Join(root, "T", "2")
	assert.Equal(t, []string{"00000000000000000100"}, cqFileNames(t, dir))
	assert.Equal(t, int64(7), cq.minOffset())
	assert.Equal(t, int64(9), cq.maxOffset())
	assert.Nil(t, cq.get(5, 10), "blank units are below the min")
	assert.Equal(t, []int64{4096, 4146}, cqPhys(cq.get(7, 10)))

	require.NoError(t, cq.flush(0))
	raw, err := os.ReadFile(filepath.Join(dir, "00000000000000000100"))
	require.NoError(t, err)
	blank := make([]byte, 20)
	binary.BigEndian.PutUint32(blank[8:], math.MaxInt32) // offset 0, size MaxInt32, tags 0
	assert.Equal(t, blank, raw[0:20])
	assert.Equal(t, blank, raw[20:40])

	require.NoError(t, tbl.close())
	tbl = openTestCQTable(t, root)
	cq = tbl.find("T", 2)
	require.NotNil(t, cq)
	assert.Equal(t, int64(7), cq.minOffset(), "blank units are skipped on reload")
	assert.Equal(t, int64(9), cq.maxOffset())
	assert.Equal(t, int64(4196), cq.lastPhyOffset(), "blank units do not count as records")
	assert.Equal(t, []int64{4096, 4146}, cqPhys(cq.get(7, 10)))
}

func TestConsumeQueuePositionPastEnd(t *testing.T) {
	tbl := openTestCQTable(t, t.TempDir())
	cq, err := tbl.findOrCreate("T", 0)
	require.NoError(t, err)
	fillCQ(t, cq, 0, 2)
	// Java logs "[BUG]logic queue order maybe wrong" and writes at the end.
	require.NoError(t, cq.put(5, 900, 50, 0))
	assert.Equal(t, int64(3), cq.maxOffset())
	assert.Equal(t, []int64{0, 100, 900}, cqPhys(cq.get(0, 10)))
}

func TestConsumeQueueReopen(t *testing.T) {
	root := t.TempDir()
	tbl := openTestCQTable(t, root)
	a, err := tbl.findOrCreate("TopicA", 0)
	require.NoError(t, err)
	b, err := tbl.findOrCreate("%RETRY%group", 3)
	require.NoError(t, err)
	_, err = tbl.findOrCreate("NoUnits", 0)
	require.NoError(t, err)
	fillCQ(t, a, 0, 12)
	fillCQ(t, b, 0, 5)
	require.NoError(t, tbl.flushAll(0))
	require.NoError(t, tbl.close())
	assert.NoDirExists(t, filepath.Join(root, "NoUnits"), "looking a queue up leaves no directory")

	require.NoError(t, os.MkdirAll(filepath.Join(root, "TopicA", "notanumber"), 0o755))
	tbl = openTestCQTable(t, root)
	var seen []string
	tbl.each(func(cq *consumeQueue) {
		seen = append(seen, cq.topic)
	})
	assert.Equal(t, []string{"%RETRY%group", "TopicA"}, seen)
	a = tbl.find("TopicA", 0)
	require.NotNil(t, a)
	assert.Equal(t, int64(12), a.maxOffset())
	assert.Equal(t, int64(1150), a.lastPhyOffset())
	assert.Equal(t, []int64{1000, 1100}, cqPhys(a.get(10, 10)))
	b = tbl.find("%RETRY%group", 3)
	require.NotNil(t, b)
	assert.Equal(t, int64(5), b.maxOffset(), "a full last file")
	fillCQ(t, b, 5, 1)
	assert.Equal(t, int64(6), b.maxOffset())
	assert.Nil(t, tbl.find("TopicA", 1))
}

// TestConsumeQueueRecoverDamage cuts each kind of damage at its recovery
// point: the first unit that is not valid ends the queue, later files go.
func TestConsumeQueueRecoverDamage(t *testing.T) {
	cases := []struct {
		name    string
		damage  func(t *testing.T, dir string)
		wantMax int64
		wantPhy int64
		files   int
	}{
		{"intact", func(*testing.T, string) {}, 12, 1150, 3},
		{"zeroed tail of the last file", func(t *testing.T, dir string) {
			zeroCQ(t, dir, "00000000000000000200", 20, 40)
		}, 11, 1050, 3},
		{"torn unit: size 0", func(t *testing.T, dir string) {
			putCQBytes(t, dir, "00000000000000000100", 2*20+8, []byte{0, 0, 0, 0})
		}, 7, 650, 2},
		{"negative commit-log offset", func(t *testing.T, dir string) {
			putCQBytes(t, dir, "00000000000000000100", 0, []byte{0xff})
		}, 5, 450, 2},
		{"whole last file zeroed", func(t *testing.T, dir string) {
			zeroCQ(t, dir, "00000000000000000200", 0, cqTestFileSize)
		}, 10, 950, 3},
		{"first file zeroed beyond the last three", func(t *testing.T, dir string) {
			// Recovery scans only the last three files, as Java does.
			zeroCQ(t, dir, "00000000000000000000", 0, cqTestFileSize)
		}, 17, 1650, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tbl := openTestCQTable(t, root)
			cq, err := tbl.findOrCreate("T", 0)
			require.NoError(t, err)
			n := 12
			if tc.files == 4 {
				n = 17
			}
			fillCQ(t, cq, 0, n)
			require.NoError(t, tbl.flushAll(0))
			require.NoError(t, tbl.close())
			dir := filepath.Join(root, "T", "0")
			tc.damage(t, dir)

			tbl = openTestCQTable(t, root)
			cq = tbl.find("T", 0)
			require.NotNil(t, cq)
			assert.Equal(t, tc.wantMax, cq.maxOffset())
			assert.Equal(t, tc.wantPhy, cq.lastPhyOffset())
			assert.Len(t, cqFileNames(t, dir), tc.files)
			// The queue continues at the recovered end.
			require.NoError(t, cq.put(tc.wantMax, 100_000, 50, 0))
			got := cq.get(tc.wantMax, 5)
			require.Len(t, got, 1)
			assert.Equal(t, int64(100_000), got[0].PhyOffset)
		})
	}
}

func zeroCQ(t *testing.T, dir, name string, from, to int) {
	t.Helper()
	putCQBytes(t, dir, name, from, make([]byte, to-from))
}

func putCQBytes(t *testing.T, dir, name string, at int, b []byte) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR, 0)
	require.NoError(t, err)
	_, err = f.WriteAt(b, int64(at))
	require.NoError(t, err)
	require.NoError(t, f.Close())
}

func TestConsumeQueueTruncateDirty(t *testing.T) {
	cases := []struct {
		name     string
		phyMax   int64
		wantMax  int64
		wantLast int64
		files    int
	}{
		{"nothing dirty", 5000, 12, 1150, 3},
		{"inside a file", 650, 7, 650, 2},
		{"record start exactly at the cut", 700, 7, 650, 2},
		{"on a file boundary", 500, 5, 450, 2},
		{"everything", 0, 0, -1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			tbl := openTestCQTable(t, root)
			cq, err := tbl.findOrCreate("T", 0)
			require.NoError(t, err)
			fillCQ(t, cq, 0, 12)
			require.NoError(t, cq.truncateDirty(tc.phyMax))
			assert.Equal(t, tc.wantMax, cq.maxOffset())
			assert.Equal(t, tc.wantLast, cq.lastPhyOffset())
			assert.Len(t, cqFileNames(t, filepath.Join(root, "T", "0")), tc.files)
			assert.Len(t, cq.get(0, 100), int(tc.wantMax))

			// Re-dispatch from the cut rebuilds the same queue.
			fillCQ(t, cq, 0, 12)
			assert.Equal(t, int64(12), cq.maxOffset())
			assert.Equal(t, []int64{0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100}, cqPhys(cq.get(0, 100)))

			require.NoError(t, tbl.close())
			tbl = openTestCQTable(t, root)
			assert.Equal(t, int64(12), tbl.find("T", 0).maxOffset())
		})
	}
}

func TestConsumeQueueTruncateAllThenStartAtOffset(t *testing.T) {
	root := t.TempDir()
	tbl := openTestCQTable(t, root)
	cq, err := tbl.findOrCreate("T", 0)
	require.NoError(t, err)
	fillCQ(t, cq, 0, 3)
	require.NoError(t, cq.truncateDirty(0))
	assert.Equal(t, int64(0), cq.maxOffset())
	// The queue is empty again: a first unit at 11 gets a pre-blanked file.
	require.NoError(t, cq.put(11, 9000, 50, 0))
	assert.Equal(t, []string{"00000000000000000200"}, cqFileNames(t, filepath.Join(root, "T", "0")))
	assert.Equal(t, int64(11), cq.minOffset())
	assert.Equal(t, int64(12), cq.maxOffset())
}

func TestConsumeQueueDeleteExpired(t *testing.T) {
	root := t.TempDir()
	tbl := openTestCQTable(t, root)
	cq, err := tbl.findOrCreate("T", 0)
	require.NoError(t, err)
	fillCQ(t, cq, 0, 12)
	dir := filepath.Join(root, "T", "0")

	assert.Equal(t, 0, tbl.deleteExpired(400), "last unit of file 0 is at 400: kept")
	assert.Equal(t, int64(4), cq.minOffset(), "min moves to the first unit at or past 400")

	assert.Equal(t, 1, tbl.deleteExpired(520))
	assert.Equal(t, []string{"00000000000000000100", "00000000000000000200"}, cqFileNames(t, dir))
	assert.Equal(t, int64(6), cq.minOffset())
	assert.Nil(t, cq.get(5, 10))
	assert.Equal(t, []int64{600, 700}, cqPhys(cq.get(6, 2)))
	assert.Equal(t, int64(12), cq.maxOffset())

	assert.Equal(t, 1, tbl.deleteExpired(50_000), "the last file is never deleted")
	assert.Equal(t, []string{"00000000000000000200"}, cqFileNames(t, dir))
	assert.Equal(t, int64(12), cq.minOffset(), "every record is gone: min = max")
	assert.Equal(t, int64(12), cq.maxOffset())

	fillCQ(t, cq, 12, 1)
	assert.Equal(t, int64(12), cq.minOffset())
	assert.Equal(t, []int64{1200}, cqPhys(cq.get(12, 5)))
}

func TestConsumeQueueCorrectMinOffset(t *testing.T) {
	tbl := openTestCQTable(t, t.TempDir())
	cq, err := tbl.findOrCreate("T", 0)
	require.NoError(t, err)
	fillCQ(t, cq, 0, 12)
	cq.correctMinOffset(0)
	assert.Equal(t, int64(0), cq.minOffset())
	cq.correctMinOffset(801)
	assert.Equal(t, int64(9), cq.minOffset(), "search goes on past the first file")
	cq.correctMinOffset(100)
	assert.Equal(t, int64(9), cq.minOffset(), "the min never moves back")
}

func TestConsumeQueueOffsetByTime(t *testing.T) {
	tbl := openTestCQTable(t, t.TempDir())
	cq, err := tbl.findOrCreate("T", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(0), cq.offsetByTime(1, nil), "no units")
	fillCQ(t, cq, 0, 12)
	// Unit i was stored at 10_000 + i×1000.
	storeTime := func(phy int64, size int32) int64 {
		if size != 50 || phy%100 != 0 {
			return -1
		}
		return 10_000 + phy/100*1000
	}
	cases := []struct {
		name string
		ts   int64
		want int64
	}{
		{"exact first", 10_000, 0},
		{"exact in second file", 16_000, 6},
		{"exact last", 21_000, 11},
		{"nearer the left", 13_200, 3},
		{"nearer the right", 13_800, 4},
		{"tie takes the left", 13_500, 3},
		{"before everything", 0, 0},
		{"after everything", 99_000, 11},
		{"between files", 14_900, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, cq.offsetByTime(tc.ts, storeTime))
		})
	}

	cq.correctMinOffset(300)
	assert.Equal(t, int64(3), cq.offsetByTime(0, storeTime), "never below the min")
	assert.Equal(t, int64(3), cq.offsetByTime(12_000, func(int64, int32) int64 { return -1 }),
		"an unreadable record answers the min")
}

func TestConsumeQueueTable(t *testing.T) {
	root := t.TempDir()
	tbl := openTestCQTable(t, root)
	assert.Nil(t, tbl.find("T", 0))
	a, err := tbl.findOrCreate("T", 0)
	require.NoError(t, err)
	again, err := tbl.findOrCreate("T", 0)
	require.NoError(t, err)
	assert.Same(t, a, again)
	assert.Same(t, a, tbl.find("T", 0))
	assert.Equal(t, int64(0), a.maxOffset())
	assert.Equal(t, int64(-1), a.lastPhyOffset())
	assert.Nil(t, a.get(0, 10))
	require.NoError(t, a.flush(0))

	for _, bad := range []string{"", ".", "..", "a/b", "../x"} {
		_, err := tbl.findOrCreate(bad, 0)
		assert.Error(t, err, "topic %q", bad)
	}
	_, err = tbl.findOrCreate("T", -1)
	assert.Error(t, err)

	b, err := tbl.findOrCreate("T", 1)
	require.NoError(t, err)
	c, err := tbl.findOrCreate("U", 0)
	require.NoError(t, err)
	fillCQ(t, a, 0, 6)
	fillCQ(t, b, 0, 1)
	fillCQ(t, c, 0, 1)
	require.NoError(t, tbl.flushAll(2))
	assert.Equal(t, int64(100), a.q.Load().flushedWhere.Load(), "the full first file is flushed whatever the threshold")
	require.NoError(t, tbl.flushAll(0))
	assert.Equal(t, int64(120), a.q.Load().flushedWhere.Load(), "a flush covers every file written since the last")

	require.NoError(t, tbl.delete("T"))
	assert.NoDirExists(t, filepath.Join(root, "T"))
	assert.Nil(t, tbl.find("T", 0))
	assert.Nil(t, tbl.find("T", 1))
	assert.NotNil(t, tbl.find("U", 0))
	require.NoError(t, tbl.delete("absent"))

	// A recreated topic starts empty.
	a, err = tbl.findOrCreate("T", 0)
	require.NoError(t, err)
	assert.Equal(t, int64(0), a.maxOffset())
}

func TestConsumeQueueFileSize(t *testing.T) {
	assert.Equal(t, 6_000_000, cqRoundFileSize(0))
	assert.Equal(t, 6_000_000, cqRoundFileSize(6_000_000))
	assert.Equal(t, 100, cqRoundFileSize(81), "rounded up to whole units")

	root := t.TempDir()
	tbl, err := openConsumeQueues(root, 90, zaptest.NewLogger(t))
	require.NoError(t, err)
	cq, err := tbl.findOrCreate("T", 0)
	require.NoError(t, err)
	fillCQ(t, cq, 0, 6)
	assert.Equal(t, []string{"00000000000000000000", "00000000000000000100"}, cqFileNames(t, filepath.Join(root, "T", "0")))
	require.NoError(t, tbl.close())

	// Existing files of another size refuse to load.
	_, err = openConsumeQueues(root, 200, zaptest.NewLogger(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "T/0")
}

// TestConsumeQueueConcurrentReaders reads while the dispatcher writes and
// the cleaner deletes head files: every unit read is the one written at
// its offset.
func TestConsumeQueueConcurrentReaders(t *testing.T) {
	tbl := openTestCQTable(t, t.TempDir())
	cq, err := tbl.findOrCreate("T", 0)
	require.NoError(t, err)
	const n = 2000
	done := make(chan struct{})
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				minOff, maxOff := cq.minOffset(), cq.maxOffset()
				for i, u := range cq.get(minOff, 64) {
					if want := (minOff + int64(i)) * 100; u.PhyOffset != want {
						errs <- fmt.Errorf("offset %d: phy %d, want %d", minOff+int64(i), u.PhyOffset, want)
						return
					}
				}
				if maxOff > n {
					errs <- fmt.Errorf("max %d past %d", maxOff, n)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			cq.deleteExpired(cq.lastPhyOffset() - 5000)
		}
	})
	for i := range n {
		require.NoError(t, cq.put(int64(i), int64(i)*100, 50, 0))
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, int64(n), cq.maxOffset())
	assert.Greater(t, cq.minOffset(), int64(0), "head files went while writing")
}
