package broker

import (
	"runtime"
	"strings"
	"testing"

	"github.com/magiconair/properties"
	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/config"
	"github.com/gorocket/gorocket/internal/store"
)

// loadProps parses properties text the way the Java broker reads its -c
// file (no ${} expansion).
func loadProps(t *testing.T, text string) map[string]string {
	t.Helper()
	p := properties.NewProperties()
	p.DisableExpansion = true
	require.NoError(t, p.Load([]byte(text), properties.UTF8))
	return p.Map()
}

func TestBrokerConfigDefaults(t *testing.T) {
	t.Setenv("NAMESRV_ADDR", "")
	c, err := DecodeConfig(nil)
	require.NoError(t, err)
	cores := runtime.NumCPU()
	require.Equal(t, 10911, c.ListenPort)
	require.Equal(t, 10909, c.FastListenPort())
	require.Equal(t, 10912, c.HAListenPort())
	require.Equal(t, AsyncMaster, c.BrokerRole)
	require.Equal(t, "DefaultCluster", c.BrokerClusterName)
	require.EqualValues(t, 6, c.BrokerPermission)
	require.Equal(t, 8, c.DefaultTopicQueueNums)
	require.True(t, c.AutoCreateTopicEnable)
	require.True(t, c.AutoCreateSubscriptionGroup)
	require.True(t, c.LongPollingEnable)
	require.True(t, c.NotifyConsumerIdsChangedEnable)
	require.Equal(t, 5000, c.FlushConsumerOffsetInterval)
	require.Equal(t, int64(17179869184), c.ConsumerFallbehindThreshold)
	require.Equal(t, "configBlackList;brokerConfigPath", c.ConfigBlackList)
	require.Equal(t, "RMQ_SYS_TRACE_TOPIC", c.MsgTraceTopicName)
	require.Equal(t, min(cores, 4), c.SendMessageThreadPoolNums)
	require.Equal(t, 16+2*cores, c.PullMessageThreadPoolNums)
	require.Equal(t, 8+cores, c.QueryMessageThreadPoolNums)
	require.Equal(t, min(32, cores), c.HeartbeatThreadPoolNums)
	require.Equal(t, cores, c.ClientCallbackExecutorThreads)
	require.NotEmpty(t, c.BrokerIP1)
	require.Equal(t, c.BrokerIP1, c.BrokerIP2)
	require.NotEmpty(t, c.BrokerName)
	require.Empty(t, c.NamesrvAddrs())

	// NewConfig and DecodeConfig of nothing agree.
	require.Equal(t, *c, *NewConfig())
}

func TestBrokerConfigDecodeBrokerConf(t *testing.T) {
	// The shipped conf/broker.conf, with "key = value" separators.
	props := loadProps(t, `
brokerClusterName = DefaultCluster
brokerName = broker-a
brokerId = 0
deleteWhen = 04
fileReservedTime = 48
brokerRole = ASYNC_MASTER
flushDiskType = ASYNC_FLUSH
namesrvAddr = 10.0.0.1:9876;10.0.0.2:9876
listenPort = 20911
brokerIP1 = 10.0.0.9
autoCreateTopicEnable = false
brokerPermission = 4
shortPollingTimeMills = 2000
`)
	c, err := DecodeConfig(props)
	require.NoError(t, err)
	require.Equal(t, "broker-a", c.BrokerName)
	require.Equal(t, []string{"10.0.0.1:9876", "10.0.0.2:9876"}, c.NamesrvAddrs())
	require.Equal(t, 20909, c.FastListenPort())
	require.Equal(t, 20912, c.HAListenPort())
	require.Equal(t, "10.0.0.9:20911", c.BrokerAddr())
	require.False(t, c.AutoCreateTopicEnable)
	require.EqualValues(t, 4, c.BrokerPermission)
	require.Equal(t, int64(2000), c.ShortPollingTimeMills)

	// Store keys are left for the store, and reported by no one here.
	require.Empty(t, WarnKeys(keysOf(props), []string{"deleteWhen", "fileReservedTime", "flushDiskType"}))
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestBrokerConfigInvalidValues(t *testing.T) {
	cases := []struct {
		name, text, wantKey string
	}{
		{"role wrong case", "brokerRole=slave", "brokerRole"},
		{"role async_master", "brokerRole=async_master", "brokerRole"},
		{"role unknown", "brokerRole=MASTER", "brokerRole"},
		{"flush type lower case", "flushDiskType=sync_flush", "flushDiskType"},
		{"int not a number", "listenPort=abc", "listenPort"},
		{"int with unit", "defaultTopicQueueNums=8k", "defaultTopicQueueNums"},
		{"int trailing space", "defaultTopicQueueNums=8 ", "defaultTopicQueueNums"},
		{"int overflow", "listenPort=4294967296", "listenPort"},
		{"long not a number", "brokerId=one", "brokerId"},
		{"bool yes", "autoCreateTopicEnable=yes", "autoCreateTopicEnable"},
		{"bool 1", "longPollingEnable=1", "longPollingEnable"},
		{"bool trailing space", "aclEnable=true ", "aclEnable"},
		{"namesrv without port", "namesrvAddr=10.0.0.1", "namesrvAddr"},
		{"namesrv bad second", "namesrvAddr=10.0.0.1:9876;x", "namesrvAddr"},
		{"slave needs id", "brokerRole=SLAVE", "brokerId"},
		{"permission range", "brokerPermission=99", "brokerPermission"},
		{"listen port range", "listenPort=70000", "listenPort"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeConfig(loadProps(t, tc.text))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.wantKey)
		})
	}
	_, err := DecodeConfig(loadProps(t, "brokerRole=slave"))
	require.ErrorContains(t, err, "did you mean SLAVE")
}

