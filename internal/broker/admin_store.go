package broker

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// registerAdminStore puts the store-backed admin processors on srv
// (AdminBrokerProcessor.java: the codes that read the store's offsets,
// times and statistics).
func (b *Broker) registerAdminStore(srv *remoting.Server, pool *remoting.Pool) {
	srv.Register(protocol.GetMaxOffset, b.processGetMaxOffset, pool)
	srv.Register(protocol.GetMinOffset, b.processGetMinOffset, pool)
	srv.Register(protocol.SearchOffsetByTimestamp, b.processSearchOffset, pool)
	srv.Register(protocol.GetEarliestMsgStoretime, b.processEarliestMsgStoretime, pool)
	srv.Register(protocol.GetBrokerRuntimeInfo, b.processRuntimeInfo, pool)
	srv.Register(protocol.GetTopicStatsInfo, b.processTopicStats, pool)
	srv.Register(protocol.GetConsumeStats, b.processConsumeStats, pool)
	srv.Register(protocol.GetAllDelayOffset, b.processAllDelayOffset, pool)
	srv.Register(protocol.DeleteExpiredCommitlog, b.processDeleteExpiredCommitLog, pool)
}

// withHeader copies a response header struct into resp's extFields.
func withHeader(resp *remoting.Command, h any) *remoting.Command {
	for k, v := range protocol.EncodeHeader(h) {
		resp.SetExt(k, v)
	}
	resp.Code = int32(protocol.Success)
	return resp
}

// processGetMaxOffset serves GET_MAX_OFFSET (30): the offset the next
// message of the queue will get.
func (b *Broker) processGetMaxOffset(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.SystemError, "")
	var h protocol.GetMaxOffsetRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remark(resp, protocol.SystemError, err.Error())
	}
	return withHeader(resp, &protocol.GetMaxOffsetResponseHeader{Offset: b.store.MaxOffsetInQueue(h.Topic, h.QueueID)})
}

// processGetMinOffset serves GET_MIN_OFFSET (31).
func (b *Broker) processGetMinOffset(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.SystemError, "")
	var h protocol.GetMinOffsetRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remark(resp, protocol.SystemError, err.Error())
	}
	return withHeader(resp, &protocol.GetMinOffsetResponseHeader{Offset: b.store.MinOffsetInQueue(h.Topic, h.QueueID)})
}

// processSearchOffset serves SEARCH_OFFSET_BY_TIMESTAMP (29).
func (b *Broker) processSearchOffset(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.SystemError, "")
	var h protocol.SearchOffsetRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remark(resp, protocol.SystemError, err.Error())
	}
	return withHeader(resp, &protocol.SearchOffsetResponseHeader{Offset: b.store.OffsetInQueueByTime(h.Topic, h.QueueID, h.Timestamp)})
}

// processEarliestMsgStoretime serves GET_EARLIEST_MSG_STORETIME (32).
func (b *Broker) processEarliestMsgStoretime(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.SystemError, "")
	var h protocol.GetEarliestMsgStoretimeRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remark(resp, protocol.SystemError, err.Error())
	}
	return withHeader(resp, &protocol.GetEarliestMsgStoretimeResponseHeader{Timestamp: b.store.EarliestMessageTime(h.Topic, h.QueueID)})
}

// appendMQKey writes a MessageQueue as fastjson writes a map key object:
// {"brokerName":..,"queueId":..,"topic":..}.
func appendMQKey(buf *bytes.Buffer, brokerName string, queueID int32, topic string) {
	buf.WriteString(`{"brokerName":`)
	buf.WriteString(strconv.Quote(brokerName))
	buf.WriteString(`,"queueId":`)
	buf.WriteString(strconv.Itoa(int(queueID)))
	buf.WriteString(`,"topic":`)
	buf.WriteString(strconv.Quote(topic))
	buf.WriteByte('}')
}

