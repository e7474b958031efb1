package main

import (
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorocket/gorocket/internal/client"
	"github.com/gorocket/gorocket/internal/message"
)

// toolsConsumerGroup is the group mqadmin pulls with (MixAll.TOOLS_CONSUMER_GROUP).
const toolsConsumerGroup = "TOOLS_CONSUMER"

// sendMessageGroup is the producer group of sendMessage.
const sendMessageGroup = "PID_SMSC"

var queryMsgByIDCmd = &subCommand{
	name: "queryMsgById",
	desc: "Query Message by Id",
	options: []option{
		{"i", "msgId", true, true, "Message Id (the offset message id; several separated by ',')"},
		{"t", "topic", true, false, "topic, to look an id up as a client message id (UNIQ_KEY) when it is not an offset id"},
	},
	run: adminRun(func(e *env, ctx context.Context, a *client.Admin) error {
		for _, id := range strings.Split(e.str("i"), ",") {
			if id = strings.TrimSpace(id); id == "" {
				continue
			}
			msgs, err := lookupMessage(ctx, a, id, e.str("t"), false)
			if err != nil {
				return err
			}
			for _, m := range msgs {
				if err := printMessage(e, m); err != nil {
					return err
				}
			}
		}
		return nil
	}),
}

// lookupMessage finds a message by offset id, else (or when uniq) by
// client id in topic.
func lookupMessage(ctx context.Context, a *client.Admin, id, topic string, uniq bool) ([]*message.MessageExt, error) {
	if !uniq {
		_, _, perr := message.ParseOffsetMsgID(id)
		if perr == nil {
			m, err := a.ViewMessage(ctx, id)
			if err != nil {
				return nil, err
			}
			return []*message.MessageExt{m}, nil
		}
		if topic == "" {
			return nil, fmt.Errorf("message id %s is not an offset message id (%v); pass -t topic to look it up as a client message id", id, perr)
		}
	}
	msgs, err := a.QueryMessageByUniqKey(ctx, topic, id, time.UnixMilli(0), time.UnixMilli(math.MaxInt64))
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, fmt.Errorf("message %s not found in topic %s", id, topic)
	}
	return msgs, nil
}

// printMessage prints a message as QueryMsgByIdSubCommand does, writing the
// body to a file; a short text body is printed too.
func printMessage(e *env, m *message.MessageExt) error {
	dir := filepath.Join(os.TempDir(), "rocketmq", "msgbodys")
	path := filepath.Join(dir, m.MsgID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("message body dir: %w", err)
	}
	if err := os.WriteFile(path, m.Body, 0o644); err != nil {
		return fmt.Errorf("message body file: %w", err)
	}
	props := make([]string, 0, len(m.Properties))
	for _, k := range slices.Sorted(maps.Keys(m.Properties)) {
		props = append(props, k+"="+m.Properties[k])
	}
	row := func(k, v string) { fmt.Fprintf(e.out, "%-20s %s\n", k, v) }
	row("OffsetID:", m.MsgID)
	row("Topic:", m.Topic)
	row("Tags:", "["+m.Tags()+"]")
	row("Keys:", "["+m.Property(message.PropertyKeys)+"]")
	row("Queue ID:", strconv.Itoa(int(m.QueueID)))
	row("Queue Offset:", strconv.FormatInt(m.QueueOffset, 10))
	row("CommitLog Offset:", strconv.FormatInt(m.CommitLogOffset, 10))
	row("Reconsume Times:", strconv.Itoa(int(m.ReconsumeTimes)))
	row("Born Timestamp:", javaTime(m.BornTimestamp))
	row("Store Timestamp:", javaTime(m.StoreTimestamp))
	row("Born Host:", m.BornHost.String())
	row("Store Host:", m.StoreHost.String())
	row("System Flag:", strconv.Itoa(int(m.SysFlag)))
	row("Properties:", "{"+strings.Join(props, ", ")+"}")
	row("Message Body Path:", path)
	row("Message Body:", bodyText(m.Body))
	fmt.Fprintln(e.out)
	return nil
}

// bodyText is the body as text when it is short UTF-8, else its size.
func bodyText(b []byte) string {
	if len(b) <= 4096 && utf8.Valid(b) {
		return string(b)
	}
	return fmt.Sprintf("<%d bytes>", len(b))
}

