package message

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"net/netip"
)

// Stored record (CommitLog.MessageExtEncoder, MessageDecoder.decode), the
// layout of commit-log records, pull bodies and HA bytes. Big-endian.
// Offsets are for IPv4 hosts; each IPv6 host (SYSFLAG 0x10 born, 0x20
// store) is 20 bytes instead of 8 and shifts what follows by 12.
//
//	 0 | TOTALSIZE int32                 whole record
//	 4 | MAGICCODE int32                 0xDAA320A7
//	 8 | BODYCRC int32                   crc32(body) & 0x7FFFFFFF
//	12 | QUEUEID int32
//	16 | FLAG int32
//	20 | QUEUEOFFSET int64
//	28 | PHYSICALOFFSET int64
//	36 | SYSFLAG int32
//	40 | BORNTIMESTAMP int64
//	48 | BORNHOST ip[4] port int32       ip[16] when SYSFLAG & 0x10
//	56 | STORETIMESTAMP int64
//	64 | STOREHOST ip[4] port int32      ip[16] when SYSFLAG & 0x20
//	72 | RECONSUMETIMES int32
//	76 | PREPAREDTRANSACTIONOFFSET int64
//	84 | BODYLENGTH int32, BODY
//	   | TOPICLENGTH int8, TOPIC
//	   | PROPERTIESLENGTH int16, PROPERTIES
//
// End-of-file filler (BLANK): only {TOTALSIZE = rest of the file,
// MAGICCODE = 0xCBD43194} is written.
const (
	MagicMessage   int32 = -626843481 // 0xDAA320A7 MESSAGE_MAGIC_CODE
	MagicMessageV2 int32 = -626843477 // 0xDAA320AB 5.x, 2-byte topic length
	MagicBlank     int32 = -875286124 // 0xCBD43194 BLANK_MAGIC_CODE

	// Field positions that do not move with host sizes.
	PosTotalSize   = 0
	PosMagic       = 4
	PosBodyCRC     = 8
	PosQueueID     = 12
	PosFlag        = 16
	PosQueueOffset = 20
	PosPhyOffset   = 28
	PosSysFlag     = 36
	PosBornTime    = 40
	PosBornHost    = 48

	// BlankRecordSize is what an end-of-file filler writes.
	BlankRecordSize = 8

	// MaxTopicLength is the longest topic a 4.x record holds.
	MaxTopicLength = 127
)

// ErrCorrupt is wrapped by every decoding error.
var ErrCorrupt = errors.New("corrupt message record")

func hostLen(sysFlag, v6bit int32) int {
	if sysFlag&v6bit != 0 {
		return 20
	}
	return 8
}

// PosStoreTimestamp is the offset of STORETIMESTAMP for sysFlag.
func PosStoreTimestamp(sysFlag int32) int { return PosBornHost + hostLen(sysFlag, SysFlagBornHostV6) }

// RecordSize is TOTALSIZE for the given lengths and sysflag
// (CommitLog.calMsgLength).
func RecordSize(sysFlag int32, bodyLen, topicLen, propsLen int) int {
	return 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + hostLen(sysFlag, SysFlagBornHostV6) + 8 +
		hostLen(sysFlag, SysFlagStoreHostV6) + 4 + 8 + 4 + bodyLen + 1 + topicLen + 2 + propsLen
}

// BodyCRC is the stored body checksum: IEEE CRC-32 with the sign bit cleared.
func BodyCRC(body []byte) int32 { return int32(crc32.ChecksumIEEE(body) & 0x7FFFFFFF) }

// HostSysFlag returns sysFlag with the IPv6 bits set from the hosts.
func HostSysFlag(sysFlag int32, born, store netip.AddrPort) int32 {
	sysFlag &^= SysFlagBornHostV6 | SysFlagStoreHostV6
	if !is4(born.Addr()) {
		sysFlag |= SysFlagBornHostV6
	}
	if !is4(store.Addr()) {
		sysFlag |= SysFlagStoreHostV6
	}
	return sysFlag
}

