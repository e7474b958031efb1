package broker

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

func TestMetaProcessorSlaveSync(t *testing.T) {
	master := newMetaEnv(t, nil)
	master.srv.Register(protocol.GetAllDelayOffset, func(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
		resp := remoting.NewResponse(req, protocol.Success, "")
		resp.Body = []byte(`{"offsetTable":{1:5,3:0}}`)
		return resp
	}, nil)
	require.NoError(t, master.d.Topics.Update(protocol.NewTopicConfig("TopicTest", 4, 4, 6)))
	g := protocol.NewSubscriptionGroupConfig("cg")
	g.RetryMaxTimes = 2
	require.NoError(t, master.d.Groups.Update(g))
	master.d.Offsets.CommitOffset("h", "cg", "TopicTest", 0, 12)
	master.d.Offsets.CommitOffset("h", "cg", "TopicTest", 1, 7)

	lg := zaptest.NewLogger(t)
	dir := t.TempDir()
	cfg := testConfig()
	slaveTopics, err := NewTopicTable(dir, cfg, lg)
	require.NoError(t, err)
	slaveGroups, err := NewSubscriptionGroupTable(dir, true, lg)
	require.NoError(t, err)
	slaveOffsets, err := NewConsumerOffsetTable(dir, lg)
	require.NoError(t, err)
	slaveOffsets.CommitOffset("h", "cg", "TopicTest", 1, 99) // overwritten by the master
	slaveOffsets.CommitOffset("h", "local", "TopicTest", 0, 3)
	cli := remoting.NewClient(remoting.ClientConfig{}, lg)
	t.Cleanup(func() { _ = cli.Close() })
	var delay []byte
	s := &SlaveSync{
		Client: cli, Topics: slaveTopics, Groups: slaveGroups, Offsets: slaveOffsets, Logger: lg,
		DelayOffset: func(text []byte) error { delay = text; return nil },
		TopicAddr:   func(a string) string { return a }, // the test master has one port
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, s.SyncAll(ctx, master.addr))

	require.Equal(t, master.d.Topics.Get("TopicTest"), slaveTopics.Get("TopicTest"))
	require.Equal(t, master.d.Topics.DataVersion(), slaveTopics.DataVersion())
	require.Equal(t, master.d.Groups.Get("cg"), slaveGroups.Get("cg"))
	require.Equal(t, master.d.Groups.Snapshot().DataVersion, slaveGroups.Snapshot().DataVersion)
	require.Equal(t, map[int32]int64{0: 12, 1: 7}, slaveOffsets.QueryAllOffsets("cg", "TopicTest"))
	require.Equal(t, int64(3), slaveOffsets.QueryOffset("local", "TopicTest", 0))
	require.Equal(t, `{"offsetTable":{1:5,3:0}}`, string(delay))

	// Persisted on the slave.
	re, err := NewConsumerOffsetTable(dir, lg)
	require.NoError(t, err)
	require.Equal(t, int64(12), re.QueryOffset("cg", "TopicTest", 0))
	reTopics, err := NewTopicTable(dir, cfg, lg)
	require.NoError(t, err)
	require.NotNil(t, reTopics.Get("TopicTest"))

	// An unreachable master: every step reports, nothing changes.
	s.TopicAddr = nil
	err = s.SyncAll(ctx, "127.0.0.1:1")
	require.Error(t, err)
	require.Contains(t, err.Error(), "GET_ALL_CONSUMER_OFFSET")
	require.NotNil(t, slaveTopics.Get("TopicTest"))
}

func TestMetaProcessorFastAddr(t *testing.T) {
	require.Equal(t, "10.0.0.1:10909", FastAddr("10.0.0.1:10911"))
	require.Equal(t, "[::1]:10909", FastAddr("[::1]:10911"))
	require.Equal(t, "bad", FastAddr("bad"))
}
