package client

import (
	"context"
	"errors"
	"fmt"
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

// Producer defaults (DefaultMQProducer.java; wire-protocol.md §13.2).
const (
	DefaultProducerGroup         = "DEFAULT_PRODUCER"
	DefaultCreateTopicKey        = "TBW102"
	DefaultTopicQueueNums        = 4
	DefaultSendTimeout           = 3 * time.Second
	DefaultRetryTimes            = 2
	DefaultMaxMessageSize        = 4 * 1024 * 1024
	maxTopicLength               = 127
	retryGroupTopicPrefix        = "%RETRY%"
	dlqGroupTopicPrefix          = "%DLQ%"
	clientInnerProducerGroupName = "CLIENT_INNER_PRODUCER"
)

// ProducerConfig configures a Producer.
type ProducerConfig struct {
	ClientConfig
	// Group is the producer group; "" means DEFAULT_PRODUCER.
	Group string
	// SendTimeout bounds a whole send, retries included, when the caller's
	// context has no deadline; 0 means 3 s.
	SendTimeout time.Duration
	// RetryTimes is how many more brokers a failed synchronous or
	// asynchronous send tries; 0 means 2, a negative value means none.
	RetryTimes int
	// CreateTopicKey is the template topic for auto-creation; "" means TBW102.
	CreateTopicKey string
	// DefaultTopicQueueNums caps the queues of an auto-created topic; 0 means 4.
	DefaultTopicQueueNums int
	// CompressOver is the body size from which bodies are zlib-compressed;
	// 0 means 4096, a negative value disables compression.
	CompressOver int
	// MaxMessageSize rejects larger bodies before sending; 0 means 4 MiB.
	MaxMessageSize int
}

func (c *ProducerConfig) withDefaults() {
	if c.Group == "" {
		c.Group = DefaultProducerGroup
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = DefaultSendTimeout
	}
	switch {
	case c.RetryTimes == 0:
		c.RetryTimes = DefaultRetryTimes
	case c.RetryTimes < 0:
		c.RetryTimes = 0
	}
	if c.CreateTopicKey == "" {
		c.CreateTopicKey = DefaultCreateTopicKey
	}
	if c.DefaultTopicQueueNums <= 0 {
		c.DefaultTopicQueueNums = DefaultTopicQueueNums
	}
	if c.CompressOver == 0 {
		c.CompressOver = message.CompressBodyOverHowmuch
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
}

// SendStatus is the outcome of a stored send (SendStatus.java).
type SendStatus int

// Send statuses.
const (
	SendOK SendStatus = iota
	SendFlushDiskTimeout
	SendFlushSlaveTimeout
	SendSlaveNotAvailable
)

func (s SendStatus) String() string {
	switch s {
	case SendOK:
		return "SEND_OK"
	case SendFlushDiskTimeout:
		return "FLUSH_DISK_TIMEOUT"
	case SendFlushSlaveTimeout:
		return "FLUSH_SLAVE_TIMEOUT"
	case SendSlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	}
	return "SendStatus(" + strconv.Itoa(int(s)) + ")"
}

// SendResult describes a stored message (SendResult.java). MsgID is the
// client id (UNIQ_KEY; comma-separated for a batch), OffsetMsgID the
// broker's offset message id(s).
type SendResult struct {
	Status        SendStatus
	MsgID         string
	OffsetMsgID   string
	Queue         MessageQueue
	QueueOffset   int64
	TransactionID string
	RegionID      string
	TraceOn       bool
}

func (r *SendResult) String() string {
	return fmt.Sprintf("SendResult [sendStatus=%s, msgId=%s, offsetMsgId=%s, messageQueue=%s, queueOffset=%d]",
		r.Status, r.MsgID, r.OffsetMsgID, mqString(r.Queue), r.QueueOffset)
}

// ErrInvalidMessage is returned, wrapped with the reason, for a message the
// producer refuses to send (Validators.checkMessage).
var ErrInvalidMessage = errors.New("invalid message")

// MessageQueueSelector picks the queue for a message among a topic's
// writable queues, for ordered sends. arg is what the caller passed.
type MessageQueueSelector func(mqs []MessageQueue, msg *message.Message, arg any) MessageQueue

// Producer sends messages to brokers (DefaultMQProducer). It is safe for
// concurrent use.
type Producer struct {
	cfg  ProducerConfig
	lg   *zap.Logger
	core *core
	ids  *uniqIDGen

	rr sync.Map // topic -> *atomic.Uint32, round-robin queue index

	mu      sync.Mutex
	running bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// NewProducer makes a producer; Start it before sending.
func NewProducer(cfg ProducerConfig, lg *zap.Logger) (*Producer, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	cfg.withDefaults()
	c, err := newCore(cfg.ClientConfig, lg)
	if err != nil {
		return nil, fmt.Errorf("new producer %s: %w", cfg.Group, err)
	}
	return &Producer{cfg: cfg, lg: lg, core: c, ids: newUniqIDGen(c.cfg.ClientIP)}, nil
}

// ClientID is the id this producer announces in heartbeats.
func (p *Producer) ClientID() string { return p.core.clientID }

// Start starts the route refresh and heartbeat loops.
func (p *Producer) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.running = true
	every(ctx, &p.wg, p.core.cfg.PollNameServerInterval, p.core.refreshRoutes)
	every(ctx, &p.wg, p.core.cfg.HeartbeatInterval, func(ctx context.Context) { _ = p.heartbeat(ctx) })
	p.core.setOnNewBroker(func() { p.kickHeartbeat(ctx) })
	return nil
}

// kickHeartbeat sends a heartbeat in the background, unless shut down.
func (p *Producer) kickHeartbeat(ctx context.Context) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.running {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = p.heartbeat(ctx)
	}()
}

// Shutdown stops the loops, unregisters from the brokers and closes the
// connections.
func (p *Producer) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if !p.running {
		p.mu.Unlock()
		return nil
	}
	p.running = false
	p.core.setOnNewBroker(nil)
	p.cancel()
	p.mu.Unlock()
	p.wg.Wait()
	h := &protocol.UnregisterClientRequestHeader{ClientID: p.core.clientID, ProducerGroup: p.cfg.Group}
	for _, addr := range p.core.brokerAddrs(true) {
		if _, err := p.core.call(ctx, addr, remoting.NewRequest(protocol.UnregisterClient, protocol.EncodeHeader(h), nil)); err != nil {
			p.lg.Debug("unregister producer failed", zap.String("brokerAddr", addr), zap.Error(err))
		}
	}
	return p.core.close()
}

