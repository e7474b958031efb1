package store

// Consume queues: one logical queue of fixed-size units per topic and queue
// id, under <storePathRootDir>/consumequeue/<TOPIC>/<QUEUEID>/, built on the
// mapped-file queue (ConsumeQueue.java).
//
// Contract for the store core:
//
//	openConsumeQueues(rootDir, fileSize, lg) (*consumeQueueTable, error)
//	  rootDir is the consume-queue directory itself (<storePathRootDir>/consumequeue).
//	  fileSize is mappedFileSizeConsumeQueue in bytes, rounded up to a multiple of 20
//	  as MessageStoreConfig's getter does. Every queue found is loaded and recovered
//	  (last valid unit found, dirty tail cut) before open returns; after the commit
//	  log is recovered call truncateDirty(phyMax) when a queue's lastPhyOffset()
//	  passes it, then correctMinOffset(commitLogMinOffset) on each queue.
//	table.findOrCreate(topic, queueID) (*consumeQueue, error), table.find(topic, queueID),
//	table.each(fn), table.flushAll(leastPages), table.delete(topic) error, table.close() error,
//	table.deleteExpired(phyMinOffset) (used by the cleaner).
//	cq.put(queueOffset, phyOffset, size, tagsCode) error  (the dispatcher, one goroutine)
//	cq.get(offset, max) []cqUnit   units from offset, across files; nil below minOffset
//	cq.minOffset(), cq.maxOffset() (next offset to write), cq.lastPhyOffset() (-1 when empty)
//	cq.offsetByTime(ts, storeTimeOf), cq.truncateDirty(phyMaxOffset) error, cq.flush(leastPages) error,
//	cq.correctMinOffset(phyMinOffset), cq.deleteExpired(phyMinOffset) int.
//
// Queue directories are created with the first unit, as Java does, so
// looking a queue up does not leave directories behind.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"go.uber.org/zap"
)

// ConsumeQueue unit, 20 bytes (ConsumeQueue.java), big-endian:
//
//	+-------------------------+------------+-----------------+
//	| commitlog offset int64  | size int32 | tags code int64 |
//	+-------------------------+------------+-----------------+
//
// The unit of queue offset n is at byte n×20 of the logical queue; files are
// named by the 20-digit byte offset of their first unit. A blank unit
// (offset 0, size MaxInt32, tags code 0) fills a queue's first file up to
// its first real unit when the queue starts at a non-zero offset.
const (
	cqUnitSize              = 20
	cqDefaultFileSize       = 300000 * cqUnitSize
	cqBlankSize       int32 = math.MaxInt32
)

// cqUnit is one consume-queue unit. For SCHEDULE_TOPIC_XXXX TagsCode is the
// delivery time in ms.
type cqUnit struct {
	PhyOffset int64
	Size      int32
	TagsCode  int64
}

func (u cqUnit) encode(b []byte) {
	binary.BigEndian.PutUint64(b[0:], uint64(u.PhyOffset))
	binary.BigEndian.PutUint32(b[8:], uint32(u.Size))
	binary.BigEndian.PutUint64(b[12:], uint64(u.TagsCode))
}

// decodeCQUnit reads the unit at the start of b (len(b) ≥ 20).
func decodeCQUnit(b []byte) (cqUnit, error) {
	if len(b) < cqUnitSize {
		return cqUnit{}, fmt.Errorf("consume queue unit: %d bytes, want %d", len(b), cqUnitSize)
	}
	return cqUnit{
		PhyOffset: int64(binary.BigEndian.Uint64(b[0:])),
		Size:      int32(binary.BigEndian.Uint32(b[8:])),
		TagsCode:  int64(binary.BigEndian.Uint64(b[12:])),
	}, nil
}

// valid is recovery's test: a unit written by put (ConsumeQueue.recover).
func (u cqUnit) valid() bool { return u.PhyOffset >= 0 && u.Size > 0 }

// blank reports a pre-blank filler unit.
func (u cqUnit) blank() bool { return u.PhyOffset == 0 && u.Size == cqBlankSize && u.TagsCode == 0 }

// cqUnitAt decodes unit i of b; the caller keeps i in range.
func cqUnitAt(b []byte, i int) cqUnit {
	u, _ := decodeCQUnit(b[i*cqUnitSize:])
	return u
}

// cqRoundFileSize rounds a configured size up to whole units, as
// MessageStoreConfig.getMappedFileSizeConsumeQueue does.
func cqRoundFileSize(size int) int {
	if size <= 0 {
		size = cqDefaultFileSize
	}
	return (size + cqUnitSize - 1) / cqUnitSize * cqUnitSize
}

