package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// Defaults shared by producers and consumers (wire-protocol.md §13.2).
const (
	DefaultPollNameServerInterval = 30 * time.Second
	DefaultHeartbeatInterval      = 30 * time.Second
	DefaultRequestTimeout         = 3 * time.Second
)

// ClientConfig is what every producer, consumer and admin has in common.
type ClientConfig struct {
	// NameServers are "host:port" addresses; an entry may hold several
	// separated by ';' as in RocketMQ's namesrvAddr.
	NameServers []string
	// ClientIP is the address put in the client id; "" picks the first
	// non-loopback IPv4 address of this host.
	ClientIP string
	// InstanceName distinguishes clients in one process; "" means
	// "<pid>#<nanotime>", so each client gets its own id.
	InstanceName string
	// PollNameServerInterval is the route refresh period; 0 means 30 s.
	PollNameServerInterval time.Duration
	// HeartbeatInterval is the broker heartbeat period; 0 means 30 s.
	HeartbeatInterval time.Duration
	// RequestTimeout bounds one name-server or broker call when the
	// caller's context has no deadline; 0 means 3 s.
	RequestTimeout time.Duration
}

func (c *ClientConfig) withDefaults() {
	if c.PollNameServerInterval <= 0 {
		c.PollNameServerInterval = DefaultPollNameServerInterval
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ClientIP == "" {
		c.ClientIP = localIPv4()
	}
	if c.InstanceName == "" || c.InstanceName == "DEFAULT" {
		c.InstanceName = strconv.Itoa(os.Getpid()) + "#" + strconv.FormatInt(time.Now().UnixNano(), 10)
	}
}

// splitNameServers flattens "a:9876;b:9876" entries and drops blanks.
func splitNameServers(in []string) []string {
	var out []string
	for _, e := range in {
		for _, a := range strings.Split(e, ";") {
			if a = strings.TrimSpace(a); a != "" {
				out = append(out, a)
			}
		}
	}
	return out
}

// localIPv4 returns the first non-loopback IPv4 address, or 127.0.0.1.
func localIPv4() string {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && !ipn.IP.IsLinkLocalUnicast() {
				if ip4 := ipn.IP.To4(); ip4 != nil {
					return ip4.String()
				}
			}
		}
	}
	return "127.0.0.1"
}

// core is the connection, route and broker-address state one producer,
// consumer or admin owns (the part of Java's MQClientInstance it needs).
// Lock order: core.mu is a leaf; no call is made while holding it.
type core struct {
	cfg      ClientConfig
	lg       *zap.Logger
	rc       *remoting.Client
	clientID string
	ns       []string

	mu struct {
		sync.Mutex
		nsIndex     int                             // name server tried first
		routes      map[string]*TopicRouteData      // topic -> route
		brokers     map[string]*protocol.BrokerData // broker name -> addresses
		publish     map[string][]MessageQueue       // topic -> writable queues
		version     map[string]int32                // broker addr -> version seen on heartbeat
		onNewBroker func()
	}
}

func newCore(cfg ClientConfig, lg *zap.Logger) (*core, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	cfg.withDefaults()
	c := &core{cfg: cfg, lg: lg, ns: splitNameServers(cfg.NameServers)}
	if len(c.ns) == 0 {
		return nil, ErrNoNameServer
	}
	c.clientID = cfg.ClientIP + "@" + cfg.InstanceName
	c.rc = remoting.NewClient(remoting.ClientConfig{DialTimeout: cfg.RequestTimeout}, lg)
	c.mu.routes = make(map[string]*TopicRouteData)
	c.mu.brokers = make(map[string]*protocol.BrokerData)
	c.mu.publish = make(map[string][]MessageQueue)
	c.mu.version = make(map[string]int32)
	c.mu.nsIndex = rand.IntN(len(c.ns))
	return c, nil
}

func (c *core) close() error { return c.rc.Close() }

