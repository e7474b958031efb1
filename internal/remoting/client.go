package remoting

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// ClientConfig configures a Client.
type ClientConfig struct {
	DialTimeout  time.Duration // 0 means 3 s
	MaxFrameSize int           // 0 means 16 MiB
}

// writeTimeout bounds one frame write on a client connection; a peer that
// stops reading for this long gets its connection closed.
const writeTimeout = 30 * time.Second

// Client keeps one connection per address, dialled on first use and again
// after it closes. Each connection has one reader goroutine; writes are
// serialized. Requests the server sends over it go to the Register'ed
// handlers.
type Client struct {
	cfg ClientConfig
	lg  *zap.Logger

	handlers atomic.Pointer[map[protocol.RequestCode]HandlerFunc]

	mu struct {
		sync.Mutex
		conns  map[string]*clientSlot
		closed bool
	}
}

// clientSlot serializes dialling of one address.
type clientSlot struct {
	mu   sync.Mutex
	conn *Conn
}

// NewClient makes a client.
func NewClient(cfg ClientConfig, lg *zap.Logger) *Client {
	if lg == nil {
		lg = zap.NewNop()
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 3 * time.Second
	}
	if cfg.MaxFrameSize <= 0 {
		cfg.MaxFrameSize = DefaultMaxFrameSize
	}
	c := &Client{cfg: cfg, lg: lg}
	c.mu.conns = make(map[string]*clientSlot)
	empty := map[protocol.RequestCode]HandlerFunc{}
	c.handlers.Store(&empty)
	return c
}

// ErrClientClosed is returned by calls on a closed Client.
var ErrClientClosed = errors.New("remoting: client closed")

// Register routes requests the server sends with code to h. h runs on its
// own goroutine; its non-nil result is sent back unless the request is
// oneway.
func (c *Client) Register(code protocol.RequestCode, h HandlerFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := *c.handlers.Load()
	next := make(map[protocol.RequestCode]HandlerFunc, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[code] = h
	c.handlers.Store(&next)
}

// Conn returns the open connection to addr, dialling it when there is none.
func (c *Client) Conn(ctx context.Context, addr string) (*Conn, error) {
	c.mu.Lock()
	if c.mu.closed {
		c.mu.Unlock()
		return nil, ErrClientClosed
	}
	slot := c.mu.conns[addr]
	if slot == nil {
		slot = &clientSlot{}
		c.mu.conns[addr] = slot
	}
	c.mu.Unlock()

	slot.mu.Lock()
	defer slot.mu.Unlock()
	if slot.conn != nil && !slot.conn.Closed() {
		return slot.conn, nil
	}
	conn, err := c.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	closed := c.mu.closed
	c.mu.Unlock()
	if closed {
		_ = conn.Close()
		return nil, ErrClientClosed
	}
	slot.conn = conn
	return conn, nil
}

func (c *Client) dial(ctx context.Context, addr string) (*Conn, error) {
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	t := &netTransport{nc: nc}
	conn := newConn(nc.RemoteAddr().String(), nc.LocalAddr().String(), t, c.lg)
	conn.onRequest = c.serveRequest
	t.conn = conn
	go c.readLoop(conn, nc)
	return conn, nil
}

// readLoop cuts and decodes frames until the connection fails.
func (c *Client) readLoop(conn *Conn, nc net.Conn) {
	defer func() {
		_ = nc.Close()
		conn.markClosed()
	}()
	br := bufio.NewReaderSize(nc, 64<<10)
	var prefix [lengthPrefixSize]byte
	for {
		if _, err := io.ReadFull(br, prefix[:]); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.lg.Debug("connection read failed", zap.String("remote", conn.RemoteAddr()), zap.Error(err))
			}
			return
		}
		size, err := FrameSize(prefix[:], c.cfg.MaxFrameSize)
		if err != nil {
			c.lg.Warn("closing connection on a bad frame", zap.String("remote", conn.RemoteAddr()), zap.Error(err))
			return
		}
		frame := make([]byte, size)
		copy(frame, prefix[:])
		if _, err := io.ReadFull(br, frame[lengthPrefixSize:]); err != nil {
			c.lg.Debug("connection read failed", zap.String("remote", conn.RemoteAddr()), zap.Error(err))
			return
		}
		cmd, err := DecodeFrame(frame)
		if err != nil {
			c.lg.Warn("closing connection on a bad frame", zap.String("remote", conn.RemoteAddr()), zap.Error(err))
			return
		}
		conn.dispatch(cmd)
	}
}

