package protocol

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

// Golden bodies as Java 4.9.8 (fastjson 1.2.69) writes them
// (wire-protocol.md §6.1, §6.2, §6.5, all marked verified there).
const (
	goldenRouteDefault  = `{"brokerDatas":[{"brokerAddrs":{0:"192.168.0.1:10911",1:"192.168.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`
	goldenRouteStandard = `{"brokerDatas":[{"brokerAddrs":{"0":"192.168.0.1:10911","1":"192.168.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`
	goldenClusterInfo   = `{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"192.168.0.1:10911",1:"192.168.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}`
	goldenRegisterBody  = `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"timestamp":1700000000000},"topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}}`
)

func sampleBrokerData() *BrokerData {
	return &BrokerData{
		BrokerAddrs: map[int64]string{1: "192.168.0.2:10911", 0: "192.168.0.1:10911"},
		BrokerName:  "broker-a",
		Cluster:     "DefaultCluster",
	}
}

func sampleRoute() *TopicRouteData {
	return &TopicRouteData{
		BrokerDatas:       []*BrokerData{sampleBrokerData()},
		FilterServerTable: map[string][]string{},
		QueueDatas:        []*QueueData{{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4}},
	}
}

func TestRouteDataEncodeGolden(t *testing.T) {
	r := sampleRoute()
	require.Equal(t, goldenRouteDefault, string(r.Encode(false)))
	require.Equal(t, goldenRouteStandard, string(r.Encode(true)))
}

func TestRouteDataEncodeOrderTopicConfAndEscapes(t *testing.T) {
	r := sampleRoute()
	r.OrderTopicConf = "broker-a:4"
	r.BrokerDatas[0].Cluster = "集群\"x\"\n"
	def := string(r.Encode(false))
	require.Contains(t, def, `"cluster":"集群\"x\"\n"`)
	require.Contains(t, def, `"filterServerTable":{},"orderTopicConf":"broker-a:4","queueDatas"`)
	std := string(r.Encode(true))
	require.Contains(t, std, `"cluster":"\u96c6\u7fa4\"x\"\n"`)
	got, err := DecodeTopicRouteData([]byte(std))
	require.NoError(t, err)
	require.Equal(t, "集群\"x\"\n", got.BrokerDatas[0].Cluster)
}

