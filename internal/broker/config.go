package broker

import (
	"fmt"
	"net"
	"os"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/gorocket/gorocket/internal/config"
)

// BrokerRole is the replication role of a broker (BrokerRole.java).
type BrokerRole string

// Broker roles, spelled exactly as the properties file must spell them.
const (
	AsyncMaster BrokerRole = "ASYNC_MASTER"
	SyncMaster  BrokerRole = "SYNC_MASTER"
	Slave       BrokerRole = "SLAVE"
)

// Default ports of a broker (BrokerStartup.java): the main port, from which
// the fast ("VIP") port listenPort-2 and the HA port listenPort+1 derive.
const DefaultListenPort = 10911

// Config is the broker's own configuration: every BrokerConfig key and the
// Netty server and client keys (storage-ha-config.md §9.3.1, §9.3.3). The
// store's keys (§9.3.2) live in store.Config; a properties file is decoded
// into both. brokerRole is also a store key: Java binds one key to every
// object that has the setter, and both need it.
//
// Tags give the Java key and the default. A default of 0 or "" on a key
// marked "computed" in its comment is replaced by NewConfig with the value
// Java computes at start (cores, host name, environment, local address).
type Config struct {
	// BrokerConfig (BrokerConfig.java)
	RocketmqHome                           string     `properties:"rocketmqHome,env=ROCKETMQ_HOME,default="`
	NamesrvAddr                            string     `properties:"namesrvAddr,env=NAMESRV_ADDR,default="`
	BrokerIP1                              string     `properties:"brokerIP1,default="`  // computed: local address
	BrokerIP2                              string     `properties:"brokerIP2,default="`  // computed: local address
	BrokerName                             string     `properties:"brokerName,default="` // computed: host name
	BrokerClusterName                      string     `properties:"brokerClusterName,default=DefaultCluster"`
	BrokerID                               int64      `properties:"brokerId,default=0"`
	BrokerRole                             BrokerRole `properties:"brokerRole,default=ASYNC_MASTER"`
	BrokerPermission                       int32      `properties:"brokerPermission,default=6"`
	DefaultTopicQueueNums                  int        `properties:"defaultTopicQueueNums,default=8"`
	AutoCreateTopicEnable                  bool       `properties:"autoCreateTopicEnable,default=true"`
	ClusterTopicEnable                     bool       `properties:"clusterTopicEnable,default=true"`
	BrokerTopicEnable                      bool       `properties:"brokerTopicEnable,default=true"`
	AutoCreateSubscriptionGroup            bool       `properties:"autoCreateSubscriptionGroup,default=true"`
	MessageStorePlugIn                     string     `properties:"messageStorePlugIn,default="`
	MsgTraceTopicName                      string     `properties:"msgTraceTopicName,default=RMQ_SYS_TRACE_TOPIC"`
	TraceTopicEnable                       bool       `properties:"traceTopicEnable,default=false"`
	SendMessageThreadPoolNums              int        `properties:"sendMessageThreadPoolNums,default=0"`         // computed: min(cores, 4)
	PutMessageFutureThreadPoolNums         int        `properties:"putMessageFutureThreadPoolNums,default=0"`    // computed: min(cores, 4)
	PullMessageThreadPoolNums              int        `properties:"pullMessageThreadPoolNums,default=0"`         // computed: 16 + 2*cores
	ProcessReplyMessageThreadPoolNums      int        `properties:"processReplyMessageThreadPoolNums,default=0"` // computed: 16 + 2*cores
	QueryMessageThreadPoolNums             int        `properties:"queryMessageThreadPoolNums,default=0"`        // computed: 8 + cores
	AdminBrokerThreadPoolNums              int        `properties:"adminBrokerThreadPoolNums,default=16"`
	ClientManageThreadPoolNums             int        `properties:"clientManageThreadPoolNums,default=32"`
	ConsumerManageThreadPoolNums           int        `properties:"consumerManageThreadPoolNums,default=32"`
	HeartbeatThreadPoolNums                int        `properties:"heartbeatThreadPoolNums,default=0"`        // computed: min(32, cores)
	EndTransactionThreadPoolNums           int        `properties:"endTransactionThreadPoolNums,default=0"`   // computed: max(8+2*cores, 4*send)
	FlushConsumerOffsetInterval            int        `properties:"flushConsumerOffsetInterval,default=5000"` // ms
	FlushConsumerOffsetHistoryInterval     int        `properties:"flushConsumerOffsetHistoryInterval,default=60000"`
	RejectTransactionMessage               bool       `properties:"rejectTransactionMessage,default=false"`
	FetchNamesrvAddrByAddressServer        bool       `properties:"fetchNamesrvAddrByAddressServer,default=false"`
	RmqAddressServerDomain                 string     `properties:"rmqAddressServerDomain,default=jmenv.tbsite.net"`
	RmqAddressServerSubGroup               string     `properties:"rmqAddressServerSubGroup,default=nsaddr"`
	SendThreadPoolQueueCapacity            int        `properties:"sendThreadPoolQueueCapacity,default=10000"`
	PutThreadPoolQueueCapacity             int        `properties:"putThreadPoolQueueCapacity,default=10000"`
	PullThreadPoolQueueCapacity            int        `properties:"pullThreadPoolQueueCapacity,default=100000"`
	ReplyThreadPoolQueueCapacity           int        `properties:"replyThreadPoolQueueCapacity,default=10000"`
	QueryThreadPoolQueueCapacity           int        `properties:"queryThreadPoolQueueCapacity,default=20000"`
	ClientManagerThreadPoolQueueCapacity   int        `properties:"clientManagerThreadPoolQueueCapacity,default=1000000"`
	ConsumerManagerThreadPoolQueueCapacity int        `properties:"consumerManagerThreadPoolQueueCapacity,default=1000000"`
	HeartbeatThreadPoolQueueCapacity       int        `properties:"heartbeatThreadPoolQueueCapacity,default=50000"`
	EndTransactionPoolQueueCapacity        int        `properties:"endTransactionPoolQueueCapacity,default=100000"`
	FilterServerNums                       int        `properties:"filterServerNums,default=0"`
	LongPollingEnable                      bool       `properties:"longPollingEnable,default=true"`
	ShortPollingTimeMills                  int64      `properties:"shortPollingTimeMills,default=1000"`
	NotifyConsumerIdsChangedEnable         bool       `properties:"notifyConsumerIdsChangedEnable,default=true"`
	HighSpeedMode                          bool       `properties:"highSpeedMode,default=false"`
	CommercialEnable                       bool       `properties:"commercialEnable,default=true"`
	CommercialTimerCount                   int        `properties:"commercialTimerCount,default=1"`
	CommercialTransCount                   int        `properties:"commercialTransCount,default=1"`
	CommercialBigCount                     int        `properties:"commercialBigCount,default=1"`
	CommercialBaseCount                    int        `properties:"commercialBaseCount,default=1"`
	TransferMsgByHeap                      bool       `properties:"transferMsgByHeap,default=true"`
	MaxDelayTime                           int        `properties:"maxDelayTime,default=40"`
	RegionID                               string     `properties:"regionId,default=DefaultRegion"`
	RegisterBrokerTimeoutMills             int        `properties:"registerBrokerTimeoutMills,default=6000"`
	SlaveReadEnable                        bool       `properties:"slaveReadEnable,default=false"`
	DisableConsumeIfConsumerReadSlowly     bool       `properties:"disableConsumeIfConsumerReadSlowly,default=false"`
	ConsumerFallbehindThreshold            int64      `properties:"consumerFallbehindThreshold,default=17179869184"`
	BrokerFastFailureEnable                bool       `properties:"brokerFastFailureEnable,default=true"`
	WaitTimeMillsInSendQueue               int64      `properties:"waitTimeMillsInSendQueue,default=200"`
	WaitTimeMillsInPullQueue               int64      `properties:"waitTimeMillsInPullQueue,default=5000"`
	WaitTimeMillsInHeartbeatQueue          int64      `properties:"waitTimeMillsInHeartbeatQueue,default=31000"`
	WaitTimeMillsInTransactionQueue        int64      `properties:"waitTimeMillsInTransactionQueue,default=3000"`
	StartAcceptSendRequestTimeStamp        int64      `properties:"startAcceptSendRequestTimeStamp,default=0"`
	TraceOn                                bool       `properties:"traceOn,default=true"`
	EnableCalcFilterBitMap                 bool       `properties:"enableCalcFilterBitMap,default=false"`
	ExpectConsumerNumUseFilter             int        `properties:"expectConsumerNumUseFilter,default=32"`
	MaxErrorRateOfBloomFilter              int        `properties:"maxErrorRateOfBloomFilter,default=20"`
	FilterDataCleanTimeSpan                int64      `properties:"filterDataCleanTimeSpan,default=86400000"`
	FilterSupportRetry                     bool       `properties:"filterSupportRetry,default=false"`
	EnablePropertyFilter                   bool       `properties:"enablePropertyFilter,default=false"`
	CompressedRegister                     bool       `properties:"compressedRegister,default=false"`
	ForceRegister                          bool       `properties:"forceRegister,default=true"`
	RegisterNameServerPeriod               int        `properties:"registerNameServerPeriod,default=30000"`
	TransactionTimeOut                     int64      `properties:"transactionTimeOut,default=6000"`
	TransactionCheckMax                    int        `properties:"transactionCheckMax,default=15"`
	TransactionCheckInterval               int64      `properties:"transactionCheckInterval,default=60000"`
	AclEnable                              bool       `properties:"aclEnable,default=false"`
	StoreReplyMessageEnable                bool       `properties:"storeReplyMessageEnable,default=true"`
	AutoDeleteUnusedStats                  bool       `properties:"autoDeleteUnusedStats,default=false"`
	EnableDetailStat                       bool       `properties:"enableDetailStat,default=true"`
	IsolateLogEnable                       bool       `properties:"isolateLogEnable,default=false"`
	ConfigBlackList                        string     `properties:"configBlackList,default=configBlackList;brokerConfigPath"`

	// NettyServerConfig (NettyServerConfig.java)
	ListenPort                         int  `properties:"listenPort,default=10911"`
	ServerWorkerThreads                int  `properties:"serverWorkerThreads,default=8"`
	ServerCallbackExecutorThreads      int  `properties:"serverCallbackExecutorThreads,default=0"`
	ServerSelectorThreads              int  `properties:"serverSelectorThreads,default=3"`
	ServerOnewaySemaphoreValue         int  `properties:"serverOnewaySemaphoreValue,default=256"`
	ServerAsyncSemaphoreValue          int  `properties:"serverAsyncSemaphoreValue,default=64"`
	ServerChannelMaxIdleTimeSeconds    int  `properties:"serverChannelMaxIdleTimeSeconds,default=120"`
	ServerSocketSndBufSize             int  `properties:"serverSocketSndBufSize,default=0"`
	ServerSocketRcvBufSize             int  `properties:"serverSocketRcvBufSize,default=0"`
	ServerSocketBacklog                int  `properties:"serverSocketBacklog,default=1024"`
	WriteBufferHighWaterMark           int  `properties:"writeBufferHighWaterMark,default=0"`
	WriteBufferLowWaterMark            int  `properties:"writeBufferLowWaterMark,default=0"`
	ServerPooledByteBufAllocatorEnable bool `properties:"serverPooledByteBufAllocatorEnable,default=true"`
	UseEpollNativeSelector             bool `properties:"useEpollNativeSelector,default=false"`

	// NettyClientConfig (NettyClientConfig.java)
	ClientWorkerThreads                int   `properties:"clientWorkerThreads,default=4"`
	ClientCallbackExecutorThreads      int   `properties:"clientCallbackExecutorThreads,default=0"` // computed: cores
	ClientOnewaySemaphoreValue         int   `properties:"clientOnewaySemaphoreValue,default=65535"`
	ClientAsyncSemaphoreValue          int   `properties:"clientAsyncSemaphoreValue,default=65535"`
	ConnectTimeoutMillis               int   `properties:"connectTimeoutMillis,default=3000"`
	ChannelNotActiveInterval           int64 `properties:"channelNotActiveInterval,default=60000"`
	ClientChannelMaxIdleTimeSeconds    int   `properties:"clientChannelMaxIdleTimeSeconds,default=120"`
	ClientSocketSndBufSize             int   `properties:"clientSocketSndBufSize,default=0"`
	ClientSocketRcvBufSize             int   `properties:"clientSocketRcvBufSize,default=0"`
	ClientPooledByteBufAllocatorEnable bool  `properties:"clientPooledByteBufAllocatorEnable,default=false"`
	ClientCloseSocketIfTimeout         bool  `properties:"clientCloseSocketIfTimeout,default=true"`
	UseTLS                             bool  `properties:"useTLS,default=false"`
}

