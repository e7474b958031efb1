package store

// CommitLog: every message of every topic, appended to one mapped-file
// queue under a single put lock (CommitLog.java). Record layout: see
// internal/message/record.go. Each full file ends with a BLANK record of
// at least 8 bytes, so a record never spans files:
//
//	| records ... | TOTALSIZE = rest of file int32 | 0xCBD43194 int32 | untouched |

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorocket/gorocket/internal/message"
	"go.uber.org/zap"
)

// ScheduleTopic is where delayed messages wait (TopicValidator.RMQ_SYS_SCHEDULE_TOPIC).
const ScheduleTopic = "SCHEDULE_TOPIC_XXXX"

// PutStatus is a put's outcome (PutMessageStatus.java).
type PutStatus int

const (
	PutOK PutStatus = iota
	FlushDiskTimeout
	FlushSlaveTimeout
	SlaveNotAvailable
	ServiceNotAvailable
	CreateMappedFileFailed
	MessageIllegal
	PropertiesSizeExceeded
	OSPageCacheBusy
	UnknownError
)

var putStatusNames = [...]string{"PUT_OK", "FLUSH_DISK_TIMEOUT", "FLUSH_SLAVE_TIMEOUT", "SLAVE_NOT_AVAILABLE",
	"SERVICE_NOT_AVAILABLE", "CREATE_MAPEDFILE_FAILED", "MESSAGE_ILLEGAL", "PROPERTIES_SIZE_EXCEEDED",
	"OS_PAGECACHE_BUSY", "UNKNOWN_ERROR"}

func (s PutStatus) String() string {
	if s >= 0 && int(s) < len(putStatusNames) {
		return putStatusNames[s]
	}
	return "PutStatus(" + strconv.Itoa(int(s)) + ")"
}

// Stored reports whether the message is in the commit log (PUT_OK and the
// flush/slave timeouts).
func (s PutStatus) Stored() bool {
	return s == PutOK || s == FlushDiskTimeout || s == FlushSlaveTimeout || s == SlaveNotAvailable
}

// PutResult is what a put returns (PutMessageResult + AppendMessageResult).
type PutResult struct {
	Status PutStatus
	Remark string // why, for statuses other than PUT_OK

	WroteOffset    int64  // commit-log offset of the (first) record
	WroteBytes     int32  // bytes appended
	MsgID          string // offset message id; comma-separated for a batch
	QueueOffset    int64  // queue offset of the (first) message
	MsgNum         int32
	StoreTimestamp int64
}

func putFail(s PutStatus, format string, args ...any) PutResult {
	return PutResult{Status: s, Remark: fmt.Sprintf(format, args...)}
}

type topicQueueKey struct {
	topic   string
	queueID int32
}

// CommitLog is the store's log of record bytes.
type CommitLog struct {
	cfg *Config
	q   *mappedFileQueue
	lg  *zap.Logger

	putMu      sync.Mutex
	queueTable map[topicQueueKey]int64 // next queue offset; guarded by putMu
	writeErr   error                   // first write error, sticky; guarded by putMu
	lockSince  atomic.Int64            // unix ms when putMu was taken, 0 when free

	lastStoreTimestamp atomic.Int64
	delayLevels        []time.Duration

	// onAppend is called after bytes are appended (wakes dispatcher and flusher).
	onAppend func()
}

var recordBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// putRecordBuf returns an encoding buffer to the pool unless a big message
// grew it (keep big buffers from pinning memory).
func putRecordBuf(bp *[]byte) {
	if cap(*bp) <= 256<<10 {
		recordBufPool.Put(bp)
	}
}

func openCommitLog(cfg *Config, lg *zap.Logger) (*CommitLog, error) {
	levels, err := ParseDelayLevels(cfg.MessageDelayLevel)
	if err != nil {
		return nil, err
	}
	q, err := openMappedFileQueue(cfg.CommitLogDir(), cfg.MappedFileSizeCommitLog, lg)
	if err != nil {
		return nil, fmt.Errorf("open commit log: %w", err)
	}
	if cfg.FlushDiskType == SyncFlush {
		q.usePwrite() // see doc.go, "Durable path"
	}
	return &CommitLog{cfg: cfg, q: q, lg: lg, queueTable: make(map[topicQueueKey]int64),
		delayLevels: levels, onAppend: func() {}}, nil
}

