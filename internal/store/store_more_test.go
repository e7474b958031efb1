package store

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

func TestStoreDependsOnlyOnMessage(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-json=ImportPath", ".").Output()
	require.NoError(t, err)
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct{ ImportPath string }
		require.NoError(t, dec.Decode(&p))
		if strings.HasPrefix(p.ImportPath, "github.com/gorocket/gorocket/") {
			require.Contains(t, []string{"github.com/gorocket/gorocket/internal/store",
				"github.com/gorocket/gorocket/internal/message"}, p.ImportPath, "store must not import it")
		}
	}
}

func TestFlushAsyncPagesAndThoroughInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q, err := openMappedFileQueue(t.TempDir(), 64*osPageSize, nil)
		require.NoError(t, err)
		defer q.close()
		cp, err := openCheckpoint(filepath.Join(t.TempDir(), "checkpoint"))
		require.NoError(t, err)
		defer cp.close()
		cfg := DefaultConfig("/unused")
		f := newFlusher(q, &cfg, cp, func() int64 { return 1234 }, zaptest.NewLogger(t))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { f.run(ctx); close(done) }()

		_, err = q.appendBytes(make([]byte, 3*osPageSize))
		require.NoError(t, err)
		time.Sleep(600 * time.Millisecond)
		synctest.Wait()
		require.Equal(t, int64(0), q.flushedWhere.Load(), "3 pages are below flushCommitLogLeastPages=4")

		_, err = q.appendBytes(make([]byte, osPageSize))
		require.NoError(t, err)
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		require.Equal(t, int64(4*osPageSize), q.flushedWhere.Load())
		require.Equal(t, int64(0), cp.physic.Load(), "a threshold flush leaves the checkpoint")

		_, err = q.appendBytes(make([]byte, 10))
		require.NoError(t, err)
		time.Sleep(10 * time.Second) // flushCommitLogThoroughInterval
		synctest.Wait()
		require.Equal(t, int64(4*osPageSize+10), q.flushedWhere.Load(), "the thorough flush takes everything")
		require.Equal(t, int64(1234), cp.physic.Load())
		cancel()
		<-done
	})
}

func TestFlushSyncTimeoutWhenDiskStalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newTestGroupCommit(t, 100)
		wait := func(offset int64) PutStatus {
			ch := make(chan PutStatus, 1)
			g.waitAsync(offset, 5*time.Second, func(st PutStatus) { ch <- st })
			return <-ch
		}
		// No run loop: nobody flushes, so the writer times out.
		require.Equal(t, FlushDiskTimeout, wait(100))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { g.run(ctx); close(done) }()
		require.Equal(t, PutOK, wait(100))
		cancel()
		<-done
	})
}

func TestStoreOffsetByTimeAndDeleteTopics(t *testing.T) {
	s := openTestStore(t, testConfig(t.TempDir()))
	ctx := context.Background()
	var stamps []int64
	for i := range 3 {
		start := time.Now().UnixMilli()
		require.Eventually(t, func() bool { return time.Now().UnixMilli() > start }, time.Second, 100*time.Microsecond)
		m := newMsg("TT", 0, "m"+strconv.Itoa(i), nil)
		require.Equal(t, PutOK, s.PutMessage(ctx, m).Status)
		stamps = append(stamps, m.StoreTimestamp)
	}
	waitDispatched(t, s)
	require.Equal(t, int64(1), s.OffsetInQueueByTime("TT", 0, stamps[1]))
	require.Equal(t, int64(2), s.OffsetInQueueByTime("TT", 0, stamps[2]))
	require.Equal(t, stamps[0], s.EarliestMessageTime("TT", 0))
	require.Equal(t, stamps[2], s.MessageStoreTimeStamp("TT", 0, 2))
	require.Equal(t, int64(-1), s.MessageStoreTimeStamp("TT", 0, 3))

	require.NoError(t, s.DeleteTopics([]string{"TT"}))
	require.Equal(t, int64(0), s.MaxOffsetInQueue("TT", 0))
	require.Equal(t, NoMatchedLogicQueue, s.GetMessage("g", "TT", 0, 0, 32, nil).Status)
	res := s.PutMessage(ctx, newMsg("TT", 0, "again", nil))
	require.Equal(t, int64(0), res.QueueOffset, "a deleted topic starts over")
}

