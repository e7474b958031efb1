package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

// testIndexClock hands out distinct times a second apart, so every new file
// gets its own name.
type testIndexClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testIndexClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func newTestIndexService(t *testing.T, dir string, slots, num int) *indexService {
	t.Helper()
	clk := &testIndexClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)}
	s, err := openIndexService(dir, indexConfig{MaxHashSlotNum: slots, MaxIndexNum: num, Now: clk.now}, zaptest.NewLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.close() })
	return s
}

func TestIndexKeyHash(t *testing.T) {
	cases := []struct {
		name string
		key  string
		want int32
	}{
		{"ascii", "abc", 96354},
		{"negative hash made positive", "Hello World", 862545276},
		{"min int32 maps to zero", "polygenelubricants", 0},
		{"surrogate pair", "\U0001F600", 1772899},
		{"topic#key", "TopicTest#KEY1", 1656969516},
		{"empty", "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, indexKeyHash(tc.key))
		})
	}
}

// TestIndexFileGolden pins the on-disk bytes of three puts, built from the
// layout drawn in index.go rather than from the encoder.
func TestIndexFileGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "20260102030405000")
	x, err := createIndexFile(path, 2, 4, 0, 0)
	require.NoError(t, err)
	const ts = int64(1_700_000_000_000)
	require.True(t, x.putKey("abc", 4096, ts))               // hash 96354, slot 0
	require.True(t, x.putKey("Hello World", 8192, ts+5_999)) // hash 862545276, slot 0, 5 s later
	require.True(t, x.putKey("Aa", 12288, ts+1_000))         // hash 2112, slot 0
	require.False(t, x.putKey("x", 1, ts), "a file of 4 entries holds 3 usable entries")
	require.NoError(t, x.flush())
	require.NoError(t, x.close())

	be := binary.BigEndian
	var want []byte
	// header
	want = be.AppendUint64(want, uint64(ts))      // beginTimestamp: first put
	want = be.AppendUint64(want, uint64(ts+1000)) // endTimestamp: last put
	want = be.AppendUint64(want, 4096)            // beginPhyOffset
	want = be.AppendUint64(want, 12288)           // endPhyOffset
	want = be.AppendUint32(want, 1)               // hashSlotCount: only slot 0 used
	want = be.AppendUint32(want, 4)               // indexCount: next entry number
	// slots
	want = be.AppendUint32(want, 3) // slot 0: newest entry
	want = be.AppendUint32(want, 0) // slot 1: empty
	// entries: #0 unused
	want = append(want, make([]byte, 20)...)
	entry := func(hash uint32, phy uint64, diff, prev uint32) {
		want = be.AppendUint32(want, hash)
		want = be.AppendUint64(want, phy)
		want = be.AppendUint32(want, diff)
		want = be.AppendUint32(want, prev)
	}
	entry(96354, 4096, 0, 0)     // begin was 0 when it was written: timeDiff 0
	entry(862545276, 8192, 5, 1) // 5.999 s truncates to 5
	entry(2112, 12288, 1, 2)

	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func TestIndexHeaderDecode(t *testing.T) {
	h := indexHeader{BeginTimestamp: 1, EndTimestamp: 2, BeginPhyOffset: 3, EndPhyOffset: 4, HashSlotCount: 5, IndexCount: 6}
	b := make([]byte, indexHeaderSize)
	h.encode(b)
	got, err := decodeIndexHeader(b)
	require.NoError(t, err)
	assert.Equal(t, h, got)

	got, err = decodeIndexHeader(make([]byte, indexHeaderSize))
	require.NoError(t, err)
	assert.Equal(t, int32(1), got.IndexCount, "indexCount 0 reads as 1")

	_, err = decodeIndexHeader(b[:39])
	require.ErrorIs(t, err, ErrIndexCorrupt)
}

