package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type diskType string

func (d *diskType) UnmarshalText(b []byte) error {
	switch s := string(b); s {
	case "ASYNC_FLUSH", "SYNC_FLUSH":
		*d = diskType(s)
		return nil
	}
	return errors.New("not ASYNC_FLUSH or SYNC_FLUSH")
}

func (d diskType) MarshalText() ([]byte, error) { return []byte(d), nil }

type testConfig struct {
	Home      string        `properties:"rocketmqHome,env=ROCKETMQ_HOME,default="`
	Port      int           `properties:"listenPort,default=9876"`
	Size      int64         `properties:"mappedFileSizeCommitLog,default=1073741824"`
	Enabled   bool          `properties:"autoCreateTopicEnable,default=true"`
	Flush     diskType      `properties:"flushDiskType,default=ASYNC_FLUSH"`
	Path      string        `properties:"kvConfigPath,default=${user.home}/namesrv/kvConfig.json"`
	Black     string        `properties:"configBlackList,default=a;b,c"`
	Interval  time.Duration `properties:"scanInterval,default=10s"`
	Untouched int
	Skipped   string `properties:"-"`
}

type otherConfig struct {
	NamesrvAddr string `properties:"namesrvAddr,default="`
	Port        int    `properties:"listenPort,default=9876"`
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.properties")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

func TestConfigDefaults(t *testing.T) {
	t.Setenv("HOME", "/home/tester")
	t.Setenv(EnvHome, "")
	var c testConfig
	require.NoError(t, Decode(New(), &c))
	require.Equal(t, testConfig{
		Port: 9876, Size: 1 << 30, Enabled: true, Flush: "ASYNC_FLUSH",
		Path: "/home/tester/namesrv/kvConfig.json", Black: "a;b,c", Interval: 10 * time.Second,
	}, c)
}

func TestConfigLoadJavaSyntax(t *testing.T) {
	t.Setenv(EnvHome, "/opt/rmq")
	path := writeFile(t, "# comment\n! also comment\nlistenPort = 10911\nflushDiskType:SYNC_FLUSH\n"+
		"autoCreateTopicEnable FALSE\nkvConfigPath=${storePathRootDir}/kv.json\nlistenPort=10920\n"+
		"brokerName=broker-\\u0061\nlong=a\\\n   b\nunknownKey=1\n")
	p, err := Load(path)
	require.NoError(t, err)
	var c testConfig
	require.NoError(t, Decode(p, &c))
	require.Equal(t, 10920, c.Port, "last duplicate wins")
	require.Equal(t, diskType("SYNC_FLUSH"), c.Flush)
	require.False(t, c.Enabled)
	require.Equal(t, "${storePathRootDir}/kv.json", c.Path, "no expansion of file values")
	require.Equal(t, "/opt/rmq", c.Home, "ROCKETMQ_HOME fills rocketmqHome")
	v, _ := p.Get("brokerName")
	require.Equal(t, "broker-a", v)
	v, _ = p.Get("long")
	require.Equal(t, "ab", v)
	p2, err := Parse("k=v  \n", "t")
	require.NoError(t, err)
	v, _ = p2.Get("k")
	require.Equal(t, "v  ", v, "trailing blanks of a value are kept, as java.util.Properties keeps them")
	require.Equal(t, []string{"brokerName", "long", "unknownKey"}, p.Unused())
}

func TestConfigArgsOverrideFile(t *testing.T) {
	p, err := Parse("listenPort=1\nrocketmqHome=/file\n", "test")
	require.NoError(t, err)
	require.NoError(t, p.ApplyArgs([]string{"listenPort=2", "-DscanInterval=3s"}))
	p.ApplyNamesrvAddr("10.0.0.1:9876;10.0.0.2:9876")
	var c testConfig
	var o otherConfig
	require.NoError(t, Decode(p, &c))
	require.NoError(t, Decode(p, &o))
	require.Equal(t, 2, c.Port)
	require.Equal(t, 2, o.Port, "one key sets every config that has it")
	require.Equal(t, 3*time.Second, c.Interval)
	require.Equal(t, "/file", c.Home, "the key beats ROCKETMQ_HOME")
	require.Equal(t, "10.0.0.1:9876;10.0.0.2:9876", o.NamesrvAddr)
	require.Empty(t, p.Unused())

	require.Error(t, p.ApplyArgs([]string{"novalue"}))
	require.Error(t, p.ApplyArgs([]string{"=x"}))
}

func TestConfigNamesrvAddrEnv(t *testing.T) {
	t.Setenv(EnvNamesrvAddr, "1.1.1.1:9876")
	p := New()
	p.ApplyNamesrvAddr("")
	v, ok := p.Get(KeyNamesrvAddr)
	require.True(t, ok)
	require.Equal(t, "1.1.1.1:9876", v)
	p.ApplyNamesrvAddr("2.2.2.2:9876")
	v, _ = p.Get(KeyNamesrvAddr)
	require.Equal(t, "2.2.2.2:9876", v)
}

func TestConfigBadValuesNameTheKey(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"listenPort", "98x6", `config key listenPort="98x6" (from cmd): not a 64-bit integer`},
		{"listenPort", "99999999999999999999", "listenPort"},
		{"autoCreateTopicEnable", "yes", `config key autoCreateTopicEnable="yes" (from cmd): not a boolean (want true or false)`},
		{"autoCreateTopicEnable", "true ", "autoCreateTopicEnable"},
		{"flushDiskType", "sync_flush", "flushDiskType"},
		{"scanInterval", "10", "scanInterval"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			p, err := Parse("", "x")
			require.NoError(t, err)
			p.setFrom(tc.key, tc.value, "cmd")
			var c testConfig
			err = Decode(p, &c)
			var ke *KeyError
			require.ErrorAs(t, err, &ke)
			require.Equal(t, tc.key, ke.Key)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestConfigMandatoryAndBadTarget(t *testing.T) {
	var m struct {
		Name string `properties:"brokerName"`
	}
	err := Decode(New(), &m)
	require.ErrorContains(t, err, "brokerName")
	p := New()
	p.Set("brokerName", "b")
	require.NoError(t, Decode(p, &m))
	require.Equal(t, "b", m.Name)
	require.Error(t, Decode(p, m))

	_, err = Load(filepath.Join(t.TempDir(), "missing.properties"))
	require.ErrorContains(t, err, "missing.properties")
}

func TestConfigAliasAndSuggest(t *testing.T) {
	p := New()
	p.Set("mapedFileSizeCommitLog", "1024")
	require.True(t, p.Alias("mapedFileSizeCommitLog", "mappedFileSizeCommitLog"))
	require.False(t, p.Alias("mapedFileSizeCommitLog", "mappedFileSizeCommitLog"))
	var c testConfig
	require.NoError(t, Decode(p, &c))
	require.EqualValues(t, 1024, c.Size)

	known := KnownKeys(&testConfig{}, &otherConfig{})
	require.Contains(t, known, "namesrvAddr")
	require.Equal(t, "listenPort", Suggest("listenport", known))
	require.Equal(t, "flushDiskType", Suggest("flushDiskTyp", known))
	require.Equal(t, "", Suggest("somethingElseEntirely", known))
}

func TestConfigPrint(t *testing.T) {
	t.Setenv("HOME", "/h")
	t.Setenv(EnvHome, "")
	var c testConfig
	var o otherConfig
	require.NoError(t, Decode(New(), &c))
	require.NoError(t, Decode(New(), &o))
	var buf bytes.Buffer
	require.NoError(t, Print(&buf, &c, &o))
	require.Equal(t, "rocketmqHome=\nlistenPort=9876\nmappedFileSizeCommitLog=1073741824\nautoCreateTopicEnable=true\n"+
		"flushDiskType=ASYNC_FLUSH\nkvConfigPath=/h/namesrv/kvConfig.json\nconfigBlackList=a;b,c\nscanInterval=10s\nnamesrvAddr=\n", buf.String())
}

// FuzzConfigParse covers UPDATE_NAMESRV_CONFIG bodies, which come off the
// socket: parsing must fail or succeed, never panic or hang.
func FuzzConfigParse(f *testing.F) {
	f.Add("listenPort=9876\n# c\n! c\nkey value\nk:v\\\n  w\n")
	f.Add("bad\\u00zz=1")
	f.Add("a=${b}\nb=${a}\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Parse(text, "fuzz")
		if err != nil {
			return
		}
		for _, k := range p.Keys() {
			_, ok := p.Get(k)
			require.True(t, ok)
		}
		var c otherConfig
		_ = Decode(p, &c)
	})
}
