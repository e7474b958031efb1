package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/config"
	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
	"github.com/gorocket/gorocket/internal/store"
)

// Broker is one RocketMQ broker process: the store, the metadata tables,
// the two remoting servers (listenPort and the fast port listenPort-2,
// which serves everything but PULL_MESSAGE), the pull hold and the name
// server registration (BrokerController.java).
//
// The data path lives beside it: send.go (SEND_MESSAGE, SEND_MESSAGE_V2,
// SEND_BATCH_MESSAGE), send_back.go (CONSUMER_SEND_MSG_BACK), send_delay.go
// (delivery of delay-level messages from SCHEDULE_TOPIC_XXXX), pull.go and
// pull_hold.go (PULL_MESSAGE with long polling), query.go (QUERY_MESSAGE,
// VIEW_MESSAGE_BY_ID), admin_store.go (the store-backed admin codes) and
// register.go (REGISTER_BROKER / UNREGISTER_BROKER).
//
// Goroutines: the remoting servers' pools run the processors; a held pull
// occupies no worker and is answered with Conn.Reply from the goroutine
// that resumes it (store dispatch notification, its own expiry timer, or
// the 5 s check). Background work runs as run(ctx) loops started by Start
// and stopped by Shutdown: pull hold, offset persistence, registration,
// client expiry, delay delivery.
//
// Lock order: Broker.regMu (one registration round at a time) is taken
// before no other lock; pullHold.mu is a leaf (resumes run after it is
// released); delayService.mu is a leaf. Table and registry locks belong to
// their types and are never held across calls into the broker.
//
// Lifecycle: New, Start, Shutdown. Tests set listenPort=0 in Config to get
// free loopback ports for both servers; Addr and FastAddr report them.
type Broker struct {
	cfg      Config
	storeCfg store.Config
	lg       *zap.Logger

	store   *store.Store
	topics  *TopicTable
	groups  *SubscriptionGroupTable
	offsets *ConsumerOffsetTable
	clients *ClientRegistry
	locks   *QueueLocks
	shared  *SharedConfig
	meta    *MetaProcessor
	live    atomic.Pointer[Config] // the config UPDATE_BROKER_CONFIG changes
	hold    *pullHold
	delay   *delayService // nil on a slave

	main, fast *remoting.Server
	ns         *remoting.Client
	storeHost  netip.AddrPort
	bootTime   time.Time

	stats brokerStats
	pools []*remoting.Pool // data-path pools of both servers, for runtime info

	cancel     context.CancelFunc
	wg         sync.WaitGroup
	regMu      sync.Mutex  // one registration round at a time
	regPending atomic.Bool // a change-triggered round is queued
	runCtx     context.Context
	closed     atomic.Bool
}

// brokerStats are the counters GET_BROKER_RUNTIME_INFO reports.
type brokerStats struct {
	putOK      atomic.Int64
	putFailed  atomic.Int64
	putBytes   atomic.Int64
	getFound   atomic.Int64
	getMiss    atomic.Int64
	dayStart   atomic.Int64 // ms, start of the current day
	putAtDay   atomic.Int64 // putOK at dayStart
	getAtDay   atomic.Int64 // getFound at dayStart
	putAtYday  atomic.Int64
	getAtYday  atomic.Int64
	tpsSamples sync.Mutex
}

// New builds a broker from its config and its store's config. Nothing is
// opened until Start.
func New(cfg Config, storeCfg store.Config, lg *zap.Logger) (*Broker, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	if cfg.ListenPort != 0 {
		if err := cfg.Finish(); err != nil {
			return nil, err
		}
	}
	return &Broker{cfg: cfg, storeCfg: storeCfg, lg: lg}, nil
}

