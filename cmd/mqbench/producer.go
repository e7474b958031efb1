package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/message"
)

// producerOptions are Producer.java's options plus the bounds.
type producerOptions struct {
	runOptions // quantity is per thread
	threads    int
	size       int
	keys       bool
	tagCount   int
	delay      bool
	delayLevel int
	async      bool
	group      string
	inFlight   int
}

func producerCommand(ctx context.Context, stdout io.Writer) *cobra.Command {
	o := producerOptions{}
	cmd := runCommand("producer -n NAMESRV -t TOPIC -w THREADS -s SIZE [-k true] [-y true] [-q PER_THREAD]",
		"Send messages and print send TPS, RT and failures every second",
		func() error { return runProducer(ctx, o, stdout) })
	f := cmd.Flags()
	addRunFlags(f, &o.runOptions, "Messages each thread sends, 0 = until --duration")
	f.IntVarP(&o.threads, "threadCount", "w", 64, "Thread count")
	f.IntVarP(&o.size, "messageSize", "s", 128, "Message size in bytes")
	f.BoolVarP(&o.keys, "keyEnable", "k", false, "Message key enable")
	f.IntVarP(&o.tagCount, "tagCount", "l", 0, "Tag count (tags tag0..tagN-1)")
	f.BoolVarP(&o.delay, "delayEnable", "d", false, "Delay message enable")
	f.IntVarP(&o.delayLevel, "delayLevel", "e", 1, "Delay message level")
	f.BoolVarP(&o.async, "asyncEnable", "y", false, "Enable async produce")
	f.StringVarP(&o.group, "group", "g", "benchmark_producer", "Producer group")
	f.IntVar(&o.inFlight, "async-inflight", 64, "Asynchronous sends each thread keeps in flight")
	return cmd
}

// producerStats are the counters of StatsBenchmarkProducer.
type producerStats struct {
	sendOK       atomic.Int64 // stored with SEND_OK
	sendFailed   atomic.Int64 // no answer (transport, timeout, client refusal)
	respFailed   atomic.Int64 // the broker answered an error or a non-OK status
	rtTotalMicro atomic.Int64 // of successful sends
	maxRTMicro   atomic.Int64 // whole run
	winMaxMicro  atomic.Int64 // since the last progress line
	lastErr      atomic.Value // string
}

func maxInto(v *atomic.Int64, x int64) {
	for {
		cur := v.Load()
		if x <= cur || v.CompareAndSwap(cur, x) {
			return
		}
	}
}

func (s *producerStats) record(start time.Time, r *client.SendResult, err error) {
	rt := time.Since(start).Microseconds()
	switch {
	case err != nil:
		if _, ok := client.CodeOf(err); ok {
			s.respFailed.Add(1)
		} else {
			s.sendFailed.Add(1)
		}
		s.lastErr.Store(err.Error())
		return
	case r.Status != client.SendOK:
		s.respFailed.Add(1)
		s.lastErr.Store("send status " + r.Status.String())
		return
	}
	s.rtTotalMicro.Add(rt)
	maxInto(&s.maxRTMicro, rt)
	maxInto(&s.winMaxMicro, rt)
	s.sendOK.Add(1)
}

// ProducerReport is the JSON summary of a producer run.
type ProducerReport struct {
	Mode           string  `json:"mode"`
	Topic          string  `json:"topic"`
	Threads        int     `json:"threads"`
	MessageSize    int     `json:"messageSize"`
	Async          bool    `json:"async"`
	Sent           int64   `json:"sent"`
	SendFailed     int64   `json:"sendFailed"`
	ResponseFailed int64   `json:"responseFailed"`
	ElapsedSec     float64 `json:"elapsedSec"`
	SendTPS        float64 `json:"sendTps"`
	AvgRTMs        float64 `json:"avgRtMs"`
	MaxRTMs        float64 `json:"maxRtMs"`
	LastError      string  `json:"lastError,omitempty"`
}

