package store

// Retention: deleting expired commit-log files, the disk-usage check that
// marks the store "disk full", and removing consume-queue and index files
// below the commit log's min offset (DefaultMessageStore's
// CleanCommitLogService and CleanConsumeQueueService).
//
// Contract for the store core:
//
//	c := newCleaner(newCleanConfig(&cfg), commitLogQueue, cqTable, indexService, now, diskRatio, lg)
//	  commitLogQueue is the commit log's *mappedFileQueue (any expirableFiles); cqTable and
//	  indexService may be nil. now nil = time.Now; diskRatio nil = statfsUsedRatio.
//	go c.run(ctx)                 clean every cleanResourceInterval (first after 60 s),
//	                              disk check every 10 s (first after 1 s)
//	c.diskFull() bool             DISK_FULL: refuse puts with SERVICE_NOT_AVAILABLE
//	c.physicRatio() float64       the commit-log disk's last measured used ratio, for the remark
//	c.triggerManualDelete()       DELETE_EXPIRED_COMMITLOG: the next 20 passes run at any hour
//	c.cleanOnce(ctx) error        one pass (commit log, then consume queues and index)
//	c.checkDiskFull() bool        one disk check
//
// Deleting a file waits for its readers through the mapped-file queue's
// lock, so destroyMapedFileIntervalForcibly and redeleteHangedFileInterval
// (Java's forced release of files still referenced) have nothing to do here.

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
)

const (
	// cleanFirstDelay is the delay before the first clean pass.
	cleanFirstDelay = 60 * time.Second
	// cleanDiskCheckFirstDelay and cleanDiskCheckInterval schedule the
	// disk-full check.
	cleanDiskCheckFirstDelay = time.Second
	cleanDiskCheckInterval   = 10 * time.Second
	// cleanManualDeleteTimes is MAX_MANUAL_DELETE_FILE_TIMES: passes run
	// at any hour after a DELETE_EXPIRED_COMMITLOG request.
	cleanManualDeleteTimes = 20
	// cleanDeleteFilesBatchMax is DELETE_FILES_BATCH_MAX: commit-log files
	// deleted at most per pass.
	cleanDeleteFilesBatchMax = 10
)

// cleanConfig holds the retention settings: MessageStoreConfig keys, and
// the two JVM-property ratios (rocketmq.broker.diskSpaceWarningLevelRatio,
// rocketmq.broker.diskSpaceCleanForciblyRatio). Zero values take the
// defaults, except DeleteWhen (an empty value never matches, as in Java) and
// CleanFileForciblyEnable (whose default is true: set it).
type cleanConfig struct {
	DeleteWhen                      string        // deleteWhen, ";"-separated hours, default "04"
	FileReservedTime                int           // fileReservedTime, hours, default 72
	DiskMaxUsedSpaceRatio           int           // diskMaxUsedSpaceRatio, %, default 75, clamped to 10..95
	CleanFileForciblyEnable         bool          // cleanFileForciblyEnable
	CleanResourceInterval           time.Duration // cleanResourceInterval, default 10 s
	DeleteCommitLogFilesInterval    time.Duration // deleteCommitLogFilesInterval (0 = none)
	DeleteConsumeQueueFilesInterval time.Duration // deleteConsumeQueueFilesInterval (0 = none)
	DiskSpaceWarningLevelRatio      float64       // default 0.90
	DiskSpaceCleanForciblyRatio     float64       // default 0.85
	DeleteFileBatchMax              int           // default 10
	CommitLogPaths                  []string      // storePathCommitLog, split on ','
	ConsumeQueuePath                string        // <storePathRootDir>/consumequeue
}