// consumeQueue is one topic queue. put, truncateDirty and recovery run on
// one goroutine (the dispatcher or start-up); readers run concurrently.
type consumeQueue struct {
	topic    string
	queueID  int32
	dir      string
	fileSize int
	lg       *zap.Logger

	// mu serialises the writers against each other: put, truncateDirty,
	// correctMinOffset, deleteExpired, and the lazy creation of files.
	mu sync.Mutex
	q  atomic.Pointer[mappedFileQueue] // nil until the first unit or a loaded directory

	minLogic    atomic.Int64 // byte offset of the first readable unit
	maxPhy      atomic.Int64 // end of the last unit's record; -1 when none
	warnedOrder atomic.Bool  // "[BUG]logic queue order maybe wrong" logged once
}

func newConsumeQueue(dir, topic string, queueID int32, fileSize int, lg *zap.Logger) *consumeQueue {
	cq := &consumeQueue{
		topic: topic, queueID: queueID, dir: dir, fileSize: fileSize,
		lg: lg.With(zap.String("topic", topic), zap.Int32("queueId", queueID)),
	}
	cq.maxPhy.Store(-1)
	return cq
}

// load maps the queue's files and recovers it.
func (cq *consumeQueue) load() error {
	q, err := openMappedFileQueue(cq.dir, cq.fileSize, cq.lg)
	if err != nil {
		return fmt.Errorf("load consumequeue %s/%d: %w", cq.topic, cq.queueID, err)
	}
	cq.q.Store(q)
	return cq.recover()
}

// recover finds the end of the valid units, scanning from the third-last
// file, and cuts everything after it (ConsumeQueue.recover).
func (cq *consumeQueue) recover() error {
	cq.mu.Lock()
	defer cq.mu.Unlock()
	q := cq.q.Load()
	if q == nil {
		return nil
	}
	files := q.snapshot()
	if len(files) == 0 {
		return nil
	}
	i := max(0, len(files)-3)
	end := files[i].start
	maxPhy := int64(-1)
	for ; i < len(files); i++ {
		f := files[i]
		n := 0
		_ = q.view(f.start, func(b []byte) error {
			for ; n < len(b)/cqUnitSize; n++ {
				u := cqUnitAt(b, n)
				if !u.valid() {
					break
				}
				if !u.blank() {
					maxPhy = u.PhyOffset + int64(u.Size)
				}
			}
			return nil
		})
		end = f.start + int64(n)*cqUnitSize
		if n*cqUnitSize < f.size {
			break
		}
	}
	q.setFlushedWhere(end)
	if err := q.truncateDirty(end); err != nil {
		return fmt.Errorf("recover consumequeue %s/%d: %w", cq.topic, cq.queueID, err)
	}
	cq.maxPhy.Store(maxPhy)
	cq.minLogic.Store(cq.firstRealUnit(q, end))
	cq.lg.Debug("consume queue recovered", zap.Int64("maxOffset", end/cqUnitSize), zap.Int64("maxPhysicOffset", maxPhy))
	return nil
}

// firstRealUnit is the byte offset of the first unit of the first file that
// is not blank, or end when there is none.
func (cq *consumeQueue) firstRealUnit(q *mappedFileQueue, end int64) int64 {
	first := q.first()
	if first == nil {
		return end
	}
	off := end
	_ = q.view(first.start, func(b []byte) error {
		for i := range len(b) / cqUnitSize {
			if !cqUnitAt(b, i).blank() {
				off = first.start + int64(i)*cqUnitSize
				return nil
			}
		}
		return nil
	})
	return min(off, end)
}