var queryMsgByKeyCmd = &subCommand{
	name: "queryMsgByKey",
	desc: "Query Message by Key",
	options: []option{
		{"t", "topic", true, true, "topic name"},
		{"k", "msgKey", true, true, "Message Key"},
		{"c", "maxNum", true, false, "The maximum number of messages returned by the query, default: 64"},
	},
	run: func(e *env) error {
		maxNum, err := e.integer("c", 64)
		if err != nil {
			return err
		}
		if maxNum <= 0 || maxNum > 10000 {
			return &usageError{msg: fmt.Sprintf("maxNum must be 1..10000, got %d", maxNum)}
		}
		return e.withAdmin(func(ctx context.Context, a *client.Admin) error {
			msgs, err := a.QueryMessageByKey(ctx, e.str("t"), e.str("k"), int(maxNum), time.UnixMilli(0), time.UnixMilli(math.MaxInt64))
			if err != nil {
				return routeError(e.str("t"), err)
			}
			fmt.Fprintf(e.out, "%-50s %4s %40s\n", "#Message ID", "#QID", "#Offset")
			for _, m := range msgs {
				fmt.Fprintf(e.out, "%-50s %4d %40d\n", m.ClientMsgID(), m.QueueID, m.QueueOffset)
			}
			return nil
		})
	},
}

var sendMessageCmd = &subCommand{
	name: "sendMessage",
	desc: "Send a message",
	options: []option{
		{"t", "topic", true, true, "Topic name"},
		{"p", "body", true, true, "UTF-8 string format of the message body"},
		{"k", "keys", true, false, "Message keys"},
		{"c", "tags", true, false, "Message tags"},
		{"b", "broker", true, false, "Send message to target broker (with -i)"},
		{"i", "qid", true, false, "Send message to target queue (with -b)"},
	},
	run: runSendMessage,
}

func runSendMessage(e *env) error {
	if e.has("b") != e.has("i") {
		return &usageError{msg: "-b broker and -i qid go together"}
	}
	qid, err := e.integer("i", 0)
	if err != nil {
		return err
	}
	msg := &message.Message{Topic: e.str("t"), Body: []byte(e.flagOf("p").Value.String())}
	if k := e.str("k"); k != "" {
		msg.SetProperty(message.PropertyKeys, k)
	}
	if c := e.str("c"); c != "" {
		msg.SetProperty(message.PropertyTags, c)
	}
	p, stop, err := startProducer(e)
	if err != nil {
		return err
	}
	defer stop()
	ctx, cancel := e.call()
	defer cancel()
	var r *client.SendResult
	if e.has("b") {
		r, err = p.SendToQueue(ctx, msg, client.MessageQueue{Topic: msg.Topic, BrokerName: e.str("b"), QueueID: int32(qid)})
	} else {
		r, err = p.Send(ctx, msg)
	}
	const format = "%-32s  %-4s  %-12s  %-20s  %-32s  %s\n"
	fmt.Fprintf(e.out, format, "#Broker Name", "#QID", "#Queue Offset", "#Send Result", "#MsgId", "#OffsetMsgId")
	if err != nil {
		fmt.Fprintf(e.out, format, "Unknown", "Unknown", "Unknown", "Failed", "None", "None")
		return err
	}
	fmt.Fprintf(e.out, format, r.Queue.BrokerName, strconv.Itoa(int(r.Queue.QueueID)), strconv.FormatInt(r.QueueOffset, 10),
		r.Status.String(), r.MsgID, r.OffsetMsgID)
	return nil
}

var consumeMessageCmd = &subCommand{
	name: "consumeMessage",
	desc: "Consume message",
	options: []option{
		{"t", "topic", true, true, "Topic name"},
		{"b", "brokerName", true, false, "Broker name (with -i)"},
		{"i", "queueId", true, false, "Queue Id (with -b)"},
		{"o", "offset", true, false, "Queue offset to start from (with -b and -i)"},
		{"g", "consumerGroup", true, false, "Consumer group name, default: " + toolsConsumerGroup},
		{"c", "MessageNumber", true, false, "Number of messages to be consumed, default: 128"},
	},
	run: runConsumeMessage,
}