// MinOffset is the first file's start, 0 when empty (CommitLog.getMinOffset).
func (c *CommitLog) MinOffset() int64 { return max(c.q.minOffset(), 0) }

// MaxOffset is the end of written data.
func (c *CommitLog) MaxOffset() int64 { return c.q.maxOffset() }

// checkMessage applies the store's size checks (§2.3) before encoding.
func (c *CommitLog) checkMessage(m *message.MessageExt, propsLen int) (PutStatus, string) {
	switch {
	case m.Topic == "" || m.Topic == "." || m.Topic == ".." || strings.ContainsAny(m.Topic, "/\\\x00"):
		return MessageIllegal, fmt.Sprintf("topic %q cannot name a consume queue directory", m.Topic)
	case m.QueueID < 0:
		return MessageIllegal, fmt.Sprintf("queueId %d is negative", m.QueueID)
	case len(m.Topic) > message.MaxTopicLength:
		return MessageIllegal, fmt.Sprintf("topic length %d exceeds %d", len(m.Topic), message.MaxTopicLength)
	case len(m.Body) > c.cfg.MaxMessageSize:
		return MessageIllegal, fmt.Sprintf("message body size %d exceeds maxMessageSize %d", len(m.Body), c.cfg.MaxMessageSize)
	case propsLen > message.MaxPropertiesLength:
		return PropertiesSizeExceeded, fmt.Sprintf("properties size %d exceeds %d", propsLen, message.MaxPropertiesLength)
	}
	return PutOK, ""
}

// prepare fills store-side fields and applies the delay rewrite (§3.5).
func (c *CommitLog) prepare(m *message.MessageExt) {
	if !m.StoreHost.IsValid() {
		m.StoreHost = c.cfg.StoreHost
	}
	tt := message.TransactionType(m.SysFlag)
	if tt == message.SysFlagTransactionNot || tt == message.SysFlagTransactionCommit {
		if level := m.DelayLevel(); level > 0 {
			if m.Properties == nil {
				m.Properties = message.DecodeProperties(m.PropertiesString)
			}
			level = min(level, len(c.delayLevels))
			m.SetProperty(message.PropertyDelayTimeLevel, strconv.Itoa(level))
			m.SetProperty(message.PropertyRealTopic, m.Topic)
			m.SetProperty(message.PropertyRealQueueID, strconv.Itoa(int(m.QueueID)))
			m.Topic = ScheduleTopic
			m.QueueID = int32(level - 1)
			m.PropertiesString = ""
		}
	}
}

// appendMessage encodes and appends one message; m's store fields
// (offsets, store timestamp, msgId, sizes) are set on success. Making the
// bytes durable is the caller's (Store.putSync, Store.putAsync).
func (c *CommitLog) appendMessage(m *message.MessageExt) PutResult {
	c.prepare(m)
	props := m.PropertiesString
	if props == "" {
		props = message.EncodeProperties(m.Properties)
		m.PropertiesString = props
	}
	if st, why := c.checkMessage(m, len(props)); st != PutOK {
		return putFail(st, "%s", why)
	}
	bp := recordBufPool.Get().(*[]byte)
	defer putRecordBuf(bp)
	rec, err := message.AppendRecord((*bp)[:0], m)
	if err != nil {
		return putFail(MessageIllegal, "%v", err)
	}
	*bp = rec
	if len(rec) > c.cfg.MaxMessageSize+64*1024 || len(rec)+message.BlankRecordSize > c.q.fileSize {
		return putFail(MessageIllegal, "message size %d exceeds the limit", len(rec))
	}
	return c.appendRecords(rec, []*message.MessageExt{m})
}

