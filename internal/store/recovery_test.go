package store

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/stretchr/testify/require"
)

// fillStore puts n messages over 4 queues of topic "R" with keys, and
// returns their put results.
func fillStore(t *testing.T, s *Store, n int) []PutResult {
	t.Helper()
	var out []PutResult
	for i := range n {
		m := newMsg("R", int32(i%4), "payload-"+strconv.Itoa(i)+string(make([]byte, 300)), map[string]string{
			message.PropertyKeys: "key" + strconv.Itoa(i), message.PropertyTags: "t" + strconv.Itoa(i%3)})
		res := s.PutMessage(context.Background(), m)
		require.Equal(t, PutOK, res.Status)
		out = append(out, res)
	}
	waitDispatched(t, s)
	return out
}

// snapshotQueues reads every message of every queue of "R" plus a few key
// queries, to compare two stores.
func snapshotQueues(t *testing.T, s *Store) map[string][]byte {
	t.Helper()
	out := make(map[string][]byte)
	for q := range int32(4) {
		out["max"+strconv.Itoa(int(q))] = []byte(strconv.FormatInt(s.MaxOffsetInQueue("R", q), 10))
		for off := int64(0); off < s.MaxOffsetInQueue("R", q); {
			got := s.GetMessage("g", "R", q, off, 32, nil)
			require.Equal(t, Found, got.Status)
			for _, m := range got.Messages {
				out["q"+strconv.Itoa(int(q))+"@"+strconv.FormatInt(off, 10)] = m
				off++
			}
		}
	}
	for _, k := range []string{"key0", "key77", "key149"} {
		q := s.QueryMessage("R", k, 32, 0, time.Now().UnixMilli()+1000)
		out["query-"+k] = q.Messages[0]
	}
	return out
}

func TestRecoveryNormalReopenContinues(t *testing.T) {
	cfg := testConfig(t.TempDir())
	s := openTestStore(t, cfg)
	first := fillStore(t, s, 400)
	before := snapshotQueues(t, s)
	maxPhy := s.MaxPhyOffset()
	require.NoError(t, s.Close())

	s = openTestStore(t, cfg)
	require.True(t, s.LastExitOK())
	require.Equal(t, maxPhy, s.MaxPhyOffset())
	require.Equal(t, before, snapshotQueues(t, s))
	res := s.PutMessage(context.Background(), newMsg("R", 0, "next", nil))
	require.Equal(t, maxPhy, res.WroteOffset)
	require.Equal(t, int64(100), res.QueueOffset, "queue offsets continue from the consume queue")
	m, err := s.LookMessageByOffset(first[10].WroteOffset)
	require.NoError(t, err)
	require.Equal(t, first[10].MsgID, m.MsgID)
}

func TestRecoveryRebuildsConsumeQueuesAndIndex(t *testing.T) {
	for _, abnormal := range []bool{false, true} {
		t.Run("abnormal="+strconv.FormatBool(abnormal), func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			s := openTestStore(t, cfg)
			fillStore(t, s, 400)
			before := snapshotQueues(t, s)
			require.NoError(t, s.Close())
			require.NoError(t, os.RemoveAll(filepath.Join(cfg.StorePathRootDir, "consumequeue")))
			require.NoError(t, os.RemoveAll(filepath.Join(cfg.StorePathRootDir, "index")))
			if abnormal {
				require.NoError(t, os.WriteFile(filepath.Join(cfg.StorePathRootDir, "abort"), nil, 0o644))
			}
			s = openTestStore(t, cfg)
			require.Equal(t, !abnormal, s.LastExitOK())
			require.Equal(t, before, snapshotQueues(t, s))
		})
	}
}

