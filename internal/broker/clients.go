package broker

import (
	"context"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// Client expiry (ClientHousekeepingService, ConsumerManager,
// ProducerManager): a channel without a heartbeat for 120 s is dropped; the
// scan runs every 10 s.
const (
	DefaultChannelExpiry      = 120 * time.Second
	DefaultClientScanInterval = 10 * time.Second
)

// ClientChannel is one client connection registered by a heartbeat
// (ClientChannelInfo.java).
type ClientChannel struct {
	Conn       *remoting.Conn
	ClientID   string
	Language   string // the heartbeat request's language ("JAVA", "GO", ...)
	Version    int32  // the heartbeat request's MQVersion ordinal
	LastUpdate time.Time
}

// ConsumerGroupInfo is a snapshot of one consumer group's registration
// (ConsumerGroupInfo.java).
type ConsumerGroupInfo struct {
	Group            string
	ConsumeType      string
	MessageModel     string
	ConsumeFromWhere string
	Channels         []ClientChannel                      // sorted by ClientID
	Subscriptions    map[string]protocol.SubscriptionData // by topic
	LastUpdate       time.Time
}

// ClientRegistryConfig tunes a ClientRegistry.
type ClientRegistryConfig struct {
	// NotifyConsumerIdsChangedEnable is the broker-wide switch
	// (notifyConsumerIdsChangedEnable); each group has its own as well.
	NotifyConsumerIdsChangedEnable bool
	ChannelExpiry                  time.Duration // 0 means 120 s
	ScanInterval                   time.Duration // 0 means 10 s
}

type consumerGroup struct {
	consumeType      string
	messageModel     string
	consumeFromWhere string
	channels         map[*remoting.Conn]*ClientChannel
	subs             map[string]protocol.SubscriptionData
	lastUpdate       time.Time
}

// ClientRegistry tracks the producer and consumer groups of connected
// clients, fed by HEART_BEAT and UNREGISTER_CLIENT and cleaned when a
// connection closes or stops sending heartbeats (ProducerManager.java,
// ConsumerManager.java). When a consumer group's membership or subscribed
// topic set changes it sends NOTIFY_CONSUMER_IDS_CHANGED to every member
// (DefaultConsumerIdsChangeListener.java).
type ClientRegistry struct {
	cfg ClientRegistryConfig
	lg  *zap.Logger
	now func() time.Time

	mu struct {
		sync.Mutex
		producers map[string]map[*remoting.Conn]*ClientChannel
		consumers map[string]*consumerGroup
	}
}

// NewClientRegistry returns an empty registry.
func NewClientRegistry(cfg ClientRegistryConfig, lg *zap.Logger) *ClientRegistry {
	if lg == nil {
		lg = zap.NewNop()
	}
	if cfg.ChannelExpiry <= 0 {
		cfg.ChannelExpiry = DefaultChannelExpiry
	}
	if cfg.ScanInterval <= 0 {
		cfg.ScanInterval = DefaultClientScanInterval
	}
	r := &ClientRegistry{cfg: cfg, lg: lg, now: time.Now}
	r.mu.producers = make(map[string]map[*remoting.Conn]*ClientChannel)
	r.mu.consumers = make(map[string]*consumerGroup)
	return r
}

// RegisterProducer records (or refreshes) a producer group's connection.
func (r *ClientRegistry) RegisterProducer(group string, ch ClientChannel) {
	if ch.Conn.Closed() {
		return // the close hook may already have run; do not resurrect it
	}
	ch.LastUpdate = r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.mu.producers[group]
	if !ok {
		m = make(map[*remoting.Conn]*ClientChannel)
		r.mu.producers[group] = m
	}
	if old, ok := m[ch.Conn]; ok {
		old.LastUpdate = ch.LastUpdate
		return
	}
	m[ch.Conn] = &ch
	r.lg.Info("new producer connected", zap.String("group", group), zap.String("clientId", ch.ClientID), zap.String("remoteAddr", ch.Conn.RemoteAddr()))
}

// UnregisterProducer drops a producer group's connection.
func (r *ClientRegistry) UnregisterProducer(group string, conn *remoting.Conn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.mu.producers[group]; ok {
		delete(m, conn)
		if len(m) == 0 {
			delete(r.mu.producers, group)
		}
	}
}

// ProducerChannels returns a producer group's connections, sorted by client id.
func (r *ClientRegistry) ProducerChannels(group string) []ClientChannel {
	r.mu.Lock()
	defer r.mu.Unlock()
	return sortedChannels(r.mu.producers[group])
}

// ProducerGroups returns every producer group, sorted.
func (r *ClientRegistry) ProducerGroups() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.mu.producers))
	for g := range r.mu.producers {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// ProducerConn returns a live connection of a producer group (for
// transaction check-backs), or nil.
func (r *ClientRegistry) ProducerConn(group string) *remoting.Conn {
	for _, ch := range r.ProducerChannels(group) {
		if !ch.Conn.Closed() {
			return ch.Conn
		}
	}
	return nil
}

func sortedChannels(m map[*remoting.Conn]*ClientChannel) []ClientChannel {
	out := make([]ClientChannel, 0, len(m))
	for _, ch := range m {
		out = append(out, *ch)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ClientID != out[j].ClientID {
			return out[i].ClientID < out[j].ClientID
		}
		return out[i].Conn.RemoteAddr() < out[j].Conn.RemoteAddr()
	})
	return out
}

