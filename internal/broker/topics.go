package broker

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// topicsJSON is the content of topics.json and the GET_ALL_TOPIC_CONFIG
// body (TopicConfigSerializeWrapper.java): members in fastjson order.
type topicsJSON struct {
	DataVersion      protocol.DataVersion            `json:"dataVersion"`
	TopicConfigTable map[string]protocol.TopicConfig `json:"topicConfigTable"`
}

// TopicTable is the broker's topic configuration, persisted to
// <configDir>/topics.json (TopicConfigManager.java). Every change bumps its
// DataVersion, is written to disk at once and is reported to the OnChange
// hook so the broker re-registers with the name servers.
type TopicTable struct {
	path              string
	autoCreateEnabled bool
	lg                *zap.Logger
	now               func() time.Time

	mu struct {
		sync.RWMutex
		topics   map[string]protocol.TopicConfig
		version  protocol.DataVersion
		system   map[string]bool // systemTopics plus the names added at start
		onChange func(changed []protocol.TopicConfig)
	}
}

// NewTopicTable creates the built-in topics as the Java broker does at
// start (storage-ha-config.md §1.8, wire-protocol.md §13.5), then loads
// <configDir>/topics.json (or its .bak) over them. The file is not written
// until the first change.
func NewTopicTable(configDir string, cfg *Config, lg *zap.Logger) (*TopicTable, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	t := &TopicTable{
		path:              filepath.Join(configDir, topicsFileName),
		autoCreateEnabled: cfg.AutoCreateTopicEnable,
		lg:                lg,
		now:               time.Now,
	}
	t.mu.topics = make(map[string]protocol.TopicConfig)
	t.mu.system = make(map[string]bool, len(systemTopics)+3)
	for name := range systemTopics {
		t.mu.system[name] = true
	}
	t.mu.version = protocol.DataVersion{Timestamp: t.now().UnixMilli()}

	rw := int32(protocol.PermRead | protocol.PermWrite)
	add := func(name string, queues, perm int32) {
		t.mu.topics[name] = protocol.NewTopicConfig(name, queues, queues, perm)
	}
	add(TopicSelfTest, 1, rw)
	if cfg.AutoCreateTopicEnable {
		add(TopicAutoCreate, int32(cfg.DefaultTopicQueueNums), rw|protocol.PermInherit)
	}
	add(TopicBenchmark, benchmarkTopicQueueNums, rw)
	clusterPerm := int32(protocol.PermInherit)
	if cfg.ClusterTopicEnable {
		clusterPerm |= rw
	}
	add(cfg.BrokerClusterName, clusterTopicQueueNums, clusterPerm)
	t.mu.system[cfg.BrokerClusterName] = true
	brokerPerm := int32(protocol.PermInherit)
	if cfg.BrokerTopicEnable {
		brokerPerm |= rw
	}
	add(cfg.BrokerName, 1, brokerPerm)
	t.mu.system[cfg.BrokerName] = true
	add(TopicOffsetMovedEvent, 1, rw)
	add(TopicSchedule, scheduleTopicQueueNums, rw)
	if cfg.TraceTopicEnable {
		add(cfg.MsgTraceTopicName, 1, rw)
		t.mu.system[cfg.MsgTraceTopicName] = true
	}
	reply := cfg.BrokerClusterName + "_" + ReplyTopicPostfix
	add(reply, 1, rw)
	t.mu.system[reply] = true

	loaded, err := loadConfigFile(t.path, func(data []byte) error {
		var f topicsJSON
		if err := json.Unmarshal(data, &f); err != nil {
			return err
		}
		for name, tc := range f.TopicConfigTable {
			t.mu.topics[name] = tc
		}
		t.mu.version = f.DataVersion
		return nil
	}, lg)
	if err != nil {
		return nil, fmt.Errorf("topic table: %w", err)
	}
	lg.Info("topic table loaded", zap.String("file", t.path), zap.Bool("fromFile", loaded), zap.Int("topics", len(t.mu.topics)))
	return t, nil
}

// OnChange sets the hook called after a change, outside the table's lock:
// changed lists the created or updated topics; it is nil after a deletion
// or a whole-table replacement.
func (t *TopicTable) OnChange(f func(changed []protocol.TopicConfig)) {
	t.mu.Lock()
	t.mu.onChange = f
	t.mu.Unlock()
}

// Get returns a copy of a topic's config, or nil.
func (t *TopicTable) Get(topic string) *protocol.TopicConfig {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if tc, ok := t.mu.topics[topic]; ok {
		return &tc
	}
	return nil
}

// Len returns the number of topics.
func (t *TopicTable) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.mu.topics)
}

