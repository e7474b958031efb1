package remoting

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// TestServerOfficialGoClient drives the server with the unchanged
// rocketmq-client-go v2.1.2 admin client: its JSON frames must decode, and
// our JSON responses must satisfy its decoder.
func TestServerOfficialGoClient(t *testing.T) {
	rlog.SetLogLevel("fatal")
	seen := make(chan *Command, 8)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Register(protocol.GetAllTopicListFromNameserver, func(_ *Conn, req *Command) *Command {
			seen <- req
			resp := NewResponse(req, protocol.Success, "")
			resp.Body = []byte(`{"topicList":["TopicA","TopicB"]}`)
			return resp
		}, nil)
		for _, code := range []protocol.RequestCode{protocol.UpdateAndCreateTopic, protocol.DeleteTopicInBroker, protocol.DeleteTopicInNamesrv} {
			s.Register(code, func(_ *Conn, req *Command) *Command {
				seen <- req
				return NewResponse(req, protocol.Success, "")
			}, nil)
		}
	})
	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{s.Addr()})))
	require.NoError(t, err)
	t.Cleanup(func() { _ = adm.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	list, err := adm.FetchAllTopicList(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"TopicA", "TopicB"}, list.TopicList)
	req := <-seen
	assert.Equal(t, int32(protocol.GetAllTopicListFromNameserver), req.Code)
	assert.Equal(t, "GO", req.Language)
	assert.Equal(t, int32(317), req.Version)
	assert.Equal(t, SerializeJSON, req.SerializeType)

	require.NoError(t, adm.CreateTopic(ctx, admin.WithTopicCreate("TopicC"), admin.WithBrokerAddrCreate(s.Addr()),
		admin.WithReadQueueNums(4), admin.WithWriteQueueNums(4), admin.WithOrder(true)))
	req = <-seen
	assert.Equal(t, int32(protocol.UpdateAndCreateTopic), req.Code)
	assert.Equal(t, "TopicC", req.ExtFields["topic"])
	assert.Equal(t, "4", req.ExtFields["readQueueNums"])
	assert.Equal(t, "true", req.ExtFields["order"])

	require.NoError(t, adm.DeleteTopic(ctx, admin.WithTopicDelete("TopicC"), admin.WithBrokerAddrDelete(s.Addr()),
		admin.WithNameSrvAddr([]string{s.Addr()})))
	for _, want := range []protocol.RequestCode{protocol.DeleteTopicInBroker, protocol.DeleteTopicInNamesrv} {
		req := receive(t, seen, fmt.Sprintf("%s never arrived", want))
		assert.Equal(t, int32(want), req.Code)
		assert.Equal(t, "TopicC", req.ExtFields["topic"])
	}
}
