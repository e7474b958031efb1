package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/testproc"
)

func TestMain(m *testing.M) { os.Exit(testproc.Main(m)) }

// repoRoot is the module root.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := testproc.ModuleRoot()
	require.NoError(t, err)
	return root
}

// installation lays out a RocketMQ-style home in a temp dir: bin/ copied from
// the repository and build/bin/ holding freshly built binaries, so the
// scripts run exactly as an operator's copy would.
func installation(t *testing.T, binaries ...string) string {
	t.Helper()
	home := t.TempDir()
	root := repoRoot(t)
	copyDir := func(from, to string, names ...string) {
		require.NoError(t, os.MkdirAll(to, 0o755))
		for _, name := range names {
			b, err := os.ReadFile(filepath.Join(from, name))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(to, name), b, 0o755))
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, "bin"))
	require.NoError(t, err)
	var scripts []string
	for _, e := range entries {
		scripts = append(scripts, e.Name())
	}
	copyDir(filepath.Join(root, "bin"), filepath.Join(home, "bin"), scripts...)
	if len(binaries) > 0 {
		copyDir(testproc.Binaries(t, binaries...), filepath.Join(home, "build", "bin"), binaries...)
	}
	return home
}

// script runs sh bin/<name> args of the installation home, in home, with
// HOME there (so logs land there) and ROCKETMQ_HOME unset, so each script
// must find its installation from its own path.
func script(home, name string, args ...string) *exec.Cmd {
	cmd := exec.Command("sh", append([]string{filepath.Join(home, "bin", name)}, args...)...)
	cmd.Env = testproc.Env(home)
	cmd.Dir = home
	return cmd
}

func TestScriptsMqshutdownStopsOnlyThisInstallation(t *testing.T) {
	home := installation(t, "mqnamesrv")
	port := testproc.Port(t)

	// nohup sh bin/mqnamesrv &, as the tutorials start it.
	srv := testproc.MustStart(t, script(home, "mqnamesrv", "listenPort="+strconv.Itoa(port), "bindAddress=127.0.0.1"),
		"The Name Server boot success. serializeType=JSON")

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

	out, err := script(home, "mqshutdown", "namesrv").CombinedOutput()
	require.NoError(t, err, string(out))
	pid := strconv.Itoa(srv.Cmd.Process.Pid)
	require.Contains(t, string(out), "The mqnamesrv("+pid+") is running...")
	require.Contains(t, string(out), "Send shutdown request to mqnamesrv("+pid+") OK")

	// SIGTERM is a graceful stop: the name server exits 0 on its own.
	srv.WaitExit(t)
	require.NoError(t, other.Process.Signal(syscall.Signal(0)), "the decoy process must still run")

	// Nothing left: RocketMQ's message and exit status -1 (255).
	out, err = script(home, "mqshutdown", "namesrv").CombinedOutput()
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
	out, err := script(home, "mqshutdown", "everything").CombinedOutput()
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	require.NotEqual(t, 0, exitErr.ExitCode())
	require.Contains(t, string(out), "mqshutdown broker | namesrv")
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
	nsPort := testproc.Port(t)
	ns := "127.0.0.1:" + strconv.Itoa(nsPort)
	run := func(name string, args ...string) *exec.Cmd { return script(home, name, args...) }

	nsProc := testproc.MustStart(t, run("mqnamesrv", "listenPort="+strconv.Itoa(nsPort), "bindAddress=127.0.0.1"),
		"The Name Server boot success. serializeType=JSON")
	port := testproc.BrokerPort(t)
	brProc := testproc.MustStart(t, run("mqbroker", "-c", "conf/broker.conf", "-n", ns,
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
		proc *testproc.Proc
	}{{"broker", brProc}, {"namesrv", nsProc}} {
		stop := run("mqshutdown", p.what)
		out, err := stop.CombinedOutput()
		require.NoError(t, err, string(out))
		require.Contains(t, string(out), "Send shutdown request to mq"+p.what)
		p.proc.WaitExit(t) // SIGTERM: exit 0
	}
	// A graceful stop removes the abort file.
	_, err = os.Stat(filepath.Join(home, "store", "abort"))
	require.True(t, os.IsNotExist(err), "abort file left after a graceful stop")
}