// newCleanConfig takes the retention keys from the store's Config; the
// two ratios keep their JVM-property defaults.
func newCleanConfig(cfg *Config) cleanConfig {
	ms := func(v int) time.Duration { return time.Duration(v) * time.Millisecond }
	var paths []string
	for _, p := range strings.Split(cfg.CommitLogDir(), ",") {
		if p = strings.TrimSpace(p); p != "" {
			paths = append(paths, p)
		}
	}
	return cleanConfig{
		DeleteWhen:                      cfg.DeleteWhen,
		FileReservedTime:                cfg.FileReservedTime,
		DiskMaxUsedSpaceRatio:           cfg.DiskMaxUsedSpaceRatio,
		CleanFileForciblyEnable:         cfg.CleanFileForciblyEnable,
		CleanResourceInterval:           ms(cfg.CleanResourceInterval),
		DeleteCommitLogFilesInterval:    ms(cfg.DeleteCommitLogFilesInterval),
		DeleteConsumeQueueFilesInterval: ms(cfg.DeleteConsumeQueueFilesInterval),
		CommitLogPaths:                  paths,
		ConsumeQueuePath:                filepath.Join(cfg.StorePathRootDir, "consumequeue"),
	}
}

func (c *cleanConfig) withDefaults() {
	if c.FileReservedTime == 0 {
		c.FileReservedTime = 72
	}
	if c.DiskMaxUsedSpaceRatio == 0 {
		c.DiskMaxUsedSpaceRatio = 75
	}
	c.DiskMaxUsedSpaceRatio = max(10, min(c.DiskMaxUsedSpaceRatio, 95))
	if c.CleanResourceInterval <= 0 {
		c.CleanResourceInterval = 10 * time.Second
	}
	if c.DiskSpaceWarningLevelRatio == 0 {
		c.DiskSpaceWarningLevelRatio = 0.90
	}
	if c.DiskSpaceCleanForciblyRatio == 0 {
		c.DiskSpaceCleanForciblyRatio = 0.85
	}
	if c.DeleteFileBatchMax <= 0 {
		c.DeleteFileBatchMax = cleanDeleteFilesBatchMax
	}
}

// expirableFiles is the commit log's file queue as retention sees it;
// *mappedFileQueue satisfies it.
type expirableFiles interface {
	// deleteExpiredByTime deletes up to maxFiles files, oldest first, whose
	// mtime is older than reservedMs before now (any age when force),
	// never the newest; it returns how many went.
	deleteExpiredByTime(reservedMs int64, now time.Time, force bool, maxFiles int) int
	// minOffset is the first file's start, or -1 when there is none.
	minOffset() int64
}

// cleaner deletes expired files and watches the disk.
//
// Lock order: none of its own (atomics); it calls the commit log queue,
// then the consume-queue table, then the index service, one at a time.
type cleaner struct {
	cfg       cleanConfig
	commitLog expirableFiles
	cqs       *consumeQueueTable
	idx       *indexService
	now       func() time.Time
	diskRatio func(path string) float64
	lg        *zap.Logger

	manualDeletes    atomic.Int32
	full             atomic.Bool   // RunningFlags DISK_FULL
	cleanImmediately atomic.Bool   // set by the last space check
	physic           atomic.Uint64 // math.Float64bits of the last commit-log ratio
	lastPhyMin       atomic.Int64  // CleanConsumeQueueService.lastPhysicalMinOffset
}

func newCleaner(cfg cleanConfig, commitLog expirableFiles, cqs *consumeQueueTable, idx *indexService,
	now func() time.Time, diskRatio func(path string) float64, lg *zap.Logger) *cleaner {
	if lg == nil {
		lg = zap.NewNop()
	}
	if now == nil {
		now = time.Now
	}
	if diskRatio == nil {
		diskRatio = statfsUsedRatio
	}
	cfg.withDefaults()
	c := &cleaner{cfg: cfg, commitLog: commitLog, cqs: cqs, idx: idx, now: now, diskRatio: diskRatio, lg: lg}
	c.physic.Store(math.Float64bits(-1))
	return c
}

// diskFull reports the DISK_FULL flag: puts are refused while it is set.
func (c *cleaner) diskFull() bool { return c.full.Load() }

// physicRatio is the commit-log disk's used ratio at the last check (-1
// before the first or when it could not be measured).
func (c *cleaner) physicRatio() float64 { return math.Float64frombits(c.physic.Load()) }

// triggerManualDelete makes the next 20 passes delete expired commit-log
// files whatever the hour (executeDeleteFilesManually).
func (c *cleaner) triggerManualDelete() {
	c.manualDeletes.Store(cleanManualDeleteTimes)
	c.lg.Info("manual delete of expired commit log files triggered", zap.Int("passes", cleanManualDeleteTimes))
}