// configField is one settable key of Config.
type configField struct {
	key   string
	def   string
	index int
}

var configFields, configFieldByKey = func() ([]configField, map[string]configField) {
	t := reflect.TypeOf(Config{})
	fields := make([]configField, 0, t.NumField())
	byKey := make(map[string]configField, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("properties")
		key, opts, _ := strings.Cut(tag, ",")
		_, def, _ := strings.Cut(opts, "default=")
		f := configField{key: key, def: def, index: i}
		fields = append(fields, f)
		byKey[key] = f
	}
	return fields, byKey
}()

// ConfigKeys returns every key Config consumes, sorted.
func ConfigKeys() []string {
	keys := make([]string, 0, len(configFields))
	for _, f := range configFields {
		keys = append(keys, f.key)
	}
	sort.Strings(keys)
	return keys
}

// IsConfigKey reports whether key is one of Config's keys (exact case, as
// Java matches them).
func IsConfigKey(key string) bool {
	_, ok := configFieldByKey[key]
	return ok
}

// NewConfig returns the configuration a broker has with an empty properties
// file: the tag defaults, then the values Java computes at start.
func NewConfig() *Config {
	c := &Config{}
	for _, f := range configFields {
		if err := c.Set(f.key, f.def); err != nil {
			panic(fmt.Sprintf("broker config default of %s: %v", f.key, err)) // a bad tag is a programming error
		}
	}
	c.fillComputed()
	return c
}

