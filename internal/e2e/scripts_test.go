package e2e

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// repoRoot is the module root: two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	return filepath.Join(wd, "..", "..")
}

// installation lays out a RocketMQ-style home in a temp dir: bin/ copied from
// the repository and build/bin/ holding freshly built binaries, so the
// scripts run exactly as an operator's copy would.
func installation(t *testing.T, binaries ...string) string {
	t.Helper()
	home := t.TempDir()
	root := repoRoot(t)
	require.NoError(t, os.MkdirAll(filepath.Join(home, "bin"), 0o755))
	entries, err := os.ReadDir(filepath.Join(root, "bin"))
	require.NoError(t, err)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(root, "bin", e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(home, "bin", e.Name()), b, 0o755))
	}
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	for _, name := range binaries {
		build := exec.Command(goTool, "build", "-o", filepath.Join(home, "build", "bin", name), "./cmd/"+name)
		build.Dir = root
		out, err := build.CombinedOutput()
		require.NoError(t, err, string(out))
	}
	return home
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// scriptEnv is the environment the scripts run with: HOME in the
// installation (so logs land there) and ROCKETMQ_HOME unset, so each script
// must find its installation from its own path.
func scriptEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ROCKETMQ_HOME=") || strings.HasPrefix(kv, "HOME=") ||
			strings.HasPrefix(kv, "NAMESRV_ADDR=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home)
}

// waitForLine reads r until a line containing want appears, and fails the
// test if the stream ends first. Lines read are returned for diagnostics.
func waitForLine(t *testing.T, r io.Reader, want string) {
	t.Helper()
	found := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(r)
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
		require.True(t, ok, "stream ended before %q", want)
	case <-time.After(60 * time.Second):
		t.Fatalf("no %q within 60 s", want)
	}
}

func TestScriptsMqshutdownStopsOnlyThisInstallation(t *testing.T) {
	home := installation(t, "mqnamesrv")
	env := scriptEnv(home)
	port := freePort(t)

	// nohup sh bin/mqnamesrv &, as the tutorials start it.
	srv := exec.Command("sh", filepath.Join(home, "bin", "mqnamesrv"),
		"listenPort="+strconv.Itoa(port), "bindAddress=127.0.0.1")
	srv.Env = env
	stdout, err := srv.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	t.Cleanup(func() { _ = srv.Process.Kill() })
	waitForLine(t, stdout, "The Name Server boot success. serializeType=JSON")

	// A process with the same name that is not this installation's binary
	// must survive mqshutdown.
	decoy := filepath.Join(t.TempDir(), "mqnamesrv")
	sleepBin, err := exec.LookPath("sleep")
	require.NoError(t, err)
	b, err := os.ReadFile(sleepBin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(decoy, b, 0o755))
	other := exec.Command(decoy, "120")
	require.NoError(t, other.Start())
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })

	shutdown := exec.Command("sh", filepath.Join(home, "bin", "mqshutdown"), "namesrv")
	shutdown.Env = env
	out, err := shutdown.CombinedOutput()
	require.NoError(t, err, string(out))
	pid := strconv.Itoa(srv.Process.Pid)
	require.Contains(t, string(out), "The mqnamesrv("+pid+") is running...")
	require.Contains(t, string(out), "Send shutdown request to mqnamesrv("+pid+") OK")

	// SIGTERM is a graceful stop: the name server exits 0 on its own.
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "mqnamesrv should exit 0 after SIGTERM")
	case <-time.After(30 * time.Second):
		t.Fatal("mqnamesrv did not stop within 30 s of mqshutdown")
	}
	require.NoError(t, other.Process.Signal(syscall.Signal(0)), "the decoy process must still run")

	// Nothing left: RocketMQ's message and exit status -1 (255).
	again := exec.Command("sh", filepath.Join(home, "bin", "mqshutdown"), "namesrv")
	again.Env = env
	out, err = again.CombinedOutput()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	require.Equal(t, 255, exitErr.ExitCode())
	require.Contains(t, string(out), "No mqnamesrv running.")

	// The name server logged where the tutorials look.
	log, err := os.ReadFile(filepath.Join(home, "logs", "rocketmqlogs", "namesrv.log"))
	require.NoError(t, err)
	require.Contains(t, string(log), "boot success")
}