// run cleans every cleanResourceInterval and checks the disk every 10 s
// until ctx ends.
func (c *cleaner) run(ctx context.Context) {
	cleanT := time.NewTimer(cleanFirstDelay)
	defer cleanT.Stop()
	diskT := time.NewTimer(cleanDiskCheckFirstDelay)
	defer diskT.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-cleanT.C:
			if err := c.cleanOnce(ctx); err != nil {
				c.lg.Warn("CleanCommitLogService service has exception", zap.Error(err))
			}
			cleanT.Reset(c.cfg.CleanResourceInterval)
		case <-diskT.C:
			c.checkDiskFull()
			diskT.Reset(cleanDiskCheckInterval)
		}
	}
}

// cleanOnce runs one pass: expired commit-log files, then the consume-queue
// and index files below the commit log's new min offset.
func (c *cleaner) cleanOnce(ctx context.Context) error {
	_, err := c.deleteExpiredCommitLog(ctx)
	c.deleteBelowMinOffset(ctx)
	return err
}

// deleteExpiredCommitLog deletes expired commit-log files when the hour is
// in deleteWhen, the disk is above diskMaxUsedSpaceRatio (or unmeasurable),
// or a manual delete is pending; files of any age go when the disk is above
// the forced-clean ratio and cleanFileForciblyEnable. A deleteWhen entry
// that is not a number fails the pass before anything else is looked at, as
// Java's does. It returns how many files were deleted.
func (c *cleaner) deleteExpiredCommitLog(ctx context.Context) (int, error) {
	timeUp, err := c.isTimeToDelete()
	if err != nil {
		return 0, err
	}
	spaceFull := c.isSpaceToDelete()
	manual := c.manualDeletes.Load() > 0
	if !timeUp && !spaceFull && !manual {
		return 0, nil
	}
	if manual {
		c.manualDeletes.Add(-1)
	}
	force := c.cfg.CleanFileForciblyEnable && c.cleanImmediately.Load()
	reservedMs := int64(c.cfg.FileReservedTime) * 3600 * 1000
	deleted := 0
	for deleted < c.cfg.DeleteFileBatchMax {
		if deleted > 0 && !cleanSleep(ctx, c.cfg.DeleteCommitLogFilesInterval) {
			break
		}
		if c.commitLog.deleteExpiredByTime(reservedMs, c.now(), force, 1) == 0 {
			break
		}
		deleted++
	}
	if deleted > 0 {
		c.lg.Info("expired commit log files deleted", zap.Int("files", deleted), zap.Bool("timeup", timeUp),
			zap.Bool("spacefull", spaceFull), zap.Bool("manualDelete", manual), zap.Bool("cleanAtOnce", force))
	} else if spaceFull {
		c.lg.Warn("disk space will be full soon, but delete file failed")
	}
	return deleted, nil
}

// isTimeToDelete reports whether the current local hour is one of
// deleteWhen's (UtilAll.isItTimeToDo). Entries are parsed in order up to the
// first match; one that is not a number is an error.
func (c *cleaner) isTimeToDelete() (bool, error) {
	hour := c.now().Hour()
	parts := strings.Split(c.cfg.DeleteWhen, ";")
	for len(parts) > 1 && parts[len(parts)-1] == "" { // Java's split drops trailing empty strings
		parts = parts[:len(parts)-1]
	}
	for _, p := range parts {
		h, err := strconv.ParseInt(p, 10, 32)
		if err != nil {
			return false, fmt.Errorf("deleteWhen %q: hour %q is not a number", c.cfg.DeleteWhen, p)
		}
		if int(h) == hour {
			return true, nil
		}
	}
	return false, nil
}

// isSpaceToDelete measures the commit-log and consume-queue disks, setting
// or clearing DISK_FULL and the clean-immediately condition on the way, and
// reports whether either is above diskMaxUsedSpaceRatio or unmeasurable
// (CleanCommitLogService.isSpaceToDelete, checks in Java's order).
func (c *cleaner) isSpaceToDelete() bool {
	ratio := float64(c.cfg.DiskMaxUsedSpaceRatio) / 100
	c.cleanImmediately.Store(false)

	physic := c.commitLogRatio()
	c.markDisk(physic, "commitLog")
	if physic < 0 || physic > ratio {
		c.lg.Info("commit log disk over the max used ratio", zap.Float64("used", physic), zap.Float64("max", ratio))
		return true
	}
	if c.cfg.ConsumeQueuePath == "" {
		return false
	}
	logics := c.diskRatio(c.cfg.ConsumeQueuePath)
	c.markDisk(logics, "consumeQueue")
	if logics < 0 || logics > ratio {
		c.lg.Info("consume queue disk over the max used ratio", zap.Float64("used", logics), zap.Float64("max", ratio))
		return true
	}
	return false
}

