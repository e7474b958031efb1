package compat

import (
	"os"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/testproc"
)

// The tests run real mqnamesrv and mqbroker processes, built once by
// testproc; each test starts its own cluster.

func TestMain(m *testing.M) {
	rlog.SetLogLevel("error")
	os.Exit(testproc.Main(m))
}

// cluster is a name server and one broker, each a real process, killed
// when the test ends.
type cluster struct {
	*testproc.Cluster
	t *testing.T
}

const brokerName = "broker-a"

// startCluster boots mqnamesrv and mqbroker; extra are broker key=value
// settings.
func startCluster(t *testing.T, extra ...string) *cluster {
	t.Helper()
	settings := append([]string{
		"brokerClusterName=DefaultCluster",
		"mappedFileSizeCommitLog=16777216",
		"mappedFileSizeConsumeQueue=60000",
		"flushConsumerOffsetInterval=1000",
	}, extra...)
	tc, err := testproc.StartCluster(testproc.Binaries(t, "mqnamesrv", "mqbroker"), t.TempDir(), brokerName, settings...)
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	c := &cluster{Cluster: tc, t: t}
	c.requireBootLine()
	return c
}

// startBroker restarts the broker on the same port and store.
func (c *cluster) startBroker() {
	c.t.Helper()
	require.NoError(c.t, c.StartBroker())
	c.requireBootLine()
}

func (c *cluster) requireBootLine() {
	c.t.Helper()
	require.Contains(c.t, c.Broker.Output(), "The broker["+brokerName+", "+c.BrokerAddr()+"] boot success. serializeType=JSON and name server is "+c.NsAddr,
		"unexpected boot line")
}