// is4 treats an invalid (zero) address as IPv4 0.0.0.0, the way Java
// writes an unknown host.
// An IPv4-mapped IPv6 address stays IPv6 (20 bytes), so decode and encode
// round-trip; callers with a net.Addr should Unmap it first.
func is4(a netip.Addr) bool { return !a.IsValid() || a.Is4() }

func appendHost(b []byte, h netip.AddrPort, v6 bool) []byte {
	a := h.Addr()
	if v6 {
		s := a.As16()
		b = append(b, s[:]...)
	} else {
		var s [4]byte
		if a.IsValid() {
			s = a.As4()
		}
		b = append(b, s[:]...)
	}
	return binary.BigEndian.AppendUint32(b, uint32(h.Port()))
}

// AppendRecord appends m as a stored record to dst. SYSFLAG's IPv6 bits are
// set from the hosts, BODYCRC is computed from the body, and TOTALSIZE is
// computed; StoreSize, SysFlag and BodyCRC of m are updated to what was
// written. It fails when the topic or properties do not fit the format.
func AppendRecord(dst []byte, m *MessageExt) ([]byte, error) {
	props := m.PropertiesString
	if props == "" {
		props = EncodeProperties(m.Properties)
	}
	if len(m.Topic) > MaxTopicLength {
		return dst, fmt.Errorf("encode record: topic length %d exceeds %d", len(m.Topic), MaxTopicLength)
	}
	if len(props) > MaxPropertiesLength {
		return dst, fmt.Errorf("encode record: properties length %d exceeds %d", len(props), MaxPropertiesLength)
	}
	m.SysFlag = HostSysFlag(m.SysFlag, m.BornHost, m.StoreHost)
	m.BodyCRC = BodyCRC(m.Body)
	size := RecordSize(m.SysFlag, len(m.Body), len(m.Topic), len(props))
	m.StoreSize = int32(size)
	be := binary.BigEndian
	dst = be.AppendUint32(dst, uint32(size))
	dst = be.AppendUint32(dst, 0xDAA320A7) // MagicMessage
	dst = be.AppendUint32(dst, uint32(m.BodyCRC))
	dst = be.AppendUint32(dst, uint32(m.QueueID))
	dst = be.AppendUint32(dst, uint32(m.Flag))
	dst = be.AppendUint64(dst, uint64(m.QueueOffset))
	dst = be.AppendUint64(dst, uint64(m.CommitLogOffset))
	dst = be.AppendUint32(dst, uint32(m.SysFlag))
	dst = be.AppendUint64(dst, uint64(m.BornTimestamp))
	dst = appendHost(dst, m.BornHost, m.SysFlag&SysFlagBornHostV6 != 0)
	dst = be.AppendUint64(dst, uint64(m.StoreTimestamp))
	dst = appendHost(dst, m.StoreHost, m.SysFlag&SysFlagStoreHostV6 != 0)
	dst = be.AppendUint32(dst, uint32(m.ReconsumeTimes))
	dst = be.AppendUint64(dst, uint64(m.PreparedTransactionOffset))
	dst = be.AppendUint32(dst, uint32(len(m.Body)))
	dst = append(dst, m.Body...)
	dst = append(dst, byte(len(m.Topic)))
	dst = append(dst, m.Topic...)
	dst = be.AppendUint16(dst, uint16(len(props)))
	dst = append(dst, props...)
	return dst, nil
}

// EncodeRecord returns m as a stored record (see AppendRecord).
func EncodeRecord(m *MessageExt) ([]byte, error) { return AppendRecord(nil, m) }

// reader reads big-endian fields and remembers the first overrun.
type reader struct {
	b   []byte
	pos int
	err error
}

func (r *reader) need(n int, field string) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || len(r.b)-r.pos < n {
		r.err = fmt.Errorf("%w: %s needs %d bytes at %d, have %d", ErrCorrupt, field, n, r.pos, len(r.b)-r.pos)
		return false
	}
	return true
}

func (r *reader) u32(field string) uint32 {
	if !r.need(4, field) {
		return 0
	}
	v := binary.BigEndian.Uint32(r.b[r.pos:])
	r.pos += 4
	return v
}