// Start opens the store and the tables, starts both servers, the
// background work, and registers with every name server.
func (b *Broker) Start() error {
	b.bootTime = time.Now()
	fastPort := b.cfg.FastListenPort()
	if b.cfg.ListenPort == 0 {
		// Tests: free loopback ports for the main and the fast server.
		main, err := freePort(b.cfg.BrokerIP1)
		if err != nil {
			return fmt.Errorf("start broker: %w", err)
		}
		if fastPort, err = freePort(b.cfg.BrokerIP1); err != nil {
			return fmt.Errorf("start broker: %w", err)
		}
		b.cfg.ListenPort = main
	}
	b.storeHost = hostOf(b.cfg.BrokerAddr())
	b.storeCfg.StoreHost = b.storeHost

	st, err := store.Open(b.storeCfg, b.lg.Named("store"))
	if err != nil {
		return fmt.Errorf("start broker: %w", err)
	}
	b.store = st
	if err := st.Start(); err != nil {
		st.Close()
		return fmt.Errorf("start broker: %w", err)
	}
	if err := b.openTables(); err != nil {
		st.Close()
		return fmt.Errorf("start broker: %w", err)
	}

	if !b.isSlave() {
		levels, err := store.ParseDelayLevels(b.storeCfg.MessageDelayLevel)
		if err == nil {
			b.delay, err = newDelayService(st, levels, b.configDir(), b.lg.Named("delay"))
		}
		if err != nil {
			st.Close()
			return fmt.Errorf("start broker: %w", err)
		}
	}

	holdEvery := 5 * time.Second
	if !b.cfg.LongPollingEnable {
		holdEvery = time.Duration(b.cfg.ShortPollingTimeMills) * time.Millisecond
	}
	b.hold = newPullHold(holdEvery, b.store.MaxOffsetInQueue, b.lg)
	b.watchArrivals()

	b.runCtx, b.cancel = context.WithCancel(context.Background())
	b.ns = remoting.NewClient(remoting.ClientConfig{}, b.lg.Named("namesrv-client"))

	bindHost := listenHost(b.cfg.BrokerIP1)
	if bindHost != b.cfg.BrokerIP1 {
		b.lg.Warn("brokerIP1 is not an address of this host; listening on every interface, as Java does",
			zap.String("brokerIP1", b.cfg.BrokerIP1))
	}
	mainAddr := net.JoinHostPort(bindHost, strconv.Itoa(b.cfg.ListenPort))
	fastAddr := net.JoinHostPort(bindHost, strconv.Itoa(fastPort))
	b.main = remoting.NewServer(remoting.ServerConfig{ListenAddr: mainAddr}, b.lg.Named("remoting"))
	b.fast = remoting.NewServer(remoting.ServerConfig{ListenAddr: fastAddr}, b.lg.Named("remoting-fast"))
	b.registerProcessors(b.main, true)
	b.registerProcessors(b.fast, false)
	if err := b.main.Start(); err != nil {
		b.cancel()
		b.ns.Close()
		b.main = nil
		b.store.Close()
		return fmt.Errorf("start broker: listen on %s: %w", mainAddr, err)
	}
	if err := b.fast.Start(); err != nil {
		b.cancel()
		b.ns.Close()
		b.main.Shutdown(context.Background())
		b.main = nil
		b.store.Close()
		return fmt.Errorf("start broker: listen on fast port %s: %w", fastAddr, err)
	}

	ctx := b.runCtx
	b.goRun(func() { b.hold.run(ctx) })
	b.goRun(func() { b.persistLoop(ctx) })
	b.goRun(func() { b.registerLoop(ctx) })
	b.goRun(func() { b.clients.run(ctx) })
	if b.delay != nil {
		b.goRun(func() { b.delay.run(ctx) })
	}
	if !b.isSlave() {
		b.goRun(func() { b.transactionCheckLoop(ctx) })
	}
	b.registerAll(ctx)
	b.lg.Info("broker started", zap.String("brokerName", b.cfg.BrokerName), zap.String("brokerAddr", b.cfg.BrokerAddr()),
		zap.String("fastAddr", b.fast.Addr()), zap.String("namesrvAddr", b.cfg.NamesrvAddr))
	return nil
}