func TestBrokerConfigRolesAndBooleans(t *testing.T) {
	c, err := DecodeConfig(loadProps(t, "brokerRole=SLAVE\nbrokerId=2\nlongPollingEnable=FALSE\naclEnable=True"))
	require.NoError(t, err)
	require.True(t, c.IsSlave())
	require.Equal(t, int64(2), c.BrokerID)
	require.False(t, c.LongPollingEnable)
	require.True(t, c.AclEnable)

	// A master's brokerId is forced to 0, as BrokerStartup does.
	c, err = DecodeConfig(loadProps(t, "brokerRole=SYNC_MASTER\nbrokerId=3"))
	require.NoError(t, err)
	require.Equal(t, int64(0), c.BrokerID)
}

func TestBrokerConfigWarnKeys(t *testing.T) {
	props := loadProps(t, `
deletewhen=04
fileReserveredTime=48
storeCheckpoint=/data/checkpoint
abortFile=/data/abort
storePathConsumeQueue=/data/cq
storePathIndex=/data/index
mapedFileSizeCommitLog=1073741824
brokerIp1=10.0.0.1
haListenPort=10912
someTotallyUnknownKey=1
brokerName=ok
`)
	warnings := WarnKeys(keysOf(props), []string{"deleteWhen", "fileReservedTime", "mappedFileSizeCommitLog", "haListenPort"})
	byKey := map[string]string{}
	for _, w := range warnings {
		f := strings.Fields(w)
		require.GreaterOrEqual(t, len(f), 3, w)
		byKey[f[2]] = w
	}
	require.Len(t, byKey, 10, warnings)
	require.Contains(t, byKey["deletewhen"], "deleteWhen")
	require.Contains(t, byKey["fileReserveredTime"], "fileReservedTime")
	require.Contains(t, byKey["storeCheckpoint"], "<storePathRootDir>/checkpoint")
	require.Contains(t, byKey["abortFile"], "<storePathRootDir>/abort")
	require.Contains(t, byKey["storePathConsumeQueue"], "consumequeue")
	require.Contains(t, byKey["storePathIndex"], "index")
	require.Contains(t, byKey["mapedFileSizeCommitLog"], "mappedFileSizeCommitLog")
	require.Contains(t, byKey["brokerIp1"], "did you mean brokerIP1")
	require.Contains(t, byKey["haListenPort"], "listenPort+1")
	require.Contains(t, byKey["someTotallyUnknownKey"], "unknown")
	require.NotContains(t, byKey, "brokerName")
}

func TestBrokerConfigAliases(t *testing.T) {
	props := map[string]string{"mapedFileSizeCommitLog": "1024", "mapedFileSizeConsumeQueue": "600"}
	ApplyAliases(props)
	require.Equal(t, map[string]string{"mappedFileSizeCommitLog": "1024", "mappedFileSizeConsumeQueue": "600"}, props)

	// The current spelling wins when both are present.
	props = map[string]string{"mapedFileSizeCommitLog": "1024", "mappedFileSizeCommitLog": "2048"}
	ApplyAliases(props)
	require.Equal(t, "2048", props["mappedFileSizeCommitLog"])
	require.Contains(t, props, "mapedFileSizeCommitLog")
}

func TestBrokerConfigSetGetRoundTrip(t *testing.T) {
	c := NewConfig()
	for k, v := range c.Properties() {
		require.NoError(t, c.Set(k, v), k)
	}
	require.Equal(t, *NewConfig(), *c)
	require.Error(t, c.Set("noSuchKey", "1"))
	v, ok := c.Get("brokerRole")
	require.True(t, ok)
	require.Equal(t, "ASYNC_MASTER", v)
	require.True(t, IsConfigKey("brokerIP1"))
	require.False(t, IsConfigKey("brokerip1"))
	require.Contains(t, ConfigKeys(), "serverWorkerThreads")
	require.Contains(t, ConfigKeys(), "clientCloseSocketIfTimeout")
}

