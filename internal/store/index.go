package store

// IndexFile: the message-key index under <storePathRootDir>/index/.
//
// Contract for the store core (the names the brief fixed, plus what the brief
// left open):
//
//	openIndexService(dir, indexConfig{MaxHashSlotNum, MaxIndexNum}, lg) (*indexService, error)
//	  dir is the index directory itself (<storePathRootDir>/index); it is created when missing.
//	  Optional indexConfig fields: MaxMsgsNumBatch (query cap, 0 = 64), Now (clock for file
//	  names, nil = time.Now) and OnFileFull (called, off the caller's goroutine, with a full
//	  file's endTimestamp after that file was flushed: set checkpoint.indexMsgTimestamp and
//	  flush the checkpoint there, as IndexService.getAndCreateLastIndexFile does).
//	idx.put(topic, keys, phyOffset, storeTimestamp) error
//	  keys are the UNIQ_KEY value and the KEYS tokens (split on " "); empty keys are skipped.
//	  The caller skips ROLLBACK records and honours messageIndexEnable.
//	idx.query(topic, key, maxNum, begin, end) (phyOffsets []int64, lastUpdateTime int64)
//	idx.flush() error, idx.deleteBelow(phyOffset), idx.recover(checkpointIndexTimestamp, abnormal),
//	idx.close() error.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/edsrzf/mmap-go"
	"go.uber.org/zap"
)

// IndexFile layout (IndexFile.java, IndexHeader.java), big-endian:
//
//	header, 40 bytes
//	+----------------------+--------------------+----------------------+--------------------+
//	| beginTimestamp int64 | endTimestamp int64 | beginPhyOffset int64 | endPhyOffset int64 |
//	+----------------------+--------------------+----------------------+--------------------+
//	| hashSlotCount int32  | indexCount int32   |
//	+----------------------+--------------------+
//	hash slots, maxHashSlotNum × 4 bytes from byte 40
//	| number of the newest entry in this slot int32 (0 = empty) |
//	entries, maxIndexNum × 20 bytes from byte 40 + maxHashSlotNum×4; entry #0 is never used
//	+---------------+-----------------+-------------------------------+-----------------+
//	| keyHash int32 | phyOffset int64 | timeDiff int32 (s from begin) | prevIndex int32 |
//	+---------------+-----------------+-------------------------------+-----------------+
const (
	indexHeaderSize  = 40
	indexSlotSize    = 4
	indexEntrySize   = 20
	indexInvalidSlot = 0

	indexDefaultMaxHashSlotNum  = 5000000
	indexDefaultMaxIndexNum     = 20000000
	indexDefaultMaxMsgsNumBatch = 64

	// indexFileNameLayout is UtilAll.timeMillisToHumanString: yyyyMMddHHmmssSSS, local time.
	indexFileNameLayout = "20060102150405.000"
)

// ErrIndexCorrupt marks an index file whose size or header cannot be what
// this store wrote.
var ErrIndexCorrupt = errors.New("index file corrupt")

// indexHeader is the 40-byte IndexHeader.
type indexHeader struct {
	BeginTimestamp int64
	EndTimestamp   int64
	BeginPhyOffset int64
	EndPhyOffset   int64
	HashSlotCount  int32
	IndexCount     int32
}

// decodeIndexHeader reads the header from the first 40 bytes of b. An
// indexCount of 0 reads as 1, as IndexHeader.load does.
func decodeIndexHeader(b []byte) (indexHeader, error) {
	if len(b) < indexHeaderSize {
		return indexHeader{}, fmt.Errorf("index header: %d bytes, want %d: %w", len(b), indexHeaderSize, ErrIndexCorrupt)
	}
	h := indexHeader{
		BeginTimestamp: int64(binary.BigEndian.Uint64(b[0:])),
		EndTimestamp:   int64(binary.BigEndian.Uint64(b[8:])),
		BeginPhyOffset: int64(binary.BigEndian.Uint64(b[16:])),
		EndPhyOffset:   int64(binary.BigEndian.Uint64(b[24:])),
		HashSlotCount:  int32(binary.BigEndian.Uint32(b[32:])),
		IndexCount:     int32(binary.BigEndian.Uint32(b[36:])),
	}
	if h.IndexCount == 0 {
		h.IndexCount = 1
	}
	return h, nil
}

