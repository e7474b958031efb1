package client

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// PullStatus is the outcome of a pull (PullStatus.java).
type PullStatus int

// Pull statuses, from PULL_MESSAGE codes 0, 19, 20 and 21.
const (
	PullFound PullStatus = iota
	PullNoNewMsg
	PullNoMatchedMsg
	PullOffsetIllegal
)

func (s PullStatus) String() string {
	switch s {
	case PullFound:
		return "FOUND"
	case PullNoNewMsg:
		return "NO_NEW_MSG"
	case PullNoMatchedMsg:
		return "NO_MATCHED_MSG"
	case PullOffsetIllegal:
		return "OFFSET_ILLEGAL"
	}
	return "PullStatus(" + strconv.Itoa(int(s)) + ")"
}

// PullResult is one pull's answer. Messages are decoded, inflated,
// re-filtered by tag and carry MIN_OFFSET/MAX_OFFSET properties.
type PullResult struct {
	Status               PullStatus
	NextBeginOffset      int64
	MinOffset            int64
	MaxOffset            int64
	SuggestWhichBrokerID int64
	Messages             []*message.MessageExt
}

// pullRequest is everything one PULL_MESSAGE needs.
type pullRequest struct {
	group        string
	mq           MessageQueue
	sub          *protocol.SubscriptionData
	offset       int64
	maxNums      int32
	sysFlag      int32
	commitOffset int64
	suspend      time.Duration // broker hold time; 0 = no long polling
	timeout      time.Duration // client wait
	brokerID     int64         // broker id to pull from (suggested)
}

// header builds the PULL_MESSAGE header (wire-protocol.md §8.3).
func (r *pullRequest) header() *protocol.PullMessageRequestHeader {
	h := &protocol.PullMessageRequestHeader{
		ConsumerGroup:        r.group,
		Topic:                r.mq.Topic,
		QueueID:              r.mq.QueueID,
		QueueOffset:          r.offset,
		MaxMsgNums:           r.maxNums,
		SysFlag:              r.sysFlag,
		CommitOffset:         r.commitOffset,
		SuspendTimeoutMillis: r.suspend.Milliseconds(),
		SubVersion:           r.sub.SubVersion,
		ExpressionType:       r.sub.ExpressionType,
		BrokerName:           r.mq.BrokerName,
	}
	if r.suspend > 0 {
		h.SysFlag |= protocol.PullFlagSuspend
	}
	if r.sysFlag&protocol.PullFlagSubscription != 0 {
		h.Subscription = r.sub.SubString
	}
	return h
}

// pull sends one PULL_MESSAGE to the suggested broker of the queue's
// broker name and decodes the answer.
func (c *core) pull(ctx context.Context, r *pullRequest) (*PullResult, error) {
	addr := c.brokerAddr(r.mq.BrokerName, r.brokerID, false)
	if addr == "" {
		if _, _, err := c.updateRoute(ctx, r.mq.Topic); err != nil {
			return nil, err
		}
		if addr = c.brokerAddr(r.mq.BrokerName, r.brokerID, false); addr == "" {
			return nil, fmt.Errorf("pull %s: broker %s: %w", mqString(r.mq), r.mq.BrokerName, ErrNoBrokerAddr)
		}
	}
	if r.brokerID != protocol.MasterID {
		r.sysFlag &^= protocol.PullFlagCommitOffset // slaves take no offsets
	}
	tctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	resp, err := c.invoke(tctx, addr, remoting.NewRequest(protocol.PullMessage, protocol.EncodeHeader(r.header()), nil))
	if err != nil {
		return nil, err
	}
	return pullResultOf(resp, addr, r.mq, r.sub)
}

