package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/message"
)

// Sub commands beyond the first cut's list, each a thin call of the admin
// client with Java's options and output.

var wipeWritePermCmd = &subCommand{
	name:    "wipeWritePerm",
	desc:    "Wipe write perm of broker in all name server",
	options: []option{{"b", "brokerName", true, true, "broker name"}},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		return writePerm(e, ctx, a, "wipe", (*client.Admin).WipeWritePerm)
	}),
}

var addWritePermCmd = &subCommand{
	name:    "addWritePerm",
	desc:    "Add write perm of broker in all name server",
	options: []option{{"b", "brokerName", true, true, "broker name"}},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		return writePerm(e, ctx, a, "add", (*client.Admin).AddWritePerm)
	}),
}

func writePerm(e *env, ctx context.Context, a *client.Admin, verb string, call func(*client.Admin, context.Context, string) (map[string]int, error)) error {
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
		return e.withAdmin(func(ctx context.Context, a *client.Admin) error {
			group, topic := e.str("g"), e.str("t")
			offsets, err := a.ResetOffsetByTime(ctx, group, topic, ts, force)
			if err != nil {
				return routeError(topic, err)
			}
			fmt.Fprintf(e.out, "rollback consumer offset by specified group[%s], topic[%s], force[%t], timestamp(string)[%s], timestamp(long)[%d]\n",
				group, topic, force, e.str("s"), ts.UnixMilli())
			fmt.Fprintf(e.out, "%-40s  %-40s  %-40s\n", "#brokerName", "#queueId", "#offset")
			mqs := sortedQueues(offsets)
			for _, mq := range mqs {
				fmt.Fprintf(e.out, "%-40s  %-40d  %-40d\n", mq.BrokerName, mq.QueueID, offsets[mq])
			}
			return nil
		})
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
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		src, dst, topic := e.str("s"), e.str("d"), e.str("t")
		if err := a.CloneGroupOffset(ctx, src, dst, topic, e.boolean("o", false)); err != nil {
			return routeError(topic, err)
		}
		fmt.Fprintf(e.out, "clone group offset success. srcGroup[%s], destGroup=[%s], topic[%s]\n", src, dst, topic)
		return nil
	}),
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
		return e.withAdmin(func(ctx context.Context, a *client.Admin) error {
			m, err := a.QueryMessageByOffset(ctx, client.MessageQueue{Topic: e.str("t"), BrokerName: e.str("b"), QueueID: int32(qid)}, off)
			if err != nil {
				return routeError(e.str("t"), err)
			}
			return printMessage(e, m)
		})
	},
}

var queryMsgByUniqueKeyCmd = &subCommand{
	name: "queryMsgByUniqueKey",
	desc: "Query Message by Unique key",
	options: []option{
		{"i", "msgId", true, true, "Message Id (the client message id, UNIQ_KEY)"},
		{"t", "topic", true, true, "The topic of msg"},
	},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
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
	}),
}

var producerConnectionCmd = &subCommand{
	name: "producerConnection",
	desc: "Query producer's socket connection and client version",
	options: []option{
		{"g", "producerGroup", true, true, "producer group name"},
		{"t", "topic", true, true, "topic name"},
	},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		conns, err := a.ProducerConnections(ctx, e.str("g"), e.str("t"))
		if err != nil {
			return routeError(e.str("t"), err)
		}
		for i, c := range conns {
			fmt.Fprintf(e.out, "%04d  %-32s %-22s %-8s %s\n", i+1, c.ClientID, c.ClientAddr, c.Language, versionDesc(c.Version))
		}
		return nil
	}),
}

var updateKvConfigCmd = &subCommand{
	name: "updateKvConfig",
	desc: "Create or update KV config.",
	options: []option{
		{"s", "namespace", true, true, "set the namespace"},
		{"k", "key", true, true, "set the key name"},
		{"v", "value", true, true, "set the key value"},
	},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		if err := a.PutKVConfig(ctx, e.str("s"), e.str("k"), e.str("v")); err != nil {
			return err
		}
		fmt.Fprintln(e.out, "create or update kv config to namespace success.")
		return nil
	}),
}

var deleteKvConfigCmd = &subCommand{
	name: "deleteKvConfig",
	desc: "Delete KV config.",
	options: []option{
		{"s", "namespace", true, true, "set the namespace"},
		{"k", "key", true, true, "set the key name"},
	},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		if err := a.DeleteKVConfig(ctx, e.str("s"), e.str("k")); err != nil {
			return err
		}
		fmt.Fprintln(e.out, "delete kv config from namespace success.")
		return nil
	}),
}

var topicClusterListCmd = &subCommand{
	name:    "topicClusterList",
	desc:    "get cluster info for topic",
	options: []option{{"t", "topic", true, true, "topic name"}},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		r, err := a.TopicRoute(ctx, e.str("t"))
		if err != nil {
			return routeError(e.str("t"), err)
		}
		seen := map[string]bool{}
		for _, bd := range r.BrokerDatas {
			seen[bd.Cluster] = true
		}
		clusters := slices.Sorted(maps.Keys(seen))
		fmt.Fprintln(e.out, strings.Join(clusters, "\n"))
		return nil
	}),
}