func TestIndexFileCorrupt(t *testing.T) {
	const slots, num = 4, 8
	size := indexFileSize(slots, num)
	header := func(mod func(h *indexHeader)) []byte {
		b := make([]byte, size)
		h := indexHeader{IndexCount: 3, HashSlotCount: 2}
		mod(&h)
		h.encode(b)
		return b
	}
	cases := []struct {
		name    string
		content []byte
		remark  string
	}{
		{"empty file", nil, "size 0"},
		{"short header", make([]byte, 20), "size 20"},
		{"truncated entries", make([]byte, size-1), "size 215"},
		{"longer file", make([]byte, size+20), "size 236"},
		{"indexCount above maxIndexNum", header(func(h *indexHeader) { h.IndexCount = num + 1 }), "indexCount 9"},
		{"negative indexCount", header(func(h *indexHeader) { h.IndexCount = -5 }), "indexCount -5"},
		{"hashSlotCount above slots", header(func(h *indexHeader) { h.HashSlotCount = slots + 1; h.IndexCount = 8 }), "hashSlotCount 5"},
		{"negative hashSlotCount", header(func(h *indexHeader) { h.HashSlotCount = -1 }), "hashSlotCount -1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "20260102030405000")
			require.NoError(t, os.WriteFile(path, tc.content, 0o644))
			_, err := openIndexFile(path, slots, num)
			require.ErrorIs(t, err, ErrIndexCorrupt)
			assert.Contains(t, err.Error(), tc.remark)
			assert.Contains(t, err.Error(), path)

			_, err = openIndexService(filepath.Dir(path), indexConfig{MaxHashSlotNum: slots, MaxIndexNum: num}, zaptest.NewLogger(t))
			require.ErrorIs(t, err, ErrIndexCorrupt)
		})
	}
}

func TestIndexServicePutQuery(t *testing.T) {
	s := newTestIndexService(t, t.TempDir(), 64, 100)
	const ts = int64(1_700_000_000_000)
	require.NoError(t, s.put("TopicA", []string{"uniq-1", "k1", "", "k2"}, 0, ts))
	require.NoError(t, s.put("TopicA", []string{"uniq-2", "k1"}, 200, ts+1000))
	require.NoError(t, s.put("TopicB", []string{"uniq-3", "k1"}, 400, ts+2000))

	cases := []struct {
		name       string
		topic, key string
		maxNum     int
		want       []int64
	}{
		{"unique key", "TopicA", "uniq-2", 32, []int64{200}},
		{"shared key newest first", "TopicA", "k1", 32, []int64{200, 0}},
		{"other topic", "TopicB", "k1", 32, []int64{400}},
		{"maxNum caps", "TopicA", "k1", 1, []int64{200}},
		{"absent key", "TopicA", "nope", 32, nil},
		{"empty key never indexed", "TopicA", "", 32, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, last := s.query(tc.topic, tc.key, tc.maxNum, 0, ts+10_000)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, ts+2000, last)
		})
	}
}

func TestIndexServiceSkipsIndexedOffsets(t *testing.T) {
	s := newTestIndexService(t, t.TempDir(), 64, 100)
	const ts = int64(1_700_000_000_000)
	require.NoError(t, s.put("T", []string{"a"}, 500, ts))
	require.NoError(t, s.put("T", []string{"a"}, 300, ts), "a lower offset was indexed before")
	require.NoError(t, s.put("T", []string{"b"}, 500, ts), "the same message may add keys")
	got, _ := s.query("T", "a", 32, 0, ts)
	assert.Equal(t, []int64{500}, got)
	got, _ = s.query("T", "b", 32, 0, ts)
	assert.Equal(t, []int64{500}, got)
}

func TestIndexServiceCollisions(t *testing.T) {
	s := newTestIndexService(t, t.TempDir(), 1, 100) // one slot: every key shares one chain
	const ts = int64(1_700_000_000_000)
	keys := []string{"Aa", "x", "BB", "y", "Aa"} // "Aa" and "BB" have the same Java hash
	for i, k := range keys {
		require.NoError(t, s.put("T", []string{k}, int64(i)*100, ts+int64(i)*1000))
	}
	got, _ := s.query("T", "Aa", 32, 0, ts+10_000)
	assert.Equal(t, []int64{400, 200, 0}, got, "hash collisions are returned; the caller filters by key")
	got, _ = s.query("T", "y", 32, 0, ts+10_000)
	assert.Equal(t, []int64{300}, got)
	got, _ = s.query("U", "x", 32, 0, ts+10_000)
	assert.Empty(t, got)
}

