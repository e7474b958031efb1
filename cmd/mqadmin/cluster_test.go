package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
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
)

// The tests run the real binaries: mqnamesrv, mqbroker and the tool under
// test, built once into a temporary directory. One name server and one
// broker (stores in a temporary directory) serve every test of the
// package; tests use their own topics and groups.

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error

	clusterOnce sync.Once
	shared      *cluster
	clusterErr  error
)

// cluster is a running name server and broker.
type cluster struct {
	home       string
	nsAddr     string
	brokerAddr string
	brokerName string
	procs      []*exec.Cmd
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.stop()
	}
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	if shared != nil {
		_ = os.RemoveAll(shared.home)
	}
	os.Exit(code)
}

// binaries builds mqnamesrv, mqbroker and this package's command once.
func binaries(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "gorocket-cmd-test-bin-")
		if buildErr != nil {
			return
		}
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		cmd := exec.Command(goTool, "build", "-o", binDir+string(filepath.Separator), ".", "../mqnamesrv", "../mqbroker")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New("build: " + string(out))
		}
	})
	require.NoError(t, buildErr)
	return binDir
}

func listening(port int) bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// freePort returns a port p with p-2 (fast channel) and p+1 (HA) free.
func freePort() (int, error) {
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if p > 1030 && p < 65000 && !listening(p-2) && !listening(p+1) {
			return p, nil
		}
	}
	return 0, errors.New("no free port")
}

// startProc starts a binary and waits for a line of its stdout.
func startProc(bin, home, want string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home, "NAMESRV_ADDR=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		ok := false
		for sc.Scan() {
			if !ok && strings.Contains(sc.Text(), want) {
				ok = true
				found <- true
			}
		}
		if !ok {
			found <- false
		}
	}()
	select {
	case ok := <-found:
		if ok {
			return cmd, nil
		}
		_ = cmd.Wait()
		return nil, errors.New(filepath.Base(bin) + " exited before printing " + want)
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, errors.New(filepath.Base(bin) + " did not print " + want + " within 30 s")
	}
}

// sharedCluster starts the package's name server and broker once.
func sharedCluster(t *testing.T) *cluster {
	t.Helper()
	bin := binaries(t)
	clusterOnce.Do(func() {
		shared, clusterErr = startCluster(bin)
	})
	require.NoError(t, clusterErr)
	return shared
}

func startCluster(bin string) (*cluster, error) {
	home, err := os.MkdirTemp("", "gorocket-cmd-test-home-")
	if err != nil {
		return nil, err
	}
	c := &cluster{home: home, brokerName: "broker-test"}
	nsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	ns, err := startProc(filepath.Join(bin, "mqnamesrv"), home, "boot success", "listenPort="+strconv.Itoa(nsPort), "bindAddress=127.0.0.1")
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, ns)
	c.nsAddr = "127.0.0.1:" + strconv.Itoa(nsPort)
	port, err := freePort()
	if err != nil {
		c.stop()
		return nil, err
	}
	br, err := startProc(filepath.Join(bin, "mqbroker"), home, "boot success", "-n", c.nsAddr,
		"brokerIP1=127.0.0.1", "brokerName="+c.brokerName, "listenPort="+strconv.Itoa(port),
		"storePathRootDir="+filepath.Join(home, "store"), "mappedFileSizeCommitLog=67108864")
	if err != nil {
		c.stop()
		return nil, err
	}
	c.procs = append(c.procs, br)
	c.brokerAddr = "127.0.0.1:" + strconv.Itoa(port)
	return c, nil
}

func (c *cluster) stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
}

// result is one finished run of the tool.
type result struct {
	code   int
	stdout string
	stderr string
}

// tool runs this package's binary with args and the environment env
// (NAMESRV_ADDR is cleared unless env sets it).
func tool(t *testing.T, name string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(filepath.Join(binaries(t), name), args...)
	cmd.Env = append(append(os.Environ(), "NAMESRV_ADDR=", "HOME="+t.TempDir(), "TMPDIR="+t.TempDir()), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Start()
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%s %v did not exit within 90 s; stdout:\n%s\nstderr:\n%s", name, args, out.String(), errOut.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}