func TestStoreGetSkipsRemovedCommitLog(t *testing.T) {
	s := openTestStore(t, testConfig(t.TempDir()))
	var results []PutResult
	for i := range 300 {
		res := s.PutMessage(context.Background(), newMsg("G", 0, strconv.Itoa(i)+string(make([]byte, 600)), nil))
		require.Equal(t, PutOK, res.Status)
		results = append(results, res)
	}
	waitDispatched(t, s)
	require.Equal(t, 2, s.commitLog.q.deleteExpiredByTime(0, time.Now(), true, 2))
	minPhy := s.MinPhyOffset()
	firstKept := 0
	for results[firstKept].WroteOffset < minPhy {
		firstKept++
	}
	got := s.GetMessage("g", "G", 0, 0, 4, nil)
	require.Equal(t, Found, got.Status)
	m, _, err := message.DecodeRecord(got.Messages[0])
	require.NoError(t, err)
	require.Equal(t, int64(firstKept), m.QueueOffset, "units of removed files are skipped")
	require.Equal(t, int64(firstKept+4), got.NextBeginOffset)

	s.cqs.each(func(cq *consumeQueue) { cq.correctMinOffset(minPhy) })
	got = s.GetMessage("g", "G", 0, 0, 4, nil)
	require.Equal(t, OffsetTooSmall, got.Status)
	require.Equal(t, int64(firstKept), got.NextBeginOffset)
	_, err = s.LookMessageByOffset(0)
	require.Error(t, err)
}

// TestCrashPowerLossCutAtFlushed copies a running SYNC_FLUSH store and cuts
// the copy's commit log at the flushed offset, as a power failure would
// leave it; every acknowledged message must be in the copy.
func TestCrashPowerLossCutAtFlushed(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.FlushDiskType = SyncFlush
	s := openTestStore(t, cfg)
	var acked []PutResult
	for i := range 200 {
		res := s.PutMessage(context.Background(), newMsg("P", int32(i%2), "p"+strconv.Itoa(i)+string(make([]byte, 400)), nil))
		require.Equal(t, PutOK, res.Status)
		acked = append(acked, res)
	}
	// Unacknowledged tail: written, maybe not flushed.
	for i := range 5 {
		s.PutMessage(context.Background(), newMsg("P", 0, "nowait"+strconv.Itoa(i), map[string]string{message.PropertyWaitStoreMsgOK: "false"}))
	}
	flushed := s.FlushedPhyOffset()
	copyDir := t.TempDir()
	require.NoError(t, os.CopyFS(copyDir, os.DirFS(cfg.StorePathRootDir)))
	require.NoError(t, os.Remove(filepath.Join(copyDir, "lock")))
	// Zero everything past the flushed offset in the copy.
	require.NoError(t, filepath.WalkDir(filepath.Join(copyDir, "commitlog"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		start, err := strconv.ParseInt(d.Name(), 10, 64)
		require.NoError(t, err)
		if start >= flushed {
			return os.WriteFile(p, make([]byte, cfg.MappedFileSizeCommitLog), 0o644)
		}
		if end := start + int64(cfg.MappedFileSizeCommitLog); end > flushed {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			clear(b[flushed-start:])
			return os.WriteFile(p, b, 0o644)
		}
		return nil
	}))
	ccfg := cfg
	ccfg.StorePathRootDir = copyDir
	c := openTestStore(t, ccfg)
	require.False(t, c.LastExitOK())
	require.GreaterOrEqual(t, c.MaxPhyOffset(), acked[len(acked)-1].WroteOffset+int64(acked[len(acked)-1].WroteBytes))
	require.LessOrEqual(t, c.MaxPhyOffset(), s.MaxPhyOffset())
	for _, r := range acked {
		m, err := c.LookMessageByOffset(r.WroteOffset)
		require.NoError(t, err)
		require.Equal(t, r.MsgID, m.MsgID)
	}
	waitDispatched(t, c)
	require.Equal(t, int64(100), c.MaxOffsetInQueue("P", 1))
}

