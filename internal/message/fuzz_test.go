package message

import (
	"bytes"
	"testing"
)

func FuzzMessageDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, _ := DecodeMessages(b)
		for _, m := range msgs {
			// What decodes must encode back to a record of the same size.
			out, err := EncodeRecord(m)
			if err != nil {
				t.Fatalf("re-encode decoded message: %v", err)
			}
			if len(out) != int(m.StoreSize) {
				t.Fatalf("re-encoded size %d, decoded %d", len(out), m.StoreSize)
			}
		}
		rec, err := ParseRecord(b, true)
		view, verr := ParseRecordView(b, true)
		if (err == nil) != (verr == nil) || (err == nil && (rec.Topic != string(view.Topic) || rec.Properties != string(view.Properties))) {
			t.Fatalf("ParseRecord and ParseRecordView disagree: %v / %v", err, verr)
		}
	})
}

func FuzzBatchDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := DecodeBatch(b)
		if err != nil {
			return
		}
		msgs := make([]*Message, len(entries))
		n := 0
		for i, e := range entries {
			msgs[i] = &Message{Flag: e.Flag, Body: e.Body}
			n += len(e.Body)
		}
		out, err := EncodeBatch(msgs)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeBatch(out)
		if err != nil || len(again) != len(entries) {
			t.Fatalf("round trip: %v, %d entries, want %d", err, len(again), len(entries))
		}
		for i := range again {
			if !bytes.Equal(again[i].Body, entries[i].Body) {
				t.Fatalf("entry %d body differs", i)
			}
		}
	})
}

func FuzzProperties(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		props := DecodeProperties(s)
		again := DecodeProperties(EncodeProperties(props))
		if len(again) != len(props) {
			t.Fatalf("round trip kept %d of %d properties", len(again), len(props))
		}
		for k, v := range props {
			if again[k] != v {
				t.Fatalf("property %q: %q became %q", k, v, again[k])
			}
			got, ok := PropertyFromString(s, k)
			if !ok || got == "" {
				t.Fatalf("PropertyFromString(%q) missed a key the map has", k)
			}
			if gotb, ok := PropertyFromBytes([]byte(s), k); !ok || string(gotb) != got {
				t.Fatalf("PropertyFromBytes(%q) = %q, PropertyFromString gave %q", k, gotb, got)
			}
		}
	})
}
