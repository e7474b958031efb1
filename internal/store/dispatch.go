package store

// Dispatch (DefaultMessageStore.ReputMessageService): one goroutine reads
// committed commit-log records from reputFrom and builds consume-queue and
// index entries, then tells listeners (long polling). The same code serves
// normal puts, start-up catch-up after recovery, and a slave's raw appends.

import (
	"context"
	"encoding/binary"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorocket/gorocket/internal/message"
	"go.uber.org/zap"
)

// DispatchInfo describes one message that reached its consume queue.
type DispatchInfo struct {
	Topic            string
	QueueID          int32
	QueueOffset      int64 // the message's offset in its queue
	MaxOffset        int64 // queue offset after it (QueueOffset + 1)
	PhyOffset        int64
	Size             int32
	TagsCode         int64
	StoreTimestamp   int64
	PropertiesString string
}

// Properties decodes the message's properties.
func (d *DispatchInfo) Properties() map[string]string {
	return message.DecodeProperties(d.PropertiesString)
}

type dispatcher struct {
	s         *Store
	reputFrom atomic.Int64
	wake      chan struct{}
	parked    atomic.Bool // blocked on wake; puts must notify

	mu        sync.RWMutex
	listeners []func(DispatchInfo)

	warnedBug atomic.Bool
	topics    map[string]string // interned topic names; dispatch goroutine only
	pending   []DispatchInfo    // listener calls of the current chunk; dispatch goroutine only
}

func newDispatcher(s *Store) *dispatcher {
	return &dispatcher{s: s, wake: make(chan struct{}, 1), topics: make(map[string]string)}
}