// put writes the unit of queueOffset (ConsumeQueue.putMessagePositionInfo).
// A unit already written (its record ends at or below the queue's last
// record, or its position is below the queue's end) is skipped. A queue that
// starts at a non-zero offset gets its first file filled with blank units up
// to it. A position past the end is written at the end, as Java does, and
// logged once.
func (cq *consumeQueue) put(queueOffset, phyOffset int64, size int32, tagsCode int64) error {
	if queueOffset < 0 || phyOffset < 0 || size <= 0 {
		return fmt.Errorf("put consumequeue %s/%d: bad unit queueOffset %d phyOffset %d size %d",
			cq.topic, cq.queueID, queueOffset, phyOffset, size)
	}
	cq.mu.Lock()
	defer cq.mu.Unlock()
	if phyOffset+int64(size) <= cq.maxPhy.Load() {
		return nil
	}
	expect := queueOffset * cqUnitSize
	q, err := cq.queueLocked()
	if err != nil {
		return err
	}
	fresh := q.last() == nil
	mf, err := q.lastOrCreate(expect)
	if err != nil {
		return fmt.Errorf("put consumequeue %s/%d: %w", cq.topic, cq.queueID, err)
	}
	pos := int(mf.wrote.Load())
	if fresh && expect != 0 && pos == 0 {
		n := int(expect-mf.start) / cqUnitSize
		if n > 0 {
			blanks := make([]byte, n*cqUnitSize)
			for i := range n {
				cqUnit{Size: cqBlankSize}.encode(blanks[i*cqUnitSize:])
			}
			if err := mf.write(0, blanks); err != nil {
				return fmt.Errorf("put consumequeue %s/%d: pre-blank: %w", cq.topic, cq.queueID, err)
			}
			pos = len(blanks)
			mf.setWrote(pos)
		}
		cq.minLogic.Store(expect)
		q.setFlushedWhere(expect)
	}
	cur := mf.start + int64(pos)
	if expect < cur {
		return nil
	}
	if expect != cur && cq.warnedOrder.CompareAndSwap(false, true) {
		cq.lg.Warn("[BUG]logic queue order maybe wrong", zap.Int64("expectLogicOffset", expect), zap.Int64("currentLogicOffset", cur))
	}
	var unit [cqUnitSize]byte
	cqUnit{PhyOffset: phyOffset, Size: size, TagsCode: tagsCode}.encode(unit[:])
	if err := mf.write(pos, unit[:]); err != nil {
		return fmt.Errorf("put consumequeue %s/%d: %w", cq.topic, cq.queueID, err)
	}
	mf.setWrote(pos + cqUnitSize)
	cq.maxPhy.Store(phyOffset + int64(size))
	return nil
}

// queueLocked returns the mapped-file queue, opening it on first use. A
// queue without any unit is started afresh, so its first file is the one
// holding the first unit written.
func (cq *consumeQueue) queueLocked() (*mappedFileQueue, error) {
	q := cq.q.Load()
	if q != nil {
		if q.last() == nil || q.maxOffset() != q.minOffset() {
			return q, nil
		}
		// Only an emptied file is left (every unit was truncated): start
		// afresh, as Java does after deleting the last file.
		cq.q.Store(nil)
		if err := q.destroy(); err != nil {
			return nil, fmt.Errorf("reset consumequeue %s/%d: %w", cq.topic, cq.queueID, err)
		}
	}
	q, err := openMappedFileQueue(cq.dir, cq.fileSize, cq.lg)
	if err != nil {
		return nil, fmt.Errorf("create consumequeue %s/%d: %w", cq.topic, cq.queueID, err)
	}
	cq.q.Store(q)
	return q, nil
}

