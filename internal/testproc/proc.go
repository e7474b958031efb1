package testproc

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds on waits; they keep a broken binary from hanging the run and are
// not speed checks.
const (
	bootWait      = 60 * time.Second // for the ready line
	exitWait      = 30 * time.Second // for the exit after a signal
	terminateWait = 20 * time.Second // before Terminate kills
	runWait       = 90 * time.Second // for a command run to completion
	pipeWait      = 5 * time.Second  // for output after the process is gone
)

// Env is the environment for a started binary or script: this process's
// without HOME, ROCKETMQ_HOME and NAMESRV_ADDR, then HOME=home, so logs and
// the default store land in the test's directory and nothing points at a
// name server the test did not start.
func Env(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "ROCKETMQ_HOME=") ||
			strings.HasPrefix(kv, "NAMESRV_ADDR=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home)
}

// Command is exec.Command(bin, args...) with Env(home).
func Command(bin, home string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env = Env(home)
	return cmd
}

// SyncBuffer is a bytes.Buffer safe to read while exec copies into it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Proc is one started process whose stdout is kept line by line.
type Proc struct {
	Cmd    *exec.Cmd
	name   string
	ready  string
	stderr SyncBuffer
	done   chan struct{} // closed once Wait returned
	err    error         // Wait's result, valid after done
	more   chan struct{} // signalled after new stdout lines

	mu struct {
		sync.Mutex
		lines   []string
		partial []byte
	}
}

// Start starts cmd (its Stdout and Stderr must be unset) and waits for a
// stdout line containing ready. On failure the process is gone and the
// error holds its output.
func Start(cmd *exec.Cmd, ready string) (*Proc, error) {
	p := &Proc{Cmd: cmd, name: procName(cmd), done: make(chan struct{}), more: make(chan struct{}, 1)}
	if cmd.Stdout != nil || cmd.Stderr != nil {
		return nil, fmt.Errorf("start %s: Stdout and Stderr belong to testproc", p.name)
	}
	cmd.Stdout = (*lineWriter)(p)
	cmd.Stderr = &p.stderr
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = pipeWait
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", p.name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	line, err := p.waitLine(ready)
	if err != nil {
		p.Close()
		return nil, err
	}
	p.ready = line
	return p, nil
}

// MustStart is Start that fails t on error and kills the process, if still
// running, when t ends.
func MustStart(t testing.TB, cmd *exec.Cmd, ready string) *Proc {
	t.Helper()
	p, err := Start(cmd, ready)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// procName names the binary, or the script that sh runs.
func procName(cmd *exec.Cmd) string {
	name := filepath.Base(cmd.Path)
	if name == "sh" && len(cmd.Args) > 1 {
		name = filepath.Base(cmd.Args[1])
	}
	return name
}

func (p *Proc) waitLine(substr string) (string, error) {
	timeout := time.NewTimer(bootWait)
	defer timeout.Stop()
	for seen := 0; ; {
		lines := p.Lines()
		for _, l := range lines[seen:] {
			if strings.Contains(l, substr) {
				return l, nil
			}
		}
		seen = len(lines)
		select {
		case <-p.more:
		case <-p.done:
			for _, l := range p.Lines()[seen:] {
				if strings.Contains(l, substr) {
					return l, nil
				}
			}
			return "", fmt.Errorf("%s exited (%v) before printing %q%s", p.name, p.err, substr, p.diag())
		case <-timeout.C:
			return "", fmt.Errorf("%s did not print %q within %v%s", p.name, substr, bootWait, p.diag())
		}
	}
}

// lineWriter is the process's stdout.
type lineWriter Proc

func (w *lineWriter) Write(b []byte) (int, error) {
	p := (*Proc)(w)
	p.mu.Lock()
	p.mu.partial = append(p.mu.partial, b...)
	for {
		i := bytes.IndexByte(p.mu.partial, '\n')
		if i < 0 {
			break
		}
		p.mu.lines = append(p.mu.lines, string(p.mu.partial[:i]))
		p.mu.partial = p.mu.partial[i+1:]
	}
	p.mu.Unlock()
	select {
	case p.more <- struct{}{}:
	default:
	}
	return len(b), nil
}

// ReadyLine is the stdout line Start waited for.
func (p *Proc) ReadyLine() string { return p.ready }

// Lines are the whole stdout lines printed so far.
func (p *Proc) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.mu.lines...)
}

// Output is stdout so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := strings.Join(p.mu.lines, "\n")
	if len(p.mu.partial) > 0 {
		out += "\n" + string(p.mu.partial)
	}
	return out
}

// Stderr is stderr so far.
func (p *Proc) Stderr() string { return p.stderr.String() }

func (p *Proc) diag() string {
	return "\nstdout:\n" + p.Output() + "\nstderr:\n" + p.Stderr()
}

