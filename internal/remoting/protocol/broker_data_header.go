package protocol

// Headers of the broker's data path: send, pull, query, offsets and
// send-back (wire-protocol.md §7, §8.3, §8.6, §8.7, §8.10). Field names are
// Java's, in `rmq` tags, as the remoting header codec reads and writes them.

// SendMessageRequestHeader is the long-named send header of SEND_MESSAGE (10)
// (SendMessageRequestHeader.java).
type SendMessageRequestHeader struct {
	ProducerGroup         string `rmq:"producerGroup,required"`
	Topic                 string `rmq:"topic,required"`
	DefaultTopic          string `rmq:"defaultTopic,required"`
	DefaultTopicQueueNums int32  `rmq:"defaultTopicQueueNums,required"`
	QueueID               int32  `rmq:"queueId,required"`
	SysFlag               int32  `rmq:"sysFlag,required"`
	BornTimestamp         int64  `rmq:"bornTimestamp,required"`
	Flag                  int32  `rmq:"flag,required"`
	Properties            string `rmq:"properties"`
	ReconsumeTimes        *int32 `rmq:"reconsumeTimes"`
	UnitMode              bool   `rmq:"unitMode"`
	Batch                 bool   `rmq:"batch"`
	MaxReconsumeTimes     *int32 `rmq:"maxReconsumeTimes"`
	BrokerName            string `rmq:"bname,omitempty"`
}

// SendMessageRequestHeaderV2 is the single-letter form used by
// SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320)
// (SendMessageRequestHeaderV2.java).
type SendMessageRequestHeaderV2 struct {
	ProducerGroup         string `rmq:"a,required"`
	Topic                 string `rmq:"b,required"`
	DefaultTopic          string `rmq:"c,required"`
	DefaultTopicQueueNums int32  `rmq:"d,required"`
	QueueID               int32  `rmq:"e,required"`
	SysFlag               int32  `rmq:"f,required"`
	BornTimestamp         int64  `rmq:"g,required"`
	Flag                  int32  `rmq:"h,required"`
	Properties            string `rmq:"i"`
	ReconsumeTimes        *int32 `rmq:"j"`
	UnitMode              bool   `rmq:"k"`
	Batch                 bool   `rmq:"m"`
	MaxReconsumeTimes     *int32 `rmq:"l"`
	BrokerName            string `rmq:"n,omitempty"`
}

// V1 converts the single-letter header to the long-named one, as the Java
// broker does before processing. The two types differ only in their tags.
func (h *SendMessageRequestHeaderV2) V1() *SendMessageRequestHeader {
	v1 := SendMessageRequestHeader(*h)
	return &v1
}

// V2 converts the long-named header to the single-letter one.
func (h *SendMessageRequestHeader) V2() *SendMessageRequestHeaderV2 {
	v2 := SendMessageRequestHeaderV2(*h)
	return &v2
}

// SendMessageResponseHeader answers a stored send (SendMessageResponseHeader.java).
// MsgID is the offsetMsgId, comma-separated for batches.
type SendMessageResponseHeader struct {
	MsgID         string `rmq:"msgId,required"`
	QueueID       int32  `rmq:"queueId,required"`
	QueueOffset   int64  `rmq:"queueOffset,required"`
	TransactionID string `rmq:"transactionId,omitempty"`
}

// Extra extFields keys every send response carries (SendMessageProcessor.java).
const (
	PropertyMsgRegion = "MSG_REGION"
	PropertyTraceOn   = "TRACE_ON"
)

// PullMessageRequestHeader is PULL_MESSAGE's header (PullMessageRequestHeader.java).
type PullMessageRequestHeader struct {
	ConsumerGroup        string `rmq:"consumerGroup,required"`
	Topic                string `rmq:"topic,required"`
	QueueID              int32  `rmq:"queueId,required"`
	QueueOffset          int64  `rmq:"queueOffset,required"`
	MaxMsgNums           int32  `rmq:"maxMsgNums,required"`
	SysFlag              int32  `rmq:"sysFlag,required"`
	CommitOffset         int64  `rmq:"commitOffset,required"`
	SuspendTimeoutMillis int64  `rmq:"suspendTimeoutMillis,required"`
	Subscription         string `rmq:"subscription"`
	SubVersion           int64  `rmq:"subVersion,required"`
	ExpressionType       string `rmq:"expressionType"`
	BrokerName           string `rmq:"bname,omitempty"`
}