// lastFileRecords returns the offsets of the records in the newest
// commit-log file.
func lastFileRecords(t *testing.T, cfg Config) (path string, fileStart int64, offsets []int64, sizes []int) {
	t.Helper()
	dir := cfg.CommitLogDir()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	name := ents[len(ents)-1].Name()
	b, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	start, err := strconv.ParseInt(name, 10, 64)
	require.NoError(t, err)
	for pos := 0; ; {
		rec, err := message.ParseRecord(b[pos:], true)
		if err != nil || rec.Blank {
			break
		}
		offsets = append(offsets, start+int64(pos))
		sizes = append(sizes, int(rec.Size))
		pos += int(rec.Size)
	}
	return filepath.Join(dir, name), start, offsets, sizes
}

func TestRecoveryCorruptTail(t *testing.T) {
	cases := []struct {
		name string
		// damage changes the file and returns the index (among the last
		// file's records) of the first record that must be gone.
		damage func(t *testing.T, b []byte, start int64, offsets []int64, sizes []int) int
	}{
		{"flipped-byte", func(t *testing.T, b []byte, start int64, offsets []int64, sizes []int) int {
			k := len(offsets) / 2
			b[offsets[k]-start+int64(sizes[k])-50] ^= 0x40 // inside the body
			return k
		}},
		{"torn-last-record", func(t *testing.T, b []byte, start int64, offsets []int64, sizes []int) int {
			k := len(offsets) - 1
			p := offsets[k] - start + int64(sizes[k])/2
			clear(b[p:]) // the tail of the file never reached the disk
			return k
		}},
		{"zeroed-tail", func(t *testing.T, b []byte, start int64, offsets []int64, sizes []int) int {
			k := len(offsets) - 3
			clear(b[offsets[k]-start:])
			return k
		}},
	}
	for _, tc := range cases {
		for _, abnormal := range []bool{false, true} {
			t.Run(tc.name+"/abnormal="+strconv.FormatBool(abnormal), func(t *testing.T) {
				cfg := testConfig(t.TempDir())
				s := openTestStore(t, cfg)
				results := fillStore(t, s, 400)
				require.NoError(t, s.Close())

				path, start, offsets, sizes := lastFileRecords(t, cfg)
				require.Greater(t, len(offsets), 10)
				b, err := os.ReadFile(path)
				require.NoError(t, err)
				k := tc.damage(t, b, start, offsets, sizes)
				require.NoError(t, os.WriteFile(path, b, 0o644))
				if abnormal {
					require.NoError(t, os.WriteFile(filepath.Join(cfg.StorePathRootDir, "abort"), nil, 0o644))
				}
				cut := offsets[k]

				s = openTestStore(t, cfg)
				require.Equal(t, cut, s.MaxPhyOffset(), "recovered to the last good record")
				kept := 0
				for i, r := range results {
					_, err := s.LookMessageByOffset(r.WroteOffset)
					if r.WroteOffset < cut {
						require.NoError(t, err, "message %d", i)
						kept++
					} else {
						require.Error(t, err, "message %d past the damage", i)
					}
				}
				total := int64(0)
				for q := range int32(4) {
					n := s.MaxOffsetInQueue("R", q)
					total += n
					got := s.GetMessage("g", "R", q, 0, 32, nil)
					if n > 0 {
						require.Equal(t, Found, got.Status)
					}
				}
				require.Equal(t, int64(kept), total, "consume queues hold exactly the surviving messages")
				res := s.PutMessage(context.Background(), newMsg("R", 0, "after", nil))
				require.Equal(t, PutOK, res.Status)
				require.Equal(t, cut, res.WroteOffset)
				waitDispatched(t, s)
				got := s.GetMessage("g", "R", 0, s.MaxOffsetInQueue("R", 0)-1, 1, nil)
				require.Len(t, got.Messages, 1)
				m, _, err := message.DecodeRecord(got.Messages[0])
				require.NoError(t, err)
				require.Equal(t, "after", string(m.Body))
			})
		}
	}
}

