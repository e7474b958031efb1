package client

// Test environment: the real name server (internal/namesrv), and testBroker, a deliberately small in-memory broker
// that answers the client data path with RocketMQ's codes and the stored
// record format (message.EncodeRecord). It stands in until internal/broker
// serves sends and pulls; it has no disk, no delay levels and no
// long-polling accuracy beyond "answer when a message arrives or the
// suspend time ends".

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/namesrv"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

type testNameServer struct {
	srv  *namesrv.Server
	addr string
}

// startTestNameServer runs the real name server on a free loopback port.
func startTestNameServer(t *testing.T) *testNameServer {
	t.Helper()
	cfg := namesrv.DefaultConfig()
	cfg.ListenPort = 0
	cfg.BindAddress = "127.0.0.1"
	cfg.KvConfigPath = filepath.Join(t.TempDir(), "kvConfig.json")
	cfg.ConfigStorePath = filepath.Join(t.TempDir(), "namesrv.properties")
	srv, err := namesrv.New(cfg, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return &testNameServer{srv: srv, addr: srv.Addr()}
}

type testConsumer struct {
	clientID string
	subs     map[string]protocol.SubscriptionData
	model    string
}

type testBroker struct {
	t       *testing.T
	srv     *remoting.Server
	ns      *testNameServer
	name    string
	cluster string
	addr    string
	host    netip.AddrPort

	mu struct {
		sync.Mutex
		topics    map[string]*protocol.TopicConfig
		records   map[int64][]byte   // commit log offset -> record
		queues    map[string][]int64 // topic@qid -> commit log offsets
		phy       int64
		offsets   map[string]int64 // group@topic@qid -> committed offset
		groups    map[string]map[*remoting.Conn]*testConsumer
		producers map[string]map[*remoting.Conn]string
		appended  chan struct{} // closed and replaced on every append
		sendCodes []protocol.ResponseCode
		sendBack  int
		requests  map[protocol.RequestCode]int
	}
	noOffsetInMemory bool // QUERY_CONSUMER_OFFSET answers QUERY_NOT_FOUND when none is stored
	nsClient         *remoting.Client
	version          atomic.Int64
}

func startTestBroker(t *testing.T, ns *testNameServer, name string) *testBroker {
	t.Helper()
	lg := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	b := &testBroker{t: t, ns: ns, name: name, cluster: "DefaultCluster",
		srv: remoting.NewServer(remoting.ServerConfig{ListenAddr: "127.0.0.1:0"}, lg)}
	b.mu.topics = map[string]*protocol.TopicConfig{}
	b.mu.records = map[int64][]byte{}
	b.mu.queues = map[string][]int64{}
	b.mu.offsets = map[string]int64{}
	b.mu.groups = map[string]map[*remoting.Conn]*testConsumer{}
	b.mu.producers = map[string]map[*remoting.Conn]string{}
	b.mu.appended = make(chan struct{})
	b.mu.requests = map[protocol.RequestCode]int{}
	tbw := protocol.NewTopicConfig("TBW102", 8, 8, protocol.PermInherit|protocol.PermRead|protocol.PermWrite)
	b.mu.topics["TBW102"] = &tbw
	b.handle(protocol.SendMessageV2, b.send)
	b.handle(protocol.SendBatchMessage, b.send)
	b.handle(protocol.PullMessage, b.pull)
	b.handle(protocol.HeartBeat, b.heartbeat)
	b.handle(protocol.UnregisterClient, b.unregister)
	b.handle(protocol.GetConsumerListByGroup, b.consumerList)
	b.handle(protocol.QueryConsumerOffset, b.queryOffset)
	b.handle(protocol.UpdateConsumerOffset, b.updateOffset)
	b.handle(protocol.GetMaxOffset, b.maxOffset)
	b.handle(protocol.GetMinOffset, b.minOffset)
	b.handle(protocol.SearchOffsetByTimestamp, b.searchOffset)
	b.handle(protocol.ConsumerSendMsgBack, b.sendBack)
	b.handle(protocol.ViewMessageById, b.viewMessage)
	b.srv.OnClose(b.connClosed)
	require.NoError(t, b.srv.Start())
	b.addr = b.srv.Addr()
	b.host = netip.MustParseAddrPort(b.addr)
	b.nsClient = remoting.NewClient(remoting.ClientConfig{}, lg)
	t.Cleanup(func() {
		_ = b.nsClient.Close()
		_ = b.srv.Shutdown(context.Background())
	})
	b.register()
	return b
}

func (b *testBroker) handle(code protocol.RequestCode, h remoting.HandlerFunc) {
	b.srv.Register(code, func(c *remoting.Conn, req *remoting.Command) *remoting.Command {
		b.mu.Lock()
		b.mu.requests[code]++
		b.mu.Unlock()
		return h(c, req)
	}, nil)
}

func (b *testBroker) requests(code protocol.RequestCode) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mu.requests[code]
}

