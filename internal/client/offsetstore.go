package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"

	"go.uber.org/zap"
)

// offsetStore keeps a consumer group's consume progress per queue: on the
// brokers for clustering consumers (RemoteBrokerOffsetStore), in a local
// file for broadcasting ones (LocalFileOffsetStore).
type offsetStore interface {
	// read returns the offset of mq: from memory, or when fromStore (or not
	// in memory) from the backing store; -1 when there is none.
	read(ctx context.Context, mq MessageQueue, fromStore bool) (int64, error)
	// update sets the in-memory offset; with increaseOnly it never moves back.
	update(mq MessageQueue, offset int64, increaseOnly bool)
	// persist writes the offsets of the given queues to the backing store.
	persist(ctx context.Context, mqs []MessageQueue) error
	// remove forgets a queue.
	remove(mq MessageQueue)
}

// offsetTable is the in-memory part both stores share.
type offsetTable struct {
	mu sync.Mutex
	m  map[MessageQueue]int64
}

func (t *offsetTable) get(mq MessageQueue) (int64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.m[mq]
	return v, ok
}

func (t *offsetTable) update(mq MessageQueue, offset int64, increaseOnly bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[MessageQueue]int64{}
	}
	if old, ok := t.m[mq]; ok && increaseOnly && offset < old {
		return
	}
	t.m[mq] = offset
}

func (t *offsetTable) remove(mq MessageQueue) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, mq)
}

// remoteOffsetStore commits offsets to each queue's master.
type remoteOffsetStore struct {
	offsetTable
	group string
	core  *core
	lg    *zap.Logger
}

func (s *remoteOffsetStore) read(ctx context.Context, mq MessageQueue, fromStore bool) (int64, error) {
	if !fromStore {
		if v, ok := s.get(mq); ok {
			return v, nil
		}
	}
	off, err := s.core.queryOffset(ctx, s.group, mq)
	if err != nil {
		return -1, err
	}
	if off >= 0 {
		s.update(mq, off, false)
	}
	return off, nil
}

func (s *remoteOffsetStore) persist(ctx context.Context, mqs []MessageQueue) error {
	var first error
	for _, mq := range mqs {
		off, ok := s.get(mq)
		if !ok || off < 0 {
			continue
		}
		if err := s.core.updateOffset(ctx, s.group, mq, off, false); err != nil {
			s.lg.Debug("persist consumer offset failed", zap.String("consumerGroup", s.group), zap.String("topic", mq.Topic),
				zap.Int32("queueId", mq.QueueID), zap.Error(err))
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// localOffsetStore keeps offsets in <dir>/<clientId>/<group>/offsets.json,
// written like Java's OffsetSerializeWrapper: fastjson with MessageQueue
// object keys.
type localOffsetStore struct {
	offsetTable
	path string
	lg   *zap.Logger

	fileMu sync.Mutex
}

func newLocalOffsetStore(dir, clientID, group string, lg *zap.Logger) (*localOffsetStore, error) {
	s := &localOffsetStore{path: filepath.Join(dir, clientID, group, "offsets.json"), lg: lg}
	table, err := loadLocalOffsets(s.path)
	if err != nil {
		return nil, err
	}
	s.m = table
	return s, nil
}

// loadLocalOffsets reads the offsets file, falling back to its .bak copy.
func loadLocalOffsets(path string) (map[MessageQueue]int64, error) {
	for _, p := range []string{path, path + ".bak"} {
		data, err := os.ReadFile(p)
		if os.IsNotExist(err) || (err == nil && len(bytes.TrimSpace(data)) == 0) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read local offsets %s: %w", p, err)
		}
		table, err := decodeOffsetTable(data)
		if err != nil {
			return nil, fmt.Errorf("read local offsets %s: %w", p, err)
		}
		return table, nil
	}
	return map[MessageQueue]int64{}, nil
}

// decodeOffsetTable parses {"offsetTable":{{mq}:offset,...}}.
func decodeOffsetTable(data []byte) (map[MessageQueue]int64, error) {
	var w struct {
		OffsetTable map[string]int64 `json:"offsetTable"`
	}
	if err := decodeJSON(data, &w); err != nil {
		return nil, err
	}
	out := make(map[MessageQueue]int64, len(w.OffsetTable))
	for k, v := range w.OffsetTable {
		var mq MessageQueue
		if err := json.Unmarshal([]byte(k), &mq); err != nil {
			return nil, fmt.Errorf("offset table key %q: %w", k, err)
		}
		out[mq] = v
	}
	return out, nil
}

// encodeOffsetTable writes the table as fastjson does, queues sorted.
func encodeOffsetTable(m map[MessageQueue]int64) []byte {
	mqs := make([]MessageQueue, 0, len(m))
	for mq := range m {
		mqs = append(mqs, mq)
	}
	slices.SortFunc(mqs, compareQueues)
	var b bytes.Buffer
	b.WriteString(`{"offsetTable":{`)
	for i, mq := range mqs {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(mq)
		b.Write(k)
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(m[mq], 10))
	}
	b.WriteString(`}}`)
	return b.Bytes()
}

func (s *localOffsetStore) read(_ context.Context, mq MessageQueue, fromStore bool) (int64, error) {
	if !fromStore {
		if v, ok := s.get(mq); ok {
			return v, nil
		}
	}
	s.fileMu.Lock()
	table, err := loadLocalOffsets(s.path)
	s.fileMu.Unlock()
	if err != nil {
		return -1, err
	}
	v, ok := table[mq]
	if !ok {
		return -1, nil
	}
	s.update(mq, v, false)
	return v, nil
}

// persist writes every queue's offset (the file holds the whole table);
// the previous file is kept as .bak.
func (s *localOffsetStore) persist(_ context.Context, _ []MessageQueue) error {
	s.mu.Lock()
	data := encodeOffsetTable(s.m)
	s.mu.Unlock()
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("persist local offsets: %w", err)
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("persist local offsets: %w", err)
	}
	if old, err := os.ReadFile(s.path); err == nil {
		if err := os.WriteFile(s.path+".bak", old, 0o644); err != nil {
			return fmt.Errorf("persist local offsets: %w", err)
		}
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("persist local offsets: %w", err)
	}
	return nil
}
