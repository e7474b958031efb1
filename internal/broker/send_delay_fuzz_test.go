package broker

import (
	"testing"
)

// FuzzDelayOffsets feeds delayOffset.json decoding arbitrary bytes: it
// must return a table or an error, never panic, and a table it returns
// must survive an encode/decode round trip.
func FuzzDelayOffsets(f *testing.F) {
	f.Add([]byte(`{"offsetTable":{1:5,3:0}}`))
	f.Add([]byte(`{"offsetTable":{"1":5}}`))
	f.Add([]byte("{\n\t\"offsetTable\":{\n\t\t2:17\n\t}\n}"))
	f.Add([]byte(`{"offsetTable":{}}`))
	f.Add([]byte(`{"offsetTable":{"a\"b":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		table, err := decodeDelayOffsets(data)
		if err != nil {
			return
		}
		d := &delayService{}
		d.mu.offsets = table
		again, err := decodeDelayOffsets(d.encode())
		if err != nil {
			t.Fatalf("re-decode %q: %v", d.encode(), err)
		}
		if len(again) != len(table) {
			t.Fatalf("round trip lost levels: %v vs %v", table, again)
		}
		for k, v := range table {
			if again[k] != v {
				t.Fatalf("level %d: %d became %d", k, v, again[k])
			}
		}
	})
}
