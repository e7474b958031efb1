package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gorocket/gorocket/internal/client"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// option is one commons-cli option of a sub command.
type option struct {
	short, long string
	hasArg      bool
	required    bool
	desc        string
}

// subCommand is one mqadmin sub command (SubCommand.java).
type subCommand struct {
	name, desc string
	options    []option
	// oneOf names options of which at least one is required (a required
	// OptionGroup in Java), e.g. "b", "c".
	oneOf []string
	run   func(e *env) error
}

// commands is the table of sub commands, in the order the help lists them.
var commands = []*subCommand{
	updateTopicCmd, deleteTopicCmd, topicListCmd, topicRouteCmd, topicStatusCmd,
	clusterListCmd, updateSubGroupCmd, deleteSubGroupCmd, consumerProgressCmd, consumerConnectionCmd,
	queryMsgByIDCmd, queryMsgByKeyCmd, brokerStatusCmd, getBrokerConfigCmd, updateBrokerConfigCmd,
	sendMessageCmd, consumeMessageCmd,
	topicClusterListCmd, wipeWritePermCmd, addWritePermCmd, resetOffsetByTimeCmd, cloneGroupOffsetCmd,
	queryMsgByOffsetCmd, queryMsgByUniqueKeyCmd, producerConnectionCmd, updateKvConfigCmd, deleteKvConfigCmd,
	updateTopicPermCmd, checkMsgSendRTCmd, sendMsgStatusCmd,
}

func findCommand(name string) *subCommand {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// usageError is a command-line mistake: its message, then the usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// env is what a running sub command sees: its parsed options and the
// admin client, made on first use.
type env struct {
	ctx     context.Context
	out     io.Writer
	errOut  io.Writer
	cmd     *subCommand
	flags   *pflag.FlagSet
	timeout time.Duration
	adm     *client.Admin
}

// run is main without os.Exit, for tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printHelp(stdout)
		return 0
	}
	switch name := args[0]; {
	case name == "help":
		if len(args) < 2 {
			printHelp(stdout)
			return 0
		}
		c := findCommand(args[1])
		if c == nil {
			fmt.Fprintf(stderr, "The sub command %s not exist.\n", args[1])
			return 1
		}
		printUsage(stdout, c)
		return 0
	case findCommand(name) == nil:
		fmt.Fprintf(stderr, "The sub command %s not exist.\n", name)
		printHelp(stderr)
		return 1
	}
	return runCommand(ctx, findCommand(args[0]), args[1:], stdout, stderr)
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "The most commonly used mqadmin commands are:")
	for _, c := range commands {
		fmt.Fprintf(w, "   %-20s %s\n", c.name, c.desc)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "See 'mqadmin help <command>' for more information on a specific command.")
}

// allOptions are a command's options plus the common -n and -h.
func allOptions(c *subCommand) []option {
	opts := append([]option{
		{"h", "help", false, false, "Print help"},
		{"n", "namesrvAddr", true, false, "Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'"},
	}, c.options...)
	sort.SliceStable(opts, func(i, j int) bool { return opts[i].short < opts[j].short })
	return opts
}

// printUsage prints a command's options the way commons-cli's
// HelpFormatter does.
func printUsage(w io.Writer, c *subCommand) {
	var b strings.Builder
	b.WriteString("usage: mqadmin " + c.name)
	for _, o := range allOptions(c) {
		arg := ""
		if o.hasArg {
			arg = " <arg>"
		}
		if o.required {
			b.WriteString(" -" + o.short + arg)
		} else {
			b.WriteString(" [-" + o.short + arg + "]")
		}
	}
	fmt.Fprintln(w, b.String())
	for _, o := range allOptions(c) {
		left := "-" + o.short + ",--" + o.long
		if o.hasArg {
			left += " <arg>"
		}
		fmt.Fprintf(w, " %-36s %s\n", left, o.desc)
	}
}