// appendMessages encodes and appends a batch: every message to one queue,
// consecutive queue offsets, all in one file.
func (c *CommitLog) appendMessages(msgs []*message.MessageExt) PutResult {
	if len(msgs) == 0 {
		return putFail(MessageIllegal, "empty batch")
	}
	bp := recordBufPool.Get().(*[]byte)
	defer putRecordBuf(bp)
	buf := (*bp)[:0]
	total := 0
	for i, m := range msgs {
		if message.TransactionType(m.SysFlag) != message.SysFlagTransactionNot {
			return putFail(MessageIllegal, "batch message %d is transactional", i)
		}
		if m.DelayLevel() > 0 {
			return putFail(MessageIllegal, "batch message %d has a delay level", i)
		}
		if m.Topic != msgs[0].Topic || m.QueueID != msgs[0].QueueID {
			return putFail(MessageIllegal, "batch message %d is for another queue", i)
		}
		if !m.StoreHost.IsValid() {
			m.StoreHost = c.cfg.StoreHost
		}
		if m.PropertiesString == "" {
			m.PropertiesString = message.EncodeProperties(m.Properties)
		}
		if st, why := c.checkMessage(m, len(m.PropertiesString)); st != PutOK {
			return putFail(st, "batch message %d: %s", i, why)
		}
		total += len(m.Body)
		var err error
		if buf, err = message.AppendRecord(buf, m); err != nil {
			return putFail(MessageIllegal, "batch message %d: %v", i, err)
		}
	}
	*bp = buf
	if total > c.cfg.MaxMessageSize {
		return putFail(MessageIllegal, "batch body size %d exceeds maxMessageSize %d", total, c.cfg.MaxMessageSize)
	}
	if len(buf)+message.BlankRecordSize > c.q.fileSize {
		return putFail(MessageIllegal, "batch size %d does not fit a commit log file", len(buf))
	}
	return c.appendRecords(buf, msgs)
}

// appendRecords writes encoded records (one per message, back to back)
// under the put lock, patching queue offset, physical offset and store
// timestamp into each.
func (c *CommitLog) appendRecords(buf []byte, msgs []*message.MessageExt) PutResult {
	c.putMu.Lock()
	begin := time.Now()
	c.lockSince.Store(begin.UnixMilli())
	res := c.appendRecordsLocked(buf, msgs, begin.UnixMilli())
	c.lockSince.Store(0)
	c.putMu.Unlock()
	if res.Status != PutOK {
		return res
	}
	for i, m := range msgs {
		m.MsgID = message.CreateOffsetMsgID(m.StoreHost, m.CommitLogOffset)
		if i == 0 {
			res.MsgID = m.MsgID
		} else {
			res.MsgID += "," + m.MsgID
		}
	}
	c.onAppend()
	return res
}

func (c *CommitLog) appendRecordsLocked(buf []byte, msgs []*message.MessageExt, now int64) PutResult {
	if c.writeErr != nil {
		return putFail(UnknownError, "commit log write failed earlier: %v", c.writeErr)
	}
	mf, err := c.q.lastOrCreate(0)
	if err != nil {
		c.lg.Error("create mapped file failed", zap.Error(err))
		return putFail(CreateMappedFileFailed, "create mapped file failed: %v", err)
	}
	pos := int(mf.wrote.Load())
	if pos+len(buf)+message.BlankRecordSize > mf.size {
		var blank [message.BlankRecordSize]byte
		binary.BigEndian.PutUint32(blank[0:], uint32(mf.size-pos))
		binary.BigEndian.PutUint32(blank[4:], 0xCBD43194) // MagicBlank
		if err := mf.write(pos, blank[:]); err != nil {
			c.writeErr = err
			return putFail(UnknownError, "write blank record: %v", err)
		}
		mf.setWrote(mf.size)
		if mf, err = c.q.lastOrCreate(0); err != nil {
			c.lg.Error("create mapped file failed", zap.Error(err))
			return putFail(CreateMappedFileFailed, "create mapped file failed: %v", err)
		}
		pos = 0
	}
	phy := mf.start + int64(pos)
	res := PutResult{Status: PutOK, WroteOffset: phy, WroteBytes: int32(len(buf)), MsgNum: int32(len(msgs)), StoreTimestamp: now}
	be := binary.BigEndian
	off := 0
	for i, m := range msgs {
		size := int(m.StoreSize)
		r := buf[off : off+size]
		key := topicQueueKey{m.Topic, m.QueueID}
		tt := message.TransactionType(m.SysFlag)
		queueOffset := int64(0)
		counted := tt == message.SysFlagTransactionNot || tt == message.SysFlagTransactionCommit
		if counted {
			queueOffset = c.queueTable[key]
		}
		be.PutUint64(r[message.PosQueueOffset:], uint64(queueOffset))
		be.PutUint64(r[message.PosPhyOffset:], uint64(phy+int64(off)))
		be.PutUint64(r[message.PosStoreTimestamp(m.SysFlag):], uint64(now))
		m.QueueOffset = queueOffset
		m.CommitLogOffset = phy + int64(off)
		m.StoreTimestamp = now
		if i == 0 {
			res.QueueOffset = queueOffset
		}
		if counted {
			c.queueTable[key] = queueOffset + 1
		}
		off += size
	}
	if err := mf.write(pos, buf); err != nil {
		c.writeErr = err
		return putFail(UnknownError, "write records: %v", err)
	}
	mf.setWrote(pos + len(buf))
	c.lastStoreTimestamp.Store(now)
	return res
}