func (p *Producer) isRunning() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running
}

// heartbeat announces the producer group to every master.
func (p *Producer) heartbeat(ctx context.Context) error {
	hb := &protocol.HeartbeatData{
		ClientID:        p.core.clientID,
		ProducerDataSet: []protocol.ProducerData{{GroupName: p.cfg.Group}, {GroupName: clientInnerProducerGroupName}},
		ConsumerDataSet: []protocol.ConsumerData{},
	}
	return p.core.sendHeartbeat(ctx, hb)
}

// checkMessage is the client-side validation Java's Validators.checkMessage
// does before a send.
func (p *Producer) checkMessage(m *message.Message) error {
	if m == nil {
		return fmt.Errorf("%w: the message is null", ErrInvalidMessage)
	}
	if err := checkTopic(m.Topic); err != nil {
		return err
	}
	if len(m.Body) == 0 {
		return fmt.Errorf("%w: the message body length is zero", ErrInvalidMessage)
	}
	if len(m.Body) > p.cfg.MaxMessageSize {
		return fmt.Errorf("%w: the message body size over max value, MAX: %d", ErrInvalidMessage, p.cfg.MaxMessageSize)
	}
	return nil
}

// checkTopic applies RocketMQ's topic name rules (TopicValidator).
func checkTopic(topic string) error {
	if strings.TrimSpace(topic) == "" {
		return fmt.Errorf("%w: the specified topic is blank", ErrInvalidMessage)
	}
	if len(topic) > maxTopicLength {
		return fmt.Errorf("%w: the specified topic is longer than topic max length %d", ErrInvalidMessage, maxTopicLength)
	}
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		if !(c == '%' || c == '|' || c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return fmt.Errorf("%w: the specified topic[%s] contains illegal characters, allowing only ^[%%|a-zA-Z0-9_-]+$", ErrInvalidMessage, topic)
		}
	}
	if topic == DefaultCreateTopicKey {
		return fmt.Errorf("%w: the topic[%s] is conflict with default topic", ErrInvalidMessage, topic)
	}
	return nil
}

