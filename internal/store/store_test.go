package store

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

// testConfig is a store with tiny files so tests roll files quickly.
func testConfig(dir string) Config {
	cfg := DefaultConfig(dir)
	cfg.MappedFileSizeCommitLog = 64 * 1024
	cfg.MappedFileSizeConsumeQueue = 20 * 200
	cfg.MaxHashSlotNum = 1000
	cfg.MaxIndexNum = 4000
	cfg.FlushIntervalCommitLog = 10
	cfg.FlushIntervalConsumeQueue = 10
	cfg.StoreHost = netip.MustParseAddrPort("10.0.0.1:10911")
	return cfg
}

func openTestStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := Open(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NoError(t, s.Start())
	t.Cleanup(func() { s.Close() })
	return s
}

func newMsg(topic string, qid int32, body string, props map[string]string) *message.MessageExt {
	return &message.MessageExt{
		Message:       message.Message{Topic: topic, Body: []byte(body), Properties: props},
		QueueID:       qid,
		BornTimestamp: time.Now().UnixMilli(),
		BornHost:      netip.MustParseAddrPort("192.168.0.9:50000"),
	}
}

func waitDispatched(t testing.TB, s *Store) {
	t.Helper()
	require.Eventually(t, func() bool { return s.DispatchBehindBytes() == 0 }, 10*time.Second, time.Millisecond)
}

func TestStorePutGetRoundTrip(t *testing.T) {
	s := openTestStore(t, testConfig(t.TempDir()))
	ctx := context.Background()
	var results []PutResult
	for i := range 50 {
		tag := "TagA"
		if i%2 == 1 {
			tag = "TagB"
		}
		m := newMsg("TopicTest", int32(i%2), "body-"+strconv.Itoa(i), map[string]string{
			message.PropertyTags: tag, message.PropertyKeys: "k" + strconv.Itoa(i) + " common",
			message.PropertyUniqClientMessageIDKeyidx: fmt.Sprintf("UNIQ%04d", i)})
		res := s.PutMessage(ctx, m)
		require.Equal(t, PutOK, res.Status, res.Remark)
		require.Equal(t, int64(i/2), res.QueueOffset)
		require.Equal(t, m.CommitLogOffset, res.WroteOffset)
		require.Equal(t, message.CreateOffsetMsgID(netip.MustParseAddrPort("10.0.0.1:10911"), res.WroteOffset), res.MsgID)
		results = append(results, res)
	}
	waitDispatched(t, s)
	require.Equal(t, int64(25), s.MaxOffsetInQueue("TopicTest", 0))
	require.Equal(t, int64(0), s.MinOffsetInQueue("TopicTest", 0))

	got := s.GetMessage("g", "TopicTest", 0, 0, 32, nil)
	require.Equal(t, Found, got.Status)
	require.Len(t, got.Messages, 25)
	require.Equal(t, int64(25), got.NextBeginOffset)
	msgs, err := message.DecodeMessages(got.Body())
	require.NoError(t, err)
	for i, m := range msgs {
		require.Equal(t, "body-"+strconv.Itoa(2*i), string(m.Body))
		require.Equal(t, int64(i), m.QueueOffset)
		require.Equal(t, results[2*i].MsgID, m.MsgID)
		require.Equal(t, "192.168.0.9:50000", m.BornHost.String())
		require.Equal(t, fmt.Sprintf("UNIQ%04d", 2*i), m.ClientMsgID())
	}

	// Per-pull caps: maxMsgNums and the in-memory count cap (32).
	got = s.GetMessage("g", "TopicTest", 1, 3, 4, nil)
	require.Equal(t, Found, got.Status)
	require.Len(t, got.Messages, 4)
	require.Equal(t, int64(7), got.NextBeginOffset)

	// Tag filter on the consume queue's tags code.
	tagB := message.TagsHashCode("TagB")
	got = s.GetMessage("g", "TopicTest", 1, 0, 32, &MessageFilter{ByTagsCode: func(c int64) bool { return c == tagB }})
	require.Len(t, got.Messages, 25)
	got = s.GetMessage("g", "TopicTest", 1, 0, 32, &MessageFilter{ByTagsCode: func(c int64) bool { return c != tagB }})
	require.Equal(t, NoMatchedMessage, got.Status)
	require.Equal(t, int64(25), got.NextBeginOffset)
	got = s.GetMessage("g", "TopicTest", 1, 0, 32, &MessageFilter{ByProperties: func(p map[string]string) bool {
		return p[message.PropertyKeys] == "k9 common"
	}})
	require.Len(t, got.Messages, 1)

	cases := []struct {
		name   string
		topic  string
		offset int64
		status GetStatus
		next   int64
	}{
		{"overflow-one", "TopicTest", 25, OffsetOverflowOne, 25},
		{"overflow-badly", "TopicTest", 99, OffsetOverflowBadly, 0},
		{"no-queue", "Nope", 5, NoMatchedLogicQueue, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := s.GetMessage("g", tc.topic, 0, tc.offset, 32, nil)
			require.Equal(t, tc.status, got.Status)
			require.Equal(t, tc.next, got.NextBeginOffset)
		})
	}

	m, err := s.LookMessageByOffset(results[7].WroteOffset)
	require.NoError(t, err)
	require.Equal(t, "body-7", string(m.Body))
	_, err = s.LookMessageByOffset(results[7].WroteOffset + 1)
	require.Error(t, err)

	q := s.QueryMessage("TopicTest", "k7", 32, 0, time.Now().UnixMilli()+1000)
	require.Len(t, q.Messages, 1)
	q = s.QueryMessage("TopicTest", "common", 32, 0, time.Now().UnixMilli()+1000)
	require.Len(t, q.Messages, 32)
	q = s.QueryMessage("TopicTest", "UNIQ0011", 32, 0, time.Now().UnixMilli()+1000)
	require.Len(t, q.Messages, 1)

	ts := s.MessageStoreTimeStamp("TopicTest", 0, 3)
	require.Equal(t, m.StoreTimestamp-m.StoreTimestamp%1, s.MessageStoreTimeStamp("TopicTest", 1, 3))
	require.Positive(t, ts)
	require.Equal(t, s.MessageStoreTimeStamp("TopicTest", 0, 0), s.EarliestMessageTime("TopicTest", 0))
	require.Equal(t, int64(0), s.OffsetInQueueByTime("TopicTest", 0, 0))
	info := s.RuntimeInfo()
	require.Equal(t, strconv.FormatInt(s.MaxPhyOffset(), 10), info["commitLogMaxOffset"])
	require.Equal(t, "50", info["putMessageTimesTotal"])
	require.Contains(t, info, "putTps")
}