// appendRaw writes replicated bytes at offset, which must be the current
// end of the log, or a file boundary when the log is empty (a new slave
// starts where the master's files start) (a slave's HA replay,
// CommitLog.appendData). Bytes may cross into the next file only at a
// file boundary.
func (c *CommitLog) appendRaw(offset int64, data []byte) error {
	c.putMu.Lock()
	defer c.putMu.Unlock()
	if c.writeErr != nil {
		return fmt.Errorf("append to commit log: earlier write failed: %w", c.writeErr)
	}
	if c.q.last() == nil && offset%int64(c.q.fileSize) != 0 {
		return fmt.Errorf("append %d bytes at %d to an empty commit log: not a file boundary", len(data), offset)
	}
	for len(data) > 0 {
		if end := c.q.maxOffset(); end != offset && c.q.last() != nil {
			return fmt.Errorf("append %d bytes at %d: commit log ends at %d", len(data), offset, end)
		}
		mf, err := c.q.lastOrCreate(offset)
		if err != nil {
			return fmt.Errorf("append to commit log: %w", err)
		}
		pos := int(mf.wrote.Load())
		n := min(len(data), mf.size-pos)
		if err := mf.write(pos, data[:n]); err != nil {
			c.writeErr = err
			return fmt.Errorf("append to commit log: %w", err)
		}
		mf.setWrote(pos + n)
		data = data[n:]
		offset += int64(n)
	}
	c.onAppend()
	return nil
}

// readRecord copies the record at phyOffset (size when known, else read
// from its TOTALSIZE).
func (c *CommitLog) readRecord(phyOffset int64, size int32) ([]byte, error) {
	if size <= 0 {
		b, err := c.q.read(phyOffset, 4)
		if err != nil {
			return nil, err
		}
		size = int32(binary.BigEndian.Uint32(b))
		if size <= 0 || int(size) > c.q.fileSize {
			return nil, fmt.Errorf("record at %d: size %d: %w", phyOffset, size, message.ErrCorrupt)
		}
	}
	return c.q.read(phyOffset, int(size))
}

// storeTimestampAt reads the store timestamp of the record at phyOffset,
// -1 when it cannot.
func (c *CommitLog) storeTimestampAt(phyOffset int64, size int32) int64 {
	ts := int64(-1)
	_ = c.q.view(phyOffset, func(b []byte) error {
		if len(b) < message.PosSysFlag+4 {
			return nil
		}
		sysFlag := int32(binary.BigEndian.Uint32(b[message.PosSysFlag:]))
		p := message.PosStoreTimestamp(sysFlag)
		if len(b) >= p+8 {
			ts = int64(binary.BigEndian.Uint64(b[p:]))
		}
		return nil
	})
	return ts
}

// rebuildQueueTable sets the next queue offsets (recoverTopicQueueTable).
func (c *CommitLog) setQueueTable(t map[topicQueueKey]int64) {
	c.putMu.Lock()
	c.queueTable = t
	c.putMu.Unlock()
}

// removeTopicQueues forgets the queue offsets of a topic.
func (c *CommitLog) removeTopicQueues(topic string) {
	c.putMu.Lock()
	for k := range c.queueTable {
		if k.topic == topic {
			delete(c.queueTable, k)
		}
	}
	c.putMu.Unlock()
}

// pageCacheBusy reports a put lock held longer than
// osPageCacheBusyTimeOutMills (DefaultMessageStore.isOSPageCacheBusy).
func (c *CommitLog) pageCacheBusy() bool {
	since := c.lockSince.Load()
	if since == 0 {
		return false
	}
	d := time.Now().UnixMilli() - since
	return d < 10000000 && d > c.cfg.OsPageCacheBusyTimeOutMills
}
