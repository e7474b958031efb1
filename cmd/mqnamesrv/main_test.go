package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
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

func TestMain(m *testing.M) { os.Exit(testproc.Main(m)) }

// command is the real mqnamesrv, built once, with HOME=home.
func command(t *testing.T, home string, args ...string) *exec.Cmd {
	t.Helper()
	return testproc.Command(filepath.Join(testproc.Binaries(t, "mqnamesrv"), "mqnamesrv"), home, args...)
}

func TestMqnamesrvBootServeAndSigterm(t *testing.T) {
	home := t.TempDir()
	port := testproc.Port(t)
	conf := filepath.Join(t.TempDir(), "namesrv.conf")
	require.NoError(t, os.WriteFile(conf, []byte("# test\nbindAddress = 127.0.0.1\nlistenPort = 1\norderMessageEnable=true\n"), 0o644))

	p := testproc.MustStart(t, command(t, home, "-c", conf, "listenPort="+strconv.Itoa(port)),
		"The Name Server boot success. serializeType=JSON")
	require.Equal(t, "The Name Server boot success. serializeType=JSON", p.ReadyLine())
	require.Equal(t, "load config properties file OK, "+conf, p.Lines()[0])

	// Talk to it: register a broker and read its route back.
	addr := "127.0.0.1:" + strconv.Itoa(port)
	c := remoting.NewClient(remoting.ClientConfig{}, zaptest.NewLogger(t))
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tc := protocol.NewTopicConfig("TopicTest", 4, 4, 6)
	body := (&protocol.RegisterBrokerBody{TopicConfigSerializeWrapper: protocol.TopicConfigSerializeWrapper{
		TopicConfigTable: map[string]*protocol.TopicConfig{"TopicTest": &tc}}}).Encode()
	resp, err := c.Invoke(ctx, addr, remoting.NewRequest(protocol.RegisterBroker, protocol.EncodeHeader(&protocol.RegisterBrokerRequestHeader{
		BrokerName: "broker-a", BrokerAddr: "127.0.0.1:10911", ClusterName: "DefaultCluster", HaServerAddr: "127.0.0.1:10912"}), body))
	require.NoError(t, err)
	require.Equal(t, protocol.Success, resp.ResponseCode(), resp.Remark)
	resp, err = c.Invoke(ctx, addr, remoting.NewRequest(protocol.GetRouteinfoByTopic, map[string]string{"topic": "TopicTest"}, nil))
	require.NoError(t, err)
	require.Equal(t, protocol.Success, resp.ResponseCode(), resp.Remark)
	route, err := protocol.DecodeTopicRouteData(resp.Body)
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:10911", route.BrokerDatas[0].BrokerAddrs[0])
	resp, err = c.Invoke(ctx, addr, remoting.NewRequest(protocol.GetNamesrvConfig, nil, nil))
	require.NoError(t, err)
	require.Contains(t, string(resp.Body), "orderMessageEnable=true\n")
	require.Contains(t, string(resp.Body), "configStorePath="+conf+"\n", "-c file becomes configStorePath")

	p.Stop(t)
	require.Equal(t, 0, p.Cmd.ProcessState.ExitCode())

	log, err := os.ReadFile(filepath.Join(home, "logs", "rocketmqlogs", "namesrv.log"))
	require.NoError(t, err)
	require.Contains(t, string(log), "The Name Server boot success. serializeType=JSON")
	require.Contains(t, string(log), "new broker registered")
	require.Contains(t, string(log), "shutdown hook over")
}

func TestMqnamesrvSigintStops(t *testing.T) {
	home := t.TempDir()
	p := testproc.MustStart(t, command(t, home, "bindAddress=127.0.0.1", "listenPort="+strconv.Itoa(testproc.Port(t))), "")
	require.Equal(t, "The Name Server boot success. serializeType=JSON", p.Lines()[0], "a boot line")
	p.StopWith(t, os.Interrupt)
	require.Equal(t, 0, p.Cmd.ProcessState.ExitCode())
}

func TestMqnamesrvPrintConfig(t *testing.T) {
	home := t.TempDir()
	out, err := command(t, home, "-p", "listenPort=12345", "-DorderMessageEnable=true", "lisenPort=1").Output()
	require.NoError(t, err)
	text := string(out)
	for _, want := range []string{
		"listenPort=12345\n", "orderMessageEnable=true\n", "productEnvName=center\n",
		"kvConfigPath=" + filepath.Join(home, "namesrv", "kvConfig.json") + "\n",
		"configBlackList=configBlackList;configStorePath;kvConfigPath\n", "serverWorkerThreads=8\n",
	} {
		require.Contains(t, text, want)
	}
	_, err = os.Stat(filepath.Join(home, "logs"))
	require.True(t, os.IsNotExist(err), "-p starts nothing and writes no log")
}

func TestMqnamesrvBadConfigExitsNonZero(t *testing.T) {
	home := t.TempDir()
	badFile := filepath.Join(t.TempDir(), "bad.conf")
	require.NoError(t, os.WriteFile(badFile, []byte("listenPort=98x76\n"), 0o644))
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad port in file", []string{"-c", badFile}, `config key listenPort="98x76" (from ` + badFile + `)`},
		{"bad bool argument", []string{"orderMessageEnable=yes"}, "orderMessageEnable"},
		{"port out of range", []string{"listenPort=70000"}, "listenPort=70000"},
		{"missing file", []string{"-c", filepath.Join(home, "nope.conf")}, "nope.conf"},
		{"not key=value", []string{"listenPort"}, `"listenPort"`},
		{"unknown flag", []string{"--bogus"}, "bogus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cmd := command(t, home, tc.args...)
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee)
			require.NotEqual(t, 0, ee.ExitCode())
			require.Contains(t, stderr.String(), tc.want)
		})
	}
}

func TestMqnamesrvPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	r := testproc.Run(t, command(t, t.TempDir(), "bindAddress=127.0.0.1", "listenPort="+strconv.Itoa(port)))
	require.NotEqual(t, 0, r.Code)
	require.True(t, strings.Contains(r.Stderr, strconv.Itoa(port)), r.Stderr)
}
