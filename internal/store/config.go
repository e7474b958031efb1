package store

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FlushDiskType is flushDiskType: ASYNC_FLUSH or SYNC_FLUSH.
type FlushDiskType string

const (
	AsyncFlush FlushDiskType = "ASYNC_FLUSH"
	SyncFlush  FlushDiskType = "SYNC_FLUSH"
)

// UnmarshalText accepts exactly the Java enum names.
func (t *FlushDiskType) UnmarshalText(b []byte) error {
	switch v := FlushDiskType(b); v {
	case AsyncFlush, SyncFlush:
		*t = v
		return nil
	}
	return fmt.Errorf("flushDiskType %q is not ASYNC_FLUSH or SYNC_FLUSH", string(b))
}

// MarshalText returns the Java enum name.
func (t FlushDiskType) MarshalText() ([]byte, error) { return []byte(t), nil }

// BrokerRole is brokerRole: ASYNC_MASTER, SYNC_MASTER or SLAVE.
type BrokerRole string

const (
	AsyncMaster BrokerRole = "ASYNC_MASTER"
	SyncMaster  BrokerRole = "SYNC_MASTER"
	Slave       BrokerRole = "SLAVE"
)

// UnmarshalText accepts exactly the Java enum names.
func (r *BrokerRole) UnmarshalText(b []byte) error {
	switch v := BrokerRole(b); v {
	case AsyncMaster, SyncMaster, Slave:
		*r = v
		return nil
	}
	return fmt.Errorf("brokerRole %q is not ASYNC_MASTER, SYNC_MASTER or SLAVE", string(b))
}

// MarshalText returns the Java enum name.
func (r BrokerRole) MarshalText() ([]byte, error) { return []byte(r), nil }

// Config is MessageStoreConfig: RocketMQ's keys, units and defaults.
// Durations are in RocketMQ's units (ms unless noted).
type Config struct {
	StorePathRootDir   string `properties:"storePathRootDir,default=${user.home}/store"`
	StorePathCommitLog string `properties:"storePathCommitLog,default="` // "" = <root>/commitlog

	MappedFileSizeCommitLog    int `properties:"mappedFileSizeCommitLog,default=1073741824"`
	MappedFileSizeConsumeQueue int `properties:"mappedFileSizeConsumeQueue,default=6000000"` // bytes, rounded up to 20

	BrokerRole    BrokerRole    `properties:"brokerRole,default=ASYNC_MASTER"`
	FlushDiskType FlushDiskType `properties:"flushDiskType,default=ASYNC_FLUSH"`

	FlushIntervalCommitLog         int  `properties:"flushIntervalCommitLog,default=500"`
	FlushCommitLogTimed            bool `properties:"flushCommitLogTimed,default=true"`
	FlushCommitLogLeastPages       int  `properties:"flushCommitLogLeastPages,default=4"`
	FlushCommitLogThoroughInterval int  `properties:"flushCommitLogThoroughInterval,default=10000"`

	FlushIntervalConsumeQueue         int `properties:"flushIntervalConsumeQueue,default=1000"`
	FlushConsumeQueueLeastPages       int `properties:"flushConsumeQueueLeastPages,default=2"`
	FlushConsumeQueueThoroughInterval int `properties:"flushConsumeQueueThoroughInterval,default=60000"`

	SyncFlushTimeout int `properties:"syncFlushTimeout,default=5000"`

	DeleteWhen                       string `properties:"deleteWhen,default=04"`
	FileReservedTime                 int    `properties:"fileReservedTime,default=72"` // hours
	DiskMaxUsedSpaceRatio            int    `properties:"diskMaxUsedSpaceRatio,default=75"`
	CleanFileForciblyEnable          bool   `properties:"cleanFileForciblyEnable,default=true"`
	CleanResourceInterval            int    `properties:"cleanResourceInterval,default=10000"`
	DeleteCommitLogFilesInterval     int    `properties:"deleteCommitLogFilesInterval,default=100"`
	DeleteConsumeQueueFilesInterval  int    `properties:"deleteConsumeQueueFilesInterval,default=100"`
	DestroyMapedFileIntervalForcibly int    `properties:"destroyMapedFileIntervalForcibly,default=120000"`
	RedeleteHangedFileInterval       int    `properties:"redeleteHangedFileInterval,default=120000"`

	MaxMessageSize    int  `properties:"maxMessageSize,default=4194304"`
	CheckCRCOnRecover bool `properties:"checkCRCOnRecover,default=true"`

	MaxTransferBytesOnMessageInMemory int `properties:"maxTransferBytesOnMessageInMemory,default=262144"`
	MaxTransferCountOnMessageInMemory int `properties:"maxTransferCountOnMessageInMemory,default=32"`
	MaxTransferBytesOnMessageInDisk   int `properties:"maxTransferBytesOnMessageInDisk,default=65536"`
	MaxTransferCountOnMessageInDisk   int `properties:"maxTransferCountOnMessageInDisk,default=8"`
	AccessMessageInMemoryMaxRatio     int `properties:"accessMessageInMemoryMaxRatio,default=40"`

	MessageIndexEnable bool `properties:"messageIndexEnable,default=true"`
	MessageIndexSafe   bool `properties:"messageIndexSafe,default=false"`
	MaxHashSlotNum     int  `properties:"maxHashSlotNum,default=5000000"`
	MaxIndexNum        int  `properties:"maxIndexNum,default=20000000"`
	MaxMsgsNumBatch    int  `properties:"maxMsgsNumBatch,default=64"`
	DefaultQueryMaxNum int  `properties:"defaultQueryMaxNum,default=32"`

	MessageDelayLevel           string `properties:"messageDelayLevel,default=1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"`
	OsPageCacheBusyTimeOutMills int64  `properties:"osPageCacheBusyTimeOutMills,default=1000"`
	WarmMapedFileEnable         bool   `properties:"warmMapedFileEnable,default=false"`
	OffsetCheckInSlave          bool   `properties:"offsetCheckInSlave,default=false"`
	DuplicationEnable           bool   `properties:"duplicationEnable,default=false"`

	// StoreHost is brokerIP1:listenPort, written into every record and
	// offset message id. Set by the broker, not a store key.
	StoreHost netip.AddrPort `properties:"-"`
}

