package client

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"
)

// deadAddr returns a loopback address nobody listens on.
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func TestRouteAllNameServersDown(t *testing.T) {
	c, err := newCore(ClientConfig{NameServers: []string{deadAddr(t), deadAddr(t)}, RequestTimeout: time.Second}, zaptest.NewLogger(t))
	require.NoError(t, err)
	defer c.close()
	_, err = c.fetchRoute(context.Background(), "TopicA")
	require.ErrorContains(t, err, "no name server answered")
}

func TestRouteClientIDAndConfig(t *testing.T) {
	c1, err := newCore(ClientConfig{NameServers: []string{"a:1"}, ClientIP: "10.0.0.1"}, nil)
	require.NoError(t, err)
	c2, err := newCore(ClientConfig{NameServers: []string{"a:1"}, ClientIP: "10.0.0.1"}, nil)
	require.NoError(t, err)
	require.NotEqual(t, c1.clientID, c2.clientID, "two clients in one process get distinct ids")
	require.Regexp(t, `^10\.0\.0\.1@\d+#\d+$`, c1.clientID)
	c3, err := newCore(ClientConfig{NameServers: []string{"a:1"}, ClientIP: "10.0.0.1", InstanceName: "inst"}, nil)
	require.NoError(t, err)
	require.Equal(t, "10.0.0.1@inst", c3.clientID)
	require.Equal(t, []string{"a:1", "b:2", "c:3"}, splitNameServers([]string{"a:1; b:2", "", "c:3;"}))
}
