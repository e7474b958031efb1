package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

func newTestProducer(t *testing.T, cfg ProducerConfig) *Producer {
	t.Helper()
	p, err := NewProducer(cfg, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NoError(t, p.Start())
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return p
}

func TestProducerSendSync(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicA", 4, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns), Group: "pg"})

	ctx := context.Background()
	seen := map[int32]bool{}
	for i := 0; i < 8; i++ {
		msg := &message.Message{Topic: "TopicA", Body: []byte(fmt.Sprintf("hello %d", i))}
		msg.SetProperty(message.PropertyTags, "TagA")
		msg.SetProperty(message.PropertyKeys, "k1 k2")
		r, err := p.Send(ctx, msg)
		require.NoError(t, err)
		require.Equal(t, SendOK, r.Status)
		require.Equal(t, "broker-a", r.Queue.BrokerName)
		require.Equal(t, msg.UniqKey(), r.MsgID)
		require.Len(t, r.MsgID, 32)
		host, _, err := message.ParseOffsetMsgID(r.OffsetMsgID)
		require.NoError(t, err)
		require.Equal(t, b.addr, host.String())
		seen[r.Queue.QueueID] = true
		stored := b.stored("TopicA", r.Queue.QueueID)
		got := stored[r.QueueOffset]
		require.Equal(t, msg.Body, got.Body)
		require.Equal(t, "TagA", got.Tags())
		require.Equal(t, "k1 k2", got.Properties[message.PropertyKeys])
		require.Equal(t, r.MsgID, got.UniqKey())
		require.Equal(t, r.OffsetMsgID, got.MsgID)
	}
	require.Len(t, seen, 4, "round robin over all four queues")
}

func TestProducerHeaderV2(t *testing.T) {
	p, err := NewProducer(ProducerConfig{ClientConfig: ClientConfig{NameServers: []string{"127.0.0.1:1"}}, Group: "pg"}, nil)
	require.NoError(t, err)
	msg := &message.Message{Topic: "T", Flag: 7, Body: []byte("x")}
	msg.SetProperty(message.PropertyTags, "t")
	pr, err := p.prepare(msg)
	require.NoError(t, err)
	req := pr.request(MessageQueue{Topic: "T", BrokerName: "b", QueueID: 3})
	require.Equal(t, int32(protocol.SendMessageV2), req.Code)
	ext := req.ExtFields
	require.Equal(t, "pg", ext["a"])
	require.Equal(t, "T", ext["b"])
	require.Equal(t, "TBW102", ext["c"])
	require.Equal(t, "4", ext["d"])
	require.Equal(t, "3", ext["e"])
	require.Equal(t, "0", ext["f"])
	require.NotEmpty(t, ext["g"])
	require.Equal(t, "7", ext["h"])
	require.Equal(t, "0", ext["j"])
	require.Equal(t, "false", ext["k"])
	require.Equal(t, "false", ext["m"])
	require.Equal(t, "b", ext["n"])
	require.NotContains(t, ext, "l")
	props := message.DecodeProperties(ext["i"])
	require.Equal(t, "t", props["TAGS"])
	require.Equal(t, msg.UniqKey(), props["UNIQ_KEY"])

	// Large bodies are compressed; the flag says so.
	big := &message.Message{Topic: "T", Body: []byte(strings.Repeat("abc", 3000))}
	pr, err = p.prepare(big)
	require.NoError(t, err)
	req = pr.request(MessageQueue{Topic: "T", BrokerName: "b"})
	require.Equal(t, fmt.Sprint(message.SysFlagCompressed|message.SysFlagCompressionZLIB), req.ExtFields["f"])
	plain, err := message.Decompress(req.Body)
	require.NoError(t, err)
	require.Equal(t, big.Body, plain)

	// Retry topics move the reconsume counters into the header.
	rm := &message.Message{Topic: "%RETRY%cg", Body: []byte("x")}
	rm.SetProperty(message.PropertyReconsumeTime, "3")
	rm.SetProperty(message.PropertyMaxReconsumeTimes, "16")
	pr, err = p.prepare(rm)
	require.NoError(t, err)
	req = pr.request(MessageQueue{Topic: "%RETRY%cg", BrokerName: "b"})
	require.Equal(t, "3", req.ExtFields["j"])
	require.Equal(t, "16", req.ExtFields["l"])
	props = message.DecodeProperties(req.ExtFields["i"])
	require.NotContains(t, props, message.PropertyReconsumeTime)
	require.NotContains(t, props, message.PropertyMaxReconsumeTimes)
}

func TestProducerRejectsBadMessages(t *testing.T) {
	p, err := NewProducer(ProducerConfig{ClientConfig: ClientConfig{NameServers: []string{"127.0.0.1:1"}}, MaxMessageSize: 10}, nil)
	require.NoError(t, err)
	for name, m := range map[string]*message.Message{
		"nil":        nil,
		"blank":      {Topic: " ", Body: []byte("x")},
		"illegal":    {Topic: "a b", Body: []byte("x")},
		"long":       {Topic: strings.Repeat("t", 128), Body: []byte("x")},
		"empty body": {Topic: "T"},
		"too big":    {Topic: "T", Body: make([]byte, 11)},
		"TBW102":     {Topic: "TBW102", Body: []byte("x")},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := p.prepare(m)
			require.ErrorIs(t, err, ErrInvalidMessage)
		})
	}
	_, err = p.Send(context.Background(), &message.Message{Topic: "T", Body: []byte("x")})
	require.ErrorIs(t, err, ErrClosed)
}