// Names returns every topic name, sorted.
func (t *TopicTable) Names() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	names := make([]string, 0, len(t.mu.topics))
	for n := range t.mu.topics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Snapshot returns a copy of the table and its DataVersion.
func (t *TopicTable) Snapshot() (map[string]protocol.TopicConfig, protocol.DataVersion) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	m := make(map[string]protocol.TopicConfig, len(t.mu.topics))
	for k, v := range t.mu.topics {
		m[k] = v
	}
	return m, t.mu.version
}

// DataVersion returns the table's current version.
func (t *TopicTable) DataVersion() protocol.DataVersion {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.mu.version
}

// Encode returns the table as TopicConfigSerializeWrapper JSON: compact for
// the wire, fastjson-pretty for the file.
func (t *TopicTable) Encode(pretty bool) []byte {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.encodeLocked(pretty)
}

func (t *TopicTable) encodeLocked(pretty bool) []byte {
	b := protocol.MarshalCompact(topicsJSON{DataVersion: t.mu.version, TopicConfigTable: t.mu.topics})
	if pretty {
		return prettyJSON(b)
	}
	return b
}

// IsOrderTopic reports whether topic is marked ordered.
func (t *TopicTable) IsOrderTopic(topic string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	tc, ok := t.mu.topics[topic]
	return ok && tc.Order
}

// UpdateOrderTopics applies the name server's ORDER_TOPIC_CONFIG table from
// a registration result (updateOrderTopicConfig): topics named in
// orderTopics become ordered, other ordered topics stop being so. A change
// bumps the version and persists; it reports whether anything changed.
func (t *TopicTable) UpdateOrderTopics(orderTopics map[string]string) (bool, error) {
	t.mu.Lock()
	changed := false
	for name, tc := range t.mu.topics {
		_, want := orderTopics[name]
		if tc.Order != want {
			tc.Order = want
			t.mu.topics[name] = tc
			changed = true
		}
	}
	if !changed {
		t.mu.Unlock()
		return false, nil
	}
	return true, t.commitAndUnlock(nil)
}

