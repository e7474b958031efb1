package broker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

func TestSendReplyPushedToRequester(t *testing.T) {
	e := startEnv(t)
	replyTopic := "DefaultCluster_REPLY_TOPIC"
	require.NotNil(t, e.b.topics.Get(replyTopic), "the reply topic exists from boot")

	pushed := make(chan *remoting.Command, 1)
	e.cli.Register(protocol.PushReplyMessageToClient, func(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
		pushed <- req
		return remoting.NewResponse(req, protocol.Success, "")
	})
	hb := []byte(`{"clientID":"127.0.0.1@requester","producerDataSet":[{"groupName":"reqpg"}],"consumerDataSet":[]}`)
	r := e.invoke(remoting.NewRequest(protocol.HeartBeat, nil, hb))
	require.Equal(t, int32(protocol.Success), r.Code)

	props := map[string]string{"MSG_TYPE": "reply", "CORRELATION_ID": "c-1", "REPLY_TO_CLIENT": "127.0.0.1@requester", "TTL": "3"}
	h := protocol.SendMessageRequestHeader{ProducerGroup: "replier", Topic: replyTopic, DefaultTopic: "TBW102",
		DefaultTopicQueueNums: 4, BornTimestamp: time.Now().UnixMilli(), Properties: message.EncodeProperties(props)}
	resp := e.invoke(remoting.NewRequest(protocol.SendReplyMessage, protocol.EncodeHeader(&h), []byte("pong")))
	require.Equal(t, int32(protocol.Success), resp.Code, resp.Remark)
	require.Len(t, resp.ExtFields["msgId"], 32, "storeReplyMessageEnable stores the reply and answers its id")

	p := <-pushed
	require.Equal(t, "pong", string(p.Body))
	var ph protocol.ReplyMessageRequestHeader
	require.NoError(t, protocol.DecodeHeader(p.ExtFields, &ph))
	require.Equal(t, replyTopic, ph.Topic)
	require.Equal(t, e.b.BrokerAddr(), ph.StoreHost)
	pp := message.DecodeProperties(ph.Properties)
	require.Equal(t, "c-1", pp["CORRELATION_ID"])
	require.NotEmpty(t, pp["PUSH_REPLY_TIME"])
	require.Equal(t, "DefaultCluster", pp["CLUSTER"])

	props["REPLY_TO_CLIENT"] = "nobody@here"
	h.Properties = message.EncodeProperties(props)
	resp = e.invoke(remoting.NewRequest(protocol.SendReplyMessage, protocol.EncodeHeader(&h), []byte("lost")))
	require.Equal(t, int32(protocol.SystemError), resp.Code)
	require.Equal(t, "push reply message fail, channel of <nobody@here> not found.", resp.Remark)
}
