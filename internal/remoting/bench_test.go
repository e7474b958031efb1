package remoting

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// benchSendCommand is a SEND_MESSAGE_V2 request as the Go client sends it:
// twelve single-letter header fields and a 1 KiB body.
func benchSendCommand(st SerializeType) *Command {
	return &Command{
		Code: int32(protocol.SendMessageV2), Language: "GO", Version: 317, Opaque: 12345,
		ExtFields: map[string]string{
			"a": "please_rename_unique_group_name", "b": "TopicTest", "c": "TBW102", "d": "4", "e": "2",
			"f": "0", "g": "1700000000000", "h": "0", "i": "KEYS\x01order-1\x02WAIT\x01true\x02TAGS\x01TagA",
			"j": "0", "k": "false", "m": "false",
		},
		Body:          make([]byte, 1024),
		SerializeType: st,
	}
}

func BenchmarkCodecEncode(b *testing.B) {
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		b.Run("header="+st.String(), func(b *testing.B) {
			cmd := benchSendCommand(st)
			buf, err := AppendFrame(nil, cmd)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				buf, err = AppendFrame(buf[:0], cmd)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCodecDecode(b *testing.B) {
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		b.Run("header="+st.String(), func(b *testing.B) {
			frame, err := EncodeFrame(benchSendCommand(st))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeFrame(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRoundTrip measures request/response over loopback through the
// gnet server and the client, with 1 and 16 concurrent callers.
func BenchmarkRoundTrip(b *testing.B) {
	s := NewServer(ServerConfig{ListenAddr: "127.0.0.1:0"}, nil)
	s.Register(protocol.SendMessageV2, func(_ *Conn, req *Command) *Command {
		resp := NewResponse(req, protocol.Success, "")
		resp.ExtFields = map[string]string{"msgId": "7F00000100002A9F0000000000000000", "queueId": "2", "queueOffset": "42"}
		return resp
	}, nil)
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	}()
	c := NewClient(ClientConfig{}, nil)
	defer c.Close()
	addr := s.Addr()

	for _, callers := range []int{1, 16} {
		b.Run(fmt.Sprintf("stack=remoting/callers=%d", callers), func(b *testing.B) {
			invoke := func() error {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				req := benchSendCommand(SerializeJSON)
				req.Opaque = NewRequest(protocol.SendMessageV2, nil, nil).Opaque
				resp, err := c.Invoke(ctx, addr, req)
				if err != nil {
					return err
				}
				if resp.Code != int32(protocol.Success) {
					return fmt.Errorf("response code %d", resp.Code)
				}
				return nil
			}
			if err := invoke(); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(benchSendCommand(SerializeJSON).Body)))
			b.ReportAllocs()
			tokens := make(chan struct{}, callers)
			errs := make(chan error, callers)
			var wg sync.WaitGroup
			for range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range tokens {
						if err := invoke(); err != nil {
							select {
							case errs <- err:
							default:
							}
						}
					}
				}()
			}
			for b.Loop() {
				tokens <- struct{}{}
			}
			close(tokens)
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reqs/s")
			select {
			case err := <-errs:
				b.Fatal(err)
			default:
			}
		})
	}

	// The baseline, measured in the same run: the same request and
	// response bytes over plain loopback TCP, one connection per caller, a
	// server that reads a frame and writes a prepared answer. No codec, no
	// opaque matching, no pools: the floor the remoting stack adds to.
	reqFrame, err := EncodeFrame(benchSendCommand(SerializeJSON))
	if err != nil {
		b.Fatal(err)
	}
	respCmd := NewResponse(benchSendCommand(SerializeJSON), protocol.Success, "")
	respCmd.ExtFields = map[string]string{"msgId": "7F00000100002A9F0000000000000000", "queueId": "2", "queueOffset": "42"}
	respFrame, err := EncodeFrame(respCmd)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				buf := make([]byte, len(reqFrame))
				for {
					if _, err := io.ReadFull(conn, buf); err != nil {
						return
					}
					if _, err := conn.Write(respFrame); err != nil {
						return
					}
				}
			}()
		}
	}()
	for _, callers := range []int{1, 16} {
		b.Run(fmt.Sprintf("stack=raw-tcp/callers=%d", callers), func(b *testing.B) {
			conns := make(chan net.Conn, callers)
			for range callers {
				conn, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				defer conn.Close()
				conns <- conn
			}
			b.SetBytes(int64(len(benchSendCommand(SerializeJSON).Body)))
			b.ReportAllocs()
			tokens := make(chan struct{}, callers)
			errs := make(chan error, callers)
			var wg sync.WaitGroup
			for range callers {
				wg.Add(1)
				go func(conn net.Conn) {
					defer wg.Done()
					buf := make([]byte, len(respFrame))
					for range tokens {
						_, err := conn.Write(reqFrame)
						if err == nil {
							_, err = io.ReadFull(conn, buf)
						}
						if err != nil {
							select {
							case errs <- err:
							default:
							}
							return
						}
					}
				}(<-conns)
			}
			for b.Loop() {
				tokens <- struct{}{}
			}
			close(tokens)
			wg.Wait()
			select {
			case err := <-errs:
				b.Fatal(err)
			default:
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reqs/s")
		})
	}
}
