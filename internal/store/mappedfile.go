package store

// Mapped files: the fixed-size files of the commit log and of each consume
// queue (MappedFile.java, MappedFileQueue.java).
//
// A mappedFileQueue is one directory of files, each exactly fileSize bytes,
// named by the 20-digit zero-padded decimal global offset of its first
// byte. Offsets are global: file = the one whose [start, start+fileSize)
// holds the offset, position = offset - start.
//
// API used by the commit log and the consume queues (small on purpose):
//
//	openMappedFileQueue(dir, fileSize, lg)   load existing files (each must be fileSize bytes), newest last;
//	                                         loaded files are provisionally full (wrote = flushed = fileSize)
//	q.usePwrite()                            write with pwrite(2) instead of copying into the mapping
//	q.lastOrCreate(start)                    the last file, or a new one when there is none or the last is full;
//	                                         start is the first file's offset when the queue is empty
//	q.appendBytes(b)                         append to the last file, creating the next when b does not fit
//	f.write(pos, b) / f.setWrote(pos)        write into one file; the writer publishes bytes by advancing wrote
//	q.findFile(offset) / q.read(offset, n)   locate a file; copy n readable bytes out of the mapping
//	q.view(offset, fn)                       fn sees the readable bytes of the file holding offset, under the read lock
//	q.maxOffset() / q.minOffset()            end of written data; start of the first file
//	q.flush(leastPages)                      fdatasync the file holding flushedWhere if leastPages pages are dirty
//	q.truncateDirty(offset)                  drop files past offset, reset the file holding it
//	q.removeFirstFiles(pred, max)            delete files from the front while pred holds, never the last
//	q.deleteExpiredByTime(ms, now, force, max)  commit-log retention by mtime
//	q.close() / q.destroy()
//
// Mapping slices never leave this file's methods: readers copy (read) or
// work inside view while the queue's read lock keeps the file mapped;
// removing a file takes the write lock. A queue has one writer at a time
// (the commit log's put lock, or the dispatcher for consume queues); wrote
// is stored after the bytes are copied, so readers that load it see them.
//
// Writes are copies into the shared mapping, or pwrite(2) on the file
// descriptor after usePwrite (the SYNC_FLUSH commit log); reads go through
// the mapping, which sees the same page cache either way. Durability is
// fdatasync on the descriptor (doc.go, "Durable path", has the figures). A
// preallocator creates, sizes and maps the next commit-log file off the
// hot path; with warmMapedFileEnable it also pre-faults and syncs every
// page.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/edsrzf/mmap-go"
	"go.uber.org/zap"
)

// tmpSuffix marks a file being created; leftovers are removed at load.
const tmpSuffix = ".tmp"

// osPageSize is RocketMQ's OS_PAGE_SIZE, the unit of flush thresholds.
const osPageSize = 4096

// ErrFileFull is returned when bytes do not fit the rest of a file.
var ErrFileFull = errors.New("mapped file full")

// mappedFile is one file of a queue, mapped read-write for its whole size.
type mappedFile struct {
	path  string
	start int64
	size  int
	f     *os.File
	data  mmap.MMap

	wrote   atomic.Int64 // bytes written from the file start
	flushed atomic.Int64 // bytes known durable

	// life orders sync, which runs without the queue lock, against close.
	life    sync.RWMutex
	closed  bool // guarded by life
	touched bool // every page was pre-faulted and synced
	pwrite  bool // write with pwrite(2) instead of copying into data
}

// fileName is the 20-digit decimal name of a file starting at offset
// (UtilAll.offset2FileName).
func fileName(offset int64) string { return fmt.Sprintf("%020d", offset) }

// openMappedFile maps an existing file, or creates one. A new file is
// sized under a temporary name and then renamed, so a crash never leaves a
// file of the wrong size under a real name.
func openMappedFile(path string, start int64, size int, create bool) (*mappedFile, error) {
	flag := os.O_RDWR
	openPath := path
	if create {
		flag |= os.O_CREATE | os.O_TRUNC
		openPath = path + tmpSuffix
		if _, err := os.Stat(path); err == nil {
			return nil, fmt.Errorf("create mapped file %s: %w", path, os.ErrExist)
		}
	}
	f, err := os.OpenFile(openPath, flag, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open mapped file: %w", err)
	}
	if create {
		err := f.Truncate(int64(size))
		if err == nil {
			err = os.Rename(openPath, path)
		}
		if err != nil {
			f.Close()
			os.Remove(openPath)
			return nil, fmt.Errorf("create mapped file %s: %w", path, err)
		}
	} else {
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("stat mapped file: %w", err)
		}
		if st.Size() != int64(size) {
			f.Close()
			return nil, fmt.Errorf("mapped file %s is %d bytes, want %d (the configured file size)", path, st.Size(), size)
		}
	}
	data, err := mmap.MapRegion(f, size, mmap.RDWR, 0, 0)
	if err != nil {
		f.Close()
		if create {
			os.Remove(path)
		}
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	return &mappedFile{path: path, start: start, size: size, f: f, data: data}, nil
}

