// Command mqbroker runs a RocketMQ 4.9.8-compatible broker (BrokerStartup).
//
//	mqbroker [-c FILE] [-n ADDRS] [-p | -m] [key=value ...]
//
// The properties file is read as java.util.Properties; -n, $NAMESRV_ADDR
// and key=value arguments override it. -p prints every effective setting
// and exits, -m only the important ones. Logs go to
// ~/logs/rocketmqlogs/broker.log; the boot line goes to stdout. SIGTERM or
// SIGINT shut the broker down cleanly (unregister, persist, close the
// store) and exit 0.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/broker"
	"github.com/gorocket/gorocket/internal/config"
	"github.com/gorocket/gorocket/internal/logging"
	"github.com/gorocket/gorocket/internal/store"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command-line flags of mqbroker.
type options struct {
	configFile string
	namesrv    string
	printAll   bool
	printImp   bool
}

// run is main without os.Exit, for tests.
func run(args []string, stdout, stderr io.Writer) int {
	var opts options
	code := 0
	cmd := &cobra.Command{
		Use:           "mqbroker [-c FILE] [-n ADDRS] [-p|-m] [key=value ...]",
		Short:         "Start a RocketMQ broker",
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(_ *cobra.Command, kv []string) error {
			code = start(opts, kv, stdout, stderr)
			return nil
		},
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	cmd.SetArgs(args)
	f := cmd.Flags()
	f.StringVarP(&opts.configFile, "configFile", "c", "", "Broker config properties file")
	f.StringVarP(&opts.namesrv, "namesrvAddr", "n", "", "Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'")
	f.BoolVarP(&opts.printAll, "printConfigItem", "p", false, "Print all config items")
	f.BoolVarP(&opts.printImp, "printImportantConfig", "m", false, "Print important config items")
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(stderr, err)
		fmt.Fprintln(stderr, cmd.UsageString())
		return 1
	}
	return code
}

// loadConfigs builds the broker's and the store's configs from the file,
// $NAMESRV_ADDR, -n and key=value arguments, and returns the warnings for
// keys that will not do what they seem to.
func loadConfigs(opts options, kv []string) (*broker.Config, *store.Config, []string, error) {
	props := config.New()
	if opts.configFile != "" {
		p, err := config.Load(opts.configFile)
		if err != nil {
			return nil, nil, nil, err
		}
		props = p
	}
	if err := props.ApplyArgs(kv); err != nil {
		return nil, nil, nil, err
	}
	props.ApplyNamesrvAddr(opts.namesrv)
	var warnings []string
	for old, cur := range broker.KeyAliases {
		if props.Alias(old, cur) {
			warnings = append(warnings, fmt.Sprintf("config key %s is the old spelling of %s; read as %s", old, cur, cur))
		}
	}
	m := make(map[string]string)
	for _, k := range props.Keys() {
		m[k], _ = props.Get(k)
	}
	bcfg, err := broker.DecodeConfig(m)
	if err != nil {
		return nil, nil, nil, err
	}
	var scfg store.Config
	if err := config.Decode(props, &scfg); err != nil {
		return nil, nil, nil, err
	}
	if err := scfg.Validate(); err != nil {
		return nil, nil, nil, err
	}
	storeKeys := config.KnownKeys(&scfg)
	var unknown []string
	for _, k := range props.Keys() {
		unknown = append(unknown, k)
	}
	warnings = append(warnings, broker.WarnKeys(unknown, storeKeys)...)
	return bcfg, &scfg, warnings, nil
}

// importantKeys are the settings -m prints (Java's @ImportantField set).
var importantKeys = map[string]bool{
	"rocketmqHome": true, "namesrvAddr": true, "brokerIP1": true, "brokerName": true,
	"brokerClusterName": true, "brokerId": true, "brokerRole": true, "brokerPermission": true,
	"autoCreateTopicEnable": true, "autoCreateSubscriptionGroup": true, "defaultTopicQueueNums": true,
	"listenPort": true, "storePathRootDir": true, "storePathCommitLog": true, "flushDiskType": true,
	"mappedFileSizeCommitLog": true, "mappedFileSizeConsumeQueue": true, "deleteWhen": true,
	"fileReservedTime": true, "maxMessageSize": true, "longPollingEnable": true,
}

func printConfig(w io.Writer, bcfg *broker.Config, scfg *store.Config, important bool) error {
	if !important {
		return config.Print(w, bcfg, scfg)
	}
	keys, values := config.Values(bcfg, scfg)
	sort.Strings(keys)
	for _, k := range keys {
		if importantKeys[k] {
			if _, err := fmt.Fprintf(w, "%s=%s\n", k, values[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// start runs the broker until a signal and returns the exit code.
func start(opts options, kv []string, stdout, stderr io.Writer) int {
	bcfg, scfg, warnings, err := loadConfigs(opts, kv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	for _, w := range warnings {
		fmt.Fprintln(stderr, "WARNING: "+w)
	}
	if opts.printAll || opts.printImp {
		if err := printConfig(stdout, bcfg, scfg, opts.printImp); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}
	lg, err := logging.New("broker.log", logging.Options{})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer lg.Sync()
	for _, w := range warnings {
		lg.Warn(w)
	}
	keys, values := config.Values(bcfg, scfg)
	for _, k := range keys {
		lg.Info("config", zap.String("key", k), zap.String("value", values[k]))
	}

	b, err := broker.New(*bcfg, *scfg, lg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	if err := b.Start(); err != nil {
		lg.Error("broker start failed", zap.Error(err))
		fmt.Fprintln(stderr, err)
		return 1
	}
	line := fmt.Sprintf("The broker[%s, %s] boot success. serializeType=JSON", bcfg.BrokerName, b.BrokerAddr())
	if bcfg.NamesrvAddr != "" {
		line += " and name server is " + bcfg.NamesrvAddr
	}
	logging.Announce(lg, stdout, line)

	sig := <-sigs
	lg.Info("shutdown hook was invoked", zap.String("signal", sig.String()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		lg.Error("broker shutdown", zap.Error(err))
		fmt.Fprintln(stderr, err)
		return 1
	}
	lg.Info("shutdown hook over")
	return 0
}