// publishInfo returns a topic's writable queues, fetching its route when
// unknown. A topic the name servers do not know gets the queues of the
// template topic (TBW102), capped at DefaultTopicQueueNums, so the broker
// can auto-create it on the first send.
func (p *Producer) publishInfo(ctx context.Context, topic string) ([]MessageQueue, error) {
	c := p.core
	c.mu.Lock()
	mqs, ok := c.mu.publish[topic]
	c.mu.Unlock()
	if ok && len(mqs) > 0 {
		return mqs, nil
	}
	_, _, err := c.updateRoute(ctx, topic)
	if code, isBroker := CodeOf(err); err != nil && isBroker && code == protocol.TopicNotExist {
		var def *TopicRouteData
		def, err = c.fetchRoute(ctx, p.cfg.CreateTopicKey)
		if err == nil {
			for _, qd := range def.QueueDatas {
				n := min(qd.WriteQueueNums, int32(p.cfg.DefaultTopicQueueNums))
				qd.ReadQueueNums, qd.WriteQueueNums = n, n
			}
			c.storeRoute(topic, def)
			c.mu.Lock()
			if _, known := c.mu.routes[topic]; !known {
				c.mu.routes[topic] = def
			}
			c.mu.Unlock()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("publish info of %s: %w", topic, err)
	}
	c.mu.Lock()
	mqs = c.mu.publish[topic]
	c.mu.Unlock()
	if len(mqs) == 0 {
		return nil, fmt.Errorf("topic %s has no writable queue: %w", topic, ErrNoRoute)
	}
	return mqs, nil
}

// selectQueue picks the next queue round robin, avoiding lastBroker when
// another broker has a queue (MQFaultStrategy without latency tracking).
func (p *Producer) selectQueue(topic string, mqs []MessageQueue, lastBroker string) MessageQueue {
	v, _ := p.rr.LoadOrStore(topic, new(atomic.Uint32))
	idx := v.(*atomic.Uint32)
	if lastBroker != "" {
		for range mqs {
			q := mqs[int(idx.Add(1)-1)%len(mqs)]
			if q.BrokerName != lastBroker {
				return q
			}
		}
	}
	return mqs[int(idx.Add(1)-1)%len(mqs)]
}

// sendCtx gives ctx the producer's send timeout when it has no deadline.
func (p *Producer) sendCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, p.cfg.SendTimeout)
}

// prepared is a send request ready to go to any queue.
type prepared struct {
	msg    *message.Message
	batch  []*message.Message
	header protocol.SendMessageRequestHeaderV2
	body   []byte
	code   protocol.RequestCode
}

// prepare validates msg, sets its UNIQ_KEY and builds the header fields
// that do not depend on the queue.
func (p *Producer) prepare(msg *message.Message) (*prepared, error) {
	if err := p.checkMessage(msg); err != nil {
		return nil, err
	}
	if msg.UniqKey() == "" {
		msg.SetProperty(message.PropertyUniqClientMessageIDKeyidx, p.ids.next())
	}
	pr := &prepared{msg: msg, body: msg.Body, code: protocol.SendMessageV2}
	h := &pr.header
	h.ProducerGroup = p.cfg.Group
	h.Topic = msg.Topic
	h.DefaultTopic = p.cfg.CreateTopicKey
	h.DefaultTopicQueueNums = int32(p.cfg.DefaultTopicQueueNums)
	h.Flag = msg.Flag
	zero := int32(0)
	h.ReconsumeTimes = &zero
	if p.cfg.CompressOver > 0 && len(msg.Body) >= p.cfg.CompressOver {
		if z, err := message.Compress(msg.Body, message.DefaultCompressLevel); err == nil {
			pr.body = z
			h.SysFlag |= message.SysFlagCompressed | message.SysFlagCompressionZLIB
		}
	}
	if msg.Property(message.PropertyTransactionPrepared) == "true" {
		h.SysFlag |= message.SysFlagTransactionPrepared
	}
	props := msg.Properties
	if strings.HasPrefix(msg.Topic, retryGroupTopicPrefix) {
		// The send-back fallback carries the retry counters as properties;
		// they travel in the header instead (sendKernelImpl).
		props = make(map[string]string, len(msg.Properties))
		for k, v := range msg.Properties {
			props[k] = v
		}
		if v, ok := props[message.PropertyReconsumeTime]; ok {
			if n, err := strconv.ParseInt(v, 10, 32); err == nil {
				rt := int32(n)
				h.ReconsumeTimes = &rt
			}
			delete(props, message.PropertyReconsumeTime)
		}
		if v, ok := props[message.PropertyMaxReconsumeTimes]; ok {
			if n, err := strconv.ParseInt(v, 10, 32); err == nil {
				mt := int32(n)
				h.MaxReconsumeTimes = &mt
			}
			delete(props, message.PropertyMaxReconsumeTimes)
		}
	}
	h.Properties = message.EncodeProperties(props)
	return pr, nil
}

