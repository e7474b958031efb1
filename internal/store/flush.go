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

// flushRequest is one writer waiting for its bytes to be durable
// (GroupCommitRequest). finish runs its callback exactly once: from the
// group commit that covers offset, or from its timeout.
type flushRequest struct {
	offset int64
	done   func(PutStatus)
	timer  *time.Timer
	fired  atomic.Bool
}

func (r *flushRequest) finish(st PutStatus) {
	if r.fired.CompareAndSwap(false, true) {
		r.done(st)
	}
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

// waitAsync calls done once everything below offset is durable (PUT_OK),
// or with FLUSH_DISK_TIMEOUT once timeout passes first. done runs on the
// group commit's goroutine, a timer's, or the caller's when the offset is
// already flushed; it must not block. This is what lets a send answer
// from the flush instead of holding a worker through the fsync.
func (g *groupCommit) waitAsync(offset int64, timeout time.Duration, done func(PutStatus)) {
	if g.q.flushedWhere.Load() >= offset {
		done(PutOK)
		return
	}
	r := &flushRequest{offset: offset, done: done}
	r.timer = time.AfterFunc(timeout, func() { r.finish(FlushDiskTimeout) })
	g.mu.Lock()
	g.reqs = append(g.reqs, r)
	g.mu.Unlock()
	g.notify()
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
		r.timer.Stop() // set before r was queued under g.mu
		if where >= r.offset {
			r.finish(PutOK)
		} else {
			r.finish(FlushDiskTimeout)
		}
	}
}