// markDisk applies one disk's used ratio to DISK_FULL and clean-immediately.
func (c *cleaner) markDisk(used float64, which string) {
	switch {
	case used > c.cfg.DiskSpaceWarningLevelRatio:
		if c.full.CompareAndSwap(false, true) {
			c.lg.Error("disk maybe full soon, so mark disk full", zap.String("disk", which), zap.Float64("used", used))
		}
		c.cleanImmediately.Store(true)
	case used > c.cfg.DiskSpaceCleanForciblyRatio:
		c.cleanImmediately.Store(true)
	default:
		if c.full.CompareAndSwap(true, false) {
			c.lg.Info("disk space OK now, so mark disk ok", zap.String("disk", which), zap.Float64("used", used))
		}
	}
}

// checkDiskFull is the periodic disk check (CleanCommitLogService.
// isSpaceFull): above the warning ratio the store is marked DISK_FULL,
// at or below it the flag is cleared. It returns the flag.
func (c *cleaner) checkDiskFull() bool {
	physic := c.commitLogRatio()
	if physic > c.cfg.DiskSpaceWarningLevelRatio {
		if c.full.CompareAndSwap(false, true) {
			c.lg.Error("physic disk of commitLog maybe full soon, so mark disk full", zap.Float64("used", physic))
		}
		return true
	}
	if c.full.CompareAndSwap(true, false) {
		c.lg.Info("physic disk space of commitLog OK, so mark disk ok", zap.Float64("used", physic))
	}
	return false
}

// commitLogRatio is the least used ratio over the commit-log paths (-1 when
// one cannot be measured), remembered for physicRatio.
func (c *cleaner) commitLogRatio() float64 {
	r := 1.0
	for _, p := range c.cfg.CommitLogPaths {
		r = min(r, c.diskRatio(p))
	}
	if len(c.cfg.CommitLogPaths) == 0 {
		r = -1
	}
	c.physic.Store(math.Float64bits(r))
	return r
}

// deleteBelowMinOffset removes consume-queue files whose last unit and
// index files whose endPhyOffset lie below the commit log's min offset,
// when that offset moved since the last pass (CleanConsumeQueueService).
func (c *cleaner) deleteBelowMinOffset(ctx context.Context) {
	minPhy := c.commitLog.minOffset()
	if last := c.lastPhyMin.Load(); minPhy <= last || !c.lastPhyMin.CompareAndSwap(last, minPhy) {
		return
	}
	if c.cqs != nil {
		for _, cq := range c.cqs.all() {
			if cq.deleteExpired(minPhy) > 0 && !cleanSleep(ctx, c.cfg.DeleteConsumeQueueFilesInterval) {
				return
			}
		}
	}
	if c.idx != nil {
		c.idx.deleteBelow(minPhy)
	}
}

// cleanSleep waits d or until ctx ends; it reports whether to go on.
func cleanSleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// statfsUsedRatio is the used ratio of the file system holding path:
// used / (used + available to us), rounded up to a whole percent
// (UtilAll.getDiskPartitionSpaceUsedPercent); -1 when it cannot be measured.
func statfsUsedRatio(path string) float64 {
	if path == "" {
		return -1
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return -1
	}
	bs := uint64(st.Bsize)
	total, free, avail := st.Blocks*bs, st.Bfree*bs, st.Bavail*bs
	return cleanUsedRatio(total-free, avail)
}

// cleanUsedRatio rounds used / (used + usable) up to a whole percent.
func cleanUsedRatio(used, usable uint64) float64 {
	entire := used + usable
	if entire == 0 {
		return -1
	}
	pct := used * 100 / entire
	if used*100%entire != 0 {
		pct++
	}
	return float64(pct) / 100
}
