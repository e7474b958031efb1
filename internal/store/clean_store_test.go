package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

// TestCleanWithStore runs retention over a real store: a forced clean
// deletes every commit-log file but the newest, and the consume queue and
// index follow the new min offset while reads keep working.
func TestCleanWithStore(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MaxIndexNum = 401 // 2 keys a message: 200 messages an index file
	s := openTestStore(t, cfg)
	ctx := context.Background()
	const n = 1300
	body := strings.Repeat("x", 120)
	for i := range n {
		res := s.PutMessage(ctx, newMsg("T", 0, body, map[string]string{
			message.PropertyKeys:                      fmt.Sprintf("k%04d", i),
			message.PropertyUniqClientMessageIDKeyidx: fmt.Sprintf("U%04d", i),
		}))
		require.Equal(t, PutOK, res.Status, res.Remark)
	}
	waitDispatched(t, s)
	logFiles := len(s.commitLog.q.snapshot())
	require.GreaterOrEqual(t, logFiles, 3)
	cqDir := filepath.Join(cfg.StorePathRootDir, "consumequeue", "T", "0")
	cqFilesBefore := len(cqFileNames(t, cqDir))
	indexBefore := s.index.fileCount()
	require.Greater(t, indexBefore, 3)

	disk := &cleanTestDisk{def: 0.86} // above the forced-clean ratio: any age goes
	c := newCleaner(newCleanConfig(&cfg), s.commitLog.q, s.cqs, s.index,
		func() time.Time { return at(13) }, disk.used, zaptest.NewLogger(t))
	require.NoError(t, c.cleanOnce(ctx))

	minPhy := s.MinPhyOffset()
	require.Len(t, s.commitLog.q.snapshot(), 1, "all but the newest commit-log file deleted")
	minQ := s.MinOffsetInQueue("T", 0)
	assert.Greater(t, minQ, int64(0))
	assert.Equal(t, int64(n), s.MaxOffsetInQueue("T", 0))
	assert.Less(t, len(cqFileNames(t, cqDir)), cqFilesBefore, "consume-queue files below the min offset deleted")
	assert.Less(t, s.index.fileCount(), indexBefore, "index files below the min offset deleted")

	// The queue's min is the first message still in the commit log.
	units := s.cqs.find("T", 0).get(minQ, 1)
	require.Len(t, units, 1)
	assert.GreaterOrEqual(t, units[0].PhyOffset, minPhy)
	got := s.GetMessage("g", "T", 0, minQ, 8, nil)
	require.Equal(t, Found, got.Status)
	assert.Len(t, got.Messages, 8)

	// Keys of deleted messages are gone; the newest are found.
	now := time.Now().UnixMilli()
	assert.Empty(t, s.QueryMessage("T", "k0000", 32, 0, now+60_000).Messages)
	assert.Len(t, s.QueryMessage("T", fmt.Sprintf("k%04d", n-1), 32, 0, now+60_000).Messages, 1)

	// Puts go on after the clean, and the disk is not full.
	assert.False(t, c.diskFull())
	require.Equal(t, PutOK, s.PutMessage(ctx, newMsg("T", 0, body, nil)).Status)
	waitDispatched(t, s)
	assert.Equal(t, int64(n+1), s.MaxOffsetInQueue("T", 0))
}