func TestBrokerConfigShared(t *testing.T) {
	s := NewSharedConfig(*NewConfig(), map[string]string{"flushDiskType": "ASYNC_FLUSH"})
	v0 := s.Version()
	var persisted map[string]string
	var changed map[string]string
	s.OnPersist(func(all map[string]string) error { persisted = all; return nil })
	s.OnUpdate(func(c map[string]string) { changed = c })

	require.NoError(t, s.Update(map[string]string{"brokerPermission": "4", "fileReservedTime": "48"}))
	require.EqualValues(t, 4, s.Config().BrokerPermission)
	require.Equal(t, v0.Counter+1, s.Version().Counter)
	require.Equal(t, "4", persisted["brokerPermission"])
	require.Equal(t, "48", persisted["fileReservedTime"])
	require.Equal(t, "ASYNC_FLUSH", persisted["flushDiskType"])
	require.Equal(t, "4", changed["brokerPermission"])
	require.Contains(t, s.Text(), "\nbrokerPermission=4\n")

	// A bad value changes nothing.
	err := s.Update(map[string]string{"brokerPermission": "6", "longPollingEnable": "maybe"})
	require.ErrorContains(t, err, "longPollingEnable")
	require.EqualValues(t, 4, s.Config().BrokerPermission)

	// Other configs' keys go through the validator.
	s.OnValidate(func(other map[string]string) error {
		var sc store.Config
		p := config.New()
		for k, v := range other {
			p.Set(k, v)
		}
		return config.Decode(p, &sc)
	})
	err = s.Update(map[string]string{"brokerPermission": "2", "fileReservedTime": "two days"})
	require.ErrorContains(t, err, "fileReservedTime")
	require.EqualValues(t, 4, s.Config().BrokerPermission)
	require.NoError(t, s.Update(map[string]string{"fileReservedTime": "12"}))
	require.Equal(t, "12", s.Properties()["fileReservedTime"])

	require.True(t, s.BlackListed("brokerConfigPath"))
	require.True(t, s.BlackListed("configBlackList"))
	require.True(t, s.BlackListed("rocketmqHome"))
	require.False(t, s.BlackListed("brokerPermission"))
}

func TestBrokerConfigLoadWithStoreConfig(t *testing.T) {
	t.Setenv("NAMESRV_ADDR", "10.0.0.5:9876")
	t.Setenv("ROCKETMQ_HOME", "/opt/rocketmq")
	p, err := config.Parse(`
brokerName=broker-b
brokerRole=SYNC_MASTER
brokerId=5
mapedFileSizeCommitLog=10485760
fileReserveredTime=48
deletewhen=03
fileReservedTime=24
storePathRootDir=/data/store
brokerPermision=4
`, "broker.conf")
	require.NoError(t, err)
	var sc store.Config
	c, warnings, err := LoadConfig(p, &sc)
	require.NoError(t, err)
	require.Equal(t, "broker-b", c.BrokerName)
	require.Equal(t, SyncMaster, c.BrokerRole)
	require.Equal(t, int64(0), c.BrokerID, "forced to 0 on a master")
	require.Equal(t, "10.0.0.5:9876", c.NamesrvAddr, "from $NAMESRV_ADDR")
	require.Equal(t, "/opt/rocketmq", c.RocketmqHome)
	require.Equal(t, min(runtime.NumCPU(), 4), c.SendMessageThreadPoolNums, "computed default")
	require.Equal(t, 10485760, sc.MappedFileSizeCommitLog, "old spelling read as the new key")
	require.Equal(t, 24, sc.FileReservedTime)
	require.Equal(t, "/data/store", sc.StorePathRootDir)

	joined := strings.Join(warnings, "\n")
	require.Len(t, warnings, 4, joined)
	require.Contains(t, joined, "config key deletewhen ignored: did you mean deleteWhen?")
	require.Contains(t, joined, "config key fileReserveredTime ignored: did you mean fileReservedTime?")
	require.Contains(t, joined, "config key mapedFileSizeCommitLog is the spelling before RocketMQ 4.5.2")
	require.Contains(t, joined, "config key brokerPermision is unknown and ignored: did you mean brokerPermission?")

	for _, bad := range []string{"brokerRole=slave", "flushDiskType=sync_flush", "listenPort=x", "longPollingEnable=yes"} {
		p, err := config.Parse(bad, "broker.conf")
		require.NoError(t, err)
		_, _, err = LoadConfig(p, &store.Config{})
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), strings.Split(bad, "=")[0])
	}
}
