package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// Requests brokers send to consumers (wire-protocol.md §4.4, §9.7–§9.9).
// Their headers are not in package protocol yet; these mirror the Java
// classes and should move there.

// resetOffsetRequestHeader is RESET_CONSUMER_CLIENT_OFFSET's header
// (ResetOffsetRequestHeader.java); the key is literally "isForce".
type resetOffsetRequestHeader struct {
	Topic     string `rmq:"topic,required"`
	Group     string `rmq:"group,required"`
	Timestamp int64  `rmq:"timestamp,required"`
	IsForce   bool   `rmq:"isForce,required"`
}

// getConsumerStatusRequestHeader is GET_CONSUMER_STATUS_FROM_CLIENT's
// header (GetConsumerStatusRequestHeader.java).
type getConsumerStatusRequestHeader struct {
	Topic      string `rmq:"topic,required"`
	Group      string `rmq:"group,required"`
	ClientAddr string `rmq:"clientAddr"`
}

// consumeMessageDirectlyHeader is CONSUME_MESSAGE_DIRECTLY's header
// (ConsumeMessageDirectlyResultRequestHeader.java).
type consumeMessageDirectlyHeader struct {
	ConsumerGroup string `rmq:"consumerGroup,required"`
	ClientID      string `rmq:"clientId"`
	MsgID         string `rmq:"msgId"`
	BrokerName    string `rmq:"brokerName"`
}

// registerBrokerCalls installs the handlers of requests brokers send to a
// push consumer.
func (pc *PushConsumer) registerBrokerCalls() {
	rc := pc.core.rc
	rc.Register(protocol.ResetConsumerClientOffset, pc.onResetOffset)
	rc.Register(protocol.GetConsumerStatusFromClient, pc.onGetConsumerStatus)
	rc.Register(protocol.GetConsumerRunningInfo, pc.onGetRunningInfo)
	rc.Register(protocol.ConsumeMessageDirectly, pc.onConsumeDirectly)
}

// encodeMQMap writes a MessageQueue-keyed map the way fastjson does:
// object keys, queues sorted.
func encodeMQMap[V any](m map[MessageQueue]V) []byte {
	mqs := make([]MessageQueue, 0, len(m))
	for mq := range m {
		mqs = append(mqs, mq)
	}
	slices.SortFunc(mqs, compareQueues)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, mq := range mqs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(protocol.MarshalCompact(&mq))
		b.WriteByte(':')
		b.Write(protocol.MarshalCompact(m[mq]))
	}
	b.WriteByte('}')
	return b.Bytes()
}

// onResetOffset applies offsets a broker pushes (RESET_CONSUMER_CLIENT_OFFSET,
// oneway): the topic's queues stop, their offsets are set and persisted,
// and a rebalance restarts them from there (MQClientInstance.resetOffset).
func (pc *PushConsumer) onResetOffset(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h resetOffsetRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil || h.Group != pc.cfg.Group {
		return nil
	}
	table, err := decodeMQTable[int64](append(append([]byte(`{"offsetTable":`), extractOffsetTable(req.Body)...), '}'), nil)
	if err != nil {
		pc.lg.Warn("reset offset body unreadable", zap.String("consumerGroup", h.Group), zap.Error(err))
		return nil
	}
	pc.resetOffsets(h.Topic, table)
	return nil
}

// extractOffsetTable returns the value of the body's offsetTable member,
// or "{}".
func extractOffsetTable(body []byte) []byte {
	var w struct {
		OffsetTable json.RawMessage `json:"offsetTable"`
	}
	norm, err := normalizeJSON(body)
	if err != nil || json.Unmarshal(norm, &w) != nil || len(w.OffsetTable) == 0 {
		return []byte("{}")
	}
	return w.OffsetTable
}

func (pc *PushConsumer) resetOffsets(topic string, table map[MessageQueue]int64) {
	pc.rebMu.Lock()
	defer pc.rebMu.Unlock()
	pc.mu.Lock()
	if !pc.mu.running {
		pc.mu.Unlock()
		return
	}
	var stop []*processQueue
	for mq, q := range pc.mu.pqs {
		if mq.Topic == topic {
			stop = append(stop, q)
			delete(pc.mu.pqs, mq)
		}
	}
	pc.mu.Unlock()
	for _, q := range stop {
		q.dropped.Store(true)
		q.cancel()
		<-q.done
	}
	var mqs []MessageQueue
	for mq, off := range table {
		if mq.Topic == topic {
			pc.offsets.update(mq, off, false)
			mqs = append(mqs, mq)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), pc.core.cfg.RequestTimeout)
	_ = pc.offsets.persist(ctx, mqs)
	cancel()
	for _, q := range stop {
		pc.offsets.remove(q.mq)
	}
	pc.triggerRebalance()
}