func TestStoreGetFiltersAcrossChunks(t *testing.T) {
	s := openTestStore(t, testConfig(t.TempDir()))
	for i := range 1000 {
		tag := "skip"
		if i == 150 || i == 950 {
			tag = "want"
		}
		require.Equal(t, PutOK, s.PutMessage(context.Background(), newMsg("F", 0, strconv.Itoa(i), map[string]string{message.PropertyTags: tag})).Status)
	}
	waitDispatched(t, s)
	want := message.TagsHashCode("want")
	f := &MessageFilter{ByTagsCode: func(c int64) bool { return c == want }}
	got := s.GetMessage("g", "F", 0, 0, 32, f)
	require.Equal(t, Found, got.Status)
	require.Len(t, got.Messages, 1)
	m, _, err := message.DecodeRecord(got.Body())
	require.NoError(t, err)
	require.Equal(t, "150", string(m.Body))
	require.Equal(t, int64(800), got.NextBeginOffset, "at most 800 units are looked at per pull")
	got = s.GetMessage("g", "F", 0, 151, 32, f) // units 151..950
	require.Equal(t, Found, got.Status)
	require.Equal(t, int64(951), got.NextBeginOffset)
	got = s.GetMessage("g", "F", 0, 100, 32, &MessageFilter{ByTagsCode: func(int64) bool { return false }})
	require.Equal(t, NoMatchedMessage, got.Status)
	require.Equal(t, int64(900), got.NextBeginOffset)
	require.Empty(t, got.Body())
}

func TestStorePutWithPropertiesStringOnly(t *testing.T) {
	s := openTestStore(t, testConfig(t.TempDir()))
	m := &message.MessageExt{Message: message.Message{Topic: "PS", Body: []byte("x")},
		PropertiesString: "TAGS\x01a\x02DELAY\x012\x02KEYS\x01k1"}
	res := s.PutMessage(context.Background(), m)
	require.Equal(t, PutOK, res.Status)
	require.Equal(t, ScheduleTopic, m.Topic)
	require.Equal(t, int32(1), m.QueueID)
	waitDispatched(t, s)
	stored, err := s.LookMessageByOffset(res.WroteOffset)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"TAGS": "a", "DELAY": "2", "KEYS": "k1", "REAL_TOPIC": "PS", "REAL_QID": "0"}, stored.Properties)

	plain := &message.MessageExt{Message: message.Message{Topic: "PS", Body: []byte("y")}, PropertiesString: "TAGS\x01b"}
	res = s.PutMessage(context.Background(), plain)
	require.Equal(t, PutOK, res.Status)
	require.Nil(t, plain.Properties, "no map is built when nothing needs it")
	stored, err = s.LookMessageByOffset(res.WroteOffset)
	require.NoError(t, err)
	require.Equal(t, "TAGS\x01b", stored.PropertiesString)
}

var concurrentPad = strings.Repeat("p", 300)

func TestStoreConcurrentPutsAndReads(t *testing.T) {
	for _, flush := range []FlushDiskType{AsyncFlush, SyncFlush} {
		t.Run(string(flush), func(t *testing.T) { testConcurrentPutsAndReads(t, flush) })
	}
}