// register sends REGISTER_BROKER with the whole topic table, as the broker
// does after a topic change.
func (b *testBroker) register() {
	b.mu.Lock()
	table := map[string]*protocol.TopicConfig{}
	for k, v := range b.mu.topics {
		c := *v
		table[k] = &c
	}
	b.mu.Unlock()
	body := (&protocol.RegisterBrokerBody{TopicConfigSerializeWrapper: protocol.TopicConfigSerializeWrapper{
		TopicConfigTable: table,
		DataVersion:      protocol.DataVersion{Counter: b.version.Add(1), Timestamp: time.Now().UnixMilli()},
	}}).Encode()
	h := &protocol.RegisterBrokerRequestHeader{BrokerName: b.name, BrokerAddr: b.addr, ClusterName: b.cluster, HaServerAddr: b.addr, BrokerID: 0}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := b.nsClient.Invoke(ctx, b.ns.addr, remoting.NewRequest(protocol.RegisterBroker, protocol.EncodeHeader(h), body))
	require.NoError(b.t, err)
	require.Equal(b.t, protocol.Success, resp.ResponseCode(), resp.Remark)
}

func (b *testBroker) createTopic(name string, queues int32, perm int32) {
	tc := protocol.NewTopicConfig(name, queues, queues, perm)
	b.mu.Lock()
	b.mu.topics[name] = &tc
	b.mu.Unlock()
	b.register()
}

// failNextSends makes the next sends answer the given codes, in order.
func (b *testBroker) failNextSends(codes ...protocol.ResponseCode) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mu.sendCodes = append(b.mu.sendCodes, codes...)
}

func qkey(topic string, qid int32) string { return topic + "@" + strconv.Itoa(int(qid)) }

