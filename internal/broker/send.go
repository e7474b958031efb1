package broker

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
	"github.com/gorocket/gorocket/internal/store"
)

const (
	faqNoTopicURL = "\nSee http://rocketmq.apache.org/docs/faq/ for further details."
	// versionV3_4_9 is the first client version whose maxReconsumeTimes
	// header the broker honours.
	versionV3_4_9 = 121
)

// processSend serves SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and
// SEND_BATCH_MESSAGE (320) (SendMessageProcessor.java). The header's batch
// flag, not the code, picks the batch path, as in Java.
func (b *Broker) processSend(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.SystemError, "")
	resp.SetExt(protocol.PropertyMsgRegion, b.rc().RegionID)
	resp.SetExt(protocol.PropertyTraceOn, strconv.FormatBool(b.rc().TraceOn))

	h, err := decodeSendHeader(req)
	if err != nil {
		return remark(resp, protocol.SystemError, err.Error())
	}
	if now := time.Now().UnixMilli(); now < b.rc().StartAcceptSendRequestTimeStamp {
		return remark(resp, protocol.SystemError, fmt.Sprintf("broker unable to service, until %s",
			time.UnixMilli(b.rc().StartAcceptSendRequestTimeStamp).Format("2006-01-02 15:04:05.000")))
	}
	tc, resp := b.sendCheck(c, h, resp)
	if tc == nil {
		return resp
	}
	if h.Batch {
		return b.sendBatch(c, req, h, tc, resp)
	}
	return b.sendOne(c, req, h, tc, resp)
}

func remark(resp *remoting.Command, code protocol.ResponseCode, text string) *remoting.Command {
	resp.Code = int32(code)
	resp.Remark = text
	return resp
}

func decodeSendHeader(req *remoting.Command) (*protocol.SendMessageRequestHeader, error) {
	if protocol.RequestCode(req.Code) == protocol.SendMessage {
		var h protocol.SendMessageRequestHeader
		if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
			return nil, err
		}
		return &h, nil
	}
	var h2 protocol.SendMessageRequestHeaderV2
	if err := protocol.DecodeHeader(req.ExtFields, &h2); err != nil {
		return nil, err
	}
	return h2.V1(), nil
}

// sendCheck runs the broker's checks before a send (msgCheck in
// AbstractSendMessageProcessor.java): broker and topic permissions, topic
// name, auto-creation through the default topic, and the queue id. It
// returns the topic's config, or nil and the error response.
func (b *Broker) sendCheck(c *remoting.Conn, h *protocol.SendMessageRequestHeader, resp *remoting.Command) (*protocol.TopicConfig, *remoting.Command) {
	if !protocol.Writeable(int32(b.rc().BrokerPermission)) {
		return nil, remark(resp, protocol.NoPermission,
			fmt.Sprintf("the broker[%s] sending message is forbidden", b.rc().BrokerIP1))
	}
	if msg := ValidateTopic(h.Topic); msg != "" {
		return nil, remark(resp, protocol.SystemError, msg)
	}
	if msg := SendForbiddenRemark(h.Topic); msg != "" {
		return nil, remark(resp, protocol.NoPermission, msg)
	}
	tc := b.topics.Get(h.Topic)
	if tc == nil {
		var sysFlag int32
		if h.UnitMode {
			if strings.HasPrefix(h.Topic, RetryGroupTopicPrefix) {
				sysFlag = topicSysFlagUnitSub
			} else {
				sysFlag = topicSysFlagUnit
			}
		}
		var err error
		tc, err = b.topics.CreateTopicInSendMessage(h.Topic, h.DefaultTopic, h.DefaultTopicQueueNums, sysFlag)
		if err != nil {
			b.lg.Warn("auto-create topic failed", zap.String("topic", h.Topic), zap.Error(err))
		}
		if tc == nil && strings.HasPrefix(h.Topic, RetryGroupTopicPrefix) {
			tc, err = b.topics.CreateTopicInSendMessageBack(h.Topic, 1, protocol.PermWrite|protocol.PermRead, sysFlag)
			if err != nil {
				b.lg.Warn("create retry topic failed", zap.String("topic", h.Topic), zap.Error(err))
			}
		}
		if tc == nil {
			return nil, remark(resp, protocol.TopicNotExist,
				fmt.Sprintf("topic[%s] not exist, apply first please!%s", h.Topic, faqNoTopicURL))
		}
	}
	if !protocol.Writeable(tc.Perm) {
		return nil, remark(resp, protocol.NoPermission, fmt.Sprintf("the topic[%s] sending message is forbidden", h.Topic))
	}
	maxQ := tc.WriteQueueNums
	if tc.ReadQueueNums > maxQ {
		maxQ = tc.ReadQueueNums
	}
	if h.QueueID >= maxQ {
		return nil, remark(resp, protocol.SystemError, fmt.Sprintf("request queueId[%d] is illegal, %s Producer: %s",
			h.QueueID, topicConfigString(tc), c.RemoteAddr()))
	}
	if h.QueueID < 0 {
		if tc.WriteQueueNums <= 0 {
			return nil, remark(resp, protocol.NoPermission, fmt.Sprintf("the topic[%s] has no writable queue", h.Topic))
		}
		h.QueueID = rand.Int32N(tc.WriteQueueNums)
	}
	return tc, resp
}

