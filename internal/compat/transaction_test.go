package compat

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/stretchr/testify/require"
)

// txListener commits "commit", rolls back "rollback", leaves the rest
// unknown, and commits whatever the broker asks about.
type txListener struct{ checks atomic.Int32 }

func (l *txListener) ExecuteLocalTransaction(m *primitive.Message) primitive.LocalTransactionState {
	switch string(m.Body) {
	case "commit":
		return primitive.CommitMessageState
	case "rollback":
		return primitive.RollbackMessageState
	}
	return primitive.UnknowState
}

func (l *txListener) CheckLocalTransaction(*primitive.MessageExt) primitive.LocalTransactionState {
	l.checks.Add(1)
	return primitive.CommitMessageState
}

// TestCompatTransactionProducer: the official transactional producer's
// commit and rollback decide what consumers see, and an undecided message
// is resolved by the broker's CHECK_TRANSACTION_STATE.
func TestCompatTransactionProducer(t *testing.T) {
	c := startCluster(t, "transactionCheckInterval=200", "transactionTimeOut=100")
	const topic, group = "CompatTx", "compat_tx_cg"
	c.createTopic(t, topic, 2)
	l := &txListener{}
	p, err := rocketmq.NewTransactionProducer(l,
		producer.WithNameServer([]string{c.NsAddr}),
		producer.WithGroupName("compat_tx_pg"),
		producer.WithInstanceName(instance("tx")),
	)
	require.NoError(t, err)
	require.NoError(t, p.Start())
	t.Cleanup(func() { _ = p.Shutdown() })

	for _, body := range []string{"commit", "rollback", "unknown"} {
		res, err := p.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte(body)))
		require.NoError(t, err)
		require.Equal(t, primitive.SendOK, res.Status)
	}
	r := newReceived()
	c.pushConsumer(t, pushOpts{group: group, topic: topic, model: consumer.Clustering}, r)
	require.Eventually(t, func() bool { return r.distinct() >= 2 }, 30*time.Second, 20*time.Millisecond)
	counts, _ := r.snapshot()
	require.Equal(t, map[string]int{"commit": 1, "unknown": 1}, counts, "the rolled-back message is never delivered")
	require.Positive(t, l.checks.Load(), "the undecided message was checked with the producer")
}
