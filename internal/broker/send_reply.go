package broker

import (
	"context"
	"strconv"
	"time"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// pushReplyTimeout is how long the broker waits for the requester to take
// a reply (wire-protocol.md §7.6: synchronous, 10 s).
const pushReplyTimeout = 10 * time.Second

// processSendReply serves SEND_REPLY_MESSAGE (324) and
// SEND_REPLY_MESSAGE_V2 (325): a replier's answer to a request message is
// pushed to the requesting client's producer connection with
// PUSH_REPLY_MESSAGE_TO_CLIENT (326), and stored too when
// storeReplyMessageEnable (ReplyMessageProcessor.java).
func (b *Broker) processSendReply(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.SystemError, "")
	resp.SetExt(protocol.PropertyMsgRegion, b.rc().RegionID)
	resp.SetExt(protocol.PropertyTraceOn, strconv.FormatBool(b.rc().TraceOn))

	var h *protocol.SendMessageRequestHeader
	if protocol.RequestCode(req.Code) == protocol.SendReplyMessageV2 {
		var h2 protocol.SendMessageRequestHeaderV2
		if err := protocol.DecodeHeader(req.ExtFields, &h2); err != nil {
			return remark(resp, protocol.SystemError, err.Error())
		}
		h = h2.V1()
	} else {
		h = &protocol.SendMessageRequestHeader{}
		if err := protocol.DecodeHeader(req.ExtFields, h); err != nil {
			return remark(resp, protocol.SystemError, err.Error())
		}
	}
	tc, resp := b.sendCheck(c, h, resp)
	if tc == nil {
		return resp
	}
	props := message.DecodeProperties(h.Properties)
	props[message.PropertyCluster] = b.rc().BrokerClusterName
	replyTo := props[message.PropertyMessageReplyToClient]

	pushProps := make(map[string]string, len(props)+1)
	for k, v := range props {
		pushProps[k] = v
	}
	pushProps[message.PropertyPushReplyTime] = strconv.FormatInt(time.Now().UnixMilli(), 10)
	reconsume := int32(0)
	if h.ReconsumeTimes != nil {
		reconsume = *h.ReconsumeTimes
	}
	push := protocol.ReplyMessageRequestHeader{
		ProducerGroup:         h.ProducerGroup,
		Topic:                 h.Topic,
		DefaultTopic:          h.DefaultTopic,
		DefaultTopicQueueNums: h.DefaultTopicQueueNums,
		QueueID:               h.QueueID,
		SysFlag:               h.SysFlag,
		BornTimestamp:         h.BornTimestamp,
		Flag:                  h.Flag,
		Properties:            message.EncodeProperties(pushProps),
		ReconsumeTimes:        reconsume,
		UnitMode:              h.UnitMode,
		BornHost:              c.RemoteAddr(),
		StoreHost:             b.cfg.BrokerAddr(),
		StoreTimestamp:        time.Now().UnixMilli(),
	}
	if conn := b.producerChannel(replyTo); conn == nil {
		remark(resp, protocol.SystemError, "push reply message fail, channel of <"+replyTo+"> not found.")
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), pushReplyTimeout)
		r, err := conn.Invoke(ctx, remoting.NewRequest(protocol.PushReplyMessageToClient, protocol.EncodeHeader(&push), req.Body))
		cancel()
		if err != nil || r.Code != int32(protocol.Success) {
			remark(resp, protocol.SystemError, "push reply message to "+replyTo+"fail.")
		} else {
			remark(resp, protocol.Success, "")
			for k, v := range protocol.EncodeHeader(&protocol.SendMessageResponseHeader{MsgID: "0", QueueID: h.QueueID}) {
				resp.SetExt(k, v)
			}
		}
	}
	if b.rc().StoreReplyMessageEnable {
		m := &message.MessageExt{
			Message:        message.Message{Topic: h.Topic, Flag: h.Flag, Properties: props, Body: req.Body},
			QueueID:        h.QueueID,
			SysFlag:        h.SysFlag,
			BornTimestamp:  h.BornTimestamp,
			BornHost:       hostOf(c.RemoteAddr()),
			StoreHost:      b.storeHost,
			ReconsumeTimes: reconsume,
		}
		if out := b.putMessage(m); out.status == "PUT_OK" {
			b.stats.putOK.Add(1)
			for k, v := range protocol.EncodeHeader(&protocol.SendMessageResponseHeader{MsgID: out.msgIDs, QueueID: h.QueueID, QueueOffset: out.queueOffset}) {
				resp.SetExt(k, v)
			}
		}
	}
	return resp
}

// producerChannel finds the connection of the producer whose heartbeat
// client id is clientID (ProducerManager.findChannel).
func (b *Broker) producerChannel(clientID string) *remoting.Conn {
	if clientID == "" {
		return nil
	}
	for _, g := range b.clients.ProducerGroups() {
		for _, ch := range b.clients.ProducerChannels(g) {
			if ch.ClientID == clientID && ch.Conn != nil && !ch.Conn.Closed() {
				return ch.Conn
			}
		}
	}
	return nil
}
