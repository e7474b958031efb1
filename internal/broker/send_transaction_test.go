package broker

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
	"github.com/gorocket/gorocket/internal/store"
)

// sendHalf sends a transactional (prepared) message and returns the send
// response header.
func (e *testEnv) sendHalf(topic, body, uniq string) protocol.SendMessageResponseHeader {
	e.t.Helper()
	req := sendReq(topic, 1, map[string]string{"TRAN_MSG": "true", "PGROUP": "txpg", "UNIQ_KEY": uniq}, []byte(body))
	req.ExtFields["f"] = strconv.Itoa(int(message.SysFlagTransactionPrepared))
	resp := e.invoke(req)
	require.Equal(e.t, int32(protocol.Success), resp.Code, resp.Remark)
	var h protocol.SendMessageResponseHeader
	require.NoError(e.t, protocol.DecodeHeader(resp.ExtFields, &h))
	return h
}

func endTxReq(h protocol.SendMessageResponseHeader, group string, state int32) *remoting.Command {
	_, phy, _ := message.ParseOffsetMsgID(h.MsgID)
	eh := protocol.EndTransactionRequestHeader{ProducerGroup: group, TranStateTableOffset: h.QueueOffset,
		CommitLogOffset: phy, CommitOrRollback: state, MsgID: "x"}
	return remoting.NewRequest(protocol.EndTransaction, protocol.EncodeHeader(&eh), nil)
}

func TestSendTransactionCommitAndRollback(t *testing.T) {
	e := startEnv(t)
	e.createTopic("TxTopic", 2, 6)
	commitH := e.sendHalf("TxTopic", "commit me", "U1")
	require.Equal(t, int32(1), commitH.QueueID, "the response names the real queue")
	rollbackH := e.sendHalf("TxTopic", "roll me back", "U2")
	e.waitMaxOffset(TopicTransHalf, 0, 2)
	require.Equal(t, int64(0), e.b.store.MaxOffsetInQueue("TxTopic", 1), "half messages are invisible to consumers")

	r := e.invoke(endTxReq(commitH, "wrong-group", message.SysFlagTransactionCommit))
	require.Equal(t, int32(protocol.SystemError), r.Code)
	require.Equal(t, "The producer group wrong", r.Remark)
	bad := commitH
	bad.QueueOffset = 7
	r = e.invoke(endTxReq(bad, "txpg", message.SysFlagTransactionCommit))
	require.Equal(t, "The transaction state table offset wrong", r.Remark)
	require.Nil(t, e.b.processEndTransaction(nil, endTxReq(commitH, "txpg", 0)), "an unknown outcome gets no answer")

	r = e.invoke(endTxReq(commitH, "txpg", message.SysFlagTransactionCommit))
	require.Equal(t, int32(protocol.Success), r.Code, r.Remark)
	r = e.invoke(endTxReq(rollbackH, "txpg", message.SysFlagTransactionRollback))
	require.Equal(t, int32(protocol.Success), r.Code, r.Remark)

	e.waitMaxOffset("TxTopic", 1, 1)
	e.waitMaxOffset(TopicTransOpHalf, 0, 2)
	pr := e.invoke(pullReq("TxTopic", 1, 0, "*", protocol.PullFlagSubscription, 0))
	require.Equal(t, int32(protocol.Success), pr.Code)
	msgs, err := message.DecodeMessages(pr.Body)
	require.NoError(t, err)
	require.Len(t, msgs, 1)
	require.Equal(t, "commit me", string(msgs[0].Body))
	require.NotContains(t, msgs[0].Properties, "TRAN_MSG")
	require.NotContains(t, msgs[0].Properties, "REAL_TOPIC")
	require.Equal(t, message.SysFlagTransactionCommit, message.TransactionType(msgs[0].SysFlag))
}

func TestSendTransactionRejected(t *testing.T) {
	e := startEnv(t, func(c *Config, _ *store.Config) { c.RejectTransactionMessage = true })
	e.createTopic("TxTopic", 2, 6)
	req := sendReq("TxTopic", 1, map[string]string{"TRAN_MSG": "true", "PGROUP": "txpg"}, []byte("x"))
	resp := e.invoke(req)
	require.Equal(t, int32(protocol.NoPermission), resp.Code)
	require.Contains(t, resp.Remark, "sending transaction message is forbidden")
}

// TestSendTransactionCheckBack: an undecided half message is checked with
// its producer, whose END_TRANSACTION answer commits it.
func TestSendTransactionCheckBack(t *testing.T) {
	e := startEnv(t, func(c *Config, _ *store.Config) {
		c.TransactionCheckInterval = 100
		c.TransactionTimeOut = 50
	})
	e.createTopic("TxCheck", 2, 6)

	checks := make(chan *remoting.Command, 4)
	e.cli.Register(protocol.CheckTransactionState, func(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
		checks <- req
		return nil
	})
	hb := []byte(`{"clientID":"127.0.0.1@tx","producerDataSet":[{"groupName":"txpg"}],"consumerDataSet":[]}`)
	r := e.invoke(remoting.NewRequest(protocol.HeartBeat, nil, hb))
	require.Equal(t, int32(protocol.Success), r.Code)

	e.sendHalf("TxCheck", "decide later", "UCHK")
	var check *remoting.Command
	select {
	case check = <-checks:
	case <-time.After(20 * time.Second):
		t.Fatal("no CHECK_TRANSACTION_STATE within 20 s")
	}
	var ch protocol.CheckTransactionStateRequestHeader
	require.NoError(t, protocol.DecodeHeader(check.ExtFields, &ch))
	require.Equal(t, "UCHK", ch.MsgID)
	body, _, err := message.DecodeRecord(check.Body)
	require.NoError(t, err)
	require.Equal(t, "TxCheck", body.Topic, "the check body carries the real topic")
	require.Equal(t, int32(1), body.QueueID)
	require.Equal(t, "txpg", body.Properties["PGROUP"])
	require.Equal(t, "1", body.Properties["TRANSACTION_CHECK_TIMES"])

	eh := protocol.EndTransactionRequestHeader{ProducerGroup: "txpg", TranStateTableOffset: ch.TranStateTableOffset,
		CommitLogOffset: ch.CommitLogOffset, CommitOrRollback: message.SysFlagTransactionCommit, FromTransactionCheck: true, MsgID: ch.MsgID}
	r = e.invoke(remoting.NewRequest(protocol.EndTransaction, protocol.EncodeHeader(&eh), nil))
	require.Equal(t, int32(protocol.Success), r.Code, r.Remark)
	e.waitMaxOffset("TxCheck", 1, 1)
}
