package remoting

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unhex turns a fixture written as hex, one field per line with "//"
// comments, into bytes.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var clean strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		clean.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(clean.String())
	require.NoError(t, err)
	return b
}

// Wire-protocol reference §2.5: GET_ROUTEINFO_BY_TOPIC from the Go client,
// JSON, opaque 1.
const goClientJSONFrame = `
00 00 00 68 // frameLength = 104
00 00 00 64 // type 0 (JSON), headerLength = 100
7b22636f6465223a3130352c // {"code":105,
226c616e6775616765223a22474f222c // "language":"GO",
2276657273696f6e223a3331372c // "version":317,
226f7061717565223a312c // "opaque":1,
22666c6167223a302c // "flag":0,
2272656d61726b223a22222c // "remark":"",
226578744669656c6473223a7b22746f706963223a2254227d7d // "extFields":{"topic":"T"}}
`

// Wire-protocol reference §2.5: the same request in the ROCKETMQ binary
// header, opaque 2.
const goClientBinaryFrame = `
00 00 00 25          // frameLength = 37
01 00 00 21          // type 1 (ROCKETMQ), headerLength = 33
00 69                // code 105
09                   // language GO
01 3d                // version 317
00 00 00 02          // opaque 2
00 00 00 00          // flag 0
00 00 00 00          // remarkLength 0
00 00 00 0c          // extFieldsLength 12
00 05 74 6f 70 69 63 // key "topic"
00 00 00 01 54       // value "T"
`

// Wire-protocol reference §2.2: what Java (fastjson) writes for a request
// and for a bare response.
const javaJSONRequestFrame = `
00 00 00 87 // frameLength = 4 + 131
00 00 00 83 // JSON, headerLength = 131
` + `7b22636f6465223a3130352c` + // {"code":105,
	`226578744669656c6473223a7b22746f706963223a22546f70696354657374227d2c` + // "extFields":{"topic":"TopicTest"},
	`22666c6167223a302c` + // "flag":0,
	`226c616e6775616765223a224a415641222c` + // "language":"JAVA",
	`226f7061717565223a372c` + // "opaque":7,
	`2273657269616c697a655479706543757272656e74525043223a224a534f4e222c` + // "serializeTypeCurrentRPC":"JSON",
	`2276657273696f6e223a3430397d` // "version":409}

const javaJSONResponseFrame = `
00 00 00 63 // frameLength = 4 + 95
00 00 00 5f // JSON, headerLength = 95
` + `7b22636f6465223a302c` + // {"code":0,
	`22666c6167223a312c` + // "flag":1,
	`226c616e6775616765223a224a415641222c` + // "language":"JAVA",
	`226f7061717565223a372c` + // "opaque":7,
	`2273657269616c697a655479706543757272656e74525043223a224a534f4e222c` + // "serializeTypeCurrentRPC":"JSON",
	`2276657273696f6e223a3430397d` // "version":409}

func TestCodecDecodeGoClientJSONFixture(t *testing.T) {
	frame := unhex(t, goClientJSONFrame)
	size, err := FrameSize(frame, 0)
	require.NoError(t, err)
	require.Equal(t, len(frame), size)
	cmd, err := DecodeFrame(frame)
	require.NoError(t, err)
	assert.Equal(t, &Command{
		Code:          105,
		Language:      "GO",
		Version:       317,
		Opaque:        1,
		Flag:          0,
		Remark:        "",
		ExtFields:     map[string]string{"topic": "T"},
		SerializeType: SerializeJSON,
	}, cmd)
}

func TestCodecDecodeGoClientBinaryFixture(t *testing.T) {
	frame := unhex(t, goClientBinaryFrame)
	cmd, err := DecodeFrame(frame)
	require.NoError(t, err)
	want := &Command{
		Code:          105,
		Language:      "GO",
		Version:       317,
		Opaque:        2,
		ExtFields:     map[string]string{"topic": "T"},
		SerializeType: SerializeRocketMQ,
	}
	assert.Equal(t, want, cmd)

	// Our binary encoder writes the same bytes for the same command.
	got, err := EncodeFrame(want)
	require.NoError(t, err)
	assert.Equal(t, frame, got)
}

