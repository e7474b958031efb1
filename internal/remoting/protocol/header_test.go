package protocol

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type testRPCHeader struct {
	BrokerName *string `rmq:"bname"`
}

type testPullHeader struct {
	testRPCHeader
	ConsumerGroup        string   `rmq:"consumerGroup,required"`
	Topic                string   `rmq:"topic,required"`
	QueueID              int32    `rmq:"queueId,required"`
	QueueOffset          int64    `rmq:"queueOffset,required"`
	MaxMsgNums           int32    `rmq:"maxMsgNums"`
	SysFlag              int32    `rmq:"sysFlag"`
	CommitOffset         int64    `rmq:"commitOffset"`
	SuspendTimeoutMillis int64    `rmq:"suspendTimeoutMillis"`
	Subscription         *string  `rmq:"subscription"`
	SubVersion           int64    `rmq:"subVersion"`
	ExpressionType       string   `rmq:"expressionType,omitempty"`
	UnitMode             *bool    `rmq:"unitMode"`
	Batch                bool     `rmq:"batch"`
	Flag8                int8     `rmq:"flag8"`
	Small                int16    `rmq:"small"`
	Plain                int      `rmq:"plain"`
	Unsigned             uint64   `rmq:"unsigned"`
	Ratio                float64  `rmq:"ratio"`
	Weight               *float64 `rmq:"weight"`
	Ignored              string
	Skipped              string `rmq:"-"`
}

func ptr[T any](v T) *T { return &v }

func TestHeaderRoundTrip(t *testing.T) {
	in := testPullHeader{
		testRPCHeader:        testRPCHeader{BrokerName: ptr("broker-a")},
		ConsumerGroup:        "cg",
		Topic:                "TopicTest",
		QueueID:              3,
		QueueOffset:          math.MaxInt64,
		MaxMsgNums:           32,
		SysFlag:              -1,
		CommitOffset:         -9,
		SuspendTimeoutMillis: 15000,
		Subscription:         ptr("TagA || TagB"),
		SubVersion:           1700000000000,
		UnitMode:             ptr(false),
		Batch:                true,
		Flag8:                -128,
		Small:                32767,
		Plain:                -42,
		Unsigned:             math.MaxUint64,
		Ratio:                0.25,
		Weight:               ptr(1e10),
		Ignored:              "x",
		Skipped:              "y",
	}
	ext := EncodeHeader(&in)
	assert.Equal(t, map[string]string{
		"bname":                "broker-a",
		"consumerGroup":        "cg",
		"topic":                "TopicTest",
		"queueId":              "3",
		"queueOffset":          "9223372036854775807",
		"maxMsgNums":           "32",
		"sysFlag":              "-1",
		"commitOffset":         "-9",
		"suspendTimeoutMillis": "15000",
		"subscription":         "TagA || TagB",
		"subVersion":           "1700000000000",
		"unitMode":             "false",
		"batch":                "true",
		"flag8":                "-128",
		"small":                "32767",
		"plain":                "-42",
		"unsigned":             "18446744073709551615",
		"ratio":                "0.25",
		"weight":               "1.0E10",
	}, ext, "expressionType is omitempty and empty; untagged and '-' fields are not written")

	var out testPullHeader
	require.NoError(t, DecodeHeader(ext, &out))
	in.Ignored, in.Skipped = "", ""
	assert.Equal(t, in, out)
}

func TestHeaderNilPointersAreAbsent(t *testing.T) {
	ext := EncodeHeader(&testPullHeader{ConsumerGroup: "g", Topic: "t"})
	for _, k := range []string{"bname", "subscription", "unitMode", "weight", "expressionType"} {
		assert.NotContains(t, ext, k)
	}
	var out testPullHeader
	require.NoError(t, DecodeHeader(ext, &out))
	assert.Nil(t, out.Subscription)
	assert.Nil(t, out.UnitMode)
	assert.Nil(t, out.BrokerName)
}

func TestHeaderRequiredMissing(t *testing.T) {
	var out testPullHeader
	err := DecodeHeader(map[string]string{"consumerGroup": "g", "queueId": "1", "queueOffset": "0"}, &out)
	require.Error(t, err)
	assert.Equal(t, "the custom field <topic> is null", err.Error())
	var he *HeaderError
	require.True(t, errors.As(err, &he))
	assert.True(t, he.Missing)
	assert.Equal(t, "topic", he.Field)

	err = DecodeHeader(nil, &out)
	assert.EqualError(t, err, "the custom field <consumerGroup> is null")
}

func TestHeaderBadNumber(t *testing.T) {
	base := map[string]string{"consumerGroup": "g", "topic": "t", "queueId": "1", "queueOffset": "0"}
	cases := []struct {
		name, key, value string
	}{
		{"letters", "queueId", "abc"},
		{"empty", "queueId", ""},
		{"int32 overflow", "queueId", "2147483648"},
		{"int8 overflow", "flag8", "128"},
		{"float text", "queueOffset", "1.5"},
		{"negative unsigned", "unsigned", "-1"},
		{"spaces", "maxMsgNums", " 32"},
		{"bad float", "ratio", "x1"},
		{"bad float pointer", "weight", "half"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ext := map[string]string{}
			for k, v := range base {
				ext[k] = v
			}
			ext[tc.key] = tc.value
			var out testPullHeader
			err := DecodeHeader(ext, &out)
			require.Error(t, err)
			assert.Equal(t, "the custom field <"+tc.key+"> is not a number: "+strconv.Quote(tc.value), err.Error())
			var he *HeaderError
			require.True(t, errors.As(err, &he))
			assert.False(t, he.Missing)
			assert.Equal(t, tc.value, he.Value)
		})
	}
}

