package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/message"
)

func TestMqadminMoreCommands(t *testing.T) {
	c := sharedCluster(t)
	const topic = "TopicMore"
	admin(t, c, "updateTopic", "-b", c.BrokerAddr(), "-t", topic, "-r", "2", "-w", "2")
	require.Equal(t, "DefaultCluster\n", admin(t, c, "topicClusterList", "-t", topic))

	// A producer of its own group, for producerConnection.
	p, err := client.NewProducer(client.ProducerConfig{
		ClientConfig: client.ClientConfig{NameServers: []string{c.NsAddr}},
		Group:        "PG_more",
	}, nil)
	require.NoError(t, err)
	require.NoError(t, p.Start())
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Shutdown(ctx)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var uniq string
	for i := range 3 {
		r, err := p.SendToQueue(ctx, &message.Message{Topic: topic, Body: []byte("more " + strconv.Itoa(i))},
			client.MessageQueue{Topic: topic, BrokerName: c.BrokerName, QueueID: 0})
		require.NoError(t, err)
		require.Equal(t, int64(i), r.QueueOffset)
		uniq = r.MsgID
	}
	conns := admin(t, c, "producerConnection", "-g", "PG_more", "-t", topic)
	require.Regexp(t, `(?m)^0001  `+regexp.QuoteMeta(p.ClientID())+`\s+127\.0\.0\.1:\d+\s+[A-Z]+\s+V4_9_8$`, conns)

	byOffset := admin(t, c, "queryMsgByOffset", "-t", topic, "-b", c.BrokerName, "-i", "0", "-o", "1")
	require.Regexp(t, `(?m)^Message Body:\s+more 1$`, byOffset)
	require.Regexp(t, `(?m)^Queue Offset:\s+1$`, byOffset)
	byUniq := admin(t, c, "queryMsgByUniqueKey", "-i", uniq, "-t", topic)
	require.Regexp(t, `(?m)^Message Body:\s+more 2$`, byUniq)
	require.Contains(t, byUniq, "UNIQ_KEY="+uniq)

	// Offsets: reset a group to the start, clone it, and see it consume the topic.
	reset := admin(t, c, "resetOffsetByTime", "-g", "GroupMore", "-t", topic, "-s", "0")
	require.Contains(t, reset, "rollback consumer offset by specified group[GroupMore], topic["+topic+"], force[true]")
	require.Regexp(t, `(?m)^`+c.BrokerName+`\s+0\s+0\s*$`, reset)
	reset = admin(t, c, "resetOffsetByTime", "-g", "GroupMore", "-t", topic, "-s", "now")
	m := regexp.MustCompile(`(?m)^` + c.BrokerName + `\s+0\s+([23])\s*$`).FindStringSubmatch(reset)
	require.NotNil(t, m, "now is at the last message of queue 0 (the store's search) or past it:\n%s", reset)
	out := admin(t, c, "cloneGroupOffset", "-s", "GroupMore", "-d", "GroupMoreCopy", "-t", topic)
	require.Contains(t, out, "clone group offset success. srcGroup[GroupMore], destGroup=[GroupMoreCopy], topic["+topic+"]")
	adm, err := client.NewAdmin(client.AdminConfig{ClientConfig: client.ClientConfig{NameServers: []string{c.NsAddr}}}, nil)
	require.NoError(t, err)
	defer adm.Close()
	off, err := adm.QueryConsumerOffset(ctx, "GroupMoreCopy", client.MessageQueue{Topic: topic, BrokerName: c.BrokerName, QueueID: 0})
	require.NoError(t, err)
	require.Equal(t, m[1], strconv.FormatInt(off, 10), "the clone has the source's offset")
	list := admin(t, c, "topicList", "-c")
	require.Regexp(t, `(?m)^#Cluster Name\s+#Topic\s+#Consumer Group\s*$`, list)
	require.Regexp(t, `(?m)^DefaultCluster\s+`+topic+`\s+GroupMore\s*$`, list)

	r := tool(t, "mqadmin", nil, "resetOffsetByTime", "-g", "G", "-t", topic, "-s", "yesterday", "-n", c.NsAddr)
	require.Equal(t, 1, r.Code)
	require.Contains(t, r.Stderr, `timestamp "yesterday" is not now, milliseconds or yyyy-MM-dd#HH:mm:ss:SSS`)

	// KV config on the name server.
	require.Contains(t, admin(t, c, "updateKvConfig", "-s", "NS_TEST", "-k", "k1", "-v", "v1"), "success")
	v, err := adm.GetKVConfig(ctx, "NS_TEST", "k1")
	require.NoError(t, err)
	require.Equal(t, "v1", v)
	require.Contains(t, admin(t, c, "deleteKvConfig", "-s", "NS_TEST", "-k", "k1"), "success")
	_, err = adm.GetKVConfig(ctx, "NS_TEST", "k1")
	require.Error(t, err, "deleted")

	// Write permission of the broker on the name server, taken and given back.
	wipe := admin(t, c, "wipeWritePerm", "-b", c.BrokerName)
	require.Regexp(t, `^wipe write perm of broker\[`+c.BrokerName+`\] in name server\[`+regexp.QuoteMeta(c.NsAddr)+`\] OK, [1-9]\d*\n$`, wipe)
	add := admin(t, c, "addWritePerm", "-b", c.BrokerName)
	require.Regexp(t, `^add write perm of broker\[`+c.BrokerName+`\] in name server\[`+regexp.QuoteMeta(c.NsAddr)+`\] OK, [1-9]\d*\n$`, add)
	require.True(t, strings.Contains(admin(t, c, "topicRoute", "-t", topic), `"perm": 6`))
}

