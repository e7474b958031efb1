package client

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPushConsumerMQMapEncoding(t *testing.T) {
	m := map[MessageQueue]int64{{Topic: "T", BrokerName: "b", QueueID: 1}: 3, {Topic: "T", BrokerName: "a", QueueID: 0}: 5}
	require.Equal(t, `{{"brokerName":"a","queueId":0,"topic":"T"}:5,{"brokerName":"b","queueId":1,"topic":"T"}:3}`, string(encodeMQMap(m)))
	back, err := decodeMQTable[int64]([]byte(`{"offsetTable":`+string(encodeMQMap(m))+`}`), nil)
	require.NoError(t, err)
	require.Equal(t, m, back)
}
