package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorocket/gorocket/internal/client"
)

var clusterListCmd = &subCommand{
	name: "clusterList",
	desc: "List all of clusters",
	options: []option{
		{"c", "clusterName", true, false, "which cluster"},
		{"m", "moreStats", false, false, "Print more stats"},
	},
	run: adminRun(runClusterList),
}

// firstFigure parses the first of "<10s> <1min> <10min>".
func firstFigure(s string) float64 {
	f := strings.Fields(s)
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

func runClusterList(e *env, ctx context.Context, a *client.Admin) error {
	ci, err := a.ClusterInfo(ctx)
	if err != nil {
		return err
	}
	only := e.str("c")
	if only != "" {
		if _, ok := ci.ClusterAddrTable[only]; !ok {
			return fmt.Errorf("cluster [%s] not exist", only)
		}
	}
	more := e.boolean("m", false)
	const format = "%-16s  %-22s  %-4s  %-22s %-16s %19s %19s %10s %5s %6s\n"
	const moreFormat = "%-16s  %-32s %14s %14s %14s %14s\n"
	if more {
		fmt.Fprintf(e.out, moreFormat, "#Cluster Name", "#Broker Name", "#InTotalYest", "#OutTotalYest", "#InTotalToday", "#OutTotalToday")
	} else {
		fmt.Fprintf(e.out, format, "#Cluster Name", "#Broker Name", "#BID", "#Addr", "#Version", "#InTPS(LOAD)", "#OutTPS(LOAD)", "#PCWait(ms)", "#Hour", "#SPACE")
	}
	clusters := slices.Sorted(maps.Keys(ci.ClusterAddrTable))
	for _, cluster := range clusters {
		if only != "" && cluster != only {
			continue
		}
		names := append([]string(nil), ci.ClusterAddrTable[cluster]...)
		sort.Strings(names)
		for _, name := range names {
			bd := ci.BrokerAddrTable[name]
			if bd == nil {
				continue
			}
			ids := slices.Sorted(maps.Keys(bd.BrokerAddrs))
			for _, id := range ids {
				addr := bd.BrokerAddrs[id]
				info, err := a.BrokerRuntimeInfo(ctx, addr)
				if err != nil {
					fmt.Fprintf(e.errOut, "runtime info of %s: %v\n", addr, err)
					info = map[string]string{}
				}
				if more {
					// Message counts of yesterday and of today so far.
					n := func(k string) int64 { v, _ := strconv.ParseInt(info[k], 10, 64); return v }
					fmt.Fprintf(e.out, moreFormat, cluster, name,
						strconv.FormatInt(n("msgPutTotalTodayMorning")-n("msgPutTotalYesterdayMorning"), 10),
						strconv.FormatInt(n("msgGetTotalTodayMorning")-n("msgGetTotalYesterdayMorning"), 10),
						strconv.FormatInt(n("msgPutTotalTodayNow")-n("msgPutTotalTodayMorning"), 10),
						strconv.FormatInt(n("msgGetTotalTodayNow")-n("msgGetTotalTodayMorning"), 10))
					continue
				}
				hour := 0.0
				if earliest, err := strconv.ParseInt(info["earliestMessageTimeStamp"], 10, 64); err == nil && earliest > 0 {
					hour = float64(time.Now().UnixMilli()-earliest) / 3600 / 1000
				}
				space, _ := strconv.ParseFloat(info["commitLogDiskRatio"], 64)
				in := fmt.Sprintf("%9.2f(%s,%sms)", firstFigure(info["putTps"]), info["sendThreadPoolQueueSize"], info["sendThreadPoolQueueHeadWaitTimeMills"])
				out := fmt.Sprintf("%9.2f(%s,%sms)", firstFigure(info["getTransferedTps"]), info["pullThreadPoolQueueSize"], info["pullThreadPoolQueueHeadWaitTimeMills"])
				fmt.Fprintf(e.out, format, cluster, name, strconv.FormatInt(id, 10), addr, info["brokerVersionDesc"],
					in, out, info["pageCacheLockTimeMills"], fmt.Sprintf("%2.2f", hour), fmt.Sprintf("%.4f", space))
			}
		}
	}
	return nil
}

var brokerStatusCmd = &subCommand{
	name: "brokerStatus",
	desc: "Fetch broker runtime status data",
	options: []option{
		{"b", "brokerAddr", true, false, "Broker address"},
		{"c", "clusterName", true, false, "which cluster"},
	},
	oneOf: []string{"b", "c"},
	run: targetRun(func(e *env, ctx context.Context, a *client.Admin, addr string) error {
		info, err := a.BrokerRuntimeInfo(ctx, addr)
		if err != nil {
			return err
		}
		for _, k := range slices.Sorted(maps.Keys(info)) {
			if e.has("b") {
				fmt.Fprintf(e.out, "%-32s: %s\n", k, info[k])
			} else {
				fmt.Fprintf(e.out, "%-24s %-32s: %s\n", addr, k, info[k])
			}
		}
		return nil
	}),
}

var getBrokerConfigCmd = &subCommand{
	name: "getBrokerConfig",
	desc: "Get broker config by cluster or special broker!",
	options: []option{
		{"b", "brokerAddr", true, false, "get which broker"},
		{"c", "clusterName", true, false, "get which cluster"},
	},
	oneOf: []string{"b", "c"},
	run: targetRun(func(e *env, ctx context.Context, a *client.Admin, addr string) error {
		props, err := a.BrokerConfig(ctx, addr)
		if err != nil {
			return err
		}
		if e.has("b") {
			fmt.Fprintf(e.out, "============%s============\n", addr)
		} else {
			fmt.Fprintf(e.out, "============Master: %s============\n", addr)
		}
		for _, k := range slices.Sorted(maps.Keys(props)) {
			fmt.Fprintf(e.out, "%-50s=  %s\n", k, props[k])
		}
		return nil
	}),
}

var updateBrokerConfigCmd = &subCommand{
	name: "updateBrokerConfig",
	desc: "Update broker's config",
	options: []option{
		{"b", "brokerAddr", true, false, "update which broker"},
		{"c", "clusterName", true, false, "update which cluster"},
		{"k", "key", true, true, "config key"},
		{"v", "value", true, true, "config value"},
	},
	oneOf: []string{"b", "c"},
	run: targetRun(func(e *env, ctx context.Context, a *client.Admin, addr string) error {
		if err := a.UpdateBrokerConfig(ctx, addr, map[string]string{e.str("k"): e.str("v")}); err != nil {
			return err
		}
		fmt.Fprintf(e.out, "update broker config success, %s\n", addr)
		return nil
	}),
}
