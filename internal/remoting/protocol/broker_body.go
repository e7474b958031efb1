package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// JSON bodies of the broker's client-facing and metadata commands. Members
// are declared in alphabetical order so encoding/json writes them as
// fastjson does (wire-protocol.md §11.1, §11.5); decoding is lenient about
// order and unknown members, as fastjson is.

// Consume types, message models and consume-from-where values of a consumer
// group (ConsumeType.java, MessageModel.java, ConsumeFromWhere.java).
const (
	ConsumeActively  = "CONSUME_ACTIVELY"  // pull consumer
	ConsumePassively = "CONSUME_PASSIVELY" // push consumer

	Clustering   = "CLUSTERING"
	Broadcasting = "BROADCASTING"

	ConsumeFromLastOffset  = "CONSUME_FROM_LAST_OFFSET"
	ConsumeFromFirstOffset = "CONSUME_FROM_FIRST_OFFSET"
	ConsumeFromTimestamp   = "CONSUME_FROM_TIMESTAMP"
)

// Expression types of a subscription (ExpressionType.java). An empty type
// means TAG.
const (
	ExpressionTag   = "TAG"
	ExpressionSQL92 = "SQL92"
)

// SubAll is the subscription expression that matches every tag.
const SubAll = "*"

// CodeSet is SubscriptionData.codeSet: the tags' hash codes. Java clients
// send JSON numbers, the Go client v2.1.2 sends decimal strings
// (wire-protocol.md §8.1); both are accepted. It is written as numbers.
type CodeSet []int32

// UnmarshalJSON accepts an array of numbers or numeric strings, or null.
func (c *CodeSet) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*c = nil
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("codeSet: %w", err)
	}
	out := make(CodeSet, 0, len(raw))
	for _, r := range raw {
		s := string(bytes.TrimSpace(r))
		if len(s) > 0 && s[0] == '"' {
			if err := json.Unmarshal(r, &s); err != nil {
				return fmt.Errorf("codeSet: %w", err)
			}
		}
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return fmt.Errorf("codeSet: element %q is not an int", s)
		}
		out = append(out, int32(n))
	}
	*c = out
	return nil
}

// SubscriptionData is one topic subscription of a consumer group
// (SubscriptionData.java). SubVersion is Java's millisecond clock or the Go
// client's nanosecond clock, so it needs all 64 bits.
type SubscriptionData struct {
	ClassFilterMode bool     `json:"classFilterMode"`
	CodeSet         CodeSet  `json:"codeSet"`
	ExpressionType  string   `json:"expressionType,omitempty"`
	SubString       string   `json:"subString"`
	SubVersion      int64    `json:"subVersion"`
	TagsSet         []string `json:"tagsSet"`
	Topic           string   `json:"topic"`
}

// IsTagType reports whether the expression is a tag filter (empty type
// counts as TAG, ExpressionType.isTagType).
func (s *SubscriptionData) IsTagType() bool {
	return s.ExpressionType == "" || s.ExpressionType == ExpressionTag
}

// ConsumerData is one consumer group in a heartbeat (ConsumerData.java).
type ConsumerData struct {
	ConsumeFromWhere    string             `json:"consumeFromWhere"`
	ConsumeType         string             `json:"consumeType"`
	GroupName           string             `json:"groupName"`
	MessageModel        string             `json:"messageModel"`
	SubscriptionDataSet []SubscriptionData `json:"subscriptionDataSet"`
	UnitMode            bool               `json:"unitMode"`
}

// ProducerData is one producer group in a heartbeat (ProducerData.java).
type ProducerData struct {
	GroupName string `json:"groupName"`
}

// HeartbeatData is the HEART_BEAT body (HeartbeatData.java). Note the
// capital "ID" in clientID.
type HeartbeatData struct {
	ClientID        string         `json:"clientID"`
	ConsumerDataSet []ConsumerData `json:"consumerDataSet"`
	ProducerDataSet []ProducerData `json:"producerDataSet"`
}

// DecodeHeartbeatData parses a HEART_BEAT body as sent by Java or Go
// clients.
func DecodeHeartbeatData(body []byte) (*HeartbeatData, error) {
	var h HeartbeatData
	if err := json.Unmarshal(body, &h); err != nil {
		return nil, fmt.Errorf("decode HeartbeatData: %w", err)
	}
	return &h, nil
}

