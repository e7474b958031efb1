package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
	"github.com/gorocket/gorocket/internal/testproc"
)

// runIn runs the command in-process and returns its exit code and output.
func runIn(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("NAMESRV_ADDR", "")
	t.Setenv("HOME", t.TempDir())
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestMqbrokerPrintConfig(t *testing.T) {
	code, out, errOut := runIn(t, "-p", "-n", "127.0.0.1:9876", "brokerName=broker-x", "maxMessageSize=2048")
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Greater(t, len(lines), 100, "every broker and store setting is printed")
	for _, want := range []string{"brokerName=broker-x", "namesrvAddr=127.0.0.1:9876", "maxMessageSize=2048",
		"listenPort=10911", "brokerClusterName=DefaultCluster", "flushDiskType=ASYNC_FLUSH", "autoCreateTopicEnable=true"} {
		require.Contains(t, lines, want)
	}

	code, out, errOut = runIn(t, "-m")
	require.Equal(t, 0, code, errOut)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	require.Less(t, len(lines), 40, "-m prints the important settings only")
	require.Contains(t, out, "brokerName=")
	require.Contains(t, out, "storePathRootDir=")
}

func TestMqbrokerConfigFileAndOverrides(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "broker.conf")
	require.NoError(t, os.WriteFile(conf, []byte("brokerClusterName = MyCluster\nbrokerName = broker-b\nnamesrvAddr = 10.0.0.1:9876\ndeleteWhen = 04\nfileReservedTime = 48\n"), 0o644))
	code, out, errOut := runIn(t, "-c", conf, "-n", "127.0.0.1:9999", "-p")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "brokerClusterName=MyCluster\n")
	require.Contains(t, out, "brokerName=broker-b\n")
	require.Contains(t, out, "namesrvAddr=127.0.0.1:9999\n", "-n overrides the file")
	require.Contains(t, out, "fileReservedTime=48\n")

	t.Setenv("NAMESRV_ADDR", "")
	t.Setenv("HOME", t.TempDir())
	var o, e bytes.Buffer
	t.Setenv("NAMESRV_ADDR", "127.0.0.1:7777")
	require.Equal(t, 0, run([]string{"-p"}, &o, &e), e.String())
	require.Contains(t, o.String(), "namesrvAddr=127.0.0.1:7777\n", "NAMESRV_ADDR is honoured")
}

func TestMqbrokerBadSettings(t *testing.T) {
	cases := []struct {
		args []string
		key  string
	}{
		{[]string{"brokerRole=slave"}, "brokerRole"},
		{[]string{"maxMessageSize=abc"}, "maxMessageSize"},
		{[]string{"listenPort=99999999999"}, "listenPort"},
		{[]string{"flushDiskType=SOMETIMES"}, "flushDiskType"},
		{[]string{"-n", "not-an-address"}, "namesrvAddr"},
		{[]string{"-c", "/nonexistent/broker.conf"}, "/nonexistent/broker.conf"},
		{[]string{"garbage"}, "garbage"},
	}
	for _, tc := range cases {
		code, _, errOut := runIn(t, append([]string{"-p"}, tc.args...)...)
		require.NotEqual(t, 0, code, "%v must fail", tc.args)
		require.Contains(t, errOut, tc.key, "%v: the error names the key", tc.args)
	}
	code, _, errOut := runIn(t, "--no-such-flag")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "Usage")
}

func TestMqbrokerWarnsUnknownKeys(t *testing.T) {
	code, _, errOut := runIn(t, "-p", "deletewhen=04", "brokerIp1=1.2.3.4")
	require.Equal(t, 0, code)
	require.Contains(t, errOut, "deletewhen")
	require.Contains(t, errOut, "brokerIp1")
}

func TestMain(m *testing.M) { os.Exit(testproc.Main(m)) }

// TestMqbrokerBinaryBootsRegistersAndStops runs the real binaries: the
// broker prints its boot line, registers with the real name server, and
// on SIGTERM unregisters, removes its abort file and exits 0.
func TestMqbrokerBinaryBootsRegistersAndStops(t *testing.T) {
	c, err := testproc.StartCluster(testproc.Binaries(t, "mqbroker", "mqnamesrv"), t.TempDir(), "broker-bin",
		"mappedFileSizeCommitLog=1048576")
	require.NoError(t, err)
	t.Cleanup(c.Close)
	nsAddr, addr, storeDir := c.NsAddr, c.BrokerAddr(), c.StoreDir()
	require.Equal(t, "The broker[broker-bin, "+addr+"] boot success. serializeType=JSON and name server is "+nsAddr, c.Broker.ReadyLine())

	cli := remoting.NewClient(remoting.ClientConfig{}, zaptest.NewLogger(t))
	defer cli.Close()
	clusterInfo := func() string {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := cli.Invoke(ctx, nsAddr, remoting.NewRequest(protocol.GetBrokerClusterInfo, nil, nil))
		require.NoError(t, err)
		require.Equal(t, int32(protocol.Success), resp.Code)
		return string(resp.Body)
	}
	info := clusterInfo()
	require.Contains(t, info, `"broker-bin"`)
	require.Contains(t, info, addr)

	// The broker answers on both ports.
	for _, a := range []string{addr, "127.0.0.1:" + strconv.Itoa(c.BrokerPort-2)} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := cli.Invoke(ctx, a, remoting.NewRequest(protocol.GetBrokerRuntimeInfo, nil, nil))
		cancel()
		require.NoError(t, err)
		require.Equal(t, int32(protocol.Success), resp.Code)
	}
	_, err = os.Stat(filepath.Join(storeDir, "abort"))
	require.NoError(t, err)

	c.Broker.Stop(t)
	_, err = os.Stat(filepath.Join(storeDir, "abort"))
	require.True(t, os.IsNotExist(err), "clean shutdown removes abort")
	require.NotContains(t, clusterInfo(), addr, "the broker unregistered on shutdown")
	log, err := os.ReadFile(filepath.Join(c.Home, "logs", "rocketmqlogs", "broker.log"))
	require.NoError(t, err)
	require.Contains(t, string(log), "boot success")
	c.Namesrv.Stop(t)
}
