package client

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// MessageQueue names one queue of a topic on one broker name
// (MessageQueue.java). JSON members are fastjson's alphabetical order.
type MessageQueue struct {
	BrokerName string `json:"brokerName"`
	QueueID    int32  `json:"queueId"`
	Topic      string `json:"topic"`
}

func (q MessageQueue) String() string {
	return "MessageQueue [topic=" + q.Topic + ", brokerName=" + q.BrokerName + ", queueId=" + strconv.Itoa(int(q.QueueID)) + "]"
}

// compareQueues orders queues by topic, broker name, queue id, as the
// Java and Go clients sort them before allocation.
func compareQueues(a, b MessageQueue) int {
	if c := cmp.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	if c := cmp.Compare(a.BrokerName, b.BrokerName); c != 0 {
		return c
	}
	return cmp.Compare(a.QueueID, b.QueueID)
}

// MasterID is the broker id of a master in BrokerData.BrokerAddrs.
const MasterID = 0

// QueueData is one broker name's queues of a topic (QueueData.java).
// Java up to 4.8 and the Go client spell the flag member topicSynFlag; both
// are read.
type QueueData struct {
	BrokerName     string `json:"brokerName"`
	Perm           int32  `json:"perm"`
	ReadQueueNums  int32  `json:"readQueueNums"`
	TopicSysFlag   int32  `json:"topicSysFlag"`
	TopicSynFlag   int32  `json:"topicSynFlag,omitempty"`
	WriteQueueNums int32  `json:"writeQueueNums"`
}

// BrokerData is one broker name's addresses by broker id (BrokerData.java).
type BrokerData struct {
	BrokerAddrs map[int64]string `json:"brokerAddrs"`
	BrokerName  string           `json:"brokerName"`
	Cluster     string           `json:"cluster"`
}

// MasterAddr returns the master's address, or "" when the master is absent.
func (b *BrokerData) MasterAddr() string { return b.BrokerAddrs[MasterID] }

// TopicRouteData is a topic's route as GET_ROUTEINFO_BY_TOPIC returns it
// (TopicRouteData.java; wire-protocol.md §6.1).
type TopicRouteData struct {
	BrokerDatas       []BrokerData        `json:"brokerDatas"`
	FilterServerTable map[string][]string `json:"filterServerTable"`
	OrderTopicConf    string              `json:"orderTopicConf,omitempty"`
	QueueDatas        []QueueData         `json:"queueDatas"`
}

// decodeRoute parses a route body in either fastjson dialect (bare or
// quoted broker-id keys).
func decodeRoute(body []byte) (*TopicRouteData, error) {
	var r TopicRouteData
	if err := decodeJSON(body, &r); err != nil {
		return nil, fmt.Errorf("decode topic route: %w", err)
	}
	for i := range r.QueueDatas {
		if r.QueueDatas[i].TopicSysFlag == 0 {
			r.QueueDatas[i].TopicSysFlag = r.QueueDatas[i].TopicSynFlag
		}
		r.QueueDatas[i].TopicSynFlag = 0
	}
	return &r, nil
}

// clone returns a deep copy, so cached routes are never shared with callers.
func (r *TopicRouteData) clone() *TopicRouteData {
	c := &TopicRouteData{OrderTopicConf: r.OrderTopicConf}
	c.QueueDatas = slices.Clone(r.QueueDatas)
	c.BrokerDatas = make([]BrokerData, len(r.BrokerDatas))
	for i, b := range r.BrokerDatas {
		c.BrokerDatas[i] = BrokerData{BrokerName: b.BrokerName, Cluster: b.Cluster, BrokerAddrs: make(map[int64]string, len(b.BrokerAddrs))}
		for id, a := range b.BrokerAddrs {
			c.BrokerDatas[i].BrokerAddrs[id] = a
		}
	}
	if r.FilterServerTable != nil {
		c.FilterServerTable = make(map[string][]string, len(r.FilterServerTable))
		for k, v := range r.FilterServerTable {
			c.FilterServerTable[k] = slices.Clone(v)
		}
	}
	return c
}

// equal reports whether two routes describe the same queues and addresses.
func (r *TopicRouteData) equal(o *TopicRouteData) bool {
	if r == nil || o == nil {
		return r == o
	}
	if r.OrderTopicConf != o.OrderTopicConf || len(r.QueueDatas) != len(o.QueueDatas) || len(r.BrokerDatas) != len(o.BrokerDatas) {
		return false
	}
	qa, qb := slices.Clone(r.QueueDatas), slices.Clone(o.QueueDatas)
	byName := func(a, b QueueData) int { return cmp.Compare(a.BrokerName, b.BrokerName) }
	slices.SortFunc(qa, byName)
	slices.SortFunc(qb, byName)
	if !slices.Equal(qa, qb) {
		return false
	}
	ba := map[string]BrokerData{}
	for _, b := range r.BrokerDatas {
		ba[b.BrokerName] = b
	}
	for _, b := range o.BrokerDatas {
		x, ok := ba[b.BrokerName]
		if !ok || x.Cluster != b.Cluster || len(x.BrokerAddrs) != len(b.BrokerAddrs) {
			return false
		}
		for id, a := range b.BrokerAddrs {
			if x.BrokerAddrs[id] != a {
				return false
			}
		}
	}
	return true
}

// brokerData returns the BrokerData of a broker name.
func (r *TopicRouteData) brokerData(name string) (BrokerData, bool) {
	for _, b := range r.BrokerDatas {
		if b.BrokerName == name {
			return b, true
		}
	}
	return BrokerData{}, false
}

// publishQueues lists the queues a producer may send to: from orderTopicConf
// ("brokerA:4;brokerB:4") when present, else the writable queues of brokers
// that have a master, broker names sorted, ids 0..writeQueueNums-1.
func publishQueues(topic string, r *TopicRouteData) []MessageQueue {
	var mqs []MessageQueue
	if r.OrderTopicConf != "" {
		for _, item := range strings.Split(r.OrderTopicConf, ";") {
			name, nums, ok := strings.Cut(item, ":")
			if !ok {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSpace(nums))
			if err != nil {
				continue
			}
			for i := 0; i < n; i++ {
				mqs = append(mqs, MessageQueue{Topic: topic, BrokerName: name, QueueID: int32(i)})
			}
		}
		return mqs
	}
	qds := slices.Clone(r.QueueDatas)
	slices.SortFunc(qds, func(a, b QueueData) int { return cmp.Compare(a.BrokerName, b.BrokerName) })
	for _, qd := range qds {
		if !protocol.Writeable(qd.Perm) {
			continue
		}
		bd, ok := r.brokerData(qd.BrokerName)
		if !ok || bd.MasterAddr() == "" {
			continue
		}
		for i := int32(0); i < qd.WriteQueueNums; i++ {
			mqs = append(mqs, MessageQueue{Topic: topic, BrokerName: qd.BrokerName, QueueID: i})
		}
	}
	return mqs
}

// subscribeQueues lists the readable queues of a topic, sorted.
func subscribeQueues(topic string, r *TopicRouteData) []MessageQueue {
	var mqs []MessageQueue
	for _, qd := range r.QueueDatas {
		if !protocol.Readable(qd.Perm) {
			continue
		}
		for i := int32(0); i < qd.ReadQueueNums; i++ {
			mqs = append(mqs, MessageQueue{Topic: topic, BrokerName: qd.BrokerName, QueueID: i})
		}
	}
	slices.SortFunc(mqs, compareQueues)
	return mqs
}
