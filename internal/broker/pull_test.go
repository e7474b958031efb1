package broker

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
	"github.com/gorocket/gorocket/internal/store"
)

// asyncPull sends a pull and delivers its response on the returned channel.
func (e *testEnv) asyncPull(req *remoting.Command) <-chan *remoting.Command {
	e.t.Helper()
	ch := make(chan *remoting.Command, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err := e.cli.InvokeAsync(ctx, e.b.Addr(), req, func(resp *remoting.Command, err error) {
		defer cancel()
		if err != nil {
			resp = &remoting.Command{Code: -1, Remark: err.Error()}
		}
		ch <- resp
	})
	require.NoError(e.t, err)
	return ch
}

func TestPullLongPollingWakesOnArrival(t *testing.T) {
	e := startEnv(t)
	e.createTopic("LongPoll", 1, 6)
	ch := e.asyncPull(pullReq("LongPoll", 0, 0, "*", protocol.PullFlagSubscription|protocol.PullFlagSuspend, 15000))
	require.Eventually(t, func() bool { return e.b.hold.held() == 1 }, 10*time.Second, 5*time.Millisecond, "the pull is held")
	select {
	case resp := <-ch:
		t.Fatalf("held pull answered before any message: %d %s", resp.Code, resp.Remark)
	default:
	}
	e.send("LongPoll", 0, nil, "wake up")
	resp := <-ch
	require.Equal(t, int32(protocol.Success), resp.Code, resp.Remark)
	require.Equal(t, []string{"wake up"}, bodies(t, resp))
	require.Equal(t, int64(1), pullHeader(t, resp).NextBeginOffset)
	require.Equal(t, 0, e.b.hold.held())
}

func TestPullLongPollingTimesOut(t *testing.T) {
	e := startEnv(t)
	e.createTopic("LongPollTimeout", 1, 6)
	e.send("LongPollTimeout", 0, nil, "m0")
	e.waitMaxOffset("LongPollTimeout", 0, 1)
	resp := <-e.asyncPull(pullReq("LongPollTimeout", 0, 1, "*", protocol.PullFlagSubscription|protocol.PullFlagSuspend, 100))
	require.Equal(t, int32(protocol.PullNotFound), resp.Code, resp.Remark)
	h := pullHeader(t, resp)
	require.Equal(t, int64(1), h.NextBeginOffset)
	require.Equal(t, int64(1), h.MaxOffset)
	require.Equal(t, 0, e.b.hold.held())
}

func TestPullLongPollingIgnoresOtherTags(t *testing.T) {
	e := startEnv(t)
	e.createTopic("LongPollTags", 1, 6)
	ch := e.asyncPull(pullReq("LongPollTags", 0, 0, "TagA", protocol.PullFlagSubscription|protocol.PullFlagSuspend, 15000))
	require.Eventually(t, func() bool { return e.b.hold.held() == 1 }, 10*time.Second, 5*time.Millisecond)
	e.send("LongPollTags", 0, map[string]string{"TAGS": "TagB"}, "not for you")
	e.send("LongPollTags", 0, map[string]string{"TAGS": "TagA"}, "for you")
	resp := <-ch
	require.Equal(t, int32(protocol.Success), resp.Code, resp.Remark)
	require.Equal(t, []string{"for you"}, bodies(t, resp))
}

func TestPullShortPolling(t *testing.T) {
	e := startEnv(t, func(c *Config, _ *store.Config) {
		c.LongPollingEnable = false
		c.ShortPollingTimeMills = 50
	})
	e.createTopic("ShortPoll", 1, 6)
	resp := <-e.asyncPull(pullReq("ShortPoll", 0, 0, "*", protocol.PullFlagSubscription|protocol.PullFlagSuspend, 15000))
	require.Equal(t, int32(protocol.PullNotFound), resp.Code, "short polling answers after shortPollingTimeMills, not the client's 15 s")
}

func TestPullTagFiltering(t *testing.T) {
	e := startEnv(t)
	e.createTopic("Tags", 1, 6)
	for _, tag := range []string{"TagA", "TagB", "TagC", "TagA", ""} {
		props := map[string]string{}
		if tag != "" {
			props["TAGS"] = tag
		}
		e.send("Tags", 0, props, "m-"+tag)
	}
	e.waitMaxOffset("Tags", 0, 5)
	resp := e.invoke(pullReq("Tags", 0, 0, "TagA || TagC", protocol.PullFlagSubscription, 0))
	require.Equal(t, int32(protocol.Success), resp.Code)
	require.Equal(t, []string{"m-TagA", "m-TagC", "m-TagA"}, bodies(t, resp))
	require.Equal(t, int64(5), pullHeader(t, resp).NextBeginOffset, "the scan moves past filtered messages")

	resp = e.invoke(pullReq("Tags", 0, 4, "TagB", protocol.PullFlagSubscription, 0))
	require.Equal(t, int32(protocol.PullRetryImmediately), resp.Code, "entries scanned, none matched")
	require.Equal(t, "NO_MATCHED_MESSAGE", resp.Remark)
	require.Equal(t, int64(5), pullHeader(t, resp).NextBeginOffset)

	resp = e.invoke(pullReq("Tags", 0, 0, "TagZ", protocol.PullFlagSubscription, 0))
	require.Equal(t, int32(protocol.PullRetryImmediately), resp.Code, "an unknown tag matches nothing")
	require.Equal(t, int64(5), pullHeader(t, resp).NextBeginOffset)
}

// TestPullOffsetRules: the offset-moved rules of §8.3.
func TestPullOffsetRules(t *testing.T) {
	e := startEnv(t)
	e.createTopic("Offsets", 2, 6)
	for range 3 {
		e.send("Offsets", 0, nil, "x")
	}
	e.waitMaxOffset("Offsets", 0, 3)
	cases := []struct {
		name   string
		queue  int32
		offset int64
		code   protocol.ResponseCode
		remark string
		next   int64
	}{
		{"overflow one", 0, 3, protocol.PullNotFound, "OFFSET_OVERFLOW_ONE", 3},
		{"overflow badly, min 0", 0, 10, protocol.PullOffsetMoved, "OFFSET_OVERFLOW_BADLY", 0},
		{"empty queue at 0", 1, 0, protocol.PullNotFound, "NO_MATCHED_LOGIC_QUEUE", 0},
		{"empty queue past 0", 1, 5, protocol.PullOffsetMoved, "NO_MATCHED_LOGIC_QUEUE", 0},
		{"found", 0, 1, protocol.Success, "FOUND", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.invoke(pullReq("Offsets", tc.queue, tc.offset, "*", protocol.PullFlagSubscription, 0))
			require.Equal(t, int32(tc.code), resp.Code, resp.Remark)
			require.Equal(t, tc.remark, resp.Remark)
			h := pullHeader(t, resp)
			require.Equal(t, tc.next, h.NextBeginOffset)
			require.Equal(t, int64(0), h.SuggestWhichBrokerID)
		})
	}
	// A moved offset is recorded as an OFFSET_MOVED_EVENT message.
	e.waitMaxOffset("OFFSET_MOVED_EVENT", 0, 2)
}