// timeout gives ctx the default request deadline when it has none.
func (c *core) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.cfg.RequestTimeout)
}

// invoke sends req to addr and waits for the answer.
func (c *core) invoke(ctx context.Context, addr string, req *remoting.Command) (*remoting.Command, error) {
	ctx, cancel := c.timeout(ctx)
	defer cancel()
	resp, err := c.rc.Invoke(ctx, addr, req)
	if err != nil {
		return nil, fmt.Errorf("%s to %s: %w", req.RequestCode(), addr, err)
	}
	return resp, nil
}

// call is invoke that turns any code but SUCCESS into a *BrokerError.
func (c *core) call(ctx context.Context, addr string, req *remoting.Command) (*remoting.Command, error) {
	resp, err := c.invoke(ctx, addr, req)
	if err != nil {
		return nil, err
	}
	if resp.ResponseCode() != protocol.Success {
		return resp, &BrokerError{Code: resp.ResponseCode(), Remark: resp.Remark, Addr: addr}
	}
	return resp, nil
}

// invokeNameServer sends req to the name servers, starting with the one
// that answered last and moving on after a transport failure. A response
// (whatever its code) ends the search.
func (c *core) invokeNameServer(ctx context.Context, code protocol.RequestCode, ext map[string]string, body []byte) (*remoting.Command, string, error) {
	c.mu.Lock()
	start := c.mu.nsIndex
	c.mu.Unlock()
	var errs []error
	for k := range c.ns {
		i := (start + k) % len(c.ns)
		addr := c.ns[i]
		resp, err := c.invoke(ctx, addr, remoting.NewRequest(code, ext, body))
		if err == nil {
			c.mu.Lock()
			c.mu.nsIndex = i
			c.mu.Unlock()
			return resp, addr, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, "", fmt.Errorf("no name server answered: %w", errors.Join(errs...))
}

// callNameServer is invokeNameServer turning non-success codes into errors.
func (c *core) callNameServer(ctx context.Context, code protocol.RequestCode, ext map[string]string, body []byte) (*remoting.Command, error) {
	resp, addr, err := c.invokeNameServer(ctx, code, ext, body)
	if err != nil {
		return nil, err
	}
	if resp.ResponseCode() != protocol.Success {
		return resp, &BrokerError{Code: resp.ResponseCode(), Remark: resp.Remark, Addr: addr}
	}
	return resp, nil
}

// fetchRoute asks the name servers for a topic's route.
func (c *core) fetchRoute(ctx context.Context, topic string) (*TopicRouteData, error) {
	resp, err := c.callNameServer(ctx, protocol.GetRouteinfoByTopic, map[string]string{"topic": topic}, nil)
	if err != nil {
		return nil, fmt.Errorf("route of %s: %w", topic, err)
	}
	r, err := decodeRoute(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("route of %s: %w", topic, err)
	}
	return r, nil
}

// updateRoute fetches a topic's route and caches it with its broker
// addresses and publish queues. It reports whether the route changed.
func (c *core) updateRoute(ctx context.Context, topic string) (*TopicRouteData, bool, error) {
	r, err := c.fetchRoute(ctx, topic)
	if err != nil {
		return nil, false, err
	}
	c.storeRoute(topic, r)
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.mu.routes[topic]
	changed := !routeEqual(old, r)
	c.mu.routes[topic] = r
	return cloneRoute(r), changed, nil
}

// storeRoute records the broker addresses and the publish queues of a
// route; a broker address seen for the first time fires onNewBroker.
func (c *core) storeRoute(topic string, r *TopicRouteData) {
	pub := publishQueues(topic, r)
	c.mu.Lock()
	fresh := false
	for _, b := range r.BrokerDatas {
		old := c.mu.brokers[b.BrokerName]
		for id, a := range b.BrokerAddrs {
			if old == nil || old.BrokerAddrs[id] != a {
				fresh = true
			}
		}
		c.mu.brokers[b.BrokerName] = b.Clone()
	}
	c.mu.publish[topic] = pub
	hook := c.mu.onNewBroker
	c.mu.Unlock()
	if fresh && hook != nil {
		hook()
	}
}

// setOnNewBroker installs the function called when a route names a broker
// address not seen before (heartbeat it at once, not 30 s later).
func (c *core) setOnNewBroker(f func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mu.onNewBroker = f
}

// route returns a topic's cached route, fetching it when missing.
func (c *core) route(ctx context.Context, topic string) (*TopicRouteData, error) {
	c.mu.Lock()
	r := c.mu.routes[topic]
	c.mu.Unlock()
	if r != nil {
		return cloneRoute(r), nil
	}
	r, _, err := c.updateRoute(ctx, topic)
	return r, err
}

// topics returns the topics whose routes are cached.
func (c *core) topics() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.mu.routes))
	for t := range c.mu.routes {
		out = append(out, t)
	}
	return out
}