func TestCommitLogRollsWithBlankRecord(t *testing.T) {
	cfg := testConfig(t.TempDir())
	s := openTestStore(t, cfg)
	body := make([]byte, 1000)
	var last PutResult
	for range 200 {
		last = s.PutMessage(context.Background(), newMsg("T", 0, string(body), nil))
		require.Equal(t, PutOK, last.Status)
	}
	require.Greater(t, last.WroteOffset, int64(2*cfg.MappedFileSizeCommitLog))
	waitDispatched(t, s)
	files := s.commitLog.q.snapshot()
	require.GreaterOrEqual(t, len(files), 3)
	// Every full file ends with a BLANK record, and no record spans files.
	for _, f := range files[:len(files)-1] {
		pos := 0
		for {
			rec, err := message.ParseRecord(f.data[pos:], true)
			require.NoError(t, err)
			if rec.Blank {
				require.Equal(t, f.size-pos, int(rec.Size))
				break
			}
			require.Equal(t, f.start+int64(pos), rec.PhyOffset)
			pos += int(rec.Size)
		}
	}
	got := s.GetMessage("g", "T", 0, 0, 1000, nil)
	require.Len(t, got.Messages, 32)
	require.Equal(t, int64(200), s.MaxOffsetInQueue("T", 0))
}

