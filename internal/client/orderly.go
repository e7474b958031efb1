package client

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// lockingOrderly reports whether this consumer must hold broker locks:
// orderly consumption in clustering mode.
func (pc *PushConsumer) lockingOrderly() bool {
	return pc.cfg.Orderly && pc.cfg.Model == Clustering
}

// byBroker groups queues by broker name.
func byBroker(mqs []MessageQueue) map[string][]MessageQueue {
	out := map[string][]MessageQueue{}
	for _, mq := range mqs {
		out[mq.BrokerName] = append(out[mq.BrokerName], mq)
	}
	return out
}

// lock asks each queue's master for the group lock (LOCK_BATCH_MQ) and
// returns the queues now held by this client.
func (pc *PushConsumer) lock(ctx context.Context, mqs []MessageQueue) []MessageQueue {
	var held []MessageQueue
	for name, group := range byBroker(mqs) {
		addr, err := pc.core.masterAddr(ctx, group[0].Topic, name)
		if err != nil {
			continue
		}
		body := protocol.MarshalCompact(&protocol.LockBatchRequestBody{ClientID: pc.core.clientID, ConsumerGroup: pc.cfg.Group, MQSet: group})
		resp, err := pc.core.call(ctx, addr, remotingRequestBody(protocol.LockBatchMq, body))
		if err != nil {
			pc.lg.Debug("lock queues failed", zap.String("consumerGroup", pc.cfg.Group), zap.String("brokerAddr", addr), zap.Error(err))
			continue
		}
		var ok protocol.LockBatchResponseBody
		if err := decodeJSON(resp.Body, &ok); err != nil {
			pc.lg.Debug("lock response unreadable", zap.String("brokerAddr", addr), zap.Error(err))
			continue
		}
		held = append(held, ok.LockOKMQSet...)
	}
	return held
}

// unlock releases the group lock of the queues (UNLOCK_BATCH_MQ).
func (pc *PushConsumer) unlock(ctx context.Context, mqs []MessageQueue) {
	for name, group := range byBroker(mqs) {
		addr := pc.core.brokerAddr(name, protocol.MasterID, true)
		if addr == "" {
			continue
		}
		body := protocol.MarshalCompact(&protocol.UnlockBatchRequestBody{ClientID: pc.core.clientID, ConsumerGroup: pc.cfg.Group, MQSet: group})
		if _, err := pc.core.call(ctx, addr, remotingRequestBody(protocol.UnlockBatchMq, body)); err != nil {
			pc.lg.Debug("unlock queues failed", zap.String("consumerGroup", pc.cfg.Group), zap.String("brokerAddr", addr), zap.Error(err))
		}
	}
}

// renewLocks re-locks every assigned queue (RebalanceImpl.lockAll); a
// queue the broker did not grant stops being consumed once its lock ages
// past 30 s.
func (pc *PushConsumer) renewLocks(ctx context.Context) {
	pc.mu.Lock()
	pqs := make(map[MessageQueue]*processQueue, len(pc.mu.pqs))
	for mq, q := range pc.mu.pqs {
		pqs[mq] = q
	}
	pc.mu.Unlock()
	mqs := make([]MessageQueue, 0, len(pqs))
	for mq := range pqs {
		mqs = append(mqs, mq)
	}
	lctx, cancel := pc.core.timeout(ctx)
	defer cancel()
	now := nowMillis()
	for _, mq := range pc.lock(lctx, mqs) {
		if q := pqs[mq]; q != nil {
			q.lockedAt.Store(now)
		}
	}
}

// orderlyLoop consumes one queue in offset order (ConsumeMessageOrderlyService).
func (pc *PushConsumer) orderlyLoop(ctx context.Context, q *processQueue) {
	defer pc.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.signal:
		}
		for !q.dropped.Load() {
			if pc.lockingOrderly() && !q.lockFresh() {
				// Not ours (yet): wait for the lock renewal.
				if !sleep(ctx, pc.cfg.SuspendCurrentQueueTime) {
					return
				}
				continue
			}
			msgs := q.lowest(pc.cfg.ConsumeBatchSize)
			if len(msgs) == 0 {
				break
			}
			if !pc.consumeOrderly(ctx, q, msgs) {
				return
			}
		}
	}
}

// consumeOrderly runs the handler on one batch; on failure it retries the
// same batch after a pause, and past the retry limit sends it to the DLQ.
// It reports false when the consumer is stopping.
func (pc *PushConsumer) consumeOrderly(ctx context.Context, q *processQueue, msgs []*message.MessageExt) bool {
	pc.beforeConsume(msgs)
	h := pc.handlerFor(msgs[0].Topic)
	result := ConsumeSuccess
	if h != nil {
		result = pc.runHandler(h, msgs)
	}
	if q.dropped.Load() {
		return true
	}
	if result == ConsumeRetryLater {
		limit := int32(pc.cfg.MaxReconsumeTimes)
		exhausted := false
		for _, m := range msgs {
			if m.ReconsumeTimes >= limit {
				exhausted = true
			}
		}
		if !exhausted || pc.cfg.Model == Broadcasting {
			for _, m := range msgs {
				m.ReconsumeTimes++
			}
			return sleep(ctx, pc.cfg.SuspendCurrentQueueTime)
		}
		for _, m := range msgs {
			if err := pc.sendBackLevel(m, q.mq, -1, limit); err != nil {
				pc.lg.Warn("dead-letter of an orderly message failed, consuming again later", zap.String("msgId", m.ClientMsgID()), zap.Error(err))
				return sleep(ctx, pc.cfg.SuspendCurrentQueueTime)
			}
		}
	}
	if off := q.remove(msgs); off >= 0 {
		pc.offsets.update(q.mq, off, true)
	}
	return true
}

// remotingRequestBody is remoting.NewRequest without custom header fields.
func remotingRequestBody(code protocol.RequestCode, body []byte) *remoting.Command {
	return remoting.NewRequest(code, nil, body)
}

// nowMillis is the wall clock in unix ms.
func nowMillis() int64 { return time.Now().UnixMilli() }
