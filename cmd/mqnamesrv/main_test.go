package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary builds the real mqnamesrv once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "mqnamesrv-test")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(buildDir, "mqnamesrv")
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		out, err := exec.Command(goTool, "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	require.NoError(t, buildErr)
	return binPath
}

// syncBuffer is a bytes.Buffer safe to read while exec copies into it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

func command(t *testing.T, home string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "ROCKETMQ_HOME=", "NAMESRV_ADDR=")
	return cmd
}

func TestMqnamesrvBootServeAndSigterm(t *testing.T) {
	home := t.TempDir()
	port := freePort(t)
	conf := filepath.Join(t.TempDir(), "namesrv.conf")
	require.NoError(t, os.WriteFile(conf, []byte("# test\nbindAddress = 127.0.0.1\nlistenPort = 1\norderMessageEnable=true\n"), 0o644))

	cmd := command(t, home, "-c", conf, "listenPort="+strconv.Itoa(port))
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})

	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var got []string
	deadline := time.After(60 * time.Second) // bounds the wait; not a speed check
	for booted := false; !booted; {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "mqnamesrv exited before booting: stdout %q stderr %q", got, stderr.String())
			got = append(got, l)
			booted = l == "The Name Server boot success. serializeType=JSON"
		case <-deadline:
			t.Fatalf("no boot line; stdout %q stderr %q", got, stderr.String())
		}
	}
	require.Equal(t, "load config properties file OK, "+conf, got[0])

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

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err = cmd.Wait()
	require.NoError(t, err, "stderr %q", stderr.String())
	require.Equal(t, 0, cmd.ProcessState.ExitCode())

	log, err := os.ReadFile(filepath.Join(home, "logs", "rocketmqlogs", "namesrv.log"))
	require.NoError(t, err)
	require.Contains(t, string(log), "The Name Server boot success. serializeType=JSON")
	require.Contains(t, string(log), "new broker registered")
	require.Contains(t, string(log), "shutdown hook over")
}

func TestMqnamesrvSigintStops(t *testing.T) {
	home := t.TempDir()
	cmd := command(t, home, "bindAddress=127.0.0.1", "listenPort="+strconv.Itoa(freePort(t)))
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(stdout)
	require.True(t, sc.Scan(), "a boot line")
	require.Equal(t, "The Name Server boot success. serializeType=JSON", sc.Text())
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	require.NoError(t, cmd.Wait())
	require.Equal(t, 0, cmd.ProcessState.ExitCode())
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
	var stderr bytes.Buffer
	cmd := command(t, t.TempDir(), "bindAddress=127.0.0.1", "listenPort="+strconv.Itoa(port))
	cmd.Stderr = &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	require.NoError(t, cmd.Start())
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		t.Fatal("mqnamesrv kept running on a port in use")
	}
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	require.NotEqual(t, 0, ee.ExitCode())
	require.True(t, strings.Contains(stderr.String(), strconv.Itoa(port)), stderr.String())
}
