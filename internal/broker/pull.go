package broker

import (
	"fmt"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// maxPullHold bounds how long a pull is held whatever its
// suspendTimeoutMillis says. Clients ask for 15–20 s and give up after
// 30 s, so a longer hold only keeps a request nobody waits for.
const maxPullHold = time.Minute

// processPull serves PULL_MESSAGE (11) on the main port
// (PullMessageProcessor.java). A pull that finds nothing and may be
// suspended is parked in the hold and answered later with Conn.Reply; the
// handler then returns nil and its worker is free at once.
func (b *Broker) processPull(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	return b.pull(c, req, true)
}

// pull runs one pull. allowSuspend is false when a held pull is re-run:
// its answer is then final, and the commit offset is not stored again.
func (b *Broker) pull(c *remoting.Conn, req *remoting.Command, allowSuspend bool) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.SystemError, "")
	var h protocol.PullMessageRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remark(resp, protocol.SystemError, err.Error())
	}
	if !protocol.Readable(int32(b.rc().BrokerPermission)) {
		return remark(resp, protocol.NoPermission, fmt.Sprintf("the broker[%s] pulling message is forbidden", b.rc().BrokerIP1))
	}
	gc := b.groups.FindOrCreate(h.ConsumerGroup)
	if gc == nil {
		return remark(resp, protocol.SubscriptionGroupNotExist,
			fmt.Sprintf("subscription group [%s] does not exist, %s", h.ConsumerGroup, faqNoTopicURL))
	}
	if !gc.ConsumeEnable {
		return remark(resp, protocol.NoPermission, "subscription group no permission, "+h.ConsumerGroup)
	}
	tc := b.topics.Get(h.Topic)
	if tc == nil {
		return remark(resp, protocol.TopicNotExist, fmt.Sprintf("topic[%s] not exist, apply first please! %s", h.Topic, faqNoTopicURL))
	}
	if !protocol.Readable(tc.Perm) {
		return remark(resp, protocol.NoPermission, "the topic["+h.Topic+"] pulling message is forbidden")
	}
	if h.QueueID < 0 || h.QueueID >= tc.ReadQueueNums {
		return remark(resp, protocol.SystemError, fmt.Sprintf("queueId[%d] is illegal, topic:[%s] topicConfig.readQueueNums:[%d] consumer:[%s]",
			h.QueueID, h.Topic, tc.ReadQueueNums, c.RemoteAddr()))
	}

	filter, code, text := b.pullFilter(&h, gc.ConsumeBroadcastEnable)
	if filter == nil {
		return remark(resp, code, text)
	}

	r := b.getMessage(h.ConsumerGroup, h.Topic, h.QueueID, h.QueueOffset, h.MaxMsgNums, filter)
	respHdr := protocol.PullMessageResponseHeader{
		NextBeginOffset: r.nextBeginOffset,
		MinOffset:       r.minOffset,
		MaxOffset:       r.maxOffset,
	}
	if b.rc().SlaveReadEnable {
		// Java: a consumer lagging past the in-memory window is sent to
		// the group's slow-consumption broker, else to its usual one.
		respHdr.SuggestWhichBrokerID = gc.BrokerID
		if r.fromSlave {
			respHdr.SuggestWhichBrokerID = gc.WhichBrokerWhenConsumeSlowly
		}
	}
	resp.Remark = r.status
	switch {
	case r.found:
		resp.Code = int32(protocol.Success)
		resp.Body = r.body
		b.stats.getFound.Add(int64(r.count))
	case r.code == protocol.PullOffsetMoved && b.isSlave() && !b.storeOffsetCheckInSlave():
		resp.Code = int32(protocol.PullRetryImmediately)
		respHdr.NextBeginOffset = h.QueueOffset
	default:
		resp.Code = int32(r.code)
	}
	if b.isSlave() && !b.rc().SlaveReadEnable {
		resp.Code = int32(protocol.PullRetryImmediately)
		respHdr.SuggestWhichBrokerID = 0
	}
	for k, v := range protocol.EncodeHeader(&respHdr) {
		resp.SetExt(k, v)
	}

	if resp.Code == int32(protocol.PullOffsetMoved) {
		b.offsetMovedEvent(&h, respHdr.NextBeginOffset)
	}

	if allowSuspend && h.SysFlag&protocol.PullFlagCommitOffset != 0 && !b.isSlave() {
		b.offsets.CommitOffset(c.RemoteAddr(), h.ConsumerGroup, h.Topic, h.QueueID, h.CommitOffset)
	}

	if resp.Code == int32(protocol.PullNotFound) && allowSuspend && h.SysFlag&protocol.PullFlagSuspend != 0 {
		hold := min(time.Duration(h.SuspendTimeoutMillis)*time.Millisecond, maxPullHold)
		if !b.rc().LongPollingEnable {
			hold = time.Duration(b.rc().ShortPollingTimeMills) * time.Millisecond
		}
		if hold > 0 {
			b.hold.hold(&heldPull{
				topic:      h.Topic,
				queueID:    h.QueueID,
				pullOffset: h.QueueOffset,
				filter:     filter,
				deadline:   time.Now().Add(hold),
				resume: func() {
					if c.Closed() {
						return // the consumer left; nobody to answer
					}
					if r := b.pull(c, req, false); r != nil {
						if err := c.Reply(r); err != nil {
							b.lg.Debug("reply to held pull failed", zap.String("remote", c.RemoteAddr()), zap.Error(err))
						}
					}
				},
			})
			return nil
		}
	}
	return resp
}