// onGetConsumerStatus answers GET_CONSUMER_STATUS_FROM_CLIENT with the
// offsets of the topic's assigned queues (GetConsumerStatusBody).
func (pc *PushConsumer) onGetConsumerStatus(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h getConsumerStatusRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	table := map[MessageQueue]int64{}
	for _, mq := range pc.Assigned() {
		if mq.Topic != h.Topic {
			continue
		}
		if off, err := pc.offsets.read(context.Background(), mq, false); err == nil {
			table[mq] = off
		}
	}
	resp := remoting.NewResponse(req, protocol.Success, "")
	var b bytes.Buffer
	b.WriteString(`{"consumerTable":{},"messageQueueTable":`)
	b.Write(encodeMQMap(table))
	b.WriteByte('}')
	resp.Body = b.Bytes()
	return resp
}

// processQueueInfo is one queue's state in ConsumerRunningInfo
// (ProcessQueueInfo.java).
type processQueueInfo struct {
	CachedMsgCount          int   `json:"cachedMsgCount"`
	CachedMsgMaxOffset      int64 `json:"cachedMsgMaxOffset"`
	CachedMsgMinOffset      int64 `json:"cachedMsgMinOffset"`
	CachedMsgSizeInMiB      int   `json:"cachedMsgSizeInMiB"`
	CommitOffset            int64 `json:"commitOffset"`
	Droped                  bool  `json:"droped"`
	LastConsumeTimestamp    int64 `json:"lastConsumeTimestamp"`
	LastLockTimestamp       int64 `json:"lastLockTimestamp"`
	LastPullTimestamp       int64 `json:"lastPullTimestamp"`
	Locked                  bool  `json:"locked"`
	TransactionMsgCount     int   `json:"transactionMsgCount"`
	TransactionMsgMaxOffset int64 `json:"transactionMsgMaxOffset"`
	TransactionMsgMinOffset int64 `json:"transactionMsgMinOffset"`
	TryUnlockTimes          int64 `json:"tryUnlockTimes"`
}

