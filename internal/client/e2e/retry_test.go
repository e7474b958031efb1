package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/broker"
	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/store"
)

// oneSecondLevels makes every delay level 1 s, so a retry comes back fast.
func oneSecondLevels(_ *broker.Config, s *store.Config) {
	s.MessageDelayLevel = strings.TrimSpace(strings.Repeat("1s ", 18))
}

func TestPushConsumerRealBrokerRetry(t *testing.T) {
	e := startEnv(t, oneSecondLevels)
	e.createTopic("TopicX", 1)
	p := e.producer("pg")
	var mu sync.Mutex
	var attempts []*message.MessageExt
	h := func(_ context.Context, msgs []*message.MessageExt) client.ConsumeResult {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, msgs...)
		if len(attempts) == 1 {
			return client.ConsumeRetryLater
		}
		return client.ConsumeSuccess
	}
	e.pushConsumer(client.ConsumerConfig{Group: "retry-g", FromWhere: client.ConsumeFromFirstOffset}, "TopicX", "*", h)
	m := &message.Message{Topic: "TopicX", Body: []byte("try again")}
	m.SetProperty(message.PropertyTags, "T")
	r, err := p.Send(context.Background(), m)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(attempts) >= 2
	}, 30*time.Second, 20*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	second := attempts[1]
	require.Equal(t, "TopicX", second.Topic, "the retry topic is replaced by the original")
	require.Equal(t, int32(1), second.ReconsumeTimes)
	require.Equal(t, "try again", string(second.Body))
	require.Equal(t, r.MsgID, second.ClientMsgID())
	require.Equal(t, "T", second.Tags())
}
