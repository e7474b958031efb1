package client

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/message"
)

func TestPushConsumerConfigErrors(t *testing.T) {
	_, err := NewPushConsumer(ConsumerConfig{ClientConfig: ClientConfig{NameServers: []string{"a:1"}}}, nil)
	require.Error(t, err, "group required")
	_, err = NewPushConsumer(ConsumerConfig{ClientConfig: ClientConfig{NameServers: []string{"a:1"}}, Group: "g",
		SuspendTime: time.Minute, PullTimeout: time.Second}, nil)
	require.Error(t, err, "pull timeout must exceed suspend time")
	pc, err := NewPushConsumer(ConsumerConfig{ClientConfig: ClientConfig{NameServers: []string{"a:1"}}, Group: "g"}, nil)
	require.NoError(t, err)
	require.Error(t, pc.Start(), "no subscription")
	require.Error(t, pc.Subscribe("bad topic", "*", func(context.Context, []*message.MessageExt) ConsumeResult { return ConsumeSuccess }))
}

func TestPushConsumerOffsetFileFormat(t *testing.T) {
	m := map[MessageQueue]int64{
		{Topic: "T", BrokerName: "b", QueueID: 1}: 7,
		{Topic: "T", BrokerName: "a", QueueID: 0}: 5,
	}
	data := encodeOffsetTable(m)
	require.Equal(t, `{"offsetTable":{{"brokerName":"a","queueId":0,"topic":"T"}:5,{"brokerName":"b","queueId":1,"topic":"T"}:7}}`, string(data))
	back, err := decodeOffsetTable(data)
	require.NoError(t, err)
	require.Equal(t, m, back)
	_, err = decodeOffsetTable([]byte(`{"offsetTable":{{"brokerName":"a"`))
	require.Error(t, err)
	_, err = decodeOffsetTable([]byte(`{"offsetTable":{"notjson":1}}`))
	require.Error(t, err)
}

func FuzzClientOffsetTable(f *testing.F) {
	f.Add([]byte(`{"offsetTable":{{"brokerName":"a","queueId":0,"topic":"T"}:5}}`))
	f.Add([]byte(`{"offsetTable":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeOffsetTable(data)
		if err != nil {
			return
		}
		back, err := decodeOffsetTable(encodeOffsetTable(m))
		require.NoError(t, err)
		require.Equal(t, m, back)
	})
}
