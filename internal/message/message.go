package message

import (
	"net/netip"
	"strings"
)

// Property keys (MessageConst.java). The Go names follow the Java constant
// names; the values are what goes on the wire and on disk.
const (
	PropertyKeys                           = "KEYS"
	PropertyTags                           = "TAGS"
	PropertyWaitStoreMsgOK                 = "WAIT"
	PropertyDelayTimeLevel                 = "DELAY"
	PropertyRetryTopic                     = "RETRY_TOPIC"
	PropertyRealTopic                      = "REAL_TOPIC"
	PropertyRealQueueID                    = "REAL_QID"
	PropertyTransactionPrepared            = "TRAN_MSG"
	PropertyProducerGroup                  = "PGROUP"
	PropertyMinOffset                      = "MIN_OFFSET"
	PropertyMaxOffset                      = "MAX_OFFSET"
	PropertyBuyerID                        = "BUYER_ID"
	PropertyOriginMessageID                = "ORIGIN_MESSAGE_ID"
	PropertyTransferFlag                   = "TRANSFER_FLAG"
	PropertyCorrectionFlag                 = "CORRECTION_FLAG"
	PropertyMQ2Flag                        = "MQ2_FLAG"
	PropertyReconsumeTime                  = "RECONSUME_TIME"
	PropertyMsgRegion                      = "MSG_REGION"
	PropertyTraceSwitch                    = "TRACE_ON"
	PropertyUniqClientMessageIDKeyidx      = "UNIQ_KEY"
	PropertyMaxReconsumeTimes              = "MAX_RECONSUME_TIMES"
	PropertyConsumeStartTimestamp          = "CONSUME_START_TIME"
	PropertyTransactionPreparedQueueOffset = "TRAN_PREPARED_QUEUE_OFFSET"
	PropertyTransactionCheckTimes          = "TRANSACTION_CHECK_TIMES"
	PropertyCheckImmunityTimeInSeconds     = "CHECK_IMMUNITY_TIME_IN_SECONDS"
	PropertyInstanceID                     = "INSTANCE_ID"
	PropertyCorrelationID                  = "CORRELATION_ID"
	PropertyMessageReplyToClient           = "REPLY_TO_CLIENT"
	PropertyMessageTTL                     = "TTL"
	PropertyReplyMessageArriveTime         = "ARRIVE_TIME"
	PropertyPushReplyTime                  = "PUSH_REPLY_TIME"
	PropertyCluster                        = "CLUSTER"
	PropertyMessageType                    = "MSG_TYPE"
	PropertyInnerMultiDispatch             = "INNER_MULTI_DISPATCH"
	PropertyInnerMultiQueueOffset          = "INNER_MULTI_QUEUE_OFFSET"
	PropertyTransactionID                  = "__transactionId__"
	PropertyShardingKey                    = "SHARDING_KEY"
	PropertyStartDeliverTime               = "__STARTDELIVERTIME"
)

// KeySeparator separates the keys inside the KEYS property.
const KeySeparator = " "

// SYSFLAG bits (MessageSysFlag.java).
const (
	SysFlagCompressed          int32 = 0x1
	SysFlagMultiTags           int32 = 0x2
	SysFlagTransactionNot      int32 = 0x0
	SysFlagTransactionPrepared int32 = 0x4
	SysFlagTransactionCommit   int32 = 0x8
	SysFlagTransactionRollback int32 = 0xC
	SysFlagBornHostV6          int32 = 0x10
	SysFlagStoreHostV6         int32 = 0x20
	SysFlagNeedUnwrap          int32 = 0x40
	SysFlagInnerBatch          int32 = 0x80
	SysFlagCompressionLZ4      int32 = 0x100
	SysFlagCompressionZSTD     int32 = 0x200
	SysFlagCompressionZLIB     int32 = 0x300
	sysFlagTransactionMask     int32 = 0xC
)

// TransactionType returns the transaction bits (bits 2–3) of a sysflag.
func TransactionType(sysFlag int32) int32 { return sysFlag & sysFlagTransactionMask }

