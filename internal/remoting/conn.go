package remoting

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// ErrConnClosed is returned by writes and pending invokes on a closed
// connection.
var ErrConnClosed = errors.New("remoting: connection closed")

// ErrTimeout is wrapped, together with context.DeadlineExceeded, by an
// invoke whose deadline passed before its response came.
var ErrTimeout = errors.New("remoting: invoke timed out")

// transport is what a Conn writes frames to: a gnet connection on the
// server side, a net.Conn on the client side.
type transport interface {
	// write sends one whole frame; it must not keep frame after returning
	// unless it owns it (the caller never reuses it).
	write(frame []byte) error
	close() error
}

// call is one request waiting for its response.
type call struct {
	ch   chan result           // sync invoke: buffered, receives exactly one result
	cb   func(*Command, error) // async invoke
	stop func() bool           // stops the async timeout
}

type result struct {
	resp *Command
	err  error
}

// Conn is one remoting connection, server side or client side. Both ends
// may send requests over it; responses are matched to requests by opaque.
type Conn struct {
	remote string
	local  string
	tr     transport
	lg     *zap.Logger

	// onRequest runs an incoming request frame; set by the owner before
	// the first frame is read.
	onRequest func(c *Conn, req *Command)

	closed atomic.Bool
	done   chan struct{}

	// lastActive is the UnixNano time of the last frame read or written,
	// for the server's idle scan.
	lastActive atomic.Int64

	mu struct {
		sync.Mutex
		pending map[int32]*call
	}

	ctxVal atomic.Value
}

func newConn(remote, local string, tr transport, lg *zap.Logger) *Conn {
	c := &Conn{remote: remote, local: local, tr: tr, lg: lg, done: make(chan struct{})}
	c.mu.pending = make(map[int32]*call)
	return c
}

// RemoteAddr is the peer's "ip:port".
func (c *Conn) RemoteAddr() string { return c.remote }

// LocalAddr is this side's "ip:port".
func (c *Conn) LocalAddr() string { return c.local }

// Done is closed once the connection is closed.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Closed reports whether the connection is closed.
func (c *Conn) Closed() bool { return c.closed.Load() }

// SetValue attaches an owner value to the connection (for example the
// client id a broker learnt from a heartbeat).
func (c *Conn) SetValue(v any) { c.ctxVal.Store(valueBox{v}) }

// Value returns what SetValue stored, or nil.
func (c *Conn) Value() any {
	if b, ok := c.ctxVal.Load().(valueBox); ok {
		return b.v
	}
	return nil
}

type valueBox struct{ v any }

// Reply writes resp asynchronously; it is safe from any goroutine. A
// response should carry its request's opaque, response flag and
// serialization, as NewResponse sets them.
func (c *Conn) Reply(resp *Command) error {
	fillDefaults(resp)
	return c.send(resp)
}

func fillDefaults(cmd *Command) {
	if cmd.Language == "" {
		cmd.Language = LanguageJava
	}
	if cmd.Version == 0 {
		cmd.Version = Version
	}
}

func (c *Conn) send(cmd *Command) error {
	if c.closed.Load() {
		return ErrConnClosed
	}
	frame, err := EncodeFrame(cmd)
	if err != nil {
		return fmt.Errorf("send to %s: %w", c.remote, err)
	}
	if err := c.tr.write(frame); err != nil {
		return fmt.Errorf("send to %s: %w", c.remote, err)
	}
	c.touch()
	return nil
}

func (c *Conn) touch() { c.lastActive.Store(time.Now().UnixNano()) }

// Invoke sends req over this connection and waits for its response. The
// deadline of ctx is the timeout; a timed-out error wraps ErrTimeout and
// context.DeadlineExceeded, and a closed connection gives ErrConnClosed.
func (c *Conn) Invoke(ctx context.Context, req *Command) (*Command, error) {
	if ctx.Err() != nil {
		return nil, c.ctxError(ctx, req)
	}
	req.Flag &^= FlagResponse | FlagOneway
	fillDefaults(req)
	cl := &call{ch: make(chan result, 1)}
	if err := c.addPending(req.Opaque, cl); err != nil {
		return nil, err
	}
	if err := c.send(req); err != nil {
		c.takePending(req.Opaque)
		return nil, err
	}
	select {
	case r := <-cl.ch:
		return r.resp, r.err
	case <-ctx.Done():
		if c.takePending(req.Opaque) == nil {
			// The response or the close won the race.
			r := <-cl.ch
			return r.resp, r.err
		}
		return nil, c.ctxError(ctx, req)
	}
}

