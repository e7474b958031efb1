package remoting

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/panjf2000/gnet/v2"
	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// HandlerFunc serves one request. It returns the response (the server sets
// its opaque, response flag and serialization from req), or nil when it
// will answer later with c.Reply from any goroutine, or has nothing to
// answer. The server never writes a response to a oneway request.
type HandlerFunc func(c *Conn, req *Command) *Command

// ServerConfig configures a Server.
type ServerConfig struct {
	ListenAddr   string // "127.0.0.1:0" picks a free port
	MaxFrameSize int    // whole frame incl. the 4-byte length prefix; 0 means 16 MiB

	// DefaultPoolWorkers and DefaultPoolQueue size the pool of handlers
	// registered without one; 0 means 16 workers and 10000 queued.
	DefaultPoolWorkers int
	DefaultPoolQueue   int

	// IdleTimeout closes a connection that has neither read nor written a
	// frame for this long, as Java's serverChannelMaxIdleTimeSeconds (120 s
	// in RocketMQ) does; 0 keeps idle connections open.
	IdleTimeout time.Duration
}

type route struct {
	h HandlerFunc
	p *Pool
}

// Server is a remoting server on a gnet engine. Frames are cut and decoded
// on the event loop; handlers run on bounded pools; replies go out with
// AsyncWrite.
type Server struct {
	cfg ServerConfig
	lg  *zap.Logger
	gl  *gnetLogger

	routes  atomic.Pointer[map[protocol.RequestCode]route]
	defPool *Pool

	mu struct {
		sync.Mutex
		pools      []*Pool
		closeHooks []func(*Conn)
		eng        gnet.Engine
		addr       string
		started    bool
		stopped    bool
	}
	hooks atomic.Pointer[[]func(*Conn)]

	// live holds the open connections for the idle scan.
	live struct {
		sync.Mutex
		conns map[*Conn]struct{}
	}
	hookWG  sync.WaitGroup
	runDone chan error
	conns   atomic.Int64
}

// NewServer makes a server; nothing listens until Start.
func NewServer(cfg ServerConfig, lg *zap.Logger) *Server {
	if lg == nil {
		lg = zap.NewNop()
	}
	if cfg.MaxFrameSize <= 0 {
		cfg.MaxFrameSize = DefaultMaxFrameSize
	}
	if cfg.DefaultPoolWorkers <= 0 {
		cfg.DefaultPoolWorkers = 16
	}
	if cfg.DefaultPoolQueue <= 0 {
		cfg.DefaultPoolQueue = 10000
	}
	s := &Server{cfg: cfg, lg: lg, gl: newGnetLogger(lg), runDone: make(chan error, 1)}
	empty := map[protocol.RequestCode]route{}
	s.routes.Store(&empty)
	s.hooks.Store(&[]func(*Conn){})
	s.live.conns = make(map[*Conn]struct{})
	s.defPool = s.NewPool("default", cfg.DefaultPoolWorkers, cfg.DefaultPoolQueue)
	return s
}

// NewPool makes a bounded pool of workers for handlers. When its queue is
// full a request is answered SYSTEM_BUSY "[OVERLOAD]system busy, start
// flow control for a while". Shutdown stops it.
func (s *Server) NewPool(name string, workers, queue int) *Pool {
	p := newPool(name, workers, queue, s.serve)
	s.mu.Lock()
	s.mu.pools = append(s.mu.pools, p)
	s.mu.Unlock()
	return p
}