func TestCommitLogDelayAndTransactionTypes(t *testing.T) {
	s := openTestStore(t, testConfig(t.TempDir()))
	ctx := context.Background()
	var seen []DispatchInfo
	var mu sync.Mutex
	s.OnDispatch(func(d DispatchInfo) { mu.Lock(); seen = append(seen, d); mu.Unlock() })

	m := newMsg("Real", 3, "later", map[string]string{message.PropertyDelayTimeLevel: "3", message.PropertyTags: "x"})
	res := s.PutMessage(ctx, m)
	require.Equal(t, PutOK, res.Status)
	require.Equal(t, ScheduleTopic, m.Topic)
	require.Equal(t, int32(2), m.QueueID)

	huge := newMsg("Real", 0, "clamped", map[string]string{message.PropertyDelayTimeLevel: "99"})
	require.Equal(t, PutOK, s.PutMessage(ctx, huge).Status)
	require.Equal(t, int32(17), huge.QueueID)

	prepared := newMsg("Tx", 0, "half", nil)
	prepared.SysFlag = message.SysFlagTransactionPrepared
	res = s.PutMessage(ctx, prepared)
	require.Equal(t, PutOK, res.Status)
	require.Equal(t, int64(0), res.QueueOffset)
	rollback := newMsg("Tx", 0, "rb", map[string]string{message.PropertyKeys: "rbkey"})
	rollback.SysFlag = message.SysFlagTransactionRollback
	require.Equal(t, PutOK, s.PutMessage(ctx, rollback).Status)
	commit := newMsg("Tx", 0, "commit", nil)
	commit.SysFlag = message.SysFlagTransactionCommit
	commit.PreparedTransactionOffset = prepared.CommitLogOffset
	res = s.PutMessage(ctx, commit)
	require.Equal(t, int64(0), res.QueueOffset, "prepared and rollback records take no queue offset")
	waitDispatched(t, s)

	got := s.GetMessage("g", ScheduleTopic, 2, 0, 32, nil)
	require.Len(t, got.Messages, 1)
	dm, _, err := message.DecodeRecord(got.Messages[0])
	require.NoError(t, err)
	require.Equal(t, "Real", dm.Properties[message.PropertyRealTopic])
	require.Equal(t, "3", dm.Properties[message.PropertyRealQueueID])
	require.Equal(t, int64(1), s.MaxOffsetInQueue("Tx", 0), "only the commit record is in the queue")
	cm, _, err := message.DecodeRecord(s.GetMessage("g", "Tx", 0, 0, 32, nil).Messages[0])
	require.NoError(t, err)
	require.Equal(t, "commit", string(cm.Body))
	require.Equal(t, prepared.CommitLogOffset, cm.PreparedTransactionOffset)
	require.Empty(t, s.QueryMessage("Tx", "rbkey", 32, 0, time.Now().UnixMilli()+1000).Messages)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 3)
	require.Equal(t, ScheduleTopic, seen[0].Topic)
	require.Equal(t, seen[0].StoreTimestamp+10000, seen[0].TagsCode, "level 3 delivers 10 s after store")
	require.Equal(t, seen[1].StoreTimestamp+2*time.Hour.Milliseconds(), seen[1].TagsCode)
	require.Equal(t, "Tx", seen[2].Topic)
}