func TestScriptsMqshutdownUsage(t *testing.T) {
	home := installation(t)
	cmd := exec.Command("sh", filepath.Join(home, "bin", "mqshutdown"), "everything")
	cmd.Env = scriptEnv(home)
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	require.NotEqual(t, 0, exitErr.ExitCode())
	require.Contains(t, string(out), "mqshutdown broker | namesrv")
}

// brokerPort returns a port p with p-2 (the fast port) and p+1 (HA) free
// too, all on loopback.
func brokerPort(t *testing.T) int {
	t.Helper()
	for range 50 {
		p := freePort(t)
		if p < 1030 || p > 65000 {
			continue
		}
		free := true
		for _, q := range []int{p - 2, p + 1} {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return p
		}
	}
	t.Fatal("no free broker port triple on loopback")
	return 0
}

// TestScriptsTutorialQuickstart walks the tutorial as the README tells it:
// sh bin/mqnamesrv, sh bin/mqbroker -c conf/broker.conf, a message sent and
// consumed with sh bin/mqadmin, then sh bin/mqshutdown broker and namesrv.
func TestScriptsTutorialQuickstart(t *testing.T) {
	home := installation(t, "mqnamesrv", "mqbroker", "mqadmin")
	confDir := filepath.Join(home, "conf")
	require.NoError(t, os.MkdirAll(confDir, 0o755))
	conf, err := os.ReadFile(filepath.Join(repoRoot(t), "conf", "broker.conf"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(confDir, "broker.conf"), conf, 0o644))
	env := scriptEnv(home)
	nsPort := freePort(t)
	ns := "127.0.0.1:" + strconv.Itoa(nsPort)

	run := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command("sh", append([]string{filepath.Join(home, "bin", name)}, args...)...)
		cmd.Env = env
		cmd.Dir = home
		return cmd
	}
	start := func(cmd *exec.Cmd, bootLine string) *exec.Cmd {
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		waitForLine(t, stdout, bootLine)
		return cmd
	}

	nsProc := start(run("mqnamesrv", "listenPort="+strconv.Itoa(nsPort), "bindAddress=127.0.0.1"),
		"The Name Server boot success. serializeType=JSON")
	port := brokerPort(t)
	brProc := start(run("mqbroker", "-c", "conf/broker.conf", "-n", ns,
		"brokerIP1=127.0.0.1", "listenPort="+strconv.Itoa(port)),
		"The broker[broker-a, 127.0.0.1:"+strconv.Itoa(port)+"] boot success. serializeType=JSON and name server is "+ns)

	// The store went where RocketMQ puts it by default: ~/store.
	_, err = os.Stat(filepath.Join(home, "store", "commitlog"))
	require.NoError(t, err)

	send := run("mqadmin", "sendMessage", "-n", ns, "-t", "TopicTest", "-p", "Hello RocketMQ")
	out, err := send.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "SEND_OK")
	require.Contains(t, string(out), "broker-a")

	consume := run("mqadmin", "consumeMessage", "-n", ns, "-t", "TopicTest")
	out, err = consume.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "BODY: Hello RocketMQ")
	require.Contains(t, string(out), "Consumed 1 messages.")

	for _, p := range []struct {
		what string
		proc *exec.Cmd
	}{{"broker", brProc}, {"namesrv", nsProc}} {
		stop := run("mqshutdown", p.what)
		out, err := stop.CombinedOutput()
		require.NoError(t, err, string(out))
		require.Contains(t, string(out), "Send shutdown request to mq"+p.what)
		done := make(chan error, 1)
		go func() { done <- p.proc.Wait() }()
		select {
		case err := <-done:
			require.NoError(t, err, "%s should exit 0 after SIGTERM", p.what)
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not stop within 30 s of mqshutdown", p.what)
		}
	}
	// A graceful stop removes the abort file.
	_, err = os.Stat(filepath.Join(home, "store", "abort"))
	require.True(t, os.IsNotExist(err), "abort file left after a graceful stop")
}
