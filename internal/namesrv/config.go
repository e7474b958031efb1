package namesrv

import (
	"fmt"
	"time"

	"github.com/gorocket/gorocket/internal/config"
)

// DefaultScanInterval is how often expired brokers are looked for
// (NamesrvController: scanNotActiveBroker every 10 s).
const DefaultScanInterval = 10 * time.Second

// Config holds the name server settings: NamesrvConfig.java and the
// NettyServerConfig.java keys the Go server honours. Keys are Java's.
type Config struct {
	RocketmqHome       string `properties:"rocketmqHome,env=ROCKETMQ_HOME,default="`
	KvConfigPath       string `properties:"kvConfigPath,default=${user.home}/namesrv/kvConfig.json"`
	ConfigStorePath    string `properties:"configStorePath,default=${user.home}/namesrv/namesrv.properties"`
	ProductEnvName     string `properties:"productEnvName,default=center"`
	ClusterTest        bool   `properties:"clusterTest,default=false"`
	OrderMessageEnable bool   `properties:"orderMessageEnable,default=false"`
	ConfigBlackList    string `properties:"configBlackList,default=configBlackList;configStorePath;kvConfigPath"`

	ListenPort          int    `properties:"listenPort,default=9876"`
	BindAddress         string `properties:"bindAddress,default=0.0.0.0"` // 5.x key; 4.9.8 always binds every interface
	ServerWorkerThreads int    `properties:"serverWorkerThreads,default=8"`

	// Not properties keys: tests shorten them. Zero means the RocketMQ
	// values, DefaultBrokerExpiry and DefaultScanInterval.
	BrokerExpiry time.Duration
	ScanInterval time.Duration
	// MaxFrameSize bounds a frame including its length prefix; 0 means 16 MiB.
	MaxFrameSize int
}

// DefaultConfig returns the settings with every key at its default, as an
// empty properties file gives (kvConfigPath under $HOME, port 9876, every
// interface).
func DefaultConfig() Config {
	var c Config
	if err := config.Decode(config.New(), &c); err != nil {
		panic("namesrv: defaults do not decode: " + err.Error())
	}
	return c
}

// Validate names the first bad setting.
func (c *Config) Validate() error {
	switch {
	case c.ListenPort < 0 || c.ListenPort > 65535:
		return fmt.Errorf("config key listenPort=%d: not a TCP port", c.ListenPort)
	case c.ServerWorkerThreads <= 0:
		return fmt.Errorf("config key serverWorkerThreads=%d: must be positive", c.ServerWorkerThreads)
	case c.KvConfigPath == "":
		return fmt.Errorf("config key kvConfigPath: must not be empty")
	case c.BrokerExpiry < 0 || c.ScanInterval < 0:
		return fmt.Errorf("name server: negative broker expiry or scan interval")
	}
	return nil
}

func (c *Config) brokerExpiry() time.Duration {
	if c.BrokerExpiry > 0 {
		return c.BrokerExpiry
	}
	return DefaultBrokerExpiry
}

func (c *Config) scanInterval() time.Duration {
	if c.ScanInterval > 0 {
		return c.ScanInterval
	}
	return DefaultScanInterval
}
