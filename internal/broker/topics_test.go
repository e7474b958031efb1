package broker

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// testConfig is a default Config with fixed names.
func testConfig() *Config {
	c := NewConfig()
	c.BrokerName = "broker-a"
	c.BrokerClusterName = "DefaultCluster"
	return c
}

func copyTestdata(t *testing.T, name, dir, as string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, as), data, 0o644))
}

func TestTopicTableBootTopics(t *testing.T) {
	tt, err := NewTopicTable(t.TempDir(), testConfig(), zaptest.NewLogger(t))
	require.NoError(t, err)
	cases := []struct {
		topic  string
		queues int32
		perm   int32
	}{
		{"SELF_TEST_TOPIC", 1, 6},
		{"TBW102", 8, 7},
		{"BenchmarkTest", 1024, 6},
		{"DefaultCluster", 16, 7},
		{"broker-a", 1, 7},
		{"OFFSET_MOVED_EVENT", 1, 6},
		{"SCHEDULE_TOPIC_XXXX", 18, 6},
		{"DefaultCluster_REPLY_TOPIC", 1, 6},
	}
	for _, tc := range cases {
		got := tt.Get(tc.topic)
		require.NotNil(t, got, tc.topic)
		require.Equal(t, protocol.TopicConfig{Perm: tc.perm, ReadQueueNums: tc.queues, WriteQueueNums: tc.queues,
			TopicFilterType: "SINGLE_TAG", TopicName: tc.topic}, *got)
	}
	require.Equal(t, len(cases), tt.Len())
	require.Nil(t, tt.Get("RMQ_SYS_TRACE_TOPIC"))
	for _, sys := range []string{"DefaultCluster", "broker-a", "DefaultCluster_REPLY_TOPIC", "TBW102", "rmq_sys_anything", "SCHEDULE_TOPIC_XXXX"} {
		require.True(t, tt.IsSystemTopic(sys), sys)
	}
	require.False(t, tt.IsSystemTopic("TopicTest"))
	require.False(t, tt.IsSystemTopic("%RETRY%cg"))

	c := testConfig()
	c.AutoCreateTopicEnable = false
	c.ClusterTopicEnable = false
	c.BrokerTopicEnable = false
	c.TraceTopicEnable = true
	tt, err = NewTopicTable(t.TempDir(), c, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.Nil(t, tt.Get("TBW102"))
	require.EqualValues(t, 1, tt.Get("DefaultCluster").Perm)
	require.EqualValues(t, 1, tt.Get("broker-a").Perm)
	require.NotNil(t, tt.Get("RMQ_SYS_TRACE_TOPIC"))
	// Nothing is written until the first change.
	_, err = os.Stat(filepath.Join(tt.path))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestTopicTableLoadsJavaFile(t *testing.T) {
	dir := t.TempDir()
	copyTestdata(t, "topics.java.json", dir, "topics.json")
	tt, err := NewTopicTable(dir, testConfig(), zaptest.NewLogger(t))
	require.NoError(t, err)
	require.Equal(t, &protocol.TopicConfig{Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4, TopicFilterType: "SINGLE_TAG", TopicName: "TopicTest"}, tt.Get("TopicTest"))
	require.Equal(t, protocol.DataVersion{Counter: 3, Timestamp: 1700000000000}, tt.DataVersion())
	require.NotNil(t, tt.Get("TBW102"), "built-in topics stay")
}

func TestTopicTableEncodeMatchesJava(t *testing.T) {
	// The GET_ALL_TOPIC_CONFIG body of wire-protocol.md §10.1, for a table
	// holding only TopicTest.
	const golden = `{"dataVersion":{"counter":3,"timestamp":1700000000000},"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}`
	tt, err := NewTopicTable(t.TempDir(), testConfig(), zaptest.NewLogger(t))
	require.NoError(t, err)
	m, v := decodeTopicTableMust(t, golden)
	changed, err := tt.Replace(m, v)
	require.NoError(t, err)
	require.True(t, changed)
	require.Equal(t, golden, string(tt.Encode(false)))

	// On disk: fastjson's pretty form, as a Java broker writes topics.json.
	want, err := os.ReadFile(filepath.Join("testdata", "topics.java.json"))
	require.NoError(t, err)
	got, err := os.ReadFile(tt.path)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))

	// Same version again: nothing to do.
	changed, err = tt.Replace(m, v)
	require.NoError(t, err)
	require.False(t, changed)
}

func decodeTopicTableMust(t *testing.T, s string) (map[string]protocol.TopicConfig, protocol.DataVersion) {
	t.Helper()
	m, v, err := DecodeTopicTable([]byte(s))
	require.NoError(t, err)
	return m, v
}