// prepareBatch checks that msgs may travel as one SEND_BATCH_MESSAGE
// (MessageBatch.generateFromList) and encodes the body.
func (p *Producer) prepareBatch(msgs []*message.Message) (*prepared, error) {
	if len(msgs) == 0 {
		return nil, fmt.Errorf("%w: the batch is empty", ErrInvalidMessage)
	}
	first := msgs[0]
	ids := make([]string, 0, len(msgs))
	size := 0
	for i, m := range msgs {
		if err := p.checkMessage(m); err != nil {
			return nil, fmt.Errorf("batch message %d: %w", i, err)
		}
		switch {
		case m.Topic != first.Topic:
			return nil, fmt.Errorf("%w: the topic of the messages in one batch should be the same", ErrInvalidMessage)
		case m.DelayTimeLevel() > 0:
			return nil, fmt.Errorf("%w: TimeDelayLevel is not supported for batching", ErrInvalidMessage)
		case strings.HasPrefix(m.Topic, retryGroupTopicPrefix):
			return nil, fmt.Errorf("%w: retry group topic is not supported for batching", ErrInvalidMessage)
		case m.WaitStoreMsgOK() != first.WaitStoreMsgOK():
			return nil, fmt.Errorf("%w: the waitStoreMsgOK of the messages in one batch should the same", ErrInvalidMessage)
		}
		if m.UniqKey() == "" {
			m.SetProperty(message.PropertyUniqClientMessageIDKeyidx, p.ids.next())
		}
		ids = append(ids, m.UniqKey())
		size += len(m.Body)
	}
	if size > p.cfg.MaxMessageSize {
		return nil, fmt.Errorf("%w: the batch body size %d over max value, MAX: %d", ErrInvalidMessage, size, p.cfg.MaxMessageSize)
	}
	body, err := message.EncodeBatch(msgs)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidMessage, err)
	}
	pr := &prepared{batch: msgs, body: body, code: protocol.SendBatchMessage}
	h := &pr.header
	h.ProducerGroup = p.cfg.Group
	h.Topic = first.Topic
	h.DefaultTopic = p.cfg.CreateTopicKey
	h.DefaultTopicQueueNums = int32(p.cfg.DefaultTopicQueueNums)
	zero := int32(0)
	h.ReconsumeTimes = &zero
	h.Batch = true
	wait := "true"
	if !first.WaitStoreMsgOK() {
		wait = "false"
	}
	h.Properties = message.EncodeProperties(map[string]string{message.PropertyWaitStoreMsgOK: wait})
	pr.msg = &message.Message{Topic: first.Topic, Properties: map[string]string{message.PropertyUniqClientMessageIDKeyidx: strings.Join(ids, ",")}}
	return pr, nil
}

// request builds the command for one queue.
func (pr *prepared) request(mq MessageQueue) *remoting.Command {
	h := pr.header
	h.QueueID = mq.QueueID
	h.BrokerName = mq.BrokerName
	h.BornTimestamp = time.Now().UnixMilli()
	return remoting.NewRequest(pr.code, protocol.EncodeHeader(&h), pr.body)
}

