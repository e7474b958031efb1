package main

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/message"
	"github.com/gorocket/gorocket/internal/testproc"
)

// admin runs mqadmin against the shared cluster and requires success.
func admin(t *testing.T, c *testproc.Cluster, args ...string) string {
	t.Helper()
	r := tool(t, "mqadmin", nil, append(args, "-n", c.NsAddr)...)
	require.Equal(t, 0, r.Code, "mqadmin %v\nstdout:\n%s\nstderr:\n%s", args, r.Stdout, r.Stderr)
	return r.Stdout
}

func TestMqadminHelpAndUnknownCommand(t *testing.T) {
	r := tool(t, "mqadmin", nil)
	require.Equal(t, 0, r.Code)
	lines := strings.Split(strings.TrimRight(r.Stdout, "\n"), "\n")
	require.Equal(t, "The most commonly used mqadmin commands are:", lines[0])
	require.Equal(t, "See 'mqadmin help <command>' for more information on a specific command.", lines[len(lines)-1])
	for _, c := range commands {
		require.Contains(t, lines, fmt.Sprintf("   %-20s %s", c.name, c.desc))
	}

	r = tool(t, "mqadmin", nil, "help", "updateTopic")
	require.Equal(t, 0, r.Code)
	require.True(t, strings.HasPrefix(r.Stdout, "usage: mqadmin updateTopic "), r.Stdout)
	require.Contains(t, r.Stdout, "-t,--topic <arg>")

	r = tool(t, "mqadmin", nil, "noSuchCommand")
	require.NotEqual(t, 0, r.Code)
	require.Contains(t, r.Stderr, "The sub command noSuchCommand not exist.")

	r = tool(t, "mqadmin", nil, "help", "noSuchCommand")
	require.NotEqual(t, 0, r.Code)
	require.Contains(t, r.Stderr, "The sub command noSuchCommand not exist.")
}

func TestMqadminBadInput(t *testing.T) {
	cases := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"missing topic", nil, []string{"topicRoute", "-n", "127.0.0.1:9876"}, "Missing required option: t"},
		{"missing two", nil, []string{"queryMsgByKey", "-n", "127.0.0.1:9876"}, "Missing required options: t, k"},
		{"missing broker or cluster", nil, []string{"updateTopic", "-t", "T", "-n", "127.0.0.1:9876"}, "Missing required option: one of -b or -c"},
		{"unknown option", nil, []string{"topicList", "-z", "1"}, "Unrecognized option: -z"},
		{"no name server", nil, []string{"topicList"}, "no name server address"},
		{"not a number", nil, []string{"updateTopic", "-t", "T", "-b", "127.0.0.1:1", "-r", "abc"}, `option -r (readQueueNums) is not a number: "abc"`},
		{"bad perm", nil, []string{"updateTopic", "-t", "T", "-b", "127.0.0.1:1", "-p", "7"}, "perm must be 2 (W), 4 (R) or 6 (RW), got 7"},
		{"half a queue", nil, []string{"sendMessage", "-t", "T", "-p", "x", "-b", "b"}, "-b broker and -i qid go together"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tool(t, "mqadmin", tc.env, tc.args...)
			require.Equal(t, 1, r.Code, r.Stdout)
			require.Contains(t, r.Stderr, tc.want)
		})
	}

	// An unreachable name server: a dead port, through NAMESRV_ADDR.
	port := testproc.Port(t)
	r := tool(t, "mqadmin", []string{fmt.Sprintf("NAMESRV_ADDR=127.0.0.1:%d", port)}, "topicList")
	require.Equal(t, 1, r.Code)
	require.Contains(t, r.Stderr, "topicList command failed")
	require.Contains(t, r.Stderr, fmt.Sprintf("127.0.0.1:%d", port))
}