func (r *reader) u64(field string) uint64 {
	if !r.need(8, field) {
		return 0
	}
	v := binary.BigEndian.Uint64(r.b[r.pos:])
	r.pos += 8
	return v
}

func (r *reader) bytes(n int, field string) []byte {
	if !r.need(n, field) {
		return nil
	}
	v := r.b[r.pos : r.pos+n : r.pos+n]
	r.pos += n
	return v
}

func (r *reader) host(v6 bool, field string) netip.AddrPort {
	n := 4
	if v6 {
		n = 16
	}
	ip := r.bytes(n, field)
	port := r.u32(field)
	if r.err != nil {
		return netip.AddrPort{}
	}
	a, _ := netip.AddrFromSlice(ip)
	return netip.AddrPortFrom(a, uint16(port))
}

// Record is what a reader of the commit log learns from a record without
// copying its body: used by recovery, dispatch and the store's reads.
type Record struct {
	Size           int32 // TOTALSIZE
	Blank          bool  // end-of-file filler: skip to the next file
	QueueID        int32
	QueueOffset    int64
	PhyOffset      int64
	SysFlag        int32
	BornTimestamp  int64
	StoreTimestamp int64
	BodyCRC        int32
	Topic          string
	Properties     string // raw properties string
}

// RecordView is Record with Topic and Properties aliasing the parsed bytes:
// for hot readers that must not allocate (dispatch). It is valid only as
// long as those bytes are.
type RecordView struct {
	Size           int32
	Blank          bool
	QueueID        int32
	QueueOffset    int64
	PhyOffset      int64
	SysFlag        int32
	BornTimestamp  int64
	StoreTimestamp int64
	BodyCRC        int32
	Topic          []byte
	Properties     []byte
}

// ParseRecord checks the record at the start of b: magic, every length
// against TOTALSIZE, and, when checkCRC, the body CRC. It returns the
// header fields. A BLANK filler returns Blank with only Size set (and
// needs only 8 bytes).
func ParseRecord(b []byte, checkCRC bool) (Record, error) {
	v, err := ParseRecordView(b, checkCRC)
	rec := Record{Size: v.Size, Blank: v.Blank, QueueID: v.QueueID, QueueOffset: v.QueueOffset,
		PhyOffset: v.PhyOffset, SysFlag: v.SysFlag, BornTimestamp: v.BornTimestamp,
		StoreTimestamp: v.StoreTimestamp, BodyCRC: v.BodyCRC}
	if err == nil {
		rec.Topic, rec.Properties = string(v.Topic), string(v.Properties)
	}
	return rec, err
}