// MessageQueue names one queue of a topic on one broker (MessageQueue.java).
type MessageQueue struct {
	BrokerName string `json:"brokerName"`
	QueueID    int32  `json:"queueId"`
	Topic      string `json:"topic"`
}

// LockBatchRequestBody is the LOCK_BATCH_MQ body (LockBatchRequestBody.java).
type LockBatchRequestBody struct {
	ClientID      string         `json:"clientId"`
	ConsumerGroup string         `json:"consumerGroup"`
	MQSet         []MessageQueue `json:"mqSet"`
}

// UnlockBatchRequestBody is the UNLOCK_BATCH_MQ body (UnlockBatchRequestBody.java).
type UnlockBatchRequestBody = LockBatchRequestBody

// LockBatchResponseBody answers LOCK_BATCH_MQ with the queues now held by
// the requester (LockBatchResponseBody.java). The set is always written,
// empty or not.
type LockBatchResponseBody struct {
	LockOKMQSet []MessageQueue `json:"lockOKMQSet"`
}

// CheckClientRequestBody is the CHECK_CLIENT_CONFIG body (CheckClientRequestBody.java).
type CheckClientRequestBody struct {
	ClientID         string            `json:"clientId"`
	Group            string            `json:"group"`
	SubscriptionData *SubscriptionData `json:"subscriptionData,omitempty"`
}

// ConsumerListBody answers GET_CONSUMER_LIST_BY_GROUP
// (GetConsumerListByGroupResponseBody.java).
type ConsumerListBody struct {
	ConsumerIDList []string `json:"consumerIdList"`
}

// SubscriptionGroupConfig is one consumer group's settings on a broker, as
// subscriptionGroup.json and UPDATE_AND_CREATE_SUBSCRIPTIONGROUP carry it
// (SubscriptionGroupConfig.java).
type SubscriptionGroupConfig struct {
	BrokerID                       int64  `json:"brokerId"`
	ConsumeBroadcastEnable         bool   `json:"consumeBroadcastEnable"`
	ConsumeEnable                  bool   `json:"consumeEnable"`
	ConsumeFromMinEnable           bool   `json:"consumeFromMinEnable"`
	GroupName                      string `json:"groupName"`
	NotifyConsumerIdsChangedEnable bool   `json:"notifyConsumerIdsChangedEnable"`
	RetryMaxTimes                  int32  `json:"retryMaxTimes"`
	RetryQueueNums                 int32  `json:"retryQueueNums"`
	WhichBrokerWhenConsumeSlowly   int64  `json:"whichBrokerWhenConsumeSlowly"`
}

// NewSubscriptionGroupConfig returns a group with RocketMQ's defaults:
// consuming enabled, broadcast allowed, 1 retry queue, 16 retries, read
// from the master, slave 1 when slow.
func NewSubscriptionGroupConfig(group string) SubscriptionGroupConfig {
	return SubscriptionGroupConfig{
		ConsumeBroadcastEnable:         true,
		ConsumeEnable:                  true,
		ConsumeFromMinEnable:           true,
		GroupName:                      group,
		NotifyConsumerIdsChangedEnable: true,
		RetryMaxTimes:                  16,
		RetryQueueNums:                 1,
		WhichBrokerWhenConsumeSlowly:   1,
	}
}

// UnmarshalJSON fills members absent from the text with RocketMQ's
// defaults, as fastjson does on a freshly constructed Java object.
func (g *SubscriptionGroupConfig) UnmarshalJSON(b []byte) error {
	type plain SubscriptionGroupConfig
	p := plain(NewSubscriptionGroupConfig(""))
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*g = SubscriptionGroupConfig(p)
	return nil
}

// SubscriptionGroupWrapper is the GET_ALL_SUBSCRIPTIONGROUP_CONFIG body and
// the content of subscriptionGroup.json (SubscriptionGroupWrapper.java;
// SubscriptionGroupManager's own encoding has the same two members).
type SubscriptionGroupWrapper struct {
	DataVersion            DataVersion                        `json:"dataVersion"`
	SubscriptionGroupTable map[string]SubscriptionGroupConfig `json:"subscriptionGroupTable"`
}

// Connection is one client connection in a connection list (Connection.java).
type Connection struct {
	ClientAddr string `json:"clientAddr"`
	ClientID   string `json:"clientId"`
	Language   string `json:"language"`
	Version    int32  `json:"version"`
}