func runConsumeMessage(e *env) error {
	topic := e.str("t")
	count, err := e.integer("c", 128)
	if err != nil {
		return err
	}
	offset, err := e.integer("o", -1)
	if err != nil {
		return err
	}
	qid, err := e.integer("i", 0)
	if err != nil {
		return err
	}
	switch {
	case count <= 0 || count > 1<<20:
		return &usageError{msg: fmt.Sprintf("MessageNumber must be 1..%d, got %d", 1<<20, count)}
	case e.has("b") != e.has("i"):
		return &usageError{msg: "-b brokerName and -i queueId go together"}
	case e.has("o") && !e.has("b"):
		return &usageError{msg: "-o offset needs -b brokerName and -i queueId"}
	case e.has("o") && offset < 0:
		return &usageError{msg: fmt.Sprintf("offset must not be negative, got %d", offset)}
	}
	group := e.str("g")
	if group == "" {
		group = toolsConsumerGroup
	}
	cfg, err := e.clientConfig()
	if err != nil {
		return err
	}
	pc, err := client.NewPullConsumer(client.PullConsumerConfig{ClientConfig: cfg, Group: group}, nil)
	if err != nil {
		return err
	}
	if err := pc.Start(); err != nil {
		return err
	}
	defer shutdownLater(pc.Shutdown)()
	ctx, cancel := e.call()
	defer cancel()
	mqs, err := pc.FetchQueues(ctx, topic)
	if err != nil {
		return routeError(topic, err)
	}
	if e.has("b") {
		want := client.MessageQueue{Topic: topic, BrokerName: e.str("b"), QueueID: int32(qid)}
		found := false
		for _, mq := range mqs {
			found = found || mq == want
		}
		if !found {
			return fmt.Errorf("queue [brokerName=%s, queueId=%d] is not a readable queue of topic %s", want.BrokerName, want.QueueID, topic)
		}
		mqs = []client.MessageQueue{want}
	}
	slices.SortFunc(mqs, compareQueues)
	left := count
	for _, mq := range mqs {
		if left <= 0 {
			break
		}
		from := offset
		if from < 0 {
			if from, err = pc.MinOffset(ctx, mq); err != nil {
				return err
			}
			from = max(from, 0) // an empty queue answers -1
		}
		to, err := pc.MaxOffset(ctx, mq)
		if err != nil {
			return err
		}
		n, err := pullRange(ctx, e, pc, mq, from, to, left)
		if err != nil {
			return err
		}
		left -= n
	}
	fmt.Fprintf(e.out, "Consumed %d messages.\n", count-left)
	return nil
}

// pullRange prints the messages of mq in [from, to), at most limit, and
// returns how many it printed. Each pull moves forward, so it ends.
func pullRange(ctx context.Context, e *env, pc *client.PullConsumer, mq client.MessageQueue, from, to, limit int64) (int64, error) {
	var n int64
	for off := from; off < to && n < limit; {
		batch := min(32, limit-n)
		r, err := pc.Pull(ctx, mq, client.SubAll, off, int(batch))
		if err != nil {
			return n, err
		}
		switch r.Status {
		case client.PullFound:
			msgs := r.Messages
			sort.Slice(msgs, func(i, j int) bool { return msgs[i].QueueOffset < msgs[j].QueueOffset })
			for _, m := range msgs {
				if n >= limit {
					break
				}
				fmt.Fprintf(e.out, "MSGID: %s MessageExt [brokerName=%s, queueId=%d, queueOffset=%d, storeTimestamp=%s, bornHost=%s, tags=%s, keys=%s, offsetMsgId=%s] BODY: %s\n",
					m.ClientMsgID(), mq.BrokerName, m.QueueID, m.QueueOffset, javaTime(m.StoreTimestamp), m.BornHost,
					m.Tags(), m.Property(message.PropertyKeys), m.MsgID, bodyText(m.Body))
				n++
			}
		case client.PullNoMatchedMsg:
		default:
			return n, nil
		}
		if r.NextBeginOffset <= off {
			return n, nil
		}
		off = r.NextBeginOffset
	}
	return n, nil
}