// listenHost is where the servers listen: brokerIP1 when it is an address
// of this host (so a loopback broker stays on loopback), else every
// interface, as the Java broker always does (a NAT or container address
// in brokerIP1 is only what clients are told).
func listenHost(brokerIP1 string) string {
	ip := net.ParseIP(brokerIP1)
	if ip == nil {
		return "0.0.0.0"
	}
	if ip.IsLoopback() {
		return brokerIP1
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "0.0.0.0"
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return brokerIP1
		}
	}
	return "0.0.0.0"
}

// freePort asks the kernel for a free TCP port on host.
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (b *Broker) goRun(f func()) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		f()
	}()
}

// Addr is the main port's bound address.
func (b *Broker) Addr() string { return b.main.Addr() }

// FastAddr is the fast port's bound address.
func (b *Broker) FastAddr() string { return b.fast.Addr() }

// BrokerAddr is the address registered with name servers: brokerIP1:listenPort.
func (b *Broker) BrokerAddr() string { return b.cfg.BrokerAddr() }

// Config returns the effective configuration (listenPort as bound).
func (b *Broker) Config() Config { return b.cfg }

// Store gives tests and tools the broker's store.
func (b *Broker) Store() *store.Store { return b.store }

// Shutdown unregisters from the name servers, stops both servers and the
// background work, persists the tables and closes the store (a clean
// close removes the abort file).
func (b *Broker) Shutdown(ctx context.Context) error {
	if b.main == nil || b.ns == nil || !b.closed.CompareAndSwap(false, true) {
		return nil // never started, or shut down already
	}
	var errs []error
	b.unregisterAll(ctx)
	if err := b.fast.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down fast server: %w", err))
	}
	if err := b.main.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down server: %w", err))
	}
	b.cancel()
	b.wg.Wait()
	b.ns.Close()
	errs = append(errs, b.persistTables()...)
	if err := b.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close store: %w", err))
	}
	b.lg.Info("broker shut down", zap.String("brokerName", b.cfg.BrokerName))
	return errors.Join(errs...)
}

// persistLoop writes the consumer offsets every flushConsumerOffsetInterval.
func (b *Broker) persistLoop(ctx context.Context) {
	every := time.Duration(b.cfg.FlushConsumerOffsetInterval) * time.Millisecond
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := b.offsets.Persist(); err != nil {
				b.lg.Error("persist consumer offsets", zap.Error(err))
			}
		}
	}
}

func (b *Broker) isSlave() bool { return b.cfg.IsSlave() }

func (b *Broker) storeOffsetCheckInSlave() bool { return b.storeCfg.OffsetCheckInSlave }

// registerProcessors puts every processor on srv; PULL_MESSAGE only on
// the main port.
func (b *Broker) registerProcessors(srv *remoting.Server, withPull bool) {
	send := srv.NewPool("send", b.cfg.SendMessageThreadPoolNums, b.cfg.SendThreadPoolQueueCapacity)
	query := srv.NewPool("query", b.cfg.QueryMessageThreadPoolNums, b.cfg.QueryThreadPoolQueueCapacity)
	b.pools = append(b.pools, send, query)
	admin := srv.NewPool("admin", b.cfg.AdminBrokerThreadPoolNums, 10000)
	for _, code := range []protocol.RequestCode{protocol.SendMessage, protocol.SendMessageV2, protocol.SendBatchMessage} {
		srv.Register(code, b.processSend, send)
	}
	srv.Register(protocol.ConsumerSendMsgBack, b.processSendBack, send)
	reply := srv.NewPool("reply", b.cfg.ProcessReplyMessageThreadPoolNums, b.cfg.ReplyThreadPoolQueueCapacity)
	srv.Register(protocol.SendReplyMessage, b.processSendReply, reply)
	srv.Register(protocol.SendReplyMessageV2, b.processSendReply, reply)
	endTx := srv.NewPool("end-transaction", b.cfg.EndTransactionThreadPoolNums, b.cfg.EndTransactionPoolQueueCapacity)
	b.pools = append(b.pools, endTx)
	srv.Register(protocol.EndTransaction, b.processEndTransaction, endTx)
	if withPull {
		pull := srv.NewPool("pull", b.cfg.PullMessageThreadPoolNums, b.cfg.PullThreadPoolQueueCapacity)
		b.pools = append(b.pools, pull)
		srv.Register(protocol.PullMessage, b.processPull, pull)
	}
	srv.Register(protocol.QueryMessage, b.processQueryMessage, query)
	srv.Register(protocol.ViewMessageById, b.processViewMessage, query)
	b.registerAdminStore(srv, admin)
	b.registerMeta(srv, admin)
}

