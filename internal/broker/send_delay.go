package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/store"
)

// delayOffsetFile is the delay service's progress, under the config dir.
const delayOffsetFile = "delayOffset.json"

// delayPollInterval is how often a level with nothing due is checked
// again (ScheduleMessageService's 100 ms DELAY_FOR_A_WHILE).
const delayPollInterval = 100 * time.Millisecond

// delayService moves delayed messages from SCHEDULE_TOPIC_XXXX back to
// their real topic and queue when due (ScheduleMessageService.java). The
// store wrote each one to queue level-1 with REAL_TOPIC/REAL_QID set; a
// level's messages are due in queue order, store time + the level's delay.
// Progress per level is kept in delayOffset.json, written every 10 s and
// at shutdown, as fastjson writes it: {"offsetTable":{1:5,3:0}}.
type delayService struct {
	st     *store.Store
	levels []time.Duration
	path   string
	lg     *zap.Logger

	mu struct {
		sync.Mutex
		offsets map[int]int64 // level -> next queue offset to deliver
	}
}

func newDelayService(st *store.Store, levels []time.Duration, configDir string, lg *zap.Logger) (*delayService, error) {
	d := &delayService{st: st, levels: levels, path: filepath.Join(configDir, delayOffsetFile), lg: lg}
	d.mu.offsets = make(map[int]int64)
	data, err := os.ReadFile(d.path)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("read %s: %w", d.path, err)
	}
	if len(data) > 0 {
		t, err := decodeDelayOffsets(data)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", d.path, err)
		}
		d.mu.offsets = t
	}
	// Bring each offset inside its queue's range, as Java does at load.
	for lvl := 1; lvl <= len(levels); lvl++ {
		q := int32(lvl - 1)
		minOff, maxOff := st.MinOffsetInQueue(store.ScheduleTopic, q), st.MaxOffsetInQueue(store.ScheduleTopic, q)
		off := d.mu.offsets[lvl]
		d.mu.offsets[lvl] = min(max(off, minOff), maxOff)
	}
	return d, nil
}

// decodeDelayOffsets parses {"offsetTable":{1:5}} with bare or quoted keys.
func decodeDelayOffsets(data []byte) (map[int]int64, error) {
	var w struct {
		OffsetTable map[string]int64 `json:"offsetTable"`
	}
	if err := json.Unmarshal(quoteIntKeys(data), &w); err != nil {
		return nil, err
	}
	out := make(map[int]int64, len(w.OffsetTable))
	for k, v := range w.OffsetTable {
		lvl, err := strconv.Atoi(k)
		if err != nil {
			return nil, fmt.Errorf("delay level %q is not a number", k)
		}
		out[lvl] = v
	}
	return out, nil
}

// quoteIntKeys turns fastjson's bare integer object keys into strings.
func quoteIntKeys(in []byte) []byte {
	var b strings.Builder
	s := string(in)
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
			b.WriteByte(c)
		case (c == '{' || c == ',') && i+1 < len(s):
			b.WriteByte(c)
			j := i + 1
			for j < len(s) && (s[j] == ' ' || s[j] == '\n' || s[j] == '\t' || s[j] == '\r') {
				j++
			}
			k := j
			for k < len(s) && (s[k] == '-' || (s[k] >= '0' && s[k] <= '9')) {
				k++
			}
			if k > j && k < len(s) {
				rest := strings.TrimLeft(s[k:], " \t\r\n")
				if strings.HasPrefix(rest, ":") {
					b.WriteString(s[i+1 : j])
					b.WriteByte('"')
					b.WriteString(s[j:k])
					b.WriteByte('"')
					i = k - 1
				}
			}
		default:
			b.WriteByte(c)
		}
	}
	return []byte(b.String())
}

// encode writes the offsets as delayOffset.json.
func (d *delayService) encode() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	lvls := make([]int, 0, len(d.mu.offsets))
	for l := range d.mu.offsets {
		lvls = append(lvls, l)
	}
	sort.Ints(lvls)
	var b strings.Builder
	b.WriteString(`{"offsetTable":{`)
	for i, l := range lvls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(l))
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(d.mu.offsets[l], 10))
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

// persist writes delayOffset.json through a temporary file.
func (d *delayService) persist() error {
	if err := os.MkdirAll(filepath.Dir(d.path), 0o755); err != nil {
		return fmt.Errorf("persist delay offsets: %w", err)
	}
	tmp := d.path + ".tmp"
	if err := os.WriteFile(tmp, d.encode(), 0o644); err != nil {
		return fmt.Errorf("persist delay offsets: %w", err)
	}
	if err := os.Rename(tmp, d.path); err != nil {
		return fmt.Errorf("persist delay offsets: %w", err)
	}
	return nil
}