func TestPullBadRequests(t *testing.T) {
	e := startEnv(t)
	e.createTopic("PullBad", 2, 6)

	resp := e.invoke(pullReq("PullBad", 2, 0, "*", protocol.PullFlagSubscription, 0))
	require.Equal(t, int32(protocol.SystemError), resp.Code)
	require.Contains(t, resp.Remark, "queueId[2] is illegal, topic:[PullBad] topicConfig.readQueueNums:[2]")

	resp = e.invoke(pullReq("NoSuchTopic", 0, 0, "*", protocol.PullFlagSubscription, 0))
	require.Equal(t, int32(protocol.TopicNotExist), resp.Code)

	resp = e.invoke(pullReq("PullBad", 0, 0, "*", 0, 0))
	require.Equal(t, int32(protocol.SubscriptionNotExist), resp.Code, "no subscription in the request and no heartbeat")

	req := pullReq("PullBad", 0, 0, "*", protocol.PullFlagSubscription, 0)
	req.ExtFields["expressionType"] = "SQL92"
	resp = e.invoke(req)
	require.Equal(t, int32(protocol.SystemError), resp.Code)
	require.Equal(t, "The broker does not support consumer to filter message by SQL92", resp.Remark)

	req = pullReq("PullBad", 0, 0, "*", protocol.PullFlagSubscription, 0)
	req.ExtFields["queueOffset"] = "abc"
	resp = e.invoke(req)
	require.Equal(t, int32(protocol.SystemError), resp.Code)
	require.Contains(t, resp.Remark, "<queueOffset>")

	req = pullReq("PullBad", 0, 0, "*", protocol.PullFlagSubscription, 0)
	delete(req.ExtFields, "consumerGroup")
	resp = e.invoke(req)
	require.Equal(t, int32(protocol.SystemError), resp.Code)
	require.Equal(t, "the custom field <consumerGroup> is null", resp.Remark)
}