func (c *Conn) ctxError(ctx context.Context, req *Command) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("invoke %s on %s, opaque %d: %w (%w)",
			req.RequestCode(), c.remote, req.Opaque, ErrTimeout, ctx.Err())
	}
	return fmt.Errorf("invoke %s on %s, opaque %d: %w", req.RequestCode(), c.remote, req.Opaque, ctx.Err())
}

// InvokeAsync sends req and returns once it is written; cb runs exactly
// once, on its own goroutine, with the response or the error (timeout when
// ctx ends first, ErrConnClosed when the connection closes first). When
// InvokeAsync returns an error cb is not called.
func (c *Conn) InvokeAsync(ctx context.Context, req *Command, cb func(*Command, error)) error {
	if ctx.Err() != nil {
		return c.ctxError(ctx, req)
	}
	req.Flag &^= FlagResponse | FlagOneway
	fillDefaults(req)
	opaque := req.Opaque
	cl := &call{cb: cb}
	c.mu.Lock()
	if err := c.addPendingLocked(opaque, cl); err != nil {
		c.mu.Unlock()
		return err
	}
	// The timer is armed before anyone else can see cl; its function waits
	// for the lock when the deadline has already passed.
	cl.stop = context.AfterFunc(ctx, func() {
		if c.takePending(opaque) != nil {
			cb(nil, c.ctxError(ctx, req))
		}
	})
	c.mu.Unlock()
	if err := c.send(req); err != nil {
		if c.takePending(opaque) != nil {
			cl.stop()
			return err
		}
		// The timeout or the close already owns cb.
		return nil
	}
	return nil
}

// InvokeOneway sends req with the oneway bit set; no response is expected.
func (c *Conn) InvokeOneway(req *Command) error {
	req.Flag &^= FlagResponse
	req.MarkOneway()
	fillDefaults(req)
	return c.send(req)
}

// Close closes the connection; pending invokes fail with ErrConnClosed.
func (c *Conn) Close() error {
	if c.closed.Load() {
		return nil
	}
	return c.tr.close()
}

func (c *Conn) addPending(opaque int32, cl *call) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addPendingLocked(opaque, cl)
}

func (c *Conn) addPendingLocked(opaque int32, cl *call) error {
	if c.closed.Load() {
		return ErrConnClosed
	}
	if _, dup := c.mu.pending[opaque]; dup {
		return fmt.Errorf("invoke on %s: opaque %d already waiting for a response", c.remote, opaque)
	}
	c.mu.pending[opaque] = cl
	return nil
}

func (c *Conn) takePending(opaque int32) *call {
	c.mu.Lock()
	cl := c.mu.pending[opaque]
	if cl != nil {
		delete(c.mu.pending, opaque)
	}
	c.mu.Unlock()
	return cl
}

// complete hands a response frame to the call waiting for its opaque; a
// response nobody waits for is dropped.
func (c *Conn) complete(resp *Command) {
	cl := c.takePending(resp.Opaque)
	if cl == nil {
		c.lg.Debug("dropped unmatched response", zap.String("remote", c.remote), zap.Int32("opaque", resp.Opaque))
		return
	}
	cl.deliver(resp, nil)
}

func (cl *call) deliver(resp *Command, err error) {
	if cl.ch != nil {
		cl.ch <- result{resp, err}
		return
	}
	if cl.stop != nil {
		cl.stop()
	}
	go cl.cb(resp, err)
}

// markClosed records that the connection is gone and fails every pending
// invoke. It returns false when it was already closed.
func (c *Conn) markClosed() bool {
	c.mu.Lock()
	if c.closed.Swap(true) {
		c.mu.Unlock()
		return false
	}
	pending := c.mu.pending
	c.mu.pending = make(map[int32]*call)
	close(c.done)
	c.mu.Unlock()
	for opaque, cl := range pending {
		cl.deliver(nil, fmt.Errorf("invoke on %s, opaque %d: %w", c.remote, opaque, ErrConnClosed))
	}
	return true
}

// dispatch routes one decoded frame: responses complete pending calls,
// requests go to onRequest.
func (c *Conn) dispatch(cmd *Command) {
	if cmd.IsResponse() {
		c.complete(cmd)
		return
	}
	c.onRequest(c, cmd)
}
