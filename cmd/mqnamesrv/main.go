// Command mqnamesrv runs a RocketMQ 4.x-compatible name server
// (NamesrvStartup.java).
//
//	mqnamesrv [-c FILE] [-p] [key=value ...] [-Dkey=value ...]
//
// Settings come from the properties file, then from key=value arguments
// (Java ignores those; here they override the file). -p prints every
// effective setting and exits. Logs go to ~/logs/rocketmqlogs/namesrv.log;
// the boot line also goes to stdout. SIGINT and SIGTERM stop it cleanly.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/config"
	"github.com/gorocket/gorocket/internal/logging"
	"github.com/gorocket/gorocket/internal/namesrv"
)

// BootLine is what NamesrvStartup prints once the server accepts
// connections.
const BootLine = "The Name Server boot success. serializeType="

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	configFile string
	print      bool
	namesrv    string
	defines    []string
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	code := 0
	cmd := &cobra.Command{
		Use:           "mqnamesrv [key=value ...]",
		Short:         "RocketMQ name server",
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(_ *cobra.Command, positional []string) error {
			var err error
			code, err = serve(o, positional, stdout, stderr)
			return err
		},
	}
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	f := cmd.Flags()
	f.StringVarP(&o.configFile, "configFile", "c", "", "name server config properties file")
	f.BoolVarP(&o.print, "printConfigItem", "p", false, "print every config item and exit")
	f.StringVarP(&o.namesrv, "namesrvAddr", "n", "", "name server address list (accepted, unused by the name server)")
	f.StringArrayVarP(&o.defines, "define", "D", nil, "set a config key, as -Dkey=value")
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(stderr, "mqnamesrv:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// loadConfig builds the settings from the file and the arguments and
// returns warnings about keys nothing uses.
func loadConfig(o options, positional []string, stdout io.Writer) (namesrv.Config, []string, error) {
	var cfg namesrv.Config
	props := config.New()
	if o.configFile != "" {
		p, err := config.Load(o.configFile)
		if err != nil {
			return cfg, nil, err
		}
		props = p
		fmt.Fprintf(stdout, "load config properties file OK, %s\n", o.configFile)
	}
	if err := props.ApplyArgs(positional); err != nil {
		return cfg, nil, err
	}
	if err := props.ApplyArgs(o.defines); err != nil {
		return cfg, nil, err
	}
	if err := config.Decode(props, &cfg); err != nil {
		return cfg, nil, err
	}
	if o.configFile != "" {
		// UPDATE_NAMESRV_CONFIG rewrites the file the server started from.
		cfg.ConfigStorePath = o.configFile
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, err
	}
	var warnings []string
	known := config.KnownKeys(&cfg)
	for _, k := range props.Unused() {
		w := "unknown config key " + k + " ignored"
		if s := config.Suggest(k, known); s != "" {
			w += " (did you mean " + s + "?)"
		}
		warnings = append(warnings, w)
	}
	return cfg, warnings, nil
}

func serve(o options, positional []string, stdout, stderr io.Writer) (int, error) {
	cfg, warnings, err := loadConfig(o, positional, stdout)
	if err != nil {
		return 1, err
	}
	for _, w := range warnings {
		fmt.Fprintln(stderr, "mqnamesrv: warning:", w)
	}
	if o.print {
		if err := config.Print(stdout, &cfg); err != nil {
			return 1, err
		}
		return 0, nil
	}

	lg, err := logging.New("namesrv.log", logging.Options{})
	if err != nil {
		return 1, err
	}
	defer func() { _ = lg.Sync() }()
	for _, w := range warnings {
		lg.Warn(w)
	}
	keys, values := config.Values(&cfg)
	for _, k := range keys {
		lg.Info("config", zap.String("key", k), zap.String("value", values[k]))
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	srv, err := namesrv.New(cfg, lg)
	if err != nil {
		lg.Error("name server init failed", zap.Error(err))
		return 1, err
	}
	if err := srv.Start(); err != nil {
		lg.Error("name server start failed", zap.Error(err))
		return 1, err
	}
	logging.Announce(lg, stdout, BootLine+serializeType())
	lg.Info("name server listening", zap.String("addr", srv.Addr()))

	<-ctx.Done()
	start := time.Now()
	lg.Info("shutdown hook was invoked")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.Canceled) {
		lg.Error("name server shutdown failed", zap.Error(err))
		return 1, err
	}
	lg.Info("shutdown hook over", zap.Duration("took", time.Since(start)))
	return 0, nil
}

// serializeType is the header serialization named in the boot line
// (-Drocketmq.serialize.type / ROCKETMQ_SERIALIZE_TYPE, default JSON). The
// server always answers in the serialization of each request.
func serializeType() string {
	if v := strings.ToUpper(os.Getenv("ROCKETMQ_SERIALIZE_TYPE")); v == "ROCKETMQ" {
		return v
	}
	return "JSON"
}
