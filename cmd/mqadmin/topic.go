package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// orderTopicNamespace is the name-server KV namespace of ordered topics
// (NamesrvUtil.NAMESPACE_ORDER_TOPIC_CONFIG).
const orderTopicNamespace = "ORDER_TOPIC_CONFIG"

// permString renders perm as PermName.perm2String: R, W, X or '-'.
func permString(perm int32) string {
	b := []byte("---")
	if perm&protocol.PermRead != 0 {
		b[0] = 'R'
	}
	if perm&protocol.PermWrite != 0 {
		b[1] = 'W'
	}
	if perm&protocol.PermInherit != 0 {
		b[2] = 'X'
	}
	return string(b)
}

func topicConfigString(tc protocol.TopicConfig) string {
	return fmt.Sprintf("TopicConfig [topicName=%s, readQueueNums=%d, writeQueueNums=%d, perm=%s, topicFilterType=%s, topicSysFlag=%d, order=%t]",
		tc.TopicName, tc.ReadQueueNums, tc.WriteQueueNums, permString(tc.Perm), tc.TopicFilterType, tc.TopicSysFlag, tc.Order)
}

var updateTopicCmd = &subCommand{
	name: "updateTopic",
	desc: "Update or create topic",
	options: []option{
		{"b", "brokerAddr", true, false, "create topic to which broker"},
		{"c", "clusterName", true, false, "create topic to which cluster"},
		{"t", "topic", true, true, "topic name"},
		{"r", "readQueueNums", true, false, "set read queue nums"},
		{"w", "writeQueueNums", true, false, "set write queue nums"},
		{"p", "perm", true, false, "set topic's permission(2|4|6), intro[2:W 4:R; 6:RW]"},
		{"o", "order", true, false, "set topic's order(true|false)"},
	},
	oneOf: []string{"b", "c"},
	run:   runUpdateTopic,
}

func runUpdateTopic(e *env) error {
	topic := e.str("t")
	r, err := e.integer("r", 8)
	if err != nil {
		return err
	}
	w, err := e.integer("w", 8)
	if err != nil {
		return err
	}
	perm, err := e.integer("p", int64(protocol.PermRead|protocol.PermWrite))
	if err != nil {
		return err
	}
	switch {
	case r <= 0 || r > 1024:
		return &usageError{msg: fmt.Sprintf("readQueueNums must be 1..1024, got %d", r)}
	case w <= 0 || w > 1024:
		return &usageError{msg: fmt.Sprintf("writeQueueNums must be 1..1024, got %d", w)}
	case perm != 2 && perm != 4 && perm != 6:
		return &usageError{msg: fmt.Sprintf("perm must be 2 (W), 4 (R) or 6 (RW), got %d", perm)}
	}
	tc := protocol.NewTopicConfig(topic, int32(r), int32(w), int32(perm))
	tc.Order = e.boolean("o", false)
	return e.withAdmin(func(ctx context.Context, a *client.Admin) error {
		var addrs []string
		err := e.eachTarget(ctx, func(addr string) error {
			if err := a.CreateTopic(ctx, addr, tc); err != nil {
				return err
			}
			fmt.Fprintf(e.out, "create topic to %s success.\n", addr)
			addrs = append(addrs, addr)
			return nil
		})
		if err != nil {
			return err
		}
		if tc.Order {
			// The order configuration names each broker with its queue count.
			ci, err := a.ClusterInfo(ctx)
			if err != nil {
				return err
			}
			var conf []string
			for name, bd := range ci.BrokerAddrTable {
				for _, addr := range addrs {
					if bd.BrokerAddrs[protocol.MasterID] == addr {
						conf = append(conf, name+":"+strconv.FormatInt(w, 10))
					}
				}
			}
			sort.Strings(conf)
			if err := a.PutKVConfig(ctx, orderTopicNamespace, topic, strings.Join(conf, ";")); err != nil {
				return err
			}
			fmt.Fprintf(e.out, "set cluster orderConf. isOrder=%t, orderConf=[%s]\n", tc.Order, strings.Join(conf, ";"))
		}
		fmt.Fprintln(e.out, topicConfigString(tc))
		return nil
	})
}