// onGetRunningInfo answers GET_CONSUMER_RUNNING_INFO with a
// ConsumerRunningInfo body: properties, subscriptions and per-queue state.
func (pc *PushConsumer) onGetRunningInfo(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumerRunningInfoRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	if h.ConsumerGroup != pc.cfg.Group {
		return remoting.NewResponse(req, protocol.SystemError, fmt.Sprintf("The Consumer Group <%s> not exist in this consumer", h.ConsumerGroup))
	}
	props := map[string]string{
		"PROP_CONSUMEORDERLY":                strconv.FormatBool(pc.cfg.Orderly),
		"PROP_CONSUME_TYPE":                  protocol.ConsumePassively,
		"PROP_THREADPOOL_CORE_SIZE":          strconv.Itoa(pc.cfg.ConsumeGoroutines),
		"PROP_CONSUMER_START_TIMESTAMP":      strconv.FormatInt(pc.subStart.Load(), 10),
		"PROP_NAMESERVER_ADDR":               joinNS(pc.core.ns),
		"PROP_CLIENT_VERSION":                "V4_9_8",
		"consumerGroup":                      pc.cfg.Group,
		"messageModel":                       pc.cfg.Model.String(),
		"consumeFromWhere":                   pc.cfg.FromWhere.String(),
		"pullBatchSize":                      strconv.Itoa(pc.cfg.PullBatchSize),
		"consumeMessageBatchMaxSize":         strconv.Itoa(pc.cfg.ConsumeBatchSize),
		"pullThresholdForQueue":              strconv.Itoa(pc.cfg.PullThresholdForQueue),
		"maxReconsumeTimes":                  strconv.Itoa(pc.cfg.MaxReconsumeTimes),
		"suspendCurrentQueueTimeMillis":      strconv.FormatInt(pc.cfg.SuspendCurrentQueueTime.Milliseconds(), 10),
		"persistConsumerOffsetInterval":      strconv.FormatInt(pc.cfg.PersistInterval.Milliseconds(), 10),
		"heartbeatBrokerInterval":            strconv.FormatInt(pc.core.cfg.HeartbeatInterval.Milliseconds(), 10),
		"pollNameServerInterval":             strconv.FormatInt(pc.core.cfg.PollNameServerInterval.Milliseconds(), 10),
		"clientIP":                           pc.core.cfg.ClientIP,
		"instanceName":                       pc.core.cfg.InstanceName,
		"PROP_CLIENT_PID":                    strconv.Itoa(os.Getpid()),
		"consumeTimestamp":                   pc.cfg.ConsumeTimestamp.Format("20060102150405"),
		"adjustThreadPoolNumsThreshold":      "100000",
		"unitMode":                           "false",
		"postSubscriptionWhenPull":           "false",
		"allocateMessageQueueStrategy":       "AVG",
		"consumeConcurrentlyMaxSpan":         "2000",
		"pullInterval":                       "0",
		"consumeTimeout":                     "15",
		"awaitTerminationMillisWhenShutdown": "0",
	}
	pc.mu.Lock()
	mqTable := map[MessageQueue]processQueueInfo{}
	for mq, q := range pc.mu.pqs {
		info := processQueueInfo{Droped: q.dropped.Load(), Locked: q.lockFresh(), LastLockTimestamp: q.lockedAt.Load()}
		q.mu.Lock()
		info.CachedMsgCount = len(q.msgs)
		info.CachedMsgMinOffset, info.CachedMsgMaxOffset = -1, -1
		for off, m := range q.msgs {
			if info.CachedMsgMinOffset < 0 || off < info.CachedMsgMinOffset {
				info.CachedMsgMinOffset = off
			}
			info.CachedMsgMaxOffset = max(info.CachedMsgMaxOffset, off)
			info.CachedMsgSizeInMiB += len(m.Body)
		}
		q.mu.Unlock()
		if info.CachedMsgMinOffset < 0 {
			info.CachedMsgMinOffset, info.CachedMsgMaxOffset = 0, 0
		}
		info.CachedMsgSizeInMiB >>= 20
		if off, ok := pc.commitOffset(mq); ok {
			info.CommitOffset = off
		}
		mqTable[mq] = info
	}
	pc.mu.Unlock()
	var b bytes.Buffer
	b.WriteString(`{"jstack":"","mqTable":`)
	b.Write(encodeMQMap(mqTable))
	b.WriteString(`,"properties":`)
	b.Write(protocol.MarshalCompact(props))
	b.WriteString(`,"statusTable":{},"subscriptionSet":`)
	b.Write(protocol.MarshalCompact(pc.subscriptions()))
	b.WriteByte('}')
	resp := remoting.NewResponse(req, protocol.Success, "")
	resp.Body = b.Bytes()
	return resp
}

// commitOffset returns the in-memory offset of a queue.
func (pc *PushConsumer) commitOffset(mq MessageQueue) (int64, bool) {
	switch s := pc.offsets.(type) {
	case *remoteOffsetStore:
		return s.get(mq)
	case *localOffsetStore:
		return s.get(mq)
	}
	return 0, false
}

func joinNS(ns []string) string {
	var b bytes.Buffer
	for i, a := range ns {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(a)
	}
	return b.String()
}

// consumeDirectlyResult is ConsumeMessageDirectlyResult.java.
type consumeDirectlyResult struct {
	AutoCommit     bool   `json:"autoCommit"`
	ConsumeResult  string `json:"consumeResult"`
	Order          bool   `json:"order"`
	Remark         string `json:"remark"`
	SpentTimeMills int64  `json:"spentTimeMills"`
}

// onConsumeDirectly runs the handler on the message in the body and
// reports the outcome (CONSUME_MESSAGE_DIRECTLY; nothing is committed or
// sent back).
func (pc *PushConsumer) onConsumeDirectly(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h consumeMessageDirectlyHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	msgs, err := message.DecodeMessages(req.Body)
	if err != nil || len(msgs) != 1 {
		return remoting.NewResponse(req, protocol.SystemError, fmt.Sprintf("decode the message: %d messages, %v", len(msgs), err))
	}
	m := msgs[0]
	inflate(m)
	pc.beforeConsume(msgs)
	res := consumeDirectlyResult{AutoCommit: true, Order: pc.cfg.Orderly}
	handler := pc.handlerFor(m.Topic)
	start := time.Now()
	switch {
	case handler == nil:
		res.ConsumeResult, res.Remark = "CR_RETURN_NULL", "no handler for topic "+m.Topic
	default:
		switch pc.runHandler(handler, msgs) {
		case ConsumeSuccess:
			res.ConsumeResult = "CR_SUCCESS"
		default:
			res.ConsumeResult = "CR_LATER"
		}
	}
	res.SpentTimeMills = time.Since(start).Milliseconds()
	resp := remoting.NewResponse(req, protocol.Success, "")
	resp.Body = protocol.MarshalCompact(&res)
	return resp
}