// topicConfigString is Java's TopicConfig.toString, used in remarks.
func topicConfigString(tc *protocol.TopicConfig) string {
	return fmt.Sprintf("TopicConfig [topicName=%s, readQueueNums=%d, writeQueueNums=%d, perm=%s, topicFilterType=%s, topicSysFlag=%d, order=%t]",
		tc.TopicName, tc.ReadQueueNums, tc.WriteQueueNums, permString(tc.Perm), tc.TopicFilterType, tc.TopicSysFlag, tc.Order)
}

// permString is PermName.perm2String: "RW-" style.
func permString(perm int32) string {
	s := []byte("---")
	if perm&protocol.PermRead != 0 {
		s[0] = 'R'
	}
	if perm&protocol.PermWrite != 0 {
		s[1] = 'W'
	}
	if perm&protocol.PermInherit != 0 {
		s[2] = 'X'
	}
	return string(s)
}

// Topic sysflags (TopicSysFlag.java).
const (
	topicSysFlagUnit    int32 = 0x1
	topicSysFlagUnitSub int32 = 0x2
)

// hostOf parses a connection address; a zero AddrPort when it can't.
func hostOf(addr string) netip.AddrPort {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return netip.AddrPort{}
	}
	return ap
}

// sendOne stores one message (SendMessageProcessor.asyncSendMessage).
func (b *Broker) sendOne(c *remoting.Conn, req *remoting.Command, h *protocol.SendMessageRequestHeader, tc *protocol.TopicConfig, resp *remoting.Command) *remoting.Command {
	props := message.DecodeProperties(h.Properties)
	reconsume := int32(0)
	if h.ReconsumeTimes != nil {
		reconsume = *h.ReconsumeTimes
	}
	topic, queueID := h.Topic, h.QueueID
	if strings.HasPrefix(topic, RetryGroupTopicPrefix) {
		group := strings.TrimPrefix(topic, RetryGroupTopicPrefix)
		gc := b.groups.FindOrCreate(group)
		if gc == nil {
			return remark(resp, protocol.SubscriptionGroupNotExist, "subscription group not exist, "+group+faqNoTopicURL)
		}
		maxTimes := gc.RetryMaxTimes
		if req.Version >= versionV3_4_9 && h.MaxReconsumeTimes != nil {
			maxTimes = *h.MaxReconsumeTimes
		}
		if reconsume >= maxTimes {
			topic = DLQGroupTopicPrefix + group
			queueID = 0
			if _, err := b.topics.CreateTopicInSendMessageBack(topic, 1, protocol.PermWrite|protocol.PermRead, 0); err != nil {
				return remark(resp, protocol.SystemError, "topic["+topic+"] not exist")
			}
			delete(props, message.PropertyDelayTimeLevel)
		}
	}
	if props[message.PropertyTransactionPrepared] == "true" && b.rc().RejectTransactionMessage {
		return remark(resp, protocol.NoPermission,
			fmt.Sprintf("the broker[%s] sending transaction message is forbidden", b.rc().BrokerIP1))
	}
	props[message.PropertyCluster] = b.rc().BrokerClusterName
	delete(props, message.PropertyWaitStoreMsgOK)

	sysFlag := h.SysFlag
	if tc.TopicFilterType == "MULTI_TAG" {
		sysFlag |= message.SysFlagMultiTags
	}
	respQueueID := queueID
	if props[message.PropertyTransactionPrepared] == "true" {
		// A half message waits in RMQ_SYS_TRANS_HALF_TOPIC queue 0 until
		// END_TRANSACTION (TransactionalMessageBridge.parseHalfMessageInner).
		props[message.PropertyRealTopic] = topic
		props[message.PropertyRealQueueID] = strconv.Itoa(int(queueID))
		sysFlag = message.ResetTransactionType(sysFlag, message.SysFlagTransactionNot)
		topic, queueID = TopicTransHalf, 0
		if _, err := b.topics.CreateTopicInSendMessageBack(topic, 1, protocol.PermWrite|protocol.PermRead, 0); err != nil {
			return remark(resp, protocol.SystemError, "topic["+topic+"] not exist")
		}
	}
	m := &message.MessageExt{
		Message: message.Message{
			Topic:      topic,
			Flag:       h.Flag,
			Properties: props,
			Body:       req.Body,
		},
		QueueID:        queueID,
		SysFlag:        sysFlag,
		BornTimestamp:  h.BornTimestamp,
		BornHost:       hostOf(c.RemoteAddr()),
		StoreHost:      b.storeHost,
		ReconsumeTimes: reconsume,
	}
	return b.answerAfterPut(c, req, resp, respQueueID, func(done func(store.PutResult)) {
		b.store.PutMessageAsync(m, done)
	})
}

