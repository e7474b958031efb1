package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/stretchr/testify/require"
)

// The crash test re-runs the test binary as a child (crashChildEnv set)
// that opens the store and writes until it is killed, printing one line per
// acknowledged message:
//
//	ACK <phyOffset> <msgId> <queueId> <queueOffset> <body id>
//
// The parent SIGKILLs it at a random moment, reopens the store (abort file
// present: abnormal recovery) and checks what survived.
const (
	crashChildEnv  = "GOROCKET_STORE_CRASH_CHILD"
	crashDirEnv    = "GOROCKET_STORE_CRASH_DIR"
	crashFlushEnv  = "GOROCKET_STORE_CRASH_FLUSH"
	crashRoundEnv  = "GOROCKET_STORE_CRASH_ROUND"
	crashWriters   = 8
	crashQueues    = 4
	crashMaxPerRun = 20000 // bound on what one child writes
)

func crashConfig(dir string, flush FlushDiskType) Config {
	cfg := testConfig(dir)
	cfg.FlushDiskType = flush
	cfg.MappedFileSizeCommitLog = 256 * 1024
	return cfg
}

func crashBody(id string) []byte {
	return []byte(id + ":" + strings.Repeat("x", 64+len(id)*7))
}

// TestCrashChild is the child side; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) != "1" {
		t.Skip("child process of the crash tests only")
	}
	cfg := crashConfig(os.Getenv(crashDirEnv), FlushDiskType(os.Getenv(crashFlushEnv)))
	s, err := Open(cfg, nil)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(3)
	}
	if err := s.Start(); err != nil {
		fmt.Println("ERR", err)
		os.Exit(3)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	fmt.Fprintln(out, "READY")
	out.Flush()
	round := os.Getenv(crashRoundEnv)
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range crashMaxPerRun / crashWriters {
				id := fmt.Sprintf("r%s-w%d-%d", round, w, i)
				m := newMsg("Crash", int32((w+i)%crashQueues), string(crashBody(id)),
					map[string]string{message.PropertyKeys: id})
				res := s.PutMessage(context.Background(), m)
				if res.Status != PutOK {
					continue
				}
				mu.Lock()
				fmt.Fprintf(out, "ACK %d %s %d %d %s\n", res.WroteOffset, res.MsgID, m.QueueID, res.QueueOffset, id)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	time.Sleep(time.Minute) // wait to be killed
}

type crashAck struct {
	phy         int64
	msgID       string
	queueID     int32
	queueOffset int64
	id          string
}

// runCrashChild starts a child on dir, lets it write, kills it after a
// random delay and returns what it acknowledged.
func runCrashChild(t *testing.T, dir string, flush FlushDiskType, round int, rng *rand.Rand) []crashAck {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashDirEnv+"="+dir, crashFlushEnv+"="+string(flush),
		crashRoundEnv+"="+strconv.Itoa(round))
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(stdout)
	var acks []crashAck
	ready := false
	killAfter := time.Duration(rng.IntN(60)) * time.Millisecond
	var timer *time.Timer
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "READY":
			ready = true
			timer = time.AfterFunc(killAfter, func() { cmd.Process.Signal(syscall.SIGKILL) })
		case strings.HasPrefix(line, "ACK "):
			f := strings.Fields(line)
			require.Len(t, f, 6, line)
			phy, _ := strconv.ParseInt(f[1], 10, 64)
			qid, _ := strconv.Atoi(f[3])
			qo, _ := strconv.ParseInt(f[4], 10, 64)
			acks = append(acks, crashAck{phy: phy, msgID: f[2], queueID: int32(qid), queueOffset: qo, id: f[5]})
		case strings.HasPrefix(line, "ERR"):
			t.Fatalf("child: %s", line)
		}
	}
	if timer != nil {
		timer.Stop()
	}
	cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	require.True(t, ready, "child never became ready")
	return acks
}

// checkCrashStore reopens the store and checks every record is whole and
// appears once, the consume queues point at whole records, and (when
// mustHave) every acknowledged message is there intact. It returns how
// many acknowledged messages were found.
func checkCrashStore(t *testing.T, dir string, flush FlushDiskType, acks []crashAck, mustHave bool) int {
	t.Helper()
	s, err := Open(crashConfig(dir, flush), nil)
	require.NoError(t, err)
	defer s.Close()

	// Walk the whole commit log: every record valid (CRC included), each
	// body id once.
	seen := make(map[string]int64)
	for off := s.MinPhyOffset(); off < s.MaxPhyOffset(); {
		b := s.GetCommitLogData(off, 1<<30)
		require.NotEmpty(t, b, "offset %d", off)
		pos := 0
		for pos < len(b) {
			rec, err := message.ParseRecord(b[pos:], true)
			require.NoError(t, err, "record at %d", off+int64(pos))
			if rec.Blank {
				pos = len(b)
				break
			}
			m, _, err := message.DecodeRecord(b[pos:])
			require.NoError(t, err)
			id, _, _ := strings.Cut(string(m.Body), ":")
			require.Equal(t, string(crashBody(id)), string(m.Body), "body of %s", id)
			_, dup := seen[id]
			require.False(t, dup, "message %s stored twice", id)
			seen[id] = off + int64(pos)
			pos += int(rec.Size)
		}
		fs := int64(s.commitLog.q.fileSize)
		off = off - off%fs + fs
		if off > s.MaxPhyOffset() {
			break
		}
	}
	// Consume queues: contiguous offsets, each unit pointing at a record
	// of its queue.
	inQueues := 0
	for q := range int32(crashQueues) {
		for off := int64(0); off < s.MaxOffsetInQueue("Crash", q); {
			got := s.GetMessage("g", "Crash", q, off, 32, nil)
			require.Equal(t, Found, got.Status, "queue %d offset %d", q, off)
			for _, b := range got.Messages {
				m, _, err := message.DecodeRecord(b)
				require.NoError(t, err)
				require.Equal(t, q, m.QueueID)
				require.Equal(t, off, m.QueueOffset)
				off++
				inQueues++
			}
		}
	}
	require.Equal(t, len(seen), inQueues, "every record in exactly one queue slot")

	found := 0
	for _, a := range acks {
		phy, ok := seen[a.id]
		if !ok {
			require.False(t, mustHave, "acknowledged message %s (offset %d) lost", a.id, a.phy)
			continue
		}
		found++
		require.Equal(t, a.phy, phy, "message %s moved", a.id)
		m, err := s.LookMessageByOffset(a.phy)
		require.NoError(t, err)
		require.Equal(t, a.msgID, m.MsgID)
		require.Equal(t, a.queueID, m.QueueID)
		require.Equal(t, a.queueOffset, m.QueueOffset)
	}
	return found
}

func testCrash(t *testing.T, flush FlushDiskType, rounds int) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var all []crashAck
	total, found := 0, 0
	for round := range rounds {
		acks := runCrashChild(t, dir, flush, round, rng)
		all = append(all, acks...)
		total += len(acks)
		// Only SYNC_FLUSH promises what was acknowledged; a SIGKILL keeps
		// the page cache, so ASYNC_FLUSH is checked for integrity only.
		found = checkCrashStore(t, dir, flush, all, flush == SyncFlush)
	}
	t.Logf("%s: %d rounds, %d messages acknowledged, %d found after the last recovery", flush, rounds, total, found)
}

func TestCrashSyncFlushKeepsAcknowledged(t *testing.T) {
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	testCrash(t, SyncFlush, rounds)
}

func TestCrashAsyncFlushNoTornOrDuplicate(t *testing.T) {
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	testCrash(t, AsyncFlush, rounds)
}
