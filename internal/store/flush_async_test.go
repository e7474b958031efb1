package store

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

// newTestGroupCommit is a group commit over a small file queue holding
// written bytes not yet flushed; its run loop is the caller's to start.
func newTestGroupCommit(t *testing.T, written int) *groupCommit {
	t.Helper()
	q, err := openMappedFileQueue(t.TempDir(), 64*osPageSize, nil)
	require.NoError(t, err)
	t.Cleanup(func() { q.close() })
	cp, err := openCheckpoint(filepath.Join(t.TempDir(), "checkpoint"))
	require.NoError(t, err)
	t.Cleanup(func() { cp.close() })
	_, err = q.appendBytes(make([]byte, written))
	require.NoError(t, err)
	return newGroupCommit(q, cp, func() int64 { return 0 }, zaptest.NewLogger(t))
}

// TestFlushWaitAsyncDoesNotBlock: a writer's flush wait is a callback.
// waitAsync returns at once; the callback fires once, with
// FLUSH_DISK_TIMEOUT when no flush comes in time, or PUT_OK from the group
// commit, and a completed request's timer never fires it again.
func TestFlushWaitAsyncDoesNotBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newTestGroupCommit(t, 100)

		var mu sync.Mutex
		var got []PutStatus
		record := func(st PutStatus) {
			mu.Lock()
			got = append(got, st)
			mu.Unlock()
		}
		results := func() []PutStatus {
			mu.Lock()
			defer mu.Unlock()
			return append([]PutStatus(nil), got...)
		}

		// No group commit running: the wait times out after 5 s, not before.
		g.waitAsync(100, 5*time.Second, record)
		time.Sleep(4 * time.Second)
		require.Empty(t, results(), "nothing flushed, and the timeout has not passed")
		time.Sleep(2 * time.Second)
		require.Equal(t, []PutStatus{FlushDiskTimeout}, results())

		// With the group commit running the next wait completes PUT_OK.
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { g.run(ctx); close(done) }()
		g.waitAsync(100, 5*time.Second, record)
		synctest.Wait()
		require.Equal(t, []PutStatus{FlushDiskTimeout, PutOK}, results())
		time.Sleep(10 * time.Second)
		require.Len(t, results(), 2, "a completed request's timer does not fire it again")

		// Already durable: the callback runs at once, on the caller.
		g.waitAsync(100, 5*time.Second, record)
		require.Len(t, results(), 3)
		require.Equal(t, PutOK, results()[2])
		cancel()
		<-done
	})
}

// TestStoreSyncFlushAsyncPuts: many puts in flight from one goroutine with
// SYNC_FLUSH each complete exactly once, PUT_OK, with consecutive queue
// offsets; the caller never waits on an fsync to issue the next put.
func TestStoreSyncFlushAsyncPuts(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.FlushDiskType = SyncFlush
	s := openTestStore(t, cfg)
	const n = 300
	var mu sync.Mutex
	seen := make(map[int64]int)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		s.PutMessageAsync(newMsg("A", 0, "m"+strconv.Itoa(i), nil), func(r PutResult) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if r.Status != PutOK {
				t.Errorf("put %d: %s %s", i, r.Status, r.Remark)
			}
			seen[r.QueueOffset]++
		})
	}
	wg.Wait()
	require.Len(t, seen, n)
	for off := range int64(n) {
		require.Equal(t, 1, seen[off], "queue offset %d completed once", off)
	}
	require.GreaterOrEqual(t, s.FlushedPhyOffset(), s.MaxPhyOffset(), "every acknowledged byte is flushed")
}