// processTopicStats serves GET_TOPIC_STATS_INFO (202): per write queue the
// min and max offsets and the store time of the last message, as a
// TopicStatsTable keyed by MessageQueue objects.
func (b *Broker) processTopicStats(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.SystemError, "")
	var h protocol.GetTopicStatsInfoRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remark(resp, protocol.SystemError, err.Error())
	}
	tc := b.topics.Get(h.Topic)
	if tc == nil {
		return remark(resp, protocol.TopicNotExist, "topic["+h.Topic+"] not exist")
	}
	var buf bytes.Buffer
	buf.WriteString(`{"offsetTable":{`)
	for i := int32(0); i < tc.WriteQueueNums; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		minOff := max(b.store.MinOffsetInQueue(h.Topic, i), 0)
		maxOff := max(b.store.MaxOffsetInQueue(h.Topic, i), 0)
		var last int64
		if maxOff > 0 {
			last = b.store.MessageStoreTimeStamp(h.Topic, i, maxOff-1)
		}
		appendMQKey(&buf, b.cfg.BrokerName, i, h.Topic)
		buf.WriteString(`:{"lastUpdateTimestamp":`)
		buf.WriteString(strconv.FormatInt(last, 10))
		buf.WriteString(`,"maxOffset":`)
		buf.WriteString(strconv.FormatInt(maxOff, 10))
		buf.WriteString(`,"minOffset":`)
		buf.WriteString(strconv.FormatInt(minOff, 10))
		buf.WriteByte('}')
	}
	buf.WriteString(`}}`)
	resp.Code = int32(protocol.Success)
	resp.Body = buf.Bytes()
	return resp
}

