package remoting

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// testTimeout bounds every wait in these tests; it is a hang guard, not a
// timed assertion.
const testTimeout = 10 * time.Second

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// receive returns the next value from ch, failing the test with failure
// if none arrives within testTimeout.
func receive[T any](t *testing.T, ch <-chan T, failure string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatal(failure)
		var zero T
		return zero
	}
}

func startServer(t *testing.T, cfg ServerConfig, setup func(s *Server)) *Server {
	t.Helper()
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	s := NewServer(cfg, zaptest.NewLogger(t))
	if setup != nil {
		setup(s)
	}
	require.NoError(t, s.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		assert.NoError(t, s.Shutdown(ctx))
	})
	return s
}

// serveOne starts a server with the one handler h, for code.
func serveOne(t *testing.T, code protocol.RequestCode, h HandlerFunc) *Server {
	t.Helper()
	return startServer(t, ServerConfig{}, func(s *Server) { s.Register(code, h, nil) })
}

// recordRequests answers SUCCESS and sends each request to seen.
func recordRequests(seen chan<- *Command) HandlerFunc {
	return func(_ *Conn, req *Command) *Command {
		seen <- req
		return NewResponse(req, protocol.Success, "")
	}
}

// recordConns answers SUCCESS and sends each request's connection to conns.
func recordConns(conns chan<- *Conn) HandlerFunc {
	return func(c *Conn, req *Command) *Command {
		conns <- c
		return NewResponse(req, protocol.Success, "")
	}
}

// neverAnswer takes a request and never answers it.
func neverAnswer(*Conn, *Command) *Command { return nil }

func newTestClient(t *testing.T) *Client {
	t.Helper()
	c := NewClient(ClientConfig{}, zaptest.NewLogger(t))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// echo answers SUCCESS with the request's ext fields and body.
func echo(_ *Conn, req *Command) *Command {
	resp := NewResponse(req, protocol.Success, "")
	resp.ExtFields = req.ExtFields
	resp.Body = req.Body
	return resp
}

func TestServerRequestResponse(t *testing.T) {
	s := serveOne(t, protocol.GetRouteinfoByTopic, echo)
	c := newTestClient(t)
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		t.Run(st.String(), func(t *testing.T) {
			req := NewRequest(protocol.GetRouteinfoByTopic, map[string]string{"topic": "TopicTest"}, []byte("hello"))
			req.SerializeType = st
			resp, err := c.Invoke(testCtx(t), s.Addr(), req)
			require.NoError(t, err)
			assert.Equal(t, int32(protocol.Success), resp.Code)
			assert.Equal(t, req.Opaque, resp.Opaque)
			assert.True(t, resp.IsResponse())
			assert.Equal(t, st, resp.SerializeType, "a response is written in its request's serialization")
			assert.Equal(t, "TopicTest", resp.ExtFields["topic"])
			assert.Equal(t, []byte("hello"), resp.Body)
			assert.Equal(t, LanguageJava, resp.Language)
			assert.Equal(t, Version, resp.Version)
		})
	}
}