func TestPullNoPermission(t *testing.T) {
	e := startEnv(t, func(c *Config, _ *store.Config) { c.BrokerPermission = protocol.PermWrite })
	e.createTopic("WriteOnly", 1, 6)
	resp := e.invoke(pullReq("WriteOnly", 0, 0, "*", protocol.PullFlagSubscription, 0))
	require.Equal(t, int32(protocol.NoPermission), resp.Code)
	require.Contains(t, resp.Remark, "pulling message is forbidden")
}

func TestPullUsesHeartbeatSubscriptionAndCommitsOffset(t *testing.T) {
	e := startEnv(t)
	e.createTopic("HBTopic", 1, 6)
	hb := []byte(`{"clientID":"127.0.0.1@hb","producerDataSet":[],"consumerDataSet":[{"groupName":"cg","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"HBTopic","subString":"TagB","tagsSet":["TagB"],"codeSet":["2598920"],"subVersion":1795339958951945534,"expressionType":"TAG"}],"unitMode":false}]}`)
	resp := e.invoke(remoting.NewRequest(protocol.HeartBeat, nil, hb))
	require.Equal(t, int32(protocol.Success), resp.Code, resp.Remark)
	e.send("HBTopic", 0, map[string]string{"TAGS": "TagA"}, "a")
	e.send("HBTopic", 0, map[string]string{"TAGS": "TagB"}, "b")
	e.waitMaxOffset("HBTopic", 0, 2)

	req := pullReq("HBTopic", 0, 0, "", protocol.PullFlagCommitOffset, 0)
	req.ExtFields["commitOffset"] = "1"
	resp = e.invoke(req)
	require.Equal(t, int32(protocol.Success), resp.Code, resp.Remark)
	require.Equal(t, []string{"b"}, bodies(t, resp), "the heartbeat's TagB subscription filters")
	require.Equal(t, int64(1), e.b.offsets.QueryOffset("cg", "HBTopic", 0), "the commit-offset flag stores the offset")

	req = pullReq("HBTopic", 0, 0, "", 0, 0)
	req.ExtFields["subVersion"] = "1795339958951945535"
	resp = e.invoke(req)
	require.Equal(t, int32(protocol.SubscriptionNotLatest), resp.Code)
}

// TestPullHeldPullsFreeTheirWorker: with one pull worker, several held
// pulls do not stop another pull from being served.
func TestPullHeldPullsFreeTheirWorker(t *testing.T) {
	e := startEnv(t, func(c *Config, _ *store.Config) { c.PullMessageThreadPoolNums = 1 })
	e.createTopic("OneWorker", 2, 6)
	var held []<-chan *remoting.Command
	for range 3 {
		held = append(held, e.asyncPull(pullReq("OneWorker", 0, 0, "*", protocol.PullFlagSubscription|protocol.PullFlagSuspend, 15000)))
	}
	require.Eventually(t, func() bool { return e.b.hold.held() == 3 }, 10*time.Second, 5*time.Millisecond)
	e.send("OneWorker", 1, nil, "other queue")
	e.waitMaxOffset("OneWorker", 1, 1)
	resp := e.invoke(pullReq("OneWorker", 1, 0, "*", protocol.PullFlagSubscription, 0))
	require.Equal(t, int32(protocol.Success), resp.Code, "served while three pulls are held")
	e.send("OneWorker", 0, nil, "wake all")
	for _, ch := range held {
		r := <-ch
		require.Equal(t, int32(protocol.Success), r.Code, r.Remark)
		require.Equal(t, []string{"wake all"}, bodies(t, r))
	}
}