func (d *dispatcher) notify() {
	if !d.parked.Load() {
		return // polling: it will see the bytes within dispatchPollInterval
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

func (d *dispatcher) addListener(f func(DispatchInfo)) {
	d.mu.Lock()
	d.listeners = append(d.listeners, f)
	d.mu.Unlock()
}

// behind is how many commit-log bytes wait for dispatch.
func (d *dispatcher) behind() int64 {
	return max(d.s.commitLog.MaxOffset()-d.reputFrom.Load(), 0)
}

// Waking: while puts keep coming the dispatcher polls every
// dispatchPollInterval (RocketMQ's reput sleeps 1 ms), so a put never pays
// for waking it; after dispatchIdlePolls empty polls it parks, and the
// next put wakes it through notify.
const (
	dispatchPollInterval = time.Millisecond
	dispatchIdlePolls    = 100
)

func (d *dispatcher) run(ctx context.Context) {
	t := time.NewTimer(dispatchPollInterval)
	defer t.Stop()
	idle := 0
	for {
		before := d.reputFrom.Load()
		d.reput(true)
		if d.reputFrom.Load() != before {
			idle = 0
		} else {
			idle++
		}
		if idle < dispatchIdlePolls {
			t.Reset(dispatchPollInterval)
			select {
			case <-ctx.Done():
				d.reput(true) // what was appended before Close
				return
			case <-t.C:
			case <-d.wake:
			}
			continue
		}
		d.parked.Store(true)
		if d.behind() > 0 { // appended after the last look: no wake will come
			d.parked.Store(false)
			continue
		}
		select {
		case <-ctx.Done():
			d.parked.Store(false)
			d.reput(true)
			return
		case <-d.wake:
		}
		d.parked.Store(false)
		idle = 0
	}
}

// reput dispatches every complete record below the commit log's end. It
// returns when it reaches the end or a record that is not complete yet.
func (d *dispatcher) reput(notify bool) {
	cl := d.s.commitLog
	for {
		from := d.reputFrom.Load()
		if minOff := cl.MinOffset(); from < minOff {
			from = minOff
			d.reputFrom.Store(from)
		}
		if from >= cl.MaxOffset() {
			return
		}
		var next int64
		err := cl.q.view(from, func(b []byte) error {
			next = d.dispatchChunk(from, b, notify)
			return nil
		})
		if err != nil {
			if errors.Is(err, errNoFile) { // a hole: jump to the next file
				mf := cl.q.findFile(from - from%int64(cl.q.fileSize) + int64(cl.q.fileSize))
				if mf == nil {
					return
				}
				d.reputFrom.Store(mf.start)
				continue
			}
			return
		}
		if next == from {
			return // waiting for the rest of a record
		}
		d.reputFrom.Store(next)
		d.notifyListeners()
	}
}

// dispatchChunkBytes bounds how much one view of the commit log handles,
// so the file lock is held briefly even when the dispatcher is far behind.
const dispatchChunkBytes = 1 << 20

// notifyListeners tells the listeners about the messages of the last
// chunk, outside every lock.
func (d *dispatcher) notifyListeners() {
	if len(d.pending) == 0 {
		return
	}
	d.mu.RLock()
	ls := d.listeners
	d.mu.RUnlock()
	for _, info := range d.pending {
		for _, f := range ls {
			f(info)
		}
	}
	clear(d.pending)
	d.pending = d.pending[:0]
}

// dispatchChunk handles the records at the start of b (global offset from)
// and returns the offset after the last one handled, the next file's start
// after a BLANK, or from when the first record is still incomplete.
func (d *dispatcher) dispatchChunk(from int64, b []byte, notify bool) int64 {
	cl := d.s.commitLog
	fileSize := int64(cl.q.fileSize)
	pos := 0
	for pos < len(b) && pos < dispatchChunkBytes {
		rest := b[pos:]
		if len(rest) < message.BlankRecordSize {
			break
		}
		size := int32(binary.BigEndian.Uint32(rest))
		magic := int32(binary.BigEndian.Uint32(rest[message.PosMagic:]))
		if magic == message.MagicBlank {
			off := from + int64(pos)
			return off - off%fileSize + fileSize
		}
		if magic == message.MagicMessage && size > 0 && int(size) > len(rest) && int64(size) <= fileSize &&
			(from+int64(len(b)))%fileSize != 0 {
			break // not all written yet (a full file cannot hold a partial record)
		}
		rec, err := message.ParseRecordView(rest, false)
		if err != nil {
			off := from + int64(pos)
			if !d.warnedBug.Swap(true) {
				d.s.lg.Error("[BUG] dispatch found a bad record, skipping to the next file",
					zap.Int64("phyOffset", off), zap.Error(err))
			}
			return off - off%fileSize + fileSize
		}
		d.dispatch(&rec, notify)
		pos += int(rec.Size)
	}
	return from + int64(pos)
}

// topic returns the record's topic as a string, interned so dispatching
// does not allocate one per record.
func (d *dispatcher) topic(b []byte) string {
	if t, ok := d.topics[string(b)]; ok {
		return t
	}
	if len(d.topics) >= 100000 {
		clear(d.topics)
	}
	t := string(b)
	d.topics[t] = t
	return t
}

// dispatch builds the consume-queue unit and index entries of one record.
// rec aliases the mapped file: nothing here keeps its bytes.
func (d *dispatcher) dispatch(rec *message.RecordView, notify bool) {
	s := d.s
	tt := message.TransactionType(rec.SysFlag)
	topic := d.topic(rec.Topic)
	var tagsCode int64
	if tags, ok := message.PropertyFromBytes(rec.Properties, message.PropertyTags); ok {
		tagsCode = message.TagsHashCodeBytes(tags)
	}
	if topic == ScheduleTopic {
		if v, ok := message.PropertyFromBytes(rec.Properties, message.PropertyDelayTimeLevel); ok {
			if level, err := strconv.Atoi(string(v)); err == nil && level > 0 {
				tagsCode = s.deliverTimestamp(level, rec.StoreTimestamp)
			}
		}
	}
	if tt == message.SysFlagTransactionNot || tt == message.SysFlagTransactionCommit {
		cq, err := s.cqs.findOrCreate(topic, rec.QueueID)
		if err == nil {
			err = cq.put(rec.QueueOffset, rec.PhyOffset, rec.Size, tagsCode)
		}
		if err != nil {
			if s.setUnwritable("consume queue write failed: " + err.Error()) {
				s.lg.Error("write consume queue failed, store not writable", zap.String("topic", topic),
					zap.Int32("queueId", rec.QueueID), zap.Int64("phyOffset", rec.PhyOffset), zap.Error(err))
			}
		} else {
			s.checkpoint.logics.Store(rec.StoreTimestamp)
			if s.cfg.BrokerRole == Slave {
				s.checkpoint.physic.Store(rec.StoreTimestamp)
			}
		}
	}
	if s.cfg.MessageIndexEnable && tt != message.SysFlagTransactionRollback {
		var keys []string
		if u, ok := message.PropertyFromBytes(rec.Properties, message.PropertyUniqClientMessageIDKeyidx); ok {
			keys = append(keys, string(u))
		}
		if k, ok := message.PropertyFromBytes(rec.Properties, message.PropertyKeys); ok {
			keys = append(keys, message.SplitKeys(string(k))...)
		}
		if len(keys) > 0 {
			if err := s.index.put(topic, keys, rec.PhyOffset, rec.StoreTimestamp); err != nil {
				// An index file error makes the store unwritable, as Java's
				// indexFileError flag does (§6.5).
				if s.setUnwritable("index file error: " + err.Error()) {
					s.lg.Error("index message failed, store not writable", zap.Int64("phyOffset", rec.PhyOffset), zap.Error(err))
				}
			}
		}
	}
	if !notify || (tt != message.SysFlagTransactionNot && tt != message.SysFlagTransactionCommit) {
		return
	}
	d.mu.RLock()
	n := len(d.listeners)
	d.mu.RUnlock()
	if n == 0 {
		return
	}
	d.pending = append(d.pending, DispatchInfo{Topic: topic, QueueID: rec.QueueID, QueueOffset: rec.QueueOffset,
		MaxOffset: rec.QueueOffset + 1, PhyOffset: rec.PhyOffset, Size: rec.Size, TagsCode: tagsCode,
		StoreTimestamp: rec.StoreTimestamp, PropertiesString: string(rec.Properties)})
}

// deliverTimestamp is the consume-queue tag code of a delayed message:
// store time plus its level's delay, or plus 1 s for an unknown level
// (ScheduleMessageService.computeDeliverTimestamp).
func (s *Store) deliverTimestamp(level int, storeTimestamp int64) int64 {
	if level <= len(s.commitLog.delayLevels) {
		return storeTimestamp + s.commitLog.delayLevels[level-1].Milliseconds()
	}
	return storeTimestamp + time.Second.Milliseconds()
}