func TestStorePutMessagesBatch(t *testing.T) {
	s := openTestStore(t, testConfig(t.TempDir()))
	ctx := context.Background()
	var batch []*message.MessageExt
	for i := range 5 {
		batch = append(batch, newMsg("B", 1, "m"+strconv.Itoa(i), map[string]string{"i": strconv.Itoa(i)}))
	}
	res := s.PutMessages(ctx, batch)
	require.Equal(t, PutOK, res.Status, res.Remark)
	require.Equal(t, int32(5), res.MsgNum)
	require.Equal(t, int64(0), res.QueueOffset)
	require.Len(t, splitComma(res.MsgID), 5)
	res = s.PutMessages(ctx, batch[:2])
	require.Equal(t, int64(5), res.QueueOffset)
	waitDispatched(t, s)
	got := s.GetMessage("g", "B", 1, 0, 32, nil)
	require.Len(t, got.Messages, 7)

	bad := []*message.MessageExt{newMsg("B", 1, "x", map[string]string{message.PropertyDelayTimeLevel: "1"})}
	require.Equal(t, MessageIllegal, s.PutMessages(ctx, bad).Status)
	require.Equal(t, MessageIllegal, s.PutMessages(ctx, nil).Status)
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func TestStorePutRejects(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MaxMessageSize = 1024
	s := openTestStore(t, cfg)
	ctx := context.Background()
	cases := []struct {
		name   string
		msg    *message.MessageExt
		status PutStatus
	}{
		{"body-too-big", newMsg("T", 0, string(make([]byte, 1025)), nil), MessageIllegal},
		{"topic-too-long", newMsg(string(make([]byte, 128)), 0, "x", nil), MessageIllegal},
		{"properties-too-long", newMsg("T", 0, "x", map[string]string{"p": string(make([]byte, 40000))}), PropertiesSizeExceeded},
		{"topic-empty", newMsg("", 0, "x", nil), MessageIllegal},
		{"topic-path", newMsg("../etc", 0, "x", nil), MessageIllegal},
		{"topic-dot", newMsg("..", 0, "x", nil), MessageIllegal},
		{"queue-negative", newMsg("T", -1, "x", nil), MessageIllegal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := s.PutMessage(ctx, tc.msg)
			require.Equal(t, tc.status, res.Status)
			require.NotEmpty(t, res.Remark)
		})
	}
	require.Equal(t, MessageIllegal, s.PutMessage(ctx, nil).Status)
	require.Equal(t, MessageIllegal, s.PutMessages(ctx, []*message.MessageExt{nil}).Status)
	ok, _ := s.Writable()
	require.True(t, ok, "rejected puts leave the store writable")
	s.SetWritable("disk full")
	res := s.PutMessage(ctx, newMsg("T", 0, "x", nil))
	require.Equal(t, ServiceNotAvailable, res.Status)
	require.Contains(t, res.Remark, "disk full")
	s.SetWritable("")
	require.Equal(t, PutOK, s.PutMessage(ctx, newMsg("T", 0, "x", nil)).Status)
	require.True(t, s.setUnwritable("consume queue write failed: test"))
	require.False(t, s.setUnwritable("again"), "the first failure is kept and logged once")
	s.SetWritable("")
	res = s.PutMessage(ctx, newMsg("T", 0, "x", nil))
	require.Equal(t, ServiceNotAvailable, res.Status, "a consume-queue failure lasts until restart")
	require.Contains(t, res.Remark, "consume queue write failed")
	s.failed.Store(nil)
	require.NoError(t, s.Close())
	require.Equal(t, ServiceNotAvailable, s.PutMessage(ctx, newMsg("T", 0, "x", nil)).Status)
}

func TestStoreSlaveRefusesPutsAndReplaysRaw(t *testing.T) {
	master := openTestStore(t, testConfig(t.TempDir()))
	ctx := context.Background()
	for i := range 300 {
		require.Equal(t, PutOK, master.PutMessage(ctx, newMsg("T", int32(i%3), string(make([]byte, 500)), map[string]string{message.PropertyKeys: "k" + strconv.Itoa(i)})).Status)
	}
	cfg := testConfig(t.TempDir())
	cfg.BrokerRole = Slave
	slave := openTestStore(t, cfg)
	require.Equal(t, ServiceNotAvailable, slave.PutMessage(ctx, newMsg("T", 0, "x", nil)).Status)
	// Replicate in odd-sized chunks so records arrive split.
	for off := int64(0); off < master.MaxPhyOffset(); {
		data := master.GetCommitLogData(off, 777)
		require.NotEmpty(t, data)
		require.NoError(t, slave.AppendToCommitLog(off, data))
		off += int64(len(data))
	}
	require.Error(t, slave.AppendToCommitLog(5, []byte{1}), "only at the end")
	waitDispatched(t, master)
	waitDispatched(t, slave)
	for q := range int32(3) {
		require.Equal(t, master.MaxOffsetInQueue("T", q), slave.MaxOffsetInQueue("T", q))
	}
	require.Len(t, slave.QueryMessage("T", "k17", 32, 0, time.Now().UnixMilli()+1000).Messages, 1)
}

func TestStoreLockFileSecondOpenFails(t *testing.T) {
	cfg := testConfig(t.TempDir())
	s := openTestStore(t, cfg)
	_, err := Open(cfg, nil)
	require.ErrorContains(t, err, filepath.Join(cfg.StorePathRootDir, "lock"))
	require.NoError(t, s.Close())
	s2, err := Open(cfg, nil)
	require.NoError(t, err)
	require.NoError(t, s2.Close())
}

func TestStoreAbortFileMarksUncleanExit(t *testing.T) {
	cfg := testConfig(t.TempDir())
	s := openTestStore(t, cfg)
	_, err := os.Stat(filepath.Join(cfg.StorePathRootDir, "abort"))
	require.NoError(t, err, "abort exists while running")
	require.NoError(t, s.Close())
	_, err = os.Stat(filepath.Join(cfg.StorePathRootDir, "abort"))
	require.True(t, os.IsNotExist(err))
	s, err = Open(cfg, nil)
	require.NoError(t, err)
	require.True(t, s.LastExitOK())
	require.NoError(t, s.Close())
}