// configDir is <storePathRootDir>/config, where the tables live.
func (b *Broker) configDir() string {
	return filepath.Join(b.storeCfg.StorePathRootDir, "config")
}

// openTables loads topics.json, subscriptionGroup.json and
// consumerOffset.json and builds the client registry.
func (b *Broker) openTables() error {
	dir := b.configDir()
	var err error
	if b.topics, err = NewTopicTable(dir, &b.cfg, b.lg.Named("topics")); err != nil {
		return err
	}
	if b.groups, err = NewSubscriptionGroupTable(dir, b.cfg.AutoCreateSubscriptionGroup, b.lg.Named("groups")); err != nil {
		return err
	}
	if b.offsets, err = NewConsumerOffsetTable(dir, b.lg.Named("offsets")); err != nil {
		return err
	}
	b.clients = NewClientRegistry(ClientRegistryConfig{
		NotifyConsumerIdsChangedEnable: b.cfg.NotifyConsumerIdsChangedEnable,
	}, b.lg.Named("clients"))
	b.locks = NewQueueLocks(0, b.lg.Named("locks"))
	_, storeProps := config.Values(&b.storeCfg)
	b.shared = NewSharedConfig(b.cfg, storeProps)
	b.live.Store(&b.cfg)
	b.shared.OnUpdate(func(changed map[string]string) {
		c := b.shared.Config()
		b.live.Store(&c)
		if _, ok := changed["brokerPermission"]; ok {
			// The registered queue perms follow the broker's: a new
			// DataVersion makes the name server take them (the table's
			// change hook re-registers).
			if err := b.topics.NextDataVersion(); err != nil {
				b.lg.Error("persist topics after brokerPermission change failed", zap.Error(err))
			}
			return
		}
		b.topicsChanged(nil)
	})
	b.meta = NewMetaProcessor(MetaDeps{
		Config:           b.shared,
		Topics:           b.topics,
		Groups:           b.groups,
		Offsets:          b.offsets,
		Clients:          b.clients,
		Locks:            b.locks,
		MinOffset:        b.store.MinOffsetInQueue,
		OffsetInDisk:     b.offsetInDisk,
		DeleteTopicFiles: func(topic string) error { return b.store.DeleteTopics([]string{topic}) },
		MaxOffset:        b.store.MaxOffsetInQueue,
		OffsetByTime:     b.store.OffsetInQueueByTime,
		MessageByID:      b.recordByOffsetMsgID,
	}, b.lg.Named("meta"))
	b.topics.OnChange(b.topicsChanged)
	return nil
}

// offsetInDisk reports whether the message at a queue offset has left the
// in-memory window (DefaultMessageStore.checkInDiskByConsumeOffset); a
// missing message counts as in memory.
func (b *Broker) offsetInDisk(topic string, queueID int32, offset int64) bool {
	r := b.store.GetMessage("", topic, queueID, offset, 1, nil)
	if r.Status != store.Found || len(r.Messages) == 0 {
		return false
	}
	rec, err := message.ParseRecord(r.Messages[0], false)
	if err != nil {
		return false
	}
	return b.store.CheckInDiskByCommitOffset(rec.PhyOffset)
}

// queued is how many requests wait in the pools named name.
func (b *Broker) queued(name string) int {
	n := 0
	for _, p := range b.pools {
		if p.Name() == name {
			n += p.Queued()
		}
	}
	return n
}

