package client

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// WipeWritePerm clears the write bit of every topic of a broker name on
// every name server (WIPE_WRITE_PERM_OF_BROKER) and returns the topic
// count each reported, by name-server address.
func (a *Admin) WipeWritePerm(ctx context.Context, brokerName string) (map[string]int, error) {
	return a.permOnNameServers(ctx, protocol.WipeWritePermOfBroker, brokerName, "wipeTopicCount")
}

// AddWritePerm sets R|W on every topic of a broker name on every name
// server (ADD_WRITE_PERM_OF_BROKER).
func (a *Admin) AddWritePerm(ctx context.Context, brokerName string) (map[string]int, error) {
	return a.permOnNameServers(ctx, protocol.AddWritePermOfBroker, brokerName, "addTopicCount")
}

func (a *Admin) permOnNameServers(ctx context.Context, code protocol.RequestCode, brokerName, countKey string) (map[string]int, error) {
	ctx, cancel := a.core.timeout(ctx)
	defer cancel()
	ext := protocol.EncodeHeader(&protocol.WipeWritePermOfBrokerRequestHeader{BrokerName: brokerName})
	out := map[string]int{}
	var errs []error
	for _, addr := range a.core.ns {
		resp, err := a.core.call(ctx, addr, remotingRequest(code, ext))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n, err := offsetField(resp, countKey)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[addr] = int(n)
	}
	if err := errors.Join(errs...); err != nil {
		return out, fmt.Errorf("%s %s: %w", code, brokerName, err)
	}
	return out, nil
}

// TopicConfigs returns every topic config of one broker (GET_ALL_TOPIC_CONFIG).
func (a *Admin) TopicConfigs(ctx context.Context, brokerAddr string) (map[string]*protocol.TopicConfig, error) {
	resp, err := a.callBroker(ctx, brokerAddr, protocol.GetAllTopicConfig, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("topic configs of %s: %w", brokerAddr, err)
	}
	var w protocol.TopicConfigSerializeWrapper
	if err := decodeJSON(resp.Body, &w); err != nil {
		return nil, fmt.Errorf("topic configs of %s: %w", brokerAddr, err)
	}
	return w.TopicConfigTable, nil
}

// TopicConsumedBy returns the groups consuming a topic, merged over the
// masters of its route (QUERY_TOPIC_CONSUME_BY_WHO).
func (a *Admin) TopicConsumedBy(ctx context.Context, topic string) ([]string, error) {
	r, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("groups consuming %s: %w", topic, err)
	}
	seen := map[string]bool{}
	var out []string
	for _, addr := range masterAddrsOfRoute(r) {
		h := &protocol.QueryTopicConsumeByWhoRequestHeader{Topic: topic}
		resp, err := a.callBroker(ctx, addr, protocol.QueryTopicConsumeByWho, protocol.EncodeHeader(h), nil)
		if err != nil {
			return nil, fmt.Errorf("groups consuming %s: %w", topic, err)
		}
		var gl protocol.GroupList
		if err := decodeJSON(resp.Body, &gl); err != nil {
			return nil, fmt.Errorf("groups consuming %s from %s: %w", topic, addr, err)
		}
		for _, g := range gl.GroupList {
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	return out, nil
}

// CloneGroupOffset copies srcGroup's offsets of topic ("" = all its topics)
// to destGroup on every master of the topic's route (CLONE_GROUP_OFFSET).
func (a *Admin) CloneGroupOffset(ctx context.Context, srcGroup, destGroup, topic string, offline bool) error {
	r, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return fmt.Errorf("clone offsets %s -> %s: %w", srcGroup, destGroup, err)
	}
	h := &protocol.CloneGroupOffsetRequestHeader{SrcGroup: srcGroup, DestGroup: destGroup, Topic: topic, Offline: offline}
	for _, addr := range masterAddrsOfRoute(r) {
		if _, err := a.callBroker(ctx, addr, protocol.CloneGroupOffset, protocol.EncodeHeader(h), nil); err != nil {
			return fmt.Errorf("clone offsets %s -> %s: %w", srcGroup, destGroup, err)
		}
	}
	return nil
}