func TestStoreSyncFlushGroupCommit(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.FlushDiskType = SyncFlush
	cfg.MappedFileSizeCommitLog = 1 << 20
	s := openTestStore(t, cfg)
	const writers, each = 16, 20
	var wg sync.WaitGroup
	errs := make(chan string, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				m := newMsg("S", int32(w%4), "durable", nil)
				res := s.PutMessage(context.Background(), m)
				if res.Status != PutOK {
					errs <- res.Status.String()
				}
				if s.FlushedPhyOffset() < res.WroteOffset+int64(res.WroteBytes) {
					errs <- "acknowledged before flushed"
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	require.Equal(t, s.MaxPhyOffset(), s.FlushedPhyOffset())
	require.LessOrEqual(t, s.commitLog.q.syncs.Load(), int64(writers*each))

	// WAIT=false returns at once; the flush still happens.
	res := s.PutMessage(context.Background(), newMsg("S", 0, "nowait", map[string]string{message.PropertyWaitStoreMsgOK: "false"}))
	require.Equal(t, PutOK, res.Status)
	require.Eventually(t, func() bool { return s.FlushedPhyOffset() == s.MaxPhyOffset() }, 10*time.Second, time.Millisecond)
}

func TestStoreConfigDefaultsMatchTags(t *testing.T) {
	cfg := DefaultConfig("/x")
	v := reflect.ValueOf(cfg)
	for i := range v.NumField() {
		f := v.Type().Field(i)
		tag := f.Tag.Get("properties")
		if tag == "-" || f.Name == "StorePathRootDir" {
			continue
		}
		_, def, ok := strings.Cut(tag, ",default=")
		require.True(t, ok, f.Name)
		require.Equal(t, def, fmt.Sprint(v.Field(i).Interface()), f.Name)
	}
	require.NoError(t, cfg.Validate())
	require.Equal(t, 6000000, cfg.ConsumeQueueFileSize())
	cfg.MappedFileSizeConsumeQueue = 6000001
	require.Equal(t, 6000020, cfg.ConsumeQueueFileSize())
	require.Equal(t, "/x/commitlog", cfg.CommitLogDir())
	levels, err := ParseDelayLevels(cfg.MessageDelayLevel)
	require.NoError(t, err)
	require.Len(t, levels, 18)
	require.Equal(t, 2*time.Hour, levels[17])
	_, err = ParseDelayLevels("1s 2x")
	require.ErrorContains(t, err, "2x")
	var ft FlushDiskType
	require.Error(t, ft.UnmarshalText([]byte("sync_flush")))
	require.NoError(t, ft.UnmarshalText([]byte("SYNC_FLUSH")))
	bad := DefaultConfig("/x")
	bad.FlushDiskType = "X"
	require.ErrorContains(t, bad.Validate(), "flushDiskType")
	bad = DefaultConfig("/x")
	bad.StorePathCommitLog = "/a,/b"
	require.ErrorContains(t, bad.Validate(), "storePathCommitLog")
	_, err = Open(bad, nil)
	require.ErrorContains(t, err, "storePathCommitLog")
}

func TestStoreSlaveStartsAtMasterFileBoundary(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.BrokerRole = Slave
	s := openTestStore(t, cfg)
	size := int64(cfg.MappedFileSizeCommitLog)
	require.ErrorContains(t, s.AppendToCommitLog(size+5, []byte{1}), "not a file boundary")

	// A record as the master would have stored it at offset 2*size.
	m := newMsg("T", 0, "from master", nil)
	m.StoreHost = cfg.StoreHost
	m.CommitLogOffset = 2 * size
	m.QueueOffset = 7
	rec, err := message.EncodeRecord(m)
	require.NoError(t, err)
	require.NoError(t, s.AppendToCommitLog(2*size, rec))
	waitDispatched(t, s)
	require.Equal(t, 2*size, s.MinPhyOffset())
	require.Equal(t, int64(8), s.MaxOffsetInQueue("T", 0))
	got := s.GetMessage("g", "T", 0, 7, 32, nil)
	require.Equal(t, Found, got.Status)
	require.Equal(t, rec, got.Messages[0])
}
