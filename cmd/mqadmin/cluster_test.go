package main

import (
	"os"
	"testing"

	"github.com/gorocket/gorocket/internal/testproc"
)

// The tests run the real binaries: mqnamesrv, mqbroker and mqadmin, built
// once by testproc. One name server and one broker (stores in a temporary
// directory) serve every test of the package; tests use their own topics
// and groups.

func TestMain(m *testing.M) { os.Exit(testproc.Main(m)) }

// sharedCluster starts the package's name server and broker once.
func sharedCluster(t *testing.T) *testproc.Cluster {
	t.Helper()
	testproc.Binaries(t, "mqadmin", "mqnamesrv", "mqbroker") // one build for all three
	return testproc.SharedCluster(t, "broker-test", "mappedFileSizeCommitLog=67108864")
}

// tool runs the binary name with args and the environment env
// (NAMESRV_ADDR is cleared unless env sets it).
func tool(t *testing.T, name string, env []string, args ...string) testproc.Result {
	t.Helper()
	testproc.Binaries(t, "mqadmin", "mqnamesrv", "mqbroker")
	return testproc.Tool(t, name, env, args...)
}
