package client

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// MessageModel is how a group shares messages (MessageModel.java).
type MessageModel int

// Message models.
const (
	Clustering   MessageModel = iota // each message to one member of the group
	Broadcasting                     // each message to every member
)

func (m MessageModel) String() string {
	if m == Broadcasting {
		return protocol.Broadcasting
	}
	return protocol.Clustering
}

// ConsumeFromWhere is where a group without a committed offset starts
// (ConsumeFromWhere.java).
type ConsumeFromWhere int

// Consume-from-where values.
const (
	ConsumeFromLastOffset ConsumeFromWhere = iota
	ConsumeFromFirstOffset
	ConsumeFromTimestamp
)

func (w ConsumeFromWhere) String() string {
	switch w {
	case ConsumeFromFirstOffset:
		return protocol.ConsumeFromFirstOffset
	case ConsumeFromTimestamp:
		return protocol.ConsumeFromTimestamp
	}
	return protocol.ConsumeFromLastOffset
}

// ConsumeResult is what a handler returns (ConsumeConcurrentlyStatus).
type ConsumeResult int

// Consume results.
const (
	ConsumeSuccess    ConsumeResult = iota // CONSUME_SUCCESS
	ConsumeRetryLater                      // RECONSUME_LATER
)

// MessageHandler consumes a batch of messages of one queue.
type MessageHandler func(ctx context.Context, msgs []*message.MessageExt) ConsumeResult

// Push consumer defaults (DefaultMQPushConsumer.java; wire-protocol.md §13.2).
const (
	DefaultRebalanceInterval         = 20 * time.Second
	DefaultPersistInterval           = 5 * time.Second
	DefaultPullErrorDelay            = time.Second
	DefaultPullThresholdForQueue     = 1000
	DefaultPullThresholdSizeForQueue = 100 // MiB
	DefaultMaxReconsumeTimes         = 16
	DefaultConsumeGoroutines         = 20
	DefaultConsumeTimestampAgo       = 30 * time.Minute
	consumeRetryDelay                = time.Second
	// Orderly consumption (wire-protocol.md §8.8, §13.3).
	DefaultLockInterval            = 20 * time.Second
	DefaultSuspendCurrentQueueTime = time.Second
	lockMaxLiveTime                = 30 * time.Second // client-side lock expiry
	orderlyMaxReconsumeTimes       = math.MaxInt32
)

// ConsumerConfig configures a PushConsumer.
type ConsumerConfig struct {
	ClientConfig
	// Group is the consumer group; required.
	Group string
	// Model is Clustering (default) or Broadcasting.
	Model MessageModel
	// FromWhere is where a queue without a committed offset starts.
	FromWhere ConsumeFromWhere
	// ConsumeTimestamp is the start time for ConsumeFromTimestamp; zero
	// means 30 minutes before Start.
	ConsumeTimestamp time.Time
	// PullBatchSize is maxMsgNums of each pull; 0 means 32.
	PullBatchSize int
	// ConsumeBatchSize is how many messages a handler call gets at most; 0 means 1.
	ConsumeBatchSize int
	// PullThresholdForQueue pauses pulling a queue with this many messages
	// not yet consumed; 0 means 1000.
	PullThresholdForQueue int
	// PullThresholdSizeForQueue pauses pulling a queue holding this many
	// MiB of bodies not yet consumed; 0 means 100.
	PullThresholdSizeForQueue int
	// SuspendTime is how long the broker may hold a pull; 0 means 15 s.
	SuspendTime time.Duration
	// PullTimeout is how long the client waits for a pull; 0 means 30 s.
	// It must exceed SuspendTime.
	PullTimeout time.Duration
	// PullErrorDelay is the pause after a failed pull; 0 means 1 s.
	PullErrorDelay time.Duration
	// RebalanceInterval is the periodic rebalance; 0 means 20 s.
	RebalanceInterval time.Duration
	// PersistInterval is the offset commit period; 0 means 5 s.
	PersistInterval time.Duration
	// MaxReconsumeTimes is the retry limit before the DLQ; 0 means 16, or
	// no limit (MaxInt32) for orderly consumers.
	MaxReconsumeTimes int
	// ConsumeGoroutines run handlers; 0 means 20.
	ConsumeGoroutines int
	// OffsetStoreDir holds broadcasting offsets; "" means
	// $HOME/.rocketmq_offsets, as Java's rocketmq.client.localOffsetStoreDir.
	OffsetStoreDir string
	// Allocate picks this member's queues; nil means AllocateAveragely.
	Allocate AllocateStrategy
	// Orderly consumes each queue in offset order, one batch at a time
	// (MessageListenerOrderly). In clustering mode the consumer holds the
	// broker lock (LOCK_BATCH_MQ) of every queue it consumes. A handler's
	// ConsumeRetryLater suspends the queue for SuspendCurrentQueueTime and
	// consumes the same messages again.
	Orderly bool
	// LockInterval is the lock renewal period of orderly clustering
	// consumers; 0 means 20 s.
	LockInterval time.Duration
	// SuspendCurrentQueueTime is the pause before an orderly retry; 0
	// means 1 s.
	SuspendCurrentQueueTime time.Duration
}

