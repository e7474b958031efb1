package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

func TestProducerHeaderV2(t *testing.T) {
	p, err := NewProducer(ProducerConfig{ClientConfig: ClientConfig{NameServers: []string{"127.0.0.1:1"}}, Group: "pg"}, nil)
	require.NoError(t, err)
	msg := &message.Message{Topic: "T", Flag: 7, Body: []byte("x")}
	msg.SetProperty(message.PropertyTags, "t")
	pr, err := p.prepare(msg)
	require.NoError(t, err)
	req := pr.request(MessageQueue{Topic: "T", BrokerName: "b", QueueID: 3})
	require.Equal(t, int32(protocol.SendMessageV2), req.Code)
	ext := req.ExtFields
	require.Equal(t, "pg", ext["a"])
	require.Equal(t, "T", ext["b"])
	require.Equal(t, "TBW102", ext["c"])
	require.Equal(t, "4", ext["d"])
	require.Equal(t, "3", ext["e"])
	require.Equal(t, "0", ext["f"])
	require.NotEmpty(t, ext["g"])
	require.Equal(t, "7", ext["h"])
	require.Equal(t, "0", ext["j"])
	require.Equal(t, "false", ext["k"])
	require.Equal(t, "false", ext["m"])
	require.Equal(t, "b", ext["n"])
	require.NotContains(t, ext, "l")
	props := message.DecodeProperties(ext["i"])
	require.Equal(t, "t", props["TAGS"])
	require.Equal(t, msg.UniqKey(), props["UNIQ_KEY"])

	// Large bodies are compressed; the flag says so.
	big := &message.Message{Topic: "T", Body: []byte(strings.Repeat("abc", 3000))}
	pr, err = p.prepare(big)
	require.NoError(t, err)
	req = pr.request(MessageQueue{Topic: "T", BrokerName: "b"})
	require.Equal(t, fmt.Sprint(message.SysFlagCompressed|message.SysFlagCompressionZLIB), req.ExtFields["f"])
	plain, err := message.Decompress(req.Body)
	require.NoError(t, err)
	require.Equal(t, big.Body, plain)

	// Retry topics move the reconsume counters into the header.
	rm := &message.Message{Topic: "%RETRY%cg", Body: []byte("x")}
	rm.SetProperty(message.PropertyReconsumeTime, "3")
	rm.SetProperty(message.PropertyMaxReconsumeTimes, "16")
	pr, err = p.prepare(rm)
	require.NoError(t, err)
	req = pr.request(MessageQueue{Topic: "%RETRY%cg", BrokerName: "b"})
	require.Equal(t, "3", req.ExtFields["j"])
	require.Equal(t, "16", req.ExtFields["l"])
	props = message.DecodeProperties(req.ExtFields["i"])
	require.NotContains(t, props, message.PropertyReconsumeTime)
	require.NotContains(t, props, message.PropertyMaxReconsumeTimes)
}

func TestProducerRejectsBadMessages(t *testing.T) {
	p, err := NewProducer(ProducerConfig{ClientConfig: ClientConfig{NameServers: []string{"127.0.0.1:1"}}, MaxMessageSize: 10}, nil)
	require.NoError(t, err)
	for name, m := range map[string]*message.Message{
		"nil":        nil,
		"blank":      {Topic: " ", Body: []byte("x")},
		"illegal":    {Topic: "a b", Body: []byte("x")},
		"long":       {Topic: strings.Repeat("t", 128), Body: []byte("x")},
		"empty body": {Topic: "T"},
		"too big":    {Topic: "T", Body: make([]byte, 11)},
		"TBW102":     {Topic: "TBW102", Body: []byte("x")},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := p.prepare(m)
			require.ErrorIs(t, err, ErrInvalidMessage)
		})
	}
	_, err = p.Send(context.Background(), &message.Message{Topic: "T", Body: []byte("x")})
	require.ErrorIs(t, err, ErrClosed)
}

func TestProducerSendResultMapping(t *testing.T) {
	req := remoting.NewRequest(protocol.SendMessageV2, nil, nil)
	mq := MessageQueue{Topic: "T", BrokerName: "b", QueueID: 9}
	for _, tc := range []struct {
		code protocol.ResponseCode
		want SendStatus
	}{
		{protocol.Success, SendOK},
		{protocol.FlushDiskTimeout, SendFlushDiskTimeout},
		{protocol.FlushSlaveTimeout, SendFlushSlaveTimeout},
		{protocol.SlaveNotAvailable, SendSlaveNotAvailable},
	} {
		resp := remoting.NewResponse(req, tc.code, "")
		resp.ExtFields = map[string]string{"msgId": "0A0000010000277B0000000000000010", "queueId": "2", "queueOffset": "42", "TRACE_ON": "false"}
		r, err := sendResultOf(resp, "x:1", mq, "UNIQ")
		require.NoError(t, err)
		require.Equal(t, tc.want, r.Status)
		require.Equal(t, int32(2), r.Queue.QueueID)
		require.Equal(t, int64(42), r.QueueOffset)
		require.Equal(t, "UNIQ", r.MsgID)
		require.Equal(t, "0A0000010000277B0000000000000010", r.OffsetMsgID)
		require.Equal(t, "DefaultRegion", r.RegionID)
		require.False(t, r.TraceOn)
	}
	resp := remoting.NewResponse(req, protocol.MessageIllegal, "the message is illegal")
	_, err := sendResultOf(resp, "x:1", mq, "UNIQ")
	var be *BrokerError
	require.ErrorAs(t, err, &be)
	require.Equal(t, protocol.MessageIllegal, be.Code)
	require.Equal(t, "the message is illegal", be.Remark)
	require.False(t, retryable(err))

	// A stored answer without its header fields is an error, not a panic.
	resp = remoting.NewResponse(req, protocol.Success, "")
	_, err = sendResultOf(resp, "x:1", mq, "UNIQ")
	require.Error(t, err)
}

func TestProducerRetrySelection(t *testing.T) {
	for _, code := range []protocol.ResponseCode{protocol.TopicNotExist, protocol.ServiceNotAvailable, protocol.SystemError, protocol.NoPermission} {
		require.True(t, retryable(&BrokerError{Code: code}), "%s", code)
	}
	for _, code := range []protocol.ResponseCode{protocol.MessageIllegal, protocol.SystemBusy, protocol.SubscriptionGroupNotExist} {
		require.False(t, retryable(&BrokerError{Code: code}), "%s", code)
	}
	require.True(t, retryable(errors.New("connection refused")))
	require.False(t, retryable(fmt.Errorf("x: %w", ErrInvalidMessage)))

	p, err := NewProducer(ProducerConfig{ClientConfig: ClientConfig{NameServers: []string{"127.0.0.1:1"}}}, nil)
	require.NoError(t, err)
	mqs := []MessageQueue{{Topic: "T", BrokerName: "a", QueueID: 0}, {Topic: "T", BrokerName: "a", QueueID: 1}, {Topic: "T", BrokerName: "b", QueueID: 0}}
	for i := 0; i < 6; i++ {
		require.Equal(t, "b", p.selectQueue("T", mqs, "a").BrokerName)
		require.Equal(t, "a", p.selectQueue("T", mqs, "b").BrokerName)
	}
	one := []MessageQueue{{Topic: "T", BrokerName: "a"}}
	require.Equal(t, "a", p.selectQueue("T", one, "a").BrokerName, "no other broker: same one")
}