// run delivers due messages until ctx ends, then persists the offsets.
func (d *delayService) run(ctx context.Context) {
	tick := time.NewTicker(delayPollInterval)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			if err := d.persist(); err != nil {
				d.lg.Error("persist delay offsets", zap.Error(err))
			}
			return
		case <-tick.C:
		}
		for lvl := 1; lvl <= len(d.levels); lvl++ {
			d.deliverLevel(ctx, lvl)
		}
		if time.Since(last) >= 10*time.Second {
			last = time.Now()
			if err := d.persist(); err != nil {
				d.lg.Error("persist delay offsets", zap.Error(err))
			}
		}
	}
}

// deliverLevel moves every due message of one level, in order; it stops
// at the first one not due yet or that could not be stored (retried on
// the next tick).
func (d *delayService) deliverLevel(ctx context.Context, lvl int) {
	q := int32(lvl - 1)
	delay := d.levels[lvl-1]
	for ctx.Err() == nil {
		d.mu.Lock()
		off := d.mu.offsets[lvl]
		d.mu.Unlock()
		if off >= d.st.MaxOffsetInQueue(store.ScheduleTopic, q) {
			return
		}
		res := d.st.GetMessage("", store.ScheduleTopic, q, off, 32, nil)
		switch res.Status {
		case store.Found:
		case store.OffsetTooSmall, store.OffsetOverflowBadly, store.OffsetFoundNull, store.NoMatchedMessage, store.MessageWasRemoving:
			d.setOffset(lvl, off, res.NextBeginOffset)
			return
		default:
			return
		}
		now := time.Now().UnixMilli()
		next := off
		for _, rec := range res.Messages {
			m, _, err := message.DecodeRecord(rec)
			if err != nil {
				d.lg.Error("decode delayed message", zap.Int("delayLevel", lvl), zap.Int64("queueOffset", next), zap.Error(err))
				next++
				continue
			}
			if m.StoreTimestamp+delay.Milliseconds() > now {
				d.setOffset(lvl, off, next)
				return
			}
			if !d.restore(ctx, m) {
				d.setOffset(lvl, off, next)
				return
			}
			next = m.QueueOffset + 1
		}
		if !d.setOffset(lvl, off, next) || next == off {
			return
		}
	}
}

// setOffset moves a level's offset from old to next; false when it moved
// elsewhere meanwhile.
func (d *delayService) setOffset(lvl int, old, next int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.mu.offsets[lvl] != old {
		return false
	}
	d.mu.offsets[lvl] = next
	return true
}

// restore puts a due message back in its real topic and queue
// (ScheduleMessageService.messageTimeup). As in Java, the stored property
// string keeps DELAY, REAL_TOPIC and REAL_QID; only the in-memory map
// loses DELAY so the store does not delay it again. Messages of the
// transaction half topic are dropped.
func (d *delayService) restore(ctx context.Context, m *message.MessageExt) bool {
	realTopic := m.Properties[message.PropertyRealTopic]
	qid, err := strconv.Atoi(m.Properties[message.PropertyRealQueueID])
	if realTopic == "" || err != nil {
		d.lg.Warn("delayed message without its real topic or queue dropped", zap.String("msgId", m.MsgID))
		return true
	}
	if realTopic == TopicTransHalf {
		return true
	}
	props := make(map[string]string, len(m.Properties))
	for k, v := range m.Properties {
		props[k] = v
	}
	delete(props, message.PropertyDelayTimeLevel)
	nm := &message.MessageExt{
		Message: message.Message{
			Topic:      realTopic,
			Flag:       m.Flag,
			Properties: props,
			Body:       m.Body,
		},
		PropertiesString: m.PropertiesString,
		QueueID:          int32(qid),
		SysFlag:          m.SysFlag,
		BornTimestamp:    m.BornTimestamp,
		BornHost:         m.BornHost,
		StoreHost:        m.StoreHost,
		ReconsumeTimes:   m.ReconsumeTimes,
	}
	r := d.st.PutMessage(ctx, nm)
	if !r.Status.Stored() {
		d.lg.Warn("deliver delayed message failed", zap.String("topic", realTopic), zap.String("status", r.Status.String()))
		return false
	}
	return true
}