func (c *ConsumerConfig) withDefaults() error {
	if c.Group == "" {
		return errors.New("consumer group is empty")
	}
	if c.PullBatchSize <= 0 {
		c.PullBatchSize = DefaultPullBatchSize
	}
	if c.ConsumeBatchSize <= 0 {
		c.ConsumeBatchSize = 1
	}
	if c.PullThresholdForQueue <= 0 {
		c.PullThresholdForQueue = DefaultPullThresholdForQueue
	}
	if c.PullThresholdSizeForQueue <= 0 {
		c.PullThresholdSizeForQueue = DefaultPullThresholdSizeForQueue
	}
	if c.SuspendTime <= 0 {
		c.SuspendTime = DefaultPushSuspendTime
	}
	if c.PullTimeout <= 0 {
		c.PullTimeout = DefaultConsumerPullTimeout
	}
	if c.PullTimeout <= c.SuspendTime {
		return fmt.Errorf("pull timeout %v must exceed suspend time %v", c.PullTimeout, c.SuspendTime)
	}
	if c.PullErrorDelay <= 0 {
		c.PullErrorDelay = DefaultPullErrorDelay
	}
	if c.RebalanceInterval <= 0 {
		c.RebalanceInterval = DefaultRebalanceInterval
	}
	if c.PersistInterval <= 0 {
		c.PersistInterval = DefaultPersistInterval
	}
	if c.MaxReconsumeTimes <= 0 {
		c.MaxReconsumeTimes = DefaultMaxReconsumeTimes
		if c.Orderly {
			c.MaxReconsumeTimes = orderlyMaxReconsumeTimes
		}
	}
	if c.ConsumeGoroutines <= 0 {
		c.ConsumeGoroutines = DefaultConsumeGoroutines
	}
	if c.OffsetStoreDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		c.OffsetStoreDir = filepath.Join(home, ".rocketmq_offsets")
	}
	if c.Allocate == nil {
		c.Allocate = AllocateAveragely
	}
	if c.LockInterval <= 0 {
		c.LockInterval = DefaultLockInterval
	}
	if c.SuspendCurrentQueueTime <= 0 {
		c.SuspendCurrentQueueTime = DefaultSuspendCurrentQueueTime
	}
	if c.ConsumeTimestamp.IsZero() {
		c.ConsumeTimestamp = time.Now().Add(-DefaultConsumeTimestampAgo)
	}
	return nil
}

// retryTopic is the group's retry topic (MixAll.getRetryTopic).
func retryTopic(group string) string { return retryGroupTopicPrefix + group }

// subscription is one subscribed topic with its handler.
type subscription struct {
	data    protocol.SubscriptionData
	handler MessageHandler
}

// processQueue is the consumer's state of one assigned queue
// (ProcessQueue.java): messages pulled and not yet consumed.
type processQueue struct {
	mq      MessageQueue
	cancel  context.CancelFunc
	dropped atomic.Bool
	done    chan struct{} // closed when the puller exits

	mu        sync.Mutex
	msgs      map[int64]*message.MessageExt
	maxOffset int64 // highest queue offset ever put
	bytes     int   // body bytes in msgs

	// Orderly consumption.
	signal   chan struct{} // messages arrived
	lockedAt atomic.Int64  // unix ms of the last successful broker lock; 0 = not locked
}

// lockFresh reports whether the broker lock was renewed recently enough
// to consume (ProcessQueue.isLockExpired).
func (q *processQueue) lockFresh() bool {
	at := q.lockedAt.Load()
	return at > 0 && time.Since(time.UnixMilli(at)) < lockMaxLiveTime
}

// lowest returns up to n messages with the smallest offsets, in order.
func (q *processQueue) lowest(n int) []*message.MessageExt {
	q.mu.Lock()
	defer q.mu.Unlock()
	offs := make([]int64, 0, len(q.msgs))
	for off := range q.msgs {
		offs = append(offs, off)
	}
	slices.Sort(offs)
	out := make([]*message.MessageExt, 0, min(n, len(offs)))
	for _, off := range offs[:min(n, len(offs))] {
		out = append(out, q.msgs[off])
	}
	return out
}

