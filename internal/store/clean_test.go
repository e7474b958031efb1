package store

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

const cleanTestFileSize = 4096

// cleanTestClock is a settable clock.
type cleanTestClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *cleanTestClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *cleanTestClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// cleanTestDisk reports a settable used ratio for every path.
type cleanTestDisk struct {
	mu    sync.Mutex
	ratio map[string]float64
	def   float64
}

func (d *cleanTestDisk) used(path string) float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if r, ok := d.ratio[path]; ok {
		return r
	}
	return d.def
}

func (d *cleanTestDisk) set(path string, r float64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ratio == nil {
		d.ratio = map[string]float64{}
	}
	d.ratio[path] = r
}

func (d *cleanTestDisk) setAll(r float64) {
	d.mu.Lock()
	d.def = r
	d.ratio = nil
	d.mu.Unlock()
}

// makeCommitLogFiles creates n full commit-log files whose mtimes are the
// given ages before base (ages[i] for file i).
func makeCommitLogFiles(t *testing.T, dir string, base time.Time, ages []time.Duration) *mappedFileQueue {
	t.Helper()
	q, err := openMappedFileQueue(dir, cleanTestFileSize, zaptest.NewLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = q.close() })
	for _, age := range ages {
		mf, err := q.lastOrCreate(0)
		require.NoError(t, err)
		mf.setWrote(cleanTestFileSize)
		mt := base.Add(-age)
		require.NoError(t, os.Chtimes(mf.path, mt, mt))
	}
	return q
}

type cleanFixture struct {
	clock *cleanTestClock
	disk  *cleanTestDisk
	log   *mappedFileQueue
	c     *cleaner
	dir   string
}

func newCleanFixture(t *testing.T, cfg cleanConfig, at time.Time, ages []time.Duration) *cleanFixture {
	t.Helper()
	root := t.TempDir()
	f := &cleanFixture{clock: &cleanTestClock{t: at}, disk: &cleanTestDisk{def: 0.30}, dir: filepath.Join(root, "commitlog")}
	f.log = makeCommitLogFiles(t, f.dir, at, ages)
	cfg.CommitLogPaths = []string{f.dir}
	cfg.ConsumeQueuePath = filepath.Join(root, "consumequeue")
	f.c = newCleaner(cfg, f.log, nil, nil, f.clock.now, f.disk.used, zaptest.NewLogger(t))
	return f
}

func (f *cleanFixture) files(t *testing.T) int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(f.dir, "*"))
	require.NoError(t, err)
	assert.Len(t, f.log.snapshot(), len(names), "queue and directory agree")
	return len(names)
}

func at(hour int) time.Time { return time.Date(2026, 3, 4, hour, 30, 0, 0, time.Local) }