// rc is the running config: Config as UPDATE_BROKER_CONFIG last left it.
func (b *Broker) rc() *Config { return b.live.Load() }

// registerMeta puts the metadata processors (heartbeats, offsets, locks,
// topic and group admin, broker config) on srv.
func (b *Broker) registerMeta(srv *remoting.Server, admin *remoting.Pool) {
	RegisterMeta(srv, b.meta, MetaPools{
		Heartbeat:      srv.NewPool("heartbeat", b.cfg.HeartbeatThreadPoolNums, b.cfg.HeartbeatThreadPoolQueueCapacity),
		ClientManage:   srv.NewPool("client-manage", b.cfg.ClientManageThreadPoolNums, 10000),
		ConsumerManage: srv.NewPool("consumer-manage", b.cfg.ConsumerManageThreadPoolNums, 10000),
		Admin:          admin,
	})
}

// persistTables writes the consumer offsets (the other tables are
// written on every change).
func (b *Broker) persistTables() []error {
	var errs []error
	if err := b.offsets.Persist(); err != nil {
		errs = append(errs, fmt.Errorf("persist consumer offsets: %w", err))
	}
	return errs
}

// consumerSubscription returns the heartbeat subscription of group to
// topic: ok is false when the group has no live member; sub is nil when
// the group does not subscribe to topic.
func (b *Broker) consumerSubscription(group, topic string) (sub *subscriptionView, model string, ok bool) {
	info := b.clients.ConsumerGroup(group)
	if info == nil {
		return nil, "", false
	}
	s, found := info.Subscriptions[topic]
	if !found {
		return nil, info.MessageModel, true
	}
	return &subscriptionView{
		subString:      s.SubString,
		tags:           s.TagsSet,
		subVersion:     s.SubVersion,
		expressionType: s.ExpressionType,
	}, info.MessageModel, true
}

// groupSubscribes reports whether group has live members and, if so,
// whether they subscribe to topic.
func (b *Broker) groupSubscribes(group, topic string) (online, subscribed bool) {
	info := b.clients.ConsumerGroup(group)
	if info == nil || len(info.Channels) == 0 {
		return false, false
	}
	_, subscribed = info.Subscriptions[topic]
	return true, subscribed
}

// putMessage stores one message.
func (b *Broker) putMessage(m *message.MessageExt) putOutcome {
	return outcomeOf(b.store.PutMessage(context.Background(), m))
}

// answerAfterPut runs an asynchronous store put and answers the send from
// its completion, as SendMessageProcessor.asyncProcessRequest does: with
// SYNC_FLUSH the answer goes out from the group commit, so no send worker
// waits through an fsync and concurrent sends share one. A put that
// completes at once (ASYNC_FLUSH, or a refusal) is returned for the server
// to write; otherwise it returns nil and replies on the connection later.
func (b *Broker) answerAfterPut(c *remoting.Conn, req, resp *remoting.Command, queueID int32,
	put func(done func(store.PutResult))) *remoting.Command {
	var mu sync.Mutex
	inline, answer := true, (*remoting.Command)(nil)
	put(func(r store.PutResult) {
		out := b.putResponse(resp, outcomeOf(r), queueID)
		mu.Lock()
		if inline {
			answer = out
			mu.Unlock()
			return
		}
		mu.Unlock()
		if !req.IsOneway() {
			_ = c.Reply(out) // a closed connection has no one to tell
		}
	})
	mu.Lock()
	defer mu.Unlock()
	inline = false
	return answer
}

func outcomeOf(r store.PutResult) putOutcome {
	return putOutcome{
		status:      r.Status.String(),
		remark:      r.Remark,
		msgIDs:      r.MsgID,
		queueOffset: r.QueueOffset,
		bytes:       int64(r.WroteBytes),
		count:       int(r.MsgNum),
	}
}

