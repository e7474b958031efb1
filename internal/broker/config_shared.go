package broker

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// SharedConfig is the broker's live configuration as GET_BROKER_CONFIG
// shows it and UPDATE_BROKER_CONFIG changes it (Configuration.java): the
// broker Config plus the other configs' keys (the store's) as text, under
// one DataVersion bumped by every update.
type SharedConfig struct {
	mu struct {
		sync.RWMutex
		cfg      Config
		extra    map[string]string // keys of the other configs, and unknown keys set at runtime
		version  protocol.DataVersion
		persist  func(all map[string]string) error
		hook     func(changed map[string]string)
		validate func(other map[string]string) error
	}
}

// NewSharedConfig wraps cfg; extra holds the other configs' effective
// keys (may be nil).
func NewSharedConfig(cfg Config, extra map[string]string) *SharedConfig {
	s := &SharedConfig{}
	s.mu.cfg = cfg
	s.mu.extra = make(map[string]string, len(extra))
	for k, v := range extra {
		s.mu.extra[k] = v
	}
	s.mu.version = protocol.DataVersion{Timestamp: time.Now().UnixMilli()}
	return s
}

// OnPersist sets how an update is saved (Java rewrites the -c file with all
// keys); without it updates live in memory only.
func (s *SharedConfig) OnPersist(f func(all map[string]string) error) {
	s.mu.Lock()
	s.mu.persist = f
	s.mu.Unlock()
}

// OnUpdate sets the hook told about every applied update (for example to
// re-register when brokerPermission changed, or to apply store keys).
func (s *SharedConfig) OnUpdate(f func(changed map[string]string)) {
	s.mu.Lock()
	s.mu.hook = f
	s.mu.Unlock()
}

// OnValidate sets a check of the keys of an update that are not broker
// keys (the store's, say by decoding them over a copy of store.Config),
// run before anything is applied; its error refuses the whole update.
func (s *SharedConfig) OnValidate(f func(other map[string]string) error) {
	s.mu.Lock()
	s.mu.validate = f
	s.mu.Unlock()
}

// Config returns a copy of the current broker Config.
func (s *SharedConfig) Config() Config {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mu.cfg
}

// Version returns the configuration's DataVersion.
func (s *SharedConfig) Version() protocol.DataVersion {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mu.version
}

// Properties returns every key with its value: the broker's and the extras.
func (s *SharedConfig) Properties() map[string]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m := s.mu.cfg.Properties()
	for k, v := range s.mu.extra {
		if _, own := m[k]; !own {
			m[k] = v
		}
	}
	return m
}

// Text renders Properties as key=value lines, sorted by key
// (MixAll.properties2String).
func (s *SharedConfig) Text() string {
	props := s.Properties()
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(props[k])
		b.WriteByte('\n')
	}
	return b.String()
}

// BlackListed reports whether key may not be changed at runtime:
// configBlackList's keys, plus configBlackList, brokerConfigPath and
// rocketmqHome themselves.
func (s *SharedConfig) BlackListed(key string) bool {
	switch key {
	case "configBlackList", "brokerConfigPath", "rocketmqHome":
		return true
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, k := range strings.Split(s.mu.cfg.ConfigBlackList, ";") {
		if strings.TrimSpace(k) == key {
			return true
		}
	}
	return false
}

// Update applies props: broker keys are parsed strictly (the error names
// the first bad key and nothing is applied), other keys are kept as text.
// The version is bumped, the result persisted and the hook called.
func (s *SharedConfig) Update(props map[string]string) error {
	s.mu.Lock()
	next := s.mu.cfg
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !IsConfigKey(k) {
			continue
		}
		if err := next.Set(k, props[k]); err != nil {
			s.mu.Unlock()
			return err
		}
	}
	if err := next.Finish(); err != nil {
		s.mu.Unlock()
		return err
	}
	if s.mu.validate != nil {
		other := make(map[string]string)
		for _, k := range keys {
			if !IsConfigKey(k) {
				other[k] = props[k]
			}
		}
		if len(other) > 0 {
			if err := s.mu.validate(other); err != nil {
				s.mu.Unlock()
				return err
			}
		}
	}
	s.mu.cfg = next
	for _, k := range keys {
		if !IsConfigKey(k) {
			s.mu.extra[k] = props[k]
		}
	}
	s.mu.version.Counter++
	s.mu.version.Timestamp = time.Now().UnixMilli()
	persist, hook := s.mu.persist, s.mu.hook
	s.mu.Unlock()

	var err error
	if persist != nil {
		if perr := persist(s.Properties()); perr != nil {
			err = fmt.Errorf("persist broker config: %w", perr)
		}
	}
	if hook != nil {
		hook(props)
	}
	return err
}