// DefaultConfig returns the defaults of every key, with the root under
// dir.
func DefaultConfig(dir string) Config {
	return Config{
		StorePathRootDir:                  dir,
		MappedFileSizeCommitLog:           1073741824,
		MappedFileSizeConsumeQueue:        6000000,
		BrokerRole:                        AsyncMaster,
		FlushDiskType:                     AsyncFlush,
		FlushIntervalCommitLog:            500,
		FlushCommitLogTimed:               true,
		FlushCommitLogLeastPages:          4,
		FlushCommitLogThoroughInterval:    10000,
		FlushIntervalConsumeQueue:         1000,
		FlushConsumeQueueLeastPages:       2,
		FlushConsumeQueueThoroughInterval: 60000,
		SyncFlushTimeout:                  5000,
		DeleteWhen:                        "04",
		FileReservedTime:                  72,
		DiskMaxUsedSpaceRatio:             75,
		CleanFileForciblyEnable:           true,
		CleanResourceInterval:             10000,
		DeleteCommitLogFilesInterval:      100,
		DeleteConsumeQueueFilesInterval:   100,
		DestroyMapedFileIntervalForcibly:  120000,
		RedeleteHangedFileInterval:        120000,
		MaxMessageSize:                    4194304,
		CheckCRCOnRecover:                 true,
		MaxTransferBytesOnMessageInMemory: 262144,
		MaxTransferCountOnMessageInMemory: 32,
		MaxTransferBytesOnMessageInDisk:   65536,
		MaxTransferCountOnMessageInDisk:   8,
		AccessMessageInMemoryMaxRatio:     40,
		MessageIndexEnable:                true,
		MaxHashSlotNum:                    5000000,
		MaxIndexNum:                       20000000,
		MaxMsgsNumBatch:                   64,
		DefaultQueryMaxNum:                32,
		MessageDelayLevel:                 "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h",
		OsPageCacheBusyTimeOutMills:       1000,
		StoreHost:                         netip.MustParseAddrPort("127.0.0.1:10911"),
	}
}

