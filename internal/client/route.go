package client

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// MessageQueue names one queue of a topic on one broker name.
type MessageQueue = protocol.MessageQueue

// TopicRouteData is a topic's route as GET_ROUTEINFO_BY_TOPIC returns it.
type TopicRouteData = protocol.TopicRouteData

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

// mqString renders a queue as Java's MessageQueue.toString does.
func mqString(q MessageQueue) string {
	return "MessageQueue [topic=" + q.Topic + ", brokerName=" + q.BrokerName + ", queueId=" + strconv.Itoa(int(q.QueueID)) + "]"
}

// decodeRoute parses a route body in either fastjson dialect (bare or
// quoted broker-id keys) and checks that it is usable.
func decodeRoute(body []byte) (*TopicRouteData, error) {
	norm, err := normalizeJSON(body)
	if err != nil {
		return nil, fmt.Errorf("decode topic route: %w", err)
	}
	r, err := protocol.DecodeTopicRouteData(norm)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// cloneRoute returns a deep copy, so cached routes are never shared with
// callers.
func cloneRoute(r *TopicRouteData) *TopicRouteData {
	c := &TopicRouteData{OrderTopicConf: r.OrderTopicConf}
	for _, q := range r.QueueDatas {
		qc := *q
		c.QueueDatas = append(c.QueueDatas, &qc)
	}
	for _, b := range r.BrokerDatas {
		c.BrokerDatas = append(c.BrokerDatas, b.Clone())
	}
	c.FilterServerTable = make(map[string][]string, len(r.FilterServerTable))
	for k, v := range r.FilterServerTable {
		c.FilterServerTable[k] = slices.Clone(v)
	}
	return c
}

// routeEqual reports whether two routes describe the same queues and
// addresses, whatever the order of their lists.
func routeEqual(r, o *TopicRouteData) bool {
	if r == nil || o == nil {
		return r == o
	}
	if r.OrderTopicConf != o.OrderTopicConf || len(r.QueueDatas) != len(o.QueueDatas) || len(r.BrokerDatas) != len(o.BrokerDatas) {
		return false
	}
	qa := map[string]protocol.QueueData{}
	for _, q := range r.QueueDatas {
		qa[q.BrokerName] = *q
	}
	for _, q := range o.QueueDatas {
		if x, ok := qa[q.BrokerName]; !ok || x != *q {
			return false
		}
	}
	ba := map[string]*protocol.BrokerData{}
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

// routeBroker returns the BrokerData of a broker name.
func routeBroker(r *TopicRouteData, name string) *protocol.BrokerData {
	for _, b := range r.BrokerDatas {
		if b.BrokerName == name {
			return b
		}
	}
	return nil
}

// publishQueues lists the queues a producer may send to: from orderTopicConf
// ("brokerA:4;brokerB:4") when present, else the writable queues of brokers
// that have a master, broker names sorted, ids 0..writeQueueNums-1
// (wire-protocol.md §6.1).
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
	slices.SortFunc(qds, func(a, b *protocol.QueueData) int { return cmp.Compare(a.BrokerName, b.BrokerName) })
	for _, qd := range qds {
		if !protocol.Writeable(qd.Perm) {
			continue
		}
		bd := routeBroker(r, qd.BrokerName)
		if bd == nil || bd.BrokerAddrs[protocol.MasterID] == "" {
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