func TestTopicTablePersistAndRestart(t *testing.T) {
	dir := t.TempDir()
	lg := zaptest.NewLogger(t)
	tt, err := NewTopicTable(dir, testConfig(), lg)
	require.NoError(t, err)
	v0 := tt.DataVersion()
	var mu sync.Mutex
	var changes [][]protocol.TopicConfig
	tt.OnChange(func(c []protocol.TopicConfig) {
		mu.Lock()
		changes = append(changes, c)
		mu.Unlock()
	})

	a := protocol.NewTopicConfig("TopicA", 4, 4, 6)
	require.NoError(t, tt.Update(a))
	require.Equal(t, v0.Counter+1, tt.DataVersion().Counter)
	b := protocol.NewTopicConfig("TopicB", 2, 2, 4)
	b.TopicFilterType = protocol.FilterMultiTag
	require.NoError(t, tt.Update(b))
	require.Equal(t, v0.Counter+2, tt.DataVersion().Counter)
	require.Equal(t, [][]protocol.TopicConfig{{a}, {b}}, changes)

	// The .bak holds the previous content (TopicA only).
	bak, err := os.ReadFile(tt.path + ".bak")
	require.NoError(t, err)
	require.Contains(t, string(bak), `"TopicA"`)
	require.NotContains(t, string(bak), `"TopicB"`)
	_, err = os.Stat(tt.path + ".tmp")
	require.ErrorIs(t, err, os.ErrNotExist)

	existed, err := tt.Delete("TopicA")
	require.NoError(t, err)
	require.True(t, existed)
	existed, err = tt.Delete("TopicA")
	require.NoError(t, err)
	require.False(t, existed)
	require.Nil(t, changes[2])

	re, err := NewTopicTable(dir, testConfig(), lg)
	require.NoError(t, err)
	require.Nil(t, re.Get("TopicA"))
	require.Equal(t, &b, re.Get("TopicB"))
	require.Equal(t, tt.DataVersion(), re.DataVersion())

	// A torn main file falls back to the .bak (which still has TopicA).
	require.NoError(t, os.WriteFile(tt.path, []byte(`{"dataVersion":{"coun`), 0o644))
	re, err = NewTopicTable(dir, testConfig(), lg)
	require.NoError(t, err)
	require.NotNil(t, re.Get("TopicA"))

	// An empty main file falls back too.
	require.NoError(t, os.WriteFile(tt.path, nil, 0o644))
	re, err = NewTopicTable(dir, testConfig(), lg)
	require.NoError(t, err)
	require.NotNil(t, re.Get("TopicB"))

	// Both unreadable: the broker must not start.
	require.NoError(t, os.WriteFile(tt.path+".bak", []byte("garbage"), 0o644))
	require.NoError(t, os.WriteFile(tt.path, []byte("garbage"), 0o644))
	_, err = NewTopicTable(dir, testConfig(), lg)
	require.ErrorContains(t, err, "topics.json.bak")

	// Neither present: start with the built-ins.
	require.NoError(t, os.Remove(tt.path))
	require.NoError(t, os.Remove(tt.path+".bak"))
	re, err = NewTopicTable(dir, testConfig(), lg)
	require.NoError(t, err)
	require.Equal(t, 8, re.Len())
}

func TestTopicTableCreateInSendMessage(t *testing.T) {
	tt, err := NewTopicTable(t.TempDir(), testConfig(), zaptest.NewLogger(t))
	require.NoError(t, err)
	var changed []string
	tt.OnChange(func(c []protocol.TopicConfig) {
		for _, tc := range c {
			changed = append(changed, tc.TopicName)
		}
	})

	tc, err := tt.CreateTopicInSendMessage("NewTopic", "TBW102", 4, 0)
	require.NoError(t, err)
	require.Equal(t, &protocol.TopicConfig{Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4, TopicFilterType: "SINGLE_TAG", TopicName: "NewTopic"}, tc)
	require.Equal(t, tc, tt.Get("NewTopic"))

	// Capped at the template's 8 queues; the sys flag is kept.
	tc, err = tt.CreateTopicInSendMessage("BigTopic", "TBW102", 16, 1)
	require.NoError(t, err)
	require.EqualValues(t, 8, tc.WriteQueueNums)
	require.EqualValues(t, 8, tc.ReadQueueNums)
	require.EqualValues(t, 1, tc.TopicSysFlag)

	// Existing topics come back unchanged.
	tc, err = tt.CreateTopicInSendMessage("NewTopic", "TBW102", 2, 0)
	require.NoError(t, err)
	require.EqualValues(t, 4, tc.WriteQueueNums)

	// No template, or a template without the inherit bit: no topic.
	tc, err = tt.CreateTopicInSendMessage("X1", "NoSuchTemplate", 4, 0)
	require.NoError(t, err)
	require.Nil(t, tc)
	tc, err = tt.CreateTopicInSendMessage("X2", "NewTopic", 4, 0)
	require.NoError(t, err)
	require.Nil(t, tc)
	require.Nil(t, tt.Get("X1"))
	require.Equal(t, []string{"NewTopic", "BigTopic"}, changed)

	// A TBW102 left in topics.json does not allow creation when
	// autoCreateTopicEnable is off.
	dir := t.TempDir()
	c := testConfig()
	c.AutoCreateTopicEnable = false
	tt2, err := NewTopicTable(dir, c, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NoError(t, tt2.Update(protocol.NewTopicConfig("TBW102", 8, 8, 7)))
	tc, err = tt2.CreateTopicInSendMessage("Y", "TBW102", 4, 0)
	require.NoError(t, err)
	require.Nil(t, tc)

	// Retry and DLQ topics.
	rt, err := tt.CreateTopicInSendMessageBack(RetryTopic("cg"), 1, 6, 0)
	require.NoError(t, err)
	require.Equal(t, &protocol.TopicConfig{Perm: 6, ReadQueueNums: 1, WriteQueueNums: 1, TopicFilterType: "SINGLE_TAG", TopicName: "%RETRY%cg"}, rt)
	again, err := tt.CreateTopicInSendMessageBack(RetryTopic("cg"), 3, 2, 0)
	require.NoError(t, err)
	require.Equal(t, rt, again)
}

func TestTopicTableConcurrentCreate(t *testing.T) {
	tt, err := NewTopicTable(t.TempDir(), testConfig(), zaptest.NewLogger(t))
	require.NoError(t, err)
	var mu sync.Mutex
	created := 0
	tt.OnChange(func(c []protocol.TopicConfig) {
		mu.Lock()
		created += len(c)
		mu.Unlock()
	})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			tc, err := tt.CreateTopicInSendMessage("Same", "TBW102", 4, 0)
			require.NoError(t, err)
			require.NotNil(t, tc)
		})
	}
	wg.Wait()
	require.Equal(t, 1, created)
}

