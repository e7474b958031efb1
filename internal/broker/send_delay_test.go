package broker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
	"github.com/gorocket/gorocket/internal/store"
)

func TestSendDelayedMessageDelivered(t *testing.T) {
	e := startEnv(t, func(_ *Config, s *store.Config) { s.MessageDelayLevel = "1s 1s 1s" })
	e.createTopic("DelayTopic", 2, 6)
	sent := time.Now()
	e.send("DelayTopic", 1, map[string]string{"DELAY": "2", "TAGS": "T"}, "later")
	e.waitMaxOffset("DelayTopic", 1, 0, "held in SCHEDULE_TOPIC_XXXX first")
	e.waitMaxOffset("SCHEDULE_TOPIC_XXXX", 1, 1)

	require.Eventually(t, func() bool { return e.b.store.MaxOffsetInQueue("DelayTopic", 1) == 1 }, 10*time.Second, 10*time.Millisecond)
	pr := e.invoke(pullReq("DelayTopic", 1, 0, "T", protocol.PullFlagSubscription, 0))
	require.Equal(t, int32(protocol.Success), pr.Code, pr.Remark)
	msgs, err := message.DecodeMessages(pr.Body)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, "later", string(msgs[0].Body))
	require.GreaterOrEqual(t, msgs[0].StoreTimestamp, sent.Add(time.Second).UnixMilli()-5, "delivered after its level's delay")
	require.Equal(t, "DelayTopic", msgs[0].Properties["REAL_TOPIC"], "the stored string keeps REAL_TOPIC, as Java's does")

	resp := e.invoke(remoting.NewRequest(protocol.GetAllDelayOffset, nil, nil))
	require.Equal(t, int32(protocol.Success), resp.Code)
	require.Equal(t, `{"offsetTable":{1:0,2:1,3:0}}`, string(resp.Body))
}

func TestSendDelayOffsetsDecode(t *testing.T) {
	for _, in := range []string{`{"offsetTable":{1:5,3:0}}`, `{"offsetTable":{"1":5,"3":0}}`, "{\n \"offsetTable\":{\n  1:5,\n  3:0\n }\n}"} {
		got, err := decodeDelayOffsets([]byte(in))
		require.NoError(t, err, in)
		require.Equal(t, map[int]int64{1: 5, 3: 0}, got, in)
	}
	_, err := decodeDelayOffsets([]byte(`{"offsetTable":{x:1}}`))
	require.Error(t, err)
}
