package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorocket/gorocket/internal/message"
	"go.uber.org/zap"
)

// Store is the message store (DefaultMessageStore): the commit log, the
// consume queues and index built from it, flushing, recovery and the
// queries the broker serves.
type Store struct {
	cfg Config
	lg  *zap.Logger

	lock       *storeLock
	commitLog  *CommitLog
	cqs        *consumeQueueTable
	index      *indexService
	cleaner    *cleaner // retention and the disk-full flag
	checkpoint *checkpoint
	dispatcher *dispatcher
	flusher    *flusher
	group      *groupCommit
	prealloc   *preallocator
	stats      *storeStats

	abortPath string
	lastExit  bool // the previous run shut down cleanly

	// gate keeps mappings alive: every put and read holds it shared;
	// Close takes it exclusively once closed is set.
	gate       sync.RWMutex
	started    atomic.Bool
	closed     atomic.Bool
	unwritable atomic.Pointer[string] // disk full and similar (SetWritable); nil while writable
	failed     atomic.Pointer[string] // consume queue or index write failed; until restart

	cancel context.CancelFunc
	wg     sync.WaitGroup

	bootTime        time.Time
	startAcceptSend atomic.Int64
	totalMemory     int64
}

// Open locks the store directory, loads the commit log, consume queues,
// index and checkpoint, recovers them (normally, or abnormally when the
// abort file says the last run did not shut down) and dispatches what the
// consume queues and index miss. A second Open of the same
// storePathRootDir fails, naming the lock file.
func Open(cfg Config, lg *zap.Logger) (*Store, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	root := cfg.StorePathRootDir
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Store{cfg: cfg, lg: lg, abortPath: filepath.Join(root, "abort"), bootTime: time.Now()}
	lock, err := acquireStoreLock(filepath.Join(root, "lock"))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.lock = lock
	ok := false
	defer func() {
		if !ok {
			s.closeFiles()
		}
	}()
	_, err = os.Stat(s.abortPath)
	s.lastExit = os.IsNotExist(err)

	if s.commitLog, err = openCommitLog(&s.cfg, lg); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if s.cqs, err = openConsumeQueues(filepath.Join(root, "consumequeue"), cfg.ConsumeQueueFileSize(), lg); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if s.checkpoint, err = openCheckpoint(filepath.Join(root, "checkpoint")); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	cp := s.checkpoint
	if !s.lastExit {
		if err := removeTornIndexFiles(filepath.Join(root, "index"), cfg.MaxHashSlotNum, cfg.MaxIndexNum, lg); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	s.index, err = openIndexService(filepath.Join(root, "index"), indexConfig{
		MaxHashSlotNum: cfg.MaxHashSlotNum, MaxIndexNum: cfg.MaxIndexNum, MaxMsgsNumBatch: cfg.MaxMsgsNumBatch,
		OnFileFull: func(endTimestamp int64) {
			cp.index.Store(endTimestamp)
			if err := cp.flush(); err != nil {
				lg.Error("flush checkpoint failed", zap.Error(err))
			}
		},
	}, lg)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.index.recover(cp.index.Load(), !s.lastExit)

	s.dispatcher = newDispatcher(s)
	s.cleaner = newCleaner(newCleanConfig(&s.cfg), s.commitLog.q, s.cqs, s.index, nil, nil, lg.Named("clean"))
	s.commitLog.onAppend = s.afterAppend
	if cfg.FlushDiskType == SyncFlush {
		s.group = newGroupCommit(s.commitLog.q, cp, s.commitLog.lastStoreTimestamp.Load, lg)
	} else {
		s.flusher = newFlusher(s.commitLog.q, &s.cfg, cp, s.commitLog.lastStoreTimestamp.Load, lg)
	}
	s.stats = newStoreStats()
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil {
		s.totalMemory = int64(si.Totalram) * int64(si.Unit)
	}
	if err := s.recover(!s.lastExit); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	ok = true
	lg.Info("store opened", zap.String("storePathRootDir", root), zap.Bool("lastExitOK", s.lastExit),
		zap.Int64("commitLogMinOffset", s.commitLog.MinOffset()), zap.Int64("commitLogMaxOffset", s.commitLog.MaxOffset()))
	return s, nil
}

// LastExitOK reports whether the previous run shut down cleanly.
func (s *Store) LastExitOK() bool { return s.lastExit }

func (s *Store) afterAppend() {
	s.dispatcher.notify()
}

// Start runs the background work (dispatch, flush, consume-queue flush,
// file preallocation, statistics) and creates the abort file.
func (s *Store) Start() error {
	if s.closed.Load() {
		return errors.New("start store: closed")
	}
	if s.started.Swap(true) {
		return errors.New("start store: already started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.prealloc = s.commitLog.q.startPreallocation(s.cfg.WarmMapedFileEnable)
	s.goRun(ctx, s.dispatcher.run)
	s.goRun(ctx, s.prealloc.run)
	s.goRun(ctx, s.runFlushConsumeQueue)
	s.goRun(ctx, s.stats.run)
	s.goRun(ctx, s.cleaner.run)
	if s.group != nil {
		s.goRun(ctx, s.group.run)
	} else {
		s.goRun(ctx, s.flusher.run)
	}
	f, err := os.OpenFile(s.abortPath, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("start store: create abort file: %w", err)
	}
	f.Close()
	s.startAcceptSend.Store(time.Now().UnixMilli())
	return nil
}

func (s *Store) goRun(ctx context.Context, f func(context.Context)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f(ctx)
	}()
}

// runFlushConsumeQueue is FlushConsumeQueueService.
func (s *Store) runFlushConsumeQueue(ctx context.Context) {
	t := time.NewTicker(time.Duration(s.cfg.FlushIntervalConsumeQueue) * time.Millisecond)
	defer t.Stop()
	thorough := time.Duration(s.cfg.FlushConsumeQueueThoroughInterval) * time.Millisecond
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		least := s.cfg.FlushConsumeQueueLeastPages
		logics := s.checkpoint.logics.Load()
		if now := time.Now(); now.Sub(last) >= thorough {
			least = 0
			last = now
		}
		if err := s.cqs.flushAll(least); err != nil {
			continue
		}
		if least == 0 {
			s.checkpoint.logics.Store(logics)
			if err := s.checkpoint.flush(); err != nil {
				s.lg.Error("flush checkpoint failed", zap.Error(err))
			}
		}
	}
}

// Close stops the background work, flushes everything, removes the abort
// file when the store is consistent, and releases the lock.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.gate.Lock() // wait for puts and reads in progress
	defer s.gate.Unlock()
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	var errs []error
	if s.started.Load() {
		s.dispatcher.reput(false)
		ts := s.commitLog.lastStoreTimestamp.Load()
		for range 10 {
			where, err := s.commitLog.q.flushAll(0)
			if err == nil && where >= s.commitLog.MaxOffset() {
				break
			}
			if err != nil {
				errs = append(errs, err)
				break
			}
		}
		if ts > 0 {
			s.checkpoint.physic.Store(ts)
		}
		if err := s.cqs.flushAll(0); err != nil {
			errs = append(errs, err)
		}
		if err := s.index.flush(); err != nil {
			errs = append(errs, err)
		}
		if err := s.checkpoint.flush(); err != nil {
			errs = append(errs, err)
		}
		if ok, _ := s.Writable(); ok && s.dispatcher.behind() == 0 && len(errs) == 0 {
			if err := os.Remove(s.abortPath); err != nil && !os.IsNotExist(err) {
				errs = append(errs, fmt.Errorf("remove abort file: %w", err))
			}
		} else {
			s.lg.Warn("the store may be wrong, so shutdown abnormally, and keep abort file")
		}
	}
	if err := s.closeFiles(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *Store) closeFiles() error {
	var errs []error
	if s.index != nil {
		if err := s.index.close(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.cqs != nil {
		if err := s.cqs.close(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.commitLog != nil {
		if err := s.commitLog.q.close(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.checkpoint != nil {
		if err := s.checkpoint.close(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.lock != nil {
		if err := s.lock.release(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// setUnwritable marks the store not writable until restart (a consume
// queue or index write failed, §6.5); it reports whether this call made
// the change, so the caller logs once.
func (s *Store) setUnwritable(reason string) bool { return s.failed.CompareAndSwap(nil, &reason) }

// SetWritable sets or clears the disk-full state (§6.5): reason "" makes
// the store writable again, unless a consume-queue or index failure made
// it unwritable until restart.
func (s *Store) SetWritable(reason string) {
	if reason == "" {
		s.unwritable.Store(nil)
		return
	}
	s.unwritable.Store(&reason)
}

// Writable reports whether puts are accepted, and why not.
func (s *Store) Writable() (bool, string) {
	if r := s.failed.Load(); r != nil {
		return false, *r
	}
	if r := s.unwritable.Load(); r != nil {
		return false, *r
	}
	if s.cleaner.diskFull() {
		return false, fmt.Sprintf("the disk of the commit log is full (%.2f used, over diskSpaceWarningLevelRatio)",
			s.cleaner.physicRatio())
	}
	return true, ""
}

// ExecuteDeleteFilesManually makes the next passes of the retention
// service delete expired commit log files whatever the hour
// (DELETE_EXPIRED_COMMITLOG).
func (s *Store) ExecuteDeleteFilesManually() { s.cleaner.triggerManualDelete() }

// checkStoreStatus is DefaultMessageStore.checkStoreStatus.
func (s *Store) checkStoreStatus() (PutStatus, string) {
	switch {
	case s.closed.Load():
		return ServiceNotAvailable, "message store has been shut down"
	case !s.started.Load():
		return ServiceNotAvailable, "message store is not started"
	case s.cfg.BrokerRole == Slave:
		return ServiceNotAvailable, "broker role is SLAVE, message store is not writable"
	}
	if ok, why := s.Writable(); !ok {
		return ServiceNotAvailable, "message store is not writable: " + why
	}
	if s.commitLog.pageCacheBusy() {
		return OSPageCacheBusy, "[PC_SYNCHRONIZED]broker busy, start flow control for a while"
	}
	return PutOK, ""
}

// PutMessage stores one message. The broker fills topic, queue id, flag,
// body, properties (or PropertiesString), sysflag, born time and host,
// reconsume times and prepared-transaction offset; the store sets the
// store host when unset, the store timestamp, queue and commit-log
// offsets, MsgID and StoreSize, and applies the delay-level rewrite. With
// SYNC_FLUSH and WAIT not "false" it returns once the record is durable
// (FLUSH_DISK_TIMEOUT after syncFlushTimeout, the message stored).
func (s *Store) PutMessage(ctx context.Context, m *message.MessageExt) PutResult {
	if m == nil {
		return putFail(MessageIllegal, "no message")
	}
	return s.putSync(ctx, m.WaitStoreOK(), func() PutResult { return s.commitLog.appendMessage(m) })
}

// PutMessageAsync is PutMessage that reports through done instead of
// blocking: done runs once, when the record is as durable as the flush type
// asks (with SYNC_FLUSH, from the group commit's goroutine or the
// syncFlushTimeout timer), or before PutMessageAsync returns when the put
// fails or needs no wait. The broker answers a send from done, so a send
// worker never waits on an fsync (SendMessageProcessor.asyncProcessRequest).
// done must not block.
func (s *Store) PutMessageAsync(m *message.MessageExt, done func(PutResult)) {
	if m == nil {
		done(putFail(MessageIllegal, "no message"))
		return
	}
	s.putAsync(m.WaitStoreOK(), func() PutResult { return s.commitLog.appendMessage(m) }, done)
}

// PutMessages stores a batch (SEND_BATCH_MESSAGE): one queue, no delay or
// transaction flags, consecutive queue and commit-log offsets, one file.
func (s *Store) PutMessages(ctx context.Context, msgs []*message.MessageExt) PutResult {
	if res, ok := checkBatch(msgs); !ok {
		return res
	}
	return s.putSync(ctx, msgs[0].WaitStoreOK(), func() PutResult { return s.commitLog.appendMessages(msgs) })
}

// PutMessagesAsync is PutMessages reporting through done, as
// PutMessageAsync does.
func (s *Store) PutMessagesAsync(msgs []*message.MessageExt, done func(PutResult)) {
	if res, ok := checkBatch(msgs); !ok {
		done(res)
		return
	}
	s.putAsync(msgs[0].WaitStoreOK(), func() PutResult { return s.commitLog.appendMessages(msgs) }, done)
}

func checkBatch(msgs []*message.MessageExt) (PutResult, bool) {
	if len(msgs) == 0 {
		return putFail(MessageIllegal, "empty batch"), false
	}
	for i, m := range msgs {
		if m == nil {
			return putFail(MessageIllegal, "batch message %d is missing", i), false
		}
	}
	return PutResult{}, true
}

// lockForPut runs the store-status checks and takes the gate shared, so
// the mappings stay alive while bytes are copied in; a refusal holds
// nothing.
func (s *Store) lockForPut() (PutResult, bool) {
	if st, why := s.checkStoreStatus(); st != PutOK {
		return putFail(st, "%s", why), false
	}
	s.gate.RLock()
	if s.closed.Load() {
		s.gate.RUnlock()
		return putFail(ServiceNotAvailable, "message store has been shut down"), false
	}
	return PutResult{}, true
}

// mustWait reports whether an appended put waits for a group commit
// (SYNC_FLUSH and WAIT not "false"); otherwise it wakes the flusher, whose
// work nobody waits for.
func (s *Store) mustWait(res PutResult, wait bool) bool {
	if res.Status != PutOK {
		return false
	}
	if s.group != nil {
		if wait {
			return true
		}
		s.group.notify()
		return false
	}
	s.flusher.notify()
	return false
}

func (s *Store) syncFlushTimeout() time.Duration {
	return time.Duration(s.cfg.SyncFlushTimeout) * time.Millisecond
}

// putSync appends and, when the put must be durable, waits for the group
// commit (or ctx; FLUSH_DISK_TIMEOUT then means the record is appended,
// its durability not known). The wait is registered before the gate is
// released, so Close's last group commit answers it.
func (s *Store) putSync(ctx context.Context, wait bool, appendFn func() PutResult) PutResult {
	res, ok := s.lockForPut()
	if !ok {
		return res
	}
	begin := time.Now()
	res = appendFn()
	if s.mustWait(res, wait) {
		ch := make(chan PutStatus, 1)
		s.group.waitAsync(res.WroteOffset+int64(res.WroteBytes), s.syncFlushTimeout(), func(st PutStatus) { ch <- st })
		s.gate.RUnlock()
		select {
		case res.Status = <-ch:
		case <-ctx.Done():
			res.Status = FlushDiskTimeout
		}
	} else {
		s.gate.RUnlock()
	}
	s.stats.put(res, time.Since(begin))
	return res
}

// putAsync is putSync reporting through done. Only a put that waits for a
// group commit allocates its callback.
func (s *Store) putAsync(wait bool, appendFn func() PutResult, done func(PutResult)) {
	res, ok := s.lockForPut()
	if !ok {
		done(res)
		return
	}
	begin := time.Now()
	res = appendFn()
	if s.mustWait(res, wait) {
		pending := res
		s.group.waitAsync(res.WroteOffset+int64(res.WroteBytes), s.syncFlushTimeout(), func(st PutStatus) {
			pending.Status = st
			s.stats.put(pending, time.Since(begin))
			done(pending)
		})
		s.gate.RUnlock()
		return
	}
	s.gate.RUnlock()
	s.stats.put(res, time.Since(begin))
	done(res)
}

// AppendToCommitLog appends replicated commit-log bytes at offset, which
// must be the end of the local log (a slave's HA replay). Dispatch builds
// the consume queues and index from them.
func (s *Store) AppendToCommitLog(offset int64, data []byte) error {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.closed.Load() {
		return errors.New("append to commit log: store closed")
	}
	if err := s.commitLog.appendRaw(offset, data); err != nil {
		return err
	}
	if s.flusher != nil {
		s.flusher.notify()
	} else {
		s.group.notify()
	}
	return nil
}

// GetCommitLogData copies up to maxBytes of commit-log bytes from offset,
// not past the end of the file holding it (what HA sends next). nil when
// nothing is there yet.
func (s *Store) GetCommitLogData(offset int64, maxBytes int) []byte {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.closed.Load() {
		return nil
	}
	var out []byte
	_ = s.commitLog.q.view(offset, func(b []byte) error {
		if len(b) > maxBytes {
			b = b[:maxBytes]
		}
		if len(b) > 0 {
			out = append([]byte(nil), b...)
		}
		return nil
	})
	return out
}

// MinPhyOffset is the commit log's first offset.
func (s *Store) MinPhyOffset() int64 { return s.commitLog.MinOffset() }

// MaxPhyOffset is the end of the commit log.
func (s *Store) MaxPhyOffset() int64 { return s.commitLog.MaxOffset() }

// FlushedPhyOffset is how far the commit log is durable.
func (s *Store) FlushedPhyOffset() int64 { return s.commitLog.q.flushedWhere.Load() }

// DispatchBehindBytes is how much of the commit log is not dispatched yet.
func (s *Store) DispatchBehindBytes() int64 { return s.dispatcher.behind() }

// OnDispatch registers f, called on the dispatch goroutine after each
// message reached its consume queue (long polling wakes held pulls).
// f must not block.
func (s *Store) OnDispatch(f func(DispatchInfo)) { s.dispatcher.addListener(f) }

// GetStatus is a pull's outcome (GetMessageStatus.java).
type GetStatus int

const (
	Found GetStatus = iota
	NoMatchedMessage
	MessageWasRemoving
	OffsetFoundNull
	OffsetOverflowBadly
	OffsetOverflowOne
	OffsetTooSmall
	NoMatchedLogicQueue
	NoMessageInQueue
)

var getStatusNames = [...]string{"FOUND", "NO_MATCHED_MESSAGE", "MESSAGE_WAS_REMOVING", "OFFSET_FOUND_NULL",
	"OFFSET_OVERFLOW_BADLY", "OFFSET_OVERFLOW_ONE", "OFFSET_TOO_SMALL", "NO_MATCHED_LOGIC_QUEUE", "NO_MESSAGE_IN_QUEUE"}

func (s GetStatus) String() string {
	if s >= 0 && int(s) < len(getStatusNames) {
		return getStatusNames[s]
	}
	return fmt.Sprintf("GetStatus(%d)", int(s))
}

// MessageFilter selects messages for a pull (MessageFilter.java). Either
// function may be nil (match all). ByProperties decodes the record's
// properties and runs only for messages ByTagsCode accepted.
type MessageFilter struct {
	ByTagsCode   func(tagsCode int64) bool
	ByProperties func(props map[string]string) bool
}

// GetResult is what a pull gets (GetMessageResult.java).
type GetResult struct {
	Status          GetStatus
	NextBeginOffset int64
	MinOffset       int64
	MaxOffset       int64
	// Messages are copies of the stored records, in queue order.
	Messages                [][]byte
	BufferTotalSize         int
	SuggestPullingFromSlave bool

	body []byte // Messages back to back
}

// Body is the records back to back: the PULL_MESSAGE response body. It
// shares memory with Messages.
func (r *GetResult) Body() []byte { return r.body }

func (s *Store) nextOffsetCorrection(old, next int64) int64 {
	if s.cfg.BrokerRole != Slave || s.cfg.OffsetCheckInSlave {
		return next
	}
	return old
}

// GetMessage reads up to maxMsgNums messages of a queue from offset,
// applying filter and RocketMQ's per-pull size caps
// (DefaultMessageStore.getMessage).
func (s *Store) GetMessage(group, topic string, queueID int32, offset int64, maxMsgNums int32, filter *MessageFilter) GetResult {
	res := GetResult{Status: NoMessageInQueue, NextBeginOffset: offset}
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.closed.Load() {
		res.Status = NoMatchedLogicQueue
		return res
	}
	begin := time.Now()
	defer func() { s.stats.get(res.Status == Found, len(res.Messages), time.Since(begin)) }()
	cq := s.cqs.find(topic, queueID)
	if cq == nil {
		res.Status = NoMatchedLogicQueue
		res.NextBeginOffset = s.nextOffsetCorrection(offset, 0)
		return res
	}
	minOff, maxOff := cq.minOffset(), cq.maxOffset()
	res.MinOffset, res.MaxOffset = minOff, maxOff
	switch {
	case maxOff == 0:
		res.Status = NoMessageInQueue
		res.NextBeginOffset = s.nextOffsetCorrection(offset, 0)
		return res
	case offset < minOff:
		res.Status = OffsetTooSmall
		res.NextBeginOffset = s.nextOffsetCorrection(offset, minOff)
		return res
	case offset == maxOff:
		res.Status = OffsetOverflowOne
		res.NextBeginOffset = s.nextOffsetCorrection(offset, offset)
		return res
	case offset > maxOff:
		res.Status = OffsetOverflowBadly
		if minOff == 0 {
			res.NextBeginOffset = s.nextOffsetCorrection(offset, minOff)
		} else {
			res.NextBeginOffset = s.nextOffsetCorrection(offset, maxOff)
		}
		return res
	}
	// At most max(16000 bytes of units, maxMsgNums) units are looked at
	// (maxFilterMessageCount).
	maxFilter := max(16000/cqUnitBytes, int(maxMsgNums))
	maxFilter = min(maxFilter, int(maxOff-offset))
	chunk := min(max(int(maxMsgNums)*2, 64), maxFilter)
	units := cq.get(offset, chunk)
	if len(units) == 0 {
		res.Status = OffsetFoundNull
		perFile := int64(s.cfg.ConsumeQueueFileSize() / cqUnitBytes)
		res.NextBeginOffset = s.nextOffsetCorrection(offset, offset+perFile-offset%perFile)
		return res
	}
	res.Status = NoMatchedMessage
	maxPhy := s.commitLog.MaxOffset()
	memory := s.totalMemory * int64(s.cfg.AccessMessageInMemoryMaxRatio) / 100
	nextPhyFileStart := int64(-1)
	var maxPhyPulling int64
	var buf []byte
	var ends []int
	count := 0
	consumed := 0 // units looked at, the next begin offset's distance
scan:
	for len(units) > 0 {
		for _, u := range units {
			maxPhyPulling = u.PhyOffset
			if nextPhyFileStart >= 0 && u.PhyOffset < nextPhyFileStart {
				consumed++
				continue
			}
			inDisk := maxPhy-u.PhyOffset > memory
			if s.batchFull(int(u.Size), int(maxMsgNums), len(buf), count, inDisk) {
				break scan
			}
			consumed++
			if u.Size <= 0 || int(u.Size) > s.commitLog.q.fileSize {
				continue // a filler or damaged unit points at no record
			}
			if filter != nil && filter.ByTagsCode != nil && !filter.ByTagsCode(u.TagsCode) {
				continue
			}
			if buf == nil {
				buf = make([]byte, 0, min(int(u.Size)*int(max(maxMsgNums, 1)), s.cfg.MaxTransferBytesOnMessageInMemory+int(u.Size)))
			}
			start := len(buf)
			var err error
			buf, err = s.commitLog.q.readAppend(buf, u.PhyOffset, int(u.Size))
			if err != nil {
				if count == 0 {
					res.Status = MessageWasRemoving
				}
				fs := int64(s.commitLog.q.fileSize)
				nextPhyFileStart = u.PhyOffset + fs - u.PhyOffset%fs
				continue
			}
			if filter != nil && filter.ByProperties != nil {
				r, err := message.ParseRecord(buf[start:], false)
				if err != nil || !filter.ByProperties(message.DecodeProperties(r.Properties)) {
					buf = buf[:start]
					continue
				}
			}
			ends = append(ends, len(buf))
			count++
			res.Status = Found
			nextPhyFileStart = -1
		}
		if consumed >= maxFilter {
			break
		}
		units = cq.get(offset+int64(consumed), min(chunk, maxFilter-consumed))
	}
	res.Messages = make([][]byte, len(ends))
	prev := 0
	for i, e := range ends {
		res.Messages[i] = buf[prev:e:e]
		prev = e
	}
	res.BufferTotalSize = len(buf)
	res.body = buf
	res.NextBeginOffset = offset + int64(consumed)
	res.SuggestPullingFromSlave = maxPhy-maxPhyPulling > memory
	return res
}

// batchFull is DefaultMessageStore.isTheBatchFull.
func (s *Store) batchFull(size, maxMsgNums, bufferTotal, count int, inDisk bool) bool {
	if bufferTotal == 0 || count == 0 {
		return false
	}
	if maxMsgNums <= count {
		return true
	}
	if inDisk {
		return bufferTotal+size > s.cfg.MaxTransferBytesOnMessageInDisk || count > s.cfg.MaxTransferCountOnMessageInDisk-1
	}
	return bufferTotal+size > s.cfg.MaxTransferBytesOnMessageInMemory || count > s.cfg.MaxTransferCountOnMessageInMemory-1
}

// MaxOffsetInQueue is the next queue offset to be written, 0 for an
// unknown queue.
func (s *Store) MaxOffsetInQueue(topic string, queueID int32) int64 {
	if cq := s.cqs.find(topic, queueID); cq != nil {
		return cq.maxOffset()
	}
	return 0
}

// MinOffsetInQueue is the first readable queue offset, -1 for an unknown
// queue.
func (s *Store) MinOffsetInQueue(topic string, queueID int32) int64 {
	if cq := s.cqs.find(topic, queueID); cq != nil {
		return cq.minOffset()
	}
	return -1
}

// OffsetInQueueByTime is the queue offset of the message whose store time
// is nearest ts, the exact one when there is one (SEARCH_OFFSET_BY_TIMESTAMP,
// ConsumeQueue.getOffsetInQueueByTime), 0 for an unknown queue.
func (s *Store) OffsetInQueueByTime(topic string, queueID int32, ts int64) int64 {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if cq := s.cqs.find(topic, queueID); cq != nil && !s.closed.Load() {
		return cq.offsetByTime(ts, s.commitLog.storeTimestampAt)
	}
	return 0
}

// MessageStoreTimeStamp is the store time of the message at a queue
// offset, -1 when there is none.
func (s *Store) MessageStoreTimeStamp(topic string, queueID int32, offset int64) int64 {
	s.gate.RLock()
	defer s.gate.RUnlock()
	cq := s.cqs.find(topic, queueID)
	if cq == nil || s.closed.Load() {
		return -1
	}
	units := cq.get(offset, 1)
	if len(units) == 0 {
		return -1
	}
	return s.commitLog.storeTimestampAt(units[0].PhyOffset, units[0].Size)
}

// EarliestMessageTime is the store time of a queue's first message, -1
// when there is none.
func (s *Store) EarliestMessageTime(topic string, queueID int32) int64 {
	cq := s.cqs.find(topic, queueID)
	if cq == nil {
		return -1
	}
	return s.MessageStoreTimeStamp(topic, queueID, cq.minOffset())
}

// EarliestMessageTimeAll is the store time of the commit log's first
// message, -1 when empty.
func (s *Store) EarliestMessageTimeAll() int64 {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.closed.Load() || s.commitLog.MaxOffset() == 0 {
		return -1
	}
	return s.commitLog.storeTimestampAt(s.commitLog.MinOffset(), 0)
}

// LookMessageByOffset decodes the record at a commit-log offset (VIEW
// MESSAGE BY ID).
func (s *Store) LookMessageByOffset(phyOffset int64) (*message.MessageExt, error) {
	b, err := s.SelectOneMessageByOffset(phyOffset)
	if err != nil {
		return nil, err
	}
	m, _, err := message.DecodeRecord(b)
	if err != nil {
		return nil, fmt.Errorf("look message at %d: %w", phyOffset, err)
	}
	return m, nil
}

// SelectOneMessageByOffset copies the raw record at a commit-log offset.
func (s *Store) SelectOneMessageByOffset(phyOffset int64) ([]byte, error) {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.closed.Load() {
		return nil, errors.New("store closed")
	}
	b, err := s.commitLog.readRecord(phyOffset, 0)
	if err != nil {
		return nil, fmt.Errorf("read message at %d: %w", phyOffset, err)
	}
	if _, err := message.ParseRecord(b, false); err != nil {
		return nil, fmt.Errorf("read message at %d: %w", phyOffset, err)
	}
	return b, nil
}

// QueryResult is QueryMessageResult: raw records plus the index's last
// update time.
type QueryResult struct {
	Messages                 [][]byte
	BufferTotalSize          int
	IndexLastUpdateTimestamp int64
	IndexLastUpdatePhyoffset int64
}

// QueryMessage finds messages by key (KEYS token or UNIQ_KEY) stored in
// [begin, end] ms, at most maxNum (DefaultMessageStore.queryMessage).
func (s *Store) QueryMessage(topic, key string, maxNum int, begin, end int64) QueryResult {
	var res QueryResult
	last := end
	for range 3 {
		offsets, lastUpdate := s.index.query(topic, key, maxNum, begin, last)
		res.IndexLastUpdateTimestamp = lastUpdate
		sort.Slice(offsets, func(i, j int) bool { return offsets[i] < offsets[j] })
		for i, off := range offsets {
			b, err := s.SelectOneMessageByOffset(off)
			if err != nil {
				continue
			}
			if i == 0 {
				r, _ := message.ParseRecord(b, false)
				last = r.StoreTimestamp
			}
			res.Messages = append(res.Messages, b)
			res.BufferTotalSize += len(b)
			res.IndexLastUpdatePhyoffset = max(res.IndexLastUpdatePhyoffset, off)
		}
		if res.BufferTotalSize > 0 || last < begin {
			break
		}
	}
	return res
}

// DeleteTopics drops the consume queues and queue offsets of topics
// (their commit-log records age out normally).
func (s *Store) DeleteTopics(topics []string) error {
	var errs []error
	for _, t := range topics {
		if err := s.cqs.delete(t); err != nil {
			errs = append(errs, err)
		}
		s.commitLog.removeTopicQueues(t)
	}
	return errors.Join(errs...)
}

// TopicQueues lists the queue ids with a consume queue, per topic.
func (s *Store) TopicQueues() map[string][]int32 {
	out := make(map[string][]int32)
	s.cqs.each(func(cq *consumeQueue) { out[cq.topic] = append(out[cq.topic], cq.queueID) })
	return out
}

// Config returns the store's configuration.
func (s *Store) Config() Config { return s.cfg }

// CheckInDiskByCommitOffset reports whether a commit-log offset is older
// than the in-memory window (accessMessageInMemoryMaxRatio of RAM).
func (s *Store) CheckInDiskByCommitOffset(phyOffset int64) bool {
	return s.commitLog.MaxOffset()-phyOffset > s.totalMemory*int64(s.cfg.AccessMessageInMemoryMaxRatio)/100
}