func TestTopicTableValidate(t *testing.T) {
	cases := []struct{ topic, remark string }{
		{"TopicTest", ""},
		{"%RETRY%cg", ""},
		{"a|b_c-d%e", ""},
		{strings.Repeat("t", 127), ""},
		{"", "The specified topic is blank."},
		{"has space", "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"},
		{"dot.topic", "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"},
		{"at@topic", "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"},
		{"中文", "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"},
		{strings.Repeat("t", 128), "The specified topic is longer than topic max length."},
	}
	for _, tc := range cases {
		require.Equal(t, tc.remark, ValidateTopic(tc.topic), tc.topic)
	}
	require.Equal(t, "Sending message to topic[SCHEDULE_TOPIC_XXXX] is forbidden.", SendForbiddenRemark("SCHEDULE_TOPIC_XXXX"))
	require.Equal(t, "", SendForbiddenRemark("TBW102"))
	require.Equal(t, "%DLQ%cg", DLQTopic("cg"))
}

func TestTopicTablePrettyJSON(t *testing.T) {
	compact := `{"a":{"b":[1,2],"c":{},"d":[],"e":"x,{y}:\"z\""},"f":{0:1}}`
	want := "{\n\t\"a\":{\n\t\t\"b\":[\n\t\t\t1,\n\t\t\t2\n\t\t],\n\t\t\"c\":{},\n\t\t\"d\":[],\n\t\t\"e\":\"x,{y}:\\\"z\\\"\"\n\t},\n\t\"f\":{\n\t\t0:1\n\t}\n}"
	require.Equal(t, want, string(prettyJSON([]byte(compact))))
	var v any
	require.NoError(t, json.Unmarshal(prettyJSON([]byte(`{"a":[{"b":"\\"}]}`)), &v))
}

func FuzzTopicTableFile(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "topics.java.json"))
	require.NoError(f, err)
	f.Add(golden)
	f.Add([]byte(`{"topicConfigTable":{"a":{"perm":7,"topicName":"a\"\\,{}"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, v, err := DecodeTopicTable(data)
		if err != nil {
			return
		}
		tt := &TopicTable{}
		tt.mu.topics = m
		tt.mu.version = v
		if tt.mu.topics == nil {
			tt.mu.topics = map[string]protocol.TopicConfig{}
		}
		for _, pretty := range []bool{false, true} {
			m2, v2, err := DecodeTopicTable(tt.Encode(pretty))
			require.NoError(t, err)
			require.Equal(t, tt.mu.topics, m2)
			require.Equal(t, v, v2)
		}
	})
}

func TestTopicTableOrderTopics(t *testing.T) {
	tt, err := NewTopicTable(t.TempDir(), testConfig(), zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NoError(t, tt.Update(protocol.NewTopicConfig("A", 4, 4, 6)))
	require.NoError(t, tt.Update(protocol.NewTopicConfig("B", 4, 4, 6)))
	v := tt.DataVersion()
	changed, err := tt.UpdateOrderTopics(map[string]string{"A": "broker-a:4", "Unknown": "broker-a:1"})
	require.NoError(t, err)
	require.True(t, changed)
	require.True(t, tt.IsOrderTopic("A"))
	require.False(t, tt.IsOrderTopic("B"))
	require.False(t, tt.IsOrderTopic("Unknown"))
	require.Equal(t, v.Counter+1, tt.DataVersion().Counter)
	changed, err = tt.UpdateOrderTopics(map[string]string{"A": "broker-a:4"})
	require.NoError(t, err)
	require.False(t, changed)
	changed, err = tt.UpdateOrderTopics(nil)
	require.NoError(t, err)
	require.True(t, changed)
	require.False(t, tt.IsOrderTopic("A"))
}