func TestMqadminTopicLifecycle(t *testing.T) {
	c := sharedCluster(t)
	out := admin(t, c, "updateTopic", "-c", "DefaultCluster", "-t", "TopicLife", "-r", "3", "-w", "3")
	require.Contains(t, out, "create topic to "+c.BrokerAddr()+" success.")
	require.Contains(t, out, "TopicConfig [topicName=TopicLife, readQueueNums=3, writeQueueNums=3, perm=RW-, topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false]")

	require.Contains(t, strings.Split(admin(t, c, "topicList"), "\n"), "TopicLife")

	route := admin(t, c, "topicRoute", "-t", "TopicLife")
	require.Contains(t, route, `"brokerName": "`+c.BrokerName+`"`)
	require.Contains(t, route, `"readQueueNums": 3`)
	require.Contains(t, route, `"`+c.BrokerAddr()+`"`)

	status := strings.Split(strings.TrimSpace(admin(t, c, "topicStatus", "-t", "TopicLife")), "\n")
	require.Len(t, status, 4, "a header and three queues")
	require.Regexp(t, `^#Broker Name\s+#QID\s+#Min Offset\s+#Max Offset\s+#Last Updated$`, status[0])
	require.Regexp(t, `^`+c.BrokerName+`\s+2\s+0\s+0\s*$`, status[3])

	// Updating the broker by address changes the queue count.
	out = admin(t, c, "updateTopic", "-b", c.BrokerAddr(), "-t", "TopicLife", "-r", "5", "-w", "5", "-p", "4")
	require.Contains(t, out, "perm=R--")
	require.Contains(t, admin(t, c, "topicRoute", "-t", "TopicLife"), `"readQueueNums": 5`)

	out = admin(t, c, "deleteTopic", "-t", "TopicLife", "-c", "DefaultCluster")
	require.Contains(t, out, "delete topic [TopicLife] from cluster [DefaultCluster] success.")
	require.Contains(t, out, "delete topic [TopicLife] from NameServer success.")
	require.NotContains(t, strings.Split(admin(t, c, "topicList"), "\n"), "TopicLife")

	// An ordered topic also gets its order configuration on the name server.
	out = admin(t, c, "updateTopic", "-b", c.BrokerAddr(), "-t", "TopicOrd", "-w", "2", "-r", "2", "-o", "true")
	require.Contains(t, out, "set cluster orderConf. isOrder=true, orderConf=["+c.BrokerName+":2]")
	require.Contains(t, out, "order=true]")
	adm, err := client.NewAdmin(client.AdminConfig{ClientConfig: client.ClientConfig{NameServers: []string{c.NsAddr}}}, nil)
	require.NoError(t, err)
	defer adm.Close()
	kvCtx, kvCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer kvCancel()
	conf, err := adm.GetKVConfig(kvCtx, "ORDER_TOPIC_CONFIG", "TopicOrd")
	require.NoError(t, err)
	require.Equal(t, c.BrokerName+":2", conf)

	r := tool(t, "mqadmin", nil, "topicRoute", "-t", "TopicLife", "-n", c.NsAddr)
	require.Equal(t, 1, r.Code)
	require.Contains(t, r.Stderr, "topic [TopicLife] not exist")
}

func TestMqadminClusterAndBrokerCommands(t *testing.T) {
	c := sharedCluster(t)
	lines := strings.Split(strings.TrimSpace(admin(t, c, "clusterList")), "\n")
	require.Regexp(t, `^#Cluster Name\s+#Broker Name\s+#BID\s+#Addr\s+#Version\s+#InTPS\(LOAD\)\s+#OutTPS\(LOAD\)\s+#PCWait\(ms\)\s+#Hour\s+#SPACE$`, lines[0])
	require.Len(t, lines, 2)
	require.Regexp(t, `^DefaultCluster\s+`+c.BrokerName+`\s+0\s+`+regexp.QuoteMeta(c.BrokerAddr())+`\s+V4_9_8\s+`, lines[1])

	status := admin(t, c, "brokerStatus", "-b", c.BrokerAddr())
	require.Regexp(t, `(?m)^brokerVersionDesc\s+: V4_9_8$`, status)
	require.Regexp(t, `(?m)^putTps\s+: `, status)

	conf := admin(t, c, "getBrokerConfig", "-b", c.BrokerAddr())
	require.Contains(t, conf, "============"+c.BrokerAddr()+"============")
	require.Regexp(t, `(?m)^brokerName\s+=  `+c.BrokerName+`$`, conf)

	out := admin(t, c, "updateBrokerConfig", "-c", "DefaultCluster", "-k", "fileReservedTime", "-v", "48")
	require.Contains(t, out, "update broker config success, "+c.BrokerAddr())
	require.Regexp(t, `(?m)^fileReservedTime\s+=  48$`, admin(t, c, "getBrokerConfig", "-c", "DefaultCluster"))

	// Cluster names are checked.
	r := tool(t, "mqadmin", nil, "getBrokerConfig", "-c", "NoCluster", "-n", c.NsAddr)
	require.Equal(t, 1, r.Code)
	require.Contains(t, r.Stderr, "cluster [NoCluster] not exist")
}

