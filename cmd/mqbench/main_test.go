package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/testproc"
)

// resultOf decodes the RESULT line of a run.
func resultOf(t *testing.T, out string, v any) {
	t.Helper()
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "RESULT ") {
			line = strings.TrimPrefix(l, "RESULT ")
		}
	}
	require.NotEmpty(t, line, "no RESULT line in:\n%s", out)
	require.NoError(t, json.Unmarshal([]byte(line), v))
}

var (
	producerLine = regexp.MustCompile(`^Current Time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \| Send TPS: \d+ \| Max RT\(ms\): \d+\.\d{3} \| Average RT\(ms\): +\d+\.\d{3} \| Send Failed: \d+ \| Response Failed: \d+$`)
	consumerLine = regexp.MustCompile(`^Current Time: \S+ \S+ \| Consume TPS: \d+ \| AVG\(B2C\) RT\(ms\): +-?\d+\.\d{3} \| AVG\(S2C\) RT\(ms\): +-?\d+\.\d{3} \| MAX\(B2C\) RT\(ms\): -?\d+ \| MAX\(S2C\) RT\(ms\): -?\d+$`)
)

// TestMqbenchProducerAndConsumer sends exactly threads×quantity messages,
// synchronously and asynchronously, and consumes every one of them.
func TestMqbenchProducerAndConsumer(t *testing.T) {
	c := sharedCluster(t)
	report := filepath.Join(t.TempDir(), "report.json")
	r := tool(t, "mqbench", nil, "producer", "-n", c.NsAddr, "-t", "BenchTopic", "-w", "4", "-s", "1024", "-q", "150",
		"-k", "true", "-l", "3", "--report-json", report)
	require.Equal(t, 0, r.Code, "stdout:\n%s\nstderr:\n%s", r.Stdout, r.Stderr)
	var rep ProducerReport
	resultOf(t, r.Stdout, &rep)
	require.Equal(t, int64(600), rep.Sent)
	require.Zero(t, rep.SendFailed)
	require.Zero(t, rep.ResponseFailed)
	require.Equal(t, 4, rep.Threads)
	require.Equal(t, 1024, rep.MessageSize)
	require.Greater(t, rep.SendTPS, 0.0)
	require.Greater(t, rep.MaxRTMs, 0.0)
	require.GreaterOrEqual(t, rep.MaxRTMs, rep.AvgRTMs)
	require.Regexp(t, `(?m)^Summary: Send Total: 600 \| Send TPS: [\d.]+ \| Max RT\(ms\): [\d.]+ \| Average RT\(ms\): [\d.]+ \| Send Failed: 0 \| Response Failed: 0 \| Elapsed\(s\): [\d.]+$`, r.Stdout)
	file, err := os.ReadFile(report)
	require.NoError(t, err)
	var fromFile ProducerReport
	require.NoError(t, json.Unmarshal(file, &fromFile))
	require.Equal(t, rep, fromFile, "the report file holds the RESULT line")

	// Asynchronous sends, with Java's "-y true" spelling.
	r = tool(t, "mqbench", nil, "producer", "-n", c.NsAddr, "-t", "BenchTopic", "-w", "2", "-s", "512", "-q", "200", "-y", "true")
	require.Equal(t, 0, r.Code, "stdout:\n%s\nstderr:\n%s", r.Stdout, r.Stderr)
	resultOf(t, r.Stdout, &rep)
	require.True(t, rep.Async)
	require.Equal(t, int64(400), rep.Sent)
	require.Zero(t, rep.SendFailed+rep.ResponseFailed)

	r = tool(t, "mqbench", []string{"NAMESRV_ADDR=" + c.NsAddr}, "consumer", "-t", "BenchTopic", "-g", "bench_cg",
		"--from", "first", "-q", "1000", "--duration", "60s", "--report-interval", "100ms")
	require.Equal(t, 0, r.Code, "stdout:\n%s\nstderr:\n%s", r.Stdout, r.Stderr)
	var crep ConsumerReport
	resultOf(t, r.Stdout, &crep)
	require.Equal(t, int64(1000), crep.Consumed, "every message sent")
	require.Equal(t, "bench_cg", crep.Group)
	require.GreaterOrEqual(t, crep.MaxS2CRTMs, int64(0))
	require.Regexp(t, `(?m)^Summary: Consume Total: 1000 \| Consume TPS: [\d.]+ \| `, r.Stdout)
	for _, l := range strings.Split(r.Stdout, "\n") {
		if strings.HasPrefix(l, "Current Time") {
			require.Regexp(t, consumerLine, l)
		}
	}
}