// RegisterConsumer records a consumer heartbeat for group
// (ConsumerManager.registerConsumer): the group's consume type, model and
// from-where are overwritten; a topic's subscription is replaced only by a
// greater subVersion; topics absent from subs are dropped. When the
// connection is new to the group or the topic set changed, and notify (the
// group's notifyConsumerIdsChangedEnable) and the broker switch are on,
// every member gets NOTIFY_CONSUMER_IDS_CHANGED. It reports whether the
// membership or topic set changed. A heartbeat that arrives on a connection
// already closed registers nothing.
func (r *ClientRegistry) RegisterConsumer(group string, ch ClientChannel, consumeType, messageModel, consumeFromWhere string,
	subs []protocol.SubscriptionData, notify bool) bool {
	if ch.Conn.Closed() {
		return false // the close hook may already have run; do not resurrect it
	}
	now := r.now()
	ch.LastUpdate = now
	r.mu.Lock()
	cg, ok := r.mu.consumers[group]
	if !ok {
		cg = &consumerGroup{
			channels: make(map[*remoting.Conn]*ClientChannel),
			subs:     make(map[string]protocol.SubscriptionData),
		}
		r.mu.consumers[group] = cg
	}
	cg.consumeType, cg.messageModel, cg.consumeFromWhere = consumeType, messageModel, consumeFromWhere
	cg.lastUpdate = now

	channelAdded := false
	if old, ok := cg.channels[ch.Conn]; !ok {
		cg.channels[ch.Conn] = &ch
		channelAdded = true
		r.lg.Info("new consumer connected", zap.String("group", group), zap.String("clientId", ch.ClientID), zap.String("remoteAddr", ch.Conn.RemoteAddr()))
	} else {
		if old.ClientID != ch.ClientID {
			r.lg.Warn("consumer channel changed client id", zap.String("group", group), zap.String("old", old.ClientID), zap.String("new", ch.ClientID))
		}
		*old = ch
	}

	topicsChanged := false
	seen := make(map[string]bool, len(subs))
	for _, s := range subs {
		seen[s.Topic] = true
		old, ok := cg.subs[s.Topic]
		switch {
		case !ok:
			cg.subs[s.Topic] = s
			topicsChanged = true
		case s.SubVersion > old.SubVersion:
			cg.subs[s.Topic] = s
		}
	}
	for topic := range cg.subs {
		if !seen[topic] {
			delete(cg.subs, topic)
			topicsChanged = true
		}
	}
	changed := channelAdded || topicsChanged
	var members []*remoting.Conn
	if changed && notify && r.cfg.NotifyConsumerIdsChangedEnable {
		members = connsOf(cg)
	}
	r.mu.Unlock()
	r.notifyIDsChanged(group, members)
	return changed
}

func connsOf(cg *consumerGroup) []*remoting.Conn {
	out := make([]*remoting.Conn, 0, len(cg.channels))
	for c := range cg.channels {
		out = append(out, c)
	}
	return out
}

// UnregisterConsumer drops conn from group (UNREGISTER_CLIENT) and, when
// notify and the broker switch are on, tells the remaining members.
func (r *ClientRegistry) UnregisterConsumer(group string, conn *remoting.Conn, notify bool) {
	r.mu.Lock()
	cg, ok := r.mu.consumers[group]
	if !ok {
		r.mu.Unlock()
		return
	}
	if _, ok := cg.channels[conn]; !ok {
		r.mu.Unlock()
		return
	}
	delete(cg.channels, conn)
	if len(cg.channels) == 0 {
		delete(r.mu.consumers, group)
		r.lg.Info("consumer group has no members left", zap.String("group", group))
	}
	var members []*remoting.Conn
	if notify && r.cfg.NotifyConsumerIdsChangedEnable {
		members = connsOf(cg)
	}
	r.mu.Unlock()
	r.notifyIDsChanged(group, members)
}

// ConnClosed removes every registration of a closed connection at once and
// tells the remaining members of each consumer group it left (the broker
// wires it to Server.OnClose).
func (r *ClientRegistry) ConnClosed(conn *remoting.Conn) {
	r.removeConns(map[*remoting.Conn]bool{conn: true}, "connection closed")
}