func TestRouteDataDecodeBothDialects(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"bare keys", goldenRouteDefault},
		{"quoted keys", goldenRouteStandard},
		{"spaces and other order", `{ "queueDatas" : [ {"writeQueueNums":4,"topicSynFlag":1,"readQueueNums":4,"perm":6,"brokerName":"broker-a"} ],
			"brokerDatas":[{"cluster":"DefaultCluster","brokerName":"broker-a","brokerAddrs":{ 1 : "192.168.0.2:10911", 0:"192.168.0.1:10911"}}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeTopicRouteData([]byte(tc.body))
			require.NoError(t, err)
			require.Len(t, r.BrokerDatas, 1)
			require.Equal(t, sampleBrokerData(), r.BrokerDatas[0])
			require.Len(t, r.QueueDatas, 1)
			require.Equal(t, "broker-a", r.QueueDatas[0].BrokerName)
			require.EqualValues(t, 6, r.QueueDatas[0].Perm)
			require.EqualValues(t, 4, r.QueueDatas[0].ReadQueueNums)
			require.EqualValues(t, 4, r.QueueDatas[0].WriteQueueNums)
		})
	}
	r, err := DecodeTopicRouteData([]byte(`{"queueDatas":[{"brokerName":"b","topicSynFlag":2}],"brokerDatas":[]}`))
	require.NoError(t, err)
	require.EqualValues(t, 2, r.QueueDatas[0].TopicSysFlag, "pre-4.9.0 member name")
}

func TestRouteDataDecodeRejectsGarbage(t *testing.T) {
	for _, body := range []string{``, `{`, `{"brokerDatas":[null]}`, `{"queueDatas":[null]}`, `{"brokerDatas":"x"}`, `{"a":"unterminated}`, `[1,2`} {
		_, err := DecodeTopicRouteData([]byte(body))
		require.Error(t, err, "body %q", body)
	}
}

func TestRouteClusterInfoGolden(t *testing.T) {
	c := &ClusterInfo{
		BrokerAddrTable:  map[string]*BrokerData{"broker-a": sampleBrokerData()},
		ClusterAddrTable: map[string][]string{"DefaultCluster": {"broker-a"}},
	}
	require.Equal(t, goldenClusterInfo, string(c.Encode()))
	got, err := DecodeClusterInfo([]byte(goldenClusterInfo))
	require.NoError(t, err)
	require.Equal(t, c, got)
}

func TestRouteRegisterBodyGolden(t *testing.T) {
	tc := NewTopicConfig("TopicTest", 4, 4, 6)
	b := &RegisterBrokerBody{TopicConfigSerializeWrapper: TopicConfigSerializeWrapper{
		DataVersion:      DataVersion{Counter: 3, Timestamp: 1700000000000},
		TopicConfigTable: map[string]*TopicConfig{"TopicTest": &tc},
	}}
	require.Equal(t, goldenRegisterBody, string(b.Encode()))
	got, err := DecodeRegisterBrokerBody([]byte(goldenRegisterBody), false)
	require.NoError(t, err)
	require.Equal(t, []string{}, got.FilterServerList)
	require.Equal(t, b.TopicConfigSerializeWrapper, got.TopicConfigSerializeWrapper)

	empty, err := DecodeRegisterBrokerBody(nil, false)
	require.NoError(t, err)
	require.Equal(t, DataVersion{}, empty.TopicConfigSerializeWrapper.DataVersion)
	require.Empty(t, empty.TopicConfigSerializeWrapper.TopicConfigTable)
}

// compressedFixture builds a compressed register body from the layout in
// RegisterBrokerBody.java, independently of EncodeCompressed.
func compressedFixture(t *testing.T, topicTexts []string, trailer bool) []byte {
	t.Helper()
	var raw bytes.Buffer
	chunk := func(s string) {
		require.NoError(t, binary.Write(&raw, binary.BigEndian, int32(len(s))))
		raw.WriteString(s)
	}
	chunk(`{"counter":7,"timestamp":1700000000001}`)
	require.NoError(t, binary.Write(&raw, binary.BigEndian, int32(len(topicTexts))))
	for _, s := range topicTexts {
		chunk(s)
	}
	if trailer {
		chunk(`["10.0.0.9:10999"]`)
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	_, err := zw.Write(raw.Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return z.Bytes()
}

func TestRouteRegisterBodyCompressed(t *testing.T) {
	fixture := compressedFixture(t, []string{"TopicA 4 8 6 SINGLE_TAG", "TopicB 1 1 4 MULTI_TAG"}, true)
	got, err := DecodeRegisterBrokerBody(fixture, true)
	require.NoError(t, err)
	require.Equal(t, DataVersion{Counter: 7, Timestamp: 1700000000001}, got.TopicConfigSerializeWrapper.DataVersion)
	require.Equal(t, []string{"10.0.0.9:10999"}, got.FilterServerList)
	a := got.TopicConfigSerializeWrapper.TopicConfigTable["TopicA"]
	require.NotNil(t, a)
	require.Equal(t, TopicConfig{TopicName: "TopicA", ReadQueueNums: 4, WriteQueueNums: 8, Perm: 6, TopicFilterType: FilterSingleTag}, *a)
	require.EqualValues(t, 4, got.TopicConfigSerializeWrapper.TopicConfigTable["TopicB"].Perm)

	// Round trip through our encoder.
	again, err := DecodeRegisterBrokerBody(got.EncodeCompressed(), true)
	require.NoError(t, err)
	require.Equal(t, got, again)

	for name, body := range map[string][]byte{
		"not zlib":    []byte("garbage"),
		"short topic": compressedFixture(t, []string{"TopicA 4 8"}, true),
		"bad number":  compressedFixture(t, []string{"TopicA x 8 6 SINGLE_TAG"}, true),
		"truncated":   compressedFixture(t, []string{"TopicA 4 8 6 SINGLE_TAG"}, false),
	} {
		_, err := DecodeRegisterBrokerBody(body, true)
		require.Error(t, err, name)
	}
}

func TestRouteKVTableAndTopicList(t *testing.T) {
	require.Equal(t, `{"table":{"TopicA":"broker-a:4","TopicB":"a<b"}}`, string(MarshalCompact(&KVTable{Table: map[string]string{"TopicB": "a<b", "TopicA": "broker-a:4"}})))
	require.Equal(t, `{"topicList":["a","b"]}`, string(MarshalCompact(&TopicList{TopicList: []string{"a", "b"}})))
	require.Equal(t, `{"brokerAddr":"1.2.3.4:10911","topicList":[]}`, string(MarshalCompact(&TopicList{BrokerAddr: "1.2.3.4:10911", TopicList: []string{}})))
}

func FuzzRouteDecode(f *testing.F) {
	f.Add([]byte(goldenRouteDefault))
	f.Add([]byte(goldenRouteStandard))
	f.Add([]byte(goldenClusterInfo))
	f.Add([]byte(`{-1e5:"x",}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if r, err := DecodeTopicRouteData(b); err == nil {
			for _, std := range []bool{false, true} {
				again, err := DecodeTopicRouteData(r.Encode(std))
				require.NoError(t, err)
				require.Equal(t, len(r.BrokerDatas), len(again.BrokerDatas))
				require.Equal(t, len(r.QueueDatas), len(again.QueueDatas))
			}
		}
		if c, err := DecodeClusterInfo(b); err == nil {
			_, err := DecodeClusterInfo(c.Encode())
			require.NoError(t, err)
		}
	})
}

func FuzzRouteRegisterBody(f *testing.F) {
	f.Add([]byte(goldenRegisterBody), false)
	f.Add([]byte(`{"topicConfigSerializeWrapper":{"topicConfigTable":{"a":null}}}`), false)
	var raw bytes.Buffer
	zw := zlib.NewWriter(&raw)
	_, _ = zw.Write([]byte{0, 0, 0, 2, '{', '}', 0, 0, 0, 1, 0, 0, 0, 9, 'a', ' ', '1', ' ', '1', ' ', '6', ' ', 'S', 0, 0, 0, 2, '[', ']'})
	_ = zw.Close()
	f.Add(raw.Bytes(), true)
	f.Fuzz(func(t *testing.T, b []byte, compressed bool) {
		body, err := DecodeRegisterBrokerBody(b, compressed)
		if err != nil {
			return
		}
		again, err := DecodeRegisterBrokerBody(body.Encode(), false)
		require.NoError(t, err)
		require.Equal(t, len(body.TopicConfigSerializeWrapper.TopicConfigTable), len(again.TopicConfigSerializeWrapper.TopicConfigTable))
		// The text form cannot carry names with spaces (as in Java), so
		// only check that decoding our own compressed output never panics.
		_, _ = DecodeRegisterBrokerBody(body.EncodeCompressed(), true)
	})
}

func BenchmarkRouteEncode(b *testing.B) {
	r := sampleRoute()
	for _, std := range []bool{false, true} {
		b.Run("standard="+map[bool]string{false: "false", true: "true"}[std], func(b *testing.B) {
			b.SetBytes(int64(len(r.Encode(std))))
			b.ReportAllocs()
			for b.Loop() {
				_ = r.Encode(std)
			}
		})
	}
	b.Run("decode", func(b *testing.B) {
		body := []byte(goldenRouteDefault)
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeTopicRouteData(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