// pullResultOf maps a PULL_MESSAGE response (MQClientAPIImpl.processPullResponse,
// PullAPIWrapper.processPullResult).
func pullResultOf(resp *remoting.Command, addr string, mq MessageQueue, sub *protocol.SubscriptionData) (*PullResult, error) {
	res := &PullResult{}
	switch resp.ResponseCode() {
	case protocol.Success:
		res.Status = PullFound
	case protocol.PullNotFound:
		res.Status = PullNoNewMsg
	case protocol.PullRetryImmediately:
		res.Status = PullNoMatchedMsg
	case protocol.PullOffsetMoved:
		res.Status = PullOffsetIllegal
	default:
		return nil, &BrokerError{Code: resp.ResponseCode(), Remark: resp.Remark, Addr: addr}
	}
	var h protocol.PullMessageResponseHeader
	if err := protocol.DecodeHeader(resp.ExtFields, &h); err != nil {
		return nil, fmt.Errorf("pull response from %s: %w", addr, err)
	}
	res.NextBeginOffset, res.MinOffset, res.MaxOffset, res.SuggestWhichBrokerID = h.NextBeginOffset, h.MinOffset, h.MaxOffset, h.SuggestWhichBrokerID
	if res.Status != PullFound {
		return res, nil
	}
	msgs, err := message.DecodeMessages(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("pull body from %s for %s: %w", addr, mqString(mq), err)
	}
	minS, maxS := strconv.FormatInt(h.MinOffset, 10), strconv.FormatInt(h.MaxOffset, 10)
	for _, m := range msgs {
		if !matchTag(sub, m.Tags()) {
			continue
		}
		if m.SysFlag&message.SysFlagCompressed != 0 {
			if body, err := m.UncompressedBody(); err == nil {
				m.Body = body
			}
		}
		m.SetProperty(message.PropertyMinOffset, minS)
		m.SetProperty(message.PropertyMaxOffset, maxS)
		res.Messages = append(res.Messages, m)
	}
	if len(res.Messages) == 0 {
		// Every message was a tag-hash collision: nothing for this consumer.
		res.Status = PullNoMatchedMsg
	}
	return res, nil
}

// queryOffset reads a group's committed offset of a queue from the
// master; QUERY_NOT_FOUND gives -1 and no error.
func (c *core) queryOffset(ctx context.Context, group string, mq MessageQueue) (int64, error) {
	addr, err := c.masterAddr(ctx, mq.Topic, mq.BrokerName)
	if err != nil {
		return 0, err
	}
	h := &protocol.QueryConsumerOffsetRequestHeader{ConsumerGroup: group, Topic: mq.Topic, QueueID: mq.QueueID, BrokerName: mq.BrokerName}
	resp, err := c.call(ctx, addr, remoting.NewRequest(protocol.QueryConsumerOffset, protocol.EncodeHeader(h), nil))
	if code, ok := CodeOf(err); ok && code == protocol.QueryNotFound {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	return offsetField(resp, "offset")
}

// updateOffset commits a group's offset of a queue to the master.
func (c *core) updateOffset(ctx context.Context, group string, mq MessageQueue, offset int64, oneway bool) error {
	addr, err := c.masterAddr(ctx, mq.Topic, mq.BrokerName)
	if err != nil {
		return err
	}
	h := &protocol.UpdateConsumerOffsetRequestHeader{ConsumerGroup: group, Topic: mq.Topic, QueueID: mq.QueueID, CommitOffset: offset, BrokerName: mq.BrokerName}
	req := remoting.NewRequest(protocol.UpdateConsumerOffset, protocol.EncodeHeader(h), nil)
	if oneway {
		return c.rc.InvokeOneway(addr, req)
	}
	_, err = c.call(ctx, addr, req)
	return err
}

// queueOffsetCall sends GET_MAX_OFFSET, GET_MIN_OFFSET or
// SEARCH_OFFSET_BY_TIMESTAMP (timestamp >= 0) to the queue's master.
func (c *core) queueOffsetCall(ctx context.Context, code protocol.RequestCode, mq MessageQueue, timestamp int64) (int64, error) {
	addr, err := c.masterAddr(ctx, mq.Topic, mq.BrokerName)
	if err != nil {
		return 0, err
	}
	var ext map[string]string
	switch code {
	case protocol.SearchOffsetByTimestamp:
		ext = protocol.EncodeHeader(&protocol.SearchOffsetRequestHeader{Topic: mq.Topic, QueueID: mq.QueueID, Timestamp: timestamp, BrokerName: mq.BrokerName})
	default:
		ext = protocol.EncodeHeader(&protocol.GetMaxOffsetRequestHeader{Topic: mq.Topic, QueueID: mq.QueueID, BrokerName: mq.BrokerName})
	}
	resp, err := c.call(ctx, addr, remoting.NewRequest(code, ext, nil))
	if err != nil {
		return 0, err
	}
	return offsetField(resp, "offset")
}

// offsetField reads a numeric response header field.
func offsetField(resp *remoting.Command, key string) (int64, error) {
	v, ok := resp.ExtFields[key]
	if !ok {
		return 0, fmt.Errorf("%s response: no %s field", resp.ResponseCode(), key)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s response: field %s is not a number: %q", resp.ResponseCode(), key, v)
	}
	return n, nil
}
