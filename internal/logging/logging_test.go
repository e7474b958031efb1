package logging

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestLoggingWritesUnderHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	lg, err := New("namesrv.log", Options{})
	require.NoError(t, err)
	lg.Info("hello", zap.String("topic", "TopicTest"))
	lg.Debug("not at info level")
	var out bytes.Buffer
	Announce(lg, &out, "The Name Server boot success. serializeType=JSON")
	require.NoError(t, lg.Sync())
	require.Equal(t, "The Name Server boot success. serializeType=JSON\n", out.String())

	b, err := os.ReadFile(filepath.Join(home, "logs", "rocketmqlogs", "namesrv.log"))
	require.NoError(t, err)
	s := string(b)
	require.Contains(t, s, "INFO")
	require.Contains(t, s, "hello")
	require.Contains(t, s, `"topic": "TopicTest"`)
	require.Contains(t, s, "The Name Server boot success. serializeType=JSON")
	require.NotContains(t, s, "not at info level")
}

func TestLoggingOptions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	var console bytes.Buffer
	lg, err := New("broker.log", Options{Dir: dir, Level: zapcore.DebugLevel, Console: &console})
	require.NoError(t, err)
	lg.Debug("debug line")
	require.NoError(t, lg.Sync())
	b, err := os.ReadFile(filepath.Join(dir, "broker.log"))
	require.NoError(t, err)
	require.Contains(t, string(b), "debug line")
	require.Contains(t, console.String(), "debug line")

	// A directory that cannot be created is an error at start.
	blocker := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o644))
	_, err = New("x.log", Options{Dir: filepath.Join(blocker, "sub")})
	require.ErrorContains(t, err, "create log directory")
}
