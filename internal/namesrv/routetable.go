package namesrv

import (
	"io"
	"sort"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// DefaultBrokerExpiry is how long a broker stays routable without
// re-registering (RouteInfoManager.BROKER_CHANNEL_EXPIRED_TIME).
const DefaultBrokerExpiry = 120 * time.Second

// liveBroker is one registered broker address (BrokerLiveInfo.java).
type liveBroker struct {
	lastUpdate   time.Time
	dataVersion  protocol.DataVersion
	conn         io.Closer // the registering connection; may be nil
	haServerAddr string
}

// RouteTable is the name server's view of the cluster (RouteInfoManager.java):
// which broker names serve which topics, the addresses of each broker name,
// the broker names of each cluster, and when each broker address last
// registered. Removing the last address of a broker name removes its queues
// from every topic.
type RouteTable struct {
	lg *zap.Logger

	mu struct {
		sync.RWMutex
		topics   map[string]map[string]*protocol.QueueData // topic → brokerName → queues
		brokers  map[string]*protocol.BrokerData           // brokerName → addresses
		clusters map[string]map[string]struct{}            // cluster → brokerNames
		live     map[string]*liveBroker                    // brokerAddr → liveness
		filters  map[string][]string                       // brokerAddr → filter servers
	}
}

// NewRouteTable returns an empty table.
func NewRouteTable(lg *zap.Logger) *RouteTable {
	if lg == nil {
		lg = zap.NewNop()
	}
	t := &RouteTable{lg: lg}
	t.mu.topics = map[string]map[string]*protocol.QueueData{}
	t.mu.brokers = map[string]*protocol.BrokerData{}
	t.mu.clusters = map[string]map[string]struct{}{}
	t.mu.live = map[string]*liveBroker{}
	t.mu.filters = map[string][]string{}
	return t
}

// Registration is one REGISTER_BROKER call.
type Registration struct {
	ClusterName   string
	BrokerName    string
	BrokerAddr    string
	BrokerID      int64
	HAServerAddr  string
	Topics        protocol.TopicConfigSerializeWrapper
	FilterServers []string  // nil leaves the list alone; empty clears it
	Conn          io.Closer // closed when the broker expires; may be nil
}

// RegisterResult tells a slave where its master is: both empty for a
// master, or when the master is not registered.
type RegisterResult struct {
	MasterAddr   string
	HAServerAddr string
}

// Register records a broker registration (RouteInfoManager.registerBroker).
// Queue data is taken only from a master (id 0), and only when its
// DataVersion changed or the id is new for the broker name.
func (t *RouteTable) Register(r Registration) RegisterResult {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()

	names := t.mu.clusters[r.ClusterName]
	if names == nil {
		names = map[string]struct{}{}
		t.mu.clusters[r.ClusterName] = names
	}
	names[r.BrokerName] = struct{}{}

	first := false
	bd := t.mu.brokers[r.BrokerName]
	if bd == nil {
		first = true
		bd = &protocol.BrokerData{Cluster: r.ClusterName, BrokerName: r.BrokerName, BrokerAddrs: map[int64]string{}}
		t.mu.brokers[r.BrokerName] = bd
	}
	// A slave turned master (or the reverse) keeps its address under a new
	// id: drop the old id.
	for id, addr := range bd.BrokerAddrs {
		if addr == r.BrokerAddr && id != r.BrokerID {
			delete(bd.BrokerAddrs, id)
		}
	}
	_, had := bd.BrokerAddrs[r.BrokerID]
	bd.BrokerAddrs[r.BrokerID] = r.BrokerAddr
	first = first || !had

	if r.BrokerID == protocol.MasterID && (first || t.versionChangedLocked(r.BrokerAddr, r.Topics.DataVersion)) {
		for _, tc := range r.Topics.TopicConfigTable {
			t.putQueueDataLocked(r.BrokerName, tc)
		}
	}

	if _, ok := t.mu.live[r.BrokerAddr]; !ok {
		t.lg.Info("new broker registered", zap.String("clusterName", r.ClusterName), zap.String("brokerName", r.BrokerName),
			zap.String("brokerAddr", r.BrokerAddr), zap.Int64("brokerId", r.BrokerID), zap.String("haServerAddr", r.HAServerAddr))
	}
	t.mu.live[r.BrokerAddr] = &liveBroker{lastUpdate: now, dataVersion: r.Topics.DataVersion, conn: r.Conn, haServerAddr: r.HAServerAddr}

	if r.FilterServers != nil {
		if len(r.FilterServers) == 0 {
			delete(t.mu.filters, r.BrokerAddr)
		} else {
			t.mu.filters[r.BrokerAddr] = append([]string(nil), r.FilterServers...)
		}
	}

	var res RegisterResult
	if r.BrokerID != protocol.MasterID {
		if master, ok := bd.BrokerAddrs[protocol.MasterID]; ok {
			if lb := t.mu.live[master]; lb != nil {
				res = RegisterResult{MasterAddr: master, HAServerAddr: lb.haServerAddr}
			}
		}
	}
	return res
}

func (t *RouteTable) putQueueDataLocked(brokerName string, tc *protocol.TopicConfig) {
	if tc == nil {
		return
	}
	qd := &protocol.QueueData{
		BrokerName:     brokerName,
		Perm:           tc.Perm,
		ReadQueueNums:  tc.ReadQueueNums,
		TopicSysFlag:   tc.TopicSysFlag,
		WriteQueueNums: tc.WriteQueueNums,
	}
	m := t.mu.topics[tc.TopicName]
	if m == nil {
		m = map[string]*protocol.QueueData{}
		t.mu.topics[tc.TopicName] = m
	}
	m[brokerName] = qd
}

func (t *RouteTable) versionChangedLocked(addr string, v protocol.DataVersion) bool {
	lb := t.mu.live[addr]
	return lb == nil || lb.dataVersion != v
}

// DataVersionChanged reports whether v differs from the version the broker
// at addr last registered (or the broker is unknown). When it has not
// changed the broker's liveness is refreshed, as QUERY_DATA_VERSION does.
// It also returns the stored version, if any.
func (t *RouteTable) DataVersionChanged(addr string, v protocol.DataVersion) (changed bool, stored *protocol.DataVersion) {
	t.mu.Lock()
	defer t.mu.Unlock()
	lb := t.mu.live[addr]
	if lb == nil {
		return true, nil
	}
	dv := lb.dataVersion
	if dv == v {
		lb.lastUpdate = time.Now()
		return false, &dv
	}
	return true, &dv
}

// Unregister removes one broker id (RouteInfoManager.unregisterBroker).
func (t *RouteTable) Unregister(clusterName, brokerName, brokerAddr string, brokerID int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.mu.live, brokerAddr)
	delete(t.mu.filters, brokerAddr)
	bd := t.mu.brokers[brokerName]
	if bd == nil {
		return
	}
	delete(bd.BrokerAddrs, brokerID)
	t.lg.Info("broker unregistered", zap.String("brokerName", brokerName), zap.String("brokerAddr", brokerAddr), zap.Int64("brokerId", brokerID))
	if len(bd.BrokerAddrs) == 0 {
		delete(t.mu.brokers, brokerName)
		if names := t.mu.clusters[clusterName]; names != nil {
			delete(names, brokerName)
			if len(names) == 0 {
				delete(t.mu.clusters, clusterName)
			}
		}
		t.removeBrokerNameQueuesLocked(brokerName)
	}
}