func TestIndexServiceTimeRange(t *testing.T) {
	s := newTestIndexService(t, t.TempDir(), 8, 100)
	const ts = int64(1_700_000_000_000)
	for i := range 5 {
		require.NoError(t, s.put("T", []string{"k"}, int64(i)*100, ts+int64(i)*10_000))
	}
	cases := []struct {
		name       string
		begin, end int64
		want       []int64
	}{
		{"all", ts, ts + 40_000, []int64{400, 300, 200, 100, 0}},
		{"middle", ts + 10_000, ts + 30_000, []int64{300, 200, 100}},
		{"inside one second", ts + 20_000, ts + 20_999, []int64{200}},
		{"before", ts - 5000, ts - 1, nil},
		{"after", ts + 50_000, ts + 60_000, nil},
		{"around", ts - 1, ts + 50_000, []int64{400, 300, 200, 100, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := s.query("T", "k", 32, tc.begin, tc.end)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestIndexServiceRollover(t *testing.T) {
	dir := t.TempDir()
	clk := &testIndexClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)}
	var mu sync.Mutex
	var full []int64
	s, err := openIndexService(dir, indexConfig{
		MaxHashSlotNum: 4, MaxIndexNum: 4, Now: clk.now,
		OnFileFull: func(ts int64) { mu.Lock(); full = append(full, ts); mu.Unlock() },
	}, zaptest.NewLogger(t))
	require.NoError(t, err)
	const ts = int64(1_700_000_000_000)
	for i := range 10 { // 3 entries a file: 4 files
		require.NoError(t, s.put("T", []string{"k"}, int64(i)*100, ts+int64(i)*1000))
	}
	require.Equal(t, 4, s.fileCount())
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(full) == 3 }, 5*time.Second, 10*time.Millisecond)
	mu.Lock()
	assert.Equal(t, []int64{ts + 2000, ts + 5000, ts + 8000}, full, "endTimestamp of each full file, for the checkpoint")
	mu.Unlock()

	names, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	require.Len(t, names, 4)
	assert.Equal(t, "20260102030406000", filepath.Base(names[0]), "yyyyMMddHHmmssSSS local time")
	assert.Equal(t, "20260102030407000", filepath.Base(names[1]))

	got, _ := s.query("T", "k", 64, 0, ts+100_000)
	assert.Equal(t, []int64{900, 800, 700, 600, 500, 400, 300, 200, 100, 0}, got, "newest file first")
	got, _ = s.query("T", "k", 4, 0, ts+100_000)
	assert.Equal(t, []int64{900, 800, 700, 600}, got)
	got, _ = s.query("T", "k", 64, ts+4000, ts+6000)
	assert.Equal(t, []int64{600, 500, 400}, got)

	// A new file is seeded with the previous file's end values.
	s.mu.RLock()
	second := s.mu.files[1].hdr
	s.mu.RUnlock()
	assert.Equal(t, int64(300), second.BeginPhyOffset)
	assert.Equal(t, ts+3000, second.BeginTimestamp)
	require.NoError(t, s.close())
}

func TestIndexServiceFileNamesWhenClockStands(t *testing.T) {
	dir := t.TempDir()
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 123_000_000, time.Local)
	s, err := openIndexService(dir, indexConfig{MaxHashSlotNum: 4, MaxIndexNum: 2, Now: func() time.Time { return fixed }}, zaptest.NewLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.close() })
	for i := range 3 {
		require.NoError(t, s.put("T", []string{"k"}, int64(i), int64(i)))
	}
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	var base []string
	for _, n := range names {
		base = append(base, filepath.Base(n))
	}
	assert.Equal(t, []string{"20260102030405123", "20260102030405124", "20260102030405125"}, base)
}

func TestIndexServiceReopen(t *testing.T) {
	dir := t.TempDir()
	const ts = int64(1_700_000_000_000)
	s := newTestIndexService(t, dir, 4, 4)
	for i := range 7 {
		require.NoError(t, s.put("T", []string{"k", "u" + string(rune('0'+i))}, int64(i)*100, ts+int64(i)*1000))
	}
	require.NoError(t, s.flush())
	require.NoError(t, s.close())

	s = newTestIndexService(t, dir, 4, 4)
	require.Equal(t, 5, s.fileCount(), "14 entries, 3 a file")
	got, last := s.query("T", "k", 64, 0, ts+10_000)
	assert.Equal(t, []int64{600, 500, 400, 300, 200, 100, 0}, got)
	assert.Equal(t, ts+6000, last)
	got, _ = s.query("T", "u3", 64, 0, ts+10_000)
	assert.Equal(t, []int64{300}, got)

	require.NoError(t, s.put("T", []string{"k"}, 700, ts+7000))
	got, _ = s.query("T", "k", 2, 0, ts+10_000)
	assert.Equal(t, []int64{700, 600}, got)

	_, err := openIndexService(dir, indexConfig{MaxHashSlotNum: 8, MaxIndexNum: 4}, zaptest.NewLogger(t))
	require.ErrorIs(t, err, ErrIndexCorrupt, "a different geometry does not fit the files")
}

