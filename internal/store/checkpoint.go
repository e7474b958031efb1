package store

// Checkpoint file (StoreCheckpoint.java): 4096 bytes at <root>/checkpoint,
// of which 4.9.8 uses the first 24, big-endian:
//
//	0 | physicMsgTimestamp int64   store time of the last message a full commit-log flush covered
//	8 | logicsMsgTimestamp int64   store time of the last message written to a consume queue
//	16| indexMsgTimestamp  int64   end time of the last full index file flushed
//
// Values live in memory and are written and synced by flush.

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

const checkpointFileSize = 4096

type checkpoint struct {
	path   string
	f      *os.File
	mu     sync.Mutex // serializes flush
	physic atomic.Int64
	logics atomic.Int64
	index  atomic.Int64
}

func openCheckpoint(path string) (*checkpoint, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint: %w", err)
	}
	c := &checkpoint{path: path, f: f}
	var b [24]byte
	n, err := f.ReadAt(b[:], 0)
	if n == len(b) {
		c.physic.Store(int64(binary.BigEndian.Uint64(b[0:])))
		c.logics.Store(int64(binary.BigEndian.Uint64(b[8:])))
		c.index.Store(int64(binary.BigEndian.Uint64(b[16:])))
	} else if n != 0 {
		f.Close()
		return nil, fmt.Errorf("read checkpoint %s: %d bytes: %w", path, n, err)
	}
	if err := f.Truncate(checkpointFileSize); err != nil {
		f.Close()
		return nil, fmt.Errorf("size checkpoint %s: %w", path, err)
	}
	return c, nil
}

// minTimestamp is min(physic, logics) - 3 s, floored at 0
// (StoreCheckpoint.getMinTimestamp).
func (c *checkpoint) minTimestamp() int64 {
	m := min(c.physic.Load(), c.logics.Load()) - 3000
	return max(m, 0)
}

// minTimestampIndex also takes the index timestamp into account.
func (c *checkpoint) minTimestampIndex() int64 {
	return min(c.minTimestamp(), c.index.Load())
}

func (c *checkpoint) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], uint64(c.physic.Load()))
	binary.BigEndian.PutUint64(b[8:], uint64(c.logics.Load()))
	binary.BigEndian.PutUint64(b[16:], uint64(c.index.Load()))
	if _, err := c.f.WriteAt(b[:], 0); err != nil {
		return fmt.Errorf("write checkpoint %s: %w", c.path, err)
	}
	if err := syscall.Fdatasync(int(c.f.Fd())); err != nil {
		return fmt.Errorf("sync checkpoint %s: %w", c.path, err)
	}
	return nil
}

func (c *checkpoint) close() error {
	err := c.flush()
	if cerr := c.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close checkpoint: %w", cerr)
	}
	return err
}

// storeLock is the exclusive flock on <root>/lock that keeps two stores
// off one directory (DefaultMessageStore.lock).
type storeLock struct{ f *os.File }

func acquireStoreLock(path string) (*storeLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s failed, MQ already started: %w", path, err)
	}
	if _, err := f.WriteAt([]byte("lock"), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("write lock file %s: %w", path, err)
	}
	return &storeLock{f: f}, nil
}

func (l *storeLock) release() error {
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return l.f.Close()
}