var updateTopicPermCmd = &subCommand{
	name: "updateTopicPerm",
	desc: "Update topic perm",
	options: []option{
		{"b", "brokerAddr", true, false, "create topic to which broker"},
		{"c", "clusterName", true, false, "create topic to which cluster"},
		{"t", "topic", true, true, "topic name"},
		{"p", "perm", true, true, "set topic's permission(2|4|6), intro[2:W; 4:R; 6:RW]"},
	},
	oneOf: []string{"b", "c"},
	run: func(e *env) error {
		perm, err := e.integer("p", 0)
		if err != nil {
			return err
		}
		if perm != 2 && perm != 4 && perm != 6 {
			return &usageError{msg: fmt.Sprintf("perm must be 2 (W), 4 (R) or 6 (RW), got %d", perm)}
		}
		return e.withAdmin(func(ctx context.Context, a *client.Admin) error {
			topic := e.str("t")
			return e.eachTarget(ctx, func(addr string) error {
				configs, err := a.TopicConfigs(ctx, addr)
				if err != nil {
					return err
				}
				tc, ok := configs[topic]
				if !ok || tc == nil {
					return fmt.Errorf("topic [%s] not exist on broker %s", topic, addr)
				}
				old := tc.Perm
				updated := *tc
				updated.Perm = int32(perm)
				if err := a.CreateTopic(ctx, addr, updated); err != nil {
					return err
				}
				fmt.Fprintf(e.out, "update topic perm from %d to %d in %s success.\n", old, perm, addr)
				return nil
			})
		})
	},
}

// startProducer starts a producer of group PID_SMSC; stop shuts it down.
func startProducer(e *env) (p *client.Producer, stop func(), err error) {
	cfg, err := e.clientConfig()
	if err != nil {
		return nil, nil, err
	}
	p, err = client.NewProducer(client.ProducerConfig{ClientConfig: cfg, Group: sendMessageGroup}, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := p.Start(); err != nil {
		return nil, nil, err
	}
	return p, shutdownLater(p.Shutdown), nil
}

// shutdownLater is a deferrable shutdown of a client, given 5 s.
func shutdownLater(shutdown func(context.Context) error) func() {
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = shutdown(ctx)
	}
}

// positive reads a count option bounded to 1..limit.
func positive(e *env, short string, def, limit int64) (int64, error) {
	v, err := e.integer(short, def)
	if err != nil {
		return 0, err
	}
	if v <= 0 || v > limit {
		return 0, &usageError{msg: fmt.Sprintf("option -%s (%s) must be 1..%d, got %d", short, e.flagOf(short).Name, limit, v)}
	}
	return v, nil
}

// sendRun is the run of a send test: the count option (1..100000, default
// def), -s the body size, a started producer and the command's deadline.
func sendRun(countOpt string, def int64, f func(e *env, ctx context.Context, p *client.Producer, count int64, body []byte) error) func(*env) error {
	return func(e *env) error {
		n, err := positive(e, countOpt, def, 100000)
		if err != nil {
			return err
		}
		size, err := positive(e, "s", 128, client.DefaultMaxMessageSize)
		if err != nil {
			return err
		}
		p, stop, err := startProducer(e)
		if err != nil {
			return err
		}
		defer stop()
		ctx, cancel := e.call()
		defer cancel()
		return f(e, ctx, p, n, []byte(strings.Repeat("a", int(size))))
	}
}

var checkMsgSendRTCmd = &subCommand{
	name: "checkMsgSendRT",
	desc: "check message send response time",
	options: []option{
		{"t", "topic", true, true, "topic name"},
		{"a", "amount", true, false, "message amount | default 100"},
		{"s", "size", true, false, "message size | default 128 Byte"},
	},
	run: sendRun("a", 100, func(e *env, ctx context.Context, p *client.Producer, amount int64, body []byte) error {
		const format = "%-32s  %-4s  %-20s    %s\n"
		fmt.Fprintf(e.out, format, "#Broker Name", "#QID", "#Send Result", "#RT")
		var total time.Duration
		for i := range amount {
			start := time.Now()
			r, err := p.Send(ctx, &message.Message{Topic: e.str("t"), Body: body})
			rt := time.Since(start)
			if i > 0 {
				total += rt // the first send also fetches the route
			}
			if err != nil {
				fmt.Fprintf(e.out, format, "Unknown", "Unknown", "false", strconv.FormatInt(rt.Milliseconds(), 10))
				return routeError(e.str("t"), err)
			}
			fmt.Fprintf(e.out, format, r.Queue.BrokerName, strconv.Itoa(int(r.Queue.QueueID)), strconv.FormatBool(r.Status == client.SendOK), strconv.FormatInt(rt.Milliseconds(), 10))
		}
		avg := 0.0
		if amount > 1 {
			avg = float64(total.Microseconds()) / 1000 / float64(amount-1)
		}
		fmt.Fprintf(e.out, "Avg RT: %.2f\n", avg)
		return nil
	}),
}

var sendMsgStatusCmd = &subCommand{
	name: "sendMsgStatus",
	desc: "send msg to broker.",
	options: []option{
		{"b", "brokerName", true, true, "Broker Name"},
		{"s", "messageSize", true, false, "Message Size, Default: 128"},
		{"c", "count", true, false, "send message count, Default: 50"},
	},
	run: sendRun("c", 50, func(e *env, ctx context.Context, p *client.Producer, count int64, body []byte) error {
		// Every broker has a topic named after itself (brokerTopicEnable).
		topic := e.str("b")
		for range count {
			start := time.Now()
			r, err := p.Send(ctx, &message.Message{Topic: topic, Body: body})
			if err != nil {
				return routeError(topic, err)
			}
			fmt.Fprintf(e.out, "rt=%dms, SendResult=%s\n", time.Since(start).Milliseconds(), r)
		}
		return nil
	}),
}