func (b *testBroker) send(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.SendMessageRequestHeaderV2
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	if len(b.mu.sendCodes) > 0 {
		code := b.mu.sendCodes[0]
		b.mu.sendCodes = b.mu.sendCodes[1:]
		b.mu.Unlock()
		return remoting.NewResponse(req, code, "injected by the test")
	}
	tc := b.mu.topics[h.Topic]
	created := false
	if tc == nil {
		def := b.mu.topics[h.DefaultTopic]
		switch {
		case def != nil && def.Perm&protocol.PermInherit != 0:
			n := min(h.DefaultTopicQueueNums, def.WriteQueueNums)
			c := protocol.NewTopicConfig(h.Topic, n, n, def.Perm&^protocol.PermInherit)
			tc = &c
		case strings.HasPrefix(h.Topic, "%RETRY%") || strings.HasPrefix(h.Topic, "%DLQ%"):
			c := protocol.NewTopicConfig(h.Topic, 1, 1, 6)
			tc = &c
		default:
			b.mu.Unlock()
			return remoting.NewResponse(req, protocol.TopicNotExist, "topic["+h.Topic+"] not exist, apply first please!")
		}
		b.mu.topics[h.Topic] = tc
		created = true
	}
	if h.QueueID >= max(tc.WriteQueueNums, tc.ReadQueueNums) {
		b.mu.Unlock()
		return remoting.NewResponse(req, protocol.SystemError, "request queueId["+strconv.Itoa(int(h.QueueID))+"] is illegal")
	}
	if h.QueueID < 0 {
		h.QueueID = rand.Int32N(tc.WriteQueueNums)
	}
	type entry struct {
		flag  int32
		body  []byte
		props string
	}
	var entries []entry
	if h.Batch {
		es, err := message.DecodeBatch(req.Body)
		if err != nil {
			b.mu.Unlock()
			return remoting.NewResponse(req, protocol.MessageIllegal, err.Error())
		}
		for _, e := range es {
			props := e.Properties
			if props != "" && !strings.HasSuffix(props, "\x02") {
				props += "\x02"
			}
			entries = append(entries, entry{e.Flag, e.Body, props + h.Properties})
		}
	} else {
		entries = []entry{{h.Flag, req.Body, h.Properties}}
	}
	born, _ := netip.ParseAddrPort(c.RemoteAddr())
	var ids []string
	first := int64(-1)
	for _, e := range entries {
		props := message.DecodeProperties(e.props)
		if !h.Batch {
			delete(props, message.PropertyWaitStoreMsgOK)
		}
		props[message.PropertyCluster] = b.cluster
		qk := qkey(h.Topic, h.QueueID)
		m := &message.MessageExt{
			Message:         message.Message{Topic: h.Topic, Flag: e.flag, Properties: props, Body: e.body},
			QueueID:         h.QueueID,
			QueueOffset:     int64(len(b.mu.queues[qk])),
			SysFlag:         h.SysFlag,
			BornTimestamp:   h.BornTimestamp,
			BornHost:        born,
			StoreTimestamp:  time.Now().UnixMilli(),
			StoreHost:       b.host,
			CommitLogOffset: b.mu.phy,
		}
		if h.ReconsumeTimes != nil {
			m.ReconsumeTimes = *h.ReconsumeTimes
		}
		rec, err := message.EncodeRecord(m)
		if err != nil {
			b.mu.Unlock()
			return remoting.NewResponse(req, protocol.MessageIllegal, err.Error())
		}
		if first < 0 {
			first = m.QueueOffset
		}
		b.mu.records[b.mu.phy] = rec
		b.mu.queues[qk] = append(b.mu.queues[qk], b.mu.phy)
		ids = append(ids, message.CreateOffsetMsgID(b.host, b.mu.phy))
		b.mu.phy += int64(len(rec))
	}
	close(b.mu.appended)
	b.mu.appended = make(chan struct{})
	b.mu.Unlock()
	if created {
		b.register()
	}
	resp := remoting.NewResponse(req, protocol.Success, "")
	resp.ExtFields = protocol.EncodeHeader(&protocol.SendMessageResponseHeader{MsgID: strings.Join(ids, ","), QueueID: h.QueueID, QueueOffset: first})
	resp.ExtFields[protocol.PropertyMsgRegion] = "DefaultRegion"
	resp.ExtFields[protocol.PropertyTraceOn] = "true"
	return resp
}

// getLocked reads like DefaultMessageStore.getMessage, filtering by tag code.
func (b *testBroker) getLocked(topic string, qid int32, offset int64, maxNums int32, sub *protocol.SubscriptionData) (*remoting.Command, bool) {
	q := b.mu.queues[qkey(topic, qid)]
	maxOff := int64(len(q))
	resp := &remoting.Command{}
	next := offset
	code := protocol.Success
	remark := "FOUND"
	switch {
	case maxOff == 0 && offset != 0:
		code, remark, next = protocol.PullOffsetMoved, "NO_MESSAGE_IN_QUEUE", 0
	case offset > maxOff:
		// Past the end: the store corrects to the min offset when it is 0,
		// else to the max offset (DefaultMessageStore.getMessage).
		code, remark, next = protocol.PullOffsetMoved, "OFFSET_OVERFLOW_BADLY", 0
	case offset == maxOff:
		code, remark = protocol.PullNotFound, "OFFSET_OVERFLOW_ONE"
	case offset < 0:
		code, remark, next = protocol.PullOffsetMoved, "OFFSET_TOO_SMALL", 0
	default:
		var found int32
		for next < maxOff && found < maxNums {
			rec := b.mu.records[q[next]]
			next++
			m, _, err := message.DecodeRecord(rec)
			require.NoError(b.t, err)
			if sub != nil && sub.SubString != SubAll && sub.SubString != "" {
				code := message.JavaStringHash(m.Tags())
				if m.Tags() == "" || !containsCode(sub.CodeSet, code) {
					continue
				}
			}
			resp.Body = append(resp.Body, rec...)
			found++
		}
		if found == 0 {
			code, remark = protocol.PullRetryImmediately, "NO_MATCHED_MESSAGE"
		}
	}
	resp.Code = int32(code)
	resp.Remark = remark
	resp.ExtFields = protocol.EncodeHeader(&protocol.PullMessageResponseHeader{NextBeginOffset: next, MinOffset: 0, MaxOffset: maxOff})
	return resp, code == protocol.PullNotFound
}