// fillComputed sets the defaults Java derives from the machine and the
// environment, for the keys still at their zero value.
func (c *Config) fillComputed() {
	cores := runtime.NumCPU()
	if c.RocketmqHome == "" {
		c.RocketmqHome = os.Getenv("ROCKETMQ_HOME")
	}
	if c.NamesrvAddr == "" {
		c.NamesrvAddr = os.Getenv("NAMESRV_ADDR")
	}
	if c.BrokerIP1 == "" {
		c.BrokerIP1 = DetectBrokerIP()
	}
	if c.BrokerIP2 == "" {
		c.BrokerIP2 = c.BrokerIP1
	}
	if c.BrokerName == "" {
		c.BrokerName = localHostName()
	}
	setIfZero(&c.SendMessageThreadPoolNums, min(cores, 4))
	setIfZero(&c.PutMessageFutureThreadPoolNums, min(cores, 4))
	setIfZero(&c.PullMessageThreadPoolNums, 16+2*cores)
	setIfZero(&c.ProcessReplyMessageThreadPoolNums, 16+2*cores)
	setIfZero(&c.QueryMessageThreadPoolNums, 8+cores)
	setIfZero(&c.HeartbeatThreadPoolNums, min(32, cores))
	setIfZero(&c.EndTransactionThreadPoolNums, max(8+2*cores, 4*c.SendMessageThreadPoolNums))
	setIfZero(&c.ClientCallbackExecutorThreads, cores)
}