func TestServerManyConcurrentRequests(t *testing.T) {
	s := serveOne(t, protocol.HeartBeat, echo)
	c := newTestClient(t)
	const callers, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, callers*each)
	for g := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := binary.BigEndian.AppendUint32(nil, uint32(g*each+i))
				resp, err := c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.HeartBeat, nil, body))
				if err != nil {
					errs <- err
					continue
				}
				if string(resp.Body) != string(body) {
					errs <- errors.New("response body does not match its request")
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestServerAsyncInvoke(t *testing.T) {
	s := serveOne(t, protocol.HeartBeat, echo)
	c := newTestClient(t)
	got := make(chan *Command, 1)
	req := NewRequest(protocol.HeartBeat, map[string]string{"k": "v"}, nil)
	require.NoError(t, c.InvokeAsync(testCtx(t), s.Addr(), req, func(resp *Command, err error) {
		assert.NoError(t, err)
		got <- resp
	}))
	resp := receive(t, got, "async callback never ran")
	assert.Equal(t, req.Opaque, resp.Opaque)
	assert.Equal(t, "v", resp.ExtFields["k"])
}

func TestServerAsyncInvokeTimesOut(t *testing.T) {
	s := serveOne(t, protocol.HeartBeat, neverAnswer)
	c := newTestClient(t)
	got := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.NoError(t, c.InvokeAsync(ctx, s.Addr(), NewRequest(protocol.HeartBeat, nil, nil), func(resp *Command, err error) {
		assert.Nil(t, resp)
		got <- err
	}))
	err := receive(t, got, "async callback never ran")
	assert.ErrorIs(t, err, ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestServerInvokeTimesOut(t *testing.T) {
	s := serveOne(t, protocol.HeartBeat, neverAnswer)
	c := newTestClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Invoke(ctx, s.Addr(), NewRequest(protocol.HeartBeat, nil, nil))
	assert.ErrorIs(t, err, ErrTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestServerOnewayGetsNoReply(t *testing.T) {
	seen := make(chan *Command, 1)
	s := serveOne(t, protocol.UpdateConsumerOffset, recordRequests(seen))
	nc, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	defer nc.Close()
	req := NewRequest(protocol.UpdateConsumerOffset, map[string]string{"queueId": "1"}, nil)
	req.MarkOneway()
	frame, err := EncodeFrame(req)
	require.NoError(t, err)
	_, err = nc.Write(frame)
	require.NoError(t, err)
	got := receive(t, seen, "oneway request never reached its handler")
	assert.True(t, got.IsOneway())
	assert.Equal(t, "1", got.ExtFields["queueId"])
	// A two-way request after the oneway one: its response must be the
	// first frame on the wire, so the oneway request got none.
	ping := NewRequest(protocol.UpdateConsumerOffset, nil, nil)
	frame, err = EncodeFrame(ping)
	require.NoError(t, err)
	_, err = nc.Write(frame)
	require.NoError(t, err)
	<-seen
	resp := readFrame(t, nc)
	assert.Equal(t, ping.Opaque, resp.Opaque)
	assert.True(t, resp.IsResponse())
}

// readFrame reads one frame from a raw connection.
func readFrame(t *testing.T, nc net.Conn) *Command {
	t.Helper()
	require.NoError(t, nc.SetReadDeadline(time.Now().Add(testTimeout)))
	var prefix [4]byte
	_, err := readFull(nc, prefix[:])
	require.NoError(t, err)
	size, err := FrameSize(prefix[:], 0)
	require.NoError(t, err)
	frame := make([]byte, size)
	copy(frame, prefix[:])
	_, err = readFull(nc, frame[4:])
	require.NoError(t, err)
	cmd, err := DecodeFrame(frame)
	require.NoError(t, err)
	return cmd
}

func readFull(nc net.Conn, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := nc.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestServerHandlerAnswersLater(t *testing.T) {
	held := make(chan struct {
		c   *Conn
		req *Command
	}, 1)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(protocol.PullMessage, func(c *Conn, req *Command) *Command {
			held <- struct {
				c   *Conn
				req *Command
			}{c, req}
			return nil
		}, nil)
	})
	c := newTestClient(t)
	go func() {
		h := <-held
		resp := NewResponse(h.req, protocol.PullNotFound, "no new message")
		assert.NoError(t, h.c.Reply(resp))
	}()
	req := NewRequest(protocol.PullMessage, nil, nil)
	req.SerializeType = SerializeRocketMQ
	resp, err := c.Invoke(testCtx(t), s.Addr(), req)
	require.NoError(t, err)
	assert.Equal(t, int32(protocol.PullNotFound), resp.Code)
	assert.Equal(t, "no new message", resp.Remark)
	assert.Equal(t, SerializeRocketMQ, resp.SerializeType)
}

func TestServerInvokesClient(t *testing.T) {
	conns := make(chan *Conn, 1)
	s := serveOne(t, protocol.HeartBeat, recordConns(conns))
	c := newTestClient(t)
	c.Register(protocol.GetConsumerRunningInfo, func(_ *Conn, req *Command) *Command {
		resp := NewResponse(req, protocol.Success, "")
		resp.Body = []byte(`{"running":` + req.ExtFields["consumerGroup"] + `}`)
		return resp
	})
	_, err := c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.HeartBeat, nil, nil))
	require.NoError(t, err)
	sc := <-conns

	resp, err := sc.Invoke(testCtx(t), NewRequest(protocol.GetConsumerRunningInfo, map[string]string{"consumerGroup": "g1"}, nil))
	require.NoError(t, err)
	assert.Equal(t, int32(protocol.Success), resp.Code)
	assert.Equal(t, `{"running":g1}`, string(resp.Body))

	// A code the client has no handler for.
	resp, err = sc.Invoke(testCtx(t), NewRequest(protocol.ConsumeMessageDirectly, nil, nil))
	require.NoError(t, err)
	assert.Equal(t, int32(protocol.RequestCodeNotSupported), resp.Code)
	assert.Equal(t, " request type 309 not supported", resp.Remark)

	// A per-call timeout on a request the client never answers.
	c.Register(protocol.GetConsumerStatusFromClient, func(*Conn, *Command) *Command { return nil })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = sc.Invoke(ctx, NewRequest(protocol.GetConsumerStatusFromClient, nil, nil))
	assert.ErrorIs(t, err, ErrTimeout)

	// A oneway server-to-client request reaches the handler.
	notified := make(chan string, 1)
	c.Register(protocol.NotifyConsumerIdsChanged, func(_ *Conn, req *Command) *Command {
		notified <- req.ExtFields["consumerGroup"]
		return nil
	})
	require.NoError(t, sc.InvokeOneway(NewRequest(protocol.NotifyConsumerIdsChanged, map[string]string{"consumerGroup": "g2"}, nil)))
	g := receive(t, notified, "oneway notification never arrived")
	assert.Equal(t, "g2", g)
}

func TestServerOnCloseFires(t *testing.T) {
	closed := make(chan *Conn, 1)
	opened := make(chan *Conn, 1)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(protocol.HeartBeat, func(c *Conn, req *Command) *Command {
			opened <- c
			return NewResponse(req, protocol.Success, "")
		}, nil)
		s.OnClose(func(c *Conn) { closed <- c })
	})
	c := newTestClient(t)
	_, err := c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.HeartBeat, nil, nil))
	require.NoError(t, err)
	sc := <-opened
	require.Equal(t, 1, s.Connections())
	conn, err := c.Conn(testCtx(t), s.Addr())
	require.NoError(t, err)
	assert.Equal(t, conn.LocalAddr(), sc.RemoteAddr())

	require.NoError(t, c.Close())
	got := receive(t, closed, "OnClose never fired")
	assert.Same(t, sc, got)
	assert.True(t, got.Closed())
	assert.Equal(t, 0, s.Connections())
	// Pending or new invokes on the closed server-side conn fail at once.
	_, err = sc.Invoke(testCtx(t), NewRequest(protocol.NotifyConsumerIdsChanged, nil, nil))
	assert.ErrorIs(t, err, ErrConnClosed)
}