func (q *processQueue) put(msgs []*message.MessageExt) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range msgs {
		if _, dup := q.msgs[m.QueueOffset]; !dup {
			q.bytes += len(m.Body)
		}
		q.msgs[m.QueueOffset] = m
		q.maxOffset = max(q.maxOffset, m.QueueOffset)
	}
}

// size returns how many messages and body bytes wait for consumption.
func (q *processQueue) size() (int, int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.msgs), q.bytes
}

func (q *processQueue) count() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.msgs)
}

// remove drops consumed messages and returns the offset to commit: the
// smallest offset still in flight, or one past the highest ever put;
// -1 when nothing was ever put.
func (q *processQueue) remove(msgs []*message.MessageExt) int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range msgs {
		if _, ok := q.msgs[m.QueueOffset]; ok {
			q.bytes -= len(m.Body)
			delete(q.msgs, m.QueueOffset)
		}
	}
	if q.maxOffset < 0 {
		return -1
	}
	if len(q.msgs) == 0 {
		return q.maxOffset + 1
	}
	low := int64(-1)
	for off := range q.msgs {
		if low < 0 || off < low {
			low = off
		}
	}
	return low
}

// consumeTask is one handler call's worth of messages.
type consumeTask struct {
	pq   *processQueue
	msgs []*message.MessageExt
}

// PushConsumer pulls the queues rebalancing assigns to it and hands their
// messages to the subscribed handlers (DefaultMQPushConsumer, concurrent
// consumption). It is safe for concurrent use.
type PushConsumer struct {
	cfg      ConsumerConfig
	lg       *zap.Logger
	core     *core
	offsets  offsetStore
	inner    *Producer // re-sends failed messages when send-back fails
	tasks    chan consumeTask
	rebal    chan struct{}
	subStart atomic.Int64 // unix ms of Start

	mu struct {
		sync.Mutex
		subs    map[string]*subscription
		pqs     map[MessageQueue]*processQueue
		running bool
		ctx     context.Context
		cancel  context.CancelFunc
	}
	wg       sync.WaitGroup // background loops and pullers
	consumeW sync.WaitGroup // consume goroutines
	rebMu    sync.Mutex     // one rebalance at a time
}

// NewPushConsumer makes a push consumer; Subscribe, then Start.
func NewPushConsumer(cfg ConsumerConfig, lg *zap.Logger) (*PushConsumer, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	if err := cfg.withDefaults(); err != nil {
		return nil, fmt.Errorf("new push consumer: %w", err)
	}
	instance := cfg.InstanceName
	c, err := newCore(cfg.ClientConfig, lg)
	if err != nil {
		return nil, fmt.Errorf("new push consumer %s: %w", cfg.Group, err)
	}
	pc := &PushConsumer{cfg: cfg, lg: lg, core: c, rebal: make(chan struct{}, 1)}
	if cfg.Model == Broadcasting {
		if instance == "" {
			instance = "DEFAULT"
		}
		ls, err := newLocalOffsetStore(cfg.OffsetStoreDir, c.cfg.ClientIP+"@"+instance, cfg.Group, lg)
		if err != nil {
			return nil, fmt.Errorf("new push consumer %s: %w", cfg.Group, err)
		}
		pc.offsets = ls
	} else {
		pc.offsets = &remoteOffsetStore{group: cfg.Group, core: c, lg: lg}
	}
	pc.inner = &Producer{lg: lg, core: c, ids: newUniqIDGen(c.cfg.ClientIP)}
	pcfg := ProducerConfig{Group: clientInnerProducerGroupName}
	pcfg.withDefaults()
	pc.inner.cfg = pcfg
	pc.inner.running = true
	pc.mu.subs = map[string]*subscription{}
	pc.mu.pqs = map[MessageQueue]*processQueue{}
	pc.registerBrokerCalls()
	c.rc.Register(protocol.NotifyConsumerIdsChanged, func(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
		if req.ExtFields["consumerGroup"] == cfg.Group || req.ExtFields["consumerGroup"] == "" {
			pc.triggerRebalance()
		}
		return nil
	})
	return pc, nil
}

// ClientID is the id this consumer announces in heartbeats.
func (pc *PushConsumer) ClientID() string { return pc.core.clientID }