// removeAddrLocked drops every trace of one broker address
// (RouteInfoManager.onChannelDestroy).
func (t *RouteTable) removeAddrLocked(addr string) {
	delete(t.mu.live, addr)
	delete(t.mu.filters, addr)
	for name, bd := range t.mu.brokers {
		for id, a := range bd.BrokerAddrs {
			if a == addr {
				delete(bd.BrokerAddrs, id)
			}
		}
		if len(bd.BrokerAddrs) > 0 {
			continue
		}
		delete(t.mu.brokers, name)
		for cluster, names := range t.mu.clusters {
			if _, ok := names[name]; ok {
				delete(names, name)
				if len(names) == 0 {
					delete(t.mu.clusters, cluster)
				}
			}
		}
		t.removeBrokerNameQueuesLocked(name)
	}
}

func (t *RouteTable) removeBrokerNameQueuesLocked(brokerName string) {
	for topic, m := range t.mu.topics {
		if _, ok := m[brokerName]; ok {
			delete(m, brokerName)
			if len(m) == 0 {
				delete(t.mu.topics, topic)
			}
		}
	}
}

// ConnClosed removes the broker that registered over conn, if any, as the
// Java name server does when a channel closes. It returns the addresses
// removed.
func (t *RouteTable) ConnClosed(conn io.Closer) []string {
	if conn == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var gone []string
	for addr, lb := range t.mu.live {
		if lb.conn == conn {
			gone = append(gone, addr)
		}
	}
	for _, addr := range gone {
		t.lg.Info("broker connection closed, removing it", zap.String("brokerAddr", addr))
		t.removeAddrLocked(addr)
	}
	return gone
}

// ExpireBefore removes brokers whose last registration is older than
// cutoff, closing their connections (scanNotActiveBroker). It returns the
// addresses removed.
func (t *RouteTable) ExpireBefore(cutoff time.Time) []string {
	t.mu.Lock()
	var gone []string
	var conns []io.Closer
	for addr, lb := range t.mu.live {
		if lb.lastUpdate.Before(cutoff) {
			gone = append(gone, addr)
			if lb.conn != nil {
				conns = append(conns, lb.conn)
			}
		}
	}
	for _, addr := range gone {
		t.lg.Warn("broker expired, removing it", zap.String("brokerAddr", addr))
		t.removeAddrLocked(addr)
	}
	t.mu.Unlock()
	// Closing runs close hooks that take the lock again; do it outside.
	for _, c := range conns {
		_ = c.Close()
	}
	return gone
}