func TestServerPendingInvokeFailsOnClose(t *testing.T) {
	conns := make(chan *Conn, 1)
	s := serveOne(t, protocol.HeartBeat, recordConns(conns))
	c := newTestClient(t)
	c.Register(protocol.GetConsumerRunningInfo, func(*Conn, *Command) *Command { return nil })
	_, err := c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.HeartBeat, nil, nil))
	require.NoError(t, err)
	sc := <-conns
	errc := make(chan error, 1)
	go func() {
		_, err := sc.Invoke(testCtx(t), NewRequest(protocol.GetConsumerRunningInfo, nil, nil))
		errc <- err
	}()
	require.Eventually(t, func() bool {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		return len(sc.mu.pending) == 1
	}, testTimeout, time.Millisecond)
	c.CloseConn(s.Addr())
	err = receive(t, errc, "pending invoke did not fail on close")
	assert.ErrorIs(t, err, ErrConnClosed)
}

func TestServerUnknownCode(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	c := newTestClient(t)
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		req := NewRequest(protocol.RegisterFilterServer, nil, nil)
		req.SerializeType = st
		resp, err := c.Invoke(testCtx(t), s.Addr(), req)
		require.NoError(t, err)
		assert.Equal(t, int32(protocol.RequestCodeNotSupported), resp.Code)
		assert.Equal(t, " request type 301 not supported", resp.Remark)
		assert.Equal(t, st, resp.SerializeType)
	}
}

func TestServerFullPoolAnswersSystemBusy(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	var pool *Pool
	s := startServer(t, ServerConfig{}, func(s *Server) {
		pool = s.NewPool("send", 1, 1)
		s.Register(protocol.SendMessageV2, func(_ *Conn, req *Command) *Command {
			started <- struct{}{}
			<-release
			return NewResponse(req, protocol.Success, "")
		}, pool)
	})
	c := newTestClient(t)
	type res struct {
		resp *Command
		err  error
	}
	results := make(chan res, 2)
	invoke := func() {
		resp, err := c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.SendMessageV2, nil, nil))
		results <- res{resp, err}
	}
	go invoke() // occupies the only worker
	<-started
	go invoke() // fills the queue of one
	require.Eventually(t, func() bool { return pool.Queued() == 1 }, testTimeout, time.Millisecond)

	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		req := NewRequest(protocol.SendMessageV2, nil, nil)
		req.SerializeType = st
		busy, err := c.Invoke(testCtx(t), s.Addr(), req)
		require.NoError(t, err)
		assert.Equal(t, int32(protocol.SystemBusy), busy.Code)
		assert.Equal(t, "[OVERLOAD]system busy, start flow control for a while", busy.Remark)
		assert.Equal(t, st, busy.SerializeType)
	}
	close(release)
	for range 2 {
		r := <-results
		require.NoError(t, r.err)
		assert.Equal(t, int32(protocol.Success), r.resp.Code)
	}
}

