package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries a process exit code out of a cobra RunE.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// run is main without os.Exit, for tests; ctx ends a run early as Ctrl-C
// does (the summary is still printed).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(ctx, stdout, stderr)
	root.SetArgs(javaBoolArgs(root, args))
	if err := root.ExecuteContext(ctx); err != nil {
		if e, ok := err.(*exitError); ok {
			if e.msg != "" {
				fmt.Fprintln(stderr, e.msg)
			}
			return e.code
		}
		fmt.Fprintln(stderr, "Error:", err)
		return 1
	}
	return 0
}

// newRoot builds the command tree.
func newRoot(ctx context.Context, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "mqbench",
		Short:         "RocketMQ benchmark producer and consumer",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(producerCommand(ctx, stdout), consumerCommand(ctx, stdout))
	return root
}

// javaBoolArgs rewrites "-k true" as "-k=true" for every boolean flag of
// the subcommand named in args, as Java's commons-cli options take their
// value as the next word.
func javaBoolArgs(root *cobra.Command, args []string) []string {
	if len(args) == 0 {
		return args
	}
	sub, _, err := root.Find(args[:1])
	if err != nil || sub == root {
		return args
	}
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if i+1 < len(args) && strings.HasPrefix(a, "-") && !strings.Contains(a, "=") {
			next := strings.ToLower(args[i+1])
			if next == "true" || next == "false" {
				if f := lookupFlag(sub.Flags(), a); f != nil && f.Value.Type() == "bool" {
					out = append(out, a+"="+next)
					i++
					continue
				}
			}
		}
		out = append(out, a)
	}
	return out
}

func lookupFlag(fs *pflag.FlagSet, arg string) *pflag.Flag {
	if strings.HasPrefix(arg, "--") {
		return fs.Lookup(arg[2:])
	}
	name := arg[1:]
	if len(name) != 1 {
		return nil
	}
	return fs.ShorthandLookup(name)
}

// runCommand is a subcommand without arguments whose run reads the
// options its flags fill.
func runCommand(use, short string, run func() error) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error { return run() }}
}

// runOptions are the options of every run, producer or consumer.
type runOptions struct {
	namesrv    string
	topic      string
	quantity   int64 // 0 = until --duration
	duration   time.Duration
	interval   time.Duration
	reportJSON string
	trace      bool // -m: refused, no message trace in this suite
	acl        bool // -a: refused, no ACL in this suite
}

// addRunFlags defines the options of every run; quantity words -q.
func addRunFlags(f *pflag.FlagSet, o *runOptions, quantity string) {
	f.StringVarP(&o.namesrv, "namesrvAddr", "n", "", "Name server address list, eg: '127.0.0.1:9876;127.0.0.2:9876' (default $NAMESRV_ADDR)")
	f.StringVarP(&o.topic, "topic", "t", "BenchmarkTest", "Topic name")
	f.Int64VarP(&o.quantity, "messageQuantity", "q", 0, quantity)
	f.DurationVar(&o.duration, "duration", 10*time.Minute, "Stop after this long")
	f.DurationVar(&o.interval, "report-interval", time.Second, "Interval of the progress lines")
	f.StringVar(&o.reportJSON, "report-json", "", "Also write the JSON summary to this file")
	f.BoolVarP(&o.trace, "msgTraceEnable", "m", false, "Message trace (not supported: must be false)")
	f.BoolVarP(&o.acl, "aclEnable", "a", false, "ACL (not supported: must be false)")
}

// check makes the checks every run makes and returns the name server.
func (o *runOptions) check() (string, error) {
	ns, err := nameServer(o.namesrv)
	if err != nil {
		return "", err
	}
	if err := checkBounds(o.duration, o.interval); err != nil {
		return "", err
	}
	if err := checkUnsupported(o.trace, o.acl); err != nil {
		return "", err
	}
	return ns, nil
}

// nameServer returns -n, else $NAMESRV_ADDR.
func nameServer(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if env := os.Getenv("NAMESRV_ADDR"); env != "" {
		return env, nil
	}
	return "", &exitError{code: 1, msg: "no name server address: pass -n host:port or set NAMESRV_ADDR"}
}

// checkBounds validates the options every run has.
func checkBounds(duration, interval time.Duration) error {
	if duration <= 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("--duration must be positive, got %v", duration)}
	}
	if interval <= 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("--report-interval must be positive, got %v", interval)}
	}
	return nil
}

// checkUnsupported refuses Java options this suite has no feature for.
func checkUnsupported(trace, acl bool) error {
	switch {
	case trace:
		return &exitError{code: 1, msg: "-m msgTraceEnable: message trace is not supported by gorocket; pass -m false or leave it out"}
	case acl:
		return &exitError{code: 1, msg: "-a aclEnable: ACL is not supported by gorocket; pass -a false or leave it out"}
	}
	return nil
}

// writeReport writes the JSON summary to path ("" = nowhere, "-" = stdout
// is already covered by the RESULT line).
func writeReport(path string, js []byte) error {
	if path == "" || path == "-" {
		return nil
	}
	if err := os.WriteFile(path, append(js, '\n'), 0o644); err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("write report %s: %v", path, err)}
	}
	return nil
}

func nowString() string { return time.Now().Format("2006-01-02 15:04:05,000") }