// ParseRecordView is ParseRecord without copying topic and properties.
func ParseRecordView(b []byte, checkCRC bool) (RecordView, error) {
	var rec RecordView
	if len(b) < 8 {
		return rec, fmt.Errorf("%w: %d bytes, need 8 for size and magic", ErrCorrupt, len(b))
	}
	rec.Size = int32(binary.BigEndian.Uint32(b))
	magic := int32(binary.BigEndian.Uint32(b[PosMagic:]))
	switch magic {
	case MagicBlank:
		if rec.Size < BlankRecordSize {
			return rec, fmt.Errorf("%w: blank record size %d", ErrCorrupt, rec.Size)
		}
		rec.Blank = true
		return rec, nil
	case MagicMessage:
	default:
		return rec, fmt.Errorf("%w: magic code %#x", ErrCorrupt, uint32(magic))
	}
	if rec.Size < int32(RecordSize(0, 0, 0, 0)) || int(rec.Size) > len(b) {
		return rec, fmt.Errorf("%w: total size %d with %d bytes available", ErrCorrupt, rec.Size, len(b))
	}
	r := reader{b: b[:rec.Size], pos: PosBodyCRC}
	rec.BodyCRC = int32(r.u32("BODYCRC"))
	rec.QueueID = int32(r.u32("QUEUEID"))
	r.u32("FLAG")
	rec.QueueOffset = int64(r.u64("QUEUEOFFSET"))
	rec.PhyOffset = int64(r.u64("PHYSICALOFFSET"))
	rec.SysFlag = int32(r.u32("SYSFLAG"))
	rec.BornTimestamp = int64(r.u64("BORNTIMESTAMP"))
	r.bytes(hostLen(rec.SysFlag, SysFlagBornHostV6), "BORNHOST")
	rec.StoreTimestamp = int64(r.u64("STORETIMESTAMP"))
	r.bytes(hostLen(rec.SysFlag, SysFlagStoreHostV6), "STOREHOST")
	r.u32("RECONSUMETIMES")
	r.u64("PREPAREDTRANSACTIONOFFSET")
	bodyLen := int(int32(r.u32("BODYLENGTH")))
	body := r.bytes(bodyLen, "BODY")
	topicLen := 0
	if t := r.bytes(1, "TOPICLENGTH"); t != nil {
		topicLen = int(t[0])
	}
	rec.Topic = r.bytes(topicLen, "TOPIC")
	propsLen := 0
	if topicLen > MaxTopicLength {
		return rec, fmt.Errorf("%w: topic length %d exceeds %d", ErrCorrupt, topicLen, MaxTopicLength)
	}
	if p := r.bytes(2, "PROPERTIESLENGTH"); p != nil {
		propsLen = int(int16(binary.BigEndian.Uint16(p)))
	}
	rec.Properties = r.bytes(propsLen, "PROPERTIES")
	if r.err != nil {
		return rec, r.err
	}
	if r.pos != int(rec.Size) {
		return rec, fmt.Errorf("%w: total size %d but fields end at %d", ErrCorrupt, rec.Size, r.pos)
	}
	if checkCRC && BodyCRC(body) != rec.BodyCRC {
		return rec, fmt.Errorf("%w: body crc %d, computed %d", ErrCorrupt, rec.BodyCRC, BodyCRC(body))
	}
	return rec, nil
}

// DecodeRecord decodes one stored record from the start of b and returns it
// with the number of bytes it used. The body is copied. MsgID is the offset
// message id of the store host and PHYSICALOFFSET.
func DecodeRecord(b []byte) (*MessageExt, int, error) {
	rec, err := ParseRecord(b, false)
	if err != nil {
		return nil, 0, err
	}
	if rec.Blank {
		return nil, 0, fmt.Errorf("%w: blank record where a message was expected", ErrCorrupt)
	}
	m := &MessageExt{}
	r := reader{b: b[:rec.Size], pos: PosBodyCRC}
	m.StoreSize = rec.Size
	m.BodyCRC = int32(r.u32(""))
	m.QueueID = int32(r.u32(""))
	m.Flag = int32(r.u32(""))
	m.QueueOffset = int64(r.u64(""))
	m.CommitLogOffset = int64(r.u64(""))
	m.SysFlag = int32(r.u32(""))
	m.BornTimestamp = int64(r.u64(""))
	m.BornHost = r.host(m.SysFlag&SysFlagBornHostV6 != 0, "BORNHOST")
	m.StoreTimestamp = int64(r.u64(""))
	m.StoreHost = r.host(m.SysFlag&SysFlagStoreHostV6 != 0, "STOREHOST")
	m.ReconsumeTimes = int32(r.u32(""))
	m.PreparedTransactionOffset = int64(r.u64(""))
	bodyLen := int(r.u32(""))
	m.Body = append([]byte(nil), r.bytes(bodyLen, "BODY")...)
	m.Topic = rec.Topic
	m.PropertiesString = rec.Properties
	m.Properties = DecodeProperties(rec.Properties)
	if r.err != nil {
		return nil, 0, r.err
	}
	m.MsgID = CreateOffsetMsgID(m.StoreHost, m.CommitLogOffset)
	return m, int(rec.Size), nil
}

// DecodeMessages decodes a pull, query or view body: stored records back
// to back. It stops with an error at the first bad record and returns the
// messages decoded before it.
func DecodeMessages(body []byte) ([]*MessageExt, error) {
	var out []*MessageExt
	for len(body) > 0 {
		m, n, err := DecodeRecord(body)
		if err != nil {
			return out, fmt.Errorf("decode message %d: %w", len(out), err)
		}
		out = append(out, m)
		body = body[n:]
	}
	return out, nil
}
