package broker

import (
	"context"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// TestMetaProcessorGoAdmin drives the metadata processors with the
// official Go client v2.1.2's admin API: UPDATE_AND_CREATE_TOPIC with the
// Go client's header encoding, GET_ALL_SUBSCRIPTIONGROUP_CONFIG parsed by
// its encoding/json decoder, DELETE_TOPIC_IN_BROKER.
func TestMetaProcessorGoAdmin(t *testing.T) {
	rlog.SetLogLevel("error")
	e := newMetaEnv(t, nil)
	// The resolver's address is never dialled: every call names its target.
	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{"127.0.0.1:1"})))
	require.NoError(t, err)
	t.Cleanup(func() { _ = adm.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	require.NoError(t, adm.CreateTopic(ctx, admin.WithTopicCreate("GoTopic"), admin.WithBrokerAddrCreate(e.addr),
		admin.WithReadQueueNums(4), admin.WithWriteQueueNums(4)))
	require.Equal(t, &protocol.TopicConfig{Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4, TopicFilterType: "SINGLE_TAG", TopicName: "GoTopic"},
		e.d.Topics.Get("GoTopic"))

	g := protocol.NewSubscriptionGroupConfig("goGroup")
	g.RetryMaxTimes = 5
	g.BrokerID = 1
	require.NoError(t, e.d.Groups.Update(g))
	w, err := adm.GetAllSubscriptionGroup(ctx, e.addr, 3*time.Second)
	require.NoError(t, err)
	got, ok := w.SubscriptionGroupTable["goGroup"]
	require.True(t, ok)
	require.Equal(t, "goGroup", got.GroupName)
	require.Equal(t, 5, got.RetryMaxTimes)
	require.Equal(t, 1, got.BrokerId)
	require.True(t, got.ConsumeEnable)
	require.Equal(t, int32(e.d.Groups.Snapshot().DataVersion.Counter), w.DataVersion.Counter)

	// DeleteTopic also sends DELETE_TOPIC_IN_NAMESRV; pointed at this
	// server it is answered REQUEST_CODE_NOT_SUPPORTED, which the admin
	// ignores.
	require.NoError(t, adm.DeleteTopic(ctx, admin.WithTopicDelete("GoTopic"), admin.WithBrokerAddrDelete(e.addr),
		admin.WithNameSrvAddr([]string{e.addr})))
	require.Nil(t, e.d.Topics.Get("GoTopic"))
}