var deleteTopicCmd = &subCommand{
	name: "deleteTopic",
	desc: "Delete topic from broker and NameServer.",
	options: []option{
		{"t", "topic", true, true, "topic name"},
		{"c", "clusterName", true, true, "delete topic from which cluster"},
	},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		topic, cluster := e.str("t"), e.str("c")
		err := e.eachMaster(ctx, cluster, func(addr string) error { return a.DeleteTopicInBroker(ctx, addr, topic) })
		if err != nil {
			return err
		}
		fmt.Fprintf(e.out, "delete topic [%s] from cluster [%s] success.\n", topic, cluster)
		if err := a.DeleteTopicInNameServer(ctx, topic, cluster); err != nil {
			return err
		}
		fmt.Fprintf(e.out, "delete topic [%s] from NameServer success.\n", topic)
		return nil
	}),
}

var topicListCmd = &subCommand{
	name:    "topicList",
	desc:    "Fetch all topic list from name server",
	options: []option{{"c", "clusterModel", false, false, "clusterModel"}},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		topics, err := a.TopicList(ctx)
		if err != nil {
			return err
		}
		sort.Strings(topics)
		if !e.boolean("c", false) {
			for _, t := range topics {
				fmt.Fprintln(e.out, t)
			}
			return nil
		}
		// The cluster model: each user topic with its cluster and the
		// groups consuming it, one row per group.
		const format = "%-20s  %-48s  %-48s\n"
		fmt.Fprintf(e.out, format, "#Cluster Name", "#Topic", "#Consumer Group")
		for _, t := range topics {
			if strings.HasPrefix(t, "%RETRY%") || strings.HasPrefix(t, "%DLQ%") {
				continue
			}
			r, err := a.TopicRoute(ctx, t)
			if err != nil || len(r.BrokerDatas) == 0 {
				continue // deleted meanwhile
			}
			groups, err := a.TopicConsumedBy(ctx, t)
			if err != nil {
				return err
			}
			if len(groups) == 0 {
				groups = []string{""}
			}
			for _, g := range groups {
				fmt.Fprintf(e.out, format, r.BrokerDatas[0].Cluster, t, g)
			}
		}
		return nil
	}),
}

var topicRouteCmd = &subCommand{
	name:    "topicRoute",
	desc:    "Examine topic route info",
	options: []option{{"t", "topic", true, true, "topic name"}},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		r, err := a.TopicRoute(ctx, e.str("t"))
		if err != nil {
			return routeError(e.str("t"), err)
		}
		js, err := json.MarshalIndent(r, "", "\t")
		if err != nil {
			return err
		}
		fmt.Fprintln(e.out, string(js))
		return nil
	}),
}

// routeError says plainly that a topic has no route.
func routeError(topic string, err error) error {
	if code, ok := client.CodeOf(err); ok && code == protocol.TopicNotExist {
		return fmt.Errorf("topic [%s] not exist (no route info on the name server): %w", topic, err)
	}
	return err
}

var topicStatusCmd = &subCommand{
	name:    "topicStatus",
	desc:    "Examine topic Status info",
	options: []option{{"t", "topic", true, true, "topic name"}},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		stats, err := a.TopicStats(ctx, e.str("t"))
		if err != nil {
			return routeError(e.str("t"), err)
		}
		mqs := sortedQueues(stats)
		fmt.Fprintf(e.out, "%-32s  %-4s  %-20s  %-20s    %s\n", "#Broker Name", "#QID", "#Min Offset", "#Max Offset", "#Last Updated")
		for _, mq := range mqs {
			to := stats[mq]
			last := ""
			if to.LastUpdateTimestamp > 0 {
				last = javaTime(to.LastUpdateTimestamp)
			}
			fmt.Fprintf(e.out, "%-32s  %-4d  %-20d  %-20d    %s\n", mq.BrokerName, mq.QueueID, to.MinOffset, to.MaxOffset, last)
		}
		return nil
	}),
}

// compareQueues orders queues by topic, broker name, then queue id.
func compareQueues(a, b client.MessageQueue) int {
	return cmp.Or(strings.Compare(a.Topic, b.Topic), strings.Compare(a.BrokerName, b.BrokerName), cmp.Compare(a.QueueID, b.QueueID))
}

// sortedQueues returns the queues of m in compareQueues order.
func sortedQueues[V any](m map[client.MessageQueue]V) []client.MessageQueue {
	return slices.SortedFunc(maps.Keys(m), compareQueues)
}
