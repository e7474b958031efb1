package broker

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

func TestOffsetTableCommitQuery(t *testing.T) {
	o, err := NewConsumerOffsetTable(t.TempDir(), zaptest.NewLogger(t))
	require.NoError(t, err)
	require.Equal(t, int64(-1), o.QueryOffset("cg", "TopicTest", 0))
	o.CommitOffset("127.0.0.1:5555", "cg", "TopicTest", 0, 12)
	o.CommitOffset("127.0.0.1:5555", "cg", "TopicTest", 1, 7)
	o.CommitOffset("127.0.0.1:5555", "cg", "TopicTest", 1, 9)
	o.CommitOffset("127.0.0.1:5555", "other", "TopicTest", 0, 1)
	o.CommitOffset("127.0.0.1:5555", "cg", "TopicB", 0, 3)
	require.Equal(t, int64(12), o.QueryOffset("cg", "TopicTest", 0))
	require.Equal(t, int64(9), o.QueryOffset("cg", "TopicTest", 1))
	require.Equal(t, map[int32]int64{0: 12, 1: 9}, o.QueryAllOffsets("cg", "TopicTest"))
	require.Equal(t, []string{"cg", "other"}, o.GroupsOfTopic("TopicTest"))
	require.Equal(t, []string{"TopicB", "TopicTest"}, o.TopicsOfGroup("cg"))

	require.Equal(t, `{"offsetTable":{"TopicB@cg":{0:3},"TopicTest@cg":{0:12,1:9},"TopicTest@other":{0:1}}}`, string(o.Encode(false)))

	require.Equal(t, 2, o.RemoveGroup("cg"))
	require.Equal(t, int64(-1), o.QueryOffset("cg", "TopicTest", 0))
	require.Equal(t, int64(1), o.QueryOffset("other", "TopicTest", 0))
	require.Equal(t, 1, o.RemoveTopic("TopicTest"))
	require.Equal(t, `{"offsetTable":{}}`, string(o.Encode(false)))
}

func TestOffsetTableJavaFileAndRestart(t *testing.T) {
	dir := t.TempDir()
	copyTestdata(t, "consumerOffset.java.json", dir, "consumerOffset.json")
	lg := zaptest.NewLogger(t)
	o, err := NewConsumerOffsetTable(dir, lg)
	require.NoError(t, err)
	require.Equal(t, int64(12), o.QueryOffset("cg", "TopicTest", 0))
	require.Equal(t, int64(7), o.QueryOffset("cg", "TopicTest", 1))
	require.Equal(t, int64(0), o.QueryOffset("cg", "%RETRY%cg", 0))
	// The GET_ALL_CONSUMER_OFFSET body of wire-protocol.md §10.1 shape.
	require.Equal(t, `{"offsetTable":{"%RETRY%cg@cg":{0:0},"TopicTest@cg":{0:12,1:7}}}`, string(o.Encode(false)))

	o.CommitOffset("h", "cg", "TopicTest", 1, 8)
	require.NoError(t, o.Persist())
	re, err := NewConsumerOffsetTable(dir, lg)
	require.NoError(t, err)
	require.Equal(t, int64(8), re.QueryOffset("cg", "TopicTest", 1))
	bak, err := os.ReadFile(filepath.Join(dir, "consumerOffset.json.bak"))
	require.NoError(t, err)
	golden, err := os.ReadFile(filepath.Join("testdata", "consumerOffset.java.json"))
	require.NoError(t, err)
	require.Equal(t, string(golden), string(bak))
}

func TestOffsetTableDecodeLenient(t *testing.T) {
	cases := []struct {
		name, in string
		want     map[string]map[int32]int64
		bad      bool
	}{
		{"bare keys", `{"offsetTable":{"t@g":{0:1,-1:2, 3 :4}}}`, map[string]map[int32]int64{"t@g": {0: 1, -1: 2, 3: 4}}, false},
		{"quoted keys", `{"offsetTable":{"t@g":{"0":1}}}`, map[string]map[int32]int64{"t@g": {0: 1}}, false},
		{"key with colon and digits in string", `{"offsetTable":{"a,1:{2}@g":{5:6}}}`, map[string]map[int32]int64{"a,1:{2}@g": {5: 6}}, false},
		{"empty", `{"offsetTable":{}}`, map[string]map[int32]int64{}, false},
		{"torn", `{"offsetTable":{"t@g":{0:`, nil, true},
		{"queue id not int", `{"offsetTable":{"t@g":{"x":1}}}`, nil, true},
		{"queue id overflow", `{"offsetTable":{"t@g":{99999999999:1}}}`, nil, true},
		{"offset not a number", `{"offsetTable":{"t@g":{0:"a"}}}`, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeOffsetTable([]byte(tc.in))
			if tc.bad {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestOffsetTableMerge(t *testing.T) {
	o, err := NewConsumerOffsetTable(t.TempDir(), zaptest.NewLogger(t))
	require.NoError(t, err)
	o.CommitOffset("h", "cg", "T", 0, 5)
	o.CommitOffset("h", "cg", "U", 0, 5)
	o.Merge(map[string]map[int32]int64{"T@cg": {0: 9, 1: 2}})
	require.Equal(t, map[int32]int64{0: 9, 1: 2}, o.QueryAllOffsets("cg", "T"))
	require.Equal(t, int64(5), o.QueryOffset("cg", "U", 0))
}

func TestOffsetTableRunPersists(t *testing.T) {
	dir := t.TempDir()
	o, err := NewConsumerOffsetTable(dir, zaptest.NewLogger(t))
	require.NoError(t, err)
	o.CommitOffset("h", "cg", "T", 0, 42)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		o.run(ctx, 10*time.Millisecond)
		close(done)
	}()
	path := filepath.Join(dir, "consumerOffset.json")
	require.Eventually(t, func() bool {
		data, err := os.ReadFile(path)
		return err == nil && len(data) > 0
	}, 5*time.Second, 5*time.Millisecond)
	o.CommitOffset("h", "cg", "T", 0, 43)
	cancel()
	<-done
	// The final persist at shutdown has the last commit.
	re, err := NewConsumerOffsetTable(dir, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.Equal(t, int64(43), re.QueryOffset("cg", "T", 0))
}

func FuzzOffsetTable(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "consumerOffset.java.json"))
	require.NoError(f, err)
	f.Add(golden)
	f.Add([]byte(`{"offsetTable":{"t@g":{0:1,-1:2}}}`))
	f.Add([]byte(`{"offsetTable":{"t@g":{"0":1}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		table, err := DecodeOffsetTable(data)
		if err != nil {
			return
		}
		o := &ConsumerOffsetTable{}
		o.mu.table = table
		// Compact and pretty encodings both decode back to the same table.
		for _, pretty := range []bool{false, true} {
			back, err := DecodeOffsetTable(o.Encode(pretty))
			require.NoError(t, err)
			require.Equal(t, table, back)
		}
	})
}

func TestOffsetTableRunInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		o, err := NewConsumerOffsetTable(dir, zap.NewNop())
		require.NoError(t, err)
		o.CommitOffset("h", "cg", "T", 0, 1)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			o.run(ctx, 5*time.Second)
			close(done)
		}()
		path := filepath.Join(dir, "consumerOffset.json")
		time.Sleep(5*time.Second - time.Millisecond)
		synctest.Wait()
		_, err = os.Stat(path)
		require.ErrorIs(t, err, os.ErrNotExist, "nothing before the first interval")
		time.Sleep(time.Millisecond)
		synctest.Wait()
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Contains(t, string(data), `"T@cg":{`)
		cancel()
		<-done
	})
}