func TestIndexServiceRecover(t *testing.T) {
	const ts = int64(1_700_000_000_000)
	build := func(t *testing.T) string {
		dir := t.TempDir()
		s := newTestIndexService(t, dir, 4, 4)
		for i := range 7 { // files end at ts+2000, ts+5000, ts+6000
			require.NoError(t, s.put("T", []string{"k"}, int64(i)*100, ts+int64(i)*1000))
		}
		require.NoError(t, s.flush())
		require.NoError(t, s.close())
		return dir
	}
	cases := []struct {
		name      string
		ckpt      int64
		abnormal  bool
		wantFiles int
		want      []int64
		// Re-dispatch skips offsets below the newest file's endPhyOffset;
		// the message at it may carry more keys, so it is indexed again.
		wantAfter []int64
	}{
		{"normal exit keeps all", 0, false, 3, []int64{600, 500, 400, 300, 200, 100, 0},
			[]int64{600, 600, 500, 400, 300, 200, 100, 0}},
		{"abnormal drops files newer than checkpoint", ts + 2000, true, 1, []int64{200, 100, 0},
			[]int64{600, 500, 400, 300, 200, 200, 100, 0}},
		{"abnormal with checkpoint at the end keeps all", ts + 6000, true, 3, []int64{600, 500, 400, 300, 200, 100, 0},
			[]int64{600, 600, 500, 400, 300, 200, 100, 0}},
		{"abnormal with no checkpoint drops all", 0, true, 0, nil,
			[]int64{600, 500, 400, 300, 200, 100, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := build(t)
			s := newTestIndexService(t, dir, 4, 4)
			s.recover(tc.ckpt, tc.abnormal)
			require.Equal(t, tc.wantFiles, s.fileCount())
			names, err := filepath.Glob(filepath.Join(dir, "*"))
			require.NoError(t, err)
			assert.Len(t, names, tc.wantFiles)
			got, _ := s.query("T", "k", 64, 0, ts+10_000)
			assert.Equal(t, tc.want, got)

			// Re-dispatch after recovery indexes the lost messages again.
			for i := range 7 {
				require.NoError(t, s.put("T", []string{"k"}, int64(i)*100, ts+int64(i)*1000))
			}
			got, _ = s.query("T", "k", 64, 0, ts+10_000)
			assert.Equal(t, tc.wantAfter, got)
		})
	}
}

func TestIndexServiceDeleteBelow(t *testing.T) {
	dir := t.TempDir()
	s := newTestIndexService(t, dir, 4, 4)
	const ts = int64(1_700_000_000_000)
	for i := range 9 { // files end at phy 200, 500, 800
		require.NoError(t, s.put("T", []string{"k"}, int64(i)*100, ts+int64(i)*1000))
	}
	require.Equal(t, 3, s.fileCount())
	s.deleteBelow(200)
	assert.Equal(t, 3, s.fileCount(), "endPhyOffset 200 is not below 200")
	s.deleteBelow(201)
	assert.Equal(t, 2, s.fileCount())
	s.deleteBelow(10_000)
	assert.Equal(t, 1, s.fileCount(), "the newest file is never deleted")
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	assert.Len(t, names, 1)
	got, _ := s.query("T", "k", 64, 0, ts+100_000)
	assert.Equal(t, []int64{800, 700, 600}, got)
}

func TestIndexServiceClosed(t *testing.T) {
	s := newTestIndexService(t, t.TempDir(), 4, 4)
	require.NoError(t, s.close())
	err := s.put("T", []string{"k"}, 0, 0)
	require.Error(t, err)
	got, _ := s.query("T", "k", 4, 0, 1)
	assert.Empty(t, got)
	assert.False(t, errors.Is(err, ErrIndexCorrupt))
}

// TestIndexServiceConcurrentQueries queries while the dispatcher indexes
// through several roll-overs and the cleaner deletes old files.
func TestIndexServiceConcurrentQueries(t *testing.T) {
	s := newTestIndexService(t, t.TempDir(), 16, 64)
	const n = 1000
	const ts = int64(1_700_000_000_000)
	done := make(chan struct{})
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				got, _ := s.query("T", "k", 64, 0, ts+n)
				for i := 1; i < len(got); i++ {
					if got[i] >= got[i-1] {
						errs <- fmt.Errorf("offsets not newest first: %v", got)
						return
					}
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
			s.deleteBelow(int64(s.fileCount()) * 10)
		}
	})
	for i := range n {
		require.NoError(t, s.put("T", []string{"k"}, int64(i), ts+int64(i)))
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, _ := s.query("T", "k", 64, 0, ts+n)
	require.Len(t, got, 64)
	assert.Equal(t, int64(n-1), got[0])
}