// EarliestMsgStoreTime returns the store time of the first message of mq
// (GET_EARLIEST_MSG_STORETIME); -1 when the queue is empty.
func (a *Admin) EarliestMsgStoreTime(ctx context.Context, mq MessageQueue) (int64, error) {
	ctx, cancel := a.core.timeout(ctx)
	defer cancel()
	addr, err := a.core.masterAddr(ctx, mq.Topic, mq.BrokerName)
	if err != nil {
		return 0, err
	}
	h := &protocol.GetEarliestMsgStoretimeRequestHeader{Topic: mq.Topic, QueueID: mq.QueueID, BrokerName: mq.BrokerName}
	resp, err := a.core.call(ctx, addr, remotingRequest(protocol.GetEarliestMsgStoretime, protocol.EncodeHeader(h)))
	if err != nil {
		return 0, err
	}
	return offsetField(resp, "timestamp")
}

// ResetOffsetByTime moves a group's committed offset of every queue of a
// topic to the offset stored nearest t (to the end of the queue when t is
// zero), as mqadmin resetOffsetByTime does for offline groups; with force
// false an offset only ever moves back. Consumers still running keep their
// own in-memory offsets and overwrite these, so stop them first. It returns
// the new offsets.
func (a *Admin) ResetOffsetByTime(ctx context.Context, group, topic string, t time.Time, force bool) (map[MessageQueue]int64, error) {
	r, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("reset offsets of %s on %s: %w", group, topic, err)
	}
	out := map[MessageQueue]int64{}
	for _, mq := range subscribeQueues(topic, r) {
		var target int64
		if t.IsZero() {
			target, err = a.MaxOffset(ctx, mq)
		} else {
			target, err = a.SearchOffset(ctx, mq, t)
		}
		if err != nil {
			return out, fmt.Errorf("reset offsets of %s on %s: %w", group, mqString(mq), err)
		}
		if !force {
			cur, err := a.QueryConsumerOffset(ctx, group, mq)
			if err != nil {
				return out, fmt.Errorf("reset offsets of %s on %s: %w", group, mqString(mq), err)
			}
			if cur >= 0 && cur < target {
				target = cur
			}
		}
		if err := a.UpdateConsumerOffset(ctx, group, mq, target); err != nil {
			return out, fmt.Errorf("reset offsets of %s on %s: %w", group, mqString(mq), err)
		}
		out[mq] = target
	}
	return out, nil
}

// QueryMessageByOffset reads the message at one queue offset, as mqadmin
// queryMsgByOffset does (a one-message PULL_MESSAGE as TOOLS_CONSUMER).
func (a *Admin) QueryMessageByOffset(ctx context.Context, mq MessageQueue, offset int64) (*message.MessageExt, error) {
	ctx, cancel := a.core.timeout(ctx)
	defer cancel()
	if _, err := a.core.route(ctx, mq.Topic); err != nil {
		return nil, err
	}
	sub := newTagSubscription(mq.Topic, SubAll, 0)
	res, err := a.core.pull(ctx, &pullRequest{group: toolsConsumerGroup, mq: mq, sub: &sub, offset: offset, maxNums: 1,
		sysFlag: protocol.PullFlagSubscription, timeout: a.core.cfg.RequestTimeout})
	if err != nil {
		return nil, fmt.Errorf("message at %s offset %d: %w", mqString(mq), offset, err)
	}
	if res.Status != PullFound || res.Messages[0].QueueOffset != offset {
		return nil, fmt.Errorf("message at %s offset %d: %s, next offset %s", mqString(mq), offset, res.Status, strconv.FormatInt(res.NextBeginOffset, 10))
	}
	return res.Messages[0], nil
}

// toolsConsumerGroup is the group mqadmin pulls as (MixAll.TOOLS_CONSUMER_GROUP).
const toolsConsumerGroup = "TOOLS_CONSUMER"