// sendBatch stores a SEND_BATCH_MESSAGE body as consecutive messages of
// one queue. The batch-level properties are appended to each inner
// message's properties (CommitLog.MessageExtEncoder.encode(batch)).
func (b *Broker) sendBatch(c *remoting.Conn, req *remoting.Command, h *protocol.SendMessageRequestHeader, tc *protocol.TopicConfig, resp *remoting.Command) *remoting.Command {
	if strings.HasPrefix(h.Topic, RetryGroupTopicPrefix) {
		return remark(resp, protocol.MessageIllegal, "batch request does not support retry group "+h.Topic)
	}
	if len(req.Body) > b.storeCfg.MaxMessageSize {
		return remark(resp, protocol.MessageIllegal, illegalRemark(b.storeCfg.MaxMessageSize))
	}
	entries, err := message.DecodeBatch(req.Body)
	if err != nil {
		return remark(resp, protocol.MessageIllegal, "the batch body is illegal: "+err.Error())
	}
	if len(entries) == 0 {
		return remark(resp, protocol.MessageIllegal, "the batch body holds no message")
	}
	batchProps := message.DecodeProperties(h.Properties)
	batchProps[message.PropertyCluster] = b.rc().BrokerClusterName
	sysFlag := h.SysFlag
	if tc.TopicFilterType == "MULTI_TAG" {
		sysFlag |= message.SysFlagMultiTags
	}
	reconsume := int32(0)
	if h.ReconsumeTimes != nil {
		reconsume = *h.ReconsumeTimes
	}
	born := hostOf(c.RemoteAddr())
	msgs := make([]*message.MessageExt, 0, len(entries))
	for _, e := range entries {
		props := message.DecodeProperties(e.Properties)
		if lvl, _ := strconv.Atoi(props[message.PropertyDelayTimeLevel]); lvl > 0 {
			return remark(resp, protocol.MessageIllegal, "batch message does not support delay level")
		}
		for k, v := range batchProps {
			props[k] = v
		}
		msgs = append(msgs, &message.MessageExt{
			Message: message.Message{
				Topic:      h.Topic,
				Flag:       e.Flag,
				Properties: props,
				Body:       e.Body,
			},
			QueueID:        h.QueueID,
			SysFlag:        sysFlag,
			BornTimestamp:  h.BornTimestamp,
			BornHost:       born,
			StoreHost:      b.storeHost,
			ReconsumeTimes: reconsume,
		})
	}
	return b.answerAfterPut(c, req, resp, h.QueueID, func(done func(store.PutResult)) {
		b.store.PutMessagesAsync(msgs, done)
	})
}

