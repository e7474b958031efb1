package protocol

// Custom headers of the broker's client-facing and metadata commands
// (org.apache.rocketmq.common.protocol.header). Field names in the tags are
// the Java field names; required fields are the @CFNotNull ones.

// UnregisterClientRequestHeader is UNREGISTER_CLIENT's header (35).
type UnregisterClientRequestHeader struct {
	ClientID      string `rmq:"clientID,required"`
	ProducerGroup string `rmq:"producerGroup,omitempty"`
	ConsumerGroup string `rmq:"consumerGroup,omitempty"`
}

// GetConsumerListByGroupRequestHeader is GET_CONSUMER_LIST_BY_GROUP's header (38).
type GetConsumerListByGroupRequestHeader struct {
	ConsumerGroup string `rmq:"consumerGroup,required"`
}

// QueryConsumerOffsetRequestHeader is QUERY_CONSUMER_OFFSET's header (14).
// BrokerName ("bname") is sent by 4.9.8 Java clients and ignored.
type QueryConsumerOffsetRequestHeader struct {
	ConsumerGroup string `rmq:"consumerGroup,required"`
	Topic         string `rmq:"topic,required"`
	QueueID       int32  `rmq:"queueId,required"`
	BrokerName    string `rmq:"bname,omitempty"`
}

// QueryConsumerOffsetResponseHeader answers QUERY_CONSUMER_OFFSET.
type QueryConsumerOffsetResponseHeader struct {
	Offset int64 `rmq:"offset"`
}

// UpdateConsumerOffsetRequestHeader is UPDATE_CONSUMER_OFFSET's header (15).
type UpdateConsumerOffsetRequestHeader struct {
	ConsumerGroup string `rmq:"consumerGroup,required"`
	Topic         string `rmq:"topic,required"`
	QueueID       int32  `rmq:"queueId,required"`
	CommitOffset  int64  `rmq:"commitOffset,required"`
	BrokerName    string `rmq:"bname,omitempty"`
}

// CreateTopicRequestHeader is UPDATE_AND_CREATE_TOPIC's header (17).
// DefaultTopic and Order are required on the wire but ignored by the broker.
type CreateTopicRequestHeader struct {
	Topic           string `rmq:"topic,required"`
	DefaultTopic    string `rmq:"defaultTopic,required"`
	ReadQueueNums   int32  `rmq:"readQueueNums,required"`
	WriteQueueNums  int32  `rmq:"writeQueueNums,required"`
	Perm            int32  `rmq:"perm,required"`
	TopicFilterType string `rmq:"topicFilterType,required"`
	TopicSysFlag    *int32 `rmq:"topicSysFlag"`
	Order           bool   `rmq:"order,required"`
}

// DeleteTopicRequestHeader is DELETE_TOPIC_IN_BROKER's header (215).
type DeleteTopicRequestHeader struct {
	Topic string `rmq:"topic,required"`
}

// DeleteSubscriptionGroupRequestHeader is DELETE_SUBSCRIPTIONGROUP's header (207).
type DeleteSubscriptionGroupRequestHeader struct {
	GroupName    string `rmq:"groupName,required"`
	RemoveOffset bool   `rmq:"removeOffset"`
}

// GetConsumerConnectionListRequestHeader is GET_CONSUMER_CONNECTION_LIST's header (203).
type GetConsumerConnectionListRequestHeader struct {
	ConsumerGroup string `rmq:"consumerGroup,required"`
}

// GetProducerConnectionListRequestHeader is GET_PRODUCER_CONNECTION_LIST's header (204).
type GetProducerConnectionListRequestHeader struct {
	ProducerGroup string `rmq:"producerGroup,required"`
}

// NotifyConsumerIdsChangedRequestHeader is NOTIFY_CONSUMER_IDS_CHANGED's
// header (40, broker to client).
type NotifyConsumerIdsChangedRequestHeader struct {
	ConsumerGroup string `rmq:"consumerGroup,required"`
}

// GetBrokerConfigResponseHeader answers GET_BROKER_CONFIG (26): Version is
// the configuration's DataVersion as JSON text.
type GetBrokerConfigResponseHeader struct {
	Version string `rmq:"version,required"`
}

// QueryTopicConsumeByWhoRequestHeader is QUERY_TOPIC_CONSUME_BY_WHO's header (300).
type QueryTopicConsumeByWhoRequestHeader struct {
	Topic string `rmq:"topic,required"`
}

// CloneGroupOffsetRequestHeader is CLONE_GROUP_OFFSET's header (314).
type CloneGroupOffsetRequestHeader struct {
	SrcGroup  string `rmq:"srcGroup,required"`
	DestGroup string `rmq:"destGroup,required"`
	Topic     string `rmq:"topic,omitempty"`
	Offline   bool   `rmq:"offline"`
}

// GetConsumerRunningInfoRequestHeader is GET_CONSUMER_RUNNING_INFO's header
// (307), sent by admin tools to the broker and proxied to the client.
type GetConsumerRunningInfoRequestHeader struct {
	ConsumerGroup string `rmq:"consumerGroup,required"`
	ClientID      string `rmq:"clientId,required"`
	JstackEnable  bool   `rmq:"jstackEnable"`
}

// ResetOffsetRequestHeader is the header of INVOKE_BROKER_TO_RESET_OFFSET
// (222, admin to broker) and of RESET_CONSUMER_CLIENT_OFFSET (220, broker
// to client). Timestamp -1 means the max offset; the key is literally
// "isForce".
type ResetOffsetRequestHeader struct {
	Topic     string `rmq:"topic,required"`
	Group     string `rmq:"group,required"`
	Timestamp int64  `rmq:"timestamp,required"`
	IsForce   bool   `rmq:"isForce,required"`
}

// GetConsumerStatusRequestHeader is the header of
// INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223, admin to broker) and of
// GET_CONSUMER_STATUS_FROM_CLIENT (221, broker to client). ClientAddr,
// when set, is compared with client ids.
type GetConsumerStatusRequestHeader struct {
	Topic      string `rmq:"topic,required"`
	Group      string `rmq:"group,required"`
	ClientAddr string `rmq:"clientAddr,omitempty"`
}

// ConsumeMessageDirectlyResultRequestHeader is CONSUME_MESSAGE_DIRECTLY's
// header (309), admin to broker and broker to client. MsgID is an
// offsetMsgId; the broker sets BrokerName to its own.
type ConsumeMessageDirectlyResultRequestHeader struct {
	ConsumerGroup string `rmq:"consumerGroup,required"`
	ClientID      string `rmq:"clientId,omitempty"`
	MsgID         string `rmq:"msgId,omitempty"`
	BrokerName    string `rmq:"brokerName,omitempty"`
}
