package broker

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// processSendBack serves CONSUMER_SEND_MSG_BACK (36): a consumer failed a
// message; store a copy in the group's retry topic with a delay, or in its
// dead-letter topic once it has been retried too often
// (SendMessageProcessor.asyncConsumerSendMsgBack).
func (b *Broker) processSendBack(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.SystemError, "")
	var h protocol.ConsumerSendMsgBackRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remark(resp, protocol.SystemError, err.Error())
	}
	gc := b.groups.FindOrCreate(h.Group)
	if gc == nil {
		return remark(resp, protocol.SubscriptionGroupNotExist, "subscription group not exist, "+h.Group+faqNoTopicURL)
	}
	if !protocol.Writeable(int32(b.rc().BrokerPermission)) {
		return remark(resp, protocol.NoPermission, fmt.Sprintf("the broker[%s] sending message is forbidden", b.rc().BrokerIP1))
	}
	if gc.RetryQueueNums <= 0 {
		return remark(resp, protocol.Success, "")
	}
	retryTopic := RetryTopic(h.Group)
	queueID := rand.Int32N(gc.RetryQueueNums)
	var topicSysFlag int32
	if h.UnitMode {
		topicSysFlag = topicSysFlagUnitSub
	}
	tc, err := b.topics.CreateTopicInSendMessageBack(retryTopic, gc.RetryQueueNums, protocol.PermWrite|protocol.PermRead, topicSysFlag)
	if err != nil {
		return remark(resp, protocol.SystemError, "topic["+retryTopic+"] not exist")
	}
	if !protocol.Writeable(tc.Perm) {
		return remark(resp, protocol.NoPermission, fmt.Sprintf("the topic[%s] sending message is forbidden", retryTopic))
	}
	orig, err := b.lookMessage(h.Offset)
	if err != nil || orig == nil {
		return remark(resp, protocol.SystemError, fmt.Sprintf("look message by offset failed, %d", h.Offset))
	}
	props := make(map[string]string, len(orig.Properties)+3)
	for k, v := range orig.Properties {
		props[k] = v
	}
	if props[message.PropertyRetryTopic] == "" {
		props[message.PropertyRetryTopic] = orig.Topic
	}
	props[message.PropertyWaitStoreMsgOK] = "false"

	maxTimes := gc.RetryMaxTimes
	if req.Version >= versionV3_4_9 && h.MaxReconsumeTimes != nil {
		maxTimes = *h.MaxReconsumeTimes
	}
	topic := retryTopic
	delay := h.DelayLevel
	if orig.ReconsumeTimes >= maxTimes || delay < 0 {
		topic = DLQTopic(h.Group)
		queueID = 0
		dlq, err := b.topics.CreateTopicInSendMessageBack(topic, 1, protocol.PermWrite|protocol.PermRead, 0)
		if err != nil || !protocol.Writeable(dlq.Perm) {
			return remark(resp, protocol.SystemError, "topic["+topic+"] not exist")
		}
		delete(props, message.PropertyDelayTimeLevel)
	} else {
		if delay == 0 {
			delay = 3 + orig.ReconsumeTimes
		}
		props[message.PropertyDelayTimeLevel] = strconv.Itoa(int(delay))
	}
	if props[message.PropertyOriginMessageID] == "" {
		props[message.PropertyOriginMessageID] = orig.MsgID
	}
	m := &message.MessageExt{
		Message: message.Message{
			Topic:      topic,
			Flag:       orig.Flag,
			Properties: props,
			Body:       orig.Body,
		},
		QueueID:        queueID,
		SysFlag:        orig.SysFlag,
		BornTimestamp:  orig.BornTimestamp,
		BornHost:       orig.BornHost,
		StoreHost:      b.storeHost,
		ReconsumeTimes: orig.ReconsumeTimes + 1,
	}
	out := b.putMessage(m)
	switch out.status {
	case "PUT_OK", "FLUSH_DISK_TIMEOUT", "FLUSH_SLAVE_TIMEOUT", "SLAVE_NOT_AVAILABLE":
		b.stats.putOK.Add(1)
		return remark(resp, protocol.Success, "")
	}
	return remark(resp, protocol.SystemError, out.status)
}
