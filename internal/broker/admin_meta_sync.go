package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// Slave metadata sync (storage-ha-config.md §7.6, wire-protocol.md §10.1;
// SlaveSynchronize.java): every 10 s, first after 3 s.
const (
	slaveSyncFirstDelay = 3 * time.Second
	slaveSyncInterval   = 10 * time.Second
	slaveSyncTimeout    = 3 * time.Second
)

// SlaveSync copies a master's metadata onto a slave's tables:
//
//  1. GET_ALL_TOPIC_CONFIG from the master's fast port (listenPort-2): the
//     topic table is replaced when its DataVersion differs;
//  2. GET_ALL_CONSUMER_OFFSET: the master's offsets overwrite ours per
//     topic@group, then consumerOffset.json is written;
//  3. GET_ALL_DELAY_OFFSET: the text is handed to DelayOffset verbatim;
//  4. GET_ALL_SUBSCRIPTIONGROUP_CONFIG: the group table is replaced when its
//     DataVersion differs.
type SlaveSync struct {
	Client  *remoting.Client
	Topics  *TopicTable
	Groups  *SubscriptionGroupTable
	Offsets *ConsumerOffsetTable
	// DelayOffset receives the master's delayOffset.json text; nil skips
	// step 3.
	DelayOffset func(text []byte) error
	// TopicAddr maps the master's address to the one the topic table is
	// read from; nil means the fast port (port-2), as Java does.
	TopicAddr func(masterAddr string) string
	Logger    *zap.Logger
}

// FastAddr is addr's fast ("VIP") channel: the same host, port-2
// (MixAll.brokerVIPChannel).
func FastAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 3 {
		return addr
	}
	return net.JoinHostPort(host, strconv.Itoa(p-2))
}

func (s *SlaveSync) logger() *zap.Logger {
	if s.Logger == nil {
		return zap.NewNop()
	}
	return s.Logger
}

// fetch sends a header-less request and returns the body of a SUCCESS.
func (s *SlaveSync) fetch(ctx context.Context, addr string, code protocol.RequestCode) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, slaveSyncTimeout)
	defer cancel()
	resp, err := s.Client.Invoke(ctx, addr, remoting.NewRequest(code, nil, nil))
	if err != nil {
		return nil, fmt.Errorf("%s from %s: %w", code, addr, err)
	}
	if resp.ResponseCode() != protocol.Success {
		return nil, fmt.Errorf("%s from %s: %s %s", code, addr, resp.ResponseCode(), resp.Remark)
	}
	return resp.Body, nil
}

// SyncAll runs the four steps once against masterAddr (its main port). A
// failed step does not stop the others; their errors are joined.
func (s *SlaveSync) SyncAll(ctx context.Context, masterAddr string) error {
	var errs []error
	topicAddr := FastAddr(masterAddr)
	if s.TopicAddr != nil {
		topicAddr = s.TopicAddr(masterAddr)
	}
	if body, err := s.fetch(ctx, topicAddr, protocol.GetAllTopicConfig); err != nil {
		errs = append(errs, err)
	} else if m, v, err := DecodeTopicTable(body); err != nil {
		errs = append(errs, err)
	} else if changed, err := s.Topics.Replace(m, v); err != nil {
		errs = append(errs, err)
	} else if changed {
		s.logger().Info("topic table synced from master", zap.String("masterAddr", masterAddr), zap.Int64("counter", v.Counter))
	}

	if body, err := s.fetch(ctx, masterAddr, protocol.GetAllConsumerOffset); err != nil {
		errs = append(errs, err)
	} else if t, err := DecodeOffsetTable(body); err != nil {
		errs = append(errs, err)
	} else {
		s.Offsets.Merge(t)
		if err := s.Offsets.Persist(); err != nil {
			errs = append(errs, err)
		}
	}

	if s.DelayOffset != nil {
		if body, err := s.fetch(ctx, masterAddr, protocol.GetAllDelayOffset); err != nil {
			errs = append(errs, err)
		} else if err := s.DelayOffset(body); err != nil {
			errs = append(errs, fmt.Errorf("write delay offsets: %w", err))
		}
	}

	if body, err := s.fetch(ctx, masterAddr, protocol.GetAllSubscriptiongroupConfig); err != nil {
		errs = append(errs, err)
	} else {
		var w protocol.SubscriptionGroupWrapper
		if err := json.Unmarshal(body, &w); err != nil {
			errs = append(errs, fmt.Errorf("decode subscription groups: %w", err))
		} else if changed, err := s.Groups.Replace(w); err != nil {
			errs = append(errs, err)
		} else if changed {
			s.logger().Info("subscription groups synced from master", zap.String("masterAddr", masterAddr), zap.Int64("counter", w.DataVersion.Counter))
		}
	}
	return errors.Join(errs...)
}

// run syncs every 10 s (first after 3 s) until ctx ends; masterAddr gives
// the current master (from the last registration) and "" skips a round, as
// does the slave's own address.
func (s *SlaveSync) run(ctx context.Context, masterAddr func() string, self string) {
	t := time.NewTimer(slaveSyncFirstDelay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if addr := masterAddr(); addr != "" && addr != self {
			if err := s.SyncAll(ctx, addr); err != nil {
				s.logger().Warn("slave metadata sync failed", zap.String("masterAddr", addr), zap.Error(err))
			}
		}
		t.Reset(slaveSyncInterval)
	}
}
