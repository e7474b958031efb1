package client

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// Consumer defaults (wire-protocol.md §13.2).
const (
	DefaultConsumerGroup        = "DEFAULT_CONSUMER"
	DefaultBrokerSuspendMaxTime = 20 * time.Second // pull consumer
	DefaultPushSuspendTime      = 15 * time.Second // push consumer
	DefaultConsumerPullTimeout  = 30 * time.Second // wait for a held pull
	DefaultPullTimeout          = 10 * time.Second // wait for a plain pull
	DefaultPullBatchSize        = 32
)

// PullConsumerConfig configures a PullConsumer.
type PullConsumerConfig struct {
	ClientConfig
	// Group is the consumer group; "" means DEFAULT_CONSUMER.
	Group string
	// BrokerSuspendMaxTime is how long the broker may hold a
	// PullBlockIfNotFound; 0 means 20 s.
	BrokerSuspendMaxTime time.Duration
	// ConsumerTimeoutWhenSuspend is how long the client waits for a held
	// pull; 0 means 30 s. It must exceed BrokerSuspendMaxTime.
	ConsumerTimeoutWhenSuspend time.Duration
	// PullTimeout is how long the client waits for a plain pull; 0 means 10 s.
	PullTimeout time.Duration
}

// PullConsumer pulls messages from queues the caller chooses and tracks
// nothing itself (DefaultMQPullConsumer). It is safe for concurrent use.
type PullConsumer struct {
	cfg  PullConsumerConfig
	lg   *zap.Logger
	core *core

	mu struct {
		sync.Mutex
		running bool
		cancel  context.CancelFunc
		topics  map[string]bool
		suggest map[MessageQueue]int64 // broker id suggested per queue
	}
	wg sync.WaitGroup
}

// NewPullConsumer makes a pull consumer; Start it before pulling.
func NewPullConsumer(cfg PullConsumerConfig, lg *zap.Logger) (*PullConsumer, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	if cfg.Group == "" {
		cfg.Group = DefaultConsumerGroup
	}
	if cfg.BrokerSuspendMaxTime <= 0 {
		cfg.BrokerSuspendMaxTime = DefaultBrokerSuspendMaxTime
	}
	if cfg.ConsumerTimeoutWhenSuspend <= 0 {
		cfg.ConsumerTimeoutWhenSuspend = DefaultConsumerPullTimeout
	}
	if cfg.ConsumerTimeoutWhenSuspend <= cfg.BrokerSuspendMaxTime {
		return nil, fmt.Errorf("new pull consumer %s: consumer timeout %v must exceed broker suspend time %v", cfg.Group, cfg.ConsumerTimeoutWhenSuspend, cfg.BrokerSuspendMaxTime)
	}
	if cfg.PullTimeout <= 0 {
		cfg.PullTimeout = DefaultPullTimeout
	}
	c, err := newCore(cfg.ClientConfig, lg)
	if err != nil {
		return nil, fmt.Errorf("new pull consumer %s: %w", cfg.Group, err)
	}
	pc := &PullConsumer{cfg: cfg, lg: lg, core: c}
	pc.mu.topics = map[string]bool{}
	pc.mu.suggest = map[MessageQueue]int64{}
	return pc, nil
}

// ClientID is the id this consumer announces in heartbeats.
func (pc *PullConsumer) ClientID() string { return pc.core.clientID }