func runCommand(ctx context.Context, c *subCommand, args []string, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, out: stdout, errOut: stderr, cmd: c, timeout: 30 * time.Second}
	cc := &cobra.Command{
		Use:           c.name,
		Short:         c.desc,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if help, _ := cmd.Flags().GetBool("help"); help {
				printUsage(stdout, c)
				return nil
			}
			if err := e.checkRequired(); err != nil {
				return err
			}
			defer e.close()
			return c.run(e)
		},
	}
	cc.SetOut(stdout)
	cc.SetErr(stderr)
	cc.SetArgs(args)
	cc.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{msg: flagError(err)} })
	cc.SetHelpFunc(func(*cobra.Command, []string) { printUsage(stdout, c) })
	f := cc.Flags()
	f.DurationVar(&e.timeout, "timeout", 30*time.Second, "Give up a command after this long")
	for _, o := range allOptions(c) {
		if o.hasArg {
			f.StringP(o.long, o.short, "", o.desc)
		} else {
			f.BoolP(o.long, o.short, false, o.desc)
		}
	}
	e.flags = f
	err := cc.Execute()
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, ue.msg)
		printUsage(stderr, c)
		return 1
	default:
		fmt.Fprintf(stderr, "%s command failed: %v\n", c.name, err)
		return 1
	}
}

// flagError words a pflag parse error as commons-cli does.
func flagError(err error) string {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "unknown shorthand flag: "):
		// unknown shorthand flag: 'z' in -z
		if i := strings.LastIndex(msg, " in "); i >= 0 {
			return "Unrecognized option: " + msg[i+4:]
		}
	case strings.HasPrefix(msg, "unknown flag: "):
		return "Unrecognized option: " + strings.TrimPrefix(msg, "unknown flag: ")
	case strings.Contains(msg, "needs an argument"):
		// flag needs an argument: 't' in -t
		if i := strings.LastIndex(msg, " in "); i >= 0 {
			return "Missing argument for option: " + strings.TrimLeft(msg[i+4:], "-")
		}
	}
	return msg
}

// checkRequired reports missing required options as commons-cli does.
func (e *env) checkRequired() error {
	var missing []string
	for _, o := range e.cmd.options {
		if o.required && !e.has(o.short) {
			missing = append(missing, o.short)
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		return &usageError{msg: "Missing required option: " + missing[0]}
	default:
		return &usageError{msg: "Missing required options: " + strings.Join(missing, ", ")}
	}
	if len(e.cmd.oneOf) > 0 {
		for _, s := range e.cmd.oneOf {
			if e.has(s) {
				return nil
			}
		}
		return &usageError{msg: "Missing required option: one of -" + strings.Join(e.cmd.oneOf, " or -")}
	}
	return nil
}

func (e *env) flagOf(short string) *pflag.Flag { return e.flags.ShorthandLookup(short) }

// has reports whether the option was given.
func (e *env) has(short string) bool {
	f := e.flagOf(short)
	return f != nil && f.Changed
}

// str returns an option's trimmed value, "" when not given.
func (e *env) str(short string) string {
	f := e.flagOf(short)
	if f == nil || !f.Changed {
		return ""
	}
	return strings.TrimSpace(f.Value.String())
}

// integer parses an option, or returns def when it is absent.
func (e *env) integer(short string, def int64) (int64, error) {
	if !e.has(short) {
		return def, nil
	}
	v, err := strconv.ParseInt(e.str(short), 10, 64)
	if err != nil {
		return 0, &usageError{msg: fmt.Sprintf("option -%s (%s) is not a number: %q", short, e.flagOf(short).Name, e.str(short))}
	}
	return v, nil
}

// boolean parses an option's "true"/"false" value (Java's
// Boolean.parseBoolean: anything but "true" is false).
func (e *env) boolean(short string, def bool) bool {
	if !e.has(short) {
		return def
	}
	if f := e.flagOf(short); f.Value.Type() == "bool" {
		return f.Value.String() == "true"
	}
	return strings.EqualFold(e.str(short), "true")
}

// nameServer returns -n, else $NAMESRV_ADDR.
func (e *env) nameServer() (string, error) {
	if ns := e.str("n"); ns != "" {
		return ns, nil
	}
	if ns := strings.TrimSpace(os.Getenv("NAMESRV_ADDR")); ns != "" {
		return ns, nil
	}
	return "", errors.New("no name server address: pass -n host:port or set NAMESRV_ADDR")
}

func (e *env) clientConfig() (client.ClientConfig, error) {
	ns, err := e.nameServer()
	if err != nil {
		return client.ClientConfig{}, err
	}
	return client.ClientConfig{NameServers: []string{ns}, InstanceName: "mqadmin-" + strconv.Itoa(os.Getpid())}, nil
}

// admin returns the admin client, made on first use.
func (e *env) admin() (*client.Admin, error) {
	if e.adm != nil {
		return e.adm, nil
	}
	cfg, err := e.clientConfig()
	if err != nil {
		return nil, err
	}
	a, err := client.NewAdmin(client.AdminConfig{ClientConfig: cfg}, nil)
	if err != nil {
		return nil, err
	}
	e.adm = a
	return a, nil
}

func (e *env) close() {
	if e.adm != nil {
		_ = e.adm.Close()
	}
}

// call gives one admin call the command's deadline.
func (e *env) call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(e.ctx, e.timeout)
}