func testConcurrentPutsAndReads(t *testing.T, flush FlushDiskType) {
	cfg := testConfig(t.TempDir())
	cfg.FlushDiskType = flush
	s := openTestStore(t, cfg)
	const writers, each = 4, 300
	ctx := context.Background()
	done := make(chan struct{})
	errs := make(chan error, 16)
	// Readers follow every queue until they have seen all messages.
	for q := range int32(writers) {
		go func() {
			off := int64(0)
			for off < each {
				got := s.GetMessage("g", "C", q, off, 32, nil)
				for _, b := range got.Messages {
					m, _, err := message.DecodeRecord(b)
					if err != nil || m.QueueOffset != off || string(m.Body) != "w"+strconv.Itoa(int(q))+"-"+strconv.FormatInt(off, 10)+concurrentPad {
						errs <- fmt.Errorf("queue %d offset %d: %v %q", q, off, err, m.Body)
						return
					}
					off++
				}
				select {
				case <-done:
					if off < each {
						errs <- fmt.Errorf("queue %d stopped at %d", q, off)
					}
					return
				default:
				}
			}
			errs <- nil
		}()
	}
	go func() { // admin-style readers alongside
		for {
			select {
			case <-done:
				return
			default:
				s.RuntimeInfo()
				s.QueryMessage("C", "k1", 4, 0, time.Now().UnixMilli()+1000)
				s.EarliestMessageTimeAll()
			}
		}
	}()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				m := newMsg("C", int32(w), "w"+strconv.Itoa(w)+"-"+strconv.Itoa(i)+concurrentPad, map[string]string{message.PropertyKeys: "k" + strconv.Itoa(i%3)})
				if res := s.PutMessage(ctx, m); res.Status != PutOK {
					errs <- fmt.Errorf("put: %s", res.Status)
					return
				}
			}
		}()
	}
	wg.Wait()
	waitDispatched(t, s)
	for range writers {
		select {
		case err := <-errs:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			close(done)
			t.Fatal("readers did not see every message")
		}
	}
	close(done)
	require.Greater(t, len(s.commitLog.q.snapshot()), 3, "the run rolled several files")
}

func TestStoreDeleteOldFilesWhileRunning(t *testing.T) {
	cfg := testConfig(t.TempDir())
	s := openTestStore(t, cfg)
	ctx := context.Background()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // the cleaner: drop the oldest commit-log file now and then
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if s.commitLog.q.deleteExpiredByTime(0, time.Now(), true, 1) > 0 {
				s.cqs.deleteExpired(s.MinPhyOffset())
			}
			time.Sleep(time.Millisecond)
		}
	}()
	go func() { // a consumer reading from wherever the queue starts
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			off := max(s.MinOffsetInQueue("D", 0), 0)
			got := s.GetMessage("g", "D", 0, off, 32, nil)
			for _, b := range got.Messages {
				if _, err := message.ParseRecord(b, true); err != nil {
					t.Errorf("pulled a bad record: %v", err)
					return
				}
			}
		}
	}()
	for i := range 2000 {
		res := s.PutMessage(ctx, newMsg("D", 0, strconv.Itoa(i)+concurrentPad, nil))
		require.Equal(t, PutOK, res.Status)
	}
	// On a loaded machine the puts may finish before the deleter's first
	// turn: let it run until it has removed a file.
	require.Eventually(t, func() bool { return s.MinPhyOffset() > 0 }, 10*time.Second, 5*time.Millisecond,
		"old files were deleted")
	close(stop)
	wg.Wait()
	waitDispatched(t, s)
	last := s.GetMessage("g", "D", 0, s.MaxOffsetInQueue("D", 0)-1, 1, nil)
	require.Equal(t, Found, last.Status)
}

func TestFlushRealtimeWakesOnPut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q, err := openMappedFileQueue(t.TempDir(), 64*osPageSize, nil)
		require.NoError(t, err)
		defer q.close()
		cp, err := openCheckpoint(filepath.Join(t.TempDir(), "checkpoint"))
		require.NoError(t, err)
		defer cp.close()
		cfg := DefaultConfig("/unused")
		cfg.FlushCommitLogTimed = false // flushCommitLogTimed=false: a put wakes the flusher
		f := newFlusher(q, &cfg, cp, func() int64 { return 0 }, zaptest.NewLogger(t))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { f.run(ctx); close(done) }()
		synctest.Wait()
		_, err = q.appendBytes(make([]byte, 4*osPageSize))
		require.NoError(t, err)
		f.notify()
		synctest.Wait() // no time passes
		require.Equal(t, int64(4*osPageSize), q.flushedWhere.Load())

		cfg.FlushCommitLogTimed = true
		_, err = q.appendBytes(make([]byte, 4*osPageSize))
		require.NoError(t, err)
		f.notify()
		synctest.Wait()
		require.Equal(t, int64(4*osPageSize), q.flushedWhere.Load(), "timed mode ignores puts")
		cancel()
		<-done
	})
}
