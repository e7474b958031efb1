package e2e

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/message"
)

func TestPushConsumerRealBrokerOrderly(t *testing.T) {
	e := startEnv(t)
	e.createTopic("TopicOrd", 4)
	p := e.producer("pg")
	const orders, perOrder = 3, 10

	var mu sync.Mutex
	seen := map[int][]int{} // order -> sequence numbers in consumption order
	failedOnce := false
	h := func(_ context.Context, msgs []*message.MessageExt) client.ConsumeResult {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			var o, s int
			_, err := fmt.Sscanf(string(m.Body), "%d-%d", &o, &s)
			require.NoError(t, err)
			if o == 1 && s == 4 && !failedOnce {
				failedOnce = true // the queue pauses and retries this message first
				return client.ConsumeRetryLater
			}
			seen[o] = append(seen[o], s)
		}
		return client.ConsumeSuccess
	}
	pc := e.pushConsumer(client.ConsumerConfig{Group: "ord-g", Orderly: true, FromWhere: client.ConsumeFromFirstOffset,
		SuspendCurrentQueueTime: 50 * time.Millisecond, LockInterval: 200 * time.Millisecond}, "TopicOrd", "*", h)
	require.Eventually(t, func() bool { return len(pc.Assigned()) == 5 }, 30*time.Second, 20*time.Millisecond, "4 queues and the retry queue, all locked")

	for s := 0; s < perOrder; s++ {
		for o := 0; o < orders; o++ {
			_, err := p.SendSelect(context.Background(), &message.Message{Topic: "TopicOrd", Body: []byte(fmt.Sprintf("%d-%d", o, s))}, client.SelectByHash, o)
			require.NoError(t, err)
		}
	}
	want := make([]int, perOrder)
	for i := range want {
		want[i] = i
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for o := 0; o < orders; o++ {
			if !slices.Equal(seen[o], want) {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond)
	mu.Lock()
	require.True(t, failedOnce)
	mu.Unlock()
}

// TestRebalanceRealBrokerOrderlyHandsOverLocks: a member that gives up
// queues unlocks them, so the newcomer can lock them at once instead of
// waiting for the broker's 60 s lock expiry.
func TestRebalanceRealBrokerOrderlyHandsOverLocks(t *testing.T) {
	e := startEnv(t)
	e.createTopic("TopicLk", 4)
	noop := func(context.Context, []*message.MessageExt) client.ConsumeResult { return client.ConsumeSuccess }
	cfg := client.ConsumerConfig{Group: "lock-g", Orderly: true, LockInterval: 200 * time.Millisecond}
	topicQueues := func(pc *client.PushConsumer) int {
		n := 0
		for _, mq := range pc.Assigned() {
			if mq.Topic == "TopicLk" {
				n++
			}
		}
		return n
	}
	c1 := e.pushConsumer(cfg, "TopicLk", "*", noop)
	require.Eventually(t, func() bool { return topicQueues(c1) == 4 }, 30*time.Second, 20*time.Millisecond)
	c2 := e.pushConsumer(cfg, "TopicLk", "*", noop)
	require.Eventually(t, func() bool { return topicQueues(c1) == 2 && topicQueues(c2) == 2 }, 30*time.Second, 20*time.Millisecond)
}