// Subscribe adds a topic with a tag expression ("*", "TagA || TagB") and
// its handler. Call it before Start, or after to add a topic.
func (pc *PushConsumer) Subscribe(topic, expr string, handler MessageHandler) error {
	if err := checkTopic(topic); err != nil {
		return err
	}
	if handler == nil {
		return errors.New("subscribe: nil handler")
	}
	pc.mu.Lock()
	pc.mu.subs[topic] = &subscription{data: newTagSubscription(topic, expr, time.Now().UnixMilli()), handler: handler}
	if pc.cfg.Model == Clustering {
		rt := retryTopic(pc.cfg.Group)
		if _, ok := pc.mu.subs[rt]; !ok {
			pc.mu.subs[rt] = &subscription{data: newTagSubscription(rt, SubAll, time.Now().UnixMilli())}
		}
	}
	running := pc.mu.running
	pc.mu.Unlock()
	if running {
		_ = pc.heartbeat(context.Background())
		pc.triggerRebalance()
	}
	return nil
}

// Start fetches routes, announces the group and starts pulling.
func (pc *PushConsumer) Start() error {
	pc.mu.Lock()
	if pc.mu.running {
		pc.mu.Unlock()
		return nil
	}
	if len(pc.mu.subs) == 0 {
		pc.mu.Unlock()
		return fmt.Errorf("start push consumer %s: no subscription", pc.cfg.Group)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pc.mu.ctx, pc.mu.cancel, pc.mu.running = ctx, cancel, true
	pc.subStart.Store(time.Now().UnixMilli())
	topics := make([]string, 0, len(pc.mu.subs))
	for t := range pc.mu.subs {
		topics = append(topics, t)
	}
	pc.mu.Unlock()

	for _, t := range topics {
		rctx, rcancel := pc.core.timeout(ctx)
		if _, _, err := pc.core.updateRoute(rctx, t); err != nil {
			pc.lg.Warn("no route for a subscribed topic yet", zap.String("topic", t), zap.Error(err))
		}
		rcancel()
	}
	pc.tasks = make(chan consumeTask, pc.cfg.ConsumeGoroutines)
	for i := 0; i < pc.cfg.ConsumeGoroutines; i++ {
		pc.consumeW.Add(1)
		go pc.consumeLoop()
	}
	_ = pc.heartbeat(ctx)
	every(ctx, &pc.wg, pc.core.cfg.PollNameServerInterval, pc.core.refreshRoutes)
	every(ctx, &pc.wg, pc.core.cfg.HeartbeatInterval, func(ctx context.Context) { _ = pc.heartbeat(ctx) })
	every(ctx, &pc.wg, pc.cfg.PersistInterval, func(ctx context.Context) { _ = pc.persist(ctx) })
	if pc.lockingOrderly() {
		every(ctx, &pc.wg, pc.cfg.LockInterval, pc.renewLocks)
	}
	pc.wg.Add(1)
	go pc.rebalanceLoop(ctx)
	pc.triggerRebalance()
	return nil
}

// Shutdown stops pulling, waits for running handlers, commits offsets,
// leaves the group and closes the connections.
func (pc *PushConsumer) Shutdown(ctx context.Context) error {
	pc.mu.Lock()
	if !pc.mu.running {
		pc.mu.Unlock()
		return nil
	}
	pc.mu.running = false
	pc.mu.cancel()
	pqs := make([]*processQueue, 0, len(pc.mu.pqs))
	for _, q := range pc.mu.pqs {
		pqs = append(pqs, q)
	}
	pc.mu.Unlock()
	for _, q := range pqs {
		q.dropped.Store(true)
		q.cancel()
	}
	pc.wg.Wait()
	close(pc.tasks)
	pc.consumeW.Wait()
	err := pc.persist(ctx)
	if pc.lockingOrderly() {
		mqs := make([]MessageQueue, 0, len(pqs))
		for _, q := range pqs {
			mqs = append(mqs, q.mq)
		}
		uctx, cancel := pc.core.timeout(ctx)
		pc.unlock(uctx, mqs)
		cancel()
	}
	unregisterConsumer(ctx, pc.core, pc.cfg.Group, pc.lg)
	if cerr := pc.core.close(); err == nil {
		err = cerr
	}
	return err
}

func (pc *PushConsumer) triggerRebalance() {
	select {
	case pc.rebal <- struct{}{}:
	default:
	}
}

func (pc *PushConsumer) rebalanceLoop(ctx context.Context) {
	defer pc.wg.Done()
	t := time.NewTicker(pc.cfg.RebalanceInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-pc.rebal:
		}
		pc.rebalance(ctx)
	}
}

func (pc *PushConsumer) subscriptions() []protocol.SubscriptionData {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	out := make([]protocol.SubscriptionData, 0, len(pc.mu.subs))
	for _, s := range pc.mu.subs {
		out = append(out, s.data)
	}
	slices.SortFunc(out, func(a, b protocol.SubscriptionData) int { return strings.Compare(a.Topic, b.Topic) })
	return out
}