// write puts b at position pos: with pwrite(2) for the commit log
// (readers see it through the shared mapping, one page cache), as a copy
// into the mapping for small writes such as consume-queue units. It does
// not move wrote.
func (f *mappedFile) write(pos int, b []byte) error {
	if pos < 0 || pos+len(b) > f.size {
		return fmt.Errorf("write %d bytes at %d of %s: %w", len(b), pos, f.path, ErrFileFull)
	}
	if !f.pwrite {
		copy(f.data[pos:], b)
		return nil
	}
	if _, err := f.f.WriteAt(b, int64(pos)); err != nil {
		return fmt.Errorf("write %d bytes at %d of %s: %w", len(b), pos, f.path, err)
	}
	return nil
}

// setWrote publishes the bytes before pos to readers.
func (f *mappedFile) setWrote(pos int) { f.wrote.Store(int64(pos)) }

// isFull reports whether nothing more can be written.
func (f *mappedFile) isFull() bool { return f.wrote.Load() >= int64(f.size) }

// end is the global offset one past the file.
func (f *mappedFile) end() int64 { return f.start + int64(f.size) }

// touch pre-faults every page and writes it back, so the file's blocks
// exist and its pages are resident (warmMapedFileEnable).
func (f *mappedFile) touch() error {
	for i := 0; i < f.size; i += osPageSize {
		f.data[i] = 0
	}
	if err := f.sync(); err != nil {
		return err
	}
	f.touched = true
	return nil
}

// sync makes everything written to the file durable.
func (f *mappedFile) sync() error {
	f.life.RLock()
	defer f.life.RUnlock()
	if f.closed {
		return nil // deleted meanwhile: nothing left to make durable
	}
	if err := syscall.Fdatasync(int(f.f.Fd())); err != nil {
		return fmt.Errorf("fdatasync %s: %w", f.path, err)
	}
	return nil
}

func (f *mappedFile) close() error {
	f.life.Lock()
	defer f.life.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	err := f.data.Unmap()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close mapped file %s: %w", f.path, err)
	}
	return nil
}

func (f *mappedFile) destroy() error {
	err := f.close()
	if rerr := os.Remove(f.path); rerr != nil && err == nil {
		err = fmt.Errorf("remove mapped file: %w", rerr)
	}
	return err
}

// mappedFileQueue is one directory of same-size mapped files.
type mappedFileQueue struct {
	dir      string
	fileSize int
	lg       *zap.Logger

	mu    sync.RWMutex
	files []*mappedFile // ascending start, contiguous

	allocMu sync.Mutex            // serializes file creation (preallocator and writers)
	ready   map[int64]*mappedFile // preallocated files by start; guarded by allocMu
	pre     chan int64            // preallocation requests; nil when off
	warm    bool                  // preallocated files are touched (warmMapedFileEnable)

	pwrite bool // files write with pwrite(2) (the commit log); see usePwrite

	flushMu      sync.Mutex
	flushedWhere atomic.Int64
	syncs        atomic.Int64 // fdatasync calls made by flush
}