// encode writes h into the first 40 bytes of b.
func (h *indexHeader) encode(b []byte) {
	binary.BigEndian.PutUint64(b[0:], uint64(h.BeginTimestamp))
	binary.BigEndian.PutUint64(b[8:], uint64(h.EndTimestamp))
	binary.BigEndian.PutUint64(b[16:], uint64(h.BeginPhyOffset))
	binary.BigEndian.PutUint64(b[24:], uint64(h.EndPhyOffset))
	binary.BigEndian.PutUint32(b[32:], uint32(h.HashSlotCount))
	binary.BigEndian.PutUint32(b[36:], uint32(h.IndexCount))
}

// validate checks h against the file geometry.
func (h *indexHeader) validate(slotNum, indexNum int) error {
	switch {
	case h.IndexCount < 1 || int64(h.IndexCount) > int64(indexNum):
		return fmt.Errorf("indexCount %d outside 1..%d: %w", h.IndexCount, indexNum, ErrIndexCorrupt)
	case h.HashSlotCount < 0 || int64(h.HashSlotCount) > int64(slotNum):
		return fmt.Errorf("hashSlotCount %d outside 0..%d: %w", h.HashSlotCount, slotNum, ErrIndexCorrupt)
	case h.HashSlotCount > h.IndexCount:
		return fmt.Errorf("hashSlotCount %d above indexCount %d: %w", h.HashSlotCount, h.IndexCount, ErrIndexCorrupt)
	}
	return nil
}

// indexKeyHash is IndexFile.indexKeyHashMethod: the absolute value of Java's
// String.hashCode of key, with Math.abs(Integer.MIN_VALUE) (still negative)
// mapped to 0.
func indexKeyHash(key string) int32 {
	var h int32
	for _, r := range key {
		if r < 0x10000 {
			h = 31*h + int32(r)
			continue
		}
		// Outside the BMP Java hashes the UTF-16 surrogate pair.
		r -= 0x10000
		h = 31*h + int32(0xD800+(r>>10)&0x3FF)
		h = 31*h + int32(0xDC00+r&0x3FF)
	}
	if h == math.MinInt32 {
		return 0
	}
	if h < 0 {
		return -h
	}
	return h
}

// indexBuildKey is IndexService.buildKey: topic + "#" + key.
func indexBuildKey(topic, key string) string { return topic + "#" + key }

// indexFileSize is the byte size of an index file with the given geometry.
func indexFileSize(slotNum, indexNum int) int64 {
	return indexHeaderSize + int64(slotNum)*indexSlotSize + int64(indexNum)*indexEntrySize
}

// indexFile is one mapped index file. Its owner serialises writes against
// reads; mu only orders flush against close, which the rotation flush may run
// from another goroutine.
type indexFile struct {
	path     string
	slotNum  int
	indexNum int
	hdr      indexHeader

	mu     sync.Mutex
	file   *os.File
	data   mmap.MMap
	closed bool
}

// createIndexFile makes a new zeroed index file whose begin and end offsets
// and timestamps are seeded with the previous file's end values. The file
// is sized under a temporary name (tmpSuffix) and renamed into place, so a
// crash never leaves a short file under an index name.
func createIndexFile(path string, slotNum, indexNum int, seedPhyOffset, seedTimestamp int64) (*indexFile, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("create index file: %s already exists", path)
	}
	tmp := path + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create index file: %w", err)
	}
	fail := func(format string, err error) (*indexFile, error) {
		_ = f.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf(format, path, err)
	}
	if err := f.Truncate(indexFileSize(slotNum, indexNum)); err != nil {
		return fail("size index file %s: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail("name index file %s: %w", err)
	}
	m, err := mmap.Map(f, mmap.RDWR, 0)
	if err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, fmt.Errorf("map index file %s: %w", path, err)
	}
	x := &indexFile{path: path, slotNum: slotNum, indexNum: indexNum, file: f, data: m}
	x.hdr = indexHeader{
		BeginTimestamp: seedTimestamp, EndTimestamp: seedTimestamp,
		BeginPhyOffset: seedPhyOffset, EndPhyOffset: seedPhyOffset,
		IndexCount: 1,
	}
	x.hdr.encode(x.data)
	return x, nil
}