// IsSystemTopic reports whether admin commands must leave topic alone:
// the built-in set, names starting rmq_sys_, the cluster name, the broker
// name and <cluster>_REPLY_TOPIC (TopicValidator.isSystemTopic).
func (t *TopicTable) IsSystemTopic(topic string) bool {
	if len(topic) >= len(SystemTopicPrefix) && topic[:len(SystemTopicPrefix)] == SystemTopicPrefix {
		return true
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.mu.system[topic]
}

// SystemTopics returns the system topic set, sorted
// (GET_SYSTEM_TOPIC_LIST_FROM_BROKER).
func (t *TopicTable) SystemTopics() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]string, 0, len(t.mu.system))
	for n := range t.mu.system {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// nextVersionLocked is DataVersion.nextVersion: timestamp now, counter+1.
func (t *TopicTable) nextVersionLocked() {
	t.mu.version.Counter++
	t.mu.version.Timestamp = t.now().UnixMilli()
}

func (t *TopicTable) persistLocked() error {
	if err := writeConfigFile(t.path, t.encodeLocked(true)); err != nil {
		return fmt.Errorf("persist topic table: %w", err)
	}
	return nil
}

// commit bumps the version, persists, unlocks and calls the hook.
func (t *TopicTable) commitAndUnlock(changed []protocol.TopicConfig) error {
	t.nextVersionLocked()
	err := t.persistLocked()
	hook := t.mu.onChange
	t.mu.Unlock()
	if err != nil {
		t.lg.Error("persist topics.json failed", zap.Error(err))
	}
	if hook != nil {
		hook(changed)
	}
	return err
}

// NextDataVersion stamps the table with a new DataVersion without changing
// a topic, so the name server takes the next registration in full. The
// broker does this when its own permission changes, since every queue's
// registered perm follows it (AdminBrokerProcessor.updateBrokerConfig).
func (t *TopicTable) NextDataVersion() error {
	t.mu.Lock()
	return t.commitAndUnlock(nil)
}

// Update creates or replaces a topic (UPDATE_AND_CREATE_TOPIC).
func (t *TopicTable) Update(tc protocol.TopicConfig) error {
	t.mu.Lock()
	old, existed := t.mu.topics[tc.TopicName]
	t.mu.topics[tc.TopicName] = tc
	t.lg.Info("topic config updated", zap.String("topic", tc.TopicName), zap.Bool("existed", existed), zap.Any("old", old), zap.Any("new", tc))
	return t.commitAndUnlock([]protocol.TopicConfig{tc})
}

// Delete removes a topic and reports whether it existed.
func (t *TopicTable) Delete(topic string) (bool, error) {
	t.mu.Lock()
	if _, ok := t.mu.topics[topic]; !ok {
		t.mu.Unlock()
		return false, nil
	}
	delete(t.mu.topics, topic)
	t.lg.Info("topic config deleted", zap.String("topic", topic))
	return true, t.commitAndUnlock(nil)
}

// CreateTopicInSendMessage auto-creates topic on its first send from the
// template defaultTopic (normally TBW102), as createTopicInSendMessageMethod
// does: the template must have the inherit bit (TBW102 loses it when
// autoCreateTopicEnable is off); the new topic gets min(clientQueueNums,
// template's write queues) queues, the template's perm without inherit and
// filter type, and sysFlag. An existing topic is returned as is. It returns
// nil with a nil error when the template does not allow creation.
func (t *TopicTable) CreateTopicInSendMessage(topic, defaultTopic string, clientQueueNums int32, sysFlag int32) (*protocol.TopicConfig, error) {
	if tc := t.Get(topic); tc != nil {
		return tc, nil
	}
	t.mu.Lock()
	if tc, ok := t.mu.topics[topic]; ok {
		t.mu.Unlock()
		return &tc, nil
	}
	def, ok := t.mu.topics[defaultTopic]
	if !ok {
		t.mu.Unlock()
		t.lg.Warn("create topic on send failed: default topic does not exist", zap.String("topic", topic), zap.String("defaultTopic", defaultTopic))
		return nil, nil
	}
	perm := def.Perm
	if defaultTopic == TopicAutoCreate && !t.autoCreateEnabled {
		perm = protocol.PermRead | protocol.PermWrite
	}
	if perm&protocol.PermInherit == 0 {
		t.mu.Unlock()
		t.lg.Warn("create topic on send failed: default topic has no inherit perm", zap.String("topic", topic), zap.String("defaultTopic", defaultTopic), zap.Int32("perm", perm))
		return nil, nil
	}
	queues := max(min(clientQueueNums, def.WriteQueueNums), 0)
	tc := protocol.NewTopicConfig(topic, queues, queues, perm&^protocol.PermInherit)
	tc.TopicSysFlag = sysFlag
	tc.TopicFilterType = def.TopicFilterType
	t.mu.topics[topic] = tc
	t.lg.Info("topic auto-created on send", zap.String("topic", topic), zap.String("defaultTopic", defaultTopic), zap.Int32("queues", queues))
	err := t.commitAndUnlock([]protocol.TopicConfig{tc})
	return &tc, err
}

// CreateTopicInSendMessageBack returns topic's config, creating it with
// queueNums queues, perm and sysFlag when it does not exist
// (createTopicInSendMessageBackMethod: retry and DLQ topics). The config
// is returned even when persisting it failed (with the error).
func (t *TopicTable) CreateTopicInSendMessageBack(topic string, queueNums, perm, sysFlag int32) (*protocol.TopicConfig, error) {
	if tc := t.Get(topic); tc != nil {
		return tc, nil
	}
	t.mu.Lock()
	if tc, ok := t.mu.topics[topic]; ok {
		t.mu.Unlock()
		return &tc, nil
	}
	tc := protocol.NewTopicConfig(topic, queueNums, queueNums, perm)
	tc.TopicSysFlag = sysFlag
	t.mu.topics[topic] = tc
	t.lg.Info("topic created", zap.String("topic", topic), zap.Int32("queues", queueNums), zap.Int32("perm", perm))
	return &tc, t.commitAndUnlock([]protocol.TopicConfig{tc})
}

// Replace installs a master's table on a slave when its DataVersion differs
// from ours, persisting it; it reports whether anything changed.
func (t *TopicTable) Replace(topics map[string]protocol.TopicConfig, version protocol.DataVersion) (bool, error) {
	t.mu.Lock()
	if t.mu.version == version {
		t.mu.Unlock()
		return false, nil
	}
	m := make(map[string]protocol.TopicConfig, len(topics))
	for k, v := range topics {
		m[k] = v
	}
	t.mu.topics = m
	t.mu.version = version
	err := t.persistLocked()
	hook := t.mu.onChange
	t.mu.Unlock()
	if hook != nil {
		hook(nil)
	}
	return true, err
}

// DecodeTopicTable parses a TopicConfigSerializeWrapper body (a master's
// GET_ALL_TOPIC_CONFIG answer, or topics.json).
func DecodeTopicTable(data []byte) (map[string]protocol.TopicConfig, protocol.DataVersion, error) {
	var f topicsJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, protocol.DataVersion{}, fmt.Errorf("decode topic table: %w", err)
	}
	return f.TopicConfigTable, f.DataVersion, nil
}
