package remoting

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// ROCKETMQ binary header (RocketMQSerializable.java), big-endian:
//
//	| code int16 | language byte | version int16 | opaque int32 | flag int32 |
//	| remarkLength int32 R | remark R bytes |
//	| extFieldsLength int32 E | entries, E bytes in all:                     |
//	|     keyLength int16 K | key K bytes | valueLength int32 V | value V bytes |
//
// The fixed part is 21 bytes. A remark of length 0 is no remark. Java rejects
// a remark or extFields length larger than the header, and a key or value
// longer than the extFields block; so do we, and also any read past the end.
const binaryFixedSize = 21

func appendHeaderBinary(dst []byte, c *Command) ([]byte, error) {
	if c.Code < math.MinInt16 || c.Code > math.MaxInt16 {
		return dst, fmt.Errorf("encode ROCKETMQ header: code %d does not fit int16", c.Code)
	}
	if c.Version < math.MinInt16 || c.Version > math.MaxInt16 {
		return dst, fmt.Errorf("encode ROCKETMQ header: version %d does not fit int16", c.Version)
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(int16(c.Code)))
	dst = append(dst, LanguageByte(c.Language))
	dst = binary.BigEndian.AppendUint16(dst, uint16(int16(c.Version)))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Opaque))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Flag))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(c.Remark)))
	dst = append(dst, c.Remark...)
	lenAt := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	if len(c.ExtFields) > 0 {
		var kb [16]string
		for _, k := range sortedKeys(kb[:0], c.ExtFields) {
			if len(k) > math.MaxInt16 {
				return dst, fmt.Errorf("encode ROCKETMQ header: extFields key of %d bytes does not fit int16", len(k))
			}
			v := c.ExtFields[k]
			dst = binary.BigEndian.AppendUint16(dst, uint16(len(k)))
			dst = append(dst, k...)
			dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
			dst = append(dst, v...)
		}
	}
	binary.BigEndian.PutUint32(dst[lenAt:], uint32(len(dst)-lenAt-4))
	return dst, nil
}

// sortedKeys appends the keys of m to keys and sorts them, so that equal
// commands encode to equal bytes.
func sortedKeys(keys []string, m map[string]string) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// decodeHeaderBinary fills c from the binary header b (exactly the header
// bytes). Zero-length keys and values decode as empty strings.
func decodeHeaderBinary(b []byte, c *Command) error {
	hlen := len(b)
	if hlen < binaryFixedSize {
		return badFrame("ROCKETMQ header of %d bytes is shorter than its fixed %d", hlen, binaryFixedSize)
	}
	c.Code = int32(int16(binary.BigEndian.Uint16(b[0:])))
	c.Language = LanguageName(b[2])
	c.Version = int32(int16(binary.BigEndian.Uint16(b[3:])))
	c.Opaque = int32(binary.BigEndian.Uint32(b[5:]))
	c.Flag = int32(binary.BigEndian.Uint32(b[9:]))
	rlen := int32(binary.BigEndian.Uint32(b[13:]))
	p := b[17:]
	if rlen > 0 {
		if int64(rlen) > int64(hlen) {
			return badFrame("ROCKETMQ header: remark length %d, but header length %d", rlen, hlen)
		}
		if int(rlen) > len(p) {
			return badFrame("ROCKETMQ header: remark length %d runs past the header end", rlen)
		}
		c.Remark = string(p[:rlen])
		p = p[rlen:]
	}
	if len(p) < 4 {
		return badFrame("ROCKETMQ header: extFields length missing")
	}
	elen := int32(binary.BigEndian.Uint32(p))
	p = p[4:]
	if elen <= 0 {
		return nil
	}
	if int64(elen) > int64(hlen) {
		return badFrame("ROCKETMQ header: extFields length %d, but header length %d", elen, hlen)
	}
	if int(elen) > len(p) {
		return badFrame("ROCKETMQ header: extFields length %d runs past the header end", elen)
	}
	return decodeExtFieldsBinary(p[:elen], c)
}

func decodeExtFieldsBinary(p []byte, c *Command) error {
	limit := len(p)
	ext := make(map[string]string, countEntries(p))
	for len(p) > 0 {
		if len(p) < 2 {
			return badFrame("ROCKETMQ header: truncated extFields key length")
		}
		klen := int(int16(binary.BigEndian.Uint16(p)))
		p = p[2:]
		if klen < 0 || klen > limit || klen > len(p) {
			return badFrame("ROCKETMQ header: extFields key length %d out of bounds", klen)
		}
		k := string(p[:klen])
		p = p[klen:]
		if len(p) < 4 {
			return badFrame("ROCKETMQ header: truncated extFields value length for key %q", k)
		}
		vlen := int64(int32(binary.BigEndian.Uint32(p)))
		p = p[4:]
		if vlen < 0 || vlen > int64(limit) || vlen > int64(len(p)) {
			return badFrame("ROCKETMQ header: extFields value length %d of key %q out of bounds", vlen, k)
		}
		ext[k] = string(p[:vlen])
		p = p[vlen:]
	}
	c.ExtFields = ext
	return nil
}

// countEntries walks the entry lengths to size the map; it stops quietly at
// the first bad length, which the decoder then reports.
func countEntries(p []byte) int {
	n := 0
	for len(p) >= 2 {
		klen := int(int16(binary.BigEndian.Uint16(p)))
		if klen < 0 || 2+klen+4 > len(p) {
			break
		}
		p = p[2+klen:]
		vlen := int64(int32(binary.BigEndian.Uint32(p)))
		if vlen < 0 || 4+vlen > int64(len(p)) {
			break
		}
		p = p[4+vlen:]
		n++
	}
	return n
}