// openIndexFile maps an existing index file, checking its size against the
// geometry and its header against the file.
func openIndexFile(path string, slotNum, indexNum int) (*indexFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open index file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("stat index file %s: %w", path, err)
	}
	if want := indexFileSize(slotNum, indexNum); st.Size() != want {
		_ = f.Close()
		return nil, fmt.Errorf("index file %s: size %d, want %d for maxHashSlotNum %d maxIndexNum %d: %w",
			path, st.Size(), want, slotNum, indexNum, ErrIndexCorrupt)
	}
	m, err := mmap.Map(f, mmap.RDWR, 0)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("map index file %s: %w", path, err)
	}
	x := &indexFile{path: path, slotNum: slotNum, indexNum: indexNum, file: f, data: m}
	h, err := decodeIndexHeader(m)
	if err == nil {
		err = h.validate(slotNum, indexNum)
	}
	if err != nil {
		_ = x.close()
		return nil, fmt.Errorf("index file %s: %w", path, err)
	}
	x.hdr = h
	return x, nil
}

func (x *indexFile) isFull() bool { return int64(x.hdr.IndexCount) >= int64(x.indexNum) }

func (x *indexFile) slotPos(keyHash int32) int {
	return indexHeaderSize + int(keyHash%int32(x.slotNum))*indexSlotSize
}

func (x *indexFile) entryPos(n int32) int {
	return indexHeaderSize + x.slotNum*indexSlotSize + int(n)*indexEntrySize
}

// putKey appends one entry for key (IndexFile.putKey). It returns false when
// the file is full.
func (x *indexFile) putKey(key string, phyOffset, storeTimestamp int64) bool {
	if x.isFull() {
		return false
	}
	keyHash := indexKeyHash(key)
	sp := x.slotPos(keyHash)
	prev := int32(binary.BigEndian.Uint32(x.data[sp:]))
	if prev <= indexInvalidSlot || prev >= x.hdr.IndexCount {
		prev = indexInvalidSlot
	}
	n := x.hdr.IndexCount
	if n <= 1 {
		// Java sets the begin values after computing the first entry's
		// timeDiff, so in a rolled file (begin seeded with the previous
		// file's end) that entry reads as later than it was stored. Setting
		// them first makes it read back exactly, in Java too.
		x.hdr.BeginPhyOffset = phyOffset
		x.hdr.BeginTimestamp = storeTimestamp
	}
	var timeDiff int64
	if x.hdr.BeginTimestamp > 0 {
		timeDiff = (storeTimestamp - x.hdr.BeginTimestamp) / 1000
		timeDiff = max(0, min(timeDiff, math.MaxInt32))
	}
	ep := x.entryPos(n)
	binary.BigEndian.PutUint32(x.data[ep:], uint32(keyHash))
	binary.BigEndian.PutUint64(x.data[ep+4:], uint64(phyOffset))
	binary.BigEndian.PutUint32(x.data[ep+12:], uint32(timeDiff))
	binary.BigEndian.PutUint32(x.data[ep+16:], uint32(prev))
	binary.BigEndian.PutUint32(x.data[sp:], uint32(n))

	if prev == indexInvalidSlot {
		x.hdr.HashSlotCount++
	}
	x.hdr.IndexCount++
	x.hdr.EndPhyOffset = phyOffset
	x.hdr.EndTimestamp = storeTimestamp
	x.hdr.encode(x.data)
	return true
}

// timeMatched reports whether [begin, end] touches the file's time span
// (IndexFile.isTimeMatched).
func (x *indexFile) timeMatched(begin, end int64) bool {
	b, e := x.hdr.BeginTimestamp, x.hdr.EndTimestamp
	return (begin < b && end > e) || (begin >= b && begin <= e) || (end >= b && end <= e)
}