// heartbeat announces the group and its subscriptions to every broker.
func (pc *PushConsumer) heartbeat(ctx context.Context) error {
	hb := &protocol.HeartbeatData{
		ClientID:        pc.core.clientID,
		ProducerDataSet: []protocol.ProducerData{},
		ConsumerDataSet: []protocol.ConsumerData{{
			GroupName:           pc.cfg.Group,
			ConsumeType:         protocol.ConsumePassively,
			MessageModel:        pc.cfg.Model.String(),
			ConsumeFromWhere:    pc.cfg.FromWhere.String(),
			SubscriptionDataSet: pc.subscriptions(),
		}},
	}
	ctx, cancel := pc.core.timeout(ctx)
	defer cancel()
	return pc.core.sendHeartbeat(ctx, hb)
}

// consumerIDs asks a broker of the topic for the group's members, master
// first (GET_CONSUMER_LIST_BY_GROUP).
func (pc *PushConsumer) consumerIDs(ctx context.Context, r *TopicRouteData) ([]string, error) {
	var addrs []string
	for _, bd := range r.BrokerDatas {
		if a := bd.BrokerAddrs[protocol.MasterID]; a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		for _, bd := range r.BrokerDatas {
			for _, a := range bd.BrokerAddrs {
				addrs = append(addrs, a)
			}
		}
	}
	if len(addrs) == 0 {
		return nil, ErrNoBrokerAddr
	}
	addr := addrs[rand.IntN(len(addrs))]
	h := &protocol.GetConsumerListByGroupRequestHeader{ConsumerGroup: pc.cfg.Group}
	resp, err := pc.core.call(ctx, addr, remotingRequest(protocol.GetConsumerListByGroup, protocol.EncodeHeader(h)))
	if err != nil {
		return nil, err
	}
	var body protocol.ConsumerListBody
	if err := decodeJSON(resp.Body, &body); err != nil {
		return nil, fmt.Errorf("consumer list of %s from %s: %w", pc.cfg.Group, addr, err)
	}
	ids := slices.Clone(body.ConsumerIDList)
	slices.Sort(ids)
	return ids, nil
}

// rebalance recomputes this member's queues for every subscribed topic
// and starts or stops pulling accordingly (RebalanceImpl.doRebalance).
func (pc *PushConsumer) rebalance(ctx context.Context) {
	pc.rebMu.Lock()
	defer pc.rebMu.Unlock()
	want := map[MessageQueue]bool{}
	failed := map[string]bool{}
	for _, sd := range pc.subscriptions() {
		topic := sd.Topic
		rctx, cancel := pc.core.timeout(ctx)
		mqs, err := pc.allocate(rctx, topic)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				pc.lg.Debug("rebalance skipped a topic", zap.String("consumerGroup", pc.cfg.Group), zap.String("topic", topic), zap.Error(err))
			}
			failed[topic] = true
			continue
		}
		for _, mq := range mqs {
			want[mq] = true
		}
	}
	pc.mu.Lock()
	if !pc.mu.running {
		pc.mu.Unlock()
		return
	}
	var drop []*processQueue
	for mq, q := range pc.mu.pqs {
		if !want[mq] && !failed[mq.Topic] {
			drop = append(drop, q)
			delete(pc.mu.pqs, mq)
		}
	}
	var add []MessageQueue
	for mq := range want {
		if _, ok := pc.mu.pqs[mq]; !ok {
			add = append(add, mq)
		}
	}
	pc.mu.Unlock()

	for _, q := range drop {
		q.dropped.Store(true)
		q.cancel()
		<-q.done
		pctx, cancel := pc.core.timeout(ctx)
		_ = pc.offsets.persist(pctx, []MessageQueue{q.mq})
		if pc.lockingOrderly() {
			pc.unlock(pctx, []MessageQueue{q.mq})
		}
		cancel()
		pc.offsets.remove(q.mq)
	}
	slices.SortFunc(add, compareQueues)
	locked := map[MessageQueue]bool{}
	if pc.lockingOrderly() && len(add) > 0 {
		lctx, cancel := pc.core.timeout(ctx)
		for _, mq := range pc.lock(lctx, add) {
			locked[mq] = true
		}
		cancel()
	}
	for _, mq := range add {
		if pc.lockingOrderly() && !locked[mq] {
			continue // another member still holds it; the next rebalance retries
		}
		octx, cancel := pc.core.timeout(ctx)
		off, err := pc.startOffset(octx, mq)
		cancel()
		if err != nil {
			pc.lg.Debug("no start offset for a queue yet", zap.String("consumerGroup", pc.cfg.Group), zap.String("topic", mq.Topic),
				zap.Int32("queueId", mq.QueueID), zap.Error(err))
			continue
		}
		pc.startQueue(mq, off, locked[mq])
	}
}

