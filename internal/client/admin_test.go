package client

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAdminPropertiesText(t *testing.T) {
	in := "brokerName=broker-a\n# comment\n\nlistenPort = 10911\nmessageDelayLevel=1s 5s\nempty=\n"
	require.Equal(t, map[string]string{"brokerName": "broker-a", "listenPort": "10911", "messageDelayLevel": "1s 5s", "empty": ""}, parseProperties([]byte(in)))
	require.Equal(t, "a=1\nb=x y\n", string(formatProperties(map[string]string{"b": "x y", "a": "1"})))
}

func TestAdminStatsBodies(t *testing.T) {
	topicStats := `{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"lastUpdateTimestamp":1700000000000,"maxOffset":10,"minOffset":0},{"brokerName":"broker-a","queueId":1,"topic":"TopicTest"}:{"lastUpdateTimestamp":1700000000500,"maxOffset":12,"minOffset":0}}}`
	ts, err := decodeMQTable[TopicOffset]([]byte(topicStats), nil)
	require.NoError(t, err)
	require.Equal(t, TopicOffset{LastUpdateTimestamp: 1700000000500, MaxOffset: 12}, ts[MessageQueue{Topic: "TopicTest", BrokerName: "broker-a", QueueID: 1}])

	consumeStats := `{"consumeTps":1.5,"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:{"brokerOffset":10,"consumerOffset":8,"lastTimestamp":1700000000000}}}`
	var tps struct {
		ConsumeTps float64 `json:"consumeTps"`
	}
	cs, err := decodeMQTable[OffsetWrapper]([]byte(consumeStats), &tps)
	require.NoError(t, err)
	require.Equal(t, 1.5, tps.ConsumeTps)
	s := ConsumeStats{ConsumeTps: tps.ConsumeTps, OffsetTable: cs}
	require.Equal(t, int64(2), s.Diff())

	_, err = decodeMQTable[TopicOffset]([]byte(`{"offsetTable":{"x":{}}}`), nil)
	require.Error(t, err, "a key that is not a MessageQueue")
	_, err = decodeMQTable[TopicOffset]([]byte(`{"offsetTable":{{"brokerName":`), nil)
	require.Error(t, err)
}
