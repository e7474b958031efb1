package store

// Commit-log flushing (CommitLog.FlushRealTimeService and
// GroupCommitService).
//
// ASYNC_FLUSH: flusher.run wakes every flushIntervalCommitLog ms (or on a
// put when flushCommitLogTimed is false) and syncs when at least
// flushCommitLogLeastPages pages are dirty, everything every
// flushCommitLogThoroughInterval ms.
//
// SYNC_FLUSH: a put waits in groupCommit.wait for flushedWhere to pass its
// end offset. groupCommit.run takes every waiting request at once, syncs
// once for all of them, and completes them; writers arriving during that
// fdatasync form the next group. A request not completed within
// syncFlushTimeout returns FLUSH_DISK_TIMEOUT (the message stays stored).

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

type flusher struct {
	q      *mappedFileQueue
	cfg    *Config
	cp     *checkpoint
	lastTs func() int64
	lg     *zap.Logger
	wake   chan struct{}
}

func newFlusher(q *mappedFileQueue, cfg *Config, cp *checkpoint, lastTs func() int64, lg *zap.Logger) *flusher {
	return &flusher{q: q, cfg: cfg, cp: cp, lastTs: lastTs, lg: lg, wake: make(chan struct{}, 1)}
}

// notify wakes the flusher when flushCommitLogTimed is false.
func (f *flusher) notify() {
	if f.cfg.FlushCommitLogTimed {
		return
	}
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *flusher) run(ctx context.Context) {
	interval := time.Duration(f.cfg.FlushIntervalCommitLog) * time.Millisecond
	thorough := time.Duration(f.cfg.FlushCommitLogThoroughInterval) * time.Millisecond
	t := time.NewTicker(interval)
	defer t.Stop()
	lastThorough := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-f.wake:
		}
		least := f.cfg.FlushCommitLogLeastPages
		if now := time.Now(); now.Sub(lastThorough) >= thorough {
			least = 0
			lastThorough = now
		}
		ts := f.lastTs()
		if _, err := f.q.flushAll(least); err != nil {
			f.lg.Error("flush commit log failed", zap.Error(err))
			continue
		}
		if least == 0 && ts > 0 {
			f.cp.physic.Store(ts)
		}
	}
}

type flushRequest struct {
	offset int64
	done   chan struct{}
	ok     bool
}

type groupCommit struct {
	q      *mappedFileQueue
	cp     *checkpoint
	lastTs func() int64
	lg     *zap.Logger
	wake   chan struct{}

	mu   sync.Mutex
	reqs []*flushRequest

	groups atomic.Int64 // fsync rounds that completed requests
}

func newGroupCommit(q *mappedFileQueue, cp *checkpoint, lastTs func() int64, lg *zap.Logger) *groupCommit {
	return &groupCommit{q: q, cp: cp, lastTs: lastTs, lg: lg, wake: make(chan struct{}, 1)}
}

func (g *groupCommit) notify() {
	select {
	case g.wake <- struct{}{}:
	default:
	}
}

// wait blocks until everything below offset is durable, or timeout.
func (g *groupCommit) wait(ctx context.Context, offset int64, timeout time.Duration) PutStatus {
	if g.q.flushedWhere.Load() >= offset {
		return PutOK
	}
	r := &flushRequest{offset: offset, done: make(chan struct{})}
	g.mu.Lock()
	g.reqs = append(g.reqs, r)
	g.mu.Unlock()
	g.notify()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-r.done:
		if r.ok {
			return PutOK
		}
		return FlushDiskTimeout
	case <-t.C:
		return FlushDiskTimeout
	case <-ctx.Done():
		return FlushDiskTimeout
	}
}

func (g *groupCommit) run(ctx context.Context) {
	var spare []*flushRequest
	for {
		select {
		case <-ctx.Done():
			g.mu.Lock()
			reqs := g.reqs
			g.reqs = nil
			g.mu.Unlock()
			g.complete(reqs)
			return
		case <-g.wake:
		}
		g.mu.Lock()
		reqs := g.reqs
		g.reqs = spare[:0]
		g.mu.Unlock()
		g.complete(reqs)
		clear(reqs)
		spare = reqs
	}
}

// complete flushes up to the highest requested offset (or everything) and
// completes the requests.
func (g *groupCommit) complete(reqs []*flushRequest) {
	ts := g.lastTs()
	where, err := g.q.flushAll(0)
	if err != nil {
		g.lg.Error("group commit flush failed", zap.Error(err))
	} else if ts > 0 {
		g.cp.physic.Store(ts)
	}
	if len(reqs) > 0 {
		g.groups.Add(1)
	}
	for _, r := range reqs {
		r.ok = where >= r.offset
		close(r.done)
	}
}
