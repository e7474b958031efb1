package broker

import (
	"context"
	"fmt"
	"hash/crc32"
	"net"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// registerPeriod is registerNameServerPeriod clamped to 10–60 s
// (BrokerController.start).
func (b *Broker) registerPeriod() time.Duration {
	ms := min(max(b.cfg.RegisterNameServerPeriod, 10000), 60000)
	return time.Duration(ms) * time.Millisecond
}

// registerLoop re-registers every registerPeriod until ctx ends.
func (b *Broker) registerLoop(ctx context.Context) {
	t := time.NewTicker(b.registerPeriod())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			b.registerAll(ctx)
		}
	}
}

// haServerAddr is brokerIP2:haListenPort.
func (b *Broker) haServerAddr() string {
	return net.JoinHostPort(b.cfg.BrokerIP2, strconv.Itoa(b.cfg.HAListenPort()))
}

// registerBody builds the REGISTER_BROKER body: every topic, with the
// broker's permission in place of the topic's when the broker is not R|W.
func (b *Broker) registerBody() *protocol.RegisterBrokerBody {
	topics, version := b.topics.Snapshot()
	table := make(map[string]*protocol.TopicConfig, len(topics))
	for name, tc := range topics {
		tc := tc
		if perm := b.rc().BrokerPermission; perm != protocol.PermRead|protocol.PermWrite {
			tc.Perm = int32(perm)
		}
		table[name] = &tc
	}
	return &protocol.RegisterBrokerBody{
		FilterServerList: []string{},
		TopicConfigSerializeWrapper: protocol.TopicConfigSerializeWrapper{
			DataVersion:      version,
			TopicConfigTable: table,
		},
	}
}

// registerAll sends REGISTER_BROKER to every name server in parallel,
// two-way, each waiting up to registerBrokerTimeoutMills
// (BrokerOuterAPI.registerBrokerAll). It returns how many accepted.
func (b *Broker) registerAll(ctx context.Context) int {
	addrs := b.cfg.NamesrvAddrs()
	if len(addrs) == 0 {
		return 0
	}
	b.regMu.Lock()
	defer b.regMu.Unlock()
	if b.closed.Load() {
		return 0 // unregistered already, or about to be
	}
	body := b.registerBody()
	var raw []byte
	if b.cfg.CompressedRegister {
		raw = body.EncodeCompressed()
	} else {
		raw = body.Encode()
	}
	hdr := protocol.RegisterBrokerRequestHeader{
		BrokerName:   b.cfg.BrokerName,
		BrokerAddr:   b.cfg.BrokerAddr(),
		ClusterName:  b.cfg.BrokerClusterName,
		HaServerAddr: b.haServerAddr(),
		BrokerID:     b.cfg.BrokerID,
		Compressed:   b.cfg.CompressedRegister,
		BodyCrc32:    crc32Masked(raw),
	}
	ext := protocol.EncodeHeader(&hdr)
	timeout := time.Duration(b.cfg.RegisterBrokerTimeoutMills) * time.Millisecond
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for _, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			req := remoting.NewRequest(protocol.RegisterBroker, ext, raw)
			resp, err := b.ns.Invoke(cctx, addr, req)
			if err == nil && resp.Code != int32(protocol.Success) {
				err = fmt.Errorf("code %d: %s", resp.Code, resp.Remark)
			}
			if err != nil {
				b.lg.Warn("register broker to name server failed", zap.String("namesrvAddr", addr), zap.Error(err))
				return
			}
			mu.Lock()
			ok++
			mu.Unlock()
		}()
	}
	wg.Wait()
	return ok
}

// unregisterAll sends UNREGISTER_BROKER to every name server (3 s each).
func (b *Broker) unregisterAll(ctx context.Context) {
	b.regMu.Lock() // after any registration round in flight
	defer b.regMu.Unlock()
	hdr := protocol.UnRegisterBrokerRequestHeader{
		BrokerName:  b.cfg.BrokerName,
		BrokerAddr:  b.cfg.BrokerAddr(),
		ClusterName: b.cfg.BrokerClusterName,
		BrokerID:    b.cfg.BrokerID,
	}
	ext := protocol.EncodeHeader(&hdr)
	var wg sync.WaitGroup
	for _, addr := range b.cfg.NamesrvAddrs() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			resp, err := b.ns.Invoke(cctx, addr, remoting.NewRequest(protocol.UnregisterBroker, ext, nil))
			if err == nil && resp.Code != int32(protocol.Success) {
				err = fmt.Errorf("code %d: %s", resp.Code, resp.Remark)
			}
			if err != nil {
				b.lg.Warn("unregister broker from name server failed", zap.String("namesrvAddr", addr), zap.Error(err))
			}
		}()
	}
	wg.Wait()
}

// topicsChanged re-registers at once after a topic change, off the
// caller's goroutine. Changes that arrive while a round is pending share
// it: the round snapshots the table only when it starts.
func (b *Broker) topicsChanged([]protocol.TopicConfig) {
	if b.closed.Load() || b.ns == nil || !b.regPending.CompareAndSwap(false, true) {
		return
	}
	go func() {
		b.regMu.Lock() // let the round in flight finish first
		b.regMu.Unlock()
		b.regPending.Store(false)
		b.registerAll(b.runCtx)
	}()
}

// crc32Masked is the bodyCrc32 of REGISTER_BROKER: CRC32 of the body with
// the sign bit cleared (UtilAll.crc32).
func crc32Masked(b []byte) int32 {
	return int32(crc32.ChecksumIEEE(b) & 0x7FFFFFFF)
}
