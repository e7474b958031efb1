package message

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// goldenRecord is drawn from the layout table in record.go (one row per
// field), not produced by our encoder: topic "T", body "hi", properties
// TAGS=A, IPv4 hosts.
var goldenRecord = strings.Join([]string{
	"00000064",         // TOTALSIZE 100 = 91 + 2 + 1 + 6
	"DAA320A7",         // MAGICCODE
	"58932AAC",         // BODYCRC crc32("hi") & 0x7FFFFFFF
	"00000001",         // QUEUEID
	"00000002",         // FLAG
	"0000000000000003", // QUEUEOFFSET
	"0000000000000004", // PHYSICALOFFSET
	"00000000",         // SYSFLAG
	"0000000000000005", // BORNTIMESTAMP
	"7F000001000004D2", // BORNHOST 127.0.0.1:1234
	"0000000000000006", // STORETIMESTAMP
	"0A00000100002A9F", // STOREHOST 10.0.0.1:10911
	"00000007",         // RECONSUMETIMES
	"0000000000000008", // PREPAREDTRANSACTIONOFFSET
	"00000002", "6869", // BODYLENGTH, BODY
	"01", "54", // TOPICLENGTH, TOPIC
	"0006", "544147530141", // PROPERTIESLENGTH, PROPERTIES "TAGS\x01A"
}, "")

func goldenMessage() *MessageExt {
	return &MessageExt{
		Message: Message{Topic: "T", Flag: 2, Body: []byte("hi"),
			Properties: map[string]string{PropertyTags: "A"}},
		QueueID: 1, QueueOffset: 3, CommitLogOffset: 4, BornTimestamp: 5,
		BornHost:       netip.MustParseAddrPort("127.0.0.1:1234"),
		StoreTimestamp: 6, StoreHost: netip.MustParseAddrPort("10.0.0.1:10911"),
		ReconsumeTimes: 7, PreparedTransactionOffset: 8,
	}
}