// Route returns the route of a topic, or nil when no broker serves it
// (RouteInfoManager.pickupTopicRouteData). Queue and broker data are
// copies, sorted by broker name.
func (t *RouteTable) Route(topic string) *protocol.TopicRouteData {
	t.mu.RLock()
	defer t.mu.RUnlock()
	m := t.mu.topics[topic]
	if len(m) == 0 {
		return nil
	}
	r := &protocol.TopicRouteData{FilterServerTable: map[string][]string{}}
	for _, name := range sortedNames(m) {
		qd := *m[name]
		r.QueueDatas = append(r.QueueDatas, &qd)
		bd := t.mu.brokers[name]
		if bd == nil {
			continue
		}
		c := bd.Clone()
		r.BrokerDatas = append(r.BrokerDatas, c)
		for _, addr := range c.BrokerAddrs {
			if fs := t.mu.filters[addr]; len(fs) > 0 {
				r.FilterServerTable[addr] = append([]string(nil), fs...)
			}
		}
	}
	if len(r.BrokerDatas) == 0 {
		return nil
	}
	return r
}

// ClusterInfo returns every broker and cluster (getAllClusterInfo).
func (t *RouteTable) ClusterInfo() *protocol.ClusterInfo {
	t.mu.RLock()
	defer t.mu.RUnlock()
	c := &protocol.ClusterInfo{BrokerAddrTable: map[string]*protocol.BrokerData{}, ClusterAddrTable: map[string][]string{}}
	for name, bd := range t.mu.brokers {
		c.BrokerAddrTable[name] = bd.Clone()
	}
	for cluster, names := range t.mu.clusters {
		c.ClusterAddrTable[cluster] = sortedNames(names)
	}
	return c
}

// Topics returns every topic name, sorted.
func (t *RouteTable) Topics() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return sortedNames(t.mu.topics)
}

// TopicsOfCluster returns the topics with queues on any broker name of the
// cluster, sorted.
func (t *RouteTable) TopicsOfCluster(cluster string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	set := map[string]struct{}{}
	for name := range t.mu.clusters[cluster] {
		for topic, m := range t.mu.topics {
			if _, ok := m[name]; ok {
				set[topic] = struct{}{}
			}
		}
	}
	return sortedNames(set)
}

// SystemTopics returns the cluster names and broker names (which are topics
// on the brokers) and one registered broker address (getSystemTopicList).
func (t *RouteTable) SystemTopics() (topics []string, brokerAddr string) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	set := map[string]struct{}{}
	for cluster, names := range t.mu.clusters {
		set[cluster] = struct{}{}
		for n := range names {
			set[n] = struct{}{}
		}
	}
	for _, name := range sortedNames(t.mu.brokers) {
		bd := t.mu.brokers[name]
		if addr, ok := bd.BrokerAddrs[protocol.MasterID]; ok {
			brokerAddr = addr
			break
		}
		for _, a := range bd.BrokerAddrs {
			brokerAddr = a
			break
		}
		if brokerAddr != "" {
			break
		}
	}
	return sortedNames(set), brokerAddr
}

// TopicsBySysFlag returns the topics whose first queue data (by broker name)
// has all of the want bits and none of the without bits of topicSysFlag
// (getUnitTopics, getHasUnitSubTopicList, getHasUnitSubUnUnitTopicList).
func (t *RouteTable) TopicsBySysFlag(want, without int32) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []string
	for topic, m := range t.mu.topics {
		names := sortedNames(m)
		if len(names) == 0 {
			continue
		}
		f := m[names[0]].TopicSysFlag
		if f&want == want && f&without == 0 {
			out = append(out, topic)
		}
	}
	sort.Strings(out)
	return out
}

// DeleteTopic removes a topic's route; with a cluster name only the queues on
// that cluster's broker names (deleteTopic).
func (t *RouteTable) DeleteTopic(topic, cluster string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cluster == "" {
		delete(t.mu.topics, topic)
		return
	}
	m := t.mu.topics[topic]
	if m == nil {
		return
	}
	for name := range t.mu.clusters[cluster] {
		delete(m, name)
	}
	if len(m) == 0 {
		delete(t.mu.topics, topic)
	}
}

// WipeWritePerm clears the write bit of every queue of a broker name and
// returns the number of topics touched (operateWritePermOfBroker, wipe).
func (t *RouteTable) WipeWritePerm(brokerName string) int {
	return t.updatePerm(brokerName, func(p int32) int32 { return p &^ protocol.PermWrite })
}

// AddWritePerm sets read and write on every queue of a broker name and
// returns the number of topics touched (operateWritePermOfBroker, add).
func (t *RouteTable) AddWritePerm(brokerName string) int {
	return t.updatePerm(brokerName, func(int32) int32 { return protocol.PermRead | protocol.PermWrite })
}

func (t *RouteTable) updatePerm(brokerName string, f func(int32) int32) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, m := range t.mu.topics {
		if qd := m[brokerName]; qd != nil {
			qd.Perm = f(qd.Perm)
			n++
		}
	}
	return n
}

// BrokerCount returns the number of live broker addresses.
func (t *RouteTable) BrokerCount() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.mu.live)
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
