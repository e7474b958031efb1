package store

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/edsrzf/mmap-go"
	"github.com/gorocket/gorocket/internal/message"
)

// Benchmarks put the store's cost next to raw baselines measured in the
// same run: the same record bytes copied into a plain mmap'd file, and the
// three durable paths (mmap+msync, mmap+fdatasync, pwrite+fdatasync) with
// a leader-based group commit. Files are 64 MiB.
//
//	go test -run '^$' -bench 'StorePut|RawMmap' -benchtime 2s ./internal/store

const benchFileSize = 64 << 20

var benchSizes = []struct {
	name string
	size int
}{{"128B", 128}, {"1KiB", 1024}, {"4KiB", 4096}}

func benchConfig(dir string, flush FlushDiskType) Config {
	cfg := DefaultConfig(dir)
	cfg.FlushDiskType = flush
	cfg.MappedFileSizeCommitLog = benchFileSize
	cfg.MaxHashSlotNum = 100000
	cfg.MaxIndexNum = 400000
	cfg.MessageIndexEnable = false
	return cfg
}

var benchBornHost = netip.MustParseAddrPort("10.0.0.2:5000")

func benchMsg(body []byte) *message.MessageExt {
	return &message.MessageExt{
		Message:       message.Message{Topic: "BenchTopic", Body: body},
		BornTimestamp: 1, BornHost: benchBornHost,
		// As the broker has it from the send header.
		PropertiesString: message.PropertyTags + "\x01TagA",
	}
}

