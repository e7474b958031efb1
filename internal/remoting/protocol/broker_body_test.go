package protocol

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// Heartbeat bodies as the clients send them (wire-protocol.md §8.1).
const (
	javaHeartbeat = `{"clientID":"10.0.0.1@12345","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"cg","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB","subVersion":1700000000000,"tagsSet":["TagA","TagB"],"topic":"TopicB"}],"unitMode":false}],"producerDataSet":[{"groupName":"pg"}]}`
	goHeartbeat   = `{"clientID":"10.0.0.1@1234","producerDataSet":[{"groupName":"pg"}],"consumerDataSet":[{"groupName":"cg","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"TopicA","subString":"*","tagsSet":[],"codeSet":[],"subVersion":1795339958951945534,"expressionType":"TAG"},{"classFilterMode":false,"topic":"TopicB","subString":"TagA || TagB","tagsSet":["TagA","TagB"],"codeSet":["2598919","2598920"],"subVersion":1795339958951945774,"expressionType":"TAG"}],"unitMode":false}]}`
)

func TestBrokerBodyHeartbeatJava(t *testing.T) {
	h, err := DecodeHeartbeatData([]byte(javaHeartbeat))
	require.NoError(t, err)
	require.Equal(t, &HeartbeatData{
		ClientID: "10.0.0.1@12345",
		ConsumerDataSet: []ConsumerData{{
			ConsumeFromWhere: ConsumeFromLastOffset, ConsumeType: ConsumePassively, GroupName: "cg", MessageModel: Clustering,
			SubscriptionDataSet: []SubscriptionData{{CodeSet: CodeSet{2598919, 2598920}, ExpressionType: "TAG", SubString: "TagA || TagB",
				SubVersion: 1700000000000, TagsSet: []string{"TagA", "TagB"}, Topic: "TopicB"}},
		}},
		ProducerDataSet: []ProducerData{{GroupName: "pg"}},
	}, h)
	// Our encoding of the same value is byte-for-byte Java's.
	b, err := json.Marshal(h)
	require.NoError(t, err)
	require.Equal(t, javaHeartbeat, string(b))
}

func TestBrokerBodyHeartbeatGo(t *testing.T) {
	h, err := DecodeHeartbeatData([]byte(goHeartbeat))
	require.NoError(t, err)
	require.Equal(t, "10.0.0.1@1234", h.ClientID)
	subs := h.ConsumerDataSet[0].SubscriptionDataSet
	require.Len(t, subs, 2)
	require.Equal(t, int64(1795339958951945534), subs[0].SubVersion, "nanoseconds need all 64 bits")
	require.Equal(t, CodeSet{}, subs[0].CodeSet)
	require.Equal(t, CodeSet{2598919, 2598920}, subs[1].CodeSet, "string codes are read as numbers")
	require.True(t, subs[1].IsTagType())
}

func TestBrokerBodyHeartbeatBad(t *testing.T) {
	for _, body := range []string{"", "{", "[]", `{"clientID":1}`, `{"consumerDataSet":[{"subscriptionDataSet":[{"codeSet":["a"]}]}]}`,
		`{"consumerDataSet":[{"subscriptionDataSet":[{"codeSet":[1.5]}]}]}`, `{"consumerDataSet":[{"subscriptionDataSet":[{"codeSet":["99999999999"]}]}]}`,
		`{"consumerDataSet":[{"subscriptionDataSet":[{"codeSet":{}}]}]}`, `{"consumerDataSet":[{"subscriptionDataSet":[{"subVersion":"1"}]}]}`} {
		_, err := DecodeHeartbeatData([]byte(body))
		require.Error(t, err, body)
	}
	h, err := DecodeHeartbeatData([]byte(`{"consumerDataSet":[{"subscriptionDataSet":[{"codeSet":null,"unknownMember":1}]}],"extra":true}`))
	require.NoError(t, err)
	require.Nil(t, h.ConsumerDataSet[0].SubscriptionDataSet[0].CodeSet)
}

