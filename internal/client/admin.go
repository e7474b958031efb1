package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// AdminConfig configures an Admin.
type AdminConfig struct {
	ClientConfig
}

// Admin is the client side of mqadmin (DefaultMQAdminExt): name-server
// and broker management calls. It is safe for concurrent use.
type Admin struct {
	lg   *zap.Logger
	core *core
}

// NewAdmin makes an admin client. It needs no Start; Close releases it.
func NewAdmin(cfg AdminConfig, lg *zap.Logger) (*Admin, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	c, err := newCore(cfg.ClientConfig, lg)
	if err != nil {
		return nil, fmt.Errorf("new admin: %w", err)
	}
	return &Admin{lg: lg, core: c}, nil
}

// Close closes the connections.
func (a *Admin) Close() error { return a.core.close() }

// ClientID is the id of this admin client.
func (a *Admin) ClientID() string { return a.core.clientID }

// NameServers returns the configured name server addresses.
func (a *Admin) NameServers() []string { return slices.Clone(a.core.ns) }

// forEachNameServer runs one request against every name server and joins
// the failures.
func (a *Admin) forEachNameServer(ctx context.Context, code protocol.RequestCode, ext map[string]string, body []byte) error {
	ctx, cancel := a.core.timeout(ctx)
	defer cancel()
	var errs []error
	for _, addr := range a.core.ns {
		if _, err := a.core.call(ctx, addr, remoting.NewRequest(code, ext, body)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// callNS sends one request to the first name server that answers.
func (a *Admin) callNS(ctx context.Context, code protocol.RequestCode, ext map[string]string) (*remoting.Command, error) {
	ctx, cancel := a.core.timeout(ctx)
	defer cancel()
	return a.core.callNameServer(ctx, code, ext, nil)
}

// callBroker sends one request to a broker address.
func (a *Admin) callBroker(ctx context.Context, addr string, code protocol.RequestCode, ext map[string]string, body []byte) (*remoting.Command, error) {
	ctx, cancel := a.core.timeout(ctx)
	defer cancel()
	return a.core.call(ctx, addr, remoting.NewRequest(code, ext, body))
}

// TopicRoute returns a topic's route from the name servers.
func (a *Admin) TopicRoute(ctx context.Context, topic string) (*TopicRouteData, error) {
	ctx, cancel := a.core.timeout(ctx)
	defer cancel()
	r, _, err := a.core.updateRoute(ctx, topic)
	return r, err
}

// TopicList returns every topic the name servers know
// (GET_ALL_TOPIC_LIST_FROM_NAMESERVER).
func (a *Admin) TopicList(ctx context.Context) ([]string, error) {
	resp, err := a.callNS(ctx, protocol.GetAllTopicListFromNameserver, nil)
	if err != nil {
		return nil, fmt.Errorf("topic list: %w", err)
	}
	var tl protocol.TopicList
	if err := decodeJSON(resp.Body, &tl); err != nil {
		return nil, fmt.Errorf("topic list: %w", err)
	}
	return tl.TopicList, nil
}

// TopicsOfCluster returns the topics with queues on a cluster's brokers
// (GET_TOPICS_BY_CLUSTER).
func (a *Admin) TopicsOfCluster(ctx context.Context, cluster string) ([]string, error) {
	resp, err := a.callNS(ctx, protocol.GetTopicsByCluster, protocol.EncodeHeader(&protocol.GetTopicsByClusterRequestHeader{Cluster: cluster}))
	if err != nil {
		return nil, fmt.Errorf("topics of cluster %s: %w", cluster, err)
	}
	var tl protocol.TopicList
	if err := decodeJSON(resp.Body, &tl); err != nil {
		return nil, fmt.Errorf("topics of cluster %s: %w", cluster, err)
	}
	return tl.TopicList, nil
}

// ClusterInfo returns every broker and cluster (GET_BROKER_CLUSTER_INFO).
func (a *Admin) ClusterInfo(ctx context.Context) (*protocol.ClusterInfo, error) {
	resp, err := a.callNS(ctx, protocol.GetBrokerClusterInfo, nil)
	if err != nil {
		return nil, fmt.Errorf("cluster info: %w", err)
	}
	norm, err := normalizeJSON(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("cluster info: %w", err)
	}
	return protocol.DecodeClusterInfo(norm)
}

// masterAddrsOfCluster lists the master address of every broker of a
// cluster, sorted.
func (a *Admin) masterAddrsOfCluster(ctx context.Context, cluster string) ([]string, error) {
	ci, err := a.ClusterInfo(ctx)
	if err != nil {
		return nil, err
	}
	names, ok := ci.ClusterAddrTable[cluster]
	if !ok {
		return nil, fmt.Errorf("cluster %s not found", cluster)
	}
	var out []string
	for _, n := range names {
		if bd := ci.BrokerAddrTable[n]; bd != nil && bd.BrokerAddrs[protocol.MasterID] != "" {
			out = append(out, bd.BrokerAddrs[protocol.MasterID])
		}
	}
	slices.Sort(out)
	return out, nil
}

// CreateTopic creates or updates a topic on one broker
// (UPDATE_AND_CREATE_TOPIC); the broker registers it with the name servers.
func (a *Admin) CreateTopic(ctx context.Context, brokerAddr string, tc protocol.TopicConfig) error {
	if err := checkTopic(tc.TopicName); err != nil {
		return err
	}
	if tc.TopicFilterType == "" {
		tc.TopicFilterType = protocol.FilterSingleTag
	}
	sys := tc.TopicSysFlag
	h := &protocol.CreateTopicRequestHeader{
		Topic: tc.TopicName, DefaultTopic: DefaultCreateTopicKey, ReadQueueNums: tc.ReadQueueNums, WriteQueueNums: tc.WriteQueueNums,
		Perm: tc.Perm, TopicFilterType: tc.TopicFilterType, TopicSysFlag: &sys, Order: tc.Order,
	}
	if _, err := a.callBroker(ctx, brokerAddr, protocol.UpdateAndCreateTopic, protocol.EncodeHeader(h), nil); err != nil {
		return fmt.Errorf("create topic %s on %s: %w", tc.TopicName, brokerAddr, err)
	}
	return nil
}

// CreateTopicInCluster creates a topic on the master of every broker of a
// cluster.
func (a *Admin) CreateTopicInCluster(ctx context.Context, cluster string, tc protocol.TopicConfig) error {
	addrs, err := a.masterAddrsOfCluster(ctx, cluster)
	if err != nil {
		return fmt.Errorf("create topic %s in %s: %w", tc.TopicName, cluster, err)
	}
	var errs []error
	for _, addr := range addrs {
		errs = append(errs, a.CreateTopic(ctx, addr, tc))
	}
	return errors.Join(errs...)
}

// DeleteTopicInBroker deletes a topic on one broker (DELETE_TOPIC_IN_BROKER).
func (a *Admin) DeleteTopicInBroker(ctx context.Context, brokerAddr, topic string) error {
	h := &protocol.DeleteTopicRequestHeader{Topic: topic}
	if _, err := a.callBroker(ctx, brokerAddr, protocol.DeleteTopicInBroker, protocol.EncodeHeader(h), nil); err != nil {
		return fmt.Errorf("delete topic %s on %s: %w", topic, brokerAddr, err)
	}
	return nil
}

// DeleteTopicInNameServer removes a topic's route from every name server
// (DELETE_TOPIC_IN_NAMESRV); a non-empty cluster limits it to that cluster.
func (a *Admin) DeleteTopicInNameServer(ctx context.Context, topic, cluster string) error {
	h := &protocol.DeleteTopicFromNamesrvRequestHeader{Topic: topic}
	if cluster != "" {
		h.ClusterName = &cluster
	}
	if err := a.forEachNameServer(ctx, protocol.DeleteTopicInNamesrv, protocol.EncodeHeader(h), nil); err != nil {
		return fmt.Errorf("delete topic %s in name servers: %w", topic, err)
	}
	return nil
}

// DeleteTopic deletes a topic on every master of a cluster, then in the
// name servers, as mqadmin deleteTopic does.
func (a *Admin) DeleteTopic(ctx context.Context, topic, cluster string) error {
	addrs, err := a.masterAddrsOfCluster(ctx, cluster)
	if err != nil {
		return fmt.Errorf("delete topic %s: %w", topic, err)
	}
	for _, addr := range addrs {
		if err := a.DeleteTopicInBroker(ctx, addr, topic); err != nil {
			return err
		}
	}
	return a.DeleteTopicInNameServer(ctx, topic, cluster)
}

// CreateSubscriptionGroup creates or updates a consumer group on one broker
// (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).
func (a *Admin) CreateSubscriptionGroup(ctx context.Context, brokerAddr string, g protocol.SubscriptionGroupConfig) error {
	if _, err := a.callBroker(ctx, brokerAddr, protocol.UpdateAndCreateSubscriptiongroup, nil, protocol.MarshalCompact(&g)); err != nil {
		return fmt.Errorf("create subscription group %s on %s: %w", g.GroupName, brokerAddr, err)
	}
	return nil
}

// DeleteSubscriptionGroup deletes a consumer group on one broker
// (DELETE_SUBSCRIPTIONGROUP), with its offsets when removeOffset.
func (a *Admin) DeleteSubscriptionGroup(ctx context.Context, brokerAddr, group string, removeOffset bool) error {
	h := &protocol.DeleteSubscriptionGroupRequestHeader{GroupName: group, RemoveOffset: removeOffset}
	if _, err := a.callBroker(ctx, brokerAddr, protocol.DeleteSubscriptiongroup, protocol.EncodeHeader(h), nil); err != nil {
		return fmt.Errorf("delete subscription group %s on %s: %w", group, brokerAddr, err)
	}
	return nil
}

// SubscriptionGroups returns every consumer group config of one broker
// (GET_ALL_SUBSCRIPTIONGROUP_CONFIG).
func (a *Admin) SubscriptionGroups(ctx context.Context, brokerAddr string) (map[string]protocol.SubscriptionGroupConfig, error) {
	resp, err := a.callBroker(ctx, brokerAddr, protocol.GetAllSubscriptiongroupConfig, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("subscription groups of %s: %w", brokerAddr, err)
	}
	var w protocol.SubscriptionGroupWrapper
	if err := decodeJSON(resp.Body, &w); err != nil {
		return nil, fmt.Errorf("subscription groups of %s: %w", brokerAddr, err)
	}
	return w.SubscriptionGroupTable, nil
}

// TopicOffset is one queue's range (TopicOffset.java).
type TopicOffset struct {
	LastUpdateTimestamp int64 `json:"lastUpdateTimestamp"`
	MaxOffset           int64 `json:"maxOffset"`
	MinOffset           int64 `json:"minOffset"`
}

// OffsetWrapper is one queue's consume progress (OffsetWrapper.java).
type OffsetWrapper struct {
	BrokerOffset   int64 `json:"brokerOffset"`
	ConsumerOffset int64 `json:"consumerOffset"`
	LastTimestamp  int64 `json:"lastTimestamp"`
}

// ConsumeStats is a group's progress on every queue (ConsumeStats.java),
// merged over brokers.
type ConsumeStats struct {
	ConsumeTps  float64
	OffsetTable map[MessageQueue]OffsetWrapper
}

// Diff is the number of messages not yet consumed.
func (s *ConsumeStats) Diff() int64 {
	var d int64
	for _, o := range s.OffsetTable {
		d += o.BrokerOffset - o.ConsumerOffset
	}
	return d
}

// decodeMQTable reads a body with a MessageQueue-keyed offsetTable.
func decodeMQTable[V any](body []byte, extra any) (map[MessageQueue]V, error) {
	var raw struct {
		OffsetTable map[string]V `json:"offsetTable"`
	}
	norm, err := normalizeJSON(body)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(norm, &raw); err != nil {
		return nil, err
	}
	if extra != nil {
		if err := json.Unmarshal(norm, extra); err != nil {
			return nil, err
		}
	}
	out := make(map[MessageQueue]V, len(raw.OffsetTable))
	for k, v := range raw.OffsetTable {
		var mq MessageQueue
		if err := json.Unmarshal([]byte(k), &mq); err != nil {
			return nil, fmt.Errorf("offsetTable key %q: %w", k, err)
		}
		out[mq] = v
	}
	return out, nil
}

// masterAddrsOfRoute lists the master address of every broker of a route.
func masterAddrsOfRoute(r *TopicRouteData) []string {
	var out []string
	for _, bd := range r.BrokerDatas {
		if a := bd.BrokerAddrs[protocol.MasterID]; a != "" {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// TopicStats returns every queue's offsets of a topic, from each master
// of its route (GET_TOPIC_STATS_INFO).
func (a *Admin) TopicStats(ctx context.Context, topic string) (map[MessageQueue]TopicOffset, error) {
	r, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("topic stats of %s: %w", topic, err)
	}
	out := map[MessageQueue]TopicOffset{}
	for _, addr := range masterAddrsOfRoute(r) {
		h := &protocol.GetTopicStatsInfoRequestHeader{Topic: topic}
		resp, err := a.callBroker(ctx, addr, protocol.GetTopicStatsInfo, protocol.EncodeHeader(h), nil)
		if err != nil {
			return nil, fmt.Errorf("topic stats of %s: %w", topic, err)
		}
		t, err := decodeMQTable[TopicOffset](resp.Body, nil)
		if err != nil {
			return nil, fmt.Errorf("topic stats of %s from %s: %w", topic, addr, err)
		}
		for k, v := range t {
			out[k] = v
		}
	}
	return out, nil
}

// ConsumeStats returns a group's progress from every master of the
// group's retry topic route (or of topic's route when topic is set), as
// mqadmin consumerProgress does (GET_CONSUME_STATS).
func (a *Admin) ConsumeStats(ctx context.Context, group, topic string) (*ConsumeStats, error) {
	routeTopic := retryTopic(group)
	if topic != "" {
		routeTopic = topic
	}
	r, err := a.TopicRoute(ctx, routeTopic)
	if err != nil {
		return nil, fmt.Errorf("consume stats of %s: %w", group, err)
	}
	out := &ConsumeStats{OffsetTable: map[MessageQueue]OffsetWrapper{}}
	for _, addr := range masterAddrsOfRoute(r) {
		h := &protocol.GetConsumeStatsRequestHeader{ConsumerGroup: group, Topic: topic}
		resp, err := a.callBroker(ctx, addr, protocol.GetConsumeStats, protocol.EncodeHeader(h), nil)
		if err != nil {
			return nil, fmt.Errorf("consume stats of %s: %w", group, err)
		}
		var tps struct {
			ConsumeTps float64 `json:"consumeTps"`
		}
		t, err := decodeMQTable[OffsetWrapper](resp.Body, &tps)
		if err != nil {
			return nil, fmt.Errorf("consume stats of %s from %s: %w", group, addr, err)
		}
		out.ConsumeTps += tps.ConsumeTps
		for k, v := range t {
			out.OffsetTable[k] = v
		}
	}
	return out, nil
}

// ConsumerConnections returns a group's live consumers as one broker of
// the group's retry topic sees them (GET_CONSUMER_CONNECTION_LIST).
func (a *Admin) ConsumerConnections(ctx context.Context, group string) (*protocol.ConsumerConnection, error) {
	r, err := a.TopicRoute(ctx, retryTopic(group))
	if err != nil {
		return nil, fmt.Errorf("consumer connections of %s: %w", group, err)
	}
	var errs []error
	for _, addr := range masterAddrsOfRoute(r) {
		h := &protocol.GetConsumerConnectionListRequestHeader{ConsumerGroup: group}
		resp, err := a.callBroker(ctx, addr, protocol.GetConsumerConnectionList, protocol.EncodeHeader(h), nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var cc protocol.ConsumerConnection
		if err := decodeJSON(resp.Body, &cc); err != nil {
			return nil, fmt.Errorf("consumer connections of %s from %s: %w", group, addr, err)
		}
		return &cc, nil
	}
	return nil, fmt.Errorf("consumer connections of %s: %w", group, errors.Join(errs...))
}

// ProducerConnections returns a producer group's connections on the
// masters of a topic's route (GET_PRODUCER_CONNECTION_LIST), merged.
func (a *Admin) ProducerConnections(ctx context.Context, group, topic string) ([]protocol.Connection, error) {
	r, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("producer connections of %s: %w", group, err)
	}
	var out []protocol.Connection
	for _, addr := range masterAddrsOfRoute(r) {
		h := &protocol.GetProducerConnectionListRequestHeader{ProducerGroup: group}
		resp, err := a.callBroker(ctx, addr, protocol.GetProducerConnectionList, protocol.EncodeHeader(h), nil)
		if err != nil {
			return nil, fmt.Errorf("producer connections of %s: %w", group, err)
		}
		var pc protocol.ProducerConnection
		if err := decodeJSON(resp.Body, &pc); err != nil {
			return nil, fmt.Errorf("producer connections of %s from %s: %w", group, addr, err)
		}
		out = append(out, pc.ConnectionSet...)
	}
	return out, nil
}

// QueryConsumerOffset returns a group's committed offset of a queue, -1
// when none.
func (a *Admin) QueryConsumerOffset(ctx context.Context, group string, mq MessageQueue) (int64, error) {
	ctx, cancel := a.core.timeout(ctx)
	defer cancel()
	return a.core.queryOffset(ctx, group, mq)
}

// UpdateConsumerOffset sets a group's committed offset of a queue.
func (a *Admin) UpdateConsumerOffset(ctx context.Context, group string, mq MessageQueue, offset int64) error {
	ctx, cancel := a.core.timeout(ctx)
	defer cancel()
	return a.core.updateOffset(ctx, group, mq, offset, false)
}

// MaxOffset returns the offset the next message of mq will get.
func (a *Admin) MaxOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	ctx, cancel := a.core.timeout(ctx)
	defer cancel()
	return a.core.queueOffsetCall(ctx, protocol.GetMaxOffset, mq, -1)
}

// MinOffset returns the first available offset of mq.
func (a *Admin) MinOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	ctx, cancel := a.core.timeout(ctx)
	defer cancel()
	return a.core.queueOffsetCall(ctx, protocol.GetMinOffset, mq, -1)
}

// SearchOffset returns the offset of mq whose store time is nearest t.
func (a *Admin) SearchOffset(ctx context.Context, mq MessageQueue, t time.Time) (int64, error) {
	ctx, cancel := a.core.timeout(ctx)
	defer cancel()
	return a.core.queueOffsetCall(ctx, protocol.SearchOffsetByTimestamp, mq, t.UnixMilli())
}

// ViewMessage loads one message by its offset message id: the id names the
// broker (store host) and the commit log offset (VIEW_MESSAGE_BY_ID).
func (a *Admin) ViewMessage(ctx context.Context, offsetMsgID string) (*message.MessageExt, error) {
	host, off, err := message.ParseOffsetMsgID(offsetMsgID)
	if err != nil {
		return nil, fmt.Errorf("view message: %w", err)
	}
	h := &protocol.ViewMessageRequestHeader{Offset: off}
	resp, err := a.callBroker(ctx, host.String(), protocol.ViewMessageById, protocol.EncodeHeader(h), nil)
	if err != nil {
		return nil, fmt.Errorf("view message %s: %w", offsetMsgID, err)
	}
	msgs, err := message.DecodeMessages(resp.Body)
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("view message %s: body holds %d messages: %v", offsetMsgID, len(msgs), err)
	}
	inflate(msgs[0])
	return msgs[0], nil
}

// inflate replaces a compressed body by its inflated form.
func inflate(m *message.MessageExt) {
	if m.SysFlag&message.SysFlagCompressed != 0 {
		if body, err := m.UncompressedBody(); err == nil {
			m.Body = body
		}
	}
}

// QueryMessageByKey asks every master of a topic for messages indexed under
// key (a KEYS entry) stored between begin and end, and keeps those whose
// KEYS hold it (QUERY_MESSAGE).
func (a *Admin) QueryMessageByKey(ctx context.Context, topic, key string, maxNum int, begin, end time.Time) ([]*message.MessageExt, error) {
	return a.queryMessage(ctx, topic, key, maxNum, begin, end, false)
}

// QueryMessageByUniqKey finds messages by their client id (UNIQ_KEY).
func (a *Admin) QueryMessageByUniqKey(ctx context.Context, topic, uniqKey string, begin, end time.Time) ([]*message.MessageExt, error) {
	return a.queryMessage(ctx, topic, uniqKey, 32, begin, end, true)
}

func (a *Admin) queryMessage(ctx context.Context, topic, key string, maxNum int, begin, end time.Time, uniq bool) ([]*message.MessageExt, error) {
	r, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("query message %s#%s: %w", topic, key, err)
	}
	type answer struct {
		msgs []*message.MessageExt
		err  error
	}
	addrs := masterAddrsOfRoute(r)
	answers := make([]answer, len(addrs))
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := &protocol.QueryMessageRequestHeader{Topic: topic, Key: key, MaxNum: int32(maxNum), BeginTimestamp: begin.UnixMilli(), EndTimestamp: end.UnixMilli()}
			ext := protocol.EncodeHeader(h)
			ext[protocol.UniqueKeyQuery] = strconv.FormatBool(uniq)
			resp, err := a.callBroker(ctx, addr, protocol.QueryMessage, ext, nil)
			if code, ok := CodeOf(err); ok && code == protocol.QueryNotFound {
				return
			}
			if err != nil {
				answers[i].err = err
				return
			}
			answers[i].msgs, answers[i].err = message.DecodeMessages(resp.Body)
		}()
	}
	wg.Wait()
	var out []*message.MessageExt
	var errs []error
	for _, an := range answers {
		if an.err != nil {
			errs = append(errs, an.err)
		}
		for _, m := range an.msgs {
			match := false
			if uniq {
				match = m.UniqKey() == key
			} else {
				match = slices.Contains(m.Keys(), key)
			}
			if match && m.Topic == topic {
				inflate(m)
				out = append(out, m)
			}
		}
	}
	if len(out) == 0 && len(errs) > 0 {
		return nil, fmt.Errorf("query message %s#%s: %w", topic, key, errors.Join(errs...))
	}
	slices.SortFunc(out, func(x, y *message.MessageExt) int {
		if c := strings.Compare(x.StoreHost.String(), y.StoreHost.String()); c != 0 {
			return c
		}
		return int(x.CommitLogOffset - y.CommitLogOffset)
	})
	return out, nil
}

