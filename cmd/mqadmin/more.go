package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorocket/gorocket/internal/client"
)

// Sub commands beyond the first cut's list, each a thin call of the admin
// client with Java's options and output.

var wipeWritePermCmd = &subCommand{
	name:    "wipeWritePerm",
	desc:    "Wipe write perm of broker in all name server",
	options: []option{{"b", "brokerName", true, true, "broker name"}},
	run: func(e *env) error {
		return writePerm(e, "wipe", (*client.Admin).WipeWritePerm)
	},
}

var addWritePermCmd = &subCommand{
	name:    "addWritePerm",
	desc:    "Add write perm of broker in all name server",
	options: []option{{"b", "brokerName", true, true, "broker name"}},
	run: func(e *env) error {
		return writePerm(e, "add", (*client.Admin).AddWritePerm)
	},
}

func writePerm(e *env, verb string, call func(*client.Admin, context.Context, string) (map[string]int, error)) error {
	a, err := e.admin()
	if err != nil {
		return err
	}
	ctx, cancel := e.call()
	defer cancel()
	name := e.str("b")
	counts, err := call(a, ctx, name)
	for _, ns := range a.NameServers() {
		if n, ok := counts[ns]; ok {
			fmt.Fprintf(e.out, "%s write perm of broker[%s] in name server[%s] OK, %d\n", verb, name, ns, n)
		} else {
			fmt.Fprintf(e.out, "%s write perm of broker[%s] in name server[%s] Failed\n", verb, name, ns)
		}
	}
	return err
}

var resetOffsetByTimeCmd = &subCommand{
	name: "resetOffsetByTime",
	desc: "Reset consumer offset by timestamp(without client restart).",
	options: []option{
		{"g", "group", true, true, "set the consumer group"},
		{"t", "topic", true, true, "set the topic"},
		{"s", "timestamp", true, true, "set the timestamp[now|currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
		{"f", "force", true, false, "set the force rollback by timestamp switch[true|false]"},
	},
	run: func(e *env) error {
		ts, err := parseTimestamp(e.str("s"))
		if err != nil {
			return &usageError{msg: err.Error()}
		}
		force := e.boolean("f", true)
		a, err := e.admin()
		if err != nil {
			return err
		}
		ctx, cancel := e.call()
		defer cancel()
		group, topic := e.str("g"), e.str("t")
		offsets, err := a.ResetOffsetByTime(ctx, group, topic, ts, force)
		if err != nil {
			return routeError(topic, err)
		}
		fmt.Fprintf(e.out, "rollback consumer offset by specified group[%s], topic[%s], force[%t], timestamp(string)[%s], timestamp(long)[%d]\n",
			group, topic, force, e.str("s"), ts.UnixMilli())
		fmt.Fprintf(e.out, "%-40s  %-40s  %-40s\n", "#brokerName", "#queueId", "#offset")
		mqs := make([]client.MessageQueue, 0, len(offsets))
		for mq := range offsets {
			mqs = append(mqs, mq)
		}
		sortQueues(mqs)
		for _, mq := range mqs {
			fmt.Fprintf(e.out, "%-40s  %-40d  %-40d\n", mq.BrokerName, mq.QueueID, offsets[mq])
		}
		return nil
	},
}

// parseTimestamp reads "now", milliseconds, or yyyy-MM-dd#HH:mm:ss:SSS
// (local time), as resetOffsetByTime's -s.
func parseTimestamp(s string) (time.Time, error) {
	if s == "now" {
		return time.Now(), nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		if ms < 0 {
			return time.Time{}, fmt.Errorf("timestamp must not be negative, got %d", ms)
		}
		return time.UnixMilli(ms), nil
	}
	t, err := time.ParseInLocation("2006-01-02#15:04:05:000", s, time.Local)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q is not now, milliseconds or yyyy-MM-dd#HH:mm:ss:SSS", s)
	}
	return t, nil
}

var cloneGroupOffsetCmd = &subCommand{
	name: "cloneGroupOffset",
	desc: "Clone offset from other group.",
	options: []option{
		{"s", "srcGroup", true, true, "set source consumer group"},
		{"d", "destGroup", true, true, "set destination consumer group"},
		{"t", "topic", true, true, "set the topic"},
		{"o", "offline", true, false, "the group or the topic is offline"},
	},
	run: func(e *env) error {
		a, err := e.admin()
		if err != nil {
			return err
		}
		ctx, cancel := e.call()
		defer cancel()
		src, dst, topic := e.str("s"), e.str("d"), e.str("t")
		if err := a.CloneGroupOffset(ctx, src, dst, topic, e.boolean("o", false)); err != nil {
			return routeError(topic, err)
		}
		fmt.Fprintf(e.out, "clone group offset success. srcGroup[%s], destGroup=[%s], topic[%s]\n", src, dst, topic)
		return nil
	},
}