func containsCode(codes protocol.CodeSet, c int32) bool {
	for _, x := range codes {
		if x == c {
			return true
		}
	}
	return false
}

func (b *testBroker) pull(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.PullMessageRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	tc := b.mu.topics[h.Topic]
	if tc == nil {
		b.mu.Unlock()
		return remoting.NewResponse(req, protocol.TopicNotExist, "topic["+h.Topic+"] not exist, apply first please!")
	}
	if h.QueueID < 0 || h.QueueID >= tc.ReadQueueNums {
		b.mu.Unlock()
		return remoting.NewResponse(req, protocol.SystemError, "queueId["+strconv.Itoa(int(h.QueueID))+"] is illegal")
	}
	if h.SysFlag&protocol.PullFlagCommitOffset != 0 {
		b.mu.offsets[h.ConsumerGroup+"@"+qkey(h.Topic, h.QueueID)] = h.CommitOffset
	}
	var sub *protocol.SubscriptionData
	if h.SysFlag&protocol.PullFlagSubscription != 0 {
		s := newTagSubscription(h.Topic, h.Subscription, h.SubVersion)
		sub = &s
	} else {
		for _, tcons := range b.mu.groups[h.ConsumerGroup] {
			if s, ok := tcons.subs[h.Topic]; ok {
				sub = &s
				break
			}
		}
		if sub == nil {
			b.mu.Unlock()
			return remoting.NewResponse(req, protocol.SubscriptionNotExist, "the consumer's subscription not exist")
		}
	}
	resp, empty := b.getLocked(h.Topic, h.QueueID, h.QueueOffset, h.MaxMsgNums, sub)
	appended := b.mu.appended
	b.mu.Unlock()
	if !empty || h.SysFlag&protocol.PullFlagSuspend == 0 {
		return fill(req, resp)
	}
	// Long polling: answer when the queue grows or the suspend time ends.
	go func() {
		deadline := time.NewTimer(time.Duration(h.SuspendTimeoutMillis) * time.Millisecond)
		defer deadline.Stop()
		timedOut := false
		for {
			select {
			case <-appended:
			case <-deadline.C:
				timedOut = true
			}
			b.mu.Lock()
			resp, empty = b.getLocked(h.Topic, h.QueueID, h.QueueOffset, h.MaxMsgNums, sub)
			appended = b.mu.appended
			b.mu.Unlock()
			if !empty || timedOut || c.Closed() {
				_ = c.Reply(fill(req, resp))
				return
			}
		}
	}()
	return nil
}

// fill turns a bare result into the response to req.
func fill(req *remoting.Command, r *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.ResponseCode(r.Code), r.Remark)
	resp.ExtFields = r.ExtFields
	resp.Body = r.Body
	return resp
}

