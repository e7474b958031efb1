package main

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

func subGroupString(g protocol.SubscriptionGroupConfig) string {
	return fmt.Sprintf("SubscriptionGroupConfig [groupName=%s, consumeEnable=%t, consumeFromMinEnable=%t, consumeBroadcastEnable=%t, retryQueueNums=%d, retryMaxTimes=%d, brokerId=%d, whichBrokerWhenConsumeSlowly=%d, notifyConsumerIdsChangedEnable=%t]",
		g.GroupName, g.ConsumeEnable, g.ConsumeFromMinEnable, g.ConsumeBroadcastEnable, g.RetryQueueNums, g.RetryMaxTimes,
		g.BrokerID, g.WhichBrokerWhenConsumeSlowly, g.NotifyConsumerIdsChangedEnable)
}

var updateSubGroupCmd = &subCommand{
	name: "updateSubGroup",
	desc: "Update or create subscription group",
	options: []option{
		{"b", "brokerAddr", true, false, "create subscription group to which broker"},
		{"c", "clusterName", true, false, "create subscription group to which cluster"},
		{"g", "groupName", true, true, "consumer group name"},
		{"s", "consumeEnable", true, false, "consume enable"},
		{"m", "consumeFromMinEnable", true, false, "from min offset"},
		{"d", "consumeBroadcastEnable", true, false, "broadcast"},
		{"q", "retryQueueNums", true, false, "retry queue nums"},
		{"r", "retryMaxTimes", true, false, "retry max times"},
		{"i", "brokerId", true, false, "consumer from which broker id"},
		{"w", "whichBrokerWhenConsumeSlowly", true, false, "which broker id when consume slowly"},
		{"a", "notifyConsumerIdsChanged", true, false, "notify consumerId changed"},
	},
	oneOf: []string{"b", "c"},
	run:   runUpdateSubGroup,
}

func runUpdateSubGroup(e *env) error {
	g := protocol.NewSubscriptionGroupConfig(e.str("g"))
	g.ConsumeEnable = e.boolean("s", g.ConsumeEnable)
	g.ConsumeFromMinEnable = e.boolean("m", g.ConsumeFromMinEnable)
	g.ConsumeBroadcastEnable = e.boolean("d", g.ConsumeBroadcastEnable)
	g.NotifyConsumerIdsChangedEnable = e.boolean("a", g.NotifyConsumerIdsChangedEnable)
	for _, f := range []struct {
		short string
		dst   any
	}{{"q", &g.RetryQueueNums}, {"r", &g.RetryMaxTimes}, {"i", &g.BrokerID}, {"w", &g.WhichBrokerWhenConsumeSlowly}} {
		switch d := f.dst.(type) {
		case *int32:
			v, err := e.integer(f.short, int64(*d))
			if err != nil {
				return err
			}
			*d = int32(v)
		case *int64:
			v, err := e.integer(f.short, *d)
			if err != nil {
				return err
			}
			*d = v
		}
	}
	return e.withAdmin(func(ctx context.Context, a *client.Admin) error {
		err := e.eachTarget(ctx, func(addr string) error {
			if err := a.CreateSubscriptionGroup(ctx, addr, g); err != nil {
				return err
			}
			fmt.Fprintf(e.out, "create subscription group to %s success.\n", addr)
			return nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintln(e.out, subGroupString(g))
		return nil
	})
}

var deleteSubGroupCmd = &subCommand{
	name: "deleteSubGroup",
	desc: "Delete subscription group from broker.",
	options: []option{
		{"b", "brokerAddr", true, false, "delete subscription group from which broker"},
		{"c", "clusterName", true, false, "delete subscription group from which cluster"},
		{"g", "groupName", true, true, "subscription group name"},
		{"r", "removeOffset", true, false, "remove offset"},
	},
	oneOf: []string{"b", "c"},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		group := e.str("g")
		removeOffset := e.boolean("r", false)
		if b := e.str("b"); b != "" {
			if err := a.DeleteSubscriptionGroup(ctx, b, group, removeOffset); err != nil {
				return err
			}
			fmt.Fprintf(e.out, "delete subscription group [%s] from broker [%s] success.\n", group, b)
			return nil
		}
		cluster := e.str("c")
		err := e.eachMaster(ctx, cluster, func(addr string) error {
			if err := a.DeleteSubscriptionGroup(ctx, addr, group, removeOffset); err != nil {
				return err
			}
			fmt.Fprintf(e.out, "delete subscription group [%s] from broker [%s] in cluster [%s] success.\n", group, addr, cluster)
			return nil
		})
		if err != nil {
			return err
		}
		// As Java does, the group's retry and dead-letter topics go too;
		// a group that never consumed has none, which is not an error.
		for _, t := range []string{"%RETRY%" + group, "%DLQ%" + group} {
			if _, err := a.TopicRoute(ctx, t); err != nil {
				continue
			}
			if err := a.DeleteTopic(ctx, t, cluster); err != nil {
				return err
			}
			fmt.Fprintf(e.out, "delete topic [%s] from cluster [%s] success.\n", t, cluster)
		}
		return nil
	}),
}