func TestServerPanickingHandler(t *testing.T) {
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(protocol.QueryMessage, func(*Conn, *Command) *Command {
			var m map[string]int
			m["boom"] = 1
			return nil
		}, nil)
		s.Register(protocol.HeartBeat, echo, nil)
	})
	c := newTestClient(t)
	resp, err := c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.QueryMessage, nil, nil))
	require.NoError(t, err)
	assert.Equal(t, int32(protocol.SystemError), resp.Code)
	assert.Contains(t, resp.Remark, "assignment to entry in nil map")
	assert.Contains(t, resp.Remark, "server_test.go:")

	resp, err = c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.HeartBeat, nil, []byte("still here")))
	require.NoError(t, err)
	assert.Equal(t, "still here", string(resp.Body))
}

func TestServerShutdownFailsPendingAndStops(t *testing.T) {
	s := NewServer(ServerConfig{ListenAddr: "127.0.0.1:0"}, zaptest.NewLogger(t))
	var closes atomic.Int32
	s.OnClose(func(*Conn) { closes.Add(1) })
	s.Register(protocol.HeartBeat, echo, nil)
	require.NoError(t, s.Start())
	c := newTestClient(t)
	_, err := c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.HeartBeat, nil, nil))
	require.NoError(t, err)
	require.NoError(t, s.Shutdown(testCtx(t)))
	assert.Equal(t, int32(1), closes.Load(), "close callbacks ran before Shutdown returned")
	_, err = net.DialTimeout("tcp", s.Addr(), time.Second)
	assert.Error(t, err, "nothing listens after Shutdown")
	require.NoError(t, s.Shutdown(testCtx(t)), "a second Shutdown is a no-op")
}

func TestServerListenFailure(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	other := NewServer(ServerConfig{ListenAddr: s.Addr()}, zaptest.NewLogger(t))
	// SO_REUSEADDR does not allow two listeners on one port.
	assert.Error(t, other.Start())
}

func TestServerShutdownDrainsQueuedRequests(t *testing.T) {
	release := make(chan struct{})
	var pool *Pool
	s := NewServer(ServerConfig{ListenAddr: "127.0.0.1:0"}, zaptest.NewLogger(t))
	pool = s.NewPool("send", 1, 8)
	started := make(chan struct{}, 8)
	s.Register(protocol.SendMessageV2, func(_ *Conn, req *Command) *Command {
		started <- struct{}{}
		<-release
		return NewResponse(req, protocol.Success, "stored")
	}, pool)
	require.NoError(t, s.Start())
	c := newTestClient(t)
	const n = 3
	results := make(chan error, n)
	for range n {
		go func() {
			resp, err := c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.SendMessageV2, nil, nil))
			if err == nil && resp.Remark != "stored" {
				err = errors.New("unexpected response " + resp.Remark)
			}
			results <- err
		}()
	}
	<-started
	require.Eventually(t, func() bool { return pool.Queued() == n-1 }, testTimeout, time.Millisecond)
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(testCtx(t)) }()
	close(release)
	for range n {
		require.NoError(t, <-results, "a request queued before Shutdown is answered")
	}
	require.NoError(t, <-shut)
}

func TestServerIdleTimeoutClosesIdleConnections(t *testing.T) {
	closed := make(chan *Conn, 1)
	s := startServer(t, ServerConfig{IdleTimeout: 100 * time.Millisecond}, func(s *Server) {
		s.OnClose(func(c *Conn) { closed <- c })
	})
	// A connection that never sends anything is closed by the server.
	nc, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	defer nc.Close()
	waitClosed(t, nc)
	sc := receive(t, closed, "OnClose did not fire for the idle connection")
	assert.Equal(t, nc.LocalAddr().String(), sc.RemoteAddr())
}

func TestServerInvokeWithExpiredContextSendsNothing(t *testing.T) {
	got := make(chan struct{}, 1)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(protocol.HeartBeat, func(_ *Conn, req *Command) *Command {
			got <- struct{}{}
			return NewResponse(req, protocol.Success, "")
		}, nil)
	})
	c := newTestClient(t)
	conn, err := c.Conn(testCtx(t), s.Addr())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	_, err = conn.Invoke(ctx, NewRequest(protocol.HeartBeat, nil, nil))
	assert.ErrorIs(t, err, ErrTimeout)
	err = conn.InvokeAsync(ctx, NewRequest(protocol.HeartBeat, nil, nil), func(*Command, error) {
		t.Error("callback of a refused InvokeAsync ran")
	})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	// The next live request is the first the handler sees.
	_, err = conn.Invoke(testCtx(t), NewRequest(protocol.HeartBeat, nil, nil))
	require.NoError(t, err)
	assert.Len(t, got, 1)
}