func TestRecoveryRemovesIndexFileCutShortByCrash(t *testing.T) {
	cfg := testConfig(t.TempDir())
	s := openTestStore(t, cfg)
	fillStore(t, s, 50)
	require.NoError(t, s.Close())
	dir := filepath.Join(cfg.StorePathRootDir, "index")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "29991231235959999"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(cfg.StorePathRootDir, "abort"), nil, 0o644))
	s = openTestStore(t, cfg)
	require.Len(t, s.QueryMessage("R", "key7", 32, 0, time.Now().UnixMilli()+1000).Messages, 1)
	_, err := os.Stat(filepath.Join(dir, "29991231235959999"))
	require.True(t, os.IsNotExist(err))
}

func TestRecoveryEmptyCommitLogDropsConsumeQueues(t *testing.T) {
	cfg := testConfig(t.TempDir())
	s := openTestStore(t, cfg)
	fillStore(t, s, 40)
	require.NoError(t, s.Close())
	require.NoError(t, os.RemoveAll(cfg.CommitLogDir()))
	s = openTestStore(t, cfg)
	require.Equal(t, int64(0), s.MaxPhyOffset())
	for q := range int32(4) {
		require.Equal(t, int64(0), s.MaxOffsetInQueue("R", q))
	}
	res := s.PutMessage(context.Background(), newMsg("R", 1, "fresh", nil))
	require.Equal(t, PutOK, res.Status)
	require.Equal(t, int64(0), res.QueueOffset)
	waitDispatched(t, s)
	got := s.GetMessage("g", "R", 1, 0, 32, nil)
	require.Equal(t, Found, got.Status)
	require.Len(t, got.Messages, 1)
}

func TestRecoveryDamageInOlderFileSkipsToNextFile(t *testing.T) {
	cfg := testConfig(t.TempDir())
	s := openTestStore(t, cfg)
	results := fillStore(t, s, 800)
	require.NoError(t, s.Close())
	first := filepath.Join(cfg.CommitLogDir(), fileName(0))
	b, err := os.ReadFile(first)
	require.NoError(t, err)
	// Message 20's TOTALSIZE now claims more than the file has left: the
	// normal recovery scan (last three files) never looks here.
	damaged := results[20].WroteOffset
	binary.BigEndian.PutUint32(b[damaged:], uint32(cfg.MappedFileSizeCommitLog-1))
	require.NoError(t, os.WriteFile(first, b, 0o644))
	require.NoError(t, os.RemoveAll(filepath.Join(cfg.StorePathRootDir, "consumequeue")))

	s = openTestStore(t, cfg)
	total := int64(0)
	for q := range int32(4) {
		total += s.MaxOffsetInQueue("R", q)
	}
	inFirst := 0
	for _, r := range results {
		if r.WroteOffset < int64(cfg.MappedFileSizeCommitLog) {
			inFirst++
		}
	}
	require.Equal(t, int64(len(results)-(inFirst-20)), total, "the rest of the damaged file is skipped, later files dispatched")
}

// TestRecoveryRemovesUnfinishedIndexFile: index files are sized under a
// temporary name and renamed, so a crash during creation leaves only a
// .tmp file, which the next open removes.
func TestRecoveryRemovesUnfinishedIndexFile(t *testing.T) {
	cfg := testConfig(t.TempDir())
	s := openTestStore(t, cfg)
	fillStore(t, s, 50)
	require.NoError(t, s.Close())
	dir := filepath.Join(cfg.StorePathRootDir, "index")
	tmp := filepath.Join(dir, "29991231235959999"+tmpSuffix)
	require.NoError(t, os.WriteFile(tmp, []byte{1, 2, 3}, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(cfg.StorePathRootDir, "abort"), nil, 0o644))
	s = openTestStore(t, cfg)
	require.Len(t, s.QueryMessage("R", "key7", 32, 0, time.Now().UnixMilli()+1000).Messages, 1)
	_, err := os.Stat(tmp)
	require.True(t, os.IsNotExist(err), "the unfinished index file is gone")
	names, err := filepath.Glob(filepath.Join(dir, "*"+tmpSuffix))
	require.NoError(t, err)
	require.Empty(t, names)
}