// serveRequest runs a server-sent request on its own goroutine.
func (c *Client) serveRequest(conn *Conn, req *Command) {
	h, ok := (*c.handlers.Load())[req.RequestCode()]
	if !ok {
		if !req.IsOneway() {
			_ = conn.Reply(NewResponse(req, protocol.RequestCodeNotSupported,
				" request type "+strconv.Itoa(int(req.Code))+" not supported"))
		}
		return
	}
	go func() {
		var resp *Command
		func() {
			defer func() {
				if r := recover(); r != nil {
					where := panicSite()
					c.lg.Error("client request handler panicked", zap.Stringer("code", req.RequestCode()),
						zap.Any("panic", r), zap.String("at", where))
					resp = NewResponse(req, protocol.SystemError, fmt.Sprint(r)+", "+where)
				}
			}()
			resp = h(conn, req)
		}()
		if resp == nil || req.IsOneway() {
			return
		}
		resp.Opaque = req.Opaque
		resp.Flag |= FlagResponse
		resp.SerializeType = req.SerializeType
		_ = conn.Reply(resp)
	}()
}

// Invoke sends req to addr and waits for the response; the deadline of ctx
// is the timeout.
func (c *Client) Invoke(ctx context.Context, addr string, req *Command) (*Command, error) {
	conn, err := c.Conn(ctx, addr)
	if err != nil {
		return nil, err
	}
	return conn.Invoke(ctx, req)
}

// InvokeAsync sends req to addr and calls cb, on its own goroutine, with
// the response or the error; the deadline of ctx is the timeout. When it
// returns an error cb is not called.
func (c *Client) InvokeAsync(ctx context.Context, addr string, req *Command, cb func(*Command, error)) error {
	conn, err := c.Conn(ctx, addr)
	if err != nil {
		return err
	}
	return conn.InvokeAsync(ctx, req, cb)
}

// InvokeOneway sends req to addr with the oneway bit set.
func (c *Client) InvokeOneway(addr string, req *Command) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.DialTimeout)
	defer cancel()
	conn, err := c.Conn(ctx, addr)
	if err != nil {
		return err
	}
	return conn.InvokeOneway(req)
}

// CloseConn closes the connection to addr, if any; the next call dials
// again.
func (c *Client) CloseConn(addr string) {
	c.mu.Lock()
	slot := c.mu.conns[addr]
	c.mu.Unlock()
	if slot == nil {
		return
	}
	slot.mu.Lock()
	conn := slot.conn
	slot.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}

// Close closes every connection; pending invokes fail with ErrConnClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	c.mu.closed = true
	slots := make([]*clientSlot, 0, len(c.mu.conns))
	for _, s := range c.mu.conns {
		slots = append(slots, s)
	}
	c.mu.conns = make(map[string]*clientSlot)
	c.mu.Unlock()
	for _, s := range slots {
		s.mu.Lock()
		conn := s.conn
		s.mu.Unlock()
		if conn != nil {
			_ = conn.Close()
			<-conn.Done()
		}
	}
	return nil
}

// netTransport writes whole frames to a net.Conn under a lock. The first
// write error sticks and closes the connection.
type netTransport struct {
	nc   net.Conn
	conn *Conn

	mu  sync.Mutex
	err error
}

func (t *netTransport) write(frame []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return t.err
	}
	if err := t.nc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		t.err = fmt.Errorf("set write deadline: %w", err)
		_ = t.nc.Close()
		return t.err
	}
	if _, err := t.nc.Write(frame); err != nil {
		t.err = err
		_ = t.nc.Close()
		return err
	}
	return nil
}

func (t *netTransport) close() error {
	err := t.nc.Close()
	t.conn.markClosed()
	return err
}