// get returns up to max units from queue offset offset, across files. It
// returns nil when offset is below minOffset or at or past maxOffset.
func (cq *consumeQueue) get(offset int64, max int) []cqUnit {
	q := cq.q.Load()
	if q == nil || max <= 0 || offset < 0 {
		return nil
	}
	pos := offset * cqUnitSize
	if pos < cq.minLogic.Load() {
		return nil
	}
	avail := (q.maxOffset() - pos) / cqUnitSize
	if avail <= 0 {
		return nil
	}
	out := make([]cqUnit, 0, min(int64(max), avail))
	for len(out) < max {
		n := 0
		err := q.view(pos, func(b []byte) error {
			n = min(len(b)/cqUnitSize, max-len(out))
			for i := range n {
				out = append(out, cqUnitAt(b, i))
			}
			return nil
		})
		if err != nil || n == 0 {
			break
		}
		pos += int64(n) * cqUnitSize
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// minOffset is the first readable queue offset.
func (cq *consumeQueue) minOffset() int64 { return cq.minLogic.Load() / cqUnitSize }

// maxOffset is the next queue offset to write.
func (cq *consumeQueue) maxOffset() int64 {
	q := cq.q.Load()
	if q == nil {
		return 0
	}
	return q.maxOffset() / cqUnitSize
}

// lastPhyOffset is the end (offset + size) of the commit-log record of the
// queue's last unit, or -1 when the queue has none (maxPhysicOffset).
func (cq *consumeQueue) lastPhyOffset() int64 { return cq.maxPhy.Load() }

// flush syncs the queue's dirty units when at least leastPages pages are
// dirty (0: any), file after file, so units that filled more than one file
// since the last flush are all covered.
func (cq *consumeQueue) flush(leastPages int) error {
	q := cq.q.Load()
	if q == nil {
		return nil
	}
	where := int64(-1)
	for range 1 << 20 { // bounded by the number of files
		next, err := q.flush(leastPages)
		if err != nil {
			return fmt.Errorf("flush consumequeue %s/%d: %w", cq.topic, cq.queueID, err)
		}
		if next == where {
			break
		}
		where = next
	}
	return nil
}

// truncateDirty drops every unit whose record starts at or past
// phyMaxOffset, the recovered end of the commit log
// (ConsumeQueue.truncateDirtyLogicFiles). Files whose first unit is dirty
// are deleted; the file holding the new end is cut there.
func (cq *consumeQueue) truncateDirty(phyMaxOffset int64) error {
	cq.mu.Lock()
	defer cq.mu.Unlock()
	q := cq.q.Load()
	if q == nil {
		return nil
	}
	files := q.snapshot()
	if len(files) == 0 {
		return nil
	}
	end := files[0].start
	maxPhy := int64(-1)
	for i := len(files) - 1; i >= 0; i-- {
		f := files[i]
		n, lastReal := 0, int64(-1)
		_ = q.view(f.start, func(b []byte) error {
			for ; n < len(b)/cqUnitSize; n++ {
				u := cqUnitAt(b, n)
				if !u.valid() || u.PhyOffset >= phyMaxOffset {
					break
				}
				if !u.blank() {
					lastReal = u.PhyOffset + int64(u.Size)
				}
			}
			return nil
		})
		if n > 0 || i == 0 {
			end = f.start + int64(n)*cqUnitSize
			maxPhy = lastReal
			if maxPhy < 0 && i > 0 {
				maxPhy = cq.lastRealBefore(q, files[:i])
			}
			break
		}
	}
	if err := q.truncateDirty(end); err != nil {
		return fmt.Errorf("truncate consumequeue %s/%d: %w", cq.topic, cq.queueID, err)
	}
	cq.maxPhy.Store(maxPhy)
	if cq.minLogic.Load() > end {
		cq.minLogic.Store(end)
	}
	return nil
}

// lastRealBefore is the record end of the last non-blank unit in files.
func (cq *consumeQueue) lastRealBefore(q *mappedFileQueue, files []*mappedFile) int64 {
	for i := len(files) - 1; i >= 0; i-- {
		res := int64(-1)
		_ = q.view(files[i].start, func(b []byte) error {
			for j := len(b)/cqUnitSize - 1; j >= 0; j-- {
				if u := cqUnitAt(b, j); u.valid() && !u.blank() {
					res = u.PhyOffset + int64(u.Size)
					return nil
				}
			}
			return nil
		})
		if res >= 0 {
			return res
		}
	}
	return -1
}

// correctMinOffset makes the first unit whose record is at or past
// phyMinOffset, the commit log's min offset, the queue's min
// (ConsumeQueue.correctMinOffset). Blank units never qualify. Unlike Java,
// which only looks in the first file, the search goes on through later
// files, and a queue whose every unit is below phyMinOffset gets
// min = max (empty) instead of keeping a min that points at removed records.
func (cq *consumeQueue) correctMinOffset(phyMinOffset int64) {
	cq.mu.Lock()
	defer cq.mu.Unlock()
	q := cq.q.Load()
	if q == nil {
		return
	}
	maxOff := q.maxOffset()
	pos := cq.minLogic.Load()
	for _, f := range q.snapshot() {
		if f.end() <= pos {
			continue
		}
		from := max(pos, f.start)
		found := int64(-1)
		_ = q.view(from, func(b []byte) error {
			for i := range len(b) / cqUnitSize {
				if u := cqUnitAt(b, i); !u.blank() && u.PhyOffset >= phyMinOffset {
					found = from + int64(i)*cqUnitSize
					return nil
				}
			}
			return nil
		})
		if found >= 0 {
			cq.minLogic.Store(found)
			return
		}
	}
	cq.minLogic.Store(max(maxOff, pos))
}

// deleteExpired deletes the head files whose last unit points below
// phyMinOffset, never the last file, then corrects the min offset
// (ConsumeQueue.deleteExpiredFile). It returns how many files went.
func (cq *consumeQueue) deleteExpired(phyMinOffset int64) int {
	q := cq.q.Load()
	if q == nil {
		return 0
	}
	n := q.removeFirstFiles(func(f *mappedFile) bool {
		// Called under the queue's write lock: the mapping is ours to read.
		w := int(f.wrote.Load())
		if w < cqUnitSize {
			return false
		}
		u := cqUnitAt(f.data[:w], w/cqUnitSize-1)
		return u.PhyOffset < phyMinOffset
	}, 0)
	cq.correctMinOffset(phyMinOffset)
	return n
}

// offsetByTime returns the queue offset of the unit whose store time is
// closest to ts: the exact match, else the nearer of its neighbours
// (ConsumeQueue.getOffsetInQueueByTime). storeTimeOf reads a record's store
// time from the commit log, or returns a negative value when it cannot.
//
// Java picks the file to search by file mtime; here it is the first file
// whose last unit was stored at or after ts (else the last file), which is
// what the mtime approximates. When a record cannot be read, the search
// answers the min offset where Java answers 0.
func (cq *consumeQueue) offsetByTime(ts int64, storeTimeOf func(phyOffset int64, size int32) int64) int64 {
	q := cq.q.Load()
	if q == nil {
		return 0
	}
	minOff, maxOff := cq.minLogic.Load(), q.maxOffset()
	if minOff >= maxOff {
		return minOff / cqUnitSize
	}
	files := q.snapshot()
	var f *mappedFile
	for _, cand := range files {
		if cand.end() <= minOff {
			continue
		}
		f = cand
		w := cand.wrote.Load()
		if w < cqUnitSize {
			continue
		}
		lastUnit, err := q.read(cand.start+w-cqUnitSize, cqUnitSize)
		if err != nil {
			continue
		}
		u, _ := decodeCQUnit(lastUnit)
		if t := storeTimeOf(u.PhyOffset, u.Size); t >= ts {
			break
		}
	}
	if f == nil {
		return minOff / cqUnitSize
	}
	result := int64(-1)
	_ = q.view(f.start, func(b []byte) error {
		low := 0
		if minOff > f.start {
			low = int(minOff-f.start) / cqUnitSize
		}
		high := len(b)/cqUnitSize - 1
		left, right := -1, -1
		var leftTime, rightTime int64 = -1, -1
		for low <= high {
			mid := (low + high) / 2
			u := cqUnitAt(b, mid)
			t := storeTimeOf(u.PhyOffset, u.Size)
			switch {
			case t < 0:
				result = minOff
				return nil
			case t == ts:
				result = f.start + int64(mid)*cqUnitSize
				return nil
			case t > ts:
				high, right, rightTime = mid-1, mid, t
			default:
				low, left, leftTime = mid+1, mid, t
			}
		}
		pick := right
		switch {
		case left < 0:
		case right < 0:
			pick = left
		case ts-leftTime > rightTime-ts:
		default:
			pick = left
		}
		if pick >= 0 {
			result = f.start + int64(pick)*cqUnitSize
		}
		return nil
	})
	if result < 0 {
		result = minOff
	}
	result = max(minOff, min(result, maxOff))
	return result / cqUnitSize
}

// close unmaps the queue's files.
func (cq *consumeQueue) close() error {
	cq.mu.Lock()
	defer cq.mu.Unlock()
	if q := cq.q.Load(); q != nil {
		return q.close()
	}
	return nil
}

// destroy deletes the queue's files and directory.
func (cq *consumeQueue) destroy() error {
	cq.mu.Lock()
	defer cq.mu.Unlock()
	q := cq.q.Swap(nil)
	cq.minLogic.Store(0)
	cq.maxPhy.Store(-1)
	if q != nil {
		return q.destroy()
	}
	return nil
}

// consumeQueueTable holds every consume queue of the store.
//
// Lock order: consumeQueueTable.mu, then consumeQueue.mu, then the
// mapped-file queue's locks.
type consumeQueueTable struct {
	dir      string
	fileSize int
	lg       *zap.Logger

	mu     sync.RWMutex
	queues map[string]map[int32]*consumeQueue // guarded by mu
}

// openConsumeQueues loads and recovers every <topic>/<queueId> directory
// under rootDir; queue directories whose names are not numbers are skipped.
func openConsumeQueues(rootDir string, fileSize int, lg *zap.Logger) (*consumeQueueTable, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	t := &consumeQueueTable{dir: rootDir, fileSize: cqRoundFileSize(fileSize), lg: lg, queues: make(map[string]map[int32]*consumeQueue)}
	if err := os.MkdirAll(rootDir, 0o755); err != nil {
		return nil, fmt.Errorf("open consumequeue: %w", err)
	}
	topics, err := os.ReadDir(rootDir)
	if err != nil {
		return nil, fmt.Errorf("open consumequeue: %w", err)
	}
	loaded := 0
	for _, te := range topics {
		if !te.IsDir() {
			continue
		}
		topic := te.Name()
		qdirs, err := os.ReadDir(filepath.Join(rootDir, topic))
		if err != nil {
			_ = t.close()
			return nil, fmt.Errorf("load consumequeue %s: %w", topic, err)
		}
		for _, qe := range qdirs {
			id, err := strconv.ParseInt(qe.Name(), 10, 32)
			if !qe.IsDir() || err != nil {
				lg.Warn("consume queue directory skipped", zap.String("topic", topic), zap.String("name", qe.Name()))
				continue
			}
			cq := newConsumeQueue(filepath.Join(rootDir, topic, qe.Name()), topic, int32(id), t.fileSize, lg)
			if err := cq.load(); err != nil {
				_ = t.close()
				return nil, err
			}
			if t.queues[topic] == nil {
				t.queues[topic] = make(map[int32]*consumeQueue)
			}
			t.queues[topic][int32(id)] = cq
			loaded++
		}
	}
	lg.Info("consume queues loaded", zap.String("dir", rootDir), zap.Int("queues", loaded))
	return t, nil
}

// find returns the queue, or nil.
func (t *consumeQueueTable) find(topic string, queueID int32) *consumeQueue {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.queues[topic][queueID]
}

// findOrCreate returns the queue, adding an empty one when missing.
func (t *consumeQueueTable) findOrCreate(topic string, queueID int32) (*consumeQueue, error) {
	if cq := t.find(topic, queueID); cq != nil {
		return cq, nil
	}
	if topic == "" || topic == "." || topic == ".." || filepath.Base(topic) != topic || queueID < 0 {
		return nil, fmt.Errorf("consumequeue %q/%d: bad topic or queue id", topic, queueID)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.queues[topic]
	if m == nil {
		m = make(map[int32]*consumeQueue)
		t.queues[topic] = m
	}
	if cq := m[queueID]; cq != nil {
		return cq, nil
	}
	cq := newConsumeQueue(filepath.Join(t.dir, topic, strconv.Itoa(int(queueID))), topic, queueID, t.fileSize, t.lg)
	m[queueID] = cq
	return cq, nil
}

// all returns every queue, sorted by topic then queue id.
func (t *consumeQueueTable) all() []*consumeQueue {
	t.mu.RLock()
	var out []*consumeQueue
	for _, m := range t.queues {
		for _, cq := range m {
			out = append(out, cq)
		}
	}
	t.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].topic != out[j].topic {
			return out[i].topic < out[j].topic
		}
		return out[i].queueID < out[j].queueID
	})
	return out
}

