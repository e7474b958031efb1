package broker

import "fmt"

// Built-in topic names (TopicValidator.java, MixAll.java; wire-protocol.md §13.5).
const (
	TopicAutoCreate          = "TBW102" // template for auto-created topics
	TopicSchedule            = "SCHEDULE_TOPIC_XXXX"
	TopicBenchmark           = "BenchmarkTest"
	TopicTransHalf           = "RMQ_SYS_TRANS_HALF_TOPIC"
	TopicTraceDefault        = "RMQ_SYS_TRACE_TOPIC"
	TopicTransOpHalf         = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
	TopicTransCheckMaxTime   = "TRANS_CHECK_MAX_TIME_TOPIC"
	TopicSelfTest            = "SELF_TEST_TOPIC"
	TopicOffsetMovedEvent    = "OFFSET_MOVED_EVENT"
	SystemTopicPrefix        = "rmq_sys_"
	RetryGroupTopicPrefix    = "%RETRY%"
	DLQGroupTopicPrefix      = "%DLQ%"
	ReplyTopicPostfix        = "REPLY_TOPIC"
	topicMaxLength           = 127
	scheduleTopicQueueNums   = 18
	benchmarkTopicQueueNums  = 1024
	clusterTopicQueueNums    = 16
	defaultTopicConfigQueues = 16
)

// systemTopics is TopicValidator's built-in system topic set; the cluster
// name, the broker name and <cluster>_REPLY_TOPIC join it at start.
var systemTopics = map[string]bool{
	TopicAutoCreate:        true,
	TopicSchedule:          true,
	TopicBenchmark:         true,
	TopicTransHalf:         true,
	TopicTraceDefault:      true,
	TopicTransOpHalf:       true,
	TopicTransCheckMaxTime: true,
	TopicSelfTest:          true,
	TopicOffsetMovedEvent:  true,
}

// notAllowedSendTopics may not be the target of a client send.
var notAllowedSendTopics = map[string]bool{
	TopicSchedule:          true,
	TopicTransHalf:         true,
	TopicTransOpHalf:       true,
	TopicTransCheckMaxTime: true,
	TopicSelfTest:          true,
	TopicOffsetMovedEvent:  true,
}

// ValidateTopic checks a topic name as TopicValidator.validateTopic does and
// returns Java's remark when it is not acceptable, or "".
func ValidateTopic(topic string) string {
	if topic == "" {
		return "The specified topic is blank."
	}
	for i := 0; i < len(topic); i++ {
		if !topicChar(topic[i]) {
			return "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
		}
	}
	if len(topic) > topicMaxLength {
		return "The specified topic is longer than topic max length."
	}
	return ""
}

func topicChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return c == '%' || c == '|' || c == '_' || c == '-'
}

// SendForbiddenRemark returns Java's remark when clients may not send to
// topic (TopicValidator.isNotAllowedSendTopic), or "".
func SendForbiddenRemark(topic string) string {
	if notAllowedSendTopics[topic] {
		return fmt.Sprintf("Sending message to topic[%s] is forbidden.", topic)
	}
	return ""
}

// RetryTopic is the retry topic of a consumer group: %RETRY%<group>.
func RetryTopic(group string) string { return RetryGroupTopicPrefix + group }

// DLQTopic is the dead-letter topic of a consumer group: %DLQ%<group>.
func DLQTopic(group string) string { return DLQGroupTopicPrefix + group }
