package broker

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
	"github.com/gorocket/gorocket/internal/store"
)

// Transactional messages (wire-protocol.md §7.7, §7.8; storage-ha-config.md
// §11.2). A half message sits in RMQ_SYS_TRANS_HALF_TOPIC queue 0 (see
// sendOne). END_TRANSACTION commits it (a copy goes to its real topic) or
// rolls it back; either way an op message in RMQ_SYS_TRANS_OP_HALF_TOPIC,
// tag "d", body the half message's queue offset, marks it done. The check
// loop asks producers about half messages left undecided.
const (
	transOpRemoveTag    = "d"                 // TransactionalMessageUtil.REMOVETAG
	transCheckGroup     = "CID_RMQ_SYS_TRANS" // whose offsets track the check loop
	transCheckBatchSize = 32
)

// processEndTransaction serves END_TRANSACTION (37)
// (EndTransactionProcessor.java). Unknown outcomes get no response.
func (b *Broker) processEndTransaction(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.SystemError, "")
	var h protocol.EndTransactionRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remark(resp, protocol.SystemError, err.Error())
	}
	if b.isSlave() {
		return remark(resp, protocol.SlaveNotAvailable, "Can't find prepared transaction message in slave broker")
	}
	commit := h.CommitOrRollback == message.SysFlagTransactionCommit
	if !commit && h.CommitOrRollback != message.SysFlagTransactionRollback {
		return nil // TRANSACTION_NOT_TYPE or garbage: Java answers nothing
	}
	half, err := b.lookMessage(h.CommitLogOffset)
	if err != nil || half == nil || half.Topic != TopicTransHalf {
		return remark(resp, protocol.SystemError, "Find prepared transaction message failed")
	}
	switch {
	case half.Properties[message.PropertyProducerGroup] != h.ProducerGroup:
		return remark(resp, protocol.SystemError, "The producer group wrong")
	case half.QueueOffset != h.TranStateTableOffset:
		return remark(resp, protocol.SystemError, "The transaction state table offset wrong")
	case half.CommitLogOffset != h.CommitLogOffset:
		return remark(resp, protocol.SystemError, "The commit log offset wrong")
	}
	if commit {
		out := b.putMessage(endMessage(half, b.storeHost))
		switch out.status {
		case "PUT_OK", "FLUSH_DISK_TIMEOUT", "FLUSH_SLAVE_TIMEOUT", "SLAVE_NOT_AVAILABLE":
		default:
			return b.putResponse(resp, out, 0)
		}
	}
	if err := b.markTransactionDone(half); err != nil {
		return remark(resp, protocol.SystemError, err.Error())
	}
	return remark(resp, protocol.Success, "")
}

// endMessage is the committed copy of a half message: its real topic and
// queue, transaction type COMMIT, the half message's offset as prepared
// offset, without TRAN_MSG, REAL_TOPIC and REAL_QID
// (EndTransactionProcessor.endMessageTransaction).
func endMessage(half *message.MessageExt, storeHost netip.AddrPort) *message.MessageExt {
	props := make(map[string]string, len(half.Properties))
	for k, v := range half.Properties {
		props[k] = v
	}
	topic := props[message.PropertyRealTopic]
	qid, _ := strconv.Atoi(props[message.PropertyRealQueueID])
	delete(props, message.PropertyTransactionPrepared)
	delete(props, message.PropertyRealTopic)
	delete(props, message.PropertyRealQueueID)
	return &message.MessageExt{
		Message: message.Message{
			Topic:      topic,
			Flag:       half.Flag,
			Properties: props,
			Body:       half.Body,
		},
		QueueID:                   int32(qid),
		SysFlag:                   message.ResetTransactionType(half.SysFlag, message.SysFlagTransactionCommit),
		BornTimestamp:             half.BornTimestamp,
		BornHost:                  half.BornHost,
		StoreHost:                 storeHost,
		ReconsumeTimes:            half.ReconsumeTimes,
		PreparedTransactionOffset: half.CommitLogOffset,
	}
}