func TestMqadminSendQueryAndConsume(t *testing.T) {
	c := sharedCluster(t)
	admin(t, c, "updateTopic", "-b", c.BrokerAddr(), "-t", "TopicMsg", "-r", "2", "-w", "2")
	rowRE := regexp.MustCompile(`(?m)^` + c.BrokerName + `\s+(\d+)\s+(\d+)\s+SEND_OK\s+([0-9A-F]{32})\s+([0-9A-F]{32})$`)
	var offsetIDs []string
	bodies := []string{"hello gorocket 0", "hello gorocket 1", "hello gorocket 2"}
	for i, body := range bodies {
		out := admin(t, c, "sendMessage", "-t", "TopicMsg", "-p", body, "-k", fmt.Sprintf("key%d", i), "-c", "TagA")
		require.Regexp(t, `^#Broker Name\s+#QID\s+#Queue Offset\s+#Send Result\s+#MsgId\s+#OffsetMsgId\n`, out)
		m := rowRE.FindStringSubmatch(out)
		require.NotNil(t, m, out)
		offsetIDs = append(offsetIDs, m[4])
	}
	out := admin(t, c, "sendMessage", "-t", "TopicMsg", "-p", "to queue 1", "-b", c.BrokerName, "-i", "1")
	m := rowRE.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	require.Equal(t, "1", m[1], "sent to the queue asked for")

	got := admin(t, c, "queryMsgById", "-i", offsetIDs[1])
	require.Regexp(t, `(?m)^OffsetID:\s+`+offsetIDs[1]+`$`, got)
	require.Regexp(t, `(?m)^Topic:\s+TopicMsg$`, got)
	require.Regexp(t, `(?m)^Tags:\s+\[TagA\]$`, got)
	require.Regexp(t, `(?m)^Keys:\s+\[key1\]$`, got)
	require.Regexp(t, `(?m)^Message Body:\s+hello gorocket 1$`, got)

	byKey := admin(t, c, "queryMsgByKey", "-t", "TopicMsg", "-k", "key2")
	lines := strings.Split(strings.TrimSpace(byKey), "\n")
	require.Len(t, lines, 2, byKey)
	require.Regexp(t, `^[0-9A-F]{32}\s+\d+\s+\d+$`, lines[1])

	consumed := admin(t, c, "consumeMessage", "-t", "TopicMsg")
	for _, body := range append(bodies, "to queue 1") {
		require.Contains(t, consumed, "BODY: "+body+"\n")
	}
	require.Contains(t, consumed, "Consumed 4 messages.")
	one := admin(t, c, "consumeMessage", "-t", "TopicMsg", "-b", c.BrokerName, "-i", "1", "-o", "0", "-c", "1")
	require.Equal(t, 1, strings.Count(one, "MSGID: "), one)

	r := tool(t, "mqadmin", nil, "queryMsgById", "-i", "not-an-id", "-n", c.NsAddr)
	require.Equal(t, 1, r.Code)
	require.Contains(t, r.Stderr, "not an offset message id")
	r = tool(t, "mqadmin", nil, "consumeMessage", "-t", "NoSuchTopicHere", "-n", c.NsAddr)
	require.Equal(t, 1, r.Code)
	require.Contains(t, r.Stderr, "topic [NoSuchTopicHere] not exist")
}