// sendResultOf maps a send response to a SendResult or an error
// (MQClientAPIImpl.processSendResponse).
func sendResultOf(resp *remoting.Command, addr string, mq MessageQueue, msgID string) (*SendResult, error) {
	var st SendStatus
	switch resp.ResponseCode() {
	case protocol.Success:
		st = SendOK
	case protocol.FlushDiskTimeout:
		st = SendFlushDiskTimeout
	case protocol.FlushSlaveTimeout:
		st = SendFlushSlaveTimeout
	case protocol.SlaveNotAvailable:
		st = SendSlaveNotAvailable
	default:
		return nil, &BrokerError{Code: resp.ResponseCode(), Remark: resp.Remark, Addr: addr}
	}
	var h protocol.SendMessageResponseHeader
	if err := protocol.DecodeHeader(resp.ExtFields, &h); err != nil {
		return nil, fmt.Errorf("send response from %s: %w", addr, err)
	}
	mq.QueueID = h.QueueID
	r := &SendResult{
		Status:        st,
		MsgID:         msgID,
		OffsetMsgID:   h.MsgID,
		Queue:         mq,
		QueueOffset:   h.QueueOffset,
		TransactionID: h.TransactionID,
		RegionID:      resp.ExtFields[message.PropertyMsgRegion],
		TraceOn:       resp.ExtFields[message.PropertyTraceSwitch] != "false",
	}
	if r.RegionID == "" {
		r.RegionID = "DefaultRegion"
	}
	return r, nil
}

// retryable reports whether a failed attempt may be retried on another
// broker: transport failures and the retry codes of wire-protocol.md §5.
func retryable(err error) bool {
	if code, ok := CodeOf(err); ok {
		return retryableSend(code)
	}
	return !errors.Is(err, ErrInvalidMessage) && !errors.Is(err, context.Canceled)
}

// Send sends msg synchronously, trying up to RetryTimes other queues on
// retryable failures.
func (p *Producer) Send(ctx context.Context, msg *message.Message) (*SendResult, error) {
	pr, err := p.prepare(msg)
	if err != nil {
		return nil, err
	}
	return p.sendSync(ctx, pr)
}

// SendBatch sends messages of one topic as one SEND_BATCH_MESSAGE; they
// land in one queue with consecutive offsets.
func (p *Producer) SendBatch(ctx context.Context, msgs []*message.Message) (*SendResult, error) {
	pr, err := p.prepareBatch(msgs)
	if err != nil {
		return nil, err
	}
	return p.sendSync(ctx, pr)
}