func runProducer(ctx context.Context, o producerOptions, stdout io.Writer) error {
	ns, err := o.check()
	if err != nil {
		return err
	}
	switch {
	case o.topic == "":
		return &exitError{code: 1, msg: "-t topic must not be empty"}
	case o.threads <= 0 || o.threads > 4096:
		return &exitError{code: 1, msg: fmt.Sprintf("-w threadCount must be 1..4096, got %d", o.threads)}
	case o.size <= 0 || o.size > client.DefaultMaxMessageSize:
		return &exitError{code: 1, msg: fmt.Sprintf("-s messageSize must be 1..%d, got %d", client.DefaultMaxMessageSize, o.size)}
	case o.quantity < 0:
		return &exitError{code: 1, msg: fmt.Sprintf("-q messageQuantity must not be negative, got %d", o.quantity)}
	case o.tagCount < 0:
		return &exitError{code: 1, msg: fmt.Sprintf("-l tagCount must not be negative, got %d", o.tagCount)}
	case o.delay && (o.delayLevel < 1 || o.delayLevel > 18):
		return &exitError{code: 1, msg: fmt.Sprintf("-e delayLevel must be 1..18, got %d", o.delayLevel)}
	case o.async && o.inFlight <= 0:
		return &exitError{code: 1, msg: fmt.Sprintf("--async-inflight must be positive, got %d", o.inFlight)}
	}
	p, err := client.NewProducer(client.ProducerConfig{
		ClientConfig: client.ClientConfig{NameServers: []string{ns}},
		Group:        o.group,
	}, nil)
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("create producer: %v", err)}
	}
	if err := p.Start(); err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("start producer: %v", err)}
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Shutdown(sctx)
	}()

	body := make([]byte, o.size)
	for i := range body {
		body[i] = "AaBbCcDdEeFfGgHhIiJjKkLlMmNnOoPpQqRrSsTtUuVvWwXxYyZz"[i%52]
	}
	runCtx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()

	st := &producerStats{}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range o.threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			producerThread(runCtx, p, o, w, body, st)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	tick := time.NewTicker(o.interval)
	defer tick.Stop()
	lastOK, lastRT, lastAt := int64(0), int64(0), start
	for running := true; running; {
		select {
		case <-done:
			running = false
		case now := <-tick.C:
			ok, rt := st.sendOK.Load(), st.rtTotalMicro.Load()
			n := ok - lastOK
			avg := 0.0
			if n > 0 {
				avg = float64(rt-lastRT) / float64(n) / 1000
			}
			tps := float64(n) / now.Sub(lastAt).Seconds()
			fmt.Fprintf(stdout, "Current Time: %s | Send TPS: %d | Max RT(ms): %.3f | Average RT(ms): %7.3f | Send Failed: %d | Response Failed: %d\n",
				nowString(), int64(tps+0.5), float64(st.winMaxMicro.Swap(0))/1000, avg, st.sendFailed.Load(), st.respFailed.Load())
			lastOK, lastRT, lastAt = ok, rt, now
		}
	}
	elapsed := time.Since(start)
	rep := ProducerReport{
		Mode: "producer", Topic: o.topic, Threads: o.threads, MessageSize: o.size, Async: o.async,
		Sent: st.sendOK.Load(), SendFailed: st.sendFailed.Load(), ResponseFailed: st.respFailed.Load(),
		ElapsedSec: elapsed.Seconds(), MaxRTMs: float64(st.maxRTMicro.Load()) / 1000,
	}
	if rep.ElapsedSec > 0 {
		rep.SendTPS = float64(rep.Sent) / rep.ElapsedSec
	}
	if rep.Sent > 0 {
		rep.AvgRTMs = float64(st.rtTotalMicro.Load()) / float64(rep.Sent) / 1000
	}
	if e, ok := st.lastErr.Load().(string); ok {
		rep.LastError = e
	}
	fmt.Fprintf(stdout, "Summary: Send Total: %d | Send TPS: %.1f | Max RT(ms): %.3f | Average RT(ms): %.3f | Send Failed: %d | Response Failed: %d | Elapsed(s): %.2f\n",
		rep.Sent, rep.SendTPS, rep.MaxRTMs, rep.AvgRTMs, rep.SendFailed, rep.ResponseFailed, rep.ElapsedSec)
	js, _ := json.Marshal(rep)
	fmt.Fprintf(stdout, "RESULT %s\n", js)
	if err := writeReport(o.reportJSON, js); err != nil {
		return err
	}
	if failed := rep.SendFailed + rep.ResponseFailed; failed > 0 {
		return &exitError{code: 2, msg: fmt.Sprintf("%d sends failed; last error: %s", failed, rep.LastError)}
	}
	return nil
}

// producerThread sends until its quantity is reached or ctx ends; a send
// already started finishes (with its own timeout) and is counted.
func producerThread(ctx context.Context, p *client.Producer, o producerOptions, w int, body []byte, st *producerStats) {
	var sem chan struct{}
	if o.async {
		sem = make(chan struct{}, o.inFlight)
		defer func() {
			for range o.inFlight {
				sem <- struct{}{} // wait for every callback
			}
		}()
	}
	for i := int64(0); o.quantity == 0 || i < o.quantity; i++ {
		if ctx.Err() != nil {
			return
		}
		msg := &message.Message{Topic: o.topic, Body: body}
		if o.keys {
			msg.SetProperty(message.PropertyKeys, strconv.FormatInt(time.Now().UnixMilli(), 10)+"_"+strconv.Itoa(w)+"_"+strconv.FormatInt(i, 10))
		}
		if o.tagCount > 0 {
			msg.SetProperty(message.PropertyTags, "tag"+strconv.FormatInt(i%int64(o.tagCount), 10))
		}
		if o.delay {
			msg.SetProperty(message.PropertyDelayTimeLevel, strconv.Itoa(o.delayLevel))
		}
		begin := time.Now()
		if !o.async {
			r, err := p.Send(context.Background(), msg)
			st.record(begin, r, err)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		err := p.SendAsync(context.Background(), msg, func(r *client.SendResult, err error) {
			st.record(begin, r, err)
			<-sem
		})
		if err != nil {
			st.record(begin, nil, err)
			<-sem
		}
	}
}