// refreshRoutes re-fetches every cached topic's route; failures keep the
// old route, as the reference clients do.
func (c *core) refreshRoutes(ctx context.Context) {
	for _, t := range c.topics() {
		if _, _, err := c.updateRoute(ctx, t); err != nil && ctx.Err() == nil {
			c.lg.Debug("refresh topic route failed", zap.String("topic", t), zap.Error(err))
		}
	}
}

// brokerAddr returns the address of a broker id of a broker name; with
// exact false it falls back to any other address of that name (master first).
func (c *core) brokerAddr(brokerName string, id int64, exact bool) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.mu.brokers[brokerName]
	if b == nil {
		return ""
	}
	if a := b.BrokerAddrs[id]; a != "" || exact {
		return a
	}
	if a := b.BrokerAddrs[protocol.MasterID]; a != "" {
		return a
	}
	best := int64(-1)
	for bid := range b.BrokerAddrs {
		if best < 0 || bid < best {
			best = bid
		}
	}
	return b.BrokerAddrs[best]
}

// masterAddr returns the master address of a broker name, fetching the
// topic's route when the broker is unknown.
func (c *core) masterAddr(ctx context.Context, topic, brokerName string) (string, error) {
	if a := c.brokerAddr(brokerName, protocol.MasterID, true); a != "" {
		return a, nil
	}
	if topic != "" {
		if _, _, err := c.updateRoute(ctx, topic); err != nil {
			return "", err
		}
		if a := c.brokerAddr(brokerName, protocol.MasterID, true); a != "" {
			return a, nil
		}
	}
	return "", fmt.Errorf("master of broker %s: %w", brokerName, ErrNoBrokerAddr)
}

// brokerAddrs lists every known broker address; mastersOnly drops slaves.
func (c *core) brokerAddrs(mastersOnly bool) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, b := range c.mu.brokers {
		for id, a := range b.BrokerAddrs {
			if !mastersOnly || id == protocol.MasterID {
				out = append(out, a)
			}
		}
	}
	return out
}

// sendHeartbeat sends hb to every known broker (slaves only when the
// heartbeat has consumers). It returns the first error and goes on.
func (c *core) sendHeartbeat(ctx context.Context, hb *protocol.HeartbeatData) error {
	body := protocol.MarshalCompact(hb)
	var first error
	for _, addr := range c.brokerAddrs(len(hb.ConsumerDataSet) == 0) {
		resp, err := c.call(ctx, addr, remoting.NewRequest(protocol.HeartBeat, nil, body))
		if err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		c.mu.Lock()
		c.mu.version[addr] = resp.Version
		c.mu.Unlock()
	}
	return first
}

// every runs f every d until ctx ends.
func every(ctx context.Context, wg *sync.WaitGroup, d time.Duration, f func(context.Context)) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				f(ctx)
			}
		}
	}()
}

// remotingRequest is remoting.NewRequest without a body.
func remotingRequest(code protocol.RequestCode, ext map[string]string) *remoting.Command {
	return remoting.NewRequest(code, ext, nil)
}