// allocate returns this member's queues of a topic.
func (pc *PushConsumer) allocate(ctx context.Context, topic string) ([]MessageQueue, error) {
	r, err := pc.core.route(ctx, topic)
	if err != nil {
		return nil, err
	}
	mqAll := subscribeQueues(topic, r)
	if pc.cfg.Model == Broadcasting {
		return mqAll, nil
	}
	cids, err := pc.consumerIDs(ctx, r)
	if err != nil {
		return nil, err
	}
	return pc.cfg.Allocate(pc.cfg.Group, pc.core.clientID, mqAll, cids), nil
}

// startOffset is where pulling a newly assigned queue begins
// (RebalancePushImpl.computePullFromWhere).
func (pc *PushConsumer) startOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	off, err := pc.offsets.read(ctx, mq, true)
	if err != nil {
		return 0, err
	}
	if off >= 0 {
		return off, nil
	}
	isRetry := strings.HasPrefix(mq.Topic, retryGroupTopicPrefix)
	switch pc.cfg.FromWhere {
	case ConsumeFromFirstOffset:
		return 0, nil
	case ConsumeFromTimestamp:
		if isRetry {
			return pc.core.queueOffsetCall(ctx, protocol.GetMaxOffset, mq, -1)
		}
		return pc.core.queueOffsetCall(ctx, protocol.SearchOffsetByTimestamp, mq, pc.cfg.ConsumeTimestamp.UnixMilli())
	default:
		if isRetry {
			return 0, nil
		}
		return pc.core.queueOffsetCall(ctx, protocol.GetMaxOffset, mq, -1)
	}
}

func (pc *PushConsumer) startQueue(mq MessageQueue, offset int64, locked bool) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if !pc.mu.running {
		return
	}
	ctx, cancel := context.WithCancel(pc.mu.ctx)
	q := &processQueue{mq: mq, cancel: cancel, done: make(chan struct{}), msgs: map[int64]*message.MessageExt{}, maxOffset: -1,
		signal: make(chan struct{}, 1)}
	if locked {
		q.lockedAt.Store(time.Now().UnixMilli())
	}
	pc.mu.pqs[mq] = q
	pc.offsets.update(mq, offset, false)
	pc.wg.Add(1)
	go pc.pullLoop(ctx, q, offset)
	if pc.cfg.Orderly {
		pc.wg.Add(1)
		go pc.orderlyLoop(ctx, q)
	}
}

// sleep waits d or until ctx ends; it reports whether to go on.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// pullLoop long-polls one queue and queues what it gets for consumption
// (DefaultMQPushConsumerImpl.pullMessage).
func (pc *PushConsumer) pullLoop(ctx context.Context, q *processQueue, next int64) {
	defer pc.wg.Done()
	defer close(q.done)
	var brokerID int64
	for !q.dropped.Load() && ctx.Err() == nil {
		if n, size := q.size(); n >= pc.cfg.PullThresholdForQueue || size >= pc.cfg.PullThresholdSizeForQueue<<20 {
			if !sleep(ctx, 50*time.Millisecond) {
				return
			}
			continue
		}
		pc.mu.Lock()
		s := pc.mu.subs[q.mq.Topic]
		pc.mu.Unlock()
		if s == nil {
			return
		}
		sd := s.data
		r := &pullRequest{group: pc.cfg.Group, mq: q.mq, sub: &sd, offset: next, maxNums: int32(pc.cfg.PullBatchSize),
			suspend: pc.cfg.SuspendTime, timeout: pc.cfg.PullTimeout, brokerID: brokerID}
		if pc.cfg.Model == Clustering {
			if off, ok := pc.offsets.(*remoteOffsetStore).get(q.mq); ok && off > 0 {
				r.sysFlag |= protocol.PullFlagCommitOffset
				r.commitOffset = off
			}
		}
		res, err := pc.core.pull(ctx, r)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			pc.lg.Debug("pull failed", zap.String("consumerGroup", pc.cfg.Group), zap.String("topic", q.mq.Topic),
				zap.Int32("queueId", q.mq.QueueID), zap.Error(err))
			if !sleep(ctx, pc.cfg.PullErrorDelay) {
				return
			}
			continue
		}
		brokerID = res.SuggestWhichBrokerID
		switch res.Status {
		case PullFound:
			next = res.NextBeginOffset
			if len(res.Messages) > 0 {
				q.put(res.Messages)
				pc.dispatch(ctx, q, res.Messages)
			} else if q.count() == 0 {
				pc.offsets.update(q.mq, next, true)
			}
		case PullNoNewMsg, PullNoMatchedMsg:
			next = res.NextBeginOffset
			if q.count() == 0 {
				pc.offsets.update(q.mq, next, true)
			}
		case PullOffsetIllegal:
			// The broker moved the queue's range: restart from its offset.
			pc.lg.Warn("pull offset illegal, correcting", zap.String("consumerGroup", pc.cfg.Group), zap.String("topic", q.mq.Topic),
				zap.Int32("queueId", q.mq.QueueID), zap.Int64("offset", next), zap.Int64("nextBeginOffset", res.NextBeginOffset))
			next = res.NextBeginOffset
			pc.offsets.update(q.mq, next, false)
			pctx, cancel := pc.core.timeout(ctx)
			_ = pc.offsets.persist(pctx, []MessageQueue{q.mq})
			cancel()
		}
	}
}

