package remoting

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// waitClosed reads from nc until the server closes it; anything but EOF
// or a reset (or data) fails the test.
func waitClosed(t *testing.T, nc net.Conn) {
	t.Helper()
	require.NoError(t, nc.SetReadDeadline(time.Now().Add(testTimeout)))
	buf := make([]byte, 64)
	n, err := nc.Read(buf)
	assert.Equal(t, 0, n, "the server answered a bad frame: %x", buf[:n])
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept a connection that sent a bad frame")
	}
	assert.Error(t, err)
}

func TestServerBadInputClosesOnlyThatConnection(t *testing.T) {
	const maxFrame = 64 << 10
	closed := make(chan string, 16)
	s := startServer(t, ServerConfig{MaxFrameSize: maxFrame}, func(s *Server) {
		s.Register(protocol.HeartBeat, echo, nil)
		s.OnClose(func(c *Conn) { closed <- c.RemoteAddr() })
	})
	good := newTestClient(t)
	ping := func() {
		t.Helper()
		resp, err := good.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.HeartBeat, nil, []byte("ok")))
		require.NoError(t, err)
		require.Equal(t, "ok", string(resp.Body))
	}
	ping()

	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	frame := func(word uint32, header []byte) []byte {
		b := u32(uint32(4 + len(header)))
		b = append(b, u32(word)...)
		return append(b, header...)
	}
	garbage := []byte(`{"code":34,"opaque":1,,,`)
	cases := []struct {
		name  string
		bytes []byte
	}{
		{"garbage header JSON", frame(uint32(len(garbage)), garbage)},
		{"header length beyond the frame", append(u32(8), append(u32(100), 0, 0, 0, 0)...)},
		{"negative frame length", u32(0xFFFFFFF0)},
		{"frame length below the header word", u32(2)},
		{"oversized frame length", u32(maxFrame)},
		{"truncated binary header", frame(1<<24|10, bytes.Repeat([]byte{0}, 10))},
		{"binary extFields past the header", frame(1<<24|25, append(bytes.Repeat([]byte{0}, 17), 0, 0, 0, 0x7f, 0, 0, 0, 0))},
		{"unknown serialize type", frame(5<<24|2, []byte("{}"))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad, err := net.Dial("tcp", s.Addr())
			require.NoError(t, err)
			defer bad.Close()
			_, err = bad.Write(tc.bytes)
			require.NoError(t, err)
			waitClosed(t, bad)
			addr := receive(t, closed, "OnClose did not fire for the bad connection")
			assert.Equal(t, bad.LocalAddr().String(), addr)
			ping()
		})
	}
	assert.Equal(t, 1, s.Connections(), "only the good client is left")
}

func TestServerFrameSplitAndPipelined(t *testing.T) {
	s := serveOne(t, protocol.HeartBeat, echo)
	nc, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	defer nc.Close()

	// One frame dribbled a byte at a time.
	req := NewRequest(protocol.HeartBeat, map[string]string{"k": "v"}, []byte("split"))
	f, err := EncodeFrame(req)
	require.NoError(t, err)
	for i := range f {
		_, err := nc.Write(f[i : i+1])
		require.NoError(t, err)
	}
	resp := readFrame(t, nc)
	assert.Equal(t, req.Opaque, resp.Opaque)
	assert.Equal(t, "split", string(resp.Body))

	// Three frames, both serializations, in one write.
	var batch []byte
	var opaques []int32
	for i := range 3 {
		r := NewRequest(protocol.HeartBeat, nil, []byte{byte(i)})
		if i == 1 {
			r.SerializeType = SerializeRocketMQ
		}
		opaques = append(opaques, r.Opaque)
		batch, err = AppendFrame(batch, r)
		require.NoError(t, err)
	}
	_, err = nc.Write(batch)
	require.NoError(t, err)
	got := map[int32]*Command{}
	for range 3 {
		r := readFrame(t, nc)
		got[r.Opaque] = r
	}
	for i, o := range opaques {
		require.Contains(t, got, o)
		assert.Equal(t, []byte{byte(i)}, got[o].Body)
	}
	assert.Equal(t, SerializeRocketMQ, got[opaques[1]].SerializeType)
}

func TestServerLargeFrame(t *testing.T) {
	s := serveOne(t, protocol.SendMessageV2, echo)
	c := newTestClient(t)
	body := bytes.Repeat([]byte("0123456789abcdef"), 4<<20/16)
	resp, err := c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.SendMessageV2, nil, body))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(body, resp.Body))
}

func TestClientReusesConnectionAndRedials(t *testing.T) {
	conns := make(chan *Conn, 4)
	s := serveOne(t, protocol.HeartBeat, recordConns(conns))
	c := newTestClient(t)
	_, err := c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.HeartBeat, nil, nil))
	require.NoError(t, err)
	first := <-conns
	_, err = c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.HeartBeat, nil, nil))
	require.NoError(t, err)
	assert.Same(t, first, <-conns, "the second call reuses the connection")

	// The server drops the connection; the next call dials a new one.
	cc, err := c.Conn(testCtx(t), s.Addr())
	require.NoError(t, err)
	require.NoError(t, first.Close())
	receive(t, cc.Done(), "client did not notice the close")
	_, err = c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.HeartBeat, nil, nil))
	require.NoError(t, err)
	assert.NotSame(t, first, <-conns)
}

func TestClientDialFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c := newTestClient(t)
	_, err = c.Invoke(testCtx(t), addr, NewRequest(protocol.HeartBeat, nil, nil))
	assert.ErrorContains(t, err, "connect to "+addr)
	assert.Error(t, c.InvokeOneway(addr, NewRequest(protocol.HeartBeat, nil, nil)))
	assert.Error(t, c.InvokeAsync(testCtx(t), addr, NewRequest(protocol.HeartBeat, nil, nil), func(*Command, error) {
		t.Error("callback of a failed InvokeAsync ran")
	}))
}

func TestClientOnewaySetsBit(t *testing.T) {
	seen := make(chan *Command, 1)
	s := serveOne(t, protocol.UnlockBatchMq, recordRequests(seen))
	c := newTestClient(t)
	req := NewRequest(protocol.UnlockBatchMq, nil, []byte("x"))
	require.NoError(t, c.InvokeOneway(s.Addr(), req))
	got := receive(t, seen, "oneway request never arrived")
	assert.True(t, got.IsOneway())
	assert.Equal(t, req.Opaque, got.Opaque)
}

func TestClientCloseFailsPendingAndRejectsCalls(t *testing.T) {
	s := serveOne(t, protocol.PullMessage, neverAnswer)
	c := newTestClient(t)
	errc := make(chan error, 2)
	go func() {
		_, err := c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.PullMessage, nil, nil))
		errc <- err
	}()
	require.NoError(t, c.InvokeAsync(testCtx(t), s.Addr(), NewRequest(protocol.PullMessage, nil, nil), func(_ *Command, err error) {
		errc <- err
	}))
	cc, err := c.Conn(testCtx(t), s.Addr())
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		cc.mu.Lock()
		defer cc.mu.Unlock()
		return len(cc.mu.pending) == 2
	}, testTimeout, time.Millisecond)
	require.NoError(t, c.Close())
	for range 2 {
		err := receive(t, errc, "pending invoke did not fail on Close")
		assert.ErrorIs(t, err, ErrConnClosed)
	}
	_, err = c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.PullMessage, nil, nil))
	assert.ErrorIs(t, err, ErrClientClosed)
}

func TestClientBadFrameFromServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		// Read the request, answer with a frame whose header length is
		// beyond the frame, then hold the connection open.
		var prefix [4]byte
		if _, err := io.ReadFull(nc, prefix[:]); err != nil {
			return
		}
		_, _ = io.CopyN(io.Discard, nc, int64(binary.BigEndian.Uint32(prefix[:])))
		_, _ = nc.Write([]byte{0, 0, 0, 6, 0, 0, 0, 9, '{', '}'})
		_, _ = io.Copy(io.Discard, nc)
	}()
	c := newTestClient(t)
	_, err = c.Invoke(testCtx(t), ln.Addr().String(), NewRequest(protocol.HeartBeat, nil, nil))
	assert.ErrorIs(t, err, ErrConnClosed)
}

func TestClientUnmatchedResponseDropped(t *testing.T) {
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(protocol.HeartBeat, func(c *Conn, req *Command) *Command {
			stray := NewResponse(&Command{Opaque: req.Opaque + 1000000}, protocol.Success, "stray")
			assert.NoError(t, c.Reply(stray))
			return NewResponse(req, protocol.Success, "real")
		}, nil)
	})
	c := newTestClient(t)
	resp, err := c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.HeartBeat, nil, nil))
	require.NoError(t, err)
	assert.Equal(t, "real", resp.Remark)
}

func TestServerDropsUnmatchedResponseAndFillsBareReplies(t *testing.T) {
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(protocol.HeartBeat, func(*Conn, *Command) *Command {
			return &Command{Code: int32(protocol.Success), Remark: "bare"}
		}, nil)
	})
	nc, err := net.Dial("tcp", s.Addr())
	require.NoError(t, err)
	defer nc.Close()
	// A response nobody asked for is dropped without closing the connection.
	stray, err := EncodeFrame(NewResponse(&Command{Opaque: 99}, protocol.Success, "stray"))
	require.NoError(t, err)
	req := NewRequest(protocol.HeartBeat, nil, nil)
	req.SerializeType = SerializeRocketMQ
	f, err := EncodeFrame(req)
	require.NoError(t, err)
	_, err = nc.Write(append(stray, f...))
	require.NoError(t, err)
	resp := readFrame(t, nc)
	assert.Equal(t, req.Opaque, resp.Opaque)
	assert.True(t, resp.IsResponse())
	assert.Equal(t, SerializeRocketMQ, resp.SerializeType)
	assert.Equal(t, "bare", resp.Remark)
	assert.Equal(t, LanguageJava, resp.Language)
	assert.Equal(t, Version, resp.Version)
}

func TestClientSurvivesServerClosingConnections(t *testing.T) {
	var n atomic.Int32
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(protocol.HeartBeat, func(c *Conn, req *Command) *Command {
			if n.Add(1)%10 == 0 {
				_ = c.Close()
				return nil
			}
			return echo(c, req)
		}, nil)
	})
	c := newTestClient(t)
	const callers, each = 4, 50
	var wg sync.WaitGroup
	var ok, closed atomic.Int32
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				resp, err := c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.HeartBeat, nil, []byte("x")))
				switch {
				case err == nil:
					assert.Equal(t, "x", string(resp.Body))
					ok.Add(1)
				case errors.Is(err, ErrConnClosed), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNRESET):
					closed.Add(1)
				default:
					t.Errorf("unexpected error: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(callers*each), ok.Load()+closed.Load())
	assert.Positive(t, ok.Load())
	assert.Positive(t, closed.Load())
	_, err := c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.HeartBeat, nil, nil))
	if err != nil { // this one may be the tenth
		_, err = c.Invoke(testCtx(t), s.Addr(), NewRequest(protocol.HeartBeat, nil, nil))
	}
	require.NoError(t, err)
}