// openMappedFileQueue loads the files in dir (creating dir). Every file
// must be fileSize bytes and the names must be contiguous offsets.
func openMappedFileQueue(dir string, fileSize int, lg *zap.Logger) (*mappedFileQueue, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	if fileSize <= 0 {
		return nil, fmt.Errorf("open %s: file size %d must be positive", dir, fileSize)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	q := &mappedFileQueue{dir: dir, fileSize: fileSize, lg: lg, ready: make(map[int64]*mappedFile)}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var starts []int64
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), tmpSuffix) {
			os.Remove(filepath.Join(dir, e.Name())) // a creation cut short
			continue
		}
		if e.IsDir() || len(e.Name()) != 20 {
			continue
		}
		off, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || off < 0 {
			continue
		}
		starts = append(starts, off)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	for i, off := range starts {
		if i > 0 && off != starts[i-1]+int64(fileSize) {
			lg.Warn("mapped files not contiguous", zap.String("dir", dir), zap.Int64("prev", starts[i-1]), zap.Int64("next", off))
		}
		mf, err := openMappedFile(filepath.Join(dir, fileName(off)), off, fileSize, false)
		if err != nil {
			q.close()
			return nil, err
		}
		mf.wrote.Store(int64(fileSize))
		mf.flushed.Store(int64(fileSize))
		q.files = append(q.files, mf)
	}
	if n := len(q.files); n > 0 {
		q.flushedWhere.Store(q.files[n-1].end())
	}
	return q, nil
}

// usePwrite makes every file of the queue, loaded and future, write with
// pwrite(2). Call it before the first write.
func (q *mappedFileQueue) usePwrite() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pwrite = true
	for _, f := range q.files {
		f.pwrite = true
	}
}

// snapshot returns the current files.
func (q *mappedFileQueue) snapshot() []*mappedFile {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return append([]*mappedFile(nil), q.files...)
}

// first and last return the oldest and newest file, or nil.
func (q *mappedFileQueue) first() *mappedFile {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if len(q.files) == 0 {
		return nil
	}
	return q.files[0]
}

func (q *mappedFileQueue) last() *mappedFile {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if len(q.files) == 0 {
		return nil
	}
	return q.files[len(q.files)-1]
}

// lastOrCreate returns the last file when it has room, else creates the
// next one (at start when the queue is empty, rounded down to a file
// boundary).
func (q *mappedFileQueue) lastOrCreate(start int64) (*mappedFile, error) {
	last := q.last()
	if last != nil && !last.isFull() {
		return last, nil
	}
	next := start - start%int64(q.fileSize)
	if last != nil {
		next = last.end()
	}
	mf, err := q.allocate(next)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	q.files = append(q.files, mf)
	q.mu.Unlock()
	if q.pre != nil {
		select {
		case q.pre <- mf.end():
		default:
		}
	}
	return mf, nil
}

// allocate returns the file at start: a preallocated one, or a new one.
func (q *mappedFileQueue) allocate(start int64) (*mappedFile, error) {
	q.allocMu.Lock()
	defer q.allocMu.Unlock()
	if mf, ok := q.ready[start]; ok {
		delete(q.ready, start)
		return mf, nil
	}
	mf, err := openMappedFile(filepath.Join(q.dir, fileName(start)), start, q.fileSize, true)
	if err != nil {
		return nil, err
	}
	mf.pwrite = q.pwrite
	return mf, nil
}

// preallocator creates and pre-touches the next file of a queue in the
// background (AllocateMappedFileService, with warm-up).
type preallocator struct{ q *mappedFileQueue }

// startPreallocation turns on background creation of the next file (warm:
// also pre-fault and sync it) and returns the preallocator whose run loop
// serves it.
func (q *mappedFileQueue) startPreallocation(warm bool) *preallocator {
	q.warm = warm
	q.pre = make(chan int64, 1)
	if last := q.last(); last != nil {
		q.pre <- last.end()
	}
	return &preallocator{q: q}
}

func (p *preallocator) run(ctx context.Context) {
	q := p.q
	for {
		select {
		case <-ctx.Done():
			return
		case start := <-q.pre:
			if err := q.preallocate(start); err != nil {
				q.lg.Warn("preallocate mapped file failed", zap.String("dir", q.dir), zap.Int64("offset", start), zap.Error(err))
			}
		}
	}
}

// preallocate creates the file at start and keeps it ready for allocate,
// all under allocMu so a writer never sees it half done. A file that
// already exists (a writer was first) is left alone.
func (q *mappedFileQueue) preallocate(start int64) error {
	q.allocMu.Lock()
	defer q.allocMu.Unlock()
	if _, ok := q.ready[start]; ok {
		return nil
	}
	path := filepath.Join(q.dir, fileName(start))
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	mf, err := openMappedFile(path, start, q.fileSize, true)
	if err != nil {
		return err
	}
	mf.pwrite = q.pwrite
	if q.warm {
		if err := mf.touch(); err != nil {
			mf.destroy()
			return err
		}
	}
	q.ready[start] = mf
	return nil
}

