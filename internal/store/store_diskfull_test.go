package store

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

// TestStoreDiskFullRefusesPuts drives the store's own retention service
// with an injected disk measurement: over diskSpaceWarningLevelRatio puts
// are refused with SERVICE_NOT_AVAILABLE before anything is written, reads
// go on, and puts resume once the disk has room again.
func TestStoreDiskFullRefusesPuts(t *testing.T) {
	s := openTestStore(t, testConfig(t.TempDir()))
	var used atomic.Uint64 // per mille
	used.Store(500)
	s.cleaner = newCleaner(newCleanConfig(&s.cfg), s.commitLog.q, s.cqs, s.index, time.Now,
		func(string) float64 { return float64(used.Load()) / 1000 }, zaptest.NewLogger(t))

	r := s.PutMessage(context.Background(), newMsg("T", 0, "before", nil))
	require.Equal(t, PutOK, r.Status)

	used.Store(950)
	require.True(t, s.cleaner.checkDiskFull())
	maxBefore := s.MaxPhyOffset()
	r = s.PutMessage(context.Background(), newMsg("T", 0, "refused", nil))
	require.Equal(t, ServiceNotAvailable, r.Status)
	require.Contains(t, r.Remark, "disk of the commit log is full")
	require.Contains(t, r.Remark, "0.95")
	require.Equal(t, maxBefore, s.MaxPhyOffset(), "a refused put wrote nothing")
	ok, why := s.Writable()
	require.False(t, ok)
	require.Contains(t, why, "full")

	waitDispatched(t, s)
	g := s.GetMessage("g", "T", 0, 0, 10, nil)
	require.Equal(t, Found, g.Status, "reads go on while the disk is full")
	require.Len(t, g.Messages, 1)

	used.Store(600)
	require.False(t, s.cleaner.checkDiskFull())
	r = s.PutMessage(context.Background(), newMsg("T", 0, "after", nil))
	require.Equal(t, PutOK, r.Status)
	require.Equal(t, int64(1), r.QueueOffset)
}

// TestStoreExecuteDeleteFilesManually: DELETE_EXPIRED_COMMITLOG's store
// call arms the retention service's manual passes.
func TestStoreExecuteDeleteFilesManually(t *testing.T) {
	s := openTestStore(t, testConfig(t.TempDir()))
	require.Zero(t, s.cleaner.manualDeletes.Load())
	s.ExecuteDeleteFilesManually()
	require.Equal(t, int32(cleanManualDeleteTimes), s.cleaner.manualDeletes.Load())
}