func TestMessageRecordGoldenEncode(t *testing.T) {
	want, err := hex.DecodeString(goldenRecord)
	require.NoError(t, err)
	got, err := EncodeRecord(goldenMessage())
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func TestMessageRecordGoldenDecode(t *testing.T) {
	b, err := hex.DecodeString(goldenRecord)
	require.NoError(t, err)
	m, n, err := DecodeRecord(b)
	require.NoError(t, err)
	require.Equal(t, 100, n)
	want := goldenMessage()
	want.StoreSize = 100
	want.BodyCRC = 0x58932AAC
	want.PropertiesString = "TAGS\x01A"
	want.MsgID = "0A00000100002A9F0000000000000004"
	require.Equal(t, want, m)

	rec, err := ParseRecord(b, true)
	require.NoError(t, err)
	require.Equal(t, Record{Size: 100, QueueID: 1, QueueOffset: 3, PhyOffset: 4, BornTimestamp: 5,
		StoreTimestamp: 6, BodyCRC: 0x58932AAC, Topic: "T", Properties: "TAGS\x01A"}, rec)
	require.Equal(t, 56, PosStoreTimestamp(0))
}

func TestMessageRecordRoundTripEveryField(t *testing.T) {
	cases := []struct {
		name        string
		born, store string
		sysFlag     int32
		wantSize    int
	}{
		{"ipv4", "192.168.1.2:50000", "10.1.2.3:10911", 0, 91},
		{"born-ipv6", "[2001:db8::1]:50000", "10.1.2.3:10911", SysFlagBornHostV6, 103},
		{"store-ipv6", "10.1.2.3:1", "[fe80::1:2]:10911", SysFlagStoreHostV6, 103},
		{"both-ipv6", "[::1]:7", "[2001:db8::2]:10911", SysFlagBornHostV6 | SysFlagStoreHostV6, 115},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := bytes.Repeat([]byte{0, 1, 2, 0xFF}, 33)
			props := map[string]string{PropertyKeys: "k1 k2", PropertyTags: "TagA",
				PropertyUniqClientMessageIDKeyidx: "C0A8000100002A9F0000000000000001", "user": "值"}
			m := &MessageExt{
				Message: Message{Topic: "TopicTest", Flag: -9, Body: body, Properties: props},
				QueueID: 3, QueueOffset: 1 << 40, CommitLogOffset: 1<<33 + 7,
				SysFlag: SysFlagCompressed | SysFlagTransactionCommit, BornTimestamp: 1700000000123,
				BornHost: netip.MustParseAddrPort(tc.born), StoreTimestamp: 1700000000456,
				StoreHost: netip.MustParseAddrPort(tc.store), ReconsumeTimes: 16,
				PreparedTransactionOffset: 123456789,
			}
			b, err := EncodeRecord(m)
			require.NoError(t, err)
			ps := EncodeProperties(props)
			require.Len(t, b, tc.wantSize+len(body)+len(m.Topic)+len(ps))
			require.Equal(t, SysFlagCompressed|SysFlagTransactionCommit|tc.sysFlag, m.SysFlag)

			got, n, err := DecodeRecord(b)
			require.NoError(t, err)
			require.Equal(t, len(b), n)
			require.Equal(t, m.Topic, got.Topic)
			require.Equal(t, m.Flag, got.Flag)
			require.Equal(t, body, got.Body)
			require.Equal(t, props, got.Properties)
			require.Equal(t, m.QueueID, got.QueueID)
			require.Equal(t, m.QueueOffset, got.QueueOffset)
			require.Equal(t, m.CommitLogOffset, got.CommitLogOffset)
			require.Equal(t, m.SysFlag, got.SysFlag)
			require.Equal(t, m.BornTimestamp, got.BornTimestamp)
			require.Equal(t, m.BornHost, got.BornHost)
			require.Equal(t, m.StoreTimestamp, got.StoreTimestamp)
			require.Equal(t, m.StoreHost, got.StoreHost)
			require.Equal(t, m.ReconsumeTimes, got.ReconsumeTimes)
			require.Equal(t, m.PreparedTransactionOffset, got.PreparedTransactionOffset)
			require.Equal(t, BodyCRC(body), got.BodyCRC)
			require.Equal(t, int32(len(b)), got.StoreSize)
			require.Equal(t, CreateOffsetMsgID(m.StoreHost, m.CommitLogOffset), got.MsgID)
			require.Equal(t, "C0A8000100002A9F0000000000000001", got.ClientMsgID())

			rec, err := ParseRecord(b, true)
			require.NoError(t, err)
			require.Equal(t, m.StoreTimestamp, rec.StoreTimestamp)
			require.Equal(t, int64(b[PosStoreTimestamp(m.SysFlag)+7]), m.StoreTimestamp&0xFF)
		})
	}
}

func TestMessageParseRecordRejects(t *testing.T) {
	good, err := hex.DecodeString(goldenRecord)
	require.NoError(t, err)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		b    []byte
		crc  bool
	}{
		{"short", good[:7], false},
		{"bad-magic", mut(func(b []byte) []byte { b[4] = 0; return b }), false},
		{"size-too-big", mut(func(b []byte) []byte { b[3] = 0x65; return b }), false},
		{"size-too-small", mut(func(b []byte) []byte { b[3] = 0x63; return b[:0x63] }), false},
		{"truncated", good[:99], false},
		{"body-flipped", mut(func(b []byte) []byte { b[88] ^= 1; return b }), true},
		{"topic-len", mut(func(b []byte) []byte { b[90] = 9; return b }), false},
		{"props-len-negative", mut(func(b []byte) []byte { b[92] = 0xFF; return b }), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRecord(tc.b, tc.crc)
			require.ErrorIs(t, err, ErrCorrupt)
			_, _, err = DecodeRecord(tc.b)
			if !tc.crc {
				require.ErrorIs(t, err, ErrCorrupt)
			}
		})
	}
	blank := []byte{0, 0, 0x10, 0, 0xCB, 0xD4, 0x31, 0x94}
	rec, err := ParseRecord(blank, true)
	require.NoError(t, err)
	require.True(t, rec.Blank)
	require.Equal(t, int32(4096), rec.Size)
	_, _, err = DecodeRecord(blank)
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestMessageEncodeLimits(t *testing.T) {
	m := goldenMessage()
	m.Topic = strings.Repeat("t", 128)
	_, err := EncodeRecord(m)
	require.ErrorContains(t, err, "topic length 128")
	m = goldenMessage()
	m.PropertiesString = strings.Repeat("p", 32768)
	_, err = EncodeRecord(m)
	require.ErrorContains(t, err, "properties length 32768")
}