// removeConns drops the given connections everywhere and notifies the
// groups that lost a member.
func (r *ClientRegistry) removeConns(dead map[*remoting.Conn]bool, why string) {
	notify := make(map[string][]*remoting.Conn)
	r.mu.Lock()
	for group, m := range r.mu.producers {
		for c, ch := range m {
			if dead[c] {
				delete(m, c)
				r.lg.Info("producer removed", zap.String("group", group), zap.String("clientId", ch.ClientID), zap.String("reason", why))
			}
		}
		if len(m) == 0 {
			delete(r.mu.producers, group)
		}
	}
	for group, cg := range r.mu.consumers {
		removed := false
		for c, ch := range cg.channels {
			if dead[c] {
				delete(cg.channels, c)
				removed = true
				r.lg.Info("consumer removed", zap.String("group", group), zap.String("clientId", ch.ClientID), zap.String("reason", why))
			}
		}
		if !removed {
			continue
		}
		if len(cg.channels) == 0 {
			delete(r.mu.consumers, group)
			continue
		}
		if r.cfg.NotifyConsumerIdsChangedEnable {
			notify[group] = connsOf(cg)
		}
	}
	r.mu.Unlock()
	for group, members := range notify {
		r.notifyIDsChanged(group, members)
	}
}

// scanExpired drops (and closes) connections whose last heartbeat is older
// than the expiry (scanNotActiveChannel) and returns how many it dropped.
func (r *ClientRegistry) scanExpired() int {
	deadline := r.now().Add(-r.cfg.ChannelExpiry)
	dead := make(map[*remoting.Conn]bool)
	r.mu.Lock()
	for _, m := range r.mu.producers {
		for c, ch := range m {
			if ch.LastUpdate.Before(deadline) {
				dead[c] = true
			}
		}
	}
	for _, cg := range r.mu.consumers {
		for c, ch := range cg.channels {
			if ch.LastUpdate.Before(deadline) {
				dead[c] = true
			}
		}
	}
	r.mu.Unlock()
	if len(dead) == 0 {
		return 0
	}
	r.removeConns(dead, "no heartbeat for "+r.cfg.ChannelExpiry.String())
	for c := range dead {
		_ = c.Close()
	}
	return len(dead)
}

// run scans for expired channels every ScanInterval until ctx ends.
func (r *ClientRegistry) run(ctx context.Context) {
	t := time.NewTicker(r.cfg.ScanInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.scanExpired()
		}
	}
}

// notifyIDsChanged sends NOTIFY_CONSUMER_IDS_CHANGED (oneway, JSON,
// consumerGroup header) to each member.
func (r *ClientRegistry) notifyIDsChanged(group string, members []*remoting.Conn) {
	for _, c := range members {
		req := remoting.NewRequest(protocol.NotifyConsumerIdsChanged,
			protocol.EncodeHeader(&protocol.NotifyConsumerIdsChangedRequestHeader{ConsumerGroup: group}), nil)
		req.MarkOneway()
		if err := c.InvokeOneway(req); err != nil {
			r.lg.Warn("notify consumer ids changed failed", zap.String("group", group), zap.String("remoteAddr", c.RemoteAddr()), zap.Error(err))
		}
	}
}

// ConsumerGroup returns a snapshot of a group, or nil when it has no member.
func (r *ClientRegistry) ConsumerGroup(group string) *ConsumerGroupInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	cg, ok := r.mu.consumers[group]
	if !ok {
		return nil
	}
	subs := make(map[string]protocol.SubscriptionData, len(cg.subs))
	for k, v := range cg.subs {
		subs[k] = v
	}
	return &ConsumerGroupInfo{
		Group:            group,
		ConsumeType:      cg.consumeType,
		MessageModel:     cg.messageModel,
		ConsumeFromWhere: cg.consumeFromWhere,
		Channels:         sortedChannels(cg.channels),
		Subscriptions:    subs,
		LastUpdate:       cg.lastUpdate,
	}
}

// ConsumerIDs returns the client ids of a group's members, sorted.
func (r *ClientRegistry) ConsumerIDs(group string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	cg, ok := r.mu.consumers[group]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(cg.channels))
	for _, ch := range cg.channels {
		out = append(out, ch.ClientID)
	}
	sort.Strings(out)
	return out
}

// ConsumerSubscription returns group's subscription to topic, or nil.
func (r *ClientRegistry) ConsumerSubscription(group, topic string) *protocol.SubscriptionData {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cg, ok := r.mu.consumers[group]; ok {
		if s, ok := cg.subs[topic]; ok {
			return &s
		}
	}
	return nil
}

// ConsumerChannel returns a group member's channel by client id, or nil.
func (r *ClientRegistry) ConsumerChannel(group, clientID string) *ClientChannel {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cg, ok := r.mu.consumers[group]; ok {
		for _, ch := range cg.channels {
			if ch.ClientID == clientID {
				c := *ch
				return &c
			}
		}
	}
	return nil
}

// ConsumerGroups returns every group with members, sorted.
func (r *ClientRegistry) ConsumerGroups() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.mu.consumers))
	for g := range r.mu.consumers {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// ConsumerGroupsOfTopic returns the groups subscribed to topic, sorted.
func (r *ClientRegistry) ConsumerGroupsOfTopic(topic string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for g, cg := range r.mu.consumers {
		if _, ok := cg.subs[topic]; ok {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}
