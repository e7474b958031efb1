package broker

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// Consumer groups the Java broker creates at start (MixAll.java,
// SubscriptionGroupManager.init).
var systemGroups = []string{
	"TOOLS_CONSUMER",
	"FILTERSRV_CONSUMER",
	"SELF_TEST_C_GROUP",
	"CID_ONS-HTTP-PROXY",
	"CID_ONSAPI_PULL",
	"CID_ONSAPI_PERMISSION",
	"CID_ONSAPI_OWNER",
	"CID_RMQ_SYS_TRANS",
}

// sysConsumerGroupPrefix marks system consumer groups, which are always
// auto-created (MixAll.isSysConsumerGroup).
const sysConsumerGroupPrefix = "CID_RMQ_SYS_"

// SubscriptionGroupTable is the broker's subscription group configuration, persisted
// to <configDir>/subscriptionGroup.json (SubscriptionGroupManager.java).
type SubscriptionGroupTable struct {
	path       string
	autoCreate bool
	lg         *zap.Logger
	now        func() time.Time

	mu struct {
		sync.RWMutex
		groups  map[string]protocol.SubscriptionGroupConfig
		version protocol.DataVersion
	}
}

// NewSubscriptionGroupTable creates the built-in groups and loads
// <configDir>/subscriptionGroup.json (or its .bak) over them.
// autoCreate is autoCreateSubscriptionGroup.
func NewSubscriptionGroupTable(configDir string, autoCreate bool, lg *zap.Logger) (*SubscriptionGroupTable, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	g := &SubscriptionGroupTable{
		path:       filepath.Join(configDir, subscriptionGroupFile),
		autoCreate: autoCreate,
		lg:         lg,
		now:        time.Now,
	}
	g.mu.groups = make(map[string]protocol.SubscriptionGroupConfig)
	g.mu.version = protocol.DataVersion{Timestamp: g.now().UnixMilli()}
	for _, name := range systemGroups {
		g.mu.groups[name] = protocol.NewSubscriptionGroupConfig(name)
	}
	loaded, err := loadConfigFile(g.path, func(data []byte) error {
		var w protocol.SubscriptionGroupWrapper
		if err := json.Unmarshal(data, &w); err != nil {
			return err
		}
		for name, c := range w.SubscriptionGroupTable {
			g.mu.groups[name] = c
		}
		g.mu.version = w.DataVersion
		return nil
	}, lg)
	if err != nil {
		return nil, fmt.Errorf("subscription group table: %w", err)
	}
	lg.Info("subscription group table loaded", zap.String("file", g.path), zap.Bool("fromFile", loaded), zap.Int("groups", len(g.mu.groups)))
	return g, nil
}

// Get returns a copy of a group's config without creating it, or nil.
func (g *SubscriptionGroupTable) Get(group string) *protocol.SubscriptionGroupConfig {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if c, ok := g.mu.groups[group]; ok {
		return &c
	}
	return nil
}

// FindOrCreate returns a copy of a group's config, creating it with the
// defaults when it does not exist and autoCreateSubscriptionGroup is on or
// the group is a system group (CID_RMQ_SYS_ prefix)
// (findSubscriptionGroupConfig). It returns nil when the group neither
// exists nor may be created. A persist failure is logged; the group is
// still usable in memory.
func (g *SubscriptionGroupTable) FindOrCreate(group string) *protocol.SubscriptionGroupConfig {
	if c := g.Get(group); c != nil {
		return c
	}
	if !g.autoCreate && !strings.HasPrefix(group, sysConsumerGroupPrefix) {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.mu.groups[group]; ok {
		return &c
	}
	c := protocol.NewSubscriptionGroupConfig(group)
	g.mu.groups[group] = c
	g.lg.Info("subscription group auto-created", zap.String("group", group))
	if err := g.commitLocked(); err != nil {
		g.lg.Error("persist subscriptionGroup.json failed", zap.Error(err))
	}
	return &c
}

// Update creates or replaces a group (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).
func (g *SubscriptionGroupTable) Update(c protocol.SubscriptionGroupConfig) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.mu.groups[c.GroupName] = c
	g.lg.Info("subscription group updated", zap.String("group", c.GroupName), zap.Any("config", c))
	return g.commitLocked()
}

// Delete removes a group and reports whether it existed.
func (g *SubscriptionGroupTable) Delete(group string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.mu.groups[group]; !ok {
		return false, nil
	}
	delete(g.mu.groups, group)
	g.lg.Info("subscription group deleted", zap.String("group", group))
	return true, g.commitLocked()
}

// DisableConsume turns consumeEnable off for a group that reads too slowly
// (disableConsumeIfConsumerReadSlowly); it reports whether it changed.
func (g *SubscriptionGroupTable) DisableConsume(group string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c, ok := g.mu.groups[group]
	if !ok || !c.ConsumeEnable {
		return false, nil
	}
	c.ConsumeEnable = false
	g.mu.groups[group] = c
	g.lg.Warn("subscription group consumption disabled", zap.String("group", group))
	return true, g.commitLocked()
}

// Names returns every group name, sorted.
func (g *SubscriptionGroupTable) Names() []string {
	g.mu.RLock()
	defer g.mu.RUnlock()
	out := make([]string, 0, len(g.mu.groups))
	for n := range g.mu.groups {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Snapshot returns a copy of the table and its version.
func (g *SubscriptionGroupTable) Snapshot() protocol.SubscriptionGroupWrapper {
	g.mu.RLock()
	defer g.mu.RUnlock()
	m := make(map[string]protocol.SubscriptionGroupConfig, len(g.mu.groups))
	for k, v := range g.mu.groups {
		m[k] = v
	}
	return protocol.SubscriptionGroupWrapper{DataVersion: g.mu.version, SubscriptionGroupTable: m}
}

// Encode returns the table as SubscriptionGroupWrapper JSON: compact for the
// wire (GET_ALL_SUBSCRIPTIONGROUP_CONFIG), fastjson-pretty for the file.
func (g *SubscriptionGroupTable) Encode(pretty bool) []byte {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.encodeLocked(pretty)
}

func (g *SubscriptionGroupTable) encodeLocked(pretty bool) []byte {
	b := protocol.MarshalCompact(protocol.SubscriptionGroupWrapper{DataVersion: g.mu.version, SubscriptionGroupTable: g.mu.groups})
	if pretty {
		return prettyJSON(b)
	}
	return b
}

func (g *SubscriptionGroupTable) commitLocked() error {
	g.mu.version.Counter++
	g.mu.version.Timestamp = g.now().UnixMilli()
	if err := writeConfigFile(g.path, g.encodeLocked(true)); err != nil {
		return fmt.Errorf("persist subscription groups: %w", err)
	}
	return nil
}

// Replace installs a master's table on a slave when its DataVersion differs
// from ours, persisting it; it reports whether anything changed.
func (g *SubscriptionGroupTable) Replace(w protocol.SubscriptionGroupWrapper) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.mu.version == w.DataVersion {
		return false, nil
	}
	m := make(map[string]protocol.SubscriptionGroupConfig, len(w.SubscriptionGroupTable))
	for k, v := range w.SubscriptionGroupTable {
		m[k] = v
	}
	g.mu.groups = m
	g.mu.version = w.DataVersion
	if err := writeConfigFile(g.path, g.encodeLocked(true)); err != nil {
		return true, fmt.Errorf("persist subscription groups: %w", err)
	}
	return true, nil
}