// ResetTransactionType replaces the transaction bits of sysFlag with t.
func ResetTransactionType(sysFlag, t int32) int32 {
	return sysFlag&^sysFlagTransactionMask | t&sysFlagTransactionMask
}

// Message is what a producer sends: topic, user flag, properties and body.
type Message struct {
	Topic      string
	Flag       int32
	Properties map[string]string
	Body       []byte
}

// Property returns the value of key, or "".
func (m *Message) Property(key string) string { return m.Properties[key] }

// SetProperty sets key to value, creating the map if needed.
func (m *Message) SetProperty(key, value string) {
	if m.Properties == nil {
		m.Properties = make(map[string]string)
	}
	m.Properties[key] = value
}

// ClearProperty removes key.
func (m *Message) ClearProperty(key string) { delete(m.Properties, key) }

// Tags returns the TAGS property.
func (m *Message) Tags() string { return m.Properties[PropertyTags] }

// Keys returns the non-empty tokens of the KEYS property, split on a single
// space as the index service does.
func (m *Message) Keys() []string { return SplitKeys(m.Properties[PropertyKeys]) }

// SplitKeys splits a KEYS value on single spaces, dropping empty tokens.
func SplitKeys(keys string) []string {
	if keys == "" {
		return nil
	}
	parts := strings.Split(keys, KeySeparator)
	out := parts[:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// DelayTimeLevel returns the DELAY property as a level, 0 when absent or
// not a number.
func (m *Message) DelayTimeLevel() int { return parseLevel(m.Properties[PropertyDelayTimeLevel]) }

// DelayLevel is DelayTimeLevel read with Prop.
func (m *MessageExt) DelayLevel() int { return parseLevel(m.Prop(PropertyDelayTimeLevel)) }

// WaitStoreOK is WaitStoreMsgOK read with Prop.
func (m *MessageExt) WaitStoreOK() bool { return m.Prop(PropertyWaitStoreMsgOK) != "false" }

// WaitStoreMsgOK reports the WAIT property: true unless it is "false".
func (m *Message) WaitStoreMsgOK() bool { return m.Properties[PropertyWaitStoreMsgOK] != "false" }

// UniqKey returns the client message id (UNIQ_KEY).
func (m *Message) UniqKey() string { return m.Properties[PropertyUniqClientMessageIDKeyidx] }

// MessageExt is a stored message with every field of the record
// (MessageExt.java). Hosts are netip.AddrPort; an IPv4 host is stored in 8 bytes, any
// other in 20 (unmap IPv4-mapped addresses before storing them).
type MessageExt struct {
	Message
	QueueID                   int32
	StoreSize                 int32
	QueueOffset               int64
	SysFlag                   int32
	BornTimestamp             int64
	BornHost                  netip.AddrPort
	StoreTimestamp            int64
	StoreHost                 netip.AddrPort
	MsgID                     string // offset message id, set by the decoder and by the store
	CommitLogOffset           int64
	BodyCRC                   int32
	ReconsumeTimes            int32
	PreparedTransactionOffset int64

	// PropertiesString, when not empty, is written as the properties
	// string instead of encoding Properties. The decoder sets it to what
	// was read.
	PropertiesString string
}

// ClientMsgID is what consumers call the message id: UNIQ_KEY when set,
// else the offset message id.
func (m *MessageExt) ClientMsgID() string {
	if u := m.UniqKey(); u != "" {
		return u
	}
	return m.MsgID
}

// Prop returns a property from Properties, or from PropertiesString when
// Properties is nil, without building the map.
func (m *MessageExt) Prop(key string) string {
	if m.Properties != nil || m.PropertiesString == "" {
		return m.Properties[key]
	}
	v, _ := PropertyFromString(m.PropertiesString, key)
	return v
}

// parseLevel reads a non-negative decimal, 0 when it is not one.
func parseLevel(v string) int {
	n := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' || n > 1<<20 {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