// CommitLogDir is storePathCommitLog, or <root>/commitlog.
func (c *Config) CommitLogDir() string {
	if c.StorePathCommitLog != "" {
		return c.StorePathCommitLog
	}
	return filepath.Join(c.StorePathRootDir, "commitlog")
}

// ConsumeQueueFileSize is mappedFileSizeConsumeQueue rounded up to a
// multiple of 20 (MessageStoreConfig.getMappedFileSizeConsumeQueue).
func (c *Config) ConsumeQueueFileSize() int {
	n := c.MappedFileSizeConsumeQueue / cqUnitBytes
	if c.MappedFileSizeConsumeQueue%cqUnitBytes != 0 {
		n++
	}
	return n * cqUnitBytes
}

// cqUnitBytes is the consume-queue entry size, also the rounding unit of
// its file size.
const cqUnitBytes = 20

// Validate names the first key whose value cannot work.
func (c *Config) Validate() error {
	switch {
	case c.StorePathRootDir == "":
		return errors.New("storePathRootDir is empty")
	case strings.Contains(c.StorePathCommitLog, ","):
		return fmt.Errorf("storePathCommitLog %q: several commit-log paths are not supported", c.StorePathCommitLog)
	case c.MappedFileSizeCommitLog < 4096:
		return fmt.Errorf("mappedFileSizeCommitLog %d is below 4096", c.MappedFileSizeCommitLog)
	case c.MappedFileSizeConsumeQueue < cqUnitBytes:
		return fmt.Errorf("mappedFileSizeConsumeQueue %d is below %d", c.MappedFileSizeConsumeQueue, cqUnitBytes)
	case c.FlushDiskType != AsyncFlush && c.FlushDiskType != SyncFlush:
		return fmt.Errorf("flushDiskType %q is not ASYNC_FLUSH or SYNC_FLUSH", c.FlushDiskType)
	case c.BrokerRole != AsyncMaster && c.BrokerRole != SyncMaster && c.BrokerRole != Slave:
		return fmt.Errorf("brokerRole %q is not ASYNC_MASTER, SYNC_MASTER or SLAVE", c.BrokerRole)
	case c.FlushIntervalCommitLog <= 0:
		return fmt.Errorf("flushIntervalCommitLog %d must be positive", c.FlushIntervalCommitLog)
	case c.FlushIntervalConsumeQueue <= 0:
		return fmt.Errorf("flushIntervalConsumeQueue %d must be positive", c.FlushIntervalConsumeQueue)
	case c.SyncFlushTimeout <= 0:
		return fmt.Errorf("syncFlushTimeout %d must be positive", c.SyncFlushTimeout)
	case c.MaxMessageSize <= 0:
		return fmt.Errorf("maxMessageSize %d must be positive", c.MaxMessageSize)
	case c.MaxHashSlotNum <= 0 || c.MaxIndexNum <= 1:
		return fmt.Errorf("maxHashSlotNum %d / maxIndexNum %d must be positive", c.MaxHashSlotNum, c.MaxIndexNum)
	}
	if _, err := ParseDelayLevels(c.MessageDelayLevel); err != nil {
		return err
	}
	return nil
}

// ParseDelayLevels parses messageDelayLevel: space-separated durations
// with unit s, m, h or d; level n is element n-1.
func ParseDelayLevels(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Fields(s) {
		if len(f) < 2 {
			return nil, fmt.Errorf("messageDelayLevel %q: bad level %q", s, f)
		}
		n, err := strconv.ParseInt(f[:len(f)-1], 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("messageDelayLevel %q: bad level %q", s, f)
		}
		var unit time.Duration
		switch f[len(f)-1] {
		case 's':
			unit = time.Second
		case 'm':
			unit = time.Minute
		case 'h':
			unit = time.Hour
		case 'd':
			unit = 24 * time.Hour
		default:
			return nil, fmt.Errorf("messageDelayLevel %q: unknown unit in %q", s, f)
		}
		out = append(out, time.Duration(n)*unit)
	}
	return out, nil
}
