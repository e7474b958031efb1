package message

import (
	"encoding/binary"
	"fmt"
)

// SEND_BATCH_MESSAGE body (MessageDecoder.encodeMessages): entries back to
// back, each
//
//	 0 | entrySize int32      22 + bodyLength + propertiesLength
//	 4 | magicCode int32      0, ignored
//	 8 | bodyCRC int32        0, ignored (the broker computes it)
//	12 | flag int32
//	16 | bodyLength int32, body
//	   | propertiesLength int16, properties string
const batchEntryOverhead = 22

// EncodeBatch encodes messages as a batch body. Topics are not part of it.
func EncodeBatch(msgs []*Message) ([]byte, error) {
	var b []byte
	be := binary.BigEndian
	for i, m := range msgs {
		props := EncodeProperties(m.Properties)
		if len(props) > MaxPropertiesLength {
			return nil, fmt.Errorf("encode batch message %d: properties length %d exceeds %d", i, len(props), MaxPropertiesLength)
		}
		b = be.AppendUint32(b, uint32(batchEntryOverhead+len(m.Body)+len(props)))
		b = be.AppendUint32(b, 0)
		b = be.AppendUint32(b, 0)
		b = be.AppendUint32(b, uint32(m.Flag))
		b = be.AppendUint32(b, uint32(len(m.Body)))
		b = append(b, m.Body...)
		b = be.AppendUint16(b, uint16(len(props)))
		b = append(b, props...)
	}
	return b, nil
}

// BatchEntry is one inner message of a batch body, with its raw properties
// string (the broker appends the batch-level properties to it).
type BatchEntry struct {
	Flag       int32
	Body       []byte // aliases the input
	Properties string
}

// DecodeBatch splits a batch body into its entries. Every entry's size
// must match its lengths.
func DecodeBatch(body []byte) ([]BatchEntry, error) {
	var out []BatchEntry
	for pos := 0; pos < len(body); {
		r := reader{b: body, pos: pos}
		size := int(int32(r.u32("entrySize")))
		r.u32("magicCode")
		r.u32("bodyCRC")
		flag := int32(r.u32("flag"))
		bodyLen := int(int32(r.u32("bodyLength")))
		b := r.bytes(bodyLen, "body")
		propsLen := 0
		if p := r.bytes(2, "propertiesLength"); p != nil {
			propsLen = int(int16(binary.BigEndian.Uint16(p)))
		}
		props := r.bytes(propsLen, "properties")
		if r.err != nil {
			return nil, fmt.Errorf("decode batch message %d: %w", len(out), r.err)
		}
		if size != r.pos-pos {
			return nil, fmt.Errorf("decode batch message %d: %w: entry size %d but fields take %d", len(out), ErrCorrupt, size, r.pos-pos)
		}
		out = append(out, BatchEntry{Flag: flag, Body: b, Properties: string(props)})
		pos = r.pos
	}
	return out, nil
}