func TestHeaderBools(t *testing.T) {
	for text, want := range map[string]bool{
		"true": true, "TRUE": true, "True": true,
		"false": false, "": false, "1": false, "yes": false,
	} {
		var out testPullHeader
		require.NoError(t, DecodeHeader(map[string]string{
			"consumerGroup": "g", "topic": "t", "queueId": "1", "queueOffset": "0",
			"batch": text, "unitMode": text,
		}, &out))
		assert.Equal(t, want, out.Batch, "batch=%q", text)
		require.NotNil(t, out.UnitMode)
		assert.Equal(t, want, *out.UnitMode, "unitMode=%q", text)
	}
}

func TestHeaderNumbersAcceptJavaSigns(t *testing.T) {
	var out testPullHeader
	require.NoError(t, DecodeHeader(map[string]string{
		"consumerGroup": "g", "topic": "t", "queueId": "+7", "queueOffset": "-0",
	}, &out))
	assert.Equal(t, int32(7), out.QueueID)
	assert.Equal(t, int64(0), out.QueueOffset)
}

func TestHeaderAbsentOptionalKeepsValue(t *testing.T) {
	out := testPullHeader{MaxMsgNums: 32}
	require.NoError(t, DecodeHeader(map[string]string{
		"consumerGroup": "g", "topic": "t", "queueId": "1", "queueOffset": "0", "unknownKey": "x",
	}, &out))
	assert.Equal(t, int32(32), out.MaxMsgNums)
}

func TestHeaderBadTarget(t *testing.T) {
	var notStruct int
	assert.Error(t, DecodeHeader(map[string]string{}, &notStruct))
	assert.Error(t, DecodeHeader(map[string]string{}, testPullHeader{}))
	assert.Error(t, DecodeHeader(map[string]string{}, (*testPullHeader)(nil)))
	assert.Nil(t, EncodeHeader(testPullHeader{}))

	type badKind struct {
		M map[string]string `rmq:"m"`
	}
	assert.Error(t, DecodeHeader(map[string]string{}, &badKind{}))
	assert.Nil(t, EncodeHeader(&badKind{}))

	type badOption struct {
		A string `rmq:"a,requird"`
	}
	assert.ErrorContains(t, DecodeHeader(map[string]string{}, &badOption{}), "requird")
}

func TestHeaderJavaDouble(t *testing.T) {
	for f, want := range map[float64]string{
		0:             "0.0",
		1:             "1.0",
		-2.5:          "-2.5",
		0.001:         "0.001",
		0.0001:        "1.0E-4",
		1234567:       "1234567.0",
		1e7:           "1.0E7",
		1.5e-4:        "1.5E-4",
		math.Inf(1):   "Infinity",
		math.Inf(-1):  "-Infinity",
		math.NaN():    "NaN",
		123456789.125: "1.23456789125E8",
	} {
		assert.Equal(t, want, JavaDouble(f), "%v", f)
		if !math.IsNaN(f) {
			back, err := strconv.ParseFloat(want, 64)
			if want == "Infinity" || want == "-Infinity" {
				continue
			}
			require.NoError(t, err)
			assert.Equal(t, f, back)
		}
	}
}

// FuzzDecodeHeaderFields decodes arbitrary extFields values into a typed
// header: never a panic, only *HeaderError, and whatever decodes encodes
// back to values that decode to the same header.
func FuzzDecodeHeaderFields(f *testing.F) {
	f.Add("3", "-128", "0.25", "true", "+9")
	f.Add("abc", "128", "1.0E10", "TRUE", "")
	f.Add("2147483647", "0", "NaN", "no", "-9223372036854775808")
	f.Fuzz(func(t *testing.T, queueID, flag8, ratio, batch, offset string) {
		ext := map[string]string{
			"consumerGroup": "g", "topic": "t", "queueId": queueID, "queueOffset": offset,
			"flag8": flag8, "ratio": ratio, "batch": batch, "weight": ratio,
		}
		var h testPullHeader
		if err := DecodeHeader(ext, &h); err != nil {
			var he *HeaderError
			if !errors.As(err, &he) {
				t.Fatalf("error is not a *HeaderError: %v", err)
			}
			return
		}
		var back testPullHeader
		if err := DecodeHeader(EncodeHeader(&h), &back); err != nil {
			t.Fatalf("decode of our own encoding: %v", err)
		}
		if math.IsNaN(h.Ratio) {
			if !math.IsNaN(back.Ratio) || !math.IsNaN(*back.Weight) {
				t.Fatalf("NaN did not survive: %v %v", back.Ratio, *back.Weight)
			}
			h.Ratio, back.Ratio, h.Weight, back.Weight = 0, 0, nil, nil
		}
		assert.Equal(t, h, back)
	})
}