func setIfZero(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

func localHostName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "DEFAULT_BROKER"
	}
	return h
}

// DetectBrokerIP returns the address Java picks for brokerIP1: the first
// non-loopback IPv4 address not starting with 127.0 or 192.168; else the
// last 192.168 address; else the first IPv6 address; else 127.0.0.1
// (RemotingUtil.getLocalAddress).
func DetectBrokerIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "127.0.0.1"
	}
	var private, v6 string
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsUnspecified() {
			continue
		}
		if v4 := ipn.IP.To4(); v4 != nil {
			s := v4.String()
			switch {
			case strings.HasPrefix(s, "127.0"):
			case strings.HasPrefix(s, "192.168"):
				private = s
			default:
				return s
			}
			continue
		}
		if v6 == "" && !ipn.IP.IsLinkLocalUnicast() {
			v6 = ipn.IP.String()
		}
	}
	switch {
	case private != "":
		return private
	case v6 != "":
		return v6
	}
	return "127.0.0.1"
}

// Set assigns one key from its properties text. Unlike Java, which keeps
// the previous value when a value does not parse, a bad value is an error
// naming the key: an int must be a plain decimal, a boolean true or false
// (any case), brokerRole one of ASYNC_MASTER, SYNC_MASTER, SLAVE exactly.
// An unknown key is an error too; callers filter with IsConfigKey first.
func (c *Config) Set(key, value string) error {
	f, ok := configFieldByKey[key]
	if !ok {
		return fmt.Errorf("broker config: unknown key %s", key)
	}
	v := reflect.ValueOf(c).Elem().Field(f.index)
	if r, ok := v.Addr().Interface().(*BrokerRole); ok {
		return r.UnmarshalText([]byte(value))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(value)
	case reflect.Bool:
		switch strings.ToLower(value) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return fmt.Errorf("broker config: %s=%q is not a boolean (true or false)", key, value)
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		bits := 32 // Java int
		if v.Kind() == reflect.Int64 {
			bits = 64 // Java long
		}
		n, err := strconv.ParseInt(value, 10, bits)
		if err != nil {
			return fmt.Errorf("broker config: %s=%q is not a decimal %d-bit integer", key, value, bits)
		}
		v.SetInt(n)
	default:
		return fmt.Errorf("broker config: %s has unsupported kind %s", key, v.Kind())
	}
	return nil
}

