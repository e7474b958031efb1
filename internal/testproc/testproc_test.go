package testproc

import (
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTestprocBrokerPortTripleIsFree(t *testing.T) {
	p := BrokerPort(t)
	for _, q := range []int{p, p - 2, p + 1} {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
		require.NoError(t, err, "port %d", q)
		require.NoError(t, l.Close())
	}
	require.NotZero(t, Port(t))
}

func TestTestprocEnv(t *testing.T) {
	t.Setenv("NAMESRV_ADDR", "127.0.0.1:1")
	t.Setenv("ROCKETMQ_HOME", "/somewhere")
	env := Env("/tmp/h")
	require.Equal(t, "HOME=/tmp/h", env[len(env)-1])
	for _, kv := range env[:len(env)-1] {
		require.False(t, strings.HasPrefix(kv, "NAMESRV_ADDR=") || strings.HasPrefix(kv, "ROCKETMQ_HOME=") ||
			strings.HasPrefix(kv, "HOME="), kv)
	}
}

func TestTestprocStartStop(t *testing.T) {
	p := MustStart(t, exec.Command("sh", "-c", `trap 'echo bye; exit 0' TERM; echo starting; echo oops >&2; echo ready now
while :; do sleep 0.05; done`), "ready")
	require.Equal(t, "ready now", p.ReadyLine())
	require.Equal(t, []string{"starting", "ready now"}, p.Lines()[:2])
	p.Stop(t)
	require.Equal(t, 0, p.Cmd.ProcessState.ExitCode())
	require.Contains(t, p.Output(), "bye")
	require.Equal(t, "oops\n", p.Stderr())
}

func TestTestprocStartFailures(t *testing.T) {
	_, err := Start(exec.Command("sh", "-c", "echo partial; echo why >&2; exit 3"), "ready")
	require.ErrorContains(t, err, `exited (exit status 3) before printing "ready"`)
	require.ErrorContains(t, err, "partial")
	require.ErrorContains(t, err, "why")

	p := MustStart(t, exec.Command("sh", "-c", "echo up; exec sleep 60"), "up")
	p.Kill(t)
	p.Close() // a second stop is harmless
}

func TestTestprocRun(t *testing.T) {
	r := Run(t, exec.Command("sh", "-c", "echo out; echo err >&2; exit 7"))
	require.Equal(t, Result{Code: 7, Stdout: "out\n", Stderr: "err\n"}, r)
	r = Run(t, exec.Command("true"))
	require.Equal(t, 0, r.Code)
}