func TestMessageDecodeMessages(t *testing.T) {
	var body []byte
	for i := range 3 {
		m := goldenMessage()
		m.QueueOffset = int64(i)
		var err error
		body, err = AppendRecord(body, m)
		require.NoError(t, err)
	}
	msgs, err := DecodeMessages(body)
	require.NoError(t, err)
	require.Len(t, msgs, 3)
	for i, m := range msgs {
		require.Equal(t, int64(i), m.QueueOffset)
	}
	msgs, err = DecodeMessages(append(body, 1, 2, 3))
	require.Error(t, err)
	require.Len(t, msgs, 3)
}

func TestMessagePropertiesJavaAndGoForms(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"java", "TAGS\x01TagA\x02KEYS\x01k1 k2", map[string]string{"TAGS": "TagA", "KEYS": "k1 k2"}},
		{"go-trailing", "TAGS\x01TagA\x02KEYS\x01k1 k2\x02", map[string]string{"TAGS": "TagA", "KEYS": "k1 k2"}},
		{"empty-value-dropped", "A\x01\x02B\x01b", map[string]string{"B": "b"}},
		{"empty-name-dropped", "\x01a\x02B\x01b", map[string]string{"B": "b"}},
		{"no-separator", "junk\x02B\x01b", map[string]string{"B": "b"}},
		{"value-with-0x01", "A\x01x\x01y", map[string]string{"A": "x\x01y"}},
		{"empty", "", map[string]string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, DecodeProperties(tc.in))
			for k, v := range tc.want {
				got, ok := PropertyFromString(tc.in, k)
				require.True(t, ok)
				require.Equal(t, v, got)
				gotb, ok := PropertyFromBytes([]byte(tc.in), k)
				require.True(t, ok)
				require.Equal(t, v, string(gotb))
			}
		})
	}
	require.Equal(t, "KEYS\x01k1 k2\x02TAGS\x01TagA", EncodeProperties(map[string]string{"TAGS": "TagA", "KEYS": "k1 k2", "E": ""}))
	_, ok := PropertyFromString("TAGSX\x01a", "TAGS")
	require.False(t, ok)
}

func TestMessageTagsHashCode(t *testing.T) {
	cases := map[string]int64{"": 0, "TagA": 2598919, "hello": 99162322, "😀": 1772899,
		"a very long tag that overflows int32 many times": int64(JavaStringHash("a very long tag that overflows int32 many times"))}
	for in, want := range cases {
		require.Equal(t, want, TagsHashCode(in), in)
		require.Equal(t, want, TagsHashCodeBytes([]byte(in)), in)
	}
	require.Equal(t, TagsHashCode("a\xffb"), TagsHashCodeBytes([]byte("a\xffb")), "invalid UTF-8 hashes alike")
	// "polygenelubricants".hashCode() == Integer.MIN_VALUE in Java.
	require.Equal(t, int64(-2147483648), TagsHashCode("polygenelubricants"))
}

func TestMessageOffsetMsgID(t *testing.T) {
	id := CreateOffsetMsgID(netip.MustParseAddrPort("192.168.0.1:10911"), 3882)
	require.Equal(t, "C0A8000100002A9F0000000000000F2A", id)
	h, off, err := ParseOffsetMsgID(id)
	require.NoError(t, err)
	require.Equal(t, "192.168.0.1:10911", h.String())
	require.Equal(t, int64(3882), off)

	id6 := CreateOffsetMsgID(netip.MustParseAddrPort("[2001:db8::5]:10911"), 1<<40)
	require.Len(t, id6, 56)
	h, off, err = ParseOffsetMsgID(id6)
	require.NoError(t, err)
	require.Equal(t, "[2001:db8::5]:10911", h.String())
	require.Equal(t, int64(1<<40), off)

	for _, bad := range []string{"", "C0A8", strings.Repeat("Z", 32)} {
		_, _, err = ParseOffsetMsgID(bad)
		require.Error(t, err, bad)
	}
}

