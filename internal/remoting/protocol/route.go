package protocol

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Name-server bodies (TopicRouteData.java, QueueData.java, BrokerData.java,
// ClusterInfo.java, RegisterBrokerBody.java, TopicConfigSerializeWrapper.java,
// KVTable.java, TopicList.java).
//
// Encoders write what fastjson 1.2.69 writes for the Java classes: compact,
// members in alphabetical order, null members left out. Maps keyed by a Java
// Long (brokerAddrs) carry bare numeric keys ({0:"a"}), which is not valid
// JSON; route replies to requesters of version >= 401 (V4_9_4) or with
// acceptStandardJsonOnly quote them. Decoders accept both forms and members in
// any order.

// Topic sys flags (TopicSysFlag.java).
const (
	TopicSysFlagUnit    = 0x1 // FLAG_UNIT
	TopicSysFlagUnitSub = 0x2 // FLAG_UNIT_SUB
)

// MasterID is the broker id of a master (MixAll.MASTER_ID).
const MasterID int64 = 0

// NamespaceOrderTopicConfig is the KV namespace holding the queue layout of
// ordered topics, "brokerName:queueNums;..." (NamesrvUtil.java).
const NamespaceOrderTopicConfig = "ORDER_TOPIC_CONFIG"

// QueueData is one broker name's queues of a topic (QueueData.java).
type QueueData struct {
	BrokerName     string `json:"brokerName"`
	Perm           int32  `json:"perm"`
	ReadQueueNums  int32  `json:"readQueueNums"`
	TopicSysFlag   int32  `json:"topicSysFlag"`
	WriteQueueNums int32  `json:"writeQueueNums"`
}

// UnmarshalJSON reads a QueueData, taking the pre-4.9.0 member name
// topicSynFlag as well as topicSysFlag.
func (q *QueueData) UnmarshalJSON(b []byte) error {
	var raw struct {
		BrokerName     string `json:"brokerName"`
		Perm           int32  `json:"perm"`
		ReadQueueNums  int32  `json:"readQueueNums"`
		TopicSysFlag   *int32 `json:"topicSysFlag"`
		TopicSynFlag   *int32 `json:"topicSynFlag"`
		WriteQueueNums int32  `json:"writeQueueNums"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*q = QueueData{BrokerName: raw.BrokerName, Perm: raw.Perm, ReadQueueNums: raw.ReadQueueNums, WriteQueueNums: raw.WriteQueueNums}
	switch {
	case raw.TopicSysFlag != nil:
		q.TopicSysFlag = *raw.TopicSysFlag
	case raw.TopicSynFlag != nil:
		q.TopicSysFlag = *raw.TopicSynFlag
	}
	return nil
}

// BrokerData is one broker name: its cluster and the address of each broker
// id, 0 being the master (BrokerData.java).
type BrokerData struct {
	BrokerAddrs map[int64]string `json:"brokerAddrs"`
	BrokerName  string           `json:"brokerName"`
	Cluster     string           `json:"cluster"`
}

// Clone returns a deep copy.
func (b *BrokerData) Clone() *BrokerData {
	c := &BrokerData{BrokerName: b.BrokerName, Cluster: b.Cluster, BrokerAddrs: make(map[int64]string, len(b.BrokerAddrs))}
	for id, addr := range b.BrokerAddrs {
		c.BrokerAddrs[id] = addr
	}
	return c
}

// TopicRouteData is the GET_ROUTEINFO_BY_TOPIC body (TopicRouteData.java).
type TopicRouteData struct {
	BrokerDatas       []*BrokerData       `json:"brokerDatas"`
	FilterServerTable map[string][]string `json:"filterServerTable"`
	OrderTopicConf    string              `json:"orderTopicConf,omitempty"`
	QueueDatas        []*QueueData        `json:"queueDatas"`
}

// Encode writes the route as fastjson does. With standard set (requester
// version >= 401 or acceptStandardJsonOnly) broker-id keys are quoted and
// non-ASCII text is escaped as \uXXXX (BrowserCompatible); otherwise the keys
// are bare numbers. Map entries are written sorted either way.
func (r *TopicRouteData) Encode(standard bool) []byte {
	w := &routeJSONWriter{quoteKeys: standard, asciiOnly: standard}
	w.byte('{')
	w.key("brokerDatas")
	w.byte('[')
	for i, bd := range r.BrokerDatas {
		if i > 0 {
			w.byte(',')
		}
		w.brokerData(bd)
	}
	w.byte(']')
	w.byte(',')
	w.key("filterServerTable")
	w.stringListMap(r.FilterServerTable)
	if r.OrderTopicConf != "" {
		w.byte(',')
		w.key("orderTopicConf")
		w.string(r.OrderTopicConf)
	}
	w.byte(',')
	w.key("queueDatas")
	w.byte('[')
	for i, qd := range r.QueueDatas {
		if i > 0 {
			w.byte(',')
		}
		w.queueData(qd)
	}
	w.byte(']')
	w.byte('}')
	return w.buf.Bytes()
}

// DecodeTopicRouteData reads a route body in either dialect.
func DecodeTopicRouteData(b []byte) (*TopicRouteData, error) {
	var r TopicRouteData
	if err := UnmarshalLenient(b, &r); err != nil {
		return nil, fmt.Errorf("decode TopicRouteData: %w", err)
	}
	for i, bd := range r.BrokerDatas {
		if bd == nil {
			return nil, fmt.Errorf("decode TopicRouteData: brokerDatas[%d] is null", i)
		}
	}
	for i, qd := range r.QueueDatas {
		if qd == nil {
			return nil, fmt.Errorf("decode TopicRouteData: queueDatas[%d] is null", i)
		}
	}
	return &r, nil
}

// ClusterInfo is the GET_BROKER_CLUSTER_INFO body (ClusterInfo.java).
type ClusterInfo struct {
	BrokerAddrTable  map[string]*BrokerData `json:"brokerAddrTable"`
	ClusterAddrTable map[string][]string    `json:"clusterAddrTable"`
}

// Encode writes the cluster info as Java 4.9.8 always does: default
// fastjson, so broker-id keys are bare numbers. Entries are sorted.
func (c *ClusterInfo) Encode() []byte {
	w := &routeJSONWriter{}
	w.byte('{')
	w.key("brokerAddrTable")
	w.byte('{')
	for i, name := range routeSortedKeys(c.BrokerAddrTable) {
		if i > 0 {
			w.byte(',')
		}
		w.key(name)
		w.brokerData(c.BrokerAddrTable[name])
	}
	w.byte('}')
	w.byte(',')
	w.key("clusterAddrTable")
	w.stringListMap(c.ClusterAddrTable)
	w.byte('}')
	return w.buf.Bytes()
}

// DecodeClusterInfo reads a ClusterInfo body, bare or quoted keys.
func DecodeClusterInfo(b []byte) (*ClusterInfo, error) {
	var c ClusterInfo
	if err := UnmarshalLenient(b, &c); err != nil {
		return nil, fmt.Errorf("decode ClusterInfo: %w", err)
	}
	for name, bd := range c.BrokerAddrTable {
		if bd == nil {
			return nil, fmt.Errorf("decode ClusterInfo: brokerAddrTable[%s] is null", name)
		}
	}
	return &c, nil
}

// TopicConfigSerializeWrapper is a broker's topic table with its version
// (TopicConfigSerializeWrapper.java).
type TopicConfigSerializeWrapper struct {
	DataVersion      DataVersion             `json:"dataVersion"`
	TopicConfigTable map[string]*TopicConfig `json:"topicConfigTable"`
}

// RegisterBrokerBody is the REGISTER_BROKER request body
// (RegisterBrokerBody.java).
type RegisterBrokerBody struct {
	FilterServerList            []string                    `json:"filterServerList"`
	TopicConfigSerializeWrapper TopicConfigSerializeWrapper `json:"topicConfigSerializeWrapper"`
}

// Encode writes the body as JSON (compressed false).
func (r *RegisterBrokerBody) Encode() []byte {
	c := *r
	if c.FilterServerList == nil {
		c.FilterServerList = []string{}
	}
	if c.TopicConfigSerializeWrapper.TopicConfigTable == nil {
		c.TopicConfigSerializeWrapper.TopicConfigTable = map[string]*TopicConfig{}
	}
	return MarshalCompact(&c)
}

// Compressed register body (RegisterBrokerBody.java encode(true)): a zlib
// stream holding
//
//	| dataVersion len int32 | dataVersion JSON |
//	| topic count int32 | count × ( len int32 | "topicName read write perm filterType" ) |
//	| filterServerList len int32 | filterServerList JSON |
//
// The topic text loses topicSysFlag and order.

// maxCompressedRegisterBody bounds the inflated size of a compressed register
// body, so a zlib bomb cannot exhaust memory: a frame is at most 16 MiB and
// topic text compresses well, so allow 256 MiB.
const maxCompressedRegisterBody = 256 << 20

// EncodeCompressed writes the zlib form (compressed true), topics sorted by name.
func (r *RegisterBrokerBody) EncodeCompressed() []byte {
	var raw bytes.Buffer
	putChunk := func(b []byte) {
		_ = binary.Write(&raw, binary.BigEndian, int32(len(b)))
		raw.Write(b)
	}
	putChunk(MarshalCompact(r.TopicConfigSerializeWrapper.DataVersion))
	table := r.TopicConfigSerializeWrapper.TopicConfigTable
	_ = binary.Write(&raw, binary.BigEndian, int32(len(table)))
	for _, name := range routeSortedKeys(table) {
		tc := table[name]
		putChunk(fmt.Appendf(nil, "%s %d %d %d %s", tc.TopicName, tc.ReadQueueNums, tc.WriteQueueNums, tc.Perm, tc.TopicFilterType))
	}
	fs := r.FilterServerList
	if fs == nil {
		fs = []string{}
	}
	putChunk(MarshalCompact(fs))
	var out bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&out, zlib.BestCompression)
	_, _ = zw.Write(raw.Bytes())
	_ = zw.Close()
	return out.Bytes()
}

// DecodeRegisterBrokerBody reads a REGISTER_BROKER body: the zlib form when
// compressed, else JSON. An empty body is an empty topic table with a zero
// DataVersion, as the Java name server treats it.
func DecodeRegisterBrokerBody(b []byte, compressed bool) (*RegisterBrokerBody, error) {
	body := &RegisterBrokerBody{TopicConfigSerializeWrapper: TopicConfigSerializeWrapper{TopicConfigTable: map[string]*TopicConfig{}}}
	if len(b) == 0 {
		return body, nil
	}
	if !compressed {
		if err := UnmarshalLenient(b, body); err != nil {
			return nil, fmt.Errorf("decode RegisterBrokerBody: %w", err)
		}
		if err := routeCheckTopicTable(body.TopicConfigSerializeWrapper.TopicConfigTable); err != nil {
			return nil, fmt.Errorf("decode RegisterBrokerBody: %w", err)
		}
		if body.TopicConfigSerializeWrapper.TopicConfigTable == nil {
			body.TopicConfigSerializeWrapper.TopicConfigTable = map[string]*TopicConfig{}
		}
		return body, nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxCompressedRegisterBody+1))
	if err != nil {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: %w", err)
	}
	if len(raw) > maxCompressedRegisterBody {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: inflated size exceeds %d bytes", maxCompressedRegisterBody)
	}
	rd := &registerBodyReader{b: raw}
	dv, err := rd.chunk("dataVersion")
	if err != nil {
		return nil, err
	}
	if err := UnmarshalLenient(dv, &body.TopicConfigSerializeWrapper.DataVersion); err != nil {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: dataVersion: %w", err)
	}
	n, err := rd.int32("topic count")
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: negative topic count %d", n)
	}
	for i := int32(0); i < n; i++ {
		text, err := rd.chunk("topic config")
		if err != nil {
			return nil, err
		}
		tc, err := routeParseTopicConfigText(string(text))
		if err != nil {
			return nil, fmt.Errorf("decode compressed RegisterBrokerBody: topic %d: %w", i, err)
		}
		body.TopicConfigSerializeWrapper.TopicConfigTable[tc.TopicName] = tc
	}
	fs, err := rd.chunk("filterServerList")
	if err != nil {
		return nil, err
	}
	if err := UnmarshalLenient(fs, &body.FilterServerList); err != nil {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: filterServerList: %w", err)
	}
	return body, nil
}

func routeCheckTopicTable(t map[string]*TopicConfig) error {
	for name, tc := range t {
		if tc == nil {
			return fmt.Errorf("topicConfigTable[%s] is null", name)
		}
	}
	return nil
}

// routeParseTopicConfigText reads TopicConfig.java's text form
// "topicName readQueueNums writeQueueNums perm topicFilterType".
func routeParseTopicConfigText(s string) (*TopicConfig, error) {
	parts := strings.Split(s, " ")
	if len(parts) < 5 {
		return nil, fmt.Errorf("topic config text %q has %d fields, want 5", s, len(parts))
	}
	tc := &TopicConfig{TopicName: parts[0], TopicFilterType: parts[4]}
	for i, dst := range []*int32{&tc.ReadQueueNums, &tc.WriteQueueNums, &tc.Perm} {
		v, err := strconv.ParseInt(parts[i+1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("topic config text %q: field %d: %w", s, i+2, err)
		}
		*dst = int32(v)
	}
	return tc, nil
}

type registerBodyReader struct {
	b   []byte
	off int
}

func (r *registerBodyReader) int32(what string) (int32, error) {
	if len(r.b)-r.off < 4 {
		return 0, fmt.Errorf("decode compressed RegisterBrokerBody: %s: truncated at byte %d", what, r.off)
	}
	v := int32(binary.BigEndian.Uint32(r.b[r.off:]))
	r.off += 4
	return v, nil
}

func (r *registerBodyReader) chunk(what string) ([]byte, error) {
	n, err := r.int32(what + " length")
	if err != nil {
		return nil, err
	}
	if n < 0 || int(n) > len(r.b)-r.off {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: %s length %d exceeds the %d bytes left", what, n, len(r.b)-r.off)
	}
	c := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return c, nil
}

// KVTable is a namespace's key/value pairs (KVTable.java).
type KVTable struct {
	Table map[string]string `json:"table"`
}

// TopicList is a list of topic names, with one broker address for
// GET_SYSTEM_TOPIC_LIST_FROM_NS (TopicList.java).
type TopicList struct {
	BrokerAddr string   `json:"brokerAddr,omitempty"`
	TopicList  []string `json:"topicList"`
}

// MarshalCompact encodes v as compact JSON without HTML escaping, the way
// fastjson writes bodies whose maps have string keys only. Struct members
// must be declared in alphabetical order to match Java byte for byte.
func MarshalCompact(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only unsupported Go types fail, which is a programming error.
		panic(fmt.Sprintf("protocol: marshal %T: %v", v, err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
}

// UnmarshalLenient decodes fastjson output into v: like json.Unmarshal, but
// object keys may also be bare numbers ({0:"a"}), as fastjson writes maps
// keyed by Long or Integer.
func UnmarshalLenient(b []byte, v any) error {
	norm, err := routeQuoteBareKeys(b)
	if err != nil {
		return err
	}
	return json.Unmarshal(norm, v)
}

var errRouteJSONNesting = errors.New("JSON nested too deeply")

// routeQuoteBareKeys copies b, putting quotes around object keys that are bare
// numbers. Everything else is left for encoding/json to validate.
func routeQuoteBareKeys(b []byte) ([]byte, error) {
	const maxDepth = 10000
	var (
		out       = make([]byte, 0, len(b)+16)
		stack     []byte // '{' or '['
		expectKey bool
	)
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(b) {
				return nil, fmt.Errorf("unterminated string at byte %d", i)
			}
			out = append(out, b[i:j+1]...)
			i = j + 1
			expectKey = false
			continue
		case c == '{':
			if len(stack) >= maxDepth {
				return nil, errRouteJSONNesting
			}
			stack = append(stack, '{')
			expectKey = true
		case c == '[':
			if len(stack) >= maxDepth {
				return nil, errRouteJSONNesting
			}
			stack = append(stack, '[')
			expectKey = false
		case c == '}' || c == ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case c == ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1] == '{'
		case c == ':':
			expectKey = false
		case expectKey && (c == '-' || (c >= '0' && c <= '9')):
			j := i + 1
			for j < len(b) && strings.IndexByte("0123456789.eE+-", b[j]) >= 0 {
				j++
			}
			out = append(out, '"')
			out = append(out, b[i:j]...)
			out = append(out, '"')
			i = j
			expectKey = false
			continue
		}
		out = append(out, c)
		i++
	}
	return out, nil
}

// routeJSONWriter writes fastjson-shaped JSON.
type routeJSONWriter struct {
	buf       bytes.Buffer
	quoteKeys bool // quote numeric map keys (BrowserCompatible/QuoteFieldNames)
	asciiOnly bool // escape non-ASCII as \uXXXX (BrowserCompatible)
}

func (w *routeJSONWriter) byte(c byte) { w.buf.WriteByte(c) }

func (w *routeJSONWriter) key(k string) {
	w.string(k)
	w.buf.WriteByte(':')
}

func (w *routeJSONWriter) string(s string) {
	const hex = "0123456789abcdef"
	w.buf.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				w.buf.WriteByte('\\')
				w.buf.WriteByte(c)
			case '\b':
				w.buf.WriteString(`\b`)
			case '\f':
				w.buf.WriteString(`\f`)
			case '\n':
				w.buf.WriteString(`\n`)
			case '\r':
				w.buf.WriteString(`\r`)
			case '\t':
				w.buf.WriteString(`\t`)
			default:
				if c < 0x20 || c == 0x7f {
					w.buf.WriteString(`\u00`)
					w.buf.WriteByte(hex[c>>4])
					w.buf.WriteByte(hex[c&0xf])
				} else {
					w.buf.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !w.asciiOnly && r != utf8.RuneError {
			w.buf.WriteString(s[i : i+size])
			i += size
			continue
		}
		if r == utf8.RuneError {
			r = '\ufffd'
		}
		for _, u := range routeUTF16(r) {
			w.buf.WriteString(`\u`)
			w.buf.WriteByte(hex[u>>12&0xf])
			w.buf.WriteByte(hex[u>>8&0xf])
			w.buf.WriteByte(hex[u>>4&0xf])
			w.buf.WriteByte(hex[u&0xf])
		}
		i += size
	}
	w.buf.WriteByte('"')
}

func routeUTF16(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{uint16(0xd800 + (r>>10)&0x3ff), uint16(0xdc00 + r&0x3ff)}
}

func (w *routeJSONWriter) brokerData(bd *BrokerData) {
	w.byte('{')
	w.key("brokerAddrs")
	w.byte('{')
	ids := make([]int64, 0, len(bd.BrokerAddrs))
	for id := range bd.BrokerAddrs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for i, id := range ids {
		if i > 0 {
			w.byte(',')
		}
		if w.quoteKeys {
			w.byte('"')
		}
		w.buf.WriteString(strconv.FormatInt(id, 10))
		if w.quoteKeys {
			w.byte('"')
		}
		w.byte(':')
		w.string(bd.BrokerAddrs[id])
	}
	w.byte('}')
	w.byte(',')
	w.key("brokerName")
	w.string(bd.BrokerName)
	w.byte(',')
	w.key("cluster")
	w.string(bd.Cluster)
	w.byte('}')
}

func (w *routeJSONWriter) queueData(qd *QueueData) {
	w.byte('{')
	w.key("brokerName")
	w.string(qd.BrokerName)
	for _, f := range []struct {
		name string
		v    int32
	}{{"perm", qd.Perm}, {"readQueueNums", qd.ReadQueueNums}, {"topicSysFlag", qd.TopicSysFlag}, {"writeQueueNums", qd.WriteQueueNums}} {
		w.byte(',')
		w.key(f.name)
		w.buf.WriteString(strconv.FormatInt(int64(f.v), 10))
	}
	w.byte('}')
}

func (w *routeJSONWriter) stringListMap(m map[string][]string) {
	w.byte('{')
	for i, k := range routeSortedKeys(m) {
		if i > 0 {
			w.byte(',')
		}
		w.key(k)
		w.byte('[')
		for j, s := range m[k] {
			if j > 0 {
				w.byte(',')
			}
			w.string(s)
		}
		w.byte(']')
	}
	w.byte('}')
}

func routeSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
