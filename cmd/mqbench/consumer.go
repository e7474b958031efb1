package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/message"
)

// consumerOptions are Consumer.java's options plus the bounds.
type consumerOptions struct {
	runOptions  // quantity is the total
	group       string
	groupPrefix bool
	filterType  string
	expression  string
	fromWhere   string
}

func consumerCommand(ctx context.Context, stdout io.Writer) *cobra.Command {
	o := consumerOptions{}
	cmd := runCommand("consumer -n NAMESRV -t TOPIC -g GROUP [-f TAG -e EXPR] [-q TOTAL]",
		"Consume messages and print consume TPS and latencies every second",
		func() error { return runConsumer(ctx, o, stdout) })
	f := cmd.Flags()
	addRunFlags(f, &o.runOptions, "Stop after consuming this many messages, 0 = until --duration")
	f.StringVarP(&o.group, "group", "g", "benchmark_consumer", "Consumer group name")
	f.BoolVarP(&o.groupPrefix, "groupPrefixEnable", "p", false, "Append a random suffix to the group name")
	f.StringVarP(&o.filterType, "filterType", "f", "TAG", "Filter type: TAG (SQL92 is not supported by this broker suite)")
	f.StringVarP(&o.expression, "expression", "e", "*", "Subscription expression")
	f.StringVar(&o.fromWhere, "from", "last", "Where a new group starts: last, first")
	return cmd
}

// ConsumerReport is the JSON summary of a consumer run.
type ConsumerReport struct {
	Mode        string  `json:"mode"`
	Topic       string  `json:"topic"`
	Group       string  `json:"group"`
	Consumed    int64   `json:"consumed"`
	ElapsedSec  float64 `json:"elapsedSec"`
	ConsumeTPS  float64 `json:"consumeTps"`
	AvgB2CRTMs  float64 `json:"avgB2cRtMs"`
	AvgS2CRTMs  float64 `json:"avgS2cRtMs"`
	MaxB2CRTMs  int64   `json:"maxB2cRtMs"`
	MaxS2CRTMs  int64   `json:"maxS2cRtMs"`
	ActiveSec   float64 `json:"activeSec"`
	ActiveTPS   float64 `json:"activeTps"`
	FirstMsgSec float64 `json:"firstMsgSec"`
}

// consumerStats are the counters of StatsBenchmarkConsumer; latencies in ms
// from the message's born (B2C) and store (S2C) timestamps.
type consumerStats struct {
	count    atomic.Int64
	b2cTotal atomic.Int64
	s2cTotal atomic.Int64
	b2cMax   atomic.Int64
	s2cMax   atomic.Int64
	firstAt  atomic.Int64 // unix nanos of the first message
	lastAt   atomic.Int64 // unix nanos of the latest message
}

