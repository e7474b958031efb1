package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// storeStats counts puts and gets and keeps one sample a second for the
// TPS figures of GET_BROKER_RUNTIME_INFO (StoreStatsService).
type storeStats struct {
	putTimes, putBytes, putFailed atomic.Int64
	putMaxRT, getMaxRT            atomic.Int64 // ns
	getFound, getMiss, getMsgs    atomic.Int64

	mu      sync.Mutex
	samples []statSample // newest last, at most 601
}

type statSample struct {
	at                                  time.Time
	put, getFound, getMiss, getTransfer int64
}

func newStoreStats() *storeStats { return &storeStats{} }

func (st *storeStats) put(res PutResult, rt time.Duration) {
	if !res.Status.Stored() {
		st.putFailed.Add(1)
		return
	}
	st.putTimes.Add(int64(res.MsgNum))
	st.putBytes.Add(int64(res.WroteBytes))
	if ns := rt.Nanoseconds(); ns > st.putMaxRT.Load() {
		st.putMaxRT.Store(ns)
	}
}

func (st *storeStats) get(found bool, msgs int, rt time.Duration) {
	if found {
		st.getFound.Add(1)
	} else {
		st.getMiss.Add(1)
	}
	st.getMsgs.Add(int64(msgs))
	if ns := rt.Nanoseconds(); ns > st.getMaxRT.Load() {
		st.getMaxRT.Store(ns)
	}
}

func (st *storeStats) sample(now time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.samples = append(st.samples, statSample{at: now, put: st.putTimes.Load(), getFound: st.getFound.Load(),
		getMiss: st.getMiss.Load(), getTransfer: st.getMsgs.Load()})
	if len(st.samples) > 601 {
		st.samples = append(st.samples[:0], st.samples[len(st.samples)-601:]...)
	}
}

func (st *storeStats) run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	st.sample(time.Now())
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			st.sample(now)
		}
	}
}

// tps formats "<10s> <1min> <10min>" rates of one counter.
func (st *storeStats) tps(pick func(statSample) int64) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := ""
	for i, secs := range []int{10, 60, 600} {
		v := 0.0
		if n := len(st.samples); n > 1 {
			last := st.samples[n-1]
			first := st.samples[max(n-1-secs, 0)]
			if d := last.at.Sub(first.at).Seconds(); d > 0 {
				v = float64(pick(last)-pick(first)) / d
			}
		}
		if i > 0 {
			out += " "
		}
		out += strconv.FormatFloat(v, 'f', 2, 64)
	}
	return out
}

// diskRatio is the used fraction of the file system holding path
// (UtilAll.getDiskPartitionSpaceUsedPercent), -1 when unknown.
func diskRatio(path string) float64 {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(path, &fs); err != nil || fs.Blocks == 0 {
		return -1
	}
	total := float64(fs.Blocks) * float64(fs.Bsize)
	free := float64(fs.Bfree) * float64(fs.Bsize)
	usable := float64(fs.Bavail) * float64(fs.Bsize)
	used := total - free
	if used+usable == 0 {
		return -1
	}
	return used / (used + usable)
}

// RuntimeInfo returns the store's keys of GET_BROKER_RUNTIME_INFO.
func (s *Store) RuntimeInfo() map[string]string {
	st := s.stats
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	puts := st.putTimes.Load()
	avg := 0.0
	if puts > 0 {
		avg = float64(st.putBytes.Load()) / float64(puts)
	}
	var fs syscall.Statfs_t
	capacity := ""
	if syscall.Statfs(s.cfg.CommitLogDir(), &fs) == nil {
		gib := func(b uint64) string { return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30)) }
		capacity = "Total : " + gib(fs.Blocks*uint64(fs.Bsize)) + ", Free : " + gib(fs.Bavail*uint64(fs.Bsize)) + "."
	}
	lockMs := int64(0)
	if since := s.commitLog.lockSince.Load(); since > 0 {
		lockMs = time.Now().UnixMilli() - since
	}
	return map[string]string{
		"bootTimestamp":                   i64(s.bootTime.UnixMilli()),
		"runtime":                         time.Since(s.bootTime).Truncate(time.Second).String(),
		"dispatchBehindBytes":             i64(s.DispatchBehindBytes()),
		"pageCacheLockTimeMills":          i64(lockMs),
		"earliestMessageTimeStamp":        i64(s.EarliestMessageTimeAll()),
		"startAcceptSendRequestTimeStamp": i64(s.startAcceptSend.Load()),
		"remainTransientStoreBufferNumbs": "0",
		"remainHowManyDataToCommit":       "0",
		"remainHowManyDataToFlush":        i64(max(s.MaxPhyOffset()-s.FlushedPhyOffset(), 0)),
		"commitLogDirCapacity":            capacity,
		"putMessageEntireTimeMax":         i64(st.putMaxRT.Load() / 1e6),
		"putMessageTimesTotal":            i64(puts),
		"putMessageFailedTimes":           i64(st.putFailed.Load()),
		"putMessageSizeTotal":             i64(st.putBytes.Load()),
		"putMessageAverageSize":           strconv.FormatFloat(avg, 'f', 2, 64),
		"getMessageEntireTimeMax":         i64(st.getMaxRT.Load() / 1e6),
		"putTps":                          st.tps(func(x statSample) int64 { return x.put }),
		"getFoundTps":                     st.tps(func(x statSample) int64 { return x.getFound }),
		"getMissTps":                      st.tps(func(x statSample) int64 { return x.getMiss }),
		"getTotalTps":                     st.tps(func(x statSample) int64 { return x.getFound + x.getMiss }),
		"getTransferedTps":                st.tps(func(x statSample) int64 { return x.getTransfer }),
		"commitLogDiskRatio":              strconv.FormatFloat(diskRatio(s.cfg.CommitLogDir()), 'f', -1, 64),
		"consumeQueueDiskRatio":           strconv.FormatFloat(diskRatio(s.cfg.StorePathRootDir), 'f', -1, 64),
		"commitLogMinOffset":              i64(s.MinPhyOffset()),
		"commitLogMaxOffset":              i64(s.MaxPhyOffset()),
	}
}
