package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

func TestMappedFileQueueAppendReadReload(t *testing.T) {
	dir := t.TempDir()
	q, err := openMappedFileQueue(dir, 100, zaptest.NewLogger(t))
	require.NoError(t, err)
	var offs []int64
	for i := range 7 {
		off, err := q.appendBytes(bytes.Repeat([]byte{byte('a' + i)}, 30))
		require.NoError(t, err)
		offs = append(offs, off)
	}
	// Three 30-byte records fit a 100-byte file; the fourth moves on.
	require.Equal(t, []int64{0, 30, 60, 100, 130, 160, 200}, offs)
	require.Equal(t, int64(230), q.maxOffset())
	require.Equal(t, int64(0), q.minOffset())
	got, err := q.read(130, 30)
	require.NoError(t, err)
	require.Equal(t, bytes.Repeat([]byte{'e'}, 30), got)
	_, err = q.read(200, 31)
	require.Error(t, err)
	_, err = q.read(500, 1)
	require.ErrorIs(t, err, errNoFile)

	names := []string{}
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{"00000000000000000000", "00000000000000000100", "00000000000000000200"}, names)

	where, err := q.flush(0)
	require.NoError(t, err)
	require.Equal(t, int64(100), where) // one file per call, as RocketMQ
	for where < q.maxOffset() {
		where, err = q.flush(0)
		require.NoError(t, err)
	}
	require.Equal(t, int64(230), where)
	require.NoError(t, q.close())

	q, err = openMappedFileQueue(dir, 100, nil)
	require.NoError(t, err)
	require.Len(t, q.snapshot(), 3)
	require.Equal(t, int64(300), q.maxOffset()) // provisionally full until recovery
	require.NoError(t, q.truncateDirty(230))
	require.Equal(t, int64(230), q.maxOffset())
	got, err = q.read(200, 30)
	require.NoError(t, err)
	require.Equal(t, bytes.Repeat([]byte{'g'}, 30), got)
	require.NoError(t, q.truncateDirty(130))
	require.Len(t, q.snapshot(), 2)
	_, err = os.Stat(filepath.Join(dir, "00000000000000000200"))
	require.True(t, os.IsNotExist(err))
	require.NoError(t, q.close())
}

func TestMappedFileQueueWrongSizeFails(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, fileName(0)), make([]byte, 50), 0o644))
	_, err := openMappedFileQueue(dir, 100, nil)
	require.ErrorContains(t, err, "is 50 bytes, want 100")
}

func TestMappedFileQueueFlushLeastPages(t *testing.T) {
	q, err := openMappedFileQueue(t.TempDir(), 64*1024, nil)
	require.NoError(t, err)
	defer q.close()
	_, err = q.appendBytes(make([]byte, 3*osPageSize))
	require.NoError(t, err)
	where, err := q.flush(4)
	require.NoError(t, err)
	require.Equal(t, int64(0), where, "3 dirty pages are below the threshold of 4")
	_, err = q.appendBytes(make([]byte, osPageSize))
	require.NoError(t, err)
	where, err = q.flush(4)
	require.NoError(t, err)
	require.Equal(t, int64(4*osPageSize), where)
}

func TestMappedFileQueueDeleteExpired(t *testing.T) {
	dir := t.TempDir()
	q, err := openMappedFileQueue(dir, 10, nil)
	require.NoError(t, err)
	defer q.close()
	for range 4 {
		_, err := q.appendBytes(make([]byte, 10))
		require.NoError(t, err)
	}
	require.Len(t, q.snapshot(), 4)
	old := time.Now().Add(-2 * time.Hour)
	for _, f := range q.snapshot()[:2] {
		require.NoError(t, os.Chtimes(f.path, old, old))
	}
	require.Equal(t, 2, q.deleteExpiredByTime(time.Hour.Milliseconds(), time.Now(), false, 10))
	require.Equal(t, int64(20), q.minOffset())
	require.Equal(t, 1, q.deleteExpiredByTime(time.Hour.Milliseconds(), time.Now(), true, 0))
	require.Len(t, q.snapshot(), 1, "the newest file is never deleted")
	require.Equal(t, int64(30), q.minOffset())
}

func TestMappedFileQueuePreallocates(t *testing.T) {
	dir := t.TempDir()
	q, err := openMappedFileQueue(dir, 8*osPageSize, nil)
	require.NoError(t, err)
	defer q.close()
	p := q.startPreallocation(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	_, err = q.appendBytes(make([]byte, 100))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		q.allocMu.Lock()
		defer q.allocMu.Unlock()
		return q.ready[8*osPageSize] != nil
	}, 10*time.Second, time.Millisecond)
	off, err := q.appendBytes(make([]byte, 8*osPageSize-50))
	require.NoError(t, err)
	require.Equal(t, int64(8*osPageSize), off)
	require.True(t, q.last().touched, "the second file came from the preallocator")
}