func TestProducerSendResultMapping(t *testing.T) {
	req := remoting.NewRequest(protocol.SendMessageV2, nil, nil)
	mq := MessageQueue{Topic: "T", BrokerName: "b", QueueID: 9}
	for _, tc := range []struct {
		code protocol.ResponseCode
		want SendStatus
	}{
		{protocol.Success, SendOK},
		{protocol.FlushDiskTimeout, SendFlushDiskTimeout},
		{protocol.FlushSlaveTimeout, SendFlushSlaveTimeout},
		{protocol.SlaveNotAvailable, SendSlaveNotAvailable},
	} {
		resp := remoting.NewResponse(req, tc.code, "")
		resp.ExtFields = map[string]string{"msgId": "0A0000010000277B0000000000000010", "queueId": "2", "queueOffset": "42", "TRACE_ON": "false"}
		r, err := sendResultOf(resp, "x:1", mq, "UNIQ")
		require.NoError(t, err)
		require.Equal(t, tc.want, r.Status)
		require.Equal(t, int32(2), r.Queue.QueueID)
		require.Equal(t, int64(42), r.QueueOffset)
		require.Equal(t, "UNIQ", r.MsgID)
		require.Equal(t, "0A0000010000277B0000000000000010", r.OffsetMsgID)
		require.Equal(t, "DefaultRegion", r.RegionID)
		require.False(t, r.TraceOn)
	}
	resp := remoting.NewResponse(req, protocol.MessageIllegal, "the message is illegal")
	_, err := sendResultOf(resp, "x:1", mq, "UNIQ")
	var be *BrokerError
	require.ErrorAs(t, err, &be)
	require.Equal(t, protocol.MessageIllegal, be.Code)
	require.Equal(t, "the message is illegal", be.Remark)
	require.False(t, retryable(err))

	// A stored answer without its header fields is an error, not a panic.
	resp = remoting.NewResponse(req, protocol.Success, "")
	_, err = sendResultOf(resp, "x:1", mq, "UNIQ")
	require.Error(t, err)
}

func TestProducerRetrySelection(t *testing.T) {
	for _, code := range []protocol.ResponseCode{protocol.TopicNotExist, protocol.ServiceNotAvailable, protocol.SystemError, protocol.NoPermission} {
		require.True(t, retryable(&BrokerError{Code: code}), "%s", code)
	}
	for _, code := range []protocol.ResponseCode{protocol.MessageIllegal, protocol.SystemBusy, protocol.SubscriptionGroupNotExist} {
		require.False(t, retryable(&BrokerError{Code: code}), "%s", code)
	}
	require.True(t, retryable(errors.New("connection refused")))
	require.False(t, retryable(fmt.Errorf("x: %w", ErrInvalidMessage)))

	p, err := NewProducer(ProducerConfig{ClientConfig: ClientConfig{NameServers: []string{"127.0.0.1:1"}}}, nil)
	require.NoError(t, err)
	mqs := []MessageQueue{{Topic: "T", BrokerName: "a", QueueID: 0}, {Topic: "T", BrokerName: "a", QueueID: 1}, {Topic: "T", BrokerName: "b", QueueID: 0}}
	for i := 0; i < 6; i++ {
		require.Equal(t, "b", p.selectQueue("T", mqs, "a").BrokerName)
		require.Equal(t, "a", p.selectQueue("T", mqs, "b").BrokerName)
	}
	one := []MessageQueue{{Topic: "T", BrokerName: "a"}}
	require.Equal(t, "a", p.selectQueue("T", one, "a").BrokerName, "no other broker: same one")
}