func (b *testBroker) heartbeat(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	hb, err := protocol.DecodeHeartbeatData(req.Body)
	if err != nil {
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	var notify []*remoting.Conn
	var newTopics []string
	b.mu.Lock()
	for _, p := range hb.ProducerDataSet {
		if b.mu.producers[p.GroupName] == nil {
			b.mu.producers[p.GroupName] = map[*remoting.Conn]string{}
		}
		b.mu.producers[p.GroupName][c] = hb.ClientID
	}
	for _, cd := range hb.ConsumerDataSet {
		g := b.mu.groups[cd.GroupName]
		if g == nil {
			g = map[*remoting.Conn]*testConsumer{}
			b.mu.groups[cd.GroupName] = g
		}
		retry := "%RETRY%" + cd.GroupName
		if b.mu.topics[retry] == nil {
			tc := protocol.NewTopicConfig(retry, 1, 1, 6)
			b.mu.topics[retry] = &tc
			newTopics = append(newTopics, retry)
		}
		tc := &testConsumer{clientID: hb.ClientID, subs: map[string]protocol.SubscriptionData{}, model: cd.MessageModel}
		for _, s := range cd.SubscriptionDataSet {
			tc.subs[s.Topic] = s
		}
		_, known := g[c]
		g[c] = tc
		if !known {
			for other := range g {
				notify = append(notify, other)
			}
		}
	}
	b.mu.Unlock()
	if len(newTopics) > 0 {
		b.register()
	}
	for _, cd := range hb.ConsumerDataSet {
		for _, other := range notify {
			n := remoting.NewRequest(protocol.NotifyConsumerIdsChanged, protocol.EncodeHeader(&protocol.NotifyConsumerIdsChangedRequestHeader{ConsumerGroup: cd.GroupName}), nil)
			_ = other.InvokeOneway(n)
		}
	}
	return remoting.NewResponse(req, protocol.Success, "")
}

func (b *testBroker) dropConn(c *remoting.Conn, group string) {
	var notify []*remoting.Conn
	b.mu.Lock()
	for name, g := range b.mu.groups {
		if group != "" && name != group {
			continue
		}
		if _, ok := g[c]; ok {
			delete(g, c)
			for other := range g {
				notify = append(notify, other)
			}
		}
	}
	for _, p := range b.mu.producers {
		delete(p, c)
	}
	b.mu.Unlock()
	for _, other := range notify {
		_ = other.InvokeOneway(remoting.NewRequest(protocol.NotifyConsumerIdsChanged, map[string]string{"consumerGroup": group}, nil))
	}
}

func (b *testBroker) connClosed(c *remoting.Conn) { b.dropConn(c, "") }

func (b *testBroker) unregister(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.UnregisterClientRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	if h.ConsumerGroup != "" {
		b.dropConn(c, h.ConsumerGroup)
	}
	return remoting.NewResponse(req, protocol.Success, "")
}

func (b *testBroker) consumerList(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	group := req.ExtFields["consumerGroup"]
	b.mu.Lock()
	var ids []string
	for _, tc := range b.mu.groups[group] {
		ids = append(ids, tc.clientID)
	}
	b.mu.Unlock()
	if len(ids) == 0 {
		return remoting.NewResponse(req, protocol.SystemError, "no consumer for this group, "+group)
	}
	resp := remoting.NewResponse(req, protocol.Success, "")
	resp.Body = protocol.MarshalCompact(&protocol.ConsumerListBody{ConsumerIDList: ids})
	return resp
}

func (b *testBroker) consumerIDs(group string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ids []string
	for _, tc := range b.mu.groups[group] {
		ids = append(ids, tc.clientID)
	}
	return ids
}

func (b *testBroker) queryOffset(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.QueryConsumerOffsetRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	off, ok := b.mu.offsets[h.ConsumerGroup+"@"+qkey(h.Topic, h.QueueID)]
	b.mu.Unlock()
	if !ok {
		if b.noOffsetInMemory {
			return remoting.NewResponse(req, protocol.QueryNotFound, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")
		}
		off = 0
	}
	resp := remoting.NewResponse(req, protocol.Success, "")
	resp.ExtFields = map[string]string{"offset": strconv.FormatInt(off, 10)}
	return resp
}

func (b *testBroker) committed(group, topic string, qid int32) (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	off, ok := b.mu.offsets[group+"@"+qkey(topic, qid)]
	return off, ok
}

func (b *testBroker) updateOffset(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.UpdateConsumerOffsetRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	b.mu.offsets[h.ConsumerGroup+"@"+qkey(h.Topic, h.QueueID)] = h.CommitOffset
	b.mu.Unlock()
	return remoting.NewResponse(req, protocol.Success, "")
}

func (b *testBroker) maxOffset(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetMaxOffsetRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	n := len(b.mu.queues[qkey(h.Topic, h.QueueID)])
	b.mu.Unlock()
	resp := remoting.NewResponse(req, protocol.Success, "")
	resp.ExtFields = map[string]string{"offset": strconv.Itoa(n)}
	return resp
}

func (b *testBroker) minOffset(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.Success, "")
	resp.ExtFields = map[string]string{"offset": "0"}
	return resp
}

// searchOffset returns the first offset stored at or after the timestamp.
func (b *testBroker) searchOffset(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.SearchOffsetRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	q := b.mu.queues[qkey(h.Topic, h.QueueID)]
	off := int64(len(q))
	for i, phy := range q {
		m, _, err := message.DecodeRecord(b.mu.records[phy])
		require.NoError(b.t, err)
		if m.StoreTimestamp >= h.Timestamp {
			off = int64(i)
			break
		}
	}
	b.mu.Unlock()
	resp := remoting.NewResponse(req, protocol.Success, "")
	resp.ExtFields = map[string]string{"offset": strconv.FormatInt(off, 10)}
	return resp
}

// sendBack re-appends a failed message to the group's retry topic (or DLQ),
// without the delay a real broker applies.
func (b *testBroker) sendBack(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.ConsumerSendMsgBackRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	rec := b.mu.records[h.Offset]
	b.mu.sendBack++
	b.mu.Unlock()
	if rec == nil {
		return remoting.NewResponse(req, protocol.SystemError, "look message by offset failed, "+strconv.FormatInt(h.Offset, 10))
	}
	m, _, err := message.DecodeRecord(rec)
	require.NoError(b.t, err)
	props := m.Properties
	if props[message.PropertyRetryTopic] == "" {
		props[message.PropertyRetryTopic] = m.Topic
	}
	if props[message.PropertyOriginMessageID] == "" {
		props[message.PropertyOriginMessageID] = m.MsgID
	}
	maxTimes := int32(16)
	if h.MaxReconsumeTimes != nil {
		maxTimes = *h.MaxReconsumeTimes
	}
	topic := "%RETRY%" + h.Group
	if m.ReconsumeTimes >= maxTimes || h.DelayLevel < 0 {
		topic = "%DLQ%" + h.Group
	}
	rt := m.ReconsumeTimes + 1
	sh := protocol.SendMessageRequestHeaderV2{ProducerGroup: h.Group, Topic: topic, DefaultTopic: "TBW102", DefaultTopicQueueNums: 1,
		QueueID: 0, SysFlag: m.SysFlag &^ (message.SysFlagBornHostV6 | message.SysFlagStoreHostV6), BornTimestamp: m.BornTimestamp, Flag: m.Flag,
		Properties: message.EncodeProperties(props), ReconsumeTimes: &rt}
	inner := remoting.NewRequest(protocol.SendMessageV2, protocol.EncodeHeader(&sh), m.Body)
	resp := b.send(c, inner)
	if resp.ResponseCode() != protocol.Success {
		return remoting.NewResponse(req, protocol.SystemError, resp.Remark)
	}
	return remoting.NewResponse(req, protocol.Success, "")
}

func (b *testBroker) viewMessage(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.ViewMessageRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.SystemError, err.Error())
	}
	b.mu.Lock()
	rec := b.mu.records[h.Offset]
	b.mu.Unlock()
	if rec == nil {
		return remoting.NewResponse(req, protocol.SystemError, "can not find message by the offset, "+strconv.FormatInt(h.Offset, 10))
	}
	resp := remoting.NewResponse(req, protocol.Success, "")
	resp.Body = rec
	return resp
}

// stored decodes every message of a topic queue.
func (b *testBroker) stored(topic string, qid int32) []*message.MessageExt {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*message.MessageExt
	for _, phy := range b.mu.queues[qkey(topic, qid)] {
		m, _, err := message.DecodeRecord(b.mu.records[phy])
		require.NoError(b.t, err)
		out = append(out, m)
	}
	return out
}

func testClientConfig(ns ...*testNameServer) ClientConfig {
	addrs := make([]string, len(ns))
	for i, n := range ns {
		addrs[i] = n.addr
	}
	return ClientConfig{NameServers: []string{strings.Join(addrs, ";")}, ClientIP: "127.0.0.1"}
}