// TestMqbenchDurationLinesAndInterrupt runs without a quantity: the
// progress lines have Java's fields, and SIGINT ends the run with its
// summary.
func TestMqbenchDurationLinesAndInterrupt(t *testing.T) {
	c := sharedCluster(t)
	cmd := testproc.Command(filepath.Join(testproc.Binaries(t, "mqbench"), "mqbench"), t.TempDir(), "producer", "-n", c.NsAddr, "-t", "BenchLines",
		"-w", "2", "-s", "256", "--duration", "2m", "--report-interval", "100ms")
	p := testproc.MustStart(t, cmd, "")
	require.Eventually(t, func() bool { return len(p.Lines()) >= 3 }, 60*time.Second, 20*time.Millisecond,
		"three progress lines; stderr: %s", p.Stderr())
	for _, l := range p.Lines()[:3] {
		require.Regexp(t, producerLine, l)
	}
	p.StopWith(t, syscall.SIGINT) // exit 0 after Ctrl-C
	rest := p.Lines()[3:]
	var rep ProducerReport
	resultOf(t, strings.Join(rest, "\n"), &rep)
	require.Greater(t, rep.Sent, int64(0))
	require.Zero(t, rep.SendFailed+rep.ResponseFailed)
	require.Less(t, rep.ElapsedSec, 120.0, "stopped by the signal, not the duration")
}

func TestMqbenchBadOptions(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no name server", []string{"producer", "-q", "1"}, "no name server address"},
		{"zero threads", []string{"producer", "-n", "127.0.0.1:9876", "-w", "0"}, "-w threadCount must be 1..4096, got 0"},
		{"huge body", []string{"producer", "-n", "127.0.0.1:9876", "-s", "99999999"}, "-s messageSize must be"},
		{"negative quantity", []string{"producer", "-n", "127.0.0.1:9876", "-q", "-1"}, "-q messageQuantity must not be negative"},
		{"zero duration", []string{"producer", "-n", "127.0.0.1:9876", "--duration", "0s"}, "--duration must be positive"},
		{"sql92", []string{"consumer", "-n", "127.0.0.1:9876", "-f", "SQL92", "-e", "a > 1"}, "does not support consumer to filter message by SQL92"},
		{"bad filter", []string{"consumer", "-n", "127.0.0.1:9876", "-f", "REGEX"}, `-f filterType must be TAG or SQL92, got "REGEX"`},
		{"bad from", []string{"consumer", "-n", "127.0.0.1:9876", "--from", "middle"}, `--from must be last or first, got "middle"`},
		{"trace", []string{"producer", "-n", "127.0.0.1:9876", "-m", "true"}, "message trace is not supported"},
		{"acl", []string{"consumer", "-n", "127.0.0.1:9876", "-a", "true"}, "ACL is not supported"},
		{"unknown flag", []string{"producer", "--nope"}, "unknown flag: --nope"},
		{"unknown command", []string{"sideways"}, `unknown command "sideways"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tool(t, "mqbench", nil, tc.args...)
			require.Equal(t, 1, r.Code, r.Stdout)
			require.Contains(t, r.Stderr, tc.want)
		})
	}
}

// TestMqbenchSendFailuresExitNonZero counts failed sends when the name
// server is unreachable, prints the summary and exits 2.
func TestMqbenchSendFailuresExitNonZero(t *testing.T) {
	port := testproc.Port(t)
	r := tool(t, "mqbench", nil, "producer", "-n", "127.0.0.1:"+strconv.Itoa(port), "-w", "1", "-q", "2")
	require.Equal(t, 2, r.Code, "stdout:\n%s\nstderr:\n%s", r.Stdout, r.Stderr)
	var rep ProducerReport
	resultOf(t, r.Stdout, &rep)
	require.Zero(t, rep.Sent)
	require.Equal(t, int64(2), rep.SendFailed)
	require.Contains(t, r.Stderr, "2 sends failed")
}

// TestMqbenchJavaBoolArgs checks the rewriting of "-k true" for boolean
// flags only.
func TestMqbenchJavaBoolArgs(t *testing.T) {
	root := newRoot(context.Background(), io.Discard, io.Discard)
	require.Equal(t, []string{"producer", "-k=true", "-y=false", "-t", "true"},
		javaBoolArgs(root, []string{"producer", "-k", "true", "-y", "FALSE", "-t", "true"}))
	require.Equal(t, []string{"consumer", "-p=true", "-e", "false"},
		javaBoolArgs(root, []string{"consumer", "-p", "true", "-e", "false"}))
	require.Equal(t, []string{"nothing", "-k", "true"}, javaBoolArgs(root, []string{"nothing", "-k", "true"}))
}

// TestMqbenchConsumerShortOfQuantity ends at --duration with fewer than
// -q messages: summary printed, exit 2.
func TestMqbenchConsumerShortOfQuantity(t *testing.T) {
	c := sharedCluster(t)
	r := tool(t, "mqbench", nil, "consumer", "-n", c.NsAddr, "-t", "BenchNobodySends", "-q", "5", "--duration", "1s")
	require.Equal(t, 2, r.Code, "stdout:\n%s\nstderr:\n%s", r.Stdout, r.Stderr)
	var rep ConsumerReport
	resultOf(t, r.Stdout, &rep)
	require.Zero(t, rep.Consumed)
	require.Contains(t, r.Stderr, "consumed 0 of 5 messages before the run ended")
}