// appendBytes appends b at the end of the queue, in the last file or a new
// one when b does not fit (b never spans files). It returns the global
// offset b was written at.
func (q *mappedFileQueue) appendBytes(b []byte) (int64, error) {
	if len(b) > q.fileSize {
		return 0, fmt.Errorf("append %d bytes to %s: larger than a file", len(b), q.dir)
	}
	mf, err := q.lastOrCreate(0)
	if err != nil {
		return 0, err
	}
	pos := int(mf.wrote.Load())
	if pos+len(b) > mf.size {
		mf.setWrote(mf.size)
		if mf, err = q.lastOrCreate(0); err != nil {
			return 0, err
		}
		pos = 0
	}
	if err := mf.write(pos, b); err != nil {
		return 0, err
	}
	mf.setWrote(pos + len(b))
	return mf.start + int64(pos), nil
}

// findFile returns the file holding offset, or nil.
func (q *mappedFileQueue) findFile(offset int64) *mappedFile {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return q.findFileLocked(offset)
}

func (q *mappedFileQueue) findFileLocked(offset int64) *mappedFile {
	if len(q.files) == 0 || offset < q.files[0].start {
		return nil
	}
	i := int((offset - q.files[0].start) / int64(q.fileSize))
	if i < len(q.files) && q.files[i].start <= offset && offset < q.files[i].end() {
		return q.files[i]
	}
	for _, f := range q.files { // not contiguous: fall back to a scan
		if f.start <= offset && offset < f.end() {
			return f
		}
	}
	return nil
}

// read copies n bytes at offset. They must lie in one file below its
// write position.
func (q *mappedFileQueue) read(offset int64, n int) ([]byte, error) {
	var out []byte
	err := q.view(offset, func(b []byte) error {
		if len(b) < n {
			return fmt.Errorf("read %d bytes at %d of %s: only %d written", n, offset, q.dir, len(b))
		}
		out = append([]byte(nil), b[:n]...)
		return nil
	})
	return out, err
}

// readAppend appends the n readable bytes at offset to dst.
func (q *mappedFileQueue) readAppend(dst []byte, offset int64, n int) ([]byte, error) {
	err := q.view(offset, func(b []byte) error {
		if len(b) < n {
			return fmt.Errorf("read %d bytes at %d of %s: only %d written", n, offset, q.dir, len(b))
		}
		dst = append(dst, b[:n]...)
		return nil
	})
	return dst, err
}

// errNoFile reports an offset outside every file.
var errNoFile = errors.New("no mapped file holds the offset")

// view calls fn with the written bytes from offset to the end of written
// data in the file holding offset. fn must not keep b.
func (q *mappedFileQueue) view(offset int64, fn func(b []byte) error) error {
	q.mu.RLock()
	defer q.mu.RUnlock()
	mf := q.findFileLocked(offset)
	if mf == nil {
		return fmt.Errorf("view %s at %d: %w", q.dir, offset, errNoFile)
	}
	pos := int(offset - mf.start)
	w := int(mf.wrote.Load())
	if pos > w {
		return fmt.Errorf("view %s at %d: past the written end %d: %w", q.dir, offset, mf.start+int64(w), errNoFile)
	}
	return fn(mf.data[pos:w])
}

// maxOffset is the global offset one past the last written byte (0 when
// empty).
func (q *mappedFileQueue) maxOffset() int64 {
	last := q.last()
	if last == nil {
		return 0
	}
	return last.start + last.wrote.Load()
}

// minOffset is the first file's start, or -1 when empty.
func (q *mappedFileQueue) minOffset() int64 {
	first := q.first()
	if first == nil {
		return -1
	}
	return first.start
}

// flush fdatasyncs the file holding flushedWhere when at least leastPages
// 4 KiB pages were written since its last flush (any amount when
// leastPages is 0, and always once the file is full), then advances
// flushedWhere. It returns the new flushedWhere.
func (q *mappedFileQueue) flush(leastPages int) (int64, error) {
	q.flushMu.Lock()
	defer q.flushMu.Unlock()
	where := q.flushedWhere.Load()
	q.mu.RLock()
	mf := q.findFileLocked(where)
	if mf == nil && len(q.files) > 0 && where < q.files[0].start {
		mf = q.files[0]
	}
	q.mu.RUnlock()
	if mf == nil {
		return where, nil
	}
	w := mf.wrote.Load()
	fl := mf.flushed.Load()
	if w == fl {
		return where, nil
	}
	if w < int64(mf.size) && leastPages > 0 && w/osPageSize-fl/osPageSize < int64(leastPages) {
		return where, nil
	}
	if err := mf.sync(); err != nil {
		return where, err
	}
	q.syncs.Add(1)
	mf.flushed.Store(w)
	where = mf.start + w
	q.flushedWhere.Store(where)
	return where, nil
}

