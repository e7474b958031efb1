package broker

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

func TestGroupTableDefaultsAndAutoCreate(t *testing.T) {
	dir := t.TempDir()
	g, err := NewSubscriptionGroupTable(dir, true, zaptest.NewLogger(t))
	require.NoError(t, err)
	for _, sys := range []string{"TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP", "CID_RMQ_SYS_TRANS"} {
		require.NotNil(t, g.Get(sys), sys)
	}
	require.Nil(t, g.Get("cg"))
	v0 := g.Snapshot().DataVersion

	c := g.FindOrCreate("cg")
	require.Equal(t, &protocol.SubscriptionGroupConfig{
		ConsumeBroadcastEnable: true, ConsumeEnable: true, ConsumeFromMinEnable: true, GroupName: "cg",
		NotifyConsumerIdsChangedEnable: true, RetryMaxTimes: 16, RetryQueueNums: 1, WhichBrokerWhenConsumeSlowly: 1,
	}, c)
	require.Equal(t, v0.Counter+1, g.Snapshot().DataVersion.Counter)
	_, err = os.Stat(filepath.Join(dir, "subscriptionGroup.json"))
	require.NoError(t, err)

	off, err := NewSubscriptionGroupTable(t.TempDir(), false, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.Nil(t, off.FindOrCreate("cg"))
	require.NotNil(t, off.FindOrCreate("CID_RMQ_SYS_OTHER"), "system groups are always created")
}

func TestGroupTableJavaShapes(t *testing.T) {
	// The GET_ALL_SUBSCRIPTIONGROUP_CONFIG body of wire-protocol.md §10.1.
	const golden = `{"dataVersion":{"counter":0,"timestamp":1700000000000},"subscriptionGroupTable":{"cg":{"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,"groupName":"cg","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}}}`
	dir := t.TempDir()
	g, err := NewSubscriptionGroupTable(dir, true, zaptest.NewLogger(t))
	require.NoError(t, err)
	var w protocol.SubscriptionGroupWrapper
	require.NoError(t, decodeLenientJSON([]byte(golden), &w))
	changed, err := g.Replace(w)
	require.NoError(t, err)
	require.True(t, changed)
	require.Equal(t, golden, string(g.Encode(false)))
	want, err := os.ReadFile(filepath.Join("testdata", "subscriptionGroup.java.json"))
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(dir, "subscriptionGroup.json"))
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))

	// A Java file loads, and members it lacks get Java's defaults.
	dir = t.TempDir()
	copyTestdata(t, "subscriptionGroup.java.json", dir, "subscriptionGroup.json")
	g, err = NewSubscriptionGroupTable(dir, false, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.Equal(t, protocol.NewSubscriptionGroupConfig("cg"), *g.Get("cg"))
	var partial protocol.SubscriptionGroupConfig
	require.NoError(t, decodeLenientJSON([]byte(`{"groupName":"p","retryMaxTimes":3}`), &partial))
	want2 := protocol.NewSubscriptionGroupConfig("p")
	want2.RetryMaxTimes = 3
	require.Equal(t, want2, partial)
}

func TestGroupTableUpdateDeleteRestart(t *testing.T) {
	dir := t.TempDir()
	lg := zaptest.NewLogger(t)
	g, err := NewSubscriptionGroupTable(dir, true, lg)
	require.NoError(t, err)
	c := protocol.NewSubscriptionGroupConfig("orders")
	c.RetryMaxTimes = 3
	c.ConsumeBroadcastEnable = false
	c.BrokerID = 1
	require.NoError(t, g.Update(c))
	require.NoError(t, g.Update(protocol.NewSubscriptionGroupConfig("gone")))
	existed, err := g.Delete("gone")
	require.NoError(t, err)
	require.True(t, existed)
	existed, err = g.Delete("gone")
	require.NoError(t, err)
	require.False(t, existed)

	re, err := NewSubscriptionGroupTable(dir, true, lg)
	require.NoError(t, err)
	require.Equal(t, &c, re.Get("orders"))
	require.Nil(t, re.Get("gone"))
	require.Equal(t, g.Snapshot().DataVersion, re.Snapshot().DataVersion)
	require.Contains(t, re.Names(), "orders")
}

func TestGroupTableDisableConsume(t *testing.T) {
	dir := t.TempDir()
	g, err := NewSubscriptionGroupTable(dir, true, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.NotNil(t, g.FindOrCreate("slow"))
	changed, err := g.DisableConsume("slow")
	require.NoError(t, err)
	require.True(t, changed)
	changed, err = g.DisableConsume("slow")
	require.NoError(t, err)
	require.False(t, changed)
	changed, err = g.DisableConsume("missing")
	require.NoError(t, err)
	require.False(t, changed)
	re, err := NewSubscriptionGroupTable(dir, true, zaptest.NewLogger(t))
	require.NoError(t, err)
	require.False(t, re.Get("slow").ConsumeEnable)
}