// selectPhyOffsets walks key's slot chain from the newest entry and appends
// the offsets of entries with key's hash stored within [begin, end], until
// out holds maxNum (IndexFile.selectPhyOffset). Any byte content is safe: a
// chain only moves to strictly older entries, so the walk ends.
func (x *indexFile) selectPhyOffsets(out []int64, key string, maxNum int, begin, end int64) []int64 {
	count := x.hdr.IndexCount
	if count <= 1 {
		return out
	}
	keyHash := indexKeyHash(key)
	n := int32(binary.BigEndian.Uint32(x.data[x.slotPos(keyHash):]))
	if n <= indexInvalidSlot || n >= count {
		return out
	}
	for len(out) < maxNum {
		ep := x.entryPos(n)
		hash := int32(binary.BigEndian.Uint32(x.data[ep:]))
		phy := int64(binary.BigEndian.Uint64(x.data[ep+4:]))
		timeDiff := int32(binary.BigEndian.Uint32(x.data[ep+12:]))
		prev := int32(binary.BigEndian.Uint32(x.data[ep+16:]))
		if timeDiff < 0 {
			break
		}
		t := x.hdr.BeginTimestamp + int64(timeDiff)*1000
		if hash == keyHash && t >= begin && t <= end {
			out = append(out, phy)
		}
		// Java stops on an out-of-range prev or a self-loop; requiring a
		// strictly older entry also ends longer loops in damaged files.
		if prev <= indexInvalidSlot || prev >= n || t < begin {
			break
		}
		n = prev
	}
	return out
}

func (x *indexFile) flush() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	// fdatasync writes back the pages the mapping dirtied, as the commit
	// log's flush does (see doc.go).
	if err := syscall.Fdatasync(int(x.file.Fd())); err != nil {
		return fmt.Errorf("flush index file %s: %w", x.path, err)
	}
	return nil
}

func (x *indexFile) close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	err := x.data.Unmap()
	if cerr := x.file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close index file %s: %w", x.path, err)
	}
	return nil
}

func (x *indexFile) destroy() error {
	err := x.close()
	if rerr := os.Remove(x.path); rerr != nil && err == nil {
		err = fmt.Errorf("remove index file: %w", rerr)
	}
	return err
}

// indexConfig sizes the index files; zero values take RocketMQ's defaults.
type indexConfig struct {
	MaxHashSlotNum  int // maxHashSlotNum, default 5,000,000
	MaxIndexNum     int // maxIndexNum, default 20,000,000
	MaxMsgsNumBatch int // maxMsgsNumBatch, query cap, default 64
	// Now names new files; nil means time.Now.
	Now func() time.Time
	// OnFileFull runs on a background goroutine after a full file was
	// flushed, with that file's endTimestamp (the checkpoint's
	// indexMsgTimestamp). nil means nothing to do.
	OnFileFull func(endTimestamp int64)
}

// indexService owns the index files of one store (IndexService.java).
//
// Lock order: indexService.mu, then indexFile.mu.
type indexService struct {
	dir string
	cfg indexConfig
	lg  *zap.Logger

	mu struct {
		sync.RWMutex
		files     []*indexFile  // oldest first
		lastFlush chan struct{} // closed when the newest rotation flush is done
		closed    bool
	}
	bg sync.WaitGroup // rotation flushes
}

