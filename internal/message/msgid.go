package message

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
)

// Offset message id (MessageDecoder.createMessageId), upper-case hex of:
//
//	store ip (4 or 16 bytes) | store port int32 | commit log offset int64
//
// 32 hex characters for IPv4, 56 for IPv6.

// CreateOffsetMsgID builds the offset message id of a record.
func CreateOffsetMsgID(storeHost netip.AddrPort, phyOffset int64) string {
	var raw [28]byte
	b := appendHost(raw[:0], storeHost, !is4(storeHost.Addr()))
	b = binary.BigEndian.AppendUint64(b, uint64(phyOffset))
	const digits = "0123456789ABCDEF"
	var out [56]byte
	for i, c := range b {
		out[2*i] = digits[c>>4]
		out[2*i+1] = digits[c&0xF]
	}
	return string(out[:2*len(b)])
}

// ParseOffsetMsgID splits an offset message id into store host and commit
// log offset. Like Java, 32 characters mean IPv4 and anything else is
// tried as IPv6 (56 characters).
func ParseOffsetMsgID(id string) (netip.AddrPort, int64, error) {
	var ipLen int
	switch len(id) {
	case 32:
		ipLen = 4
	case 56:
		ipLen = 16
	default:
		return netip.AddrPort{}, 0, fmt.Errorf("parse message id %q: length %d, want 32 or 56", id, len(id))
	}
	b, err := hex.DecodeString(id)
	if err != nil {
		return netip.AddrPort{}, 0, fmt.Errorf("parse message id %q: %w", id, err)
	}
	a, _ := netip.AddrFromSlice(b[:ipLen])
	port := binary.BigEndian.Uint32(b[ipLen:])
	off := int64(binary.BigEndian.Uint64(b[ipLen+4:]))
	return netip.AddrPortFrom(a, uint16(port)), off, nil
}