var consumerProgressCmd = &subCommand{
	name:    "consumerProgress",
	desc:    "Query consumers's progress, speed",
	options: []option{{"g", "groupName", true, false, "consumer group name"}},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		group := e.str("g")
		if group == "" {
			return allGroupsProgress(ctx, e, a)
		}
		cs, err := a.ConsumeStats(ctx, group, "")
		if err != nil {
			if code, ok := client.CodeOf(err); ok && code == protocol.TopicNotExist {
				return fmt.Errorf("consumer group [%s] has no route (it never connected): %w", group, err)
			}
			return err
		}
		mqs := sortedQueues(cs.OffsetTable)
		fmt.Fprintf(e.out, "%-64s  %-32s  %-4s  %-20s  %-20s  %-20s %-20s  %s\n",
			"#Topic", "#Broker Name", "#QID", "#Broker Offset", "#Consumer Offset", "#Client IP", "#Diff", "#LastTime")
		var diffTotal int64
		for _, mq := range mqs {
			ow := cs.OffsetTable[mq]
			diff := ow.BrokerOffset - ow.ConsumerOffset
			diffTotal += diff
			last := "N/A"
			if ow.LastTimestamp > 0 {
				last = time.UnixMilli(ow.LastTimestamp).Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(e.out, "%-64s  %-32s  %-4d  %-20d  %-20d  %-20s %-20d  %s\n",
				mq.Topic, mq.BrokerName, mq.QueueID, ow.BrokerOffset, ow.ConsumerOffset, "N/A", diff, last)
		}
		fmt.Fprintln(e.out)
		fmt.Fprintf(e.out, "Consume TPS: %.2f\n", cs.ConsumeTps)
		fmt.Fprintf(e.out, "Consume Diff Total: %d\n", diffTotal)
		return nil
	}),
}

// versionDesc names an MQVersion ordinal for the ones clients send.
func versionDesc(v int32) string {
	switch v {
	case 317:
		return "V4_5_2"
	case 401:
		return "V4_9_4"
	case 409:
		return "V4_9_8"
	}
	return strconv.Itoa(int(v))
}

var consumerConnectionCmd = &subCommand{
	name:    "consumerConnection",
	desc:    "Query consumer's socket connection, client version and subscription",
	options: []option{{"g", "consumerGroup", true, true, "consumer group name"}},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		group := e.str("g")
		cc, err := a.ConsumerConnections(ctx, group)
		if err != nil {
			return err
		}
		for i, c := range cc.ConnectionSet {
			fmt.Fprintf(e.out, "%03d  %-32s %-22s %-8s %s\n", i+1, c.ClientID, c.ClientAddr, c.Language, versionDesc(c.Version))
		}
		fmt.Fprintf(e.out, "\nBelow is subscription:\n")
		topics := slices.Sorted(maps.Keys(cc.SubscriptionTable))
		for i, t := range topics {
			fmt.Fprintf(e.out, "%03d  Topic: %-40s SubExpression: %s\n", i+1, t, cc.SubscriptionTable[t].SubString)
		}
		fmt.Fprintln(e.out)
		fmt.Fprintf(e.out, "ConsumeType: %s\n", cc.ConsumeType)
		fmt.Fprintf(e.out, "MessageModel: %s\n", cc.MessageModel)
		fmt.Fprintf(e.out, "ConsumeFromWhere: %s\n", cc.ConsumeFromWhere)
		return nil
	}),
}

// allGroupsProgress is consumerProgress without -g: one line per group
// that has a retry topic, with its connections and total lag.
func allGroupsProgress(ctx context.Context, e *env, a *client.Admin) error {
	topics, err := a.TopicList(ctx)
	if err != nil {
		return err
	}
	var groups []string
	for _, t := range topics {
		if g, ok := strings.CutPrefix(t, "%RETRY%"); ok {
			groups = append(groups, g)
		}
	}
	sort.Strings(groups)
	fmt.Fprintf(e.out, "%-64s  %-6s  %-24s %-5s  %-14s  %-7s  %s\n", "#Group", "#Count", "#Version", "#Type", "#Model", "#TPS", "#Diff Total")
	for _, g := range groups {
		cs, err := a.ConsumeStats(ctx, g, "")
		if err != nil {
			continue // the group's route went away meanwhile
		}
		count, version, typ, model := 0, "", "", ""
		if cc, err := a.ConsumerConnections(ctx, g); err == nil {
			count = len(cc.ConnectionSet)
			minV := int32(math.MaxInt32)
			for _, c := range cc.ConnectionSet {
				minV = min(minV, c.Version)
			}
			if count > 0 {
				version = versionDesc(minV)
			}
			switch cc.ConsumeType {
			case "CONSUME_PASSIVELY":
				typ = "PUSH"
			case "CONSUME_ACTIVELY":
				typ = "PULL"
			}
			model = cc.MessageModel
		}
		fmt.Fprintf(e.out, "%-64s  %-6d  %-24s %-5s  %-14s  %-7d  %d\n", g, count, version, typ, model, int64(cs.ConsumeTps), cs.Diff())
	}
	return nil
}
