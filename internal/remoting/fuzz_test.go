package remoting

import (
	"bytes"
	"encoding/binary"
	"errors"
	"maps"
	"testing"
)

// normalized compares commands after decoding: a nil and an empty map, or
// a nil and an empty body, mean the same thing on the wire.
func sameCommand(a, b *Command) bool {
	if a.Code != b.Code || a.Language != b.Language || a.Version != b.Version || a.Opaque != b.Opaque ||
		a.Flag != b.Flag || a.Remark != b.Remark || a.SerializeType != b.SerializeType {
		return false
	}
	if len(a.ExtFields) != len(b.ExtFields) || (len(a.ExtFields) > 0 && !maps.Equal(a.ExtFields, b.ExtFields)) {
		return false
	}
	return bytes.Equal(a.Body, b.Body)
}

// checkRoundTrip re-encodes a decoded command in its own serialization and
// decodes it again: the result must be the same command.
func checkRoundTrip(t *testing.T, cmd *Command) {
	t.Helper()
	frame, err := EncodeFrame(cmd)
	if err != nil {
		t.Fatalf("re-encode a decoded command: %v", err)
	}
	size, err := FrameSize(frame, 1<<31-1)
	if err != nil || size != len(frame) {
		t.Fatalf("FrameSize of our own frame: %d, %v (len %d)", size, err, len(frame))
	}
	back, err := DecodeFrame(frame)
	if err != nil {
		t.Fatalf("decode our own frame %q: %v", frame, err)
	}
	if !sameCommand(cmd, back) {
		t.Fatalf("round trip changed the command:\n got %+v\nwant %+v", back, cmd)
	}
}

func addFrameSeeds(f *testing.F) {
	seeds := []string{goClientJSONFrame, goClientBinaryFrame, javaJSONRequestFrame, javaJSONResponseFrame}
	for _, s := range seeds {
		f.Add(unhex(f, s))
	}
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		frame, err := EncodeFrame(&Command{Code: 310, Language: "GO", Version: 317, Opaque: 9, Flag: 2, Remark: "r\x01",
			ExtFields: map[string]string{"a": "producerGroup", "b": "TopicTest", "i": "KEYS\x01k\x02"},
			Body:      []byte("hello"), SerializeType: st})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(frame)
	}
}

// FuzzDecodeFrame feeds arbitrary bytes to the frame decoder (and through
// it both header decoders): no panic, errors wrap ErrBadFrame, and what
// decodes survives an encode/decode round trip.
func FuzzDecodeFrame(f *testing.F) {
	addFrameSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) >= 4 {
			// Exercise the prefix check as the server does.
			if size, err := FrameSize(data, 1<<20); err == nil && size > 1<<20 {
				t.Fatalf("FrameSize accepted %d over the max", size)
			}
		}
		cmd, err := DecodeFrame(data)
		if err != nil {
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("decode error does not wrap ErrBadFrame: %v", err)
			}
			return
		}
		checkRoundTrip(t, cmd)
	})
}

// FuzzDecodeHeaderJSON feeds arbitrary header bytes to the JSON decoder.
func FuzzDecodeHeaderJSON(f *testing.F) {
	for _, s := range []string{
		`{"code":105,"language":"GO","version":317,"opaque":1,"flag":0,"remark":"","extFields":{"topic":"T"}}`,
		`{"code":0,"flag":1,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":409}`,
		`{"code":10,"extFields":{"i":"KEYS\u0001a\u0002b","s":"\ud83d\ude00"},"remark":null,"x":[1,{"y":null}]}`,
		`{}`, ` { "extFields" : { } } `, `{"code":"12"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, header []byte) {
		var cmd Command
		if err := decodeHeaderJSON(header, &cmd); err != nil {
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("decode error does not wrap ErrBadFrame: %v", err)
			}
			return
		}
		cmd.SerializeType = SerializeJSON
		checkRoundTrip(t, &cmd)
	})
}

// FuzzDecodeHeaderBinary feeds arbitrary header bytes to the ROCKETMQ
// decoder.
func FuzzDecodeHeaderBinary(f *testing.F) {
	full := unhex(f, goClientBinaryFrame)
	f.Add(full[8:])
	f.Add(make([]byte, binaryFixedSize))
	f.Add(binary.BigEndian.AppendUint32(append(make([]byte, 13), 0, 0, 0, 2, 'o', 'k'), 0))
	f.Fuzz(func(t *testing.T, header []byte) {
		var cmd Command
		if err := decodeHeaderBinary(header, &cmd); err != nil {
			if !errors.Is(err, ErrBadFrame) {
				t.Fatalf("decode error does not wrap ErrBadFrame: %v", err)
			}
			return
		}
		cmd.SerializeType = SerializeRocketMQ
		checkRoundTrip(t, &cmd)
	})
}

// FuzzEncodeFrame builds commands from fuzzed fields: every encodable
// command decodes back to itself.
func FuzzEncodeFrame(f *testing.F) {
	f.Add(int32(105), "GO", int32(317), int32(1), int32(0), "", "topic", "T", []byte(nil), false)
	f.Add(int32(0), "JAVA", int32(409), int32(-7), int32(1), "err\n\"x\"", "k\x01", "v\x02é", []byte("body"), true)
	f.Fuzz(func(t *testing.T, code int32, lang string, version, opaque, flag int32, remark, k, v string, body []byte, binaryHeader bool) {
		cmd := &Command{Code: code, Language: lang, Version: version, Opaque: opaque, Flag: flag, Remark: remark,
			ExtFields: map[string]string{k: v}, Body: body}
		if binaryHeader {
			cmd.SerializeType = SerializeRocketMQ
			// The binary header carries language as a byte.
			cmd.Language = LanguageName(LanguageByte(lang))
		} else if lang == "" {
			cmd.Language = LanguageJava
		}
		frame, err := EncodeFrame(cmd)
		if err != nil {
			if binaryHeader {
				return // code, version or key too long for the binary form
			}
			t.Fatalf("encode JSON: %v", err)
		}
		back, err := DecodeFrame(frame)
		if err != nil {
			t.Fatalf("decode our own frame %q: %v", frame, err)
		}
		if !sameCommand(cmd, back) {
			t.Fatalf("round trip changed the command:\n got %+v\nwant %+v", back, cmd)
		}
	})
}