// Register routes a request code to h on pool p (nil means the default
// pool). A later Register of the same code replaces the earlier one.
func (s *Server) Register(code protocol.RequestCode, h HandlerFunc, p *Pool) {
	if p == nil {
		p = s.defPool
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.routes.Load()
	next := make(map[protocol.RequestCode]route, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[code] = route{h: h, p: p}
	s.routes.Store(&next)
}

// OnClose adds f to the functions called, once per connection and off the
// event loop, when a connection closes.
func (s *Server) OnClose(f func(c *Conn)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.closeHooks = append(s.mu.closeHooks, f)
	hooks := append([]func(*Conn){}, s.mu.closeHooks...)
	s.hooks.Store(&hooks)
}

// Start listens and returns once the listener is bound.
func (s *Server) Start() error {
	s.mu.Lock()
	if s.mu.started {
		s.mu.Unlock()
		return errors.New("remoting server: already started")
	}
	s.mu.started = true
	s.mu.Unlock()

	booted := make(chan struct{})
	h := &eventHandler{s: s, booted: booted}
	go func() {
		err := gnet.Run(h, "tcp://"+s.cfg.ListenAddr,
			gnet.WithMulticore(true),
			gnet.WithReuseAddr(true),
			gnet.WithTCPNoDelay(gnet.TCPNoDelay),
			gnet.WithLogger(s.gl),
			gnet.WithTicker(s.cfg.IdleTimeout > 0),
		)
		s.runDone <- err
	}()
	select {
	case <-booted:
		if h.bootErr != nil {
			return h.bootErr
		}
		s.lg.Info("remoting server listening", zap.String("addr", s.Addr()))
		return nil
	case err := <-s.runDone:
		s.runDone <- err
		if err == nil {
			err = errors.New("engine stopped before booting")
		}
		return fmt.Errorf("remoting server listen on %s: %w", s.cfg.ListenAddr, err)
	}
}

// Addr is the bound "ip:port", empty before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.addr
}

// Connections is the number of open connections.
func (s *Server) Connections() int { return int(s.conns.Load()) }

// Shutdown stops taking requests, lets queued handlers finish, closes every
// connection and waits for the close callbacks, all bounded by ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.mu.stopped {
		s.mu.Unlock()
		return nil
	}
	s.mu.stopped = true
	started := s.mu.started
	eng := s.mu.eng
	pools := append([]*Pool(nil), s.mu.pools...)
	s.mu.Unlock()

	var errs []error
	for _, p := range pools {
		if err := p.close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("drain pool %s: %w", p.name, err))
		}
	}
	if started {
		// Engine.Stop polls for the end every 500 ms; gnet.Run returning
		// is the same event, sooner.
		stopCtx, cancelStop := context.WithCancel(ctx)
		stopErr := make(chan error, 1)
		go func() { stopErr <- eng.Stop(stopCtx) }()
		select {
		case <-s.runDone:
		case err := <-stopErr:
			if err == nil {
				<-s.runDone
			} else {
				errs = append(errs, fmt.Errorf("stop engine: %w", err))
			}
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("stop engine: %w", ctx.Err()))
		}
		cancelStop()
	}
	hooksDone := make(chan struct{})
	go func() {
		s.hookWG.Wait()
		close(hooksDone)
	}()
	select {
	case <-hooksDone:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("wait for close callbacks: %w", ctx.Err()))
	}
	s.gl.silence()
	return errors.Join(errs...)
}

// dispatchRequest runs on the event loop: it queues req for its handler, or
// answers at once when there is none or its pool is full.
func (s *Server) dispatchRequest(c *Conn, req *Command) {
	rt, ok := (*s.routes.Load())[req.RequestCode()]
	if !ok {
		s.answer(c, req, protocol.RequestCodeNotSupported, " request type "+strconv.Itoa(int(req.Code))+" not supported")
		return
	}
	if !rt.p.submit(task{c: c, req: req, h: rt.h}) {
		s.answer(c, req, protocol.SystemBusy, overloadRemark)
	}
}

func (s *Server) answer(c *Conn, req *Command, code protocol.ResponseCode, remark string) {
	if req.IsOneway() {
		return
	}
	_ = c.Reply(NewResponse(req, code, remark))
}

// serve runs one request on a pool worker.
func (s *Server) serve(t task) {
	resp := s.call(t)
	if resp == nil || t.req.IsOneway() {
		return
	}
	resp.Opaque = t.req.Opaque
	resp.Flag |= FlagResponse
	resp.SerializeType = t.req.SerializeType
	_ = t.c.Reply(resp)
}

func (s *Server) call(t task) (resp *Command) {
	defer func() {
		if r := recover(); r != nil {
			where := panicSite()
			s.lg.Error("request handler panicked",
				zap.Stringer("code", t.req.RequestCode()),
				zap.String("remote", t.c.RemoteAddr()),
				zap.Any("panic", r),
				zap.String("at", where),
				zap.Stack("stack"))
			resp = NewResponse(t.req, protocol.SystemError, fmt.Sprint(r)+", "+where)
		}
	}()
	return t.h(t.c, t.req)
}

// panicSite names the first frame outside the runtime of a panicking
// goroutine, as Java's exceptionSimpleDesc names the first stack element.
func panicSite() string {
	var pcs [32]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") {
			return f.Function + "(" + trimPath(f.File) + ":" + strconv.Itoa(f.Line) + ")"
		}
		if !more {
			return "unknown"
		}
	}
}

func trimPath(file string) string {
	if i := strings.LastIndexByte(file, '/'); i >= 0 {
		return file[i+1:]
	}
	return file
}

func (s *Server) runCloseHooks(c *Conn) {
	defer s.hookWG.Done()
	for _, f := range *s.hooks.Load() {
		func() {
			defer func() {
				if r := recover(); r != nil {
					s.lg.Error("connection close callback panicked", zap.String("remote", c.RemoteAddr()), zap.Any("panic", r))
				}
			}()
			f(c)
		}()
	}
}

// eventHandler receives gnet events. Only frame cutting, decoding and
// queueing run here.
type eventHandler struct {
	gnet.BuiltinEventEngine
	s       *Server
	booted  chan struct{}
	bootErr error
}

func (h *eventHandler) OnBoot(eng gnet.Engine) gnet.Action {
	defer close(h.booted)
	addr, err := listenerAddr(eng)
	if err != nil {
		h.bootErr = fmt.Errorf("remoting server: find bound address: %w", err)
		return gnet.Shutdown
	}
	h.s.mu.Lock()
	h.s.mu.eng = eng
	h.s.mu.addr = addr
	h.s.mu.Unlock()
	return gnet.None
}

