package compat

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/rlog"
)

// binDir holds mqnamesrv and mqbroker, built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	rlog.SetLogLevel("error")
	code, err := buildAndRun(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func buildAndRun(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "gorocket-compat-bin-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return 0, fmt.Errorf("go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./cmd/mqnamesrv", "./cmd/mqbroker")
	build.Dir = root
	if b, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build mqnamesrv and mqbroker: %w\n%s", err, b)
	}
	binDir = dir
	return m.Run(), nil
}

// proc is one started server process.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's result, valid after done

	mu    sync.Mutex
	lines []string
	seen  chan string // every stdout line, for waitLine
}

// startProc runs bin with args, HOME set to home (so logs stay in the
// test's directory), and waits for a stdout line containing ready.
func startProc(t *testing.T, bin, home, ready string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, bin), args...)
	cmd.Env = append(os.Environ(), "HOME="+home)
	cmd.Env = append(cmd.Env, "NAMESRV_ADDR=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("%s stdout: %v", bin, err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	p := &proc{name: bin, cmd: cmd, done: make(chan struct{}), seen: make(chan string, 64)}
	go p.read(stdout)
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line := <-p.seen:
			if strings.Contains(line, ready) {
				return p
			}
		case <-p.done:
			t.Fatalf("%s exited before it was ready: %v\nstdout: %s\nstderr: %s", bin, p.err, p.output(), stderr.String())
		case <-deadline:
			t.Fatalf("%s not ready after 30 s\nstdout: %s\nstderr: %s", bin, p.output(), stderr.String())
		}
	}
}

func (p *proc) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.lines = append(p.lines, line)
		p.mu.Unlock()
		select {
		case p.seen <- line:
		default:
		}
	}
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// stop sends SIGTERM and checks a clean exit with status 0.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not exit within 30 s of SIGTERM", p.name)
	}
	if p.err != nil {
		t.Fatalf("%s exit after SIGTERM: %v\n%s", p.name, p.err, p.output())
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Kill()
	<-p.done
	var ee *exec.ExitError
	if !errors.As(p.err, &ee) {
		t.Fatalf("%s after SIGKILL: %v", p.name, p.err)
	}
}

// freePort returns a loopback port nobody listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// brokerPort returns a port p with p-2 (fast port) and p+1 (HA) free too.
func brokerPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		p := freePort(t)
		if p < 1030 || p > 65000 {
			continue
		}
		ok := true
		var ls []net.Listener
		for _, q := range []int{p, p - 2, p + 1} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("no free broker port triple found")
	return 0
}

// cluster is a name server and one broker, each a real process.
type cluster struct {
	t        *testing.T
	home     string
	nsAddr   string
	ns       *proc
	broker   *proc
	port     int
	storeDir string
	extra    []string
}

const brokerName = "broker-a"

// startCluster boots mqnamesrv and mqbroker; extra are broker key=value
// settings.
func startCluster(t *testing.T, extra ...string) *cluster {
	t.Helper()
	home := t.TempDir()
	nsPort := freePort(t)
	c := &cluster{t: t, home: home, nsAddr: "127.0.0.1:" + strconv.Itoa(nsPort),
		storeDir: filepath.Join(home, "store"), port: brokerPort(t), extra: extra}
	c.ns = startProc(t, "mqnamesrv", home, "The Name Server boot success", "listenPort="+strconv.Itoa(nsPort))
	c.startBroker()
	return c
}

func (c *cluster) brokerAddr() string { return "127.0.0.1:" + strconv.Itoa(c.port) }

// startBroker (re)starts the broker on the same port and store.
func (c *cluster) startBroker() {
	c.t.Helper()
	args := []string{
		"-n", c.nsAddr,
		"brokerIP1=127.0.0.1",
		"brokerName=" + brokerName,
		"brokerClusterName=DefaultCluster",
		"listenPort=" + strconv.Itoa(c.port),
		"storePathRootDir=" + c.storeDir,
		"mappedFileSizeCommitLog=16777216",
		"mappedFileSizeConsumeQueue=60000",
		"flushConsumerOffsetInterval=1000",
	}
	args = append(args, c.extra...)
	c.broker = startProc(c.t, "mqbroker", c.home, "boot success", args...)
	if !strings.Contains(c.broker.output(), "The broker["+brokerName+", "+c.brokerAddr()+"] boot success. serializeType=JSON and name server is "+c.nsAddr) {
		c.t.Fatalf("unexpected boot line: %s", c.broker.output())
	}
}