// dispatch splits pulled messages into handler batches.
func (pc *PushConsumer) dispatch(ctx context.Context, q *processQueue, msgs []*message.MessageExt) {
	if pc.cfg.Orderly {
		select {
		case q.signal <- struct{}{}:
		default:
		}
		return
	}
	for len(msgs) > 0 {
		n := min(len(msgs), pc.cfg.ConsumeBatchSize)
		select {
		case pc.tasks <- consumeTask{pq: q, msgs: msgs[:n]}:
		case <-ctx.Done():
			return
		}
		msgs = msgs[n:]
	}
}

func (pc *PushConsumer) consumeLoop() {
	defer pc.consumeW.Done()
	for t := range pc.tasks {
		pc.consume(t)
	}
}

// handlerFor returns the handler of a message's original topic.
func (pc *PushConsumer) handlerFor(topic string) MessageHandler {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if s := pc.mu.subs[topic]; s != nil && s.handler != nil {
		return s.handler
	}
	return nil
}

// consume runs the handler on one batch and settles it: commit on success,
// send back for retry on failure (ConsumeMessageConcurrentlyService).
func (pc *PushConsumer) consume(t consumeTask) {
	if t.pq.dropped.Load() {
		return
	}
	pc.beforeConsume(t.msgs)
	h := pc.handlerFor(t.msgs[0].Topic)
	result := ConsumeSuccess
	if h != nil {
		result = pc.runHandler(h, t.msgs)
	} else {
		pc.lg.Warn("no handler for a message topic, acknowledged", zap.String("topic", t.msgs[0].Topic))
	}
	if t.pq.dropped.Load() {
		return
	}
	if result == ConsumeRetryLater && pc.cfg.Model == Clustering {
		var again []*message.MessageExt
		for _, m := range t.msgs {
			if err := pc.sendBack(m, t.pq.mq); err != nil {
				pc.lg.Warn("send back failed, consuming again later", zap.String("consumerGroup", pc.cfg.Group), zap.String("msgId", m.ClientMsgID()), zap.Error(err))
				again = append(again, m)
			}
		}
		if len(again) > 0 {
			done := t.msgs[:0:0]
			for _, m := range t.msgs {
				if !slices.Contains(again, m) {
					done = append(done, m)
				}
			}
			t.msgs = done
			pc.consumeLater(consumeTask{pq: t.pq, msgs: again})
		}
	} else if result == ConsumeRetryLater {
		pc.lg.Warn("broadcasting consumption failed, message dropped", zap.String("consumerGroup", pc.cfg.Group), zap.Int("count", len(t.msgs)))
	}
	if off := t.pq.remove(t.msgs); off >= 0 && !t.pq.dropped.Load() {
		pc.offsets.update(t.pq.mq, off, true)
	}
}

// beforeConsume restores the original topic of retried messages and stamps
// the consume start time (resetRetryAndNamespace).
func (pc *PushConsumer) beforeConsume(msgs []*message.MessageExt) {
	retry := retryTopic(pc.cfg.Group)
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	for _, m := range msgs {
		if m.Topic == retry {
			if orig := m.Property(message.PropertyRetryTopic); orig != "" {
				m.Topic = orig
			}
		}
		m.SetProperty(message.PropertyConsumeStartTimestamp, now)
	}
}

// runHandler calls the handler, turning a panic into RECONSUME_LATER.
func (pc *PushConsumer) runHandler(h MessageHandler, msgs []*message.MessageExt) (res ConsumeResult) {
	defer func() {
		if r := recover(); r != nil {
			pc.lg.Error("message handler panicked", zap.String("consumerGroup", pc.cfg.Group), zap.Any("panic", r))
			res = ConsumeRetryLater
		}
	}()
	pc.mu.Lock()
	ctx := pc.mu.ctx
	pc.mu.Unlock()
	return h(ctx, msgs)
}