// openIndexService loads every index file in dir, oldest first.
func openIndexService(dir string, cfg indexConfig, lg *zap.Logger) (*indexService, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	if cfg.MaxHashSlotNum == 0 {
		cfg.MaxHashSlotNum = indexDefaultMaxHashSlotNum
	}
	if cfg.MaxIndexNum == 0 {
		cfg.MaxIndexNum = indexDefaultMaxIndexNum
	}
	if cfg.MaxMsgsNumBatch == 0 {
		cfg.MaxMsgsNumBatch = indexDefaultMaxMsgsNumBatch
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxHashSlotNum < 1 || cfg.MaxIndexNum < 2 || cfg.MaxHashSlotNum > math.MaxInt32 || cfg.MaxIndexNum > math.MaxInt32 {
		return nil, fmt.Errorf("open index: maxHashSlotNum %d, maxIndexNum %d out of range", cfg.MaxHashSlotNum, cfg.MaxIndexNum)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if strings.HasSuffix(e.Name(), tmpSuffix) { // a file a crash cut off before its rename
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return nil, fmt.Errorf("open index: %w", err)
			}
			lg.Warn("unfinished index file removed", zap.String("file", e.Name()))
			continue
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	s := &indexService{dir: dir, cfg: cfg, lg: lg}
	for _, name := range names {
		x, err := openIndexFile(filepath.Join(dir, name), cfg.MaxHashSlotNum, cfg.MaxIndexNum)
		if err != nil {
			for _, f := range s.mu.files {
				_ = f.close()
			}
			return nil, fmt.Errorf("open index: %w", err)
		}
		s.mu.files = append(s.mu.files, x)
	}
	lg.Info("index files loaded", zap.String("dir", dir), zap.Int("files", len(names)))
	return s, nil
}

// recover drops, after an abnormal exit, every file holding entries newer
// than the checkpoint's indexMsgTimestamp (IndexService.load): the
// recovering commit log re-dispatches those messages.
func (s *indexService) recover(checkpointIndexTimestamp int64, abnormal bool) {
	if !abnormal {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.mu.files[:0]
	for _, x := range s.mu.files {
		if x.hdr.EndTimestamp > checkpointIndexTimestamp {
			if err := x.destroy(); err != nil {
				s.lg.Error("destroy index file newer than checkpoint", zap.String("file", x.path), zap.Error(err))
			} else {
				s.lg.Info("index file newer than checkpoint destroyed", zap.String("file", x.path),
					zap.Int64("endTimestamp", x.hdr.EndTimestamp), zap.Int64("indexMsgTimestamp", checkpointIndexTimestamp))
			}
			continue
		}
		kept = append(kept, x)
	}
	clear(s.mu.files[len(kept):])
	s.mu.files = kept
}

// put indexes each non-empty key of one message as topic#key. A message
// below the current file's endPhyOffset was indexed before and is skipped.
func (s *indexService) put(topic string, keys []string, phyOffset, storeTimestamp int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return errors.New("index put: service closed")
	}
	x, err := s.lastWritableLocked()
	if err != nil {
		return err
	}
	if phyOffset < x.hdr.EndPhyOffset {
		return nil
	}
	for _, k := range keys {
		if k == "" {
			continue
		}
		key := indexBuildKey(topic, k)
		for !x.putKey(key, phyOffset, storeTimestamp) {
			if x, err = s.lastWritableLocked(); err != nil {
				return err
			}
		}
	}
	return nil
}

// lastWritableLocked returns the newest file, rolling to a new one when it is
// full. The full file is flushed in the background, then OnFileFull runs.
func (s *indexService) lastWritableLocked() (*indexFile, error) {
	var last *indexFile
	if n := len(s.mu.files); n > 0 {
		last = s.mu.files[n-1]
		if !last.isFull() {
			return last, nil
		}
	}
	var seedPhy, seedTs int64
	if last != nil {
		seedPhy, seedTs = last.hdr.EndPhyOffset, last.hdr.EndTimestamp
	}
	x, err := s.createFileLocked(seedPhy, seedTs)
	if err != nil {
		return nil, err
	}
	s.mu.files = append(s.mu.files, x)
	if last != nil {
		// Flush the full file off the dispatch path. Each flush waits for
		// the one before, so OnFileFull sees endTimestamps in file order and
		// the checkpoint never moves back.
		endTs := last.hdr.EndTimestamp
		prev, done := s.mu.lastFlush, make(chan struct{})
		s.mu.lastFlush = done
		s.bg.Go(func() {
			defer close(done)
			if prev != nil {
				<-prev
			}
			if err := last.flush(); err != nil {
				s.lg.Error("flush full index file", zap.String("file", last.path), zap.Error(err))
				return
			}
			if s.cfg.OnFileFull != nil {
				s.cfg.OnFileFull(endTs)
			}
		})
	}
	return x, nil
}

// createFileLocked creates a file named by the clock, yyyyMMddHHmmssSSS; a
// name already taken moves on by a millisecond.
func (s *indexService) createFileLocked(seedPhy, seedTs int64) (*indexFile, error) {
	t := s.cfg.Now()
	if n := len(s.mu.files); n > 0 {
		// Names must sort in creation order even when the clock has not
		// moved on (or went back) since the newest file was named.
		base := filepath.Base(s.mu.files[n-1].path)
		if len(base) == 17 {
			if lt, err := time.ParseInLocation(indexFileNameLayout, base[:14]+"."+base[14:], t.Location()); err == nil && !t.Truncate(time.Millisecond).After(lt) {
				t = lt.Add(time.Millisecond)
			}
		}
	}
	for range 1000 {
		name := t.Format(indexFileNameLayout)
		name = name[:14] + name[15:] // drop the '.'
		path := filepath.Join(s.dir, name)
		x, err := createIndexFile(path, s.cfg.MaxHashSlotNum, s.cfg.MaxIndexNum, seedPhy, seedTs)
		if errors.Is(err, os.ErrExist) {
			t = t.Add(time.Millisecond)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("index roll: %w", err)
		}
		s.lg.Info("index file created", zap.String("file", path))
		return x, nil
	}
	return nil, fmt.Errorf("index roll: no free file name near %s in %s", t.Format(time.RFC3339), s.dir)
}

// query returns up to maxNum (capped at maxMsgsNumBatch) commit-log offsets
// of entries whose hash matches topic#key and whose store time lies in
// [begin, end], newest file first (IndexService.queryOffset). Only hashes are
// compared, so the caller filters the records by key. lastUpdateTime is the
// newest file's endTimestamp.
func (s *indexService) query(topic, key string, maxNum int, begin, end int64) (phyOffsets []int64, lastUpdateTime int64) {
	maxNum = min(maxNum, s.cfg.MaxMsgsNumBatch)
	s.mu.RLock()
	defer s.mu.RUnlock()
	files := s.mu.files
	if len(files) == 0 || maxNum <= 0 {
		if len(files) > 0 {
			lastUpdateTime = files[len(files)-1].hdr.EndTimestamp
		}
		return nil, lastUpdateTime
	}
	lastUpdateTime = files[len(files)-1].hdr.EndTimestamp
	full := indexBuildKey(topic, key)
	for i := len(files) - 1; i >= 0; i-- {
		x := files[i]
		if x.timeMatched(begin, end) {
			phyOffsets = x.selectPhyOffsets(phyOffsets, full, maxNum, begin, end)
		}
		if x.hdr.BeginTimestamp < begin || len(phyOffsets) >= maxNum {
			break
		}
	}
	return phyOffsets, lastUpdateTime
}

// flush forces every file to disk.
func (s *indexService) flush() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var errs []error
	for _, x := range s.mu.files {
		if err := x.flush(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// deleteBelow removes the oldest files whose endPhyOffset is below
// phyOffset, the commit log's min offset, never the newest file
// (IndexService.deleteExpiredFile).
func (s *indexService) deleteBelow(phyOffset int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for n < len(s.mu.files)-1 && s.mu.files[n].hdr.EndPhyOffset < phyOffset {
		n++
	}
	if n == 0 {
		return
	}
	for _, x := range s.mu.files[:n] {
		if err := x.destroy(); err != nil {
			s.lg.Error("delete expired index file", zap.String("file", x.path), zap.Error(err))
			continue
		}
		s.lg.Info("expired index file deleted", zap.String("file", x.path),
			zap.Int64("endPhyOffset", x.hdr.EndPhyOffset), zap.Int64("minPhyOffset", phyOffset))
	}
	s.mu.files = append(s.mu.files[:0], s.mu.files[n:]...)
}

// fileCount is the number of index files.
func (s *indexService) fileCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.mu.files)
}

// close waits for rotation flushes and unmaps every file without flushing,
// as IndexService.shutdown does; call flush first for a clean stop.
func (s *indexService) close() error {
	s.mu.Lock()
	s.mu.closed = true
	files := s.mu.files
	s.mu.files = nil
	s.mu.Unlock()
	s.bg.Wait()
	var errs []error
	for _, x := range files {
		if err := x.close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