// Get returns one key's value as properties text, and whether the key exists.
func (c *Config) Get(key string) (string, bool) {
	f, ok := configFieldByKey[key]
	if !ok {
		return "", false
	}
	v := reflect.ValueOf(c).Elem().Field(f.index)
	switch v.Kind() {
	case reflect.String:
		return v.String(), true
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), true
	default:
		return strconv.FormatInt(v.Int(), 10), true
	}
}

// Properties returns every key with its effective value.
func (c *Config) Properties() map[string]string {
	m := make(map[string]string, len(configFields))
	for _, f := range configFields {
		m[f.key], _ = c.Get(f.key)
	}
	return m
}

// UnmarshalText parses a properties value strictly (ParseBrokerRole), so
// internal/config rejects brokerRole=slave instead of keeping it.
func (r *BrokerRole) UnmarshalText(b []byte) error {
	v, err := ParseBrokerRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// ParseBrokerRole accepts exactly ASYNC_MASTER, SYNC_MASTER or SLAVE.
func ParseBrokerRole(s string) (BrokerRole, error) {
	switch r := BrokerRole(s); r {
	case AsyncMaster, SyncMaster, Slave:
		return r, nil
	}
	hint := ""
	switch r := BrokerRole(strings.ToUpper(strings.TrimSpace(s))); r {
	case AsyncMaster, SyncMaster, Slave:
		hint = fmt.Sprintf(" (did you mean %s? the value is case-sensitive)", r)
	}
	return "", fmt.Errorf("broker config: brokerRole=%q is not one of ASYNC_MASTER, SYNC_MASTER, SLAVE%s", s, hint)
}

// DecodeConfig builds a Config from properties: defaults first, then every
// key of props that Config knows, then the computed defaults and the
// post-processing of BrokerStartup (Finish). Keys Config does not know are
// left for the other configs; report them with WarnKeys. flushDiskType,
// a store key, is checked here too so a typo there fails the same way.
func DecodeConfig(props map[string]string) (*Config, error) {
	c := &Config{}
	for _, f := range configFields {
		if err := c.Set(f.key, f.def); err != nil {
			return nil, err
		}
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !IsConfigKey(k) {
			continue
		}
		if err := c.Set(k, props[k]); err != nil {
			return nil, err
		}
	}
	if v, ok := props["flushDiskType"]; ok && v != "ASYNC_FLUSH" && v != "SYNC_FLUSH" {
		return nil, fmt.Errorf("broker config: flushDiskType=%q is not one of ASYNC_FLUSH, SYNC_FLUSH", v)
	}
	if err := c.Finish(); err != nil {
		return nil, err
	}
	return c, nil
}

// Finish fills the computed defaults still unset (cores, host name, local
// address, environment), applies BrokerStartup's post-processing and
// checks the result: namesrvAddr must be a ;-separated host:port list; a
// master's brokerId is forced to 0; a slave needs brokerId > 0; ports and
// permission in range. Call it after decoding with internal/config.
func (c *Config) Finish() error {
	c.fillComputed()
	if c.NamesrvAddr != "" {
		for _, a := range strings.Split(c.NamesrvAddr, ";") {
			host, port, err := net.SplitHostPort(a)
			p, perr := strconv.Atoi(port)
			if err != nil || host == "" || perr != nil || p <= 0 || p > 65535 {
				return fmt.Errorf("broker config: namesrvAddr: The Name Server Address[%s] illegal, please set it as follows, \"127.0.0.1:9876;192.168.0.1:9876\"", c.NamesrvAddr)
			}
		}
	}
	switch c.BrokerRole {
	case AsyncMaster, SyncMaster:
		c.BrokerID = 0
	case Slave:
		if c.BrokerID <= 0 {
			return fmt.Errorf("broker config: brokerId=%d: Slave's brokerId must be > 0", c.BrokerID)
		}
	}
	if c.ListenPort < 3 || c.ListenPort > 65534 {
		return fmt.Errorf("broker config: listenPort=%d out of range (the broker also opens listenPort-2 and listenPort+1)", c.ListenPort)
	}
	if c.BrokerPermission < 0 || c.BrokerPermission > 15 {
		return fmt.Errorf("broker config: brokerPermission=%d is not a permission (bits 4=read, 2=write, 1=inherit)", c.BrokerPermission)
	}
	if c.DefaultTopicQueueNums <= 0 {
		return fmt.Errorf("broker config: defaultTopicQueueNums=%d must be > 0", c.DefaultTopicQueueNums)
	}
	return nil
}

// FastListenPort is the fast ("VIP") channel port: listenPort-2.
func (c *Config) FastListenPort() int { return c.ListenPort - 2 }

// HAListenPort is the HA port: always listenPort+1 in 4.9.8.
func (c *Config) HAListenPort() int { return c.ListenPort + 1 }

// BrokerAddr is the client-facing address registered with the name
// servers: brokerIP1:listenPort.
func (c *Config) BrokerAddr() string {
	return net.JoinHostPort(c.BrokerIP1, strconv.Itoa(c.ListenPort))
}

// NamesrvAddrs splits namesrvAddr on ';'.
func (c *Config) NamesrvAddrs() []string {
	if c.NamesrvAddr == "" {
		return nil
	}
	return strings.Split(c.NamesrvAddr, ";")
}

// IsSlave reports whether brokerRole is SLAVE.
func (c *Config) IsSlave() bool { return c.BrokerRole == Slave }

// KeyAliases maps spellings that earlier RocketMQ versions accepted to
// today's key. Java 4.9.8 ignores the old spellings; we read them as the
// new key (with a warning from WarnKeys). Both targets are store keys, so
// the caller renames them before decoding every config.
var KeyAliases = map[string]string{
	"mapedFileSizeCommitLog":    "mappedFileSizeCommitLog",
	"mapedFileSizeConsumeQueue": "mappedFileSizeConsumeQueue",
}

// ApplyAliases renames old spellings in props to their current key, unless
// the current key is also present (then the current key wins and the old
// one stays, so WarnKeys reports it).
func ApplyAliases(props map[string]string) {
	for old, cur := range KeyAliases {
		v, ok := props[old]
		if !ok {
			continue
		}
		if _, both := props[cur]; both {
			continue
		}
		props[cur] = v
		delete(props, old)
	}
}

// trapKeys are keys that circulate in copied configs but do nothing in
// Java 4.9.8 (storage-ha-config.md §9.4), with what they probably meant.
var trapKeys = map[string]string{
	"deletewhen":                    "ignored: did you mean deleteWhen? (keys are case-sensitive)",
	"DeleteWhen":                    "ignored: did you mean deleteWhen? (keys are case-sensitive)",
	"fileReserveredTime":            "ignored: did you mean fileReservedTime? (retention stays at its default, 72 h)",
	"storeCheckpoint":               "ignored: no such key; the checkpoint is always <storePathRootDir>/checkpoint",
	"abortFile":                     "ignored: no such key; the abort file is always <storePathRootDir>/abort",
	"storePathConsumeQueue":         "ignored: no such key; consume queues are always under <storePathRootDir>/consumequeue",
	"storePathConsumerQueue":        "ignored: no such key; consume queues are always under <storePathRootDir>/consumequeue",
	"storePathIndex":                "ignored: no such key; index files are always under <storePathRootDir>/index",
	"checkTransactionMessageEnable": "ignored: a RocketMQ 3.x key that no longer exists",
	"serverSocketMaxFrameLength":    "ignored: no such key; the frame limit is 16 MiB",
	"frameMaxLength":                "ignored: no such key; the frame limit is 16 MiB",
	"diskSpaceWarningLevelRatio":    "ignored: not a key in 4.x (a JVM property, rocketmq.broker.diskSpaceWarningLevelRatio)",
	"diskSpaceCleanForciblyRatio":   "ignored: not a key in 4.x (a JVM property, rocketmq.broker.diskSpaceCleanForciblyRatio)",
	"haListenPort":                  "ignored: the HA port is always listenPort+1",
}

// WarnKeys returns one warning per key of a broker properties file that
// will not do what it seems to: known traps and misspellings (each naming
// what it probably meant), old spellings read through KeyAliases, and any
// key that neither Config nor otherKeys (the keys the other configs
// consume, e.g. the store's) knows. Warnings are sorted by key.
func WarnKeys(keys []string, otherKeys []string) []string {
	known := make(map[string]bool, len(otherKeys)+len(configFields))
	lower := make(map[string]string, len(otherKeys)+len(configFields))
	for _, k := range otherKeys {
		known[k] = true
		lower[strings.ToLower(k)] = k
	}
	for _, f := range configFields {
		known[f.key] = true
		lower[strings.ToLower(f.key)] = f.key
	}
	allKnown := make([]string, 0, len(known))
	for k := range known {
		allKnown = append(allKnown, k)
	}
	sort.Strings(allKnown)
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	var out []string
	for _, k := range sorted {
		if why, ok := trapKeys[k]; ok {
			out = append(out, fmt.Sprintf("config key %s %s", k, why))
			continue
		}
		if cur, ok := KeyAliases[k]; ok {
			out = append(out, fmt.Sprintf("config key %s is the spelling before RocketMQ 4.5.2 (ignored by Java 4.9.8); read as %s unless %s is also set", k, cur, cur))
			continue
		}
		if known[k] {
			continue
		}
		if cur, ok := lower[strings.ToLower(k)]; ok {
			out = append(out, fmt.Sprintf("config key %s is unknown and ignored: did you mean %s? (keys are case-sensitive)", k, cur))
			continue
		}
		if cur := config.Suggest(k, allKnown); cur != "" {
			out = append(out, fmt.Sprintf("config key %s is unknown and ignored: did you mean %s?", k, cur))
			continue
		}
		out = append(out, fmt.Sprintf("config key %s is unknown and ignored", k))
	}
	return out
}

// LoadConfig is BrokerStartup's binding with internal/config: it renames
// the KeyAliases spellings, decodes p into the broker Config and into each
// of others (pointers to the other configs, e.g. the store's), finishes
// the broker Config, and returns one warning per key that will not do what
// it seems to (WarnKeys). A bad value is an error naming its key.
func LoadConfig(p *config.Properties, others ...any) (*Config, []string, error) {
	keys := p.Keys()
	for old, cur := range KeyAliases {
		p.Alias(old, cur)
	}
	if v, ok := p.Get("flushDiskType"); ok && v != "ASYNC_FLUSH" && v != "SYNC_FLUSH" {
		return nil, nil, fmt.Errorf("broker config: flushDiskType=%q is not one of ASYNC_FLUSH, SYNC_FLUSH", v)
	}
	c := &Config{}
	if err := config.Decode(p, c); err != nil {
		return nil, nil, fmt.Errorf("broker config: %w", err)
	}
	for _, o := range others {
		if err := config.Decode(p, o); err != nil {
			return nil, nil, fmt.Errorf("broker config: %w", err)
		}
	}
	if err := c.Finish(); err != nil {
		return nil, nil, err
	}
	return c, WarnKeys(keys, config.KnownKeys(others...)), nil
}