// flushAll flushes (threshold leastPages) file after file until nothing
// more qualifies, and returns the new flushedWhere.
func (q *mappedFileQueue) flushAll(leastPages int) (int64, error) {
	where := q.flushedWhere.Load()
	for {
		next, err := q.flush(leastPages)
		if err != nil || next == where {
			return next, err
		}
		where = next
	}
}

// setFlushedWhere is used by recovery.
func (q *mappedFileQueue) setFlushedWhere(off int64) { q.flushedWhere.Store(off) }

// truncateDirty makes offset the end of written data: files starting at or
// past it are deleted (except one that starts exactly there, which is
// emptied), the file holding it gets wrote = flushed = its position.
// Bytes after offset stay on disk and are overwritten later.
func (q *mappedFileQueue) truncateDirty(offset int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	keep := q.files[:0]
	var firstErr error
	for _, f := range q.files {
		if f.end() <= offset {
			keep = append(keep, f)
			continue
		}
		if f.start <= offset {
			pos := offset - f.start
			f.wrote.Store(pos)
			f.flushed.Store(pos)
			keep = append(keep, f)
			continue
		}
		if err := f.destroy(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for i := len(keep); i < len(q.files); i++ {
		q.files[i] = nil
	}
	q.files = keep
	if q.flushedWhere.Load() > offset {
		q.flushedWhere.Store(offset)
	}
	return firstErr
}

// removeFirstFiles deletes files from the front while pred(file) is true,
// at most maxFiles (0 = no limit), never the last file. It returns how
// many were deleted.
func (q *mappedFileQueue) removeFirstFiles(pred func(f *mappedFile) bool, maxFiles int) int {
	n := 0
	for maxFiles <= 0 || n < maxFiles {
		q.mu.Lock()
		if len(q.files) <= 1 || !pred(q.files[0]) {
			q.mu.Unlock()
			break
		}
		f := q.files[0]
		q.files[0] = nil
		q.files = q.files[1:]
		q.mu.Unlock()
		if err := f.destroy(); err != nil {
			q.lg.Warn("delete mapped file failed", zap.String("path", f.path), zap.Error(err))
		}
		n++
	}
	return n
}

// deleteExpiredByTime deletes files, oldest first, whose mtime is older
// than reservedMs before now, or every file when force; it stops at the
// first file kept and never deletes the newest (MappedFileQueue.
// deleteExpiredFileByTime). At most maxFiles (0 = no limit).
func (q *mappedFileQueue) deleteExpiredByTime(reservedMs int64, now time.Time, force bool, maxFiles int) int {
	return q.removeFirstFiles(func(f *mappedFile) bool {
		if force {
			return true
		}
		st, err := f.f.Stat()
		if err != nil {
			return false
		}
		return st.ModTime().Add(time.Duration(reservedMs) * time.Millisecond).Before(now)
	}, maxFiles)
}

// close unmaps every file, including preallocated ones.
func (q *mappedFileQueue) close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	var firstErr error
	for _, f := range q.files {
		if err := f.close(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	q.files = nil
	q.allocMu.Lock()
	for k, f := range q.ready {
		if err := f.destroy(); err != nil && firstErr == nil {
			firstErr = err
		}
		delete(q.ready, k)
	}
	q.allocMu.Unlock()
	return firstErr
}

// destroy deletes every file and the directory.
func (q *mappedFileQueue) destroy() error {
	q.mu.Lock()
	files := q.files
	q.files = nil
	q.mu.Unlock()
	var firstErr error
	for _, f := range files {
		if err := f.destroy(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if err := q.close(); err != nil && firstErr == nil {
		firstErr = err
	}
	if err := os.Remove(q.dir); err != nil && !os.IsNotExist(err) && firstErr == nil {
		firstErr = fmt.Errorf("remove %s: %w", q.dir, err)
	}
	return firstErr
}