func TestMqadminGroupCommands(t *testing.T) {
	c := sharedCluster(t)
	out := admin(t, c, "updateSubGroup", "-b", c.BrokerAddr(), "-g", "GroupAdm", "-r", "3")
	require.Contains(t, out, "create subscription group to "+c.BrokerAddr()+" success.")
	require.Contains(t, out, "groupName=GroupAdm")
	require.Contains(t, out, "retryMaxTimes=3")

	// A live consumer of the group, consuming two messages.
	admin(t, c, "updateTopic", "-b", c.BrokerAddr(), "-t", "TopicGrp", "-r", "2", "-w", "2")
	admin(t, c, "sendMessage", "-t", "TopicGrp", "-p", "g1")
	admin(t, c, "sendMessage", "-t", "TopicGrp", "-p", "g2")
	pc, err := client.NewPushConsumer(client.ConsumerConfig{
		ClientConfig:    client.ClientConfig{NameServers: []string{c.NsAddr}},
		Group:           "GroupAdm",
		FromWhere:       client.ConsumeFromFirstOffset,
		PersistInterval: 200 * time.Millisecond,
		OffsetStoreDir:  t.TempDir(),
	}, nil)
	require.NoError(t, err)
	seen := make(chan string, 16)
	require.NoError(t, pc.Subscribe("TopicGrp", "*", func(_ context.Context, msgs []*message.MessageExt) client.ConsumeResult {
		for _, m := range msgs {
			seen <- string(m.Body)
		}
		return client.ConsumeSuccess
	}))
	require.NoError(t, pc.Start())
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = pc.Shutdown(ctx)
	}()
	got := map[string]bool{}
	for len(got) < 2 {
		select {
		case b := <-seen:
			got[b] = true
		case <-time.After(30 * time.Second):
			t.Fatalf("the consumer got %v within 30 s", got)
		}
	}

	conn := admin(t, c, "consumerConnection", "-g", "GroupAdm")
	require.Regexp(t, `(?m)^001  `+regexp.QuoteMeta(pc.ClientID())+`\s+127\.0\.0\.1:\d+\s+[A-Z]+\s+V4_9_8$`, conn)
	require.Regexp(t, `(?m)^\d{3}  Topic: TopicGrp\s+SubExpression: \*$`, conn)
	require.Contains(t, conn, "MessageModel: CLUSTERING")

	require.Eventually(t, func() bool {
		r := tool(t, "mqadmin", nil, "consumerProgress", "-g", "GroupAdm", "-n", c.NsAddr)
		return r.Code == 0 && strings.Contains(r.Stdout, "Consume Diff Total: 0\n") && strings.Contains(r.Stdout, "TopicGrp")
	}, 30*time.Second, 300*time.Millisecond, "the committed offsets reach the broker offsets")
	progress := admin(t, c, "consumerProgress", "-g", "GroupAdm")
	require.Regexp(t, `(?m)^#Topic\s+#Broker Name\s+#QID\s+#Broker Offset\s+#Consumer Offset\s+#Client IP\s+#Diff\s+#LastTime$`, progress)
	rows := regexp.MustCompile(`(?m)^TopicGrp\s+`+c.BrokerName+`\s+[01]\s+(\d+)\s+(\d+)\s+N/A\s+0\s+`).FindAllStringSubmatch(progress, -1)
	require.Len(t, rows, 2, progress)
	require.Equal(t, 2, atoi(t, rows[0][1])+atoi(t, rows[1][1]), "two messages in the broker")
	require.Equal(t, 2, atoi(t, rows[0][2])+atoi(t, rows[1][2]), "two messages consumed")

	all := admin(t, c, "consumerProgress")
	require.Regexp(t, `(?m)^#Group\s+#Count\s+#Version\s+#Type\s+#Model\s+#TPS\s+#Diff Total$`, all)
	require.Regexp(t, `(?m)^GroupAdm\s+1\s+V4_9_8\s+PUSH\s+CLUSTERING\s+\d+\s+0$`, all)

	out = admin(t, c, "deleteSubGroup", "-b", c.BrokerAddr(), "-g", "GroupGone")
	require.Contains(t, out, "delete subscription group [GroupGone] from broker ["+c.BrokerAddr()+"] success.")

	r := tool(t, "mqadmin", nil, "consumerConnection", "-g", "NeverSeenGroup", "-n", c.NsAddr)
	require.Equal(t, 1, r.Code)
	require.Contains(t, r.Stderr, "consumerConnection command failed")
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}
