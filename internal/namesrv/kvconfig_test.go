package namesrv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

func TestKVConfigPersistsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "namesrv", "kvConfig.json")
	kv, err := OpenKVConfig(path, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NoError(t, kv.Put("ORDER_TOPIC_CONFIG", "TopicA", "broker-a:4"))
	require.NoError(t, kv.Put("ORDER_TOPIC_CONFIG", "TopicB", "broker-a:4;broker-b:4"))
	require.NoError(t, kv.Put("other", "k", "v"))
	require.NoError(t, kv.Delete("other", "k"))
	require.NoError(t, kv.Delete("other", "absent"))

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, `{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicA":"broker-a:4","TopicB":"broker-a:4;broker-b:4"},"other":{}}}`, string(b))
	_, err = os.Stat(path + ".bak")
	require.NoError(t, err, "the previous version is kept as .bak")

	again, err := OpenKVConfig(path, nil)
	require.NoError(t, err)
	v, ok := again.Get("ORDER_TOPIC_CONFIG", "TopicB")
	require.True(t, ok)
	require.Equal(t, "broker-a:4;broker-b:4", v)
	_, ok = again.Get("other", "k")
	require.False(t, ok)
	require.Nil(t, again.List("other"), "an empty namespace lists as nothing")
	require.Equal(t, map[string]string{"TopicA": "broker-a:4", "TopicB": "broker-a:4;broker-b:4"}, again.List("ORDER_TOPIC_CONFIG"))
}

func TestKVConfigLoadsJavaFileAndBackup(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kvConfig.json")
	// As the Java name server writes it (KVConfigSerializeWrapper.toJson).
	require.NoError(t, os.WriteFile(path+".bak", []byte(`{"configTable":{"ORDER_TOPIC_CONFIG":{"T":"broker-a:8"}}}`), 0o644))
	kv, err := OpenKVConfig(path, nil)
	require.NoError(t, err)
	v, ok := kv.Get("ORDER_TOPIC_CONFIG", "T")
	require.True(t, ok, "only the .bak survived an interrupted write")
	require.Equal(t, "broker-a:8", v)

	empty, err := OpenKVConfig(filepath.Join(dir, "none.json"), nil)
	require.NoError(t, err)
	require.Nil(t, empty.List("ORDER_TOPIC_CONFIG"))

	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.json"), []byte(`{"configTable":`), 0o644))
	_, err = OpenKVConfig(filepath.Join(dir, "bad.json"), nil)
	require.ErrorContains(t, err, "bad.json")
}

func TestKVConfigPersistFailureKeepsOldValue(t *testing.T) {
	sub := filepath.Join(t.TempDir(), "namesrv")
	kv, err := OpenKVConfig(filepath.Join(sub, "kvConfig.json"), nil)
	require.NoError(t, err)
	// A file where the directory should be makes every write fail.
	require.NoError(t, os.WriteFile(sub, nil, 0o644))
	require.ErrorContains(t, kv.Put("ns", "k", "v"), "persist kv config")
	_, ok := kv.Get("ns", "k")
	require.False(t, ok)
}

// FuzzKVConfigLoad feeds arbitrary kvConfig.json contents to OpenKVConfig:
// it must load or fail, and what loads must survive a write and a reload.
func FuzzKVConfigLoad(f *testing.F) {
	f.Add([]byte(`{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicA":"broker-a:4"}}}`))
	f.Add([]byte(`{"configTable":{"ns":null}}`))
	f.Add([]byte(`{"configTable":`))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "kvConfig.json")
		require.NoError(t, os.WriteFile(path, b, 0o644))
		kv, err := OpenKVConfig(path, nil)
		if err != nil {
			return
		}
		require.NoError(t, kv.Put("fuzz", "k", "v"))
		again, err := OpenKVConfig(path, nil)
		require.NoError(t, err)
		v, ok := again.Get("fuzz", "k")
		require.True(t, ok)
		require.Equal(t, "v", v)
	})
}