// BrokerRuntimeInfo returns a broker's runtime figures (GET_BROKER_RUNTIME_INFO).
func (a *Admin) BrokerRuntimeInfo(ctx context.Context, brokerAddr string) (map[string]string, error) {
	resp, err := a.callBroker(ctx, brokerAddr, protocol.GetBrokerRuntimeInfo, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("runtime info of %s: %w", brokerAddr, err)
	}
	var kv protocol.KVTable
	if err := decodeJSON(resp.Body, &kv); err != nil {
		return nil, fmt.Errorf("runtime info of %s: %w", brokerAddr, err)
	}
	return kv.Table, nil
}

// BrokerConfig returns a broker's properties (GET_BROKER_CONFIG).
func (a *Admin) BrokerConfig(ctx context.Context, brokerAddr string) (map[string]string, error) {
	resp, err := a.callBroker(ctx, brokerAddr, protocol.GetBrokerConfig, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("config of %s: %w", brokerAddr, err)
	}
	return parseProperties(resp.Body), nil
}

// UpdateBrokerConfig changes broker properties (UPDATE_BROKER_CONFIG).
func (a *Admin) UpdateBrokerConfig(ctx context.Context, brokerAddr string, props map[string]string) error {
	if _, err := a.callBroker(ctx, brokerAddr, protocol.UpdateBrokerConfig, nil, formatProperties(props)); err != nil {
		return fmt.Errorf("update config of %s: %w", brokerAddr, err)
	}
	return nil
}