func TestCodecEncodeJavaShapeJSON(t *testing.T) {
	req := &Command{
		Code: 105, Language: "JAVA", Version: 409, Opaque: 7,
		ExtFields: map[string]string{"topic": "TopicTest"},
	}
	got, err := EncodeFrame(req)
	require.NoError(t, err)
	assert.Equal(t, unhex(t, javaJSONRequestFrame), got)

	resp := NewResponse(&Command{Opaque: 7}, 0, "")
	got, err = EncodeFrame(resp)
	require.NoError(t, err)
	assert.Equal(t, unhex(t, javaJSONResponseFrame), got)

	// And both decode back to the commands.
	back, err := DecodeFrame(unhex(t, javaJSONRequestFrame))
	require.NoError(t, err)
	assert.Equal(t, req, back)
	back, err = DecodeFrame(unhex(t, javaJSONResponseFrame))
	require.NoError(t, err)
	assert.Equal(t, resp, back)
}

func TestCodecEncodeJSONDetails(t *testing.T) {
	cmd := &Command{
		Code: 310, Version: 409, Opaque: -5, Flag: 2, Remark: "a\"b\\c\n\t\x01é",
		ExtFields: map[string]string{"z": "1", "a": "\x01\x02", "m": "<&>"},
		Body:      []byte{0, 1, 2},
	}
	frame, err := EncodeFrame(cmd)
	require.NoError(t, err)
	word := binary.BigEndian.Uint32(frame[4:])
	hlen := int(word & 0xFFFFFF)
	assert.Equal(t, uint32(0), word>>24)
	assert.Equal(t, uint32(len(frame)-4), binary.BigEndian.Uint32(frame))
	header := string(frame[8 : 8+hlen])
	// Keys sorted, values always strings, language defaults to JAVA, raw
	// non-ASCII, control characters escaped.
	assert.Equal(t, `{"code":310,"extFields":{"a":"\u0001\u0002","m":"<&>","z":"1"},"flag":2,"language":"JAVA",`+
		`"opaque":-5,"remark":"a\"b\\c\n\t\u0001é","serializeTypeCurrentRPC":"JSON","version":409}`, header)
	assert.Equal(t, []byte{0, 1, 2}, frame[8+hlen:])

	back, err := DecodeFrame(frame)
	require.NoError(t, err)
	cmd.Language = "JAVA"
	assert.Equal(t, cmd, back)
}