func (p *Producer) sendSync(ctx context.Context, pr *prepared) (*SendResult, error) {
	if !p.isRunning() {
		return nil, ErrClosed
	}
	ctx, cancel := p.sendCtx(ctx)
	defer cancel()
	mqs, err := p.publishInfo(ctx, pr.header.Topic)
	if err != nil {
		return nil, err
	}
	var last string
	var errs []error
	for attempt := 0; attempt <= p.cfg.RetryTimes; attempt++ {
		mq := p.selectQueue(pr.header.Topic, mqs, last)
		last = mq.BrokerName
		r, err := p.sendTo(ctx, pr, mq)
		if err == nil {
			return r, nil
		}
		errs = append(errs, err)
		if !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("send to topic %s: %w", pr.header.Topic, errors.Join(errs...))
}

// sendTo makes one attempt to one queue.
func (p *Producer) sendTo(ctx context.Context, pr *prepared, mq MessageQueue) (*SendResult, error) {
	addr, err := p.core.masterAddr(ctx, mq.Topic, mq.BrokerName)
	if err != nil {
		return nil, err
	}
	resp, err := p.core.invoke(ctx, addr, pr.request(mq))
	if err != nil {
		return nil, err
	}
	return sendResultOf(resp, addr, mq, pr.msg.UniqKey())
}

// SendToQueue sends msg synchronously to one given queue, without retry.
func (p *Producer) SendToQueue(ctx context.Context, msg *message.Message, mq MessageQueue) (*SendResult, error) {
	pr, err := p.prepare(msg)
	if err != nil {
		return nil, err
	}
	if mq.Topic != msg.Topic {
		return nil, fmt.Errorf("%w: message topic %s differs from queue topic %s", ErrInvalidMessage, msg.Topic, mq.Topic)
	}
	if !p.isRunning() {
		return nil, ErrClosed
	}
	ctx, cancel := p.sendCtx(ctx)
	defer cancel()
	return p.sendTo(ctx, pr, mq)
}

// SendSelect sends msg synchronously to the queue sel picks among the
// topic's writable queues (ordered messages), without retry.
func (p *Producer) SendSelect(ctx context.Context, msg *message.Message, sel MessageQueueSelector, arg any) (*SendResult, error) {
	pr, err := p.prepare(msg)
	if err != nil {
		return nil, err
	}
	if !p.isRunning() {
		return nil, ErrClosed
	}
	ctx, cancel := p.sendCtx(ctx)
	defer cancel()
	mqs, err := p.publishInfo(ctx, msg.Topic)
	if err != nil {
		return nil, err
	}
	mq := sel(append([]MessageQueue(nil), mqs...), msg, arg)
	if mq.Topic != msg.Topic || mq.BrokerName == "" {
		return nil, fmt.Errorf("%w: selector returned no queue of topic %s", ErrInvalidMessage, msg.Topic)
	}
	return p.sendTo(ctx, pr, mq)
}

// SelectByHash is a MessageQueueSelector for ordered messages: arg (an
// integer or a string) picks the queue by hash modulo the queue count, as
// Java's SelectMessageQueueByHash does.
func SelectByHash(mqs []MessageQueue, _ *message.Message, arg any) MessageQueue {
	var h int64
	switch v := arg.(type) {
	case int:
		h = int64(v)
	case int32:
		h = int64(v)
	case int64:
		h = v
	case string:
		h = int64(message.JavaStringHash(v))
	default:
		h = int64(message.JavaStringHash(fmt.Sprint(v)))
	}
	if h < 0 {
		h = -h
	}
	return mqs[h%int64(len(mqs))]
}

// SendAsync sends msg and calls cb with the outcome from another goroutine;
// a failed attempt is retried on another broker up to RetryTimes. An error
// returned by SendAsync itself means cb will not be called.
func (p *Producer) SendAsync(ctx context.Context, msg *message.Message, cb func(*SendResult, error)) error {
	pr, err := p.prepare(msg)
	if err != nil {
		return err
	}
	if !p.isRunning() {
		return ErrClosed
	}
	ctx, cancel := p.sendCtx(ctx)
	mqs, err := p.publishInfo(ctx, msg.Topic)
	if err != nil {
		cancel()
		return err
	}
	var errs []error
	var attempt func(n int, last string) error
	attempt = func(n int, last string) error {
		mq := p.selectQueue(msg.Topic, mqs, last)
		addr, err := p.core.masterAddr(ctx, mq.Topic, mq.BrokerName)
		if err != nil {
			return err
		}
		return p.core.rc.InvokeAsync(ctx, addr, pr.request(mq), func(resp *remoting.Command, err error) {
			var r *SendResult
			if err == nil {
				r, err = sendResultOf(resp, addr, mq, msg.UniqKey())
			} else {
				err = fmt.Errorf("%s to %s: %w", protocol.RequestCode(pr.code), addr, err)
			}
			if err == nil {
				cancel()
				cb(r, nil)
				return
			}
			errs = append(errs, err)
			if n < p.cfg.RetryTimes && retryable(err) && ctx.Err() == nil {
				aerr := attempt(n+1, mq.BrokerName)
				if aerr == nil {
					return
				}
				errs = append(errs, aerr)
			}
			cancel()
			cb(nil, fmt.Errorf("send to topic %s: %w", msg.Topic, errors.Join(errs...)))
		})
	}
	if err := attempt(0, ""); err != nil {
		cancel()
		return fmt.Errorf("send to topic %s: %w", msg.Topic, err)
	}
	return nil
}

// SendOneway sends msg without waiting for the broker's answer; one
// attempt, no result.
func (p *Producer) SendOneway(ctx context.Context, msg *message.Message) error {
	pr, err := p.prepare(msg)
	if err != nil {
		return err
	}
	if !p.isRunning() {
		return ErrClosed
	}
	ctx, cancel := p.sendCtx(ctx)
	defer cancel()
	mqs, err := p.publishInfo(ctx, msg.Topic)
	if err != nil {
		return err
	}
	mq := p.selectQueue(msg.Topic, mqs, "")
	addr, err := p.core.masterAddr(ctx, mq.Topic, mq.BrokerName)
	if err != nil {
		return err
	}
	if err := p.core.rc.InvokeOneway(addr, pr.request(mq)); err != nil {
		return fmt.Errorf("oneway send to %s: %w", addr, err)
	}
	return nil
}

// FetchPublishQueues returns a topic's writable queues (from the cache or
// the name servers).
func (p *Producer) FetchPublishQueues(ctx context.Context, topic string) ([]MessageQueue, error) {
	ctx, cancel := p.core.timeout(ctx)
	defer cancel()
	mqs, err := p.publishInfo(ctx, topic)
	if err != nil {
		return nil, err
	}
	return append([]MessageQueue(nil), mqs...), nil
}