// ConsumerConnection answers GET_CONSUMER_CONNECTION_LIST (ConsumerConnection.java).
type ConsumerConnection struct {
	ConnectionSet     []Connection                `json:"connectionSet"`
	ConsumeFromWhere  string                      `json:"consumeFromWhere,omitempty"`
	ConsumeType       string                      `json:"consumeType,omitempty"`
	MessageModel      string                      `json:"messageModel,omitempty"`
	SubscriptionTable map[string]SubscriptionData `json:"subscriptionTable"`
}

// ProducerConnection answers GET_PRODUCER_CONNECTION_LIST (ProducerConnection.java).
type ProducerConnection struct {
	ConnectionSet []Connection `json:"connectionSet"`
}

// GroupList answers QUERY_TOPIC_CONSUME_BY_WHO (GroupList.java).
type GroupList struct {
	GroupList []string `json:"groupList"`
}

// ProducerInfo is one producer connection in GET_ALL_PRODUCER_INFO
// (ProducerInfo.java).
type ProducerInfo struct {
	ClientID            string `json:"clientId"`
	Language            string `json:"language"`
	LastUpdateTimestamp int64  `json:"lastUpdateTimestamp"`
	RemoteIP            string `json:"remoteIP"`
	Version             int32  `json:"version"`
}

// ProducerTableInfo answers GET_ALL_PRODUCER_INFO: producer group ->
// connections (ProducerTableInfo.java).
type ProducerTableInfo struct {
	Data map[string][]ProducerInfo `json:"data"`
}

// QueueOffset is one queue's offset in a MessageQueue-keyed table.
type QueueOffset struct {
	Queue  MessageQueue
	Offset int64
}

// EncodeResetOffsetBody writes ResetOffsetBody as fastjson does, with
// MessageQueue object keys (wire-protocol.md §9.8, §11.2):
//
//	{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:5}}
//
// It is not strict JSON; the Go client v2.1.2 parses exactly this form.
func EncodeResetOffsetBody(offsets []QueueOffset) []byte {
	b := []byte(`{"offsetTable":{`)
	for i, qo := range offsets {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, MarshalCompact(qo.Queue)...)
		b = append(b, ':')
		b = strconv.AppendInt(b, qo.Offset, 10)
	}
	return append(b, "}}"...)
}

// resetOffsetForC is one entry of ResetOffsetBodyForC.
type resetOffsetForC struct {
	BrokerName string `json:"brokerName"`
	Offset     int64  `json:"offset"`
	QueueID    int32  `json:"queueId"`
	Topic      string `json:"topic"`
}

// EncodeResetOffsetBodyForC writes ResetOffsetBodyForC, the form C++
// clients get: {"offsetTable":[{"brokerName":..,"offset":5,"queueId":0,"topic":..}]}.
func EncodeResetOffsetBodyForC(offsets []QueueOffset) []byte {
	list := make([]resetOffsetForC, 0, len(offsets))
	for _, qo := range offsets {
		list = append(list, resetOffsetForC{BrokerName: qo.Queue.BrokerName, Offset: qo.Offset, QueueID: qo.Queue.QueueID, Topic: qo.Queue.Topic})
	}
	return MarshalCompact(struct {
		OffsetTable []resetOffsetForC `json:"offsetTable"`
	}{list})
}

// MessageQueue-keyed maps (wire-protocol.md §11.2, §11.3) arrive from
// clients in fastjson's object-key form, {{"brokerName":"b","queueId":0,
// "topic":"t"}:5}, which is not JSON; Java also accepts string keys that
// hold the object's JSON. These helpers read both and write the first.

// EncodeMQOffsetTable writes a MessageQueue -> offset map with object keys,
// sorted by topic, broker name and queue id.
func EncodeMQOffsetTable(m map[MessageQueue]int64) []byte {
	keys := make([]MessageQueue, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		if a.BrokerName != b.BrokerName {
			return a.BrokerName < b.BrokerName
		}
		return a.QueueID < b.QueueID
	})
	out := make([]QueueOffset, 0, len(keys))
	for _, k := range keys {
		out = append(out, QueueOffset{Queue: k, Offset: m[k]})
	}
	b := EncodeResetOffsetBody(out) // {"offsetTable":{...}}
	return b[len(`{"offsetTable":`) : len(b)-1]
}