// parseProperties reads "key=value" lines as GET_BROKER_CONFIG writes them.
func parseProperties(b []byte) map[string]string {
	out := map[string]string{}
	for _, line := range bytes.Split(b, []byte("\n")) {
		s := strings.TrimSpace(string(line))
		if s == "" || s[0] == '#' || s[0] == '!' {
			continue
		}
		k, v, _ := strings.Cut(s, "=")
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}

// formatProperties writes "key=value" lines, keys sorted.
func formatProperties(m map[string]string) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(m[k])
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// PutKVConfig stores namespace/key=value on every name server (PUT_KV_CONFIG).
func (a *Admin) PutKVConfig(ctx context.Context, namespace, key, value string) error {
	h := &protocol.PutKVConfigRequestHeader{Namespace: namespace, Key: key, Value: value}
	if err := a.forEachNameServer(ctx, protocol.PutKvConfig, protocol.EncodeHeader(h), nil); err != nil {
		return fmt.Errorf("put kv config %s/%s: %w", namespace, key, err)
	}
	return nil
}

// GetKVConfig reads namespace/key from a name server (GET_KV_CONFIG); a
// missing key is a *BrokerError with QUERY_NOT_FOUND.
func (a *Admin) GetKVConfig(ctx context.Context, namespace, key string) (string, error) {
	h := &protocol.GetKVConfigRequestHeader{Namespace: namespace, Key: key}
	resp, err := a.callNS(ctx, protocol.GetKvConfig, protocol.EncodeHeader(h))
	if err != nil {
		return "", fmt.Errorf("get kv config %s/%s: %w", namespace, key, err)
	}
	return resp.ExtFields["value"], nil
}

// DeleteKVConfig deletes namespace/key on every name server (DELETE_KV_CONFIG).
func (a *Admin) DeleteKVConfig(ctx context.Context, namespace, key string) error {
	h := &protocol.DeleteKVConfigRequestHeader{Namespace: namespace, Key: key}
	if err := a.forEachNameServer(ctx, protocol.DeleteKvConfig, protocol.EncodeHeader(h), nil); err != nil {
		return fmt.Errorf("delete kv config %s/%s: %w", namespace, key, err)
	}
	return nil
}

// KVList returns a namespace's pairs from a name server (GET_KVLIST_BY_NAMESPACE).
func (a *Admin) KVList(ctx context.Context, namespace string) (map[string]string, error) {
	h := &protocol.GetKVListByNamespaceRequestHeader{Namespace: namespace}
	resp, err := a.callNS(ctx, protocol.GetKvlistByNamespace, protocol.EncodeHeader(h))
	if err != nil {
		return nil, fmt.Errorf("kv list %s: %w", namespace, err)
	}
	var kv protocol.KVTable
	if err := decodeJSON(resp.Body, &kv); err != nil {
		return nil, fmt.Errorf("kv list %s: %w", namespace, err)
	}
	return kv.Table, nil
}