// markTransactionDone writes the op message that closes a half message.
func (b *Broker) markTransactionDone(half *message.MessageExt) error {
	if _, err := b.topics.CreateTopicInSendMessageBack(TopicTransOpHalf, 1, protocol.PermWrite|protocol.PermRead, 0); err != nil {
		return err
	}
	m := &message.MessageExt{
		Message: message.Message{
			Topic:      TopicTransOpHalf,
			Properties: map[string]string{message.PropertyTags: transOpRemoveTag, message.PropertyWaitStoreMsgOK: "false"},
			Body:       []byte(strconv.FormatInt(half.QueueOffset, 10)),
		},
		QueueID:       half.QueueID,
		BornTimestamp: time.Now().UnixMilli(),
		BornHost:      b.storeHost,
		StoreHost:     b.storeHost,
	}
	if r := b.store.PutMessage(context.Background(), m); !r.Status.Stored() {
		return fmt.Errorf("write transaction op message: %s %s", r.Status, r.Remark)
	}
	return nil
}

// transactionCheckLoop runs the check every transactionCheckInterval
// (TransactionalMessageCheckService.java).
func (b *Broker) transactionCheckLoop(ctx context.Context) {
	every := time.Duration(b.cfg.TransactionCheckInterval) * time.Millisecond
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			b.checkTransactions(ctx)
		}
	}
}

// checkTransactions makes one pass over the half queue from where the last
// pass stopped: done half messages are skipped; undecided ones older than
// transactionTimeOut (or their CHECK_IMMUNITY_TIME_IN_SECONDS) are put
// back at the end of the half queue with TRANSACTION_CHECK_TIMES + 1 and
// their producer group is asked with CHECK_TRANSACTION_STATE; after
// transactionCheckMax checks one goes to TRANS_CHECK_MAX_TIME_TOPIC.
func (b *Broker) checkTransactions(ctx context.Context) {
	const q = 0
	maxHalf := b.store.MaxOffsetInQueue(TopicTransHalf, q)
	halfOff := max(b.offsets.QueryOffset(transCheckGroup, TopicTransHalf, q), b.store.MinOffsetInQueue(TopicTransHalf, q))
	if halfOff >= maxHalf {
		return
	}
	done, opNext := b.transactionOps(halfOff)
	started := time.Now()
	for halfOff < maxHalf && ctx.Err() == nil && time.Since(started) < time.Minute {
		r := b.store.GetMessage(transCheckGroup, TopicTransHalf, q, halfOff, transCheckBatchSize, nil)
		if r.Status != store.Found {
			if r.NextBeginOffset > halfOff {
				halfOff = r.NextBeginOffset
				continue
			}
			break
		}
		stop := false
		for _, rec := range r.Messages {
			m, _, err := message.DecodeRecord(rec)
			if err != nil {
				halfOff++
				continue
			}
			if done[m.QueueOffset] {
				halfOff = m.QueueOffset + 1
				continue
			}
			if !b.checkOne(m, started) {
				stop = true
				break
			}
			halfOff = m.QueueOffset + 1
		}
		if stop {
			break
		}
	}
	b.offsets.CommitOffset("", transCheckGroup, TopicTransHalf, q, halfOff)
	b.offsets.CommitOffset("", transCheckGroup, TopicTransOpHalf, q, opNext(halfOff))
}

// transactionOps reads the op queue and returns the half offsets marked
// done at or past from, and a function giving where the next pass may
// start reading ops once the half queue has advanced to a given offset.
func (b *Broker) transactionOps(from int64) (map[int64]bool, func(halfOff int64) int64) {
	const q = 0
	start := max(b.offsets.QueryOffset(transCheckGroup, TopicTransOpHalf, q), b.store.MinOffsetInQueue(TopicTransOpHalf, q))
	maxOp := b.store.MaxOffsetInQueue(TopicTransOpHalf, q)
	done := make(map[int64]bool)
	type op struct{ opOff, half int64 }
	var ops []op
	for off := start; off < maxOp; {
		r := b.store.GetMessage(transCheckGroup, TopicTransOpHalf, q, off, transCheckBatchSize, nil)
		if r.Status != store.Found {
			if r.NextBeginOffset > off {
				off = r.NextBeginOffset
				continue
			}
			break
		}
		for _, rec := range r.Messages {
			m, _, err := message.DecodeRecord(rec)
			off++
			if err != nil {
				continue
			}
			half, err := strconv.ParseInt(string(m.Body), 10, 64)
			if err != nil {
				continue
			}
			ops = append(ops, op{m.QueueOffset, half})
			if half >= from {
				done[half] = true
			}
			off = m.QueueOffset + 1
		}
	}
	next := func(halfOff int64) int64 {
		// Ops are consumed in order while they refer to half messages the
		// half queue has already passed.
		n := start
		for _, o := range ops {
			if o.half >= halfOff {
				break
			}
			n = o.opOff + 1
		}
		return n
	}
	return done, next
}

