package broker

import (
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// DefaultLockMaxLiveTime is how long an orderly consumer's queue lock lives
// without renewal (rocketmq.broker.rebalance.lockMaxLiveTime).
const DefaultLockMaxLiveTime = 60 * time.Second

type queueLock struct {
	clientID   string
	lastUpdate time.Time
}

// QueueLocks is the orderly-consumer lock table of LOCK_BATCH_MQ and
// UNLOCK_BATCH_MQ: group -> queue -> holder (RebalanceLockManager.java).
// Locks live in memory only.
type QueueLocks struct {
	maxLive time.Duration
	lg      *zap.Logger
	now     func() time.Time

	mu struct {
		sync.Mutex
		groups map[string]map[protocol.MessageQueue]*queueLock
	}
}

// NewQueueLocks returns an empty lock table; maxLive 0 means 60 s.
func NewQueueLocks(maxLive time.Duration, lg *zap.Logger) *QueueLocks {
	if lg == nil {
		lg = zap.NewNop()
	}
	if maxLive <= 0 {
		maxLive = DefaultLockMaxLiveTime
	}
	l := &QueueLocks{maxLive: maxLive, lg: lg, now: time.Now}
	l.mu.groups = make(map[string]map[protocol.MessageQueue]*queueLock)
	return l
}

// TryLockBatch grants clientID every queue of mqs that is free, already
// its own (renewing it) or held by a lock older than maxLive, and returns
// the queues it now holds, in request order.
func (l *QueueLocks) TryLockBatch(group string, mqs []protocol.MessageQueue, clientID string) []protocol.MessageQueue {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	m, ok := l.mu.groups[group]
	if !ok {
		m = make(map[protocol.MessageQueue]*queueLock)
		l.mu.groups[group] = m
	}
	out := make([]protocol.MessageQueue, 0, len(mqs))
	granted := make(map[protocol.MessageQueue]bool, len(mqs))
	for _, mq := range mqs {
		if granted[mq] {
			continue // the request is a set; a repeated queue is answered once
		}
		lk, ok := m[mq]
		switch {
		case !ok:
			m[mq] = &queueLock{clientID: clientID, lastUpdate: now}
			l.lg.Info("queue locked", zap.String("group", group), zap.Any("mq", mq), zap.String("clientId", clientID))
		case lk.clientID == clientID:
			lk.lastUpdate = now
		case now.Sub(lk.lastUpdate) > l.maxLive:
			l.lg.Warn("queue lock expired, taken over", zap.String("group", group), zap.Any("mq", mq),
				zap.String("oldClientId", lk.clientID), zap.String("clientId", clientID))
			lk.clientID, lk.lastUpdate = clientID, now
		default:
			continue
		}
		granted[mq] = true
		out = append(out, mq)
	}
	return out
}

// UnlockBatch releases the queues of mqs that clientID holds.
func (l *QueueLocks) UnlockBatch(group string, mqs []protocol.MessageQueue, clientID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, ok := l.mu.groups[group]
	if !ok {
		return
	}
	for _, mq := range mqs {
		if lk, ok := m[mq]; ok && lk.clientID == clientID {
			delete(m, mq)
			l.lg.Info("queue unlocked", zap.String("group", group), zap.Any("mq", mq), zap.String("clientId", clientID))
		}
	}
	if len(m) == 0 {
		delete(l.mu.groups, group)
	}
}

// IsLocked reports whether clientID holds a live lock on mq.
func (l *QueueLocks) IsLocked(group string, mq protocol.MessageQueue, clientID string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	lk, ok := l.mu.groups[group][mq]
	return ok && lk.clientID == clientID && l.now().Sub(lk.lastUpdate) <= l.maxLive
}
