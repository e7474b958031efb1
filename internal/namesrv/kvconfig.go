package namesrv

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// kvConfigFile is the kvConfig.json shape (KVConfigSerializeWrapper.java):
//
//	{"configTable":{"NAMESPACE":{"key":"value"}}}
type kvConfigFile struct {
	ConfigTable map[string]map[string]string `json:"configTable"`
}

// KVConfig is the name server's namespace → key → value store
// (KVConfigManager.java), persisted to one JSON file on every change.
type KVConfig struct {
	lg   *zap.Logger
	path string

	mu struct {
		sync.RWMutex
		table map[string]map[string]string
	}
}

// OpenKVConfig loads the store from path (a missing file is an empty
// store; when only path.bak survives an interrupted write, it is used).
func OpenKVConfig(path string, lg *zap.Logger) (*KVConfig, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	kv := &KVConfig{lg: lg, path: path}
	kv.mu.table = map[string]map[string]string{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		b, err = os.ReadFile(path + ".bak")
		if errors.Is(err, os.ErrNotExist) {
			return kv, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("load kv config %s: %w", path, err)
	}
	if len(b) == 0 {
		return kv, nil
	}
	var f kvConfigFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("load kv config %s: %w", path, err)
	}
	for ns, m := range f.ConfigTable {
		if m != nil {
			kv.mu.table[ns] = m
		}
	}
	lg.Info("kv config loaded", zap.String("kvConfigPath", path), zap.Int("namespaces", len(kv.mu.table)))
	return kv, nil
}

// Put sets namespace/key to value and persists the store.
func (kv *KVConfig) Put(namespace, key, value string) error {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	m := kv.mu.table[namespace]
	if m == nil {
		m = map[string]string{}
		kv.mu.table[namespace] = m
	}
	old, had := m[key]
	m[key] = value
	if err := kv.persistLocked(); err != nil {
		if had {
			m[key] = old
		} else {
			delete(m, key)
		}
		return err
	}
	kv.lg.Info("kv config put", zap.String("namespace", namespace), zap.String("key", key), zap.String("value", value))
	return nil
}

// Get returns the value of namespace/key.
func (kv *KVConfig) Get(namespace, key string) (string, bool) {
	kv.mu.RLock()
	defer kv.mu.RUnlock()
	v, ok := kv.mu.table[namespace][key]
	return v, ok
}

// Delete removes namespace/key (absent is fine) and persists the store.
func (kv *KVConfig) Delete(namespace, key string) error {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	m := kv.mu.table[namespace]
	old, had := m[key]
	if !had {
		return nil
	}
	delete(m, key)
	if err := kv.persistLocked(); err != nil {
		m[key] = old
		return err
	}
	kv.lg.Info("kv config deleted", zap.String("namespace", namespace), zap.String("key", key))
	return nil
}

// List returns a copy of a namespace's pairs, or nil when it has none.
func (kv *KVConfig) List(namespace string) map[string]string {
	kv.mu.RLock()
	defer kv.mu.RUnlock()
	m := kv.mu.table[namespace]
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// persistLocked writes the store as MixAll.string2File does: the new text
// to <path>.tmp, the previous file to <path>.bak, then the rename.
func (kv *KVConfig) persistLocked() error {
	text := protocol.MarshalCompact(&kvConfigFile{ConfigTable: kv.mu.table})
	if err := os.MkdirAll(filepath.Dir(kv.path), 0o755); err != nil {
		return fmt.Errorf("persist kv config: %w", err)
	}
	tmp := kv.path + ".tmp"
	if err := writeFileSync(tmp, text); err != nil {
		return fmt.Errorf("persist kv config: %w", err)
	}
	if prev, err := os.ReadFile(kv.path); err == nil {
		if err := writeFileSync(kv.path+".bak", prev); err != nil {
			return fmt.Errorf("persist kv config: %w", err)
		}
	}
	if err := os.Rename(tmp, kv.path); err != nil {
		return fmt.Errorf("persist kv config: %w", err)
	}
	return nil
}

func writeFileSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