// DecodeMQOffsetTable reads a MessageQueue -> offset map with object keys
// or with string keys holding the object's JSON.
func DecodeMQOffsetTable(raw []byte) (map[MessageQueue]int64, error) {
	s := lenientScanner{b: raw}
	out := make(map[MessageQueue]int64)
	if !s.consume('{') {
		return nil, s.errorf("want '{'")
	}
	if s.consume('}') {
		return out, s.end()
	}
	for {
		s.skipWS()
		var keyJSON []byte
		switch s.peek() {
		case '{':
			start := s.i
			if err := s.skipValue(); err != nil {
				return nil, err
			}
			keyJSON = s.b[start:s.i]
		case '"':
			str, err := s.readString()
			if err != nil {
				return nil, err
			}
			keyJSON = []byte(str)
		default:
			return nil, s.errorf("want a MessageQueue key")
		}
		var mq MessageQueue
		if err := json.Unmarshal(keyJSON, &mq); err != nil {
			return nil, s.errorf("MessageQueue key: %v", err)
		}
		if !s.consume(':') {
			return nil, s.errorf("want ':'")
		}
		s.skipWS()
		start := s.i
		if err := s.skipValue(); err != nil {
			return nil, err
		}
		n, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
		if err != nil {
			return nil, s.errorf("offset %q is not a long", s.b[start:s.i])
		}
		out[mq] = n
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return out, s.end()
		}
		return nil, s.errorf("want ',' or '}'")
	}
}

// RawMember returns the raw text of member name of the top-level object in
// body (fastjson text allowed inside values), or nil when it is absent.
func RawMember(body []byte, name string) ([]byte, error) {
	s := lenientScanner{b: body}
	if !s.consume('{') {
		return nil, s.errorf("want '{'")
	}
	if s.consume('}') {
		return nil, nil
	}
	for {
		s.skipWS()
		key, err := s.readString()
		if err != nil {
			return nil, err
		}
		if !s.consume(':') {
			return nil, s.errorf("want ':'")
		}
		s.skipWS()
		start := s.i
		if err := s.skipValue(); err != nil {
			return nil, err
		}
		if key == name {
			return s.b[start:s.i], nil
		}
		if s.consume(',') {
			continue
		}
		if s.consume('}') {
			return nil, nil
		}
		return nil, s.errorf("want ',' or '}'")
	}
}

// lenientScanner walks fastjson text: JSON plus object keys of any kind.
type lenientScanner struct {
	b []byte
	i int
}

func (s *lenientScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: "+format, append([]any{s.i}, args...)...)
}

func (s *lenientScanner) skipWS() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

func (s *lenientScanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *lenientScanner) consume(c byte) bool {
	s.skipWS()
	if s.peek() == c {
		s.i++
		return true
	}
	return false
}

func (s *lenientScanner) end() error {
	s.skipWS()
	if s.i != len(s.b) {
		return s.errorf("trailing data")
	}
	return nil
}

// readString reads a JSON string at the cursor and returns its value.
func (s *lenientScanner) readString() (string, error) {
	if s.peek() != '"' {
		return "", s.errorf("want a string")
	}
	start := s.i
	s.i++
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			s.i += 2
			continue
		case '"':
			s.i++
			var v string
			if err := json.Unmarshal(s.b[start:s.i], &v); err != nil {
				return "", s.errorf("bad string: %v", err)
			}
			return v, nil
		}
		s.i++
	}
	return "", s.errorf("unterminated string")
}

// skipValue moves past one value: a string, a bracketed object or array
// (of any content, strings respected), or a scalar.
func (s *lenientScanner) skipValue() error {
	switch s.peek() {
	case 0:
		return s.errorf("want a value")
	case '"':
		_, err := s.readString()
		return err
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, err := s.readString(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return s.errorf("unterminated object")
	}
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ':', ' ', '\t', '\n', '\r':
			if s.i == start {
				return s.errorf("want a value")
			}
			return nil
		}
		s.i++
	}
	return nil
}

// EncodeConsumerStatusBody writes the INVOKE_BROKER_TO_GET_CONSUMER_STATUS
// answer (GetConsumerStatusBody.java): client id -> its queues' offsets,
// and an empty messageQueueTable.
func EncodeConsumerStatusBody(consumerTable map[string]map[MessageQueue]int64) []byte {
	ids := make([]string, 0, len(consumerTable))
	for id := range consumerTable {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	b := []byte(`{"consumerTable":{`)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, MarshalCompact(id)...)
		b = append(b, ':')
		b = append(b, EncodeMQOffsetTable(consumerTable[id])...)
	}
	return append(b, `},"messageQueueTable":{}}`...)
}