func runConsumer(ctx context.Context, o consumerOptions, stdout io.Writer) error {
	ns, err := o.check()
	if err != nil {
		return err
	}
	from := client.ConsumeFromLastOffset
	switch strings.ToLower(o.fromWhere) {
	case "last":
	case "first":
		from = client.ConsumeFromFirstOffset
	default:
		return &exitError{code: 1, msg: fmt.Sprintf("--from must be last or first, got %q", o.fromWhere)}
	}
	switch {
	case o.topic == "":
		return &exitError{code: 1, msg: "-t topic must not be empty"}
	case o.group == "":
		return &exitError{code: 1, msg: "-g group must not be empty"}
	case o.quantity < 0:
		return &exitError{code: 1, msg: fmt.Sprintf("-q messageQuantity must not be negative, got %d", o.quantity)}
	}
	switch strings.ToUpper(o.filterType) {
	case "TAG":
	case "SQL92":
		return &exitError{code: 1, msg: "-f SQL92: the broker does not support consumer to filter message by SQL92 (enablePropertyFilter is not implemented); use -f TAG"}
	default:
		return &exitError{code: 1, msg: fmt.Sprintf("-f filterType must be TAG or SQL92, got %q", o.filterType)}
	}
	group := o.group
	if o.groupPrefix {
		group += "_" + strconv.FormatInt(time.Now().UnixMilli()%100, 10)
	}
	offDir, err := os.MkdirTemp("", "mqbench-offsets-")
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("offset dir: %v", err)}
	}
	defer os.RemoveAll(offDir)
	pc, err := client.NewPushConsumer(client.ConsumerConfig{
		ClientConfig:   client.ClientConfig{NameServers: []string{ns}},
		Group:          group,
		FromWhere:      from,
		OffsetStoreDir: offDir,
	}, nil)
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("create consumer: %v", err)}
	}
	st := &consumerStats{}
	reached := make(chan struct{})
	var closeOnce atomic.Bool
	err = pc.Subscribe(o.topic, o.expression, func(_ context.Context, msgs []*message.MessageExt) client.ConsumeResult {
		now := time.Now()
		ms := now.UnixMilli()
		for _, m := range msgs {
			b2c, s2c := ms-m.BornTimestamp, ms-m.StoreTimestamp
			st.b2cTotal.Add(b2c)
			st.s2cTotal.Add(s2c)
			maxInto(&st.b2cMax, b2c)
			maxInto(&st.s2cMax, s2c)
		}
		st.firstAt.CompareAndSwap(0, now.UnixNano())
		st.lastAt.Store(now.UnixNano())
		if n := st.count.Add(int64(len(msgs))); o.quantity > 0 && n >= o.quantity && closeOnce.CompareAndSwap(false, true) {
			close(reached)
		}
		return client.ConsumeSuccess
	})
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("subscribe %s: %v", o.topic, err)}
	}
	start := time.Now()
	if err := pc.Start(); err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("start consumer: %v", err)}
	}
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	tick := time.NewTicker(o.interval)
	defer tick.Stop()
	var last [3]int64
	lastAt := start
	for running := true; running; {
		select {
		case <-reached:
			running = false
		case <-runCtx.Done():
			running = false
		case now := <-tick.C:
			cur := [3]int64{st.count.Load(), st.b2cTotal.Load(), st.s2cTotal.Load()}
			n := cur[0] - last[0]
			var b2c, s2c float64
			if n > 0 {
				b2c = float64(cur[1]-last[1]) / float64(n)
				s2c = float64(cur[2]-last[2]) / float64(n)
			}
			tps := float64(n) / now.Sub(lastAt).Seconds()
			fmt.Fprintf(stdout, "Current Time: %s | Consume TPS: %d | AVG(B2C) RT(ms): %7.3f | AVG(S2C) RT(ms): %7.3f | MAX(B2C) RT(ms): %d | MAX(S2C) RT(ms): %d\n",
				nowString(), int64(tps+0.5), b2c, s2c, st.b2cMax.Load(), st.s2cMax.Load())
			last, lastAt = cur, now
		}
	}
	elapsed := time.Since(start)
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	_ = pc.Shutdown(sctx)
	scancel()

	rep := ConsumerReport{
		Mode: "consumer", Topic: o.topic, Group: group, Consumed: st.count.Load(),
		ElapsedSec: elapsed.Seconds(), MaxB2CRTMs: st.b2cMax.Load(), MaxS2CRTMs: st.s2cMax.Load(),
	}
	if rep.ElapsedSec > 0 {
		rep.ConsumeTPS = float64(rep.Consumed) / rep.ElapsedSec
	}
	if rep.Consumed > 0 {
		rep.AvgB2CRTMs = float64(st.b2cTotal.Load()) / float64(rep.Consumed)
		rep.AvgS2CRTMs = float64(st.s2cTotal.Load()) / float64(rep.Consumed)
		first, lastMsg := st.firstAt.Load(), st.lastAt.Load()
		rep.FirstMsgSec = time.Duration(first - start.UnixNano()).Seconds()
		rep.ActiveSec = time.Duration(lastMsg - first).Seconds()
		if rep.ActiveSec > 0 {
			rep.ActiveTPS = float64(rep.Consumed) / rep.ActiveSec
		}
	}
	fmt.Fprintf(stdout, "Summary: Consume Total: %d | Consume TPS: %.1f | Active TPS: %.1f | AVG(B2C) RT(ms): %.3f | AVG(S2C) RT(ms): %.3f | MAX(B2C) RT(ms): %d | MAX(S2C) RT(ms): %d | Elapsed(s): %.2f\n",
		rep.Consumed, rep.ConsumeTPS, rep.ActiveTPS, rep.AvgB2CRTMs, rep.AvgS2CRTMs, rep.MaxB2CRTMs, rep.MaxS2CRTMs, rep.ElapsedSec)
	js, _ := json.Marshal(rep)
	fmt.Fprintf(stdout, "RESULT %s\n", js)
	if err := writeReport(o.reportJSON, js); err != nil {
		return err
	}
	if o.quantity > 0 && rep.Consumed < o.quantity {
		return &exitError{code: 2, msg: fmt.Sprintf("consumed %d of %d messages before the run ended", rep.Consumed, o.quantity)}
	}
	return nil
}
