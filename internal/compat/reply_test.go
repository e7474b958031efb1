package compat

import (
	"context"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/stretchr/testify/require"
)

// TestCompatRequestReply: the official client's Request gets the reply a
// consumer sends to <cluster>_REPLY_TOPIC, which the broker pushes back
// over the requester's connection (SEND_REPLY_MESSAGE,
// PUSH_REPLY_MESSAGE_TO_CLIENT).
func TestCompatRequestReply(t *testing.T) {
	c := startCluster(t)
	const topic, group = "CompatRequest", "compat_reply_cg"
	c.createTopic(t, topic, 1)
	replier := c.producer(t)

	pc, err := rocketmq.NewPushConsumer(
		consumer.WithNameServer([]string{c.NsAddr}),
		consumer.WithGroupName(group),
		consumer.WithInstance(instance("replier")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	)
	require.NoError(t, err)
	require.NoError(t, pc.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			for _, m := range msgs {
				reply, err := consumer.CreateReplyMessage(m, nil)
				if err != nil {
					return consumer.ConsumeRetryLater, err
				}
				// v2.1.2's CreateReplyMessage does not set the body.
				reply.Body = append([]byte("re: "), m.Body...)
				if _, err := replier.SendSync(ctx, reply); err != nil {
					return consumer.ConsumeRetryLater, err
				}
			}
			return consumer.ConsumeSuccess, nil
		}))
	require.NoError(t, pc.Start())
	t.Cleanup(func() { _ = pc.Shutdown() })

	requester := c.producer(t)
	// The broker pushes a reply to the requester's producer connection,
	// which it learns from the requester's heartbeat. A v2.1.2 client
	// heartbeats 1 s after start to the brokers it knows by then, and
	// Request only heartbeats for topics without a route: warm it up with
	// an ordinary send so its first heartbeat reaches the broker.
	_, err = requester.SendSync(context.Background(), primitive.NewMessage("CompatRequestWarmUp", []byte("warm")))
	require.NoError(t, err)
	var reply *primitive.Message
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		reply, err = requester.Request(ctx, 3*time.Second, primitive.NewMessage(topic, []byte("ping")))
		return err == nil
	}, 30*time.Second, 100*time.Millisecond, "a reply comes back")
	require.Equal(t, "re: ping", string(reply.Body))
	require.Equal(t, "DefaultCluster_REPLY_TOPIC", reply.Topic)
}