// withAdmin runs f with the admin client and a context bounded by the
// command's --timeout.
func (e *env) withAdmin(f func(ctx context.Context, a *client.Admin) error) error {
	a, err := e.admin()
	if err != nil {
		return err
	}
	ctx, cancel := e.call()
	defer cancel()
	return f(ctx, a)
}

// adminRun is the run of a sub command that needs the admin client and
// the command's deadline before anything else.
func adminRun(f func(e *env, ctx context.Context, a *client.Admin) error) func(*env) error {
	return func(e *env) error {
		return e.withAdmin(func(ctx context.Context, a *client.Admin) error { return f(e, ctx, a) })
	}
}

// targetRun is the run of a sub command that calls f, with the admin
// client and the command's deadline, for -b or for the master of every
// broker of -c.
func targetRun(f func(e *env, ctx context.Context, a *client.Admin, addr string) error) func(*env) error {
	return adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		return e.eachTarget(ctx, func(addr string) error { return f(e, ctx, a, addr) })
	})
}

// masterAddrs returns the master address of every broker of a cluster.
func (e *env) masterAddrs(ctx context.Context, cluster string) ([]string, error) {
	a, err := e.admin()
	if err != nil {
		return nil, err
	}
	ci, err := a.ClusterInfo(ctx)
	if err != nil {
		return nil, err
	}
	names, ok := ci.ClusterAddrTable[cluster]
	if !ok {
		return nil, fmt.Errorf("cluster [%s] not exist", cluster)
	}
	var out []string
	for _, n := range names {
		if bd := ci.BrokerAddrTable[n]; bd != nil && bd.BrokerAddrs[0] != "" {
			out = append(out, bd.BrokerAddrs[0])
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return nil, fmt.Errorf("cluster [%s] has no master broker", cluster)
	}
	return out, nil
}

// eachTarget calls f for -b, or for the master of every broker of -c in
// address order, and stops at the first error.
func (e *env) eachTarget(ctx context.Context, f func(addr string) error) error {
	if b := e.str("b"); b != "" {
		return f(b)
	}
	return e.eachMaster(ctx, e.str("c"), f)
}

// eachMaster calls f for the master of every broker of cluster in address
// order, and stops at the first error.
func (e *env) eachMaster(ctx context.Context, cluster string, f func(addr string) error) error {
	addrs, err := e.masterAddrs(ctx, cluster)
	if err != nil {
		return err
	}
	for _, addr := range addrs {
		if err := f(addr); err != nil {
			return err
		}
	}
	return nil
}

// javaTime formats ms like UtilAll.timeMillisToHumanString2.
func javaTime(ms int64) string {
	return time.UnixMilli(ms).Format("2006-01-02 15:04:05,000")
}
