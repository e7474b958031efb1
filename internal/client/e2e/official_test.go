package e2e

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/message"
)

// Our client and the official Go client v2.1.2 read each other's messages
// through the real broker: its producer's properties (trailing separators,
// its UNIQ_KEY form) reach our consumer, and ours reach its consumer.
func TestPushConsumerOfficialGoClientInterop(t *testing.T) {
	rlog.SetLogLevel("error")
	e := startEnv(t)
	e.createTopic("InteropA", 2)
	e.createTopic("InteropB", 2)
	ctx := context.Background()

	op, err := rocketmq.NewProducer(producer.WithNameServer([]string{e.ns.Addr()}), producer.WithGroupName("official-pg"),
		producer.WithInstanceName(fmt.Sprint("official-p-", time.Now().UnixNano())))
	require.NoError(t, err)
	require.NoError(t, op.Start())
	defer op.Shutdown()
	var theirIDs []string
	for i := 0; i < 5; i++ {
		m := primitive.NewMessage("InteropA", []byte(fmt.Sprint("theirs", i)))
		m.WithTag("TagA")
		m.WithKeys([]string{fmt.Sprint("k", i)})
		res, err := op.SendSync(ctx, m)
		require.NoError(t, err)
		require.Equal(t, primitive.SendOK, res.Status)
		theirIDs = append(theirIDs, res.MsgID)
	}
	var got collector
	e.pushConsumer(client.ConsumerConfig{Group: "ours-cg", FromWhere: client.ConsumeFromFirstOffset}, "InteropA", "TagA", got.handle)
	require.Eventually(t, func() bool { return len(got.bodies()) == 5 }, 30*time.Second, 20*time.Millisecond)
	got.mu.Lock()
	var ids []string
	for _, m := range got.msgs {
		ids = append(ids, m.ClientMsgID())
		require.Equal(t, "TagA", m.Tags())
		require.NotEmpty(t, m.Properties[message.PropertyKeys])
	}
	got.mu.Unlock()
	slices.Sort(ids)
	slices.Sort(theirIDs)
	require.Equal(t, theirIDs, slices.Compact(ids))

	// Ours to theirs.
	p := e.producer("ours-pg")
	var ourIDs []string
	for i := 0; i < 5; i++ {
		m := &message.Message{Topic: "InteropB", Body: []byte(fmt.Sprint("ours", i))}
		m.SetProperty(message.PropertyTags, "TagB")
		r, err := p.Send(ctx, m)
		require.NoError(t, err)
		ourIDs = append(ourIDs, r.MsgID)
	}
	var mu sync.Mutex
	var theirGot []string
	oc, err := rocketmq.NewPushConsumer(consumer.WithNameServer([]string{e.ns.Addr()}), consumer.WithGroupName("official-cg"),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset), consumer.WithInstance(fmt.Sprint("official-c-", time.Now().UnixNano())))
	require.NoError(t, err)
	require.NoError(t, oc.Subscribe("InteropB", consumer.MessageSelector{Type: consumer.TAG, Expression: "TagB"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				theirGot = append(theirGot, m.MsgId)
			}
			return consumer.ConsumeSuccess, nil
		}))
	require.NoError(t, oc.Start())
	defer oc.Shutdown()
	slices.Sort(ourIDs)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		c := slices.Clone(theirGot)
		slices.Sort(c)
		return slices.Equal(ourIDs, slices.Compact(c))
	}, 60*time.Second, 50*time.Millisecond)
}