// each calls fn for every queue, outside the table lock.
func (t *consumeQueueTable) each(fn func(*consumeQueue)) {
	for _, cq := range t.all() {
		fn(cq)
	}
}

// flushAll flushes every queue with the page threshold; failures are logged
// and returned joined.
func (t *consumeQueueTable) flushAll(leastPages int) error {
	var errs []error
	for _, cq := range t.all() {
		if err := cq.flush(leastPages); err != nil {
			t.lg.Error("flush consume queue failed", zap.String("topic", cq.topic), zap.Int32("queueId", cq.queueID), zap.Error(err))
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deleteExpired removes every queue's head files below phyMinOffset and
// corrects each min offset. It returns the number of files deleted.
func (t *consumeQueueTable) deleteExpired(phyMinOffset int64) int {
	n := 0
	for _, cq := range t.all() {
		n += cq.deleteExpired(phyMinOffset)
	}
	return n
}

// delete removes a topic's queues with their files and directory.
func (t *consumeQueueTable) delete(topic string) error {
	t.mu.Lock()
	m := t.queues[topic]
	delete(t.queues, topic)
	t.mu.Unlock()
	var errs []error
	for _, cq := range m {
		if err := cq.destroy(); err != nil {
			errs = append(errs, err)
		}
	}
	if m != nil {
		if err := os.RemoveAll(filepath.Join(t.dir, topic)); err != nil {
			errs = append(errs, fmt.Errorf("delete consumequeue topic %s: %w", topic, err))
		}
	}
	return errors.Join(errs...)
}

// close unmaps every queue.
func (t *consumeQueueTable) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	for _, m := range t.queues {
		for _, cq := range m {
			if err := cq.close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