func TestCodecJSONParsingRules(t *testing.T) {
	cases := []struct {
		name   string
		header string
		want   Command
	}{
		{
			name:   "members in any order with unknown members",
			header: `{"version":317,"extra":{"a":[1,2,{"b":null}],"c":"d"},"flag":1,"opaque":9,"code":0,"language":"GO","n":-1.5e3,"t":true}`,
			want:   Command{Code: 0, Language: "GO", Version: 317, Opaque: 9, Flag: 1},
		},
		{
			name:   "null remark and extFields",
			header: `{"code":17,"remark":null,"extFields":null,"language":"JAVA","opaque":1,"flag":1,"version":409}`,
			want:   Command{Code: 17, Language: "JAVA", Version: 409, Opaque: 1, Flag: 1},
		},
		{
			name:   "empty extFields object",
			header: `{"code":17,"extFields":{},"opaque":1}`,
			want:   Command{Code: 17, Language: "JAVA", Opaque: 1, ExtFields: map[string]string{}},
		},
		{
			name:   "null language is JAVA",
			header: `{"language":null}`,
			want:   Command{Language: "JAVA"},
		},
		{
			name:   "absent everything",
			header: `{}`,
			want:   Command{Language: "JAVA"},
		},
		{
			name:   "unknown language name",
			header: `{"code":34,"language":"KOTLIN","opaque":3}`,
			want:   Command{Code: 34, Language: "KOTLIN", Opaque: 3},
		},
		{
			name:   "whitespace everywhere",
			header: " \n{ \"code\" : 11 ,\t\"extFields\" : { \"k\" : \"v\" } }\r\n",
			want:   Command{Code: 11, Language: "JAVA", ExtFields: map[string]string{"k": "v"}},
		},
		{
			name:   "json-iterator escapes",
			header: `{"code":10,"extFields":{"i":"KEYS\u0001a\u0002b","h":"\u003ctag\u003e\u0026","s":"\ud83d\ude00","e":"\"\\\/\b\f\n\r\t"}}`,
			want: Command{Code: 10, Language: "JAVA", ExtFields: map[string]string{
				"i": "KEYS\x01a\x02b", "h": "<tag>&", "s": "😀", "e": "\"\\/\b\f\n\r\t",
			}},
		},
		{
			name:   "lone surrogate becomes the replacement character",
			header: `{"remark":"x\ud800y"}`,
			want:   Command{Language: "JAVA", Remark: "x\uFFFDy"},
		},
		{
			name:   "non-string extFields values and null entries",
			header: `{"extFields":{"n":12,"b":true,"f":false,"x":null}}`,
			want:   Command{Language: "JAVA", ExtFields: map[string]string{"n": "12", "b": "true", "f": "false"}},
		},
		{
			name:   "quoted and null numbers",
			header: `{"code":"105","opaque":null}`,
			want:   Command{Code: 105, Language: "JAVA"},
		},
		{
			name:   "serializeTypeCurrentRPC is ignored",
			header: `{"code":1,"serializeTypeCurrentRPC":"ROCKETMQ"}`,
			want:   Command{Code: 1, Language: "JAVA"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got Command
			require.NoError(t, decodeHeaderJSON([]byte(tc.header), &got))
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestCodecBinaryDetails(t *testing.T) {
	t.Run("remark and empty value", func(t *testing.T) {
		header := unhex(t, `
			00 16           // code 22
			00              // JAVA
			01 99           // version 409
			ff ff ff ff     // opaque -1
			00 00 00 01     // flag response
			00 00 00 02 6f 6b // remark "ok"
			00 00 00 07     // extFields 7 bytes
			00 01 6b        // key "k"
			00 00 00 00     // value "" (Java reads null)
		`)
		var c Command
		require.NoError(t, decodeHeaderBinary(header, &c))
		assert.Equal(t, Command{Code: 22, Language: "JAVA", Version: 409, Opaque: -1, Flag: 1, Remark: "ok",
			ExtFields: map[string]string{"k": ""}}, c)
	})
	t.Run("negative remark and extFields lengths mean none, as in Java", func(t *testing.T) {
		header := unhex(t, `
			00 01 0c 00 01 00 00 00 05 00 00 00 00
			ff ff ff ff     // remarkLength -1
			ff ff ff fe     // extFieldsLength -2
		`)
		var c Command
		require.NoError(t, decodeHeaderBinary(header, &c))
		assert.Equal(t, Command{Code: 1, Language: "RUST", Version: 1, Opaque: 5}, c)
	})
	t.Run("unknown language byte reads as OTHER", func(t *testing.T) {
		header := unhex(t, `00 01 63 00 01 00 00 00 05 00 00 00 00 00 00 00 00 00 00 00 00`)
		var c Command
		require.NoError(t, decodeHeaderBinary(header, &c))
		assert.Equal(t, "OTHER", c.Language)
	})
	t.Run("code beyond int16 cannot be encoded", func(t *testing.T) {
		_, err := EncodeFrame(&Command{Code: 200000, SerializeType: SerializeRocketMQ})
		assert.ErrorContains(t, err, "does not fit int16")
		_, err = EncodeFrame(&Command{Code: 1, Version: 40000, SerializeType: SerializeRocketMQ})
		assert.ErrorContains(t, err, "does not fit int16")
	})
	t.Run("round trip with remark, many fields and body", func(t *testing.T) {
		cmd := &Command{Code: 11, Language: "CPP", Version: 409, Opaque: 77, Flag: 2, Remark: "rémark",
			ExtFields: map[string]string{"consumerGroup": "g", "queueId": "3", "empty": ""},
			Body:      []byte("body"), SerializeType: SerializeRocketMQ}
		frame, err := EncodeFrame(cmd)
		require.NoError(t, err)
		back, err := DecodeFrame(frame)
		require.NoError(t, err)
		assert.Equal(t, cmd, back)
	})
}

func TestCodecLanguageTable(t *testing.T) {
	names := []string{"JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST"}
	for i, n := range names {
		assert.Equal(t, byte(i), LanguageByte(n), n)
		assert.Equal(t, n, LanguageName(byte(i)))
	}
	assert.Equal(t, byte(0), LanguageByte(""))
	assert.Equal(t, byte(7), LanguageByte("KOTLIN"))
	assert.Equal(t, "OTHER", LanguageName(200))
}

func TestCodecBadFrames(t *testing.T) {
	jsonFrame := func(header string) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(4+len(header)))
		b = binary.BigEndian.AppendUint32(b, uint32(len(header)))
		return append(b, header...)
	}
	binFrame := func(header []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(4+len(header)))
		b = binary.BigEndian.AppendUint32(b, 1<<24|uint32(len(header)))
		return append(b, header...)
	}
	fixed := unhex(t, `00 69 09 01 3d 00 00 00 02 00 00 00 00`)
	cases := []struct {
		name  string
		frame []byte
	}{
		{"too short", []byte{0, 0, 0, 4, 0, 0}},
		{"length disagrees with bytes", unhex(t, `00 00 00 09 00 00 00 00 7b 7d`)},
		{"header longer than frame", unhex(t, `00 00 00 06 00 00 00 05 7b 7d`)},
		{"unknown serialize type", unhex(t, `00 00 00 06 02 00 00 02 7b 7d`)},
		{"garbage JSON", jsonFrame(`{"code":1,,}`)},
		{"not an object", jsonFrame(`[1,2]`)},
		{"empty JSON header", jsonFrame(``)},
		{"trailing garbage", jsonFrame(`{"code":1}x`)},
		{"code overflows int32", jsonFrame(`{"code":99999999999}`)},
		{"fractional code", jsonFrame(`{"code":1.5}`)},
		{"language not a string", jsonFrame(`{"language":9}`)},
		{"extFields not an object", jsonFrame(`{"extFields":"x"}`)},
		{"extFields value is an object", jsonFrame(`{"extFields":{"a":{}}}`)},
		{"unterminated string", jsonFrame(`{"remark":"abc`)},
		{"bad escape", jsonFrame(`{"remark":"\x"}`)},
		{"bad unicode escape", jsonFrame(`{"remark":"\u12G4"}`)},
		{"too deep", jsonFrame(`{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`)},
		{"bad number in unknown member", jsonFrame(`{"x":1-2}`)},
		{"binary header shorter than fixed part", binFrame(fixed[:10])},
		{"binary extFields length missing", binFrame(append(append([]byte{}, fixed...), 0, 0, 0, 0))},
		{"binary remark longer than header", binFrame(append(append([]byte{}, fixed[:9]...), unhex(t, `00 00 00 00 00 00 00 ff 00 00 00 00`)...))},
		{"binary remark past the end", binFrame(append(append([]byte{}, fixed[:9]...), unhex(t, `00 00 00 00 00 00 00 05 61 62 00 00 00 00`)...))},
		{"binary extFields longer than header", binFrame(append(append([]byte{}, fixed...), unhex(t, `00 00 00 00 00 00 ff ff`)...))},
		{"binary extFields past the end", binFrame(append(append([]byte{}, fixed...), unhex(t, `00 00 00 00 00 00 00 08 00 01 6b`)...))},
		{"binary key past the block", binFrame(append(append([]byte{}, fixed...), unhex(t, `00 00 00 00 00 00 00 03 00 05 6b`)...))},
		{"binary negative key length", binFrame(append(append([]byte{}, fixed...), unhex(t, `00 00 00 00 00 00 00 03 ff ff 6b`)...))},
		{"binary truncated value length", binFrame(append(append([]byte{}, fixed...), unhex(t, `00 00 00 00 00 00 00 05 00 01 6b 00 00`)...))},
		{"binary negative value length", binFrame(append(append([]byte{}, fixed...), unhex(t, `00 00 00 00 00 00 00 07 00 01 6b ff ff ff ff`)...))},
		{"binary value past the block", binFrame(append(append([]byte{}, fixed...), unhex(t, `00 00 00 00 00 00 00 08 00 01 6b 00 00 00 09 76`)...))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd, err := DecodeFrame(tc.frame)
			assert.ErrorIs(t, err, ErrBadFrame)
			assert.Nil(t, cmd)
		})
	}
}

func TestCodecFrameSize(t *testing.T) {
	cases := []struct {
		name    string
		prefix  string
		max     int
		want    int
		wantErr bool
	}{
		{"minimal", "00 00 00 04", 0, 8, false},
		{"largest Java accepts", "00 ff ff fc", 0, 16 << 20, false},
		{"one past the largest", "00 ff ff fd", 0, 0, true},
		{"negative", "ff ff ff ff", 0, 0, true},
		{"below the header word", "00 00 00 03", 0, 0, true},
		{"zero", "00 00 00 00", 0, 0, true},
		{"custom max", "00 00 01 00", 0x100, 0, true},
		{"custom max exact", "00 00 00 fc", 0x100, 0x100, false},
		{"short prefix", "00 00 00", 0, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FrameSize(unhex(t, tc.prefix), tc.max)
			if tc.wantErr {
				assert.ErrorIs(t, err, ErrBadFrame)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