// consumeLater resubmits messages after a pause.
func (pc *PushConsumer) consumeLater(t consumeTask) {
	pc.mu.Lock()
	if !pc.mu.running {
		pc.mu.Unlock()
		return // shutting down: the offset stays before these messages
	}
	ctx := pc.mu.ctx
	pc.wg.Add(1)
	pc.mu.Unlock()
	go func() {
		defer pc.wg.Done()
		if sleep(ctx, consumeRetryDelay) {
			pc.dispatch(ctx, t.pq, t.msgs)
		}
	}()
}

// sendBack returns a failed message to the broker for a delayed retry
// (CONSUMER_SEND_MSG_BACK); if that fails it re-sends the message to the
// retry topic itself, as the Java consumer does.
func (pc *PushConsumer) sendBack(m *message.MessageExt, mq MessageQueue) error {
	return pc.sendBackLevel(m, mq, 0, int32(pc.cfg.MaxReconsumeTimes))
}

// sendBackLevel is sendBack with an explicit delay level (-1: straight to
// the DLQ) and retry limit.
func (pc *PushConsumer) sendBackLevel(m *message.MessageExt, mq MessageQueue, delayLevel, maxTimes int32) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := &protocol.ConsumerSendMsgBackRequestHeader{
		Offset:            m.CommitLogOffset,
		Group:             pc.cfg.Group,
		DelayLevel:        delayLevel,
		OriginMsgID:       m.ClientMsgID(),
		OriginTopic:       m.Topic,
		MaxReconsumeTimes: &maxTimes,
		BrokerName:        mq.BrokerName,
	}
	addr := pc.core.brokerAddr(mq.BrokerName, protocol.MasterID, true)
	if addr == "" && m.StoreHost.IsValid() {
		addr = m.StoreHost.String()
	}
	var err error
	if addr == "" {
		err = fmt.Errorf("send back: broker %s: %w", mq.BrokerName, ErrNoBrokerAddr)
	} else {
		_, err = pc.core.call(ctx, addr, remotingRequest(protocol.ConsumerSendMsgBack, protocol.EncodeHeader(h)))
	}
	if err == nil {
		return nil
	}
	pc.lg.Debug("send back failed, re-sending to the retry topic", zap.String("msgId", m.ClientMsgID()), zap.Error(err))
	props := make(map[string]string, len(m.Properties)+5)
	for k, v := range m.Properties {
		props[k] = v
	}
	if props[message.PropertyRetryTopic] == "" {
		props[message.PropertyRetryTopic] = m.Topic
	}
	if props[message.PropertyOriginMessageID] == "" {
		props[message.PropertyOriginMessageID] = m.ClientMsgID()
	}
	props[message.PropertyReconsumeTime] = strconv.Itoa(int(m.ReconsumeTimes) + 1)
	props[message.PropertyMaxReconsumeTimes] = strconv.Itoa(int(maxTimes))
	if delayLevel >= 0 {
		props[message.PropertyDelayTimeLevel] = strconv.Itoa(3 + int(m.ReconsumeTimes))
	} else {
		// Reconsume count at the limit: the broker stores it in the DLQ.
		props[message.PropertyReconsumeTime] = strconv.Itoa(int(maxTimes))
	}
	delete(props, message.PropertyMinOffset)
	delete(props, message.PropertyMaxOffset)
	delete(props, message.PropertyConsumeStartTimestamp)
	retry := &message.Message{Topic: retryTopic(pc.cfg.Group), Flag: m.Flag, Properties: props, Body: m.Body}
	if _, serr := pc.inner.Send(ctx, retry); serr != nil {
		return errors.Join(err, serr)
	}
	return nil
}

// persist commits the offsets of the assigned queues.
func (pc *PushConsumer) persist(ctx context.Context) error {
	pc.mu.Lock()
	mqs := make([]MessageQueue, 0, len(pc.mu.pqs))
	for mq := range pc.mu.pqs {
		mqs = append(mqs, mq)
	}
	pc.mu.Unlock()
	ctx, cancel := pc.core.timeout(ctx)
	defer cancel()
	return pc.offsets.persist(ctx, mqs)
}

// Assigned returns the queues this member currently pulls, sorted.
func (pc *PushConsumer) Assigned() []MessageQueue {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	out := make([]MessageQueue, 0, len(pc.mu.pqs))
	for mq := range pc.mu.pqs {
		out = append(out, mq)
	}
	slices.SortFunc(out, compareQueues)
	return out
}
