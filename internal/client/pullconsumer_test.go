package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

func TestPullConsumerHeader(t *testing.T) {
	sd := newTagSubscription("T", "TagA || TagB", 1700000000000)
	r := &pullRequest{group: "cg", mq: MessageQueue{Topic: "T", BrokerName: "b", QueueID: 2}, sub: &sd, offset: 42, maxNums: 32,
		sysFlag: protocol.PullFlagCommitOffset, commitOffset: 40, suspend: 15 * time.Second}
	ext := protocol.EncodeHeader(r.header())
	require.Equal(t, map[string]string{
		"consumerGroup": "cg", "topic": "T", "queueId": "2", "queueOffset": "42", "maxMsgNums": "32",
		"sysFlag": "3", "commitOffset": "40", "suspendTimeoutMillis": "15000", "subscription": "",
		"subVersion": "1700000000000", "expressionType": "TAG", "bname": "b",
	}, ext, "push style: commit offset and suspend, subscription from the heartbeat")

	r = &pullRequest{group: "cg", mq: MessageQueue{Topic: "T", BrokerName: "b"}, sub: &sd, maxNums: 1, sysFlag: protocol.PullFlagSubscription}
	ext = protocol.EncodeHeader(r.header())
	require.Equal(t, "4", ext["sysFlag"])
	require.Equal(t, "TagA || TagB", ext["subscription"])
	require.Equal(t, "0", ext["suspendTimeoutMillis"])

	// Unknown codes and missing header fields are errors, not panics.
	req := remoting.NewRequest(protocol.PullMessage, nil, nil)
	_, err := pullResultOf(remoting.NewResponse(req, protocol.SubscriptionNotExist, "no subscription"), "x:1", r.mq, &sd)
	code, ok := CodeOf(err)
	require.True(t, ok)
	require.Equal(t, protocol.SubscriptionNotExist, code)
	_, err = pullResultOf(remoting.NewResponse(req, protocol.Success, ""), "x:1", r.mq, &sd)
	require.Error(t, err)
	bad := remoting.NewResponse(req, protocol.Success, "")
	bad.ExtFields = map[string]string{"nextBeginOffset": "1", "minOffset": "0", "maxOffset": "1", "suggestWhichBrokerId": "0"}
	bad.Body = []byte{0, 0, 0, 9, 1, 2}
	_, err = pullResultOf(bad, "x:1", r.mq, &sd)
	require.Error(t, err)
}