func TestProducerRetriesOnAnotherBroker(t *testing.T) {
	ns := startTestNameServer(t)
	a := startTestBroker(t, ns, "broker-a")
	b := startTestBroker(t, ns, "broker-b")
	a.createTopic("TopicR", 1, 6)
	b.createTopic("TopicR", 1, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns), Group: "pg"})
	a.failNextSends(protocol.ServiceNotAvailable)
	b.failNextSends(protocol.ServiceNotAvailable)
	// Each broker fails once: the send fails on one, then on the other, and
	// succeeds on its third attempt.
	r, err := p.Send(context.Background(), &message.Message{Topic: "TopicR", Body: []byte("x")})
	require.NoError(t, err)
	require.Equal(t, SendOK, r.Status)
	sends := func() int { return a.requests(protocol.SendMessageV2) + b.requests(protocol.SendMessageV2) }
	require.Equal(t, 3, sends())
	require.Equal(t, 1, len(a.stored("TopicR", 0))+len(b.stored("TopicR", 0)))

	// A non-retryable code is returned at once, typed.
	a.failNextSends(protocol.MessageIllegal)
	b.failNextSends(protocol.MessageIllegal)
	_, err = p.Send(context.Background(), &message.Message{Topic: "TopicR", Body: []byte("x")})
	code, ok := CodeOf(err)
	require.True(t, ok)
	require.Equal(t, protocol.MessageIllegal, code)
	require.Equal(t, 4, sends(), "one attempt only")

	// With retries off, a retryable failure is returned after one attempt.
	q := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns), Group: "pg2", RetryTimes: -1})
	for _, br := range []*testBroker{a, b} {
		br.mu.Lock()
		br.mu.sendCodes = nil
		br.mu.Unlock()
	}
	a.failNextSends(protocol.SystemError)
	b.failNextSends(protocol.SystemError)
	_, err = q.Send(context.Background(), &message.Message{Topic: "TopicR", Body: []byte("x")})
	code, _ = CodeOf(err)
	require.Equal(t, protocol.SystemError, code)
	require.Equal(t, 5, sends())
}

func TestProducerAutoCreateViaTBW102(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns), Group: "pg"})
	r, err := p.Send(context.Background(), &message.Message{Topic: "NewTopic", Body: []byte("x")})
	require.NoError(t, err)
	require.Equal(t, "NewTopic", r.Queue.Topic)
	mqs, err := p.FetchPublishQueues(context.Background(), "NewTopic")
	require.NoError(t, err)
	require.Len(t, mqs, DefaultTopicQueueNums, "TBW102's 8 queues capped at 4")
	require.Len(t, b.stored("NewTopic", r.Queue.QueueID), 1)
	// The broker registered the new topic; a refresh finds its real route.
	p.core.refreshRoutes(context.Background())
	route, err := p.core.route(context.Background(), "NewTopic")
	require.NoError(t, err)
	require.Equal(t, int32(4), route.QueueDatas[0].WriteQueueNums)
	require.Equal(t, int32(6), route.QueueDatas[0].Perm)
}

func TestProducerSendAsyncAndOneway(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicA", 2, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns), Group: "pg"})
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	results := map[string]*SendResult{}
	for i := 0; i < n; i++ {
		wg.Add(1)
		msg := &message.Message{Topic: "TopicA", Body: []byte(fmt.Sprint(i))}
		require.NoError(t, p.SendAsync(context.Background(), msg, func(r *SendResult, err error) {
			defer wg.Done()
			require.NoError(t, err)
			mu.Lock()
			results[r.MsgID] = r
			mu.Unlock()
		}))
	}
	wg.Wait()
	require.Len(t, results, n)

	// Async retry: the first attempt fails with a retryable code.
	b.failNextSends(protocol.SystemError)
	done := make(chan error, 1)
	require.NoError(t, p.SendAsync(context.Background(), &message.Message{Topic: "TopicA", Body: []byte("r")}, func(r *SendResult, err error) { done <- err }))
	require.NoError(t, <-done)

	require.NoError(t, p.SendOneway(context.Background(), &message.Message{Topic: "TopicA", Body: []byte("oneway")}))
	require.Eventually(t, func() bool {
		return len(b.stored("TopicA", 0))+len(b.stored("TopicA", 1)) == n+2
	}, 10*time.Second, 10*time.Millisecond)
}

