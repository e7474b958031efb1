package logging

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"gopkg.in/natefinch/lumberjack.v2"
)

// Options tunes New. The zero value gives RocketMQ's layout: the file under
// $HOME/logs/rocketmqlogs, info level, 1 GiB per file, 10 rolled files
// (logback_namesrv.xml and logback_broker.xml keep 1 GiB × 10).
type Options struct {
	Dir        string        // "" means $HOME/logs/rocketmqlogs
	Level      zapcore.Level // zero value is info
	MaxSizeMB  int           // 0 means 1024
	MaxBackups int           // 0 means 10
	Compress   bool          // gzip rolled files
	// Console, when set, also receives every entry (e.g. os.Stderr while
	// debugging). Boot lines go to stdout through Announce either way.
	Console io.Writer
}

// DefaultDir returns $HOME/logs/rocketmqlogs.
func DefaultDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("log directory: %w", err)
	}
	return filepath.Join(home, "logs", "rocketmqlogs"), nil
}

// New returns a logger writing to <dir>/<file> (e.g. "namesrv.log"),
// creating the directory. Call Sync before exit.
func New(file string, opts Options) (*zap.Logger, error) {
	dir := opts.Dir
	if dir == "" {
		var err error
		if dir, err = DefaultDir(); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create log directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, file)
	// Open once now so a bad path fails at start, not on the first entry.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log file: %w", err)
	}
	_ = f.Close()
	lj := &lumberjack.Logger{
		Filename:   path,
		MaxSize:    orDefault(opts.MaxSizeMB, 1024),
		MaxBackups: orDefault(opts.MaxBackups, 10),
		Compress:   opts.Compress,
	}
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.TimeKey = "time"
	encCfg.EncodeTime = zapcore.TimeEncoderOfLayout("2006-01-02 15:04:05.000")
	encCfg.EncodeLevel = zapcore.CapitalLevelEncoder
	enc := zapcore.NewConsoleEncoder(encCfg)
	level := zap.NewAtomicLevelAt(opts.Level)
	core := zapcore.NewCore(enc, zapcore.AddSync(lj), level)
	if opts.Console != nil {
		core = zapcore.NewTee(core, zapcore.NewCore(enc, zapcore.AddSync(opts.Console), level))
	}
	return zap.New(core, zap.AddCaller(), zap.ErrorOutput(zapcore.AddSync(os.Stderr))), nil
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// Announce prints line on w (stdout in the binaries) and logs it at info,
// as RocketMQ prints its boot line to the console and to its log.
func Announce(lg *zap.Logger, w io.Writer, line string) {
	if lg != nil {
		lg.Info(line)
	}
	if w != nil {
		_, _ = fmt.Fprintln(w, line)
	}
}