// putInternal stores a broker-generated message (OFFSET_MOVED_EVENT).
func (b *Broker) putInternal(topic string, queueID int32, tags, keys string, body []byte) {
	props := map[string]string{message.PropertyTags: tags, message.PropertyKeys: keys}
	m := &message.MessageExt{
		Message:       message.Message{Topic: topic, Properties: props, Body: body},
		QueueID:       queueID,
		BornTimestamp: time.Now().UnixMilli(),
		BornHost:      b.storeHost,
		StoreHost:     b.storeHost,
	}
	if r := b.store.PutMessage(context.Background(), m); !r.Status.Stored() {
		b.lg.Warn("store broker message failed", zap.String("topic", topic), zap.String("status", r.Status.String()))
	}
}

// getMessage reads a pull's messages and maps the store's status to the
// pull's response code (PullMessageProcessor.processRequest).
func (b *Broker) getMessage(group, topic string, queueID int32, offset int64, maxNums int32, f *tagFilter) pullResult {
	r := b.store.GetMessage(group, topic, queueID, offset, maxNums, &store.MessageFilter{ByTagsCode: f.match})
	out := pullResult{
		status:          r.Status.String(),
		nextBeginOffset: r.NextBeginOffset,
		minOffset:       r.MinOffset,
		maxOffset:       r.MaxOffset,
		fromSlave:       r.SuggestPullingFromSlave,
	}
	switch r.Status {
	case store.Found:
		out.found = true
		out.body = r.Body()
		out.count = len(r.Messages)
	case store.NoMatchedMessage, store.MessageWasRemoving:
		out.code = protocol.PullRetryImmediately
	case store.NoMatchedLogicQueue, store.NoMessageInQueue:
		if offset != 0 {
			out.code = protocol.PullOffsetMoved
		} else {
			out.code = protocol.PullNotFound
		}
	case store.OffsetTooSmall, store.OffsetOverflowBadly:
		out.code = protocol.PullOffsetMoved
	case store.OffsetOverflowOne, store.OffsetFoundNull:
		out.code = protocol.PullNotFound
	default:
		out.code = protocol.PullRetryImmediately
	}
	if !out.found {
		b.stats.getMiss.Add(1)
	}
	return out
}

// lookMessage decodes the stored message at a commit log offset.
func (b *Broker) lookMessage(phyOffset int64) (*message.MessageExt, error) {
	return b.store.LookMessageByOffset(phyOffset)
}

// recordAt returns the raw stored record at a commit log offset.
func (b *Broker) recordAt(phyOffset int64) ([]byte, bool) {
	rec, err := b.store.SelectOneMessageByOffset(phyOffset)
	return rec, err == nil && len(rec) > 0
}

// recordByOffsetMsgID returns the stored record an offsetMsgId points at
// (store host + commit log offset).
func (b *Broker) recordByOffsetMsgID(msgID string) ([]byte, error) {
	_, phyOffset, err := message.ParseOffsetMsgID(msgID)
	if err != nil {
		return nil, err
	}
	rec, ok := b.recordAt(phyOffset)
	if !ok {
		return nil, fmt.Errorf("no message at commit log offset %d", phyOffset)
	}
	return rec, nil
}

// queryMessages looks a key up in the index and returns the records
// concatenated with the index's last update time and offset.
func (b *Broker) queryMessages(topic, key string, maxNum int, begin, end int64) ([]byte, int64, int64) {
	r := b.store.QueryMessage(topic, key, min(maxNum, b.storeCfg.MaxMsgsNumBatch), begin, end)
	body := make([]byte, 0, r.BufferTotalSize)
	for _, m := range r.Messages {
		body = append(body, m...)
	}
	return body, r.IndexLastUpdateTimestamp, r.IndexLastUpdatePhyoffset
}

// watchArrivals wakes held pulls as the store dispatches messages.
func (b *Broker) watchArrivals() {
	b.store.OnDispatch(func(d store.DispatchInfo) {
		b.hold.notify(d.Topic, d.QueueID, d.MaxOffset, d.TagsCode)
	})
}