func openBenchStore(b *testing.B, flush FlushDiskType) *Store {
	b.Helper()
	s, err := Open(benchConfig(b.TempDir(), flush), nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// cpuNow is the process's user+system CPU time, so benchmarks can report
// cpu-ns/op: on a shared machine wall time swings with other load, CPU
// per operation much less.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration) {
	b.ReportMetric(float64((cpuNow()-since).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func runWriters(b *testing.B, writers int, op func(i int)) {
	if writers == 1 {
		i := 0
		for b.Loop() {
			op(i)
			i++
		}
		return
	}
	b.SetParallelism(max(writers/runtime.GOMAXPROCS(0), 1))
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			op(int(n.Add(1)))
		}
	})
}

func BenchmarkStorePut(b *testing.B) {
	type variant struct {
		flush   FlushDiskType
		writers int
	}
	variants := []variant{{AsyncFlush, 1}, {AsyncFlush, 16}, {SyncFlush, 1}, {SyncFlush, 16}, {SyncFlush, 64}}
	for _, v := range variants {
		for _, sz := range benchSizes {
			b.Run(fmt.Sprintf("flush=%s/size=%s/writers=%d", v.flush, sz.name, v.writers), func(b *testing.B) {
				s := openBenchStore(b, v.flush)
				body := make([]byte, sz.size)
				syncs0 := s.commitLog.q.syncs.Load()
				b.SetBytes(int64(sz.size))
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := cpuNow()
				runWriters(b, v.writers, func(i int) {
					m := benchMsg(body)
					m.QueueID = int32(i % 8)
					if res := s.PutMessage(context.Background(), m); res.Status != PutOK {
						b.Fatalf("put: %s %s", res.Status, res.Remark)
					}
				})
				b.StopTimer()
				reportCPU(b, cpu0)
				if n := s.commitLog.q.syncs.Load() - syncs0; n > 0 && v.flush == SyncFlush {
					b.ReportMetric(float64(b.N)/float64(n), "msgs/fsync")
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}

func BenchmarkStoreGet(b *testing.B) {
	s := openBenchStore(b, AsyncFlush)
	body := make([]byte, 1024)
	const n = 20000
	for i := range n {
		m := benchMsg(body)
		m.QueueID = int32(i % 4)
		if res := s.PutMessage(context.Background(), m); res.Status != PutOK {
			b.Fatal(res.Status)
		}
	}
	waitDispatched(b, s)
	b.SetBytes(32 * 1024)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuNow()
	off := int64(0)
	for b.Loop() {
		got := s.GetMessage("g", "BenchTopic", 0, off, 32, nil)
		if got.Status != Found || len(got.Messages) != 32 {
			b.Fatalf("get: %s %d", got.Status, len(got.Messages))
		}
		off = got.NextBeginOffset
		if off >= n/4-32 {
			off = 0
		}
	}
	reportCPU(b, cpu0)
	b.ReportMetric(float64(b.N*32)/b.Elapsed().Seconds(), "msgs/s")
}

// rawLog appends the same record bytes into 64 MiB files named like the
// commit log, creating a fresh file when one fills.
type rawLog struct {
	b       *testing.B
	dir     string
	touch   bool
	mu      sync.Mutex
	f       *os.File
	data    mmap.MMap
	pos     int
	n       int
	written atomic.Int64 // bytes in the current file
	syncMu  sync.Mutex
	synced  int64
	syncs   atomic.Int64
	pwrite  bool
}

func newRawLog(b *testing.B, touch, pwrite bool) *rawLog {
	r := &rawLog{b: b, dir: b.TempDir(), touch: touch, pwrite: pwrite}
	r.next()
	b.Cleanup(r.close)
	return r
}

func (r *rawLog) close() {
	if r.data != nil {
		r.data.Unmap()
		r.f.Close()
	}
}

func (r *rawLog) next() {
	r.close()
	f, err := os.OpenFile(filepath.Join(r.dir, fileName(int64(r.n)*benchFileSize)), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		r.b.Fatal(err)
	}
	if err := f.Truncate(benchFileSize); err != nil {
		r.b.Fatal(err)
	}
	data, err := mmap.MapRegion(f, benchFileSize, mmap.RDWR, 0, 0)
	if err != nil {
		r.b.Fatal(err)
	}
	if r.touch {
		for i := 0; i < benchFileSize; i += osPageSize {
			data[i] = 0
		}
		syscall.Fdatasync(int(f.Fd()))
	}
	r.n++
	r.f, r.data, r.pos = f, data, 0
	r.synced = 0
	r.written.Store(0)
}

// append copies rec and returns the end offset within the current file
// and the file it went to.
func (r *rawLog) append(rec []byte) (int64, *os.File, mmap.MMap) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pos+len(rec)+8 > benchFileSize {
		r.syncMu.Lock()
		if r.touch {
			// Touching stands for background preallocation: keep it
			// out of the measured time (single writer only).
			r.b.StopTimer()
			r.next()
			r.b.StartTimer()
		} else {
			r.next()
		}
		r.syncMu.Unlock()
	}
	if r.pwrite {
		if _, err := r.f.WriteAt(rec, int64(r.pos)); err != nil {
			r.b.Fatal(err)
		}
	} else {
		copy(r.data[r.pos:], rec)
	}
	r.pos += len(rec)
	r.written.Store(int64(r.pos))
	return int64(r.pos), r.f, r.data
}

// syncTo makes the current file durable up to end: the first writer in
// syncs for everyone waiting behind it (group commit).
func (r *rawLog) syncTo(end int64, f *os.File, data mmap.MMap, msync bool) {
	r.syncMu.Lock()
	defer r.syncMu.Unlock()
	if f != r.f || r.synced >= end {
		return
	}
	target := r.written.Load()
	if msync {
		msyncRange(r.b, data, int(r.synced), int(target))
	} else if err := syscall.Fdatasync(int(f.Fd())); err != nil {
		r.b.Fatal(err)
	}
	r.synced = target
	r.syncs.Add(1)
}

func msyncRange(b *testing.B, data mmap.MMap, from, to int) {
	from -= from % osPageSize
	_, _, errno := syscall.Syscall(syscall.SYS_MSYNC, uintptr(unsafe.Pointer(&data[from])), uintptr(to-from), syscall.MS_SYNC)
	if errno != 0 {
		b.Fatal(errno)
	}
}

func benchRecord(size int) []byte {
	m := benchMsg(make([]byte, size))
	m.StoreHost = netip.MustParseAddrPort("10.0.0.1:10911")
	rec, err := message.EncodeRecord(m)
	if err != nil {
		panic(err)
	}
	return rec
}

func BenchmarkRawMmap(b *testing.B) {
	for _, w := range []struct {
		name           string
		touched, write bool
	}{{"mmap-fresh", false, false}, {"mmap-touched", true, false}, {"pwrite", false, true}, {"pwrite-touched", true, true}} {
		for _, sz := range benchSizes {
			b.Run(fmt.Sprintf("write=%s/size=%s", w.name, sz.name), func(b *testing.B) {
				r := newRawLog(b, w.touched, w.write)
				rec := benchRecord(sz.size)
				b.SetBytes(int64(sz.size))
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := cpuNow()
				for b.Loop() {
					r.append(rec)
				}
				reportCPU(b, cpu0)
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
	paths := []struct {
		name          string
		pwrite, msync bool
	}{{"mmap+msync", false, true}, {"mmap+fdatasync", false, false}, {"pwrite+fdatasync", true, false}}
	for _, p := range paths {
		for _, writers := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("durable=%s/size=1KiB/writers=%d", p.name, writers), func(b *testing.B) {
				r := newRawLog(b, false, p.pwrite)
				rec := benchRecord(1024)
				b.SetBytes(1024)
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := cpuNow()
				runWriters(b, writers, func(int) {
					end, f, data := r.append(rec)
					r.syncTo(end, f, data, p.msync)
				})
				b.StopTimer()
				reportCPU(b, cpu0)
				if n := r.syncs.Load(); n > 0 {
					b.ReportMetric(float64(b.N)/float64(n), "msgs/fsync")
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}