func TestProducerSendBatch(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicB", 1, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns), Group: "pg"})
	var msgs []*message.Message
	for i := 0; i < 5; i++ {
		m := &message.Message{Topic: "TopicB", Flag: int32(i), Body: []byte(fmt.Sprint("batch-", i))}
		m.SetProperty(message.PropertyTags, "T"+fmt.Sprint(i))
		msgs = append(msgs, m)
	}
	r, err := p.SendBatch(context.Background(), msgs)
	require.NoError(t, err)
	ids := strings.Split(r.MsgID, ",")
	offIDs := strings.Split(r.OffsetMsgID, ",")
	require.Len(t, ids, 5)
	require.Len(t, offIDs, 5)
	stored := b.stored("TopicB", 0)
	require.Len(t, stored, 5)
	for i, m := range stored {
		require.Equal(t, int64(i), m.QueueOffset)
		require.Equal(t, msgs[i].Body, m.Body)
		require.Equal(t, int32(i), m.Flag)
		require.Equal(t, "T"+fmt.Sprint(i), m.Tags())
		require.Equal(t, ids[i], m.UniqKey())
		require.Equal(t, offIDs[i], m.MsgID)
		require.Equal(t, "true", m.Properties[message.PropertyWaitStoreMsgOK], "batch-level properties are kept")
	}

	_, err = p.SendBatch(context.Background(), []*message.Message{{Topic: "A", Body: []byte("x")}, {Topic: "B", Body: []byte("x")}})
	require.ErrorIs(t, err, ErrInvalidMessage)
	d := &message.Message{Topic: "TopicB", Body: []byte("x")}
	d.SetProperty(message.PropertyDelayTimeLevel, "3")
	_, err = p.SendBatch(context.Background(), []*message.Message{d})
	require.ErrorIs(t, err, ErrInvalidMessage)
}

func TestProducerOrderedSelector(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicO", 4, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns), Group: "pg"})
	for i := 0; i < 12; i++ {
		orderID := i % 3
		r, err := p.SendSelect(context.Background(), &message.Message{Topic: "TopicO", Body: []byte(fmt.Sprint(i))}, SelectByHash, orderID)
		require.NoError(t, err)
		require.Equal(t, int32(orderID), r.Queue.QueueID)
	}
	for q := int32(0); q < 3; q++ {
		stored := b.stored("TopicO", q)
		require.Len(t, stored, 4)
		for k, m := range stored {
			require.Equal(t, fmt.Sprint(int(q)+3*k), string(m.Body), "order within a queue")
		}
	}
	r, err := p.SendToQueue(context.Background(), &message.Message{Topic: "TopicO", Body: []byte("q3")}, MessageQueue{Topic: "TopicO", BrokerName: "broker-a", QueueID: 3})
	require.NoError(t, err)
	require.Equal(t, int32(3), r.Queue.QueueID)
	_, err = p.SendToQueue(context.Background(), &message.Message{Topic: "TopicO", Body: []byte("bad")}, MessageQueue{Topic: "TopicO", BrokerName: "broker-a", QueueID: 9})
	code, _ := CodeOf(err)
	require.Equal(t, protocol.SystemError, code)
}

func TestProducerHeartbeatAndUnregister(t *testing.T) {
	ns := startTestNameServer(t)
	b := startTestBroker(t, ns, "broker-a")
	b.createTopic("TopicA", 1, 6)
	cfg := testClientConfig(ns)
	cfg.HeartbeatInterval = 20 * time.Millisecond
	p, err := NewProducer(ProducerConfig{ClientConfig: cfg, Group: "pg"}, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NoError(t, p.Start())
	_, err = p.Send(context.Background(), &message.Message{Topic: "TopicA", Body: []byte("x")})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, id := range b.mu.producers["pg"] {
			if id == p.ClientID() {
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, p.Shutdown(context.Background()))
	require.Equal(t, 1, b.requests(protocol.UnregisterClient))
}

func TestProducerFailsOverFromDeadBroker(t *testing.T) {
	ns := startTestNameServer(t)
	a := startTestBroker(t, ns, "broker-a")
	b := startTestBroker(t, ns, "broker-b")
	a.createTopic("TopicD", 2, 6)
	b.createTopic("TopicD", 2, 6)
	p := newTestProducer(t, ProducerConfig{ClientConfig: testClientConfig(ns), Group: "pg"})
	_, err := p.Send(context.Background(), &message.Message{Topic: "TopicD", Body: []byte("warm")})
	require.NoError(t, err)

	// broker-a dies but stays in the route (its registration is still live).
	require.NoError(t, a.srv.Shutdown(context.Background()))
	for i := 0; i < 10; i++ {
		r, err := p.Send(context.Background(), &message.Message{Topic: "TopicD", Body: []byte(fmt.Sprint(i))})
		require.NoError(t, err)
		require.Equal(t, "broker-b", r.Queue.BrokerName)
	}
	total := 0
	for _, br := range []*testBroker{a, b} {
		total += len(br.stored("TopicD", 0)) + len(br.stored("TopicD", 1))
	}
	require.Equal(t, 11, total)
}