var queryMsgByOffsetCmd = &subCommand{
	name: "queryMsgByOffset",
	desc: "Query Message by offset",
	options: []option{
		{"t", "topic", true, true, "topic name"},
		{"b", "brokerName", true, true, "Broker Name"},
		{"i", "queueId", true, true, "Queue Id"},
		{"o", "offset", true, true, "Queue Offset"},
	},
	run: func(e *env) error {
		qid, err := e.integer("i", 0)
		if err != nil {
			return err
		}
		off, err := e.integer("o", 0)
		if err != nil {
			return err
		}
		if off < 0 || qid < 0 {
			return &usageError{msg: fmt.Sprintf("queueId and offset must not be negative, got %d and %d", qid, off)}
		}
		a, err := e.admin()
		if err != nil {
			return err
		}
		ctx, cancel := e.call()
		defer cancel()
		m, err := a.QueryMessageByOffset(ctx, client.MessageQueue{Topic: e.str("t"), BrokerName: e.str("b"), QueueID: int32(qid)}, off)
		if err != nil {
			return routeError(e.str("t"), err)
		}
		return printMessage(e, m)
	},
}

var queryMsgByUniqueKeyCmd = &subCommand{
	name: "queryMsgByUniqueKey",
	desc: "Query Message by Unique key",
	options: []option{
		{"i", "msgId", true, true, "Message Id (the client message id, UNIQ_KEY)"},
		{"t", "topic", true, true, "The topic of msg"},
	},
	run: func(e *env) error {
		a, err := e.admin()
		if err != nil {
			return err
		}
		ctx, cancel := e.call()
		defer cancel()
		msgs, err := lookupMessage(ctx, a, e.str("i"), e.str("t"), true)
		if err != nil {
			return routeError(e.str("t"), err)
		}
		for _, m := range msgs {
			if err := printMessage(e, m); err != nil {
				return err
			}
		}
		return nil
	},
}

var producerConnectionCmd = &subCommand{
	name: "producerConnection",
	desc: "Query producer's socket connection and client version",
	options: []option{
		{"g", "producerGroup", true, true, "producer group name"},
		{"t", "topic", true, true, "topic name"},
	},
	run: func(e *env) error {
		a, err := e.admin()
		if err != nil {
			return err
		}
		ctx, cancel := e.call()
		defer cancel()
		conns, err := a.ProducerConnections(ctx, e.str("g"), e.str("t"))
		if err != nil {
			return routeError(e.str("t"), err)
		}
		for i, c := range conns {
			fmt.Fprintf(e.out, "%04d  %-32s %-22s %-8s %s\n", i+1, c.ClientID, c.ClientAddr, c.Language, versionDesc(c.Version))
		}
		return nil
	},
}

var updateKvConfigCmd = &subCommand{
	name: "updateKvConfig",
	desc: "Create or update KV config.",
	options: []option{
		{"s", "namespace", true, true, "set the namespace"},
		{"k", "key", true, true, "set the key name"},
		{"v", "value", true, true, "set the key value"},
	},
	run: func(e *env) error {
		a, err := e.admin()
		if err != nil {
			return err
		}
		ctx, cancel := e.call()
		defer cancel()
		if err := a.PutKVConfig(ctx, e.str("s"), e.str("k"), e.str("v")); err != nil {
			return err
		}
		fmt.Fprintln(e.out, "create or update kv config to namespace success.")
		return nil
	},
}

var deleteKvConfigCmd = &subCommand{
	name: "deleteKvConfig",
	desc: "Delete KV config.",
	options: []option{
		{"s", "namespace", true, true, "set the namespace"},
		{"k", "key", true, true, "set the key name"},
	},
	run: func(e *env) error {
		a, err := e.admin()
		if err != nil {
			return err
		}
		ctx, cancel := e.call()
		defer cancel()
		if err := a.DeleteKVConfig(ctx, e.str("s"), e.str("k")); err != nil {
			return err
		}
		fmt.Fprintln(e.out, "delete kv config from namespace success.")
		return nil
	},
}

var topicClusterListCmd = &subCommand{
	name:    "topicClusterList",
	desc:    "get cluster info for topic",
	options: []option{{"t", "topic", true, true, "topic name"}},
	run: func(e *env) error {
		a, err := e.admin()
		if err != nil {
			return err
		}
		ctx, cancel := e.call()
		defer cancel()
		r, err := a.TopicRoute(ctx, e.str("t"))
		if err != nil {
			return routeError(e.str("t"), err)
		}
		seen := map[string]bool{}
		for _, bd := range r.BrokerDatas {
			seen[bd.Cluster] = true
		}
		clusters := make([]string, 0, len(seen))
		for c := range seen {
			clusters = append(clusters, c)
		}
		sort.Strings(clusters)
		fmt.Fprintln(e.out, strings.Join(clusters, "\n"))
		return nil
	},
}
