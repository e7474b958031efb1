package broker

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// offsetKeySeparator joins topic and group in the offset table's keys.
const offsetKeySeparator = "@"

// ConsumerOffsetTable holds the consumer offsets committed by clients: topic@group
// -> queueId -> next offset to consume (ConsumerOffsetManager.java). It is
// persisted to <configDir>/consumerOffset.json by run every
// flushConsumerOffsetInterval and by Persist at shutdown.
//
// consumerOffset.json and the GET_ALL_CONSUMER_OFFSET body are fastjson's
// dialect, not strict JSON: the queue ids are bare integer keys:
//
//	{"offsetTable":{"TopicTest@cg":{0:12,1:7}}}
type ConsumerOffsetTable struct {
	path string
	lg   *zap.Logger

	mu struct {
		sync.RWMutex
		table map[string]map[int32]int64
	}
}

// NewConsumerOffsetTable loads <configDir>/consumerOffset.json (or its .bak).
func NewConsumerOffsetTable(configDir string, lg *zap.Logger) (*ConsumerOffsetTable, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	o := &ConsumerOffsetTable{path: filepath.Join(configDir, consumerOffsetFileName), lg: lg}
	o.mu.table = make(map[string]map[int32]int64)
	loaded, err := loadConfigFile(o.path, func(data []byte) error {
		t, err := DecodeOffsetTable(data)
		if err != nil {
			return err
		}
		o.mu.table = t
		return nil
	}, lg)
	if err != nil {
		return nil, fmt.Errorf("consumer offset table: %w", err)
	}
	lg.Info("consumer offset table loaded", zap.String("file", o.path), zap.Bool("fromFile", loaded), zap.Int("keys", len(o.mu.table)))
	return o, nil
}

func offsetKey(group, topic string) string { return topic + offsetKeySeparator + group }

// CommitOffset stores offset as the next offset group consumes in topic's
// queue. clientHost is the committer's address, for the log only.
func (o *ConsumerOffsetTable) CommitOffset(clientHost, group, topic string, queueID int32, offset int64) {
	key := offsetKey(group, topic)
	o.mu.Lock()
	defer o.mu.Unlock()
	m, ok := o.mu.table[key]
	if !ok {
		m = make(map[int32]int64)
		o.mu.table[key] = m
	}
	m[queueID] = offset
}

// QueryOffset returns the committed offset, or -1 when there is none.
func (o *ConsumerOffsetTable) QueryOffset(group, topic string, queueID int32) int64 {
	o.mu.RLock()
	defer o.mu.RUnlock()
	if m, ok := o.mu.table[offsetKey(group, topic)]; ok {
		if off, ok := m[queueID]; ok {
			return off
		}
	}
	return -1
}

// QueryAllOffsets returns a copy of every queue's offset of group in topic.
func (o *ConsumerOffsetTable) QueryAllOffsets(group, topic string) map[int32]int64 {
	o.mu.RLock()
	defer o.mu.RUnlock()
	m := o.mu.table[offsetKey(group, topic)]
	out := make(map[int32]int64, len(m))
	for q, off := range m {
		out[q] = off
	}
	return out
}

// splitOffsetKey splits topic@group at the first '@' (topics cannot contain
// '@'; groups in practice do not either).
func splitOffsetKey(key string) (topic, group string, ok bool) {
	i := strings.Index(key, offsetKeySeparator)
	if i < 0 {
		return "", "", false
	}
	return key[:i], key[i+1:], true
}

// RemoveGroup drops every offset of group and reports how many topics it had.
func (o *ConsumerOffsetTable) RemoveGroup(group string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for key := range o.mu.table {
		if _, g, ok := splitOffsetKey(key); ok && g == group {
			delete(o.mu.table, key)
			n++
		}
	}
	return n
}

// RemoveTopic drops every group's offsets in topic and reports how many
// groups it had.
func (o *ConsumerOffsetTable) RemoveTopic(topic string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for key := range o.mu.table {
		if t, _, ok := splitOffsetKey(key); ok && t == topic {
			delete(o.mu.table, key)
			n++
		}
	}
	return n
}