// PULL_MESSAGE sysFlag bits (PullSysFlag.java).
const (
	PullFlagCommitOffset int32 = 0x1
	PullFlagSuspend      int32 = 0x2
	PullFlagSubscription int32 = 0x4
	PullFlagClassFilter  int32 = 0x8
	PullFlagLitePull     int32 = 0x10
)

// PullMessageResponseHeader must carry all four fields on codes 0, 19, 20
// and 21 (PullMessageResponseHeader.java).
type PullMessageResponseHeader struct {
	SuggestWhichBrokerID int64 `rmq:"suggestWhichBrokerId,required"`
	NextBeginOffset      int64 `rmq:"nextBeginOffset,required"`
	MinOffset            int64 `rmq:"minOffset,required"`
	MaxOffset            int64 `rmq:"maxOffset,required"`
}

// QueryMessageRequestHeader is QUERY_MESSAGE's header (QueryMessageRequestHeader.java).
// The ext field UniqueKeyQuery rides beside it.
type QueryMessageRequestHeader struct {
	Topic          string `rmq:"topic,required"`
	Key            string `rmq:"key,required"`
	MaxNum         int32  `rmq:"maxNum,required"`
	BeginTimestamp int64  `rmq:"beginTimestamp,required"`
	EndTimestamp   int64  `rmq:"endTimestamp,required"`
}

// UniqueKeyQuery is the ext field that marks a QUERY_MESSAGE by UNIQ_KEY
// (MixAll.UNIQUE_MSG_QUERY_FLAG).
const UniqueKeyQuery = "_UNIQUE_KEY_QUERY"

// QueryMessageResponseHeader (QueryMessageResponseHeader.java).
type QueryMessageResponseHeader struct {
	IndexLastUpdateTimestamp int64 `rmq:"indexLastUpdateTimestamp,required"`
	IndexLastUpdatePhyoffset int64 `rmq:"indexLastUpdatePhyoffset,required"`
}

// ViewMessageRequestHeader is VIEW_MESSAGE_BY_ID's header: a commit log offset.
type ViewMessageRequestHeader struct {
	Offset int64 `rmq:"offset,required"`
}

// GetMaxOffsetRequestHeader (GET_MAX_OFFSET, 30).
type GetMaxOffsetRequestHeader struct {
	Topic      string `rmq:"topic,required"`
	QueueID    int32  `rmq:"queueId,required"`
	BrokerName string `rmq:"bname,omitempty"`
}

// GetMaxOffsetResponseHeader answers GET_MAX_OFFSET.
type GetMaxOffsetResponseHeader struct {
	Offset int64 `rmq:"offset,required"`
}

// GetMinOffsetRequestHeader (GET_MIN_OFFSET, 31).
type GetMinOffsetRequestHeader struct {
	Topic      string `rmq:"topic,required"`
	QueueID    int32  `rmq:"queueId,required"`
	BrokerName string `rmq:"bname,omitempty"`
}

// GetMinOffsetResponseHeader answers GET_MIN_OFFSET.
type GetMinOffsetResponseHeader struct {
	Offset int64 `rmq:"offset,required"`
}

// SearchOffsetRequestHeader (SEARCH_OFFSET_BY_TIMESTAMP, 29).
type SearchOffsetRequestHeader struct {
	Topic      string `rmq:"topic,required"`
	QueueID    int32  `rmq:"queueId,required"`
	Timestamp  int64  `rmq:"timestamp,required"`
	BrokerName string `rmq:"bname,omitempty"`
}

// SearchOffsetResponseHeader answers SEARCH_OFFSET_BY_TIMESTAMP.
type SearchOffsetResponseHeader struct {
	Offset int64 `rmq:"offset,required"`
}