func TestBrokerBodyShapes(t *testing.T) {
	// Shapes from wire-protocol.md §8.8, §9.2, §9.6 (verified fastjson output).
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"lock response", LockBatchResponseBody{LockOKMQSet: []MessageQueue{{BrokerName: "broker-a", QueueID: 0, Topic: "TopicA"}}},
			`{"lockOKMQSet":[{"brokerName":"broker-a","queueId":0,"topic":"TopicA"}]}`},
		{"lock request", LockBatchRequestBody{ClientID: "10.0.0.1@12345", ConsumerGroup: "cg", MQSet: []MessageQueue{{BrokerName: "broker-a", QueueID: 0, Topic: "TopicA"}}},
			`{"clientId":"10.0.0.1@12345","consumerGroup":"cg","mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"TopicA"}]}`},
		{"group defaults", NewSubscriptionGroupConfig("cg"),
			`{"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,"groupName":"cg","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1}`},
		{"consumer connection", ConsumerConnection{
			ConnectionSet:    []Connection{{ClientAddr: "10.0.0.1:5555", ClientID: "10.0.0.1@1", Language: "JAVA", Version: 409}},
			ConsumeFromWhere: ConsumeFromLastOffset, ConsumeType: ConsumePassively, MessageModel: Clustering,
			SubscriptionTable: map[string]SubscriptionData{"TopicB": {CodeSet: CodeSet{2598919, 2598920}, ExpressionType: "TAG",
				SubString: "TagA || TagB", SubVersion: 1700000000000, TagsSet: []string{"TagA", "TagB"}, Topic: "TopicB"}},
		}, `{"connectionSet":[{"clientAddr":"10.0.0.1:5555","clientId":"10.0.0.1@1","language":"JAVA","version":409}],"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","subscriptionTable":{"TopicB":{"classFilterMode":false,"codeSet":[2598919,2598920],"expressionType":"TAG","subString":"TagA || TagB","subVersion":1700000000000,"tagsSet":["TagA","TagB"],"topic":"TopicB"}}}`},
		{"consumer list", ConsumerListBody{ConsumerIDList: []string{"10.0.0.1@12345", "10.0.0.2@6789"}}, `{"consumerIdList":["10.0.0.1@12345","10.0.0.2@6789"]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.v)
			require.NoError(t, err)
			require.Equal(t, tc.want, string(b))
		})
	}
	// The Go client's lock request member order is accepted.
	var req LockBatchRequestBody
	require.NoError(t, json.Unmarshal([]byte(`{"consumerGroup":"cg","clientId":"c","mqSet":[{"topic":"T","brokerName":"b","queueId":3}]}`), &req))
	require.Equal(t, LockBatchRequestBody{ClientID: "c", ConsumerGroup: "cg", MQSet: []MessageQueue{{BrokerName: "b", QueueID: 3, Topic: "T"}}}, req)
}

func TestBrokerHeaderRoundTrip(t *testing.T) {
	flag := int32(2)
	h := CreateTopicRequestHeader{Topic: "T", DefaultTopic: "TBW102", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 6,
		TopicFilterType: "SINGLE_TAG", TopicSysFlag: &flag, Order: true}
	ext := EncodeHeader(&h)
	require.Equal(t, map[string]string{"topic": "T", "defaultTopic": "TBW102", "readQueueNums": "8", "writeQueueNums": "8",
		"perm": "6", "topicFilterType": "SINGLE_TAG", "topicSysFlag": "2", "order": "true"}, ext)
	var back CreateTopicRequestHeader
	require.NoError(t, DecodeHeader(ext, &back))
	require.Equal(t, h, back)

	u := UnregisterClientRequestHeader{ClientID: "c"}
	require.Equal(t, map[string]string{"clientID": "c"}, EncodeHeader(&u))
	var q QueryConsumerOffsetRequestHeader
	err := DecodeHeader(map[string]string{"consumerGroup": "g", "topic": "t"}, &q)
	require.EqualError(t, err, "the custom field <queueId> is null")
}

func FuzzHeartbeatData(f *testing.F) {
	f.Add([]byte(javaHeartbeat))
	f.Add([]byte(goHeartbeat))
	f.Add([]byte(`{"consumerDataSet":[{"subscriptionDataSet":[{"codeSet":["1",2,null]}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		h, err := DecodeHeartbeatData(body)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes and decodes to the same value.
		b, err := json.Marshal(h)
		require.NoError(t, err)
		h2, err := DecodeHeartbeatData(b)
		require.NoError(t, err)
		require.Equal(t, normalize(h), normalize(h2))
	})
}

// normalize maps nil and empty slices together, as a JSON round trip does
// for "[]" versus null.
func normalize(h *HeartbeatData) *HeartbeatData {
	c := *h
	c.ConsumerDataSet = append([]ConsumerData{}, h.ConsumerDataSet...)
	for i := range c.ConsumerDataSet {
		subs := append([]SubscriptionData{}, c.ConsumerDataSet[i].SubscriptionDataSet...)
		for j := range subs {
			if len(subs[j].CodeSet) == 0 {
				subs[j].CodeSet = nil
			}
			if len(subs[j].TagsSet) == 0 {
				subs[j].TagsSet = nil
			}
		}
		if len(subs) == 0 {
			subs = nil
		}
		c.ConsumerDataSet[i].SubscriptionDataSet = subs
	}
	if len(c.ConsumerDataSet) == 0 {
		c.ConsumerDataSet = nil
	}
	if len(c.ProducerDataSet) == 0 {
		c.ProducerDataSet = nil
	}
	return &c
}

func TestBrokerBodyResetOffset(t *testing.T) {
	// wire-protocol.md §9.8.
	one := []QueueOffset{{Queue: MessageQueue{BrokerName: "broker-a", QueueID: 0, Topic: "TopicTest"}, Offset: 5}}
	require.Equal(t, `{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"TopicTest"}:5}}`, string(EncodeResetOffsetBody(one)))
	require.Equal(t, `{"offsetTable":[{"brokerName":"broker-a","offset":5,"queueId":0,"topic":"TopicTest"}]}`, string(EncodeResetOffsetBodyForC(one)))
	require.Equal(t, `{"offsetTable":{}}`, string(EncodeResetOffsetBody(nil)))
	require.Equal(t, `{"offsetTable":[]}`, string(EncodeResetOffsetBodyForC(nil)))
}

func TestBrokerBodyMQOffsetTable(t *testing.T) {
	mq := func(topic string, q int32) MessageQueue {
		return MessageQueue{BrokerName: "b", QueueID: q, Topic: topic}
	}
	cases := []struct {
		name, in string
		want     map[MessageQueue]int64
	}{
		{"fastjson object keys", `{{"brokerName":"b","queueId":0,"topic":"T"}:5,{"brokerName":"b","queueId":1,"topic":"T"}:6}`, map[MessageQueue]int64{mq("T", 0): 5, mq("T", 1): 6}},
		{"go client order", `{{"topic":"T","brokerName":"b","queueId":0}:5}`, map[MessageQueue]int64{mq("T", 0): 5}},
		{"string keys", `{"{\"brokerName\":\"b\",\"queueId\":2,\"topic\":\"T\"}":-1}`, map[MessageQueue]int64{mq("T", 2): -1}},
		{"spaces", ` { {"topic":"a}:,{","brokerName":"b","queueId":3} : 7 } `, map[MessageQueue]int64{mq("a}:,{", 3): 7}},
		{"empty", `{}`, map[MessageQueue]int64{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeMQOffsetTable([]byte(tc.in))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			back, err := DecodeMQOffsetTable(EncodeMQOffsetTable(got))
			require.NoError(t, err)
			require.Equal(t, tc.want, back)
		})
	}
	for _, bad := range []string{``, `{`, `{{"topic":"T"}}`, `{{"topic":"T"}:x}`, `{5:1}`, `{{"queueId":"x"}:1}`, `{{"topic":"T"}:1,}`, `{{"topic":"T"}:1} x`, `{"notjson":1}`} {
		_, err := DecodeMQOffsetTable([]byte(bad))
		require.Error(t, err, bad)
	}
	require.Equal(t, `{{"brokerName":"b","queueId":0,"topic":"A"}:1,{"brokerName":"b","queueId":1,"topic":"A"}:2,{"brokerName":"b","queueId":0,"topic":"B"}:3}`,
		string(EncodeMQOffsetTable(map[MessageQueue]int64{mq("B", 0): 3, mq("A", 1): 2, mq("A", 0): 1})))
}

func TestBrokerBodyRawMember(t *testing.T) {
	body := []byte(`{"a":[1,{"x":"}"}],"messageQueueTable":{{"topic":"T","brokerName":"b","queueId":0}:5},"z":"q"}`)
	raw, err := RawMember(body, "messageQueueTable")
	require.NoError(t, err)
	require.Equal(t, `{{"topic":"T","brokerName":"b","queueId":0}:5}`, string(raw))
	raw, err = RawMember(body, "missing")
	require.NoError(t, err)
	require.Nil(t, raw)
	_, err = RawMember([]byte(`{"a":`), "a")
	require.Error(t, err)
	_, err = RawMember([]byte(`[1]`), "a")
	require.Error(t, err)

	status := EncodeConsumerStatusBody(map[string]map[MessageQueue]int64{"c2": {{BrokerName: "b", QueueID: 1, Topic: "T"}: 4}, "c1": {}})
	require.Equal(t, `{"consumerTable":{"c1":{},"c2":{{"brokerName":"b","queueId":1,"topic":"T"}:4}},"messageQueueTable":{}}`, string(status))
}

func FuzzMQOffsetTable(f *testing.F) {
	f.Add([]byte(`{{"brokerName":"b","queueId":0,"topic":"T"}:5}`))
	f.Add([]byte(`{"messageQueueTable":{{"topic":"T","brokerName":"b","queueId":0}:5}}`))
	f.Add([]byte(`{"{\"brokerName\":\"b\",\"queueId\":2,\"topic\":\"T\"}":-1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if raw, err := RawMember(body, "messageQueueTable"); err == nil && raw != nil {
			body = raw
		}
		m, err := DecodeMQOffsetTable(body)
		if err != nil {
			return
		}
		back, err := DecodeMQOffsetTable(EncodeMQOffsetTable(m))
		require.NoError(t, err)
		require.Equal(t, m, back)
	})
}
