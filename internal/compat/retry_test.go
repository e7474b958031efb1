package compat

import (
	"context"
	"sync"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/require"
)

// TestCompatRetryRedelivers: a message the consumer fails is sent back
// (CONSUMER_SEND_MSG_BACK), waits out its delay level in
// SCHEDULE_TOPIC_XXXX and comes back through %RETRY%<group>.
func TestCompatRetryRedelivers(t *testing.T) {
	c := startCluster(t, "messageDelayLevel=1s 1s 1s 1s 1s")
	const topic, group = "CompatRetry", "compat_retry_cg"
	c.createTopic(t, topic, 1)
	// The broker creates %RETRY%<group> on the consumer's first heartbeat,
	// after the client has fetched its routes; the Go client would only see
	// it at its next 30 s route poll. Create it first, as a deployment that
	// has run the group before has it.
	c.createTopic(t, "%RETRY%"+group, 1)

	var mu sync.Mutex
	var attempts []int32
	pc, err := rocketmq.NewPushConsumer(
		consumer.WithNameServer([]string{c.NsAddr}),
		consumer.WithGroupName(group),
		consumer.WithInstance(instance("retry")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				require.Equal(t, topic, m.Topic, "the client restores the original topic")
				require.Equal(t, "try me twice", string(m.Body))
				attempts = append(attempts, m.ReconsumeTimes)
			}
			if len(attempts) == 1 {
				return consumer.ConsumeRetryLater, nil
			}
			return consumer.ConsumeSuccess, nil
		}))
	require.NoError(t, pc.Start())
	t.Cleanup(func() { _ = pc.Shutdown() })

	p := c.producer(t)
	res, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("try me twice")))
	require.NoError(t, err)
	require.Equal(t, primitive.SendOK, res.Status)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(attempts) >= 2
	}, 40*time.Second, 20*time.Millisecond, "the failed message comes back")
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []int32{0, 1}, attempts[:2])
}