func illegalRemark(maxSize int) string {
	return fmt.Sprintf("the message is illegal, maybe msg body or properties length not matched. msg body length limit %dB, msg properties length limit 32KB.", maxSize)
}

// putOutcome is a store put as the send path answers it.
type putOutcome struct {
	status      string // PutMessageStatus name
	remark      string // the store's reason, for failures
	msgIDs      string // offsetMsgId(s), comma-separated for a batch
	queueOffset int64  // of the first message
	bytes       int64
	count       int
}

// putResponse turns a put's outcome into the send response
// (SendMessageProcessor.handlePutMessageResult).
func (b *Broker) putResponse(resp *remoting.Command, out putOutcome, queueID int32) *remoting.Command {
	var code protocol.ResponseCode
	switch out.status {
	case "PUT_OK":
		code = protocol.Success
	case "FLUSH_DISK_TIMEOUT":
		code = protocol.FlushDiskTimeout
	case "FLUSH_SLAVE_TIMEOUT":
		code = protocol.FlushSlaveTimeout
	case "SLAVE_NOT_AVAILABLE":
		code = protocol.SlaveNotAvailable
	case "CREATE_MAPEDFILE_FAILED":
		b.stats.putFailed.Add(1)
		return remark(resp, protocol.SystemError, "create mapped file failed, server is busy or broken.")
	case "MESSAGE_ILLEGAL", "PROPERTIES_SIZE_EXCEEDED":
		b.stats.putFailed.Add(1)
		return remark(resp, protocol.MessageIllegal, illegalRemark(b.storeCfg.MaxMessageSize))
	case "SERVICE_NOT_AVAILABLE":
		b.stats.putFailed.Add(1)
		return remark(resp, protocol.ServiceNotAvailable, "service not available now. It may be caused by one of the following reasons: "+
			"the broker's disk is full ["+diskRatioText(b.storeCfg.CommitLogDir())+"], messages are put to the slave, message store has been shut down, etc.")
	case "OS_PAGECACHE_BUSY":
		b.stats.putFailed.Add(1)
		return remark(resp, protocol.SystemError, "[PC_SYNCHRONIZED]broker busy, start flow control for a while")
	case "LMQ_CONSUME_QUEUE_NUM_EXCEEDED":
		b.stats.putFailed.Add(1)
		return remark(resp, protocol.SystemError, "[LMQ_CONSUME_QUEUE_NUM_EXCEEDED]broker config enableLmq and enableMultiDispatch, lmq consumeQueue num exceed maxLmqConsumeQueueNum config num, default limit 2w.")
	case "UNKNOWN_ERROR":
		b.stats.putFailed.Add(1)
		return remark(resp, protocol.SystemError, "UNKNOWN_ERROR")
	default:
		b.stats.putFailed.Add(1)
		return remark(resp, protocol.SystemError, "UNKNOWN_ERROR DEFAULT")
	}
	b.stats.putOK.Add(int64(out.count))
	b.stats.putBytes.Add(out.bytes)
	resp.Code = int32(code)
	resp.Remark = ""
	for k, v := range protocol.EncodeHeader(&protocol.SendMessageResponseHeader{
		MsgID:       out.msgIDs,
		QueueID:     queueID,
		QueueOffset: out.queueOffset,
	}) {
		resp.SetExt(k, v)
	}
	return resp
}

// diskRatioText is the used share of the commit log's file system, as
// the SERVICE_NOT_AVAILABLE remark shows it.
func diskRatioText(path string) string {
	total, free := diskSpace(path)
	if total <= 0 {
		return "0.0"
	}
	return strconv.FormatFloat(float64(total-free)/float64(total), 'f', -1, 64)
}