// pullFilter picks the tag filter of a pull: from the request when it
// carries its subscription, else from the group's heartbeat subscription.
// On failure the filter is nil and code/text are the answer.
func (b *Broker) pullFilter(h *protocol.PullMessageRequestHeader, broadcastEnable bool) (*tagFilter, protocol.ResponseCode, string) {
	if h.SysFlag&protocol.PullFlagSubscription != 0 {
		switch h.ExpressionType {
		case "", "TAG":
			return parseTagFilter(h.Subscription), protocol.Success, ""
		case "SQL92":
			return nil, protocol.SystemError, "The broker does not support consumer to filter message by SQL92"
		default:
			return nil, protocol.SubscriptionParseFailed, "parse the consumer's subscription failed"
		}
	}
	sub, model, ok := b.consumerSubscription(h.ConsumerGroup, h.Topic)
	if !ok {
		return nil, protocol.SubscriptionNotExist, fmt.Sprintf("the consumer's group info not exist%s", faqNoTopicURL)
	}
	if model == "BROADCASTING" && !broadcastEnable {
		return nil, protocol.NoPermission, fmt.Sprintf("the consumer group[%s] can not consume by broadcast way", h.ConsumerGroup)
	}
	if sub == nil {
		return nil, protocol.SubscriptionNotExist, "the consumer's subscription not exist" + faqNoTopicURL
	}
	if sub.subVersion < h.SubVersion {
		return nil, protocol.SubscriptionNotLatest, "the consumer's subscription not latest"
	}
	if sub.expressionType == "SQL92" {
		return nil, protocol.SystemError, "The broker does not support consumer to filter message by SQL92"
	}
	return tagFilterFromTags(sub.subString, sub.tags), protocol.Success, ""
}

// subscriptionView is what the pull path needs of a heartbeat subscription.
type subscriptionView struct {
	subString      string
	tags           []string
	subVersion     int64
	expressionType string
}

// pullResult is a store read turned into the pull's answer.
type pullResult struct {
	found           bool
	code            protocol.ResponseCode // when !found
	status          string                // store status name, the remark
	nextBeginOffset int64
	minOffset       int64
	maxOffset       int64
	body            []byte
	count           int
	fromSlave       bool // the store suggests pulling from a slave
}

// offsetMovedEvent records an OFFSET_MOVED_EVENT message
// (PullMessageProcessor.generateOffsetMovedEvent): queue 0, tags and keys
// the group, body the OffsetMovedEvent JSON.
func (b *Broker) offsetMovedEvent(h *protocol.PullMessageRequestHeader, offsetNew int64) {
	body := fmt.Sprintf(`{"consumerGroup":%s,"messageQueue":{"brokerName":%s,"queueId":%d,"topic":%s},"offsetNew":%d,"offsetRequest":%d}`,
		strconv.Quote(h.ConsumerGroup), strconv.Quote(b.rc().BrokerName), h.QueueID, strconv.Quote(h.Topic), offsetNew, h.QueueOffset)
	b.putInternal(TopicOffsetMovedEvent, 0, h.ConsumerGroup, h.ConsumerGroup, []byte(body))
}