// checkOne handles one undecided half message; false when it is too young
// to check (the pass stops there: later ones are younger still).
func (b *Broker) checkOne(m *message.MessageExt, passStart time.Time) bool {
	immunity := time.Duration(b.cfg.TransactionTimeOut) * time.Millisecond
	if s, err := strconv.ParseInt(m.Properties[message.PropertyCheckImmunityTimeInSeconds], 10, 64); err == nil && s > 0 {
		immunity = time.Duration(s) * time.Second
	}
	stored := time.UnixMilli(m.StoreTimestamp)
	if !stored.Before(passStart) || time.Since(stored) < immunity {
		return false
	}
	times, _ := strconv.Atoi(m.Properties[message.PropertyTransactionCheckTimes])
	if times >= b.cfg.TransactionCheckMax {
		cp := b.copyHalf(m, TopicTransCheckMaxTime, times)
		if _, err := b.topics.CreateTopicInSendMessageBack(TopicTransCheckMaxTime, 1, protocol.PermWrite|protocol.PermRead, 0); err == nil {
			b.store.PutMessage(context.Background(), cp)
		}
		b.lg.Info("half message discarded after too many checks", zap.String("msgId", m.MsgID), zap.Int("checkTimes", times))
		return true
	}
	// Put it back at the end of the half queue with one more check, and
	// ask about that copy.
	cp := b.copyHalf(m, TopicTransHalf, times+1)
	r := b.store.PutMessage(context.Background(), cp)
	if !r.Status.Stored() {
		return false
	}
	cp.QueueOffset, cp.CommitLogOffset, cp.MsgID = r.QueueOffset, r.WroteOffset, r.MsgID
	b.askTransactionState(cp)
	return true
}

// copyHalf copies a half message to topic (queue 0) with the given check
// count.
func (b *Broker) copyHalf(m *message.MessageExt, topic string, checkTimes int) *message.MessageExt {
	props := make(map[string]string, len(m.Properties)+1)
	for k, v := range m.Properties {
		props[k] = v
	}
	props[message.PropertyTransactionCheckTimes] = strconv.Itoa(checkTimes)
	return &message.MessageExt{
		Message: message.Message{
			Topic:      topic,
			Flag:       m.Flag,
			Properties: props,
			Body:       m.Body,
		},
		SysFlag:        m.SysFlag,
		BornTimestamp:  m.BornTimestamp,
		BornHost:       m.BornHost,
		StoreHost:      b.storeHost,
		ReconsumeTimes: m.ReconsumeTimes,
	}
}

// askTransactionState sends CHECK_TRANSACTION_STATE oneway to one live channel of
// the half message's producer group. The body is the message re-encoded
// with its real topic and queue (AbstractTransactionalMessageCheckListener
// .sendCheckMessage).
func (b *Broker) askTransactionState(half *message.MessageExt) {
	group := half.Properties[message.PropertyProducerGroup]
	conn := b.clients.ProducerConn(group)
	if conn == nil {
		b.lg.Debug("no producer to check a transaction with", zap.String("producerGroup", group))
		return
	}
	msg := *half
	msg.Topic = half.Properties[message.PropertyRealTopic]
	qid, _ := strconv.Atoi(half.Properties[message.PropertyRealQueueID])
	msg.QueueID = int32(qid)
	msg.SysFlag = message.ResetTransactionType(half.SysFlag, message.SysFlagTransactionNot)
	msg.PropertiesString = ""
	body, err := message.EncodeRecord(&msg)
	if err != nil {
		b.lg.Warn("encode transaction check body", zap.Error(err))
		return
	}
	uniq := half.Properties[message.PropertyUniqClientMessageIDKeyidx]
	h := protocol.CheckTransactionStateRequestHeader{
		TranStateTableOffset: half.QueueOffset,
		CommitLogOffset:      half.CommitLogOffset,
		MsgID:                uniq,
		TransactionID:        uniq,
		OffsetMsgID:          half.MsgID,
	}
	req := remoting.NewRequest(protocol.CheckTransactionState, protocol.EncodeHeader(&h), body)
	if err := conn.InvokeOneway(req); err != nil {
		b.lg.Debug("send transaction check", zap.String("producerGroup", group), zap.Error(err))
	}
}
