package broker

import (
	"fmt"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// defaultQueryMaxNum replaces maxNum for unique-key queries
// (BrokerConfig... MessageStoreConfig.defaultQueryMaxNum).
const defaultQueryMaxNum = 32

// processQueryMessage serves QUERY_MESSAGE (12): the messages indexed
// under topic#key stored within [beginTimestamp, endTimestamp]
// (QueryMessageProcessor.queryMessage).
func (b *Broker) processQueryMessage(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.SystemError, "")
	var h protocol.QueryMessageRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remark(resp, protocol.SystemError, err.Error())
	}
	maxNum := int(h.MaxNum)
	if req.ExtFields[protocol.UniqueKeyQuery] == "true" {
		maxNum = defaultQueryMaxNum
	}
	body, lastTime, lastPhy := b.queryMessages(h.Topic, h.Key, maxNum, h.BeginTimestamp, h.EndTimestamp)
	for k, v := range protocol.EncodeHeader(&protocol.QueryMessageResponseHeader{
		IndexLastUpdateTimestamp: lastTime,
		IndexLastUpdatePhyoffset: lastPhy,
	}) {
		resp.SetExt(k, v)
	}
	if len(body) == 0 {
		return remark(resp, protocol.QueryNotFound, "can not find message, maybe time range not correct")
	}
	resp.Code = int32(protocol.Success)
	resp.Body = body
	return resp
}

// processViewMessage serves VIEW_MESSAGE_BY_ID (33): the stored record at
// a commit log offset (QueryMessageProcessor.viewMessageById).
func (b *Broker) processViewMessage(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.SystemError, "")
	var h protocol.ViewMessageRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remark(resp, protocol.SystemError, err.Error())
	}
	rec, ok := b.recordAt(h.Offset)
	if !ok {
		return remark(resp, protocol.SystemError, fmt.Sprintf("can not find message by the offset, %d", h.Offset))
	}
	resp.Code = int32(protocol.Success)
	resp.Body = rec
	return resp
}