// processConsumeStats serves GET_CONSUME_STATS (208): per queue of each
// topic the group consumes, the broker's max offset and the group's
// committed offset (AdminBrokerProcessor.getConsumeStats).
func (b *Broker) processConsumeStats(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.SystemError, "")
	var h protocol.GetConsumeStatsRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remark(resp, protocol.SystemError, err.Error())
	}
	var topics []string
	if h.Topic != "" {
		topics = []string{h.Topic}
	} else {
		topics = b.offsets.TopicsOfGroup(h.ConsumerGroup)
		sort.Strings(topics)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"consumeTps":0.0,"offsetTable":{`)
	first := true
	for _, topic := range topics {
		tc := b.topics.Get(topic)
		if tc == nil {
			continue
		}
		if online, subscribed := b.groupSubscribes(h.ConsumerGroup, topic); online && !subscribed {
			continue
		}
		for i := int32(0); i < tc.ReadQueueNums; i++ {
			brokerOff := max(b.store.MaxOffsetInQueue(topic, i), 0)
			consumerOff := max(b.offsets.QueryOffset(h.ConsumerGroup, topic, i), 0)
			var last int64
			if consumerOff > 0 {
				last = b.store.MessageStoreTimeStamp(topic, i, consumerOff-1)
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			appendMQKey(&buf, b.cfg.BrokerName, i, topic)
			buf.WriteString(`:{"brokerOffset":`)
			buf.WriteString(strconv.FormatInt(brokerOff, 10))
			buf.WriteString(`,"consumerOffset":`)
			buf.WriteString(strconv.FormatInt(consumerOff, 10))
			buf.WriteString(`,"lastTimestamp":`)
			buf.WriteString(strconv.FormatInt(last, 10))
			buf.WriteByte('}')
		}
	}
	buf.WriteString(`}}`)
	resp.Code = int32(protocol.Success)
	resp.Body = buf.Bytes()
	return resp
}

// processAllDelayOffset serves GET_ALL_DELAY_OFFSET (45): the delay
// service's progress per level, delayOffset.json's content.
func (b *Broker) processAllDelayOffset(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.SystemError, "")
	body := b.delayOffsetJSON()
	resp.Code = int32(protocol.Success)
	resp.Body = body
	return resp
}

// delayOffsetJSON reads <storePathRootDir>/config/delayOffset.json, or an
// empty table when the delay service has not written one.
func (b *Broker) delayOffsetJSON() []byte {
	if b.delay != nil {
		return b.delay.encode()
	}
	data, err := os.ReadFile(filepath.Join(b.configDir(), "delayOffset.json"))
	if err != nil || len(bytes.TrimSpace(data)) == 0 {
		return []byte(`{"offsetTable":{}}`)
	}
	return data
}

// processRuntimeInfo serves GET_BROKER_RUNTIME_INFO (28): a KVTable of the
// broker's and store's figures, with the keys mqadmin clusterList parses.
func (b *Broker) processRuntimeInfo(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.Success, "")
	resp.Body = protocol.MarshalCompact(&protocol.KVTable{Table: b.runtimeInfo()})
	return resp
}

// runtimeInfo gathers the GET_BROKER_RUNTIME_INFO table.
func (b *Broker) runtimeInfo() map[string]string {
	now := time.Now()
	b.rollDay(now)
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	putNow, getNow := b.stats.putOK.Load(), b.stats.getFound.Load()
	uptime := now.Sub(b.bootTime)
	minPhy, maxPhy := b.store.MinPhyOffset(), b.store.MaxPhyOffset()
	total, free := diskSpace(b.storeCfg.CommitLogDir())
	ratio := 0.0
	if total > 0 {
		ratio = float64(total-free) / float64(total)
	}
	putTps := float64(putNow) / max(uptime.Seconds(), 1)
	getTps := float64(getNow) / max(uptime.Seconds(), 1)
	tps := func(v float64) string {
		s := strconv.FormatFloat(v, 'f', 2, 64)
		return s + " " + s + " " + s
	}
	avg := int64(0)
	if putNow > 0 {
		avg = b.stats.putBytes.Load() / putNow
	}
	m := map[string]string{
		"brokerVersionDesc":                               "V4_9_8",
		"brokerVersion":                                   strconv.Itoa(int(remoting.Version)),
		"msgPutTotalYesterdayMorning":                     i64(b.stats.putAtYday.Load()),
		"msgPutTotalTodayMorning":                         i64(b.stats.putAtDay.Load()),
		"msgPutTotalTodayNow":                             i64(putNow),
		"msgGetTotalYesterdayMorning":                     i64(b.stats.getAtYday.Load()),
		"msgGetTotalTodayMorning":                         i64(b.stats.getAtDay.Load()),
		"msgGetTotalTodayNow":                             i64(getNow),
		"sendThreadPoolQueueSize":                         strconv.Itoa(b.queued("send")),
		"sendThreadPoolQueueCapacity":                     strconv.Itoa(b.cfg.SendThreadPoolQueueCapacity),
		"pullThreadPoolQueueSize":                         strconv.Itoa(b.queued("pull")),
		"pullThreadPoolQueueCapacity":                     strconv.Itoa(b.cfg.PullThreadPoolQueueCapacity),
		"queryThreadPoolQueueSize":                        strconv.Itoa(b.queued("query")),
		"queryThreadPoolQueueCapacity":                    strconv.Itoa(b.cfg.QueryThreadPoolQueueCapacity),
		"EndTransactionQueueSize":                         strconv.Itoa(b.queued("end-transaction")),
		"EndTransactionThreadPoolQueueCapacity":           strconv.Itoa(b.cfg.EndTransactionPoolQueueCapacity),
		"dispatchBehindBytes":                             "0",
		"pageCacheLockTimeMills":                          "0",
		"sendThreadPoolQueueHeadWaitTimeMills":            "0",
		"pullThreadPoolQueueHeadWaitTimeMills":            "0",
		"queryThreadPoolQueueHeadWaitTimeMills":           "0",
		"earliestMessageTimeStamp":                        i64(b.store.EarliestMessageTimeAll()),
		"startAcceptSendRequestTimeStamp":                 i64(b.cfg.StartAcceptSendRequestTimeStamp),
		"remainTransientStoreBufferNumbs":                 "0",
		"remainHowManyDataToCommit":                       "0",
		"remainHowManyDataToFlush":                        i64(max(b.store.MaxPhyOffset()-b.store.FlushedPhyOffset(), 0)),
		"commitLogDirCapacity":                            "Total : " + humanBytes(total) + ", Free : " + humanBytes(free) + ".",
		"bootTimestamp":                                   i64(b.bootTime.UnixMilli()),
		"runtime":                                         runtimeString(uptime),
		"putMessageEntireTimeMax":                         "0",
		"putMessageTimesTotal":                            i64(putNow),
		"putMessageFailedTimes":                           i64(b.stats.putFailed.Load()),
		"putMessageSizeTotal":                             i64(b.stats.putBytes.Load()),
		"putMessageDistributeTime":                        "",
		"putMessageAverageSize":                           i64(avg),
		"dispatchMaxBuffer":                               "0",
		"getMessageEntireTimeMax":                         "0",
		"putTps":                                          tps(putTps),
		"getFoundTps":                                     tps(getTps),
		"getMissTps":                                      tps(float64(b.stats.getMiss.Load()) / max(uptime.Seconds(), 1)),
		"getTotalTps":                                     tps(getTps),
		"getTransferedTps":                                tps(getTps),
		"putLatency99":                                    "0.0",
		"putLatency999":                                   "0.0",
		"commitLogDiskRatio":                              strconv.FormatFloat(ratio, 'f', -1, 64),
		"commitLogDiskRatio_" + b.storeCfg.CommitLogDir(): strconv.FormatFloat(ratio, 'f', -1, 64),
		"consumeQueueDiskRatio":                           strconv.FormatFloat(ratio, 'f', -1, 64),
		"commitLogMinOffset":                              i64(minPhy),
		"commitLogMaxOffset":                              i64(maxPhy),
	}
	for k, v := range b.store.RuntimeInfo() {
		switch k {
		case "runtime", "commitLogDirCapacity", "bootTimestamp":
		default:
			m[k] = v
		}
	}
	return m
}

// rollDay moves the "today morning" counters at midnight.
func (b *Broker) rollDay(now time.Time) {
	y, mo, d := now.Date()
	day := time.Date(y, mo, d, 0, 0, 0, 0, now.Location()).UnixMilli()
	old := b.stats.dayStart.Load()
	if old == day || !b.stats.dayStart.CompareAndSwap(old, day) {
		return
	}
	if old != 0 {
		b.stats.putAtYday.Store(b.stats.putAtDay.Load())
		b.stats.getAtYday.Store(b.stats.getAtDay.Load())
		b.stats.putAtDay.Store(b.stats.putOK.Load())
		b.stats.getAtDay.Store(b.stats.getFound.Load())
	}
}

// runtimeString is Java's "[ d days, h hours, m minutes, s seconds ]".
func runtimeString(d time.Duration) string {
	s := int64(d.Seconds())
	return "[ " + strconv.FormatInt(s/86400, 10) + " days, " + strconv.FormatInt(s/3600%24, 10) + " hours, " +
		strconv.FormatInt(s/60%60, 10) + " minutes, " + strconv.FormatInt(s%60, 10) + " seconds ]"
}

// diskSpace returns total and free bytes of the file system holding path.
func diskSpace(path string) (total, free int64) {
	var st syscall.Statfs_t
	for p := path; p != "" && p != "."; p = filepath.Dir(p) {
		if err := syscall.Statfs(p, &st); err == nil {
			return int64(st.Blocks) * st.Bsize, int64(st.Bavail) * st.Bsize
		}
		if p == "/" {
			break
		}
	}
	return 0, 0
}

// humanBytes is Java's MixAll.humanReadableByteCount (binary units).
func humanBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := "KMGTPE"
	v := float64(n)
	i := -1
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + string(units[i]) + "iB"
}

// processDeleteExpiredCommitLog serves DELETE_EXPIRED_COMMITLOG (329): the
// store's retention service deletes expired commit log files on its next
// passes whatever the hour (AdminBrokerProcessor.deleteExpiredCommitLog).
func (b *Broker) processDeleteExpiredCommitLog(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	b.store.ExecuteDeleteFilesManually()
	return remoting.NewResponse(req, protocol.Success, "")
}