// Start starts the route refresh and heartbeat loops.
func (pc *PullConsumer) Start() error {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.mu.running {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	pc.mu.cancel = cancel
	pc.mu.running = true
	every(ctx, &pc.wg, pc.core.cfg.PollNameServerInterval, pc.core.refreshRoutes)
	every(ctx, &pc.wg, pc.core.cfg.HeartbeatInterval, func(ctx context.Context) { _ = pc.heartbeat(ctx) })
	return nil
}

// Shutdown stops the loops, leaves the group on every broker and closes
// the connections.
func (pc *PullConsumer) Shutdown(ctx context.Context) error {
	pc.mu.Lock()
	if !pc.mu.running {
		pc.mu.Unlock()
		return nil
	}
	pc.mu.running = false
	pc.mu.cancel()
	pc.mu.Unlock()
	pc.wg.Wait()
	unregisterConsumer(ctx, pc.core, pc.cfg.Group, pc.lg)
	return pc.core.close()
}

func (pc *PullConsumer) running() bool {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.mu.running
}

// heartbeat announces the group as a CONSUME_ACTIVELY member.
func (pc *PullConsumer) heartbeat(ctx context.Context) error {
	hb := &protocol.HeartbeatData{
		ClientID:        pc.core.clientID,
		ProducerDataSet: []protocol.ProducerData{},
		ConsumerDataSet: []protocol.ConsumerData{{
			GroupName:           pc.cfg.Group,
			ConsumeType:         protocol.ConsumeActively,
			MessageModel:        protocol.Clustering,
			ConsumeFromWhere:    protocol.ConsumeFromLastOffset,
			SubscriptionDataSet: []protocol.SubscriptionData{},
		}},
	}
	return pc.core.sendHeartbeat(ctx, hb)
}

// unregisterConsumer sends UNREGISTER_CLIENT for a group to every broker.
func unregisterConsumer(ctx context.Context, c *core, group string, lg *zap.Logger) {
	h := &protocol.UnregisterClientRequestHeader{ClientID: c.clientID, ConsumerGroup: group}
	for _, addr := range c.brokerAddrs(false) {
		if _, err := c.call(ctx, addr, remotingRequest(protocol.UnregisterClient, protocol.EncodeHeader(h))); err != nil {
			lg.Debug("unregister consumer failed", zap.String("brokerAddr", addr), zap.Error(err))
		}
	}
}

// FetchQueues returns the readable queues of a topic, sorted.
func (pc *PullConsumer) FetchQueues(ctx context.Context, topic string) ([]MessageQueue, error) {
	r, err := pc.core.route(ctx, topic)
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	first := !pc.mu.topics[topic]
	pc.mu.topics[topic] = true
	pc.mu.Unlock()
	if first {
		// Let the brokers of this topic know the group right away.
		_ = pc.heartbeat(ctx)
	}
	return subscribeQueues(topic, r), nil
}

// Pull reads up to maxNums messages of mq from offset, matching subExpr
// ("*" or "TagA || TagB"); it returns at once when there is nothing.
func (pc *PullConsumer) Pull(ctx context.Context, mq MessageQueue, subExpr string, offset int64, maxNums int) (*PullResult, error) {
	return pc.pull(ctx, mq, subExpr, offset, maxNums, false)
}

// PullBlockIfNotFound is Pull that lets the broker hold the request until
// a message arrives or BrokerSuspendMaxTime passes (long polling).
func (pc *PullConsumer) PullBlockIfNotFound(ctx context.Context, mq MessageQueue, subExpr string, offset int64, maxNums int) (*PullResult, error) {
	return pc.pull(ctx, mq, subExpr, offset, maxNums, true)
}

func (pc *PullConsumer) pull(ctx context.Context, mq MessageQueue, subExpr string, offset int64, maxNums int, block bool) (*PullResult, error) {
	if !pc.running() {
		return nil, ErrClosed
	}
	if offset < 0 {
		return nil, fmt.Errorf("pull %s: offset %d < 0", mqString(mq), offset)
	}
	if maxNums <= 0 {
		return nil, fmt.Errorf("pull %s: maxNums %d <= 0", mqString(mq), maxNums)
	}
	sub := newTagSubscription(mq.Topic, subExpr, 0)
	pc.mu.Lock()
	bid := pc.mu.suggest[mq]
	pc.mu.Unlock()
	r := &pullRequest{
		group: pc.cfg.Group, mq: mq, sub: &sub, offset: offset, maxNums: int32(maxNums),
		sysFlag: protocol.PullFlagSubscription, timeout: pc.cfg.PullTimeout, brokerID: bid,
	}
	if block {
		r.suspend = pc.cfg.BrokerSuspendMaxTime
		r.timeout = pc.cfg.ConsumerTimeoutWhenSuspend
	}
	res, err := pc.core.pull(ctx, r)
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	pc.mu.suggest[mq] = res.SuggestWhichBrokerID
	pc.mu.Unlock()
	return res, nil
}

// QueryOffset returns the group's committed offset of mq, -1 when the
// broker has none.
func (pc *PullConsumer) QueryOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	ctx, cancel := pc.core.timeout(ctx)
	defer cancel()
	return pc.core.queryOffset(ctx, pc.cfg.Group, mq)
}

// UpdateOffset commits the group's offset of mq to its master.
func (pc *PullConsumer) UpdateOffset(ctx context.Context, mq MessageQueue, offset int64) error {
	ctx, cancel := pc.core.timeout(ctx)
	defer cancel()
	return pc.core.updateOffset(ctx, pc.cfg.Group, mq, offset, false)
}

// MaxOffset returns the offset the next message of mq will get.
func (pc *PullConsumer) MaxOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	ctx, cancel := pc.core.timeout(ctx)
	defer cancel()
	return pc.core.queueOffsetCall(ctx, protocol.GetMaxOffset, mq, -1)
}

// MinOffset returns the first available offset of mq.
func (pc *PullConsumer) MinOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	ctx, cancel := pc.core.timeout(ctx)
	defer cancel()
	return pc.core.queueOffsetCall(ctx, protocol.GetMinOffset, mq, -1)
}

// SearchOffset returns the offset of mq whose store time is nearest t.
func (pc *PullConsumer) SearchOffset(ctx context.Context, mq MessageQueue, t time.Time) (int64, error) {
	ctx, cancel := pc.core.timeout(ctx)
	defer cancel()
	return pc.core.queueOffsetCall(ctx, protocol.SearchOffsetByTimestamp, mq, t.UnixMilli())
}