// Stop sends SIGTERM and fails t unless the process exits with status 0.
func (p *Proc) Stop(t testing.TB) {
	t.Helper()
	p.StopWith(t, syscall.SIGTERM)
}

// StopWith sends sig and fails t unless the process exits with status 0.
func (p *Proc) StopWith(t testing.TB, sig os.Signal) {
	t.Helper()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %s to %s: %v", sig, p.name, err)
	}
	p.WaitExit(t)
}

// WaitExit fails t unless the process exits with status 0, for a process
// that something else stops.
func (p *Proc) WaitExit(t testing.TB) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(exitWait):
		t.Fatalf("%s did not exit within %v%s", p.name, exitWait, p.diag())
	}
	if p.err != nil {
		t.Fatalf("%s exit: %v; want status 0%s", p.name, p.err, p.diag())
	}
}

// Kill sends SIGKILL and fails t unless the process dies of it.
func (p *Proc) Kill(t testing.TB) {
	t.Helper()
	_ = p.Cmd.Process.Kill()
	<-p.done
	var ee *exec.ExitError
	if !errors.As(p.err, &ee) {
		t.Fatalf("%s after SIGKILL: %v", p.name, p.err)
	}
}

// Close kills the process if it still runs and waits for it.
func (p *Proc) Close() {
	select {
	case <-p.done:
	default:
		_ = p.Cmd.Process.Kill()
		<-p.done
	}
}

// Terminate sends SIGTERM and waits, killing the process if it has not
// exited within 20 s; for teardown, where nothing is checked.
func (p *Proc) Terminate() {
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(terminateWait):
		p.Close()
	}
}

// Result is one command run to completion.
type Result struct {
	Code   int
	Stdout string
	Stderr string
}

// Run runs cmd (its Stdout and Stderr must be unset) to completion, killing
// it and failing t if it runs longer than 90 s. A non-zero exit is a Result,
// not a failure.
func Run(t testing.TB, cmd *exec.Cmd) Result {
	t.Helper()
	var out, errOut SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = pipeWait
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(runWait):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("%v did not exit within %v; stdout:\n%s\nstderr:\n%s", cmd.Args, runWait, out.String(), errOut.String())
	}
	r := Result{Stdout: out.String(), Stderr: errOut.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", cmd.Args, err)
	}
	return r
}

// Tool runs the module's command name (built by Binaries) with args to
// completion, with HOME and TMPDIR in fresh test directories, no
// NAMESRV_ADDR, then env.
func Tool(t testing.TB, name string, env []string, args ...string) Result {
	t.Helper()
	cmd := exec.Command(filepath.Join(Binaries(t, name), name), args...)
	cmd.Env = append(append(Env(t.TempDir()), "TMPDIR="+t.TempDir()), env...)
	return Run(t, cmd)
}

// builds holds the commands built so far by this test binary.
var builds struct {
	mu    sync.Mutex
	dir   string          // one temporary directory for every binary
	built map[string]bool // command name → built into dir
	err   error           // the first failed build, reported to every later call
}

// Binaries builds ./cmd/<name> of this module for each name not built yet,
// in one go build, into a directory shared by the whole test binary, and
// returns that directory. Main removes it.
func Binaries(t testing.TB, names ...string) string {
	t.Helper()
	dir, err := buildBinaries(names...)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func buildBinaries(names ...string) (string, error) {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.err != nil {
		return "", builds.err
	}
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "gorocket-testproc-bin-")
		if err != nil {
			return "", fmt.Errorf("binaries dir: %w", err)
		}
		builds.dir, builds.built = dir, map[string]bool{}
	}
	var pkgs []string
	for _, n := range names {
		if !builds.built[n] {
			pkgs = append(pkgs, "./cmd/"+n)
		}
	}
	if len(pkgs) == 0 {
		return builds.dir, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		builds.err = err
		return "", err
	}
	// go test puts its own toolchain first on PATH, so "go" is the one running the tests.
	build := exec.Command("go", append([]string{"build", "-o", builds.dir + string(filepath.Separator)}, pkgs...)...)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		builds.err = fmt.Errorf("build %s: %w\n%s", strings.Join(pkgs, " "), err, out)
		return "", builds.err
	}
	for _, n := range names {
		builds.built[n] = true
	}
	return builds.dir, nil
}

// ModuleRoot is the directory holding this module's go.mod, as the go
// command sees it from the test's working directory.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not inside a module")
	}
	return filepath.Dir(mod), nil
}

// Main runs the tests, then stops the shared cluster (if a test started
// it) and removes it and the built binaries. Its result is the exit code:
//
//	func TestMain(m *testing.M) { os.Exit(testproc.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	stopShared()
	builds.mu.Lock()
	if builds.dir != "" {
		_ = os.RemoveAll(builds.dir)
		builds.dir, builds.built = "", nil
	}
	builds.mu.Unlock()
	return code
}