func TestMessageBatchRoundTrip(t *testing.T) {
	// Golden entry drawn from the batch layout: flag 1, body "ab", props "A\x01b".
	golden, err := hex.DecodeString("0000001B" + "00000000" + "00000000" + "00000001" + "00000002" + "6162" + "0003" + "410162")
	require.NoError(t, err)
	got, err := EncodeBatch([]*Message{{Flag: 1, Body: []byte("ab"), Properties: map[string]string{"A": "b"}}})
	require.NoError(t, err)
	require.Equal(t, golden, got)

	msgs := []*Message{
		{Flag: 1, Body: []byte("one"), Properties: map[string]string{PropertyKeys: "k"}},
		{Flag: 2, Body: nil},
		{Flag: 3, Body: bytes.Repeat([]byte("x"), 1000), Properties: map[string]string{"a": "b", "c": "d"}},
	}
	b, err := EncodeBatch(msgs)
	require.NoError(t, err)
	entries, err := DecodeBatch(b)
	require.NoError(t, err)
	require.Len(t, entries, 3)
	for i, e := range entries {
		require.Equal(t, msgs[i].Flag, e.Flag)
		require.Equal(t, len(msgs[i].Body), len(e.Body))
		require.Equal(t, EncodeProperties(msgs[i].Properties), e.Properties)
	}
	_, err = DecodeBatch(b[:len(b)-1])
	require.ErrorIs(t, err, ErrCorrupt)
	bad := append([]byte(nil), golden...)
	bad[3] = 0x1C
	_, err = DecodeBatch(bad)
	require.ErrorIs(t, err, ErrCorrupt)
}

func TestMessageCompression(t *testing.T) {
	body := bytes.Repeat([]byte("compress me "), 1000)
	z, err := Compress(body, DefaultCompressLevel)
	require.NoError(t, err)
	require.Less(t, len(z), len(body))
	m := &MessageExt{Message: Message{Body: z}, SysFlag: SysFlagCompressed}
	got, err := m.UncompressedBody()
	require.NoError(t, err)
	require.Equal(t, body, got)
	m.SysFlag |= SysFlagCompressionZLIB
	got, err = m.UncompressedBody()
	require.NoError(t, err)
	require.Equal(t, body, got)
	m.SysFlag = SysFlagCompressed | SysFlagCompressionLZ4
	_, err = m.UncompressedBody()
	require.ErrorContains(t, err, "not supported")
	_, err = Decompress([]byte("not zlib"))
	require.Error(t, err)
}

func TestMessageHelpers(t *testing.T) {
	m := &Message{}
	m.SetProperty(PropertyKeys, " a  b ")
	m.SetProperty(PropertyDelayTimeLevel, "3")
	require.Equal(t, []string{"a", "b"}, m.Keys())
	require.Equal(t, 3, m.DelayTimeLevel())
	require.True(t, m.WaitStoreMsgOK())
	m.SetProperty(PropertyWaitStoreMsgOK, "false")
	require.False(t, m.WaitStoreMsgOK())
	m.SetProperty(PropertyDelayTimeLevel, "x")
	require.Equal(t, 0, m.DelayTimeLevel())
	m.ClearProperty(PropertyKeys)
	require.Nil(t, m.Keys())
	require.Equal(t, SysFlagTransactionCommit, TransactionType(SysFlagTransactionCommit|SysFlagCompressed))
	require.Equal(t, SysFlagCompressed, ResetTransactionType(SysFlagTransactionCommit|SysFlagCompressed, SysFlagTransactionNot))
}