// listenerAddr reads the bound address from a duplicate of the listener
// descriptor (port 0 binds a free port).
func listenerAddr(eng gnet.Engine) (string, error) {
	fd, err := eng.Dup()
	if err != nil {
		return "", err
	}
	defer syscall.Close(fd)
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		return "", err
	}
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port)), nil
	case *syscall.SockaddrInet6:
		return net.JoinHostPort(net.IP(a.Addr[:]).String(), strconv.Itoa(a.Port)), nil
	}
	return "", fmt.Errorf("unexpected socket address %T", sa)
}

func (h *eventHandler) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	c := newConn(addrString(gc.RemoteAddr()), addrString(gc.LocalAddr()), gnetTransport{gc}, h.s.lg)
	c.onRequest = h.s.dispatchRequest
	c.touch()
	gc.SetContext(c)
	h.s.conns.Add(1)
	h.s.live.Lock()
	h.s.live.conns[c] = struct{}{}
	h.s.live.Unlock()
	return nil, gnet.None
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func (h *eventHandler) OnClose(gc gnet.Conn, _ error) gnet.Action {
	c, ok := gc.Context().(*Conn)
	if !ok || !c.markClosed() {
		return gnet.None
	}
	h.s.conns.Add(-1)
	h.s.live.Lock()
	delete(h.s.live.conns, c)
	h.s.live.Unlock()
	h.s.hookWG.Add(1)
	go h.s.runCloseHooks(c)
	return gnet.None
}

func (h *eventHandler) OnTraffic(gc gnet.Conn) gnet.Action {
	c, ok := gc.Context().(*Conn)
	if !ok {
		return gnet.Close
	}
	c.touch()
	for gc.InboundBuffered() >= lengthPrefixSize {
		prefix, err := gc.Peek(lengthPrefixSize)
		if err != nil {
			return gnet.None
		}
		size, err := FrameSize(prefix, h.s.cfg.MaxFrameSize)
		if err != nil {
			h.s.lg.Warn("closing connection on a bad frame", zap.String("remote", c.RemoteAddr()), zap.Error(err))
			return gnet.Close
		}
		if gc.InboundBuffered() < size {
			return gnet.None
		}
		frame := make([]byte, size)
		if n, _ := gc.Read(frame); n != size {
			h.s.lg.Warn("closing connection on a short read", zap.String("remote", c.RemoteAddr()), zap.Int("want", size), zap.Int("got", n))
			return gnet.Close
		}
		cmd, err := DecodeFrame(frame)
		if err != nil {
			h.s.lg.Warn("closing connection on a bad frame", zap.String("remote", c.RemoteAddr()), zap.Error(err))
			return gnet.Close
		}
		c.dispatch(cmd)
	}
	return gnet.None
}

// OnTick runs on gnet's ticker goroutine when IdleTimeout is set: it closes
// connections idle for longer than that.
func (h *eventHandler) OnTick() (time.Duration, gnet.Action) {
	idle := h.s.cfg.IdleTimeout
	now := time.Now().UnixNano()
	var stale []*Conn
	h.s.live.Lock()
	for c := range h.s.live.conns {
		if now-c.lastActive.Load() > int64(idle) {
			stale = append(stale, c)
		}
	}
	h.s.live.Unlock()
	for _, c := range stale {
		h.s.lg.Info("closing idle connection", zap.String("remote", c.RemoteAddr()), zap.Duration("idle", idle))
		_ = c.Close()
	}
	return max(idle/4, 10*time.Millisecond), gnet.None
}

// gnetTransport writes through the event loop.
type gnetTransport struct{ gc gnet.Conn }

func (t gnetTransport) write(frame []byte) error { return t.gc.AsyncWrite(frame, nil) }
func (t gnetTransport) close() error             { return t.gc.Close() }

// gnetLogger forwards gnet's own logging to zap, demoting its chatter to
// debug; after Shutdown it drops everything, because gnet keeps the last
// logger it was given in a package variable.
type gnetLogger struct {
	lg atomic.Pointer[zap.SugaredLogger]
}

func newGnetLogger(lg *zap.Logger) *gnetLogger {
	g := &gnetLogger{}
	g.lg.Store(lg.Named("gnet").WithOptions(zap.AddCallerSkip(1)).Sugar())
	return g
}

func (g *gnetLogger) silence() { g.lg.Store(zap.NewNop().Sugar()) }

func (g *gnetLogger) Debugf(format string, args ...any) { g.lg.Load().Debugf(format, args...) }
func (g *gnetLogger) Infof(format string, args ...any)  { g.lg.Load().Debugf(format, args...) }
func (g *gnetLogger) Warnf(format string, args ...any)  { g.lg.Load().Warnf(format, args...) }
func (g *gnetLogger) Errorf(format string, args ...any) { g.lg.Load().Errorf(format, args...) }
func (g *gnetLogger) Fatalf(format string, args ...any) { g.lg.Load().Errorf(format, args...) }