// GetEarliestMsgStoretimeRequestHeader (GET_EARLIEST_MSG_STORETIME, 32).
type GetEarliestMsgStoretimeRequestHeader struct {
	Topic      string `rmq:"topic,required"`
	QueueID    int32  `rmq:"queueId,required"`
	BrokerName string `rmq:"bname,omitempty"`
}

// GetEarliestMsgStoretimeResponseHeader answers GET_EARLIEST_MSG_STORETIME.
type GetEarliestMsgStoretimeResponseHeader struct {
	Timestamp int64 `rmq:"timestamp,required"`
}

// ConsumerSendMsgBackRequestHeader (CONSUMER_SEND_MSG_BACK, 36).
type ConsumerSendMsgBackRequestHeader struct {
	Offset            int64  `rmq:"offset,required"`
	Group             string `rmq:"group,required"`
	DelayLevel        int32  `rmq:"delayLevel,required"`
	OriginMsgID       string `rmq:"originMsgId"`
	OriginTopic       string `rmq:"originTopic"`
	UnitMode          bool   `rmq:"unitMode"`
	MaxReconsumeTimes *int32 `rmq:"maxReconsumeTimes"`
	BrokerName        string `rmq:"bname,omitempty"`
}

// GetTopicStatsInfoRequestHeader (GET_TOPIC_STATS_INFO, 202).
type GetTopicStatsInfoRequestHeader struct {
	Topic string `rmq:"topic,required"`
}

// GetConsumeStatsRequestHeader (GET_CONSUME_STATS, 208).
type GetConsumeStatsRequestHeader struct {
	ConsumerGroup string `rmq:"consumerGroup,required"`
	Topic         string `rmq:"topic"`
}

// EndTransactionRequestHeader (END_TRANSACTION, 37). CommitOrRollback is a
// transaction type: 0 unknown, 8 commit, 12 rollback.
type EndTransactionRequestHeader struct {
	ProducerGroup        string `rmq:"producerGroup,required"`
	TranStateTableOffset int64  `rmq:"tranStateTableOffset,required"`
	CommitLogOffset      int64  `rmq:"commitLogOffset,required"`
	CommitOrRollback     int32  `rmq:"commitOrRollback,required"`
	FromTransactionCheck bool   `rmq:"fromTransactionCheck"`
	MsgID                string `rmq:"msgId,required"`
	TransactionID        string `rmq:"transactionId,omitempty"`
	BrokerName           string `rmq:"bname,omitempty"`
}

// CheckTransactionStateRequestHeader (CHECK_TRANSACTION_STATE, 39, broker
// to producer).
type CheckTransactionStateRequestHeader struct {
	TranStateTableOffset int64  `rmq:"tranStateTableOffset,required"`
	CommitLogOffset      int64  `rmq:"commitLogOffset,required"`
	MsgID                string `rmq:"msgId,omitempty"`
	TransactionID        string `rmq:"transactionId,omitempty"`
	OffsetMsgID          string `rmq:"offsetMsgId,omitempty"`
}

// ReplyMessageRequestHeader is PUSH_REPLY_MESSAGE_TO_CLIENT's header (326,
// broker to the requesting client) (ReplyMessageRequestHeader.java).
type ReplyMessageRequestHeader struct {
	ProducerGroup         string `rmq:"producerGroup,required"`
	Topic                 string `rmq:"topic,required"`
	DefaultTopic          string `rmq:"defaultTopic,required"`
	DefaultTopicQueueNums int32  `rmq:"defaultTopicQueueNums,required"`
	QueueID               int32  `rmq:"queueId,required"`
	SysFlag               int32  `rmq:"sysFlag,required"`
	BornTimestamp         int64  `rmq:"bornTimestamp,required"`
	Flag                  int32  `rmq:"flag,required"`
	Properties            string `rmq:"properties"`
	ReconsumeTimes        int32  `rmq:"reconsumeTimes"`
	UnitMode              bool   `rmq:"unitMode"`
	BornHost              string `rmq:"bornHost,required"`
	StoreHost             string `rmq:"storeHost,required"`
	StoreTimestamp        int64  `rmq:"storeTimestamp,required"`
}