// GroupsOfTopic returns the groups with offsets in topic, sorted.
func (o *ConsumerOffsetTable) GroupsOfTopic(topic string) []string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	var out []string
	for key := range o.mu.table {
		if t, g, ok := splitOffsetKey(key); ok && t == topic {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

// TopicsOfGroup returns the topics group has offsets in, sorted.
func (o *ConsumerOffsetTable) TopicsOfGroup(group string) []string {
	o.mu.RLock()
	defer o.mu.RUnlock()
	var out []string
	for key := range o.mu.table {
		if t, g, ok := splitOffsetKey(key); ok && g == group {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// CloneOffset copies srcGroup's offsets in topic to destGroup, replacing
// destGroup's (cloneOffset); it reports whether srcGroup had any.
func (o *ConsumerOffsetTable) CloneOffset(srcGroup, destGroup, topic string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	m, ok := o.mu.table[offsetKey(srcGroup, topic)]
	if !ok {
		return false
	}
	cp := make(map[int32]int64, len(m))
	for q, off := range m {
		cp[q] = off
	}
	o.mu.table[offsetKey(destGroup, topic)] = cp
	return true
}

// Merge puts every entry of a master's table over ours (a slave's sync of
// GET_ALL_CONSUMER_OFFSET: putAll per topic@group key).
func (o *ConsumerOffsetTable) Merge(t map[string]map[int32]int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, m := range t {
		cp := make(map[int32]int64, len(m))
		for q, off := range m {
			cp[q] = off
		}
		o.mu.table[k] = cp
	}
}

// Encode writes the table in fastjson's form: compact for the wire
// (GET_ALL_CONSUMER_OFFSET), pretty for the file. Keys are sorted.
func (o *ConsumerOffsetTable) Encode(pretty bool) []byte {
	o.mu.RLock()
	defer o.mu.RUnlock()
	var b bytes.Buffer
	b.WriteString(`{"offsetTable":{`)
	var num []byte
	qids := make([]int32, 0, 16)
	keys := make([]string, 0, len(o.mu.table))
	for k := range o.mu.table {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(protocol.MarshalCompact(k))
		b.WriteString(":{")
		m := o.mu.table[k]
		qids = qids[:0]
		for q := range m {
			qids = append(qids, q)
		}
		slices.Sort(qids)
		for j, q := range qids {
			if j > 0 {
				b.WriteByte(',')
			}
			num = strconv.AppendInt(num[:0], int64(q), 10)
			num = append(num, ':')
			num = strconv.AppendInt(num, m[q], 10)
			b.Write(num)
		}
		b.WriteByte('}')
	}
	b.WriteString("}}")
	if pretty {
		return prettyJSON(b.Bytes())
	}
	return b.Bytes()
}

// DecodeOffsetTable parses consumerOffset.json or a GET_ALL_CONSUMER_OFFSET
// body; queue-id keys may be bare (fastjson) or quoted.
func DecodeOffsetTable(data []byte) (map[string]map[int32]int64, error) {
	var raw struct {
		ConsumerOffsetTable map[string]map[string]int64 `json:"offsetTable"`
	}
	if err := decodeLenientJSON(data, &raw); err != nil {
		return nil, fmt.Errorf("decode consumer offsets: %w", err)
	}
	t := make(map[string]map[int32]int64, len(raw.ConsumerOffsetTable))
	for k, m := range raw.ConsumerOffsetTable {
		inner := make(map[int32]int64, len(m))
		for qs, off := range m {
			q, err := strconv.ParseInt(qs, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("decode consumer offsets: %s: queue id %q is not an int", k, qs)
			}
			inner[int32(q)] = off
		}
		t[k] = inner
	}
	return t, nil
}

// Persist writes consumerOffset.json now.
func (o *ConsumerOffsetTable) Persist() error {
	if err := writeConfigFile(o.path, o.Encode(true)); err != nil {
		return fmt.Errorf("persist consumer offsets: %w", err)
	}
	return nil
}

// run persists the table every interval (flushConsumerOffsetInterval) until
// ctx ends, then once more.
func (o *ConsumerOffsetTable) run(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := o.Persist(); err != nil {
				o.lg.Error("persist consumerOffset.json at shutdown failed", zap.Error(err))
			}
			return
		case <-tick.C:
			if err := o.Persist(); err != nil {
				o.lg.Error("persist consumerOffset.json failed", zap.Error(err))
			}
		}
	}
}