func TestMqadminPermAndSendChecks(t *testing.T) {
	c := sharedCluster(t)
	admin(t, c, "updateTopic", "-b", c.BrokerAddr(), "-t", "TopicPerm", "-r", "2", "-w", "2")
	out := admin(t, c, "updateTopicPerm", "-c", "DefaultCluster", "-t", "TopicPerm", "-p", "4")
	require.Equal(t, "update topic perm from 6 to 4 in "+c.BrokerAddr()+" success.\n", out)
	require.Contains(t, admin(t, c, "topicRoute", "-t", "TopicPerm"), `"perm": 4`)
	r := tool(t, "mqadmin", nil, "updateTopicPerm", "-b", c.BrokerAddr(), "-t", "TopicNowhere", "-p", "6", "-n", c.NsAddr)
	require.Equal(t, 1, r.Code)
	require.Contains(t, r.Stderr, "topic [TopicNowhere] not exist on broker "+c.BrokerAddr())

	admin(t, c, "updateTopic", "-b", c.BrokerAddr(), "-t", "TopicRT", "-r", "2", "-w", "2")
	rt := strings.Split(strings.TrimSpace(admin(t, c, "checkMsgSendRT", "-t", "TopicRT", "-a", "5", "-s", "64")), "\n")
	require.Len(t, rt, 7, "header, five sends, average")
	require.Regexp(t, `^#Broker Name\s+#QID\s+#Send Result\s+#RT$`, rt[0])
	for _, l := range rt[1:6] {
		require.Regexp(t, `^`+c.BrokerName+`\s+[01]\s+true\s+\d+$`, l)
	}
	require.Regexp(t, `^Avg RT: \d+\.\d\d$`, rt[6])

	st := strings.Split(strings.TrimSpace(admin(t, c, "sendMsgStatus", "-b", c.BrokerName, "-c", "3")), "\n")
	require.Len(t, st, 3)
	for _, l := range st {
		require.Regexp(t, `^rt=\d+ms, SendResult=SendResult \[sendStatus=SEND_OK, msgId=[0-9A-F]{32}, offsetMsgId=[0-9A-F]{32}, messageQueue=MessageQueue \[topic=`+c.BrokerName+`, brokerName=`+c.BrokerName+`, queueId=0\], queueOffset=\d+\]$`, l)
	}

	more := strings.Split(strings.TrimSpace(admin(t, c, "clusterList", "-m")), "\n")
	require.Len(t, more, 2)
	require.Regexp(t, `^#Cluster Name\s+#Broker Name\s+#InTotalYest\s+#OutTotalYest\s+#InTotalToday\s+#OutTotalToday$`, more[0])
	m := regexp.MustCompile(`^DefaultCluster\s+` + c.BrokerName + `\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$`).FindStringSubmatch(more[1])
	require.NotNil(t, m, more[1])
	require.GreaterOrEqual(t, atoi(t, m[3]), 8, "today's puts count at least this test's sends")
}
