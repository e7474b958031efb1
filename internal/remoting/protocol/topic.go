package protocol

// Permission bits of a topic or a broker (PermName.java).
const (
	PermPriority = 0x8 // PERM_PRIORITY: defined, unused
	PermRead     = 0x4 // PERM_READ
	PermWrite    = 0x2 // PERM_WRITE
	PermInherit  = 0x1 // PERM_INHERIT: the topic is a template for auto-creation
)

// Readable reports whether perm has the read bit.
func Readable(perm int32) bool { return perm&PermRead != 0 }

// Writeable reports whether perm has the write bit.
func Writeable(perm int32) bool { return perm&PermWrite != 0 }

// Topic filter types (TopicFilterType.java).
const (
	FilterSingleTag = "SINGLE_TAG"
	FilterMultiTag  = "MULTI_TAG"
)

// TopicConfig is one topic's settings on a broker, as topics.json and the
// REGISTER_BROKER body carry it (TopicConfig.java). Members are in
// fastjson's alphabetical order.
type TopicConfig struct {
	Order           bool   `json:"order"`
	Perm            int32  `json:"perm"`
	ReadQueueNums   int32  `json:"readQueueNums"`
	TopicFilterType string `json:"topicFilterType"`
	TopicName       string `json:"topicName"`
	TopicSysFlag    int32  `json:"topicSysFlag"`
	WriteQueueNums  int32  `json:"writeQueueNums"`
}

// NewTopicConfig returns a topic with RocketMQ's defaults for the fields
// not given: SINGLE_TAG, not ordered, no sys flag.
func NewTopicConfig(name string, readQueues, writeQueues, perm int32) TopicConfig {
	return TopicConfig{
		Perm:            perm,
		ReadQueueNums:   readQueues,
		TopicFilterType: FilterSingleTag,
		TopicName:       name,
		WriteQueueNums:  writeQueues,
	}
}

// DataVersion stamps a config table so peers can tell whether it changed
// (DataVersion.java).
type DataVersion struct {
	Counter   int64 `json:"counter"`
	Timestamp int64 `json:"timestamp"`
}