func TestCleanIsTimeToDelete(t *testing.T) {
	cases := []struct {
		name       string
		deleteWhen string
		hour       int
		want       bool
		wantErr    bool
	}{
		{"default hour", "04", 4, true, false},
		{"other hour", "04", 5, false, false},
		{"second of two", "04;05", 5, true, false},
		{"no leading zero", "4", 4, true, false},
		{"plus sign as Integer.parseInt", "+4", 4, true, false},
		{"trailing separator dropped", "04;", 4, true, false},
		{"stops at the first match", "03;x", 3, true, false},
		{"trailing space is not a number", "04 ", 4, false, true},
		{"words are not a number", "4am", 4, false, true},
		{"empty is not a number", "", 4, false, true},
		{"bad entry before the match", "x;03", 3, false, true},
		{"empty entry in the middle", "01;;04", 4, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCleaner(cleanConfig{DeleteWhen: tc.deleteWhen}, nil, nil, nil,
				func() time.Time { return at(tc.hour) }, func(string) float64 { return 0 }, zaptest.NewLogger(t))
			got, err := c.isTimeToDelete()
			if tc.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "deleteWhen")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestCleanCommitLogByTime(t *testing.T) {
	h := time.Hour
	ages := []time.Duration{100 * h, 90 * h, 79 * h, 10 * h, 0} // reserved 72 h: at 04:30 the first three expired
	cfg := cleanConfig{DeleteWhen: "04", FileReservedTime: 72, CleanFileForciblyEnable: true}

	f := newCleanFixture(t, cfg, at(10), ages)
	n, err := f.c.deleteExpiredCommitLog(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 0, n, "not the hour, disk fine: nothing goes")
	assert.Equal(t, 5, f.files(t))

	f.clock.set(at(4))
	n, err = f.c.deleteExpiredCommitLog(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 3, n, "at deleteWhen the expired files go")
	assert.Equal(t, 2, f.files(t))
	assert.Equal(t, int64(3*cleanTestFileSize), f.log.minOffset())

	// Hours later the newer file has expired too; the newest never goes.
	f.clock.set(at(4).Add(24 * time.Hour))
	require.NoError(t, os.Chtimes(f.log.snapshot()[0].path, at(4).Add(-100*h), at(4).Add(-100*h)))
	n, err = f.c.deleteExpiredCommitLog(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, 1, f.files(t))
}

func TestCleanCommitLogStopsAtFirstKept(t *testing.T) {
	h := time.Hour
	// A recent file between expired ones: the walk stops there, no holes.
	f := newCleanFixture(t, cleanConfig{DeleteWhen: "04", FileReservedTime: 72}, at(4),
		[]time.Duration{100 * h, 1 * h, 100 * h, 0})
	n, err := f.c.deleteExpiredCommitLog(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, 3, f.files(t))
}

func TestCleanCommitLogBatchMax(t *testing.T) {
	ages := make([]time.Duration, 14)
	for i := range 13 {
		ages[i] = 200 * time.Hour
	}
	f := newCleanFixture(t, cleanConfig{DeleteWhen: "04", FileReservedTime: 72}, at(4), ages)
	n, err := f.c.deleteExpiredCommitLog(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 10, n, "at most 10 files a pass")
	n, err = f.c.deleteExpiredCommitLog(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, 1, f.files(t))
}

func TestCleanCommitLogBySpace(t *testing.T) {
	h := time.Hour
	ages := []time.Duration{100 * h, 80 * h, 10 * h, 5 * h, 0}
	cases := []struct {
		name          string
		used          float64
		forcibly      bool
		wantDeleted   int
		wantFull      bool
		wantImmediate bool
	}{
		{"below the max used ratio", 0.75, true, 0, false, false},
		{"above the max used ratio: expired files at any hour", 0.80, true, 2, false, false},
		{"above the forced-clean ratio: any age", 0.86, true, 4, false, true},
		{"forced clean disabled: expired only", 0.86, false, 2, false, true},
		{"above the warning ratio: disk full and any age", 0.91, true, 4, true, true},
		{"unmeasurable disk counts as full for deletion", -1, true, 2, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newCleanFixture(t, cleanConfig{DeleteWhen: "04", FileReservedTime: 72, CleanFileForciblyEnable: tc.forcibly}, at(13), ages)
			f.disk.setAll(tc.used)
			n, err := f.c.deleteExpiredCommitLog(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tc.wantDeleted, n)
			assert.Equal(t, len(ages)-tc.wantDeleted, f.files(t))
			assert.Equal(t, tc.wantFull, f.c.diskFull())
			assert.Equal(t, tc.wantImmediate, f.c.cleanImmediately.Load())
		})
	}
}

func TestCleanConsumeQueueDiskCounts(t *testing.T) {
	h := time.Hour
	f := newCleanFixture(t, cleanConfig{DeleteWhen: "04", FileReservedTime: 72, CleanFileForciblyEnable: true}, at(13),
		[]time.Duration{100 * h, 10 * h, 0})
	f.disk.set(f.c.cfg.ConsumeQueuePath, 0.95)
	n, err := f.c.deleteExpiredCommitLog(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, n, "the consume-queue disk above the warning ratio cleans at once")
	assert.True(t, f.c.diskFull())

	f.disk.set(f.c.cfg.ConsumeQueuePath, 0.30)
	_, err = f.c.deleteExpiredCommitLog(context.Background())
	require.NoError(t, err)
	assert.False(t, f.c.diskFull(), "both disks fine again: DISK_FULL cleared")
}

func TestCleanDiskFullFlag(t *testing.T) {
	f := newCleanFixture(t, cleanConfig{DeleteWhen: "04"}, at(13), []time.Duration{0})
	assert.False(t, f.c.diskFull())
	assert.Equal(t, -1.0, f.c.physicRatio(), "not measured yet")
	cases := []struct {
		used float64
		want bool
	}{
		{0.50, false},
		{0.90, false}, // at the warning level is still fine
		{0.91, true},
		{0.99, true},
		{0.89, false},
	}
	for _, tc := range cases {
		f.disk.setAll(tc.used)
		assert.Equal(t, tc.want, f.c.checkDiskFull(), "used %v", tc.used)
		assert.Equal(t, tc.want, f.c.diskFull(), "used %v", tc.used)
		assert.Equal(t, tc.used, f.c.physicRatio())
	}
}

func TestCleanMultiplePathsLeastUsedCounts(t *testing.T) {
	d := &cleanTestDisk{}
	d.set("/a", 0.95)
	d.set("/b", 0.40)
	c := newCleaner(cleanConfig{CommitLogPaths: []string{"/a", "/b"}}, nil, nil, nil, nil, d.used, zaptest.NewLogger(t))
	assert.False(t, c.checkDiskFull())
	assert.Equal(t, 0.40, c.physicRatio())
	d.set("/b", -1)
	assert.False(t, c.checkDiskFull())
	assert.Equal(t, -1.0, c.physicRatio(), "an unmeasurable path counts as -1")
}

func TestCleanManualDelete(t *testing.T) {
	h := time.Hour
	ages := make([]time.Duration, 25)
	for i := range 24 {
		ages[i] = 100 * h
	}
	f := newCleanFixture(t, cleanConfig{DeleteWhen: "04", FileReservedTime: 72, DeleteFileBatchMax: 1}, at(13), ages)
	n, err := f.c.deleteExpiredCommitLog(context.Background())
	require.NoError(t, err)
	require.Equal(t, 0, n)
	f.c.triggerManualDelete()
	for i := range 20 {
		n, err := f.c.deleteExpiredCommitLog(context.Background())
		require.NoError(t, err)
		require.Equal(t, 1, n, "pass %d", i)
	}
	n, err = f.c.deleteExpiredCommitLog(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 0, n, "20 manual passes, then the hour rules again")
	assert.Equal(t, 5, f.files(t))
}

func TestCleanManualDeleteKeepsReservedFiles(t *testing.T) {
	f := newCleanFixture(t, cleanConfig{DeleteWhen: "04", FileReservedTime: 72}, at(13), []time.Duration{time.Hour, 0})
	f.c.triggerManualDelete()
	n, err := f.c.deleteExpiredCommitLog(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 0, n, "the age rule still applies")
}

func TestCleanBadDeleteWhenBlocksEverything(t *testing.T) {
	f := newCleanFixture(t, cleanConfig{DeleteWhen: "04 ", FileReservedTime: 72, CleanFileForciblyEnable: true}, at(4),
		[]time.Duration{200 * time.Hour, 200 * time.Hour, 0})
	f.disk.setAll(0.99)
	f.c.triggerManualDelete()
	err := f.c.cleanOnce(context.Background())
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"04 "`)
	assert.Equal(t, 3, f.files(t), "Java throws before any condition is looked at")
	assert.False(t, f.c.diskFull(), "the pass ends before the space check")
	assert.True(t, f.c.checkDiskFull(), "the separate disk check still marks the disk full")
}

func TestCleanDeleteIntervalHonoursContext(t *testing.T) {
	ages := []time.Duration{200 * time.Hour, 200 * time.Hour, 200 * time.Hour, 0}
	f := newCleanFixture(t, cleanConfig{DeleteWhen: "04", FileReservedTime: 72, DeleteCommitLogFilesInterval: time.Hour}, at(4), ages)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n, err := f.c.deleteExpiredCommitLog(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "a cancelled context ends the pause between deletions")
}

func TestCleanConsumeQueueAndIndexBelowMinOffset(t *testing.T) {
	root := t.TempDir()
	base := at(4)
	// 6 commit-log files of 4096 bytes; the first four expired.
	h := time.Hour
	log := makeCommitLogFiles(t, filepath.Join(root, "commitlog"), base, []time.Duration{100 * h, 100 * h, 100 * h, 100 * h, h, 0})

	tbl, err := openConsumeQueues(filepath.Join(root, "consumequeue"), cqTestFileSize, zaptest.NewLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = tbl.close() })
	cq, err := tbl.findOrCreate("T", 0)
	require.NoError(t, err)
	// 24 units, one per 1024 bytes of commit log: 5 CQ files.
	for i := range 24 {
		require.NoError(t, cq.put(int64(i), int64(i)*1024, 100, 0))
	}
	other, err := tbl.findOrCreate("U", 1)
	require.NoError(t, err)
	require.NoError(t, other.put(0, 23*1024+100, 10, 0))

	clk := &testIndexClock{t: base}
	idx, err := openIndexService(filepath.Join(root, "index"), indexConfig{MaxHashSlotNum: 4, MaxIndexNum: 5, Now: clk.now}, zaptest.NewLogger(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = idx.close() })
	for i := range 24 { // 4 entries a file: 6 files, ending at 3072, 7168, ...
		require.NoError(t, idx.put("T", []string{"k"}, int64(i)*1024, base.UnixMilli()+int64(i)))
	}
	require.Equal(t, 6, idx.fileCount())

	disk := &cleanTestDisk{def: 0.3}
	clock := &cleanTestClock{t: base}
	c := newCleaner(cleanConfig{DeleteWhen: "04", FileReservedTime: 72, CommitLogPaths: []string{root}}, log, tbl, idx,
		clock.now, disk.used, zaptest.NewLogger(t))
	require.NoError(t, c.cleanOnce(context.Background()))

	minPhy := log.minOffset()
	require.Equal(t, int64(4*cleanTestFileSize), minPhy, "four commit-log files deleted")
	// CQ files hold units 0-4, 5-9, 10-14, 15-19, 20-23; unit 16 is the
	// first at or past 16384.
	assert.Equal(t, []string{"00000000000000000300", "00000000000000000400"}, cqFileNames(t, filepath.Join(root, "consumequeue", "T", "0")))
	assert.Equal(t, int64(16), cq.minOffset())
	assert.Equal(t, int64(24), cq.maxOffset())
	assert.Equal(t, int64(0), other.minOffset(), "a queue with only live records keeps its min")
	// Index files end at 3072, 7168, 11264, 15360, 19456, 23552: the first
	// four are below 16384.
	assert.Equal(t, 2, idx.fileCount())
	got, _ := idx.query("T", "k", 64, 0, base.UnixMilli()+100)
	assert.Len(t, got, 8)

	// Nothing moves while the min offset stays.
	require.NoError(t, c.cleanOnce(context.Background()))
	assert.Equal(t, 2, idx.fileCount())
	assert.Equal(t, int64(16), cq.minOffset())
}

func TestCleanRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := time.Hour
		f := newCleanFixture(t, cleanConfig{DeleteWhen: "04", FileReservedTime: 72, CleanResourceInterval: 10 * time.Second,
			DeleteCommitLogFilesInterval: 100 * time.Millisecond}, at(4), []time.Duration{100 * h, 100 * h, 100 * h, 0})
		f.disk.setAll(0.95)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { f.c.run(ctx); close(done) }()

		// Timers fire at whole steps; the test looks half-way between.
		time.Sleep(1500 * time.Millisecond)
		synctest.Wait()
		assert.True(t, f.c.diskFull(), "first disk check after 1 s")
		assert.Equal(t, 4, f.files(t), "no clean before 60 s")

		f.disk.setAll(0.50)
		time.Sleep(10 * time.Second) // 11.5 s
		synctest.Wait()
		assert.False(t, f.c.diskFull(), "disk checks every 10 s")

		time.Sleep(48*time.Second + 550*time.Millisecond) // 60.05 s
		synctest.Wait()
		assert.Equal(t, 3, f.files(t), "first clean at 60 s, then a 100 ms pause between files")
		time.Sleep(250 * time.Millisecond) // 60.3 s
		synctest.Wait()
		assert.Equal(t, 1, f.files(t))

		// Another file expires; the next pass comes 10 s after the last ended.
		last := f.log.snapshot()[0]
		old := at(4).Add(-100 * h)
		require.NoError(t, os.Chtimes(last.path, old, old))
		_, err := f.log.lastOrCreate(0)
		require.NoError(t, err)
		require.Equal(t, 2, f.files(t))
		time.Sleep(9 * time.Second) // 69.3 s
		synctest.Wait()
		assert.Equal(t, 2, f.files(t))
		time.Sleep(time.Second + 50*time.Millisecond) // 70.35 s
		synctest.Wait()
		assert.Equal(t, 1, f.files(t))

		cancel()
		<-done
	})
}

func TestCleanStatfsUsedRatio(t *testing.T) {
	r := statfsUsedRatio(t.TempDir())
	assert.Greater(t, r, 0.0)
	assert.LessOrEqual(t, r, 1.0)
	assert.Equal(t, -1.0, statfsUsedRatio(filepath.Join(t.TempDir(), "missing")))
	assert.Equal(t, -1.0, statfsUsedRatio(""))

	cases := []struct {
		used, usable uint64
		want         float64
	}{
		{0, 100, 0},
		{50, 50, 0.5},
		{1, 199, 0.01},
		{1, 1000, 0.01}, // rounded up
		{751, 249, 0.76},
		{100, 0, 1},
		{0, 0, -1},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, cleanUsedRatio(tc.used, tc.usable), "%d/%d", tc.used, tc.usable)
	}
}

func TestCleanConfigDefaults(t *testing.T) {
	c := cleanConfig{DiskMaxUsedSpaceRatio: 99}
	c.withDefaults()
	assert.Equal(t, 72, c.FileReservedTime)
	assert.Equal(t, 95, c.DiskMaxUsedSpaceRatio, "clamped to 95")
	assert.Equal(t, 10*time.Second, c.CleanResourceInterval)
	assert.Equal(t, 0.90, c.DiskSpaceWarningLevelRatio)
	assert.Equal(t, 0.85, c.DiskSpaceCleanForciblyRatio)
	assert.Equal(t, 10, c.DeleteFileBatchMax)
	c = cleanConfig{DiskMaxUsedSpaceRatio: 3}
	c.withDefaults()
	assert.Equal(t, 10, c.DiskMaxUsedSpaceRatio, "clamped to 10")
}

func TestCleanConfigFromStoreConfig(t *testing.T) {
	cfg := DefaultConfig("/data/store")
	c := newCleanConfig(&cfg)
	c.withDefaults()
	assert.Equal(t, "04", c.DeleteWhen)
	assert.Equal(t, 72, c.FileReservedTime)
	assert.Equal(t, 75, c.DiskMaxUsedSpaceRatio)
	assert.True(t, c.CleanFileForciblyEnable)
	assert.Equal(t, 10*time.Second, c.CleanResourceInterval)
	assert.Equal(t, 100*time.Millisecond, c.DeleteCommitLogFilesInterval)
	assert.Equal(t, 100*time.Millisecond, c.DeleteConsumeQueueFilesInterval)
	assert.Equal(t, []string{"/data/store/commitlog"}, c.CommitLogPaths)
	assert.Equal(t, "/data/store/consumequeue", c.ConsumeQueuePath)
	assert.Equal(t, 0.90, c.DiskSpaceWarningLevelRatio)
	assert.Equal(t, 0.85, c.DiskSpaceCleanForciblyRatio)

	cfg.StorePathCommitLog = "/d1/commitlog,/d2/commitlog"
	assert.Equal(t, []string{"/d1/commitlog", "/d2/commitlog"}, newCleanConfig(&cfg).CommitLogPaths)
}
