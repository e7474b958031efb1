package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/magiconair/properties"
	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// Remarks the Java broker answers with (ClientManageProcessor,
// ConsumerManageProcessor, AdminBrokerProcessor).
const (
	remarkSlaveModify       = "Can't modify topic or subscription group from slave broker, please execute it from master broker."
	remarkOffsetNotFound    = "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first"
	remarkConfigBlackList   = "Can not update config in black list."
	remarkString2Properties = "string2Properties error"
	remarkPropertyFilterOff = "The broker does not support consumer to filter message by "
	unitSubTopicSysFlag     = 0x2 // TopicSysFlag FLAG_UNIT_SUB: retry topic of a unit-mode consumer
)

// MetaDeps is what the metadata processors work on. The tables are
// required; the store callbacks may be nil.
type MetaDeps struct {
	Config  *SharedConfig
	Topics  *TopicTable
	Groups  *SubscriptionGroupTable
	Offsets *ConsumerOffsetTable
	Clients *ClientRegistry
	Locks   *QueueLocks

	// MinOffset is the store's minimum logical offset of a queue
	// (MinOffsetInQueue); nil means 0.
	MinOffset func(topic string, queueID int32) int64
	// OffsetInDisk reports whether the message at a logical offset is no
	// longer in memory (checkInDiskByConsumeOffset); nil means in memory.
	OffsetInDisk func(topic string, queueID int32, offset int64) bool
	// DeleteTopicFiles removes a deleted topic's consume queues; nil does
	// nothing.
	DeleteTopicFiles func(topic string) error

	// MaxOffset is the store's max logical offset of a queue
	// (MaxOffsetInQueue) and OffsetByTime the offset stored nearest a time
	// in ms (getOffsetInQueueByTime); INVOKE_BROKER_TO_RESET_OFFSET
	// answers SYSTEM_ERROR without them.
	MaxOffset    func(topic string, queueID int32) int64
	OffsetByTime func(topic string, queueID int32, timestamp int64) int64

	// MessageByID returns the stored record of an offsetMsgId (decode the
	// id, then the commit log record at its offset), for
	// CONSUME_MESSAGE_DIRECTLY; without it that command answers
	// SYSTEM_ERROR.
	MessageByID func(msgID string) ([]byte, error)

	// CallConsumerTimeout bounds a request proxied to a client
	// (GET_CONSUMER_RUNNING_INFO); 0 means 10 s.
	CallConsumerTimeout time.Duration
	// ConsumerStatusTimeout bounds each client's answer to
	// GET_CONSUMER_STATUS_FROM_CLIENT; 0 means 5 s.
	ConsumerStatusTimeout time.Duration
}

// MetaProcessor serves the broker's metadata commands: client heartbeats
// and registrations, consumer offsets, orderly locks, topic and group
// administration and the broker configuration. Every method is a
// remoting.HandlerFunc.
type MetaProcessor struct {
	d  MetaDeps
	lg *zap.Logger
}

// minVersionCallConsumer is V3_1_8_SNAPSHOT: older clients cannot answer
// proxied admin requests.
const minVersionCallConsumer = 62

// NewMetaProcessor returns the processors over d.
func NewMetaProcessor(d MetaDeps, lg *zap.Logger) *MetaProcessor {
	if lg == nil {
		lg = zap.NewNop()
	}
	if d.CallConsumerTimeout <= 0 {
		d.CallConsumerTimeout = 10 * time.Second
	}
	if d.ConsumerStatusTimeout <= 0 {
		d.ConsumerStatusTimeout = 5 * time.Second
	}
	return &MetaProcessor{d: d, lg: lg}
}

// MetaPools are the pools the metadata commands run on; a nil pool is the
// server's default pool.
type MetaPools struct {
	Heartbeat      *remoting.Pool // HEART_BEAT
	ClientManage   *remoting.Pool // UNREGISTER_CLIENT, CHECK_CLIENT_CONFIG
	ConsumerManage *remoting.Pool // consumer list, offsets
	Admin          *remoting.Pool // everything else
}

// RegisterMeta registers every metadata processor on srv and makes srv's
// closed connections leave the client registry.
func RegisterMeta(srv *remoting.Server, p *MetaProcessor, pools MetaPools) {
	srv.Register(protocol.HeartBeat, p.HeartBeat, pools.Heartbeat)
	srv.Register(protocol.UnregisterClient, p.UnregisterClient, pools.ClientManage)
	srv.Register(protocol.CheckClientConfig, p.CheckClientConfig, pools.ClientManage)
	srv.Register(protocol.GetConsumerListByGroup, p.GetConsumerListByGroup, pools.ConsumerManage)
	srv.Register(protocol.QueryConsumerOffset, p.QueryConsumerOffset, pools.ConsumerManage)
	srv.Register(protocol.UpdateConsumerOffset, p.UpdateConsumerOffset, pools.ConsumerManage)
	srv.Register(protocol.LockBatchMq, p.LockBatchMQ, pools.Admin)
	srv.Register(protocol.UnlockBatchMq, p.UnlockBatchMQ, pools.Admin)
	srv.Register(protocol.UpdateAndCreateTopic, p.UpdateAndCreateTopic, pools.Admin)
	srv.Register(protocol.DeleteTopicInBroker, p.DeleteTopicInBroker, pools.Admin)
	srv.Register(protocol.GetAllTopicConfig, p.GetAllTopicConfig, pools.Admin)
	srv.Register(protocol.UpdateAndCreateSubscriptiongroup, p.UpdateAndCreateSubscriptionGroup, pools.Admin)
	srv.Register(protocol.DeleteSubscriptiongroup, p.DeleteSubscriptionGroup, pools.Admin)
	srv.Register(protocol.GetAllSubscriptiongroupConfig, p.GetAllSubscriptionGroupConfig, pools.Admin)
	srv.Register(protocol.GetAllConsumerOffset, p.GetAllConsumerOffset, pools.Admin)
	srv.Register(protocol.GetConsumerConnectionList, p.GetConsumerConnectionList, pools.Admin)
	srv.Register(protocol.GetProducerConnectionList, p.GetProducerConnectionList, pools.Admin)
	srv.Register(protocol.GetBrokerConfig, p.GetBrokerConfig, pools.Admin)
	srv.Register(protocol.UpdateBrokerConfig, p.UpdateBrokerConfig, pools.Admin)
	srv.Register(protocol.QueryTopicConsumeByWho, p.QueryTopicConsumeByWho, pools.Admin)
	srv.Register(protocol.GetSystemTopicListFromBroker, p.GetSystemTopicListFromBroker, pools.Admin)
	srv.Register(protocol.GetAllProducerInfo, p.GetAllProducerInfo, pools.Admin)
	srv.Register(protocol.CloneGroupOffset, p.CloneGroupOffset, pools.Admin)
	srv.Register(protocol.GetConsumerRunningInfo, p.GetConsumerRunningInfo, pools.Admin)
	srv.Register(protocol.ConsumeMessageDirectly, p.ConsumeMessageDirectly, pools.Admin)
	srv.Register(protocol.InvokeBrokerToResetOffset, p.InvokeBrokerToResetOffset, pools.Admin)
	srv.Register(protocol.InvokeBrokerToGetConsumerStatus, p.InvokeBrokerToGetConsumerStatus, pools.Admin)
	srv.OnClose(p.d.Clients.ConnClosed)
}

func metaFail(req *remoting.Command, code protocol.ResponseCode, remark string) *remoting.Command {
	return remoting.NewResponse(req, code, remark)
}

func metaOK(req *remoting.Command) *remoting.Command {
	return remoting.NewResponse(req, protocol.Success, "")
}

// metaJSON answers SUCCESS with body as fastjson writes it (compact, no
// HTML escaping).
func metaJSON(req *remoting.Command, body any) *remoting.Command {
	resp := metaOK(req)
	resp.Body = protocol.MarshalCompact(body)
	return resp
}

// decodeHeader decodes req's header into h; on failure it returns the
// SYSTEM_ERROR answer naming the field.
func decodeHeader(req *remoting.Command, h any) *remoting.Command {
	if err := protocol.DecodeHeader(req.ExtFields, h); err != nil {
		return metaFail(req, protocol.SystemError, err.Error())
	}
	return nil
}

// decodeBody parses req's JSON body into v; on failure it returns the
// SYSTEM_ERROR answer saying what could not be read.
func decodeBody(req *remoting.Command, what string, v any) *remoting.Command {
	if len(req.Body) == 0 {
		return metaFail(req, protocol.SystemError, what+" body is empty")
	}
	if err := json.Unmarshal(req.Body, v); err != nil {
		return metaFail(req, protocol.SystemError, fmt.Sprintf("decode %s body: %v", what, err))
	}
	return nil
}

// slaveRefusal answers admin writes on a slave (validateSlave).
func (p *MetaProcessor) slaveRefusal(req *remoting.Command) *remoting.Command {
	if p.d.Config != nil && p.d.Config.Config().BrokerRole == Slave {
		return metaFail(req, protocol.SystemError, remarkSlaveModify)
	}
	return nil
}

// HeartBeat registers the client's producer and consumer groups
// (ClientManageProcessor.heartBeat): each consumer group's subscription
// config is found or auto-created, its retry topic %RETRY%<group> created
// with retryQueueNums queues, and the consumer registered, notifying the
// group when its membership or topics changed. The response carries our
// version (409), which Java clients record as the broker version.
func (p *MetaProcessor) HeartBeat(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	hb, err := protocol.DecodeHeartbeatData(req.Body)
	if err != nil {
		return metaFail(req, protocol.SystemError, err.Error())
	}
	ch := ClientChannel{Conn: c, ClientID: hb.ClientID, Language: req.Language, Version: req.Version}
	for _, cd := range hb.ConsumerDataSet {
		if cd.GroupName == "" {
			return metaFail(req, protocol.SystemError, "heartbeat consumer data has no groupName")
		}
		notify := true
		if gc := p.d.Groups.FindOrCreate(cd.GroupName); gc != nil {
			notify = gc.NotifyConsumerIdsChangedEnable
			var sysFlag int32
			if cd.UnitMode {
				sysFlag = unitSubTopicSysFlag
			}
			if _, err := p.d.Topics.CreateTopicInSendMessageBack(RetryTopic(cd.GroupName), gc.RetryQueueNums,
				protocol.PermRead|protocol.PermWrite, sysFlag); err != nil {
				p.lg.Error("create retry topic failed", zap.String("group", cd.GroupName), zap.Error(err))
			}
		}
		p.d.Clients.RegisterConsumer(cd.GroupName, ch, cd.ConsumeType, cd.MessageModel, cd.ConsumeFromWhere,
			cd.SubscriptionDataSet, notify)
	}
	for _, pd := range hb.ProducerDataSet {
		if pd.GroupName == "" {
			return metaFail(req, protocol.SystemError, "heartbeat producer data has no groupName")
		}
		p.d.Clients.RegisterProducer(pd.GroupName, ch)
	}
	return metaOK(req)
}

// UnregisterClient removes the connection from the named producer and/or
// consumer group.
func (p *MetaProcessor) UnregisterClient(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.UnregisterClientRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	if h.ProducerGroup != "" {
		p.d.Clients.UnregisterProducer(h.ProducerGroup, c)
	}
	if h.ConsumerGroup != "" {
		notify := true
		if gc := p.d.Groups.Get(h.ConsumerGroup); gc != nil {
			notify = gc.NotifyConsumerIdsChangedEnable
		}
		p.d.Clients.UnregisterConsumer(h.ConsumerGroup, c, notify)
	}
	return metaOK(req)
}

// CheckClientConfig accepts tag subscriptions and refuses SQL92 ones when
// enablePropertyFilter is off, as Java does. This suite has no SQL92
// evaluator (the pull path refuses SQL92 too), so SQL92 is refused with
// the same remark even when the switch is on, rather than accepted here
// and refused at every pull. Unknown expression types are
// SUBSCRIPTION_PARSE_FAILED.
func (p *MetaProcessor) CheckClientConfig(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var body protocol.CheckClientRequestBody
	if resp := decodeBody(req, "CheckClientRequestBody", &body); resp != nil {
		return resp
	}
	sd := body.SubscriptionData
	if sd == nil || sd.IsTagType() {
		return metaOK(req)
	}
	filterOn := p.d.Config != nil && p.d.Config.Config().EnablePropertyFilter
	if !filterOn || sd.ExpressionType == protocol.ExpressionSQL92 {
		return metaFail(req, protocol.SystemError, remarkPropertyFilterOff+sd.ExpressionType)
	}
	return metaFail(req, protocol.SubscriptionParseFailed, fmt.Sprintf("unknown expression type %q", sd.ExpressionType))
}

// GetConsumerListByGroup answers the client ids of a group's members.
func (p *MetaProcessor) GetConsumerListByGroup(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumerListByGroupRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	ids := p.d.Clients.ConsumerIDs(h.ConsumerGroup)
	if len(ids) == 0 {
		return metaFail(req, protocol.SystemError, "no consumer for this group, "+h.ConsumerGroup)
	}
	return metaJSON(req, protocol.ConsumerListBody{ConsumerIDList: ids})
}

// QueryConsumerOffset answers a group's committed offset. Without one, it
// answers 0 when the queue still starts at 0 and that message is in memory
// (so a new group starts at the beginning of a young queue), else
// QUERY_NOT_FOUND (ConsumerManageProcessor.queryConsumerOffset).
func (p *MetaProcessor) QueryConsumerOffset(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.QueryConsumerOffsetRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	offset := p.d.Offsets.QueryOffset(h.ConsumerGroup, h.Topic, h.QueueID)
	if offset < 0 {
		var minOffset int64
		if p.d.MinOffset != nil {
			minOffset = p.d.MinOffset(h.Topic, h.QueueID)
		}
		inDisk := p.d.OffsetInDisk != nil && p.d.OffsetInDisk(h.Topic, h.QueueID, 0)
		if minOffset > 0 || inDisk {
			return metaFail(req, protocol.QueryNotFound, remarkOffsetNotFound)
		}
		offset = 0
	}
	resp := metaOK(req)
	resp.ExtFields = protocol.EncodeHeader(&protocol.QueryConsumerOffsetResponseHeader{Offset: offset})
	return resp
}

// UpdateConsumerOffset stores a committed offset.
func (p *MetaProcessor) UpdateConsumerOffset(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.UpdateConsumerOffsetRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	p.d.Offsets.CommitOffset(c.RemoteAddr(), h.ConsumerGroup, h.Topic, h.QueueID, h.CommitOffset)
	return metaOK(req)
}

// LockBatchMQ locks queues for an orderly consumer and answers the ones it
// now holds.
func (p *MetaProcessor) LockBatchMQ(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var body protocol.LockBatchRequestBody
	if resp := decodeBody(req, "LockBatchRequestBody", &body); resp != nil {
		return resp
	}
	if body.ConsumerGroup == "" || body.ClientID == "" {
		return metaFail(req, protocol.SystemError, "LockBatchRequestBody needs consumerGroup and clientId")
	}
	locked := p.d.Locks.TryLockBatch(body.ConsumerGroup, body.MQSet, body.ClientID)
	return metaJSON(req, protocol.LockBatchResponseBody{LockOKMQSet: locked})
}

// UnlockBatchMQ releases queues an orderly consumer holds.
func (p *MetaProcessor) UnlockBatchMQ(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var body protocol.UnlockBatchRequestBody
	if resp := decodeBody(req, "UnlockBatchRequestBody", &body); resp != nil {
		return resp
	}
	p.d.Locks.UnlockBatch(body.ConsumerGroup, body.MQSet, body.ClientID)
	return metaOK(req)
}

// topicRefusal validates a topic named by an admin command.
func (p *MetaProcessor) topicRefusal(req *remoting.Command, topic string) *remoting.Command {
	if remark := ValidateTopic(topic); remark != "" {
		return metaFail(req, protocol.SystemError, remark)
	}
	if p.d.Topics.IsSystemTopic(topic) {
		return metaFail(req, protocol.SystemError, fmt.Sprintf("The topic[%s] is conflict with system topic.", topic))
	}
	return nil
}

// UpdateAndCreateTopic creates or replaces a topic; the table's OnChange
// hook re-registers it with the name servers.
func (p *MetaProcessor) UpdateAndCreateTopic(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	if resp := p.slaveRefusal(req); resp != nil {
		return resp
	}
	var h protocol.CreateTopicRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	if resp := p.topicRefusal(req, h.Topic); resp != nil {
		return resp
	}
	switch {
	case h.ReadQueueNums < 0:
		return metaFail(req, protocol.SystemError, fmt.Sprintf("readQueueNums %d is negative", h.ReadQueueNums))
	case h.WriteQueueNums < 0:
		return metaFail(req, protocol.SystemError, fmt.Sprintf("writeQueueNums %d is negative", h.WriteQueueNums))
	case h.Perm < 0 || h.Perm > protocol.PermPriority|protocol.PermRead|protocol.PermWrite|protocol.PermInherit:
		return metaFail(req, protocol.SystemError, fmt.Sprintf("perm %d is not a permission", h.Perm))
	case h.TopicFilterType != protocol.FilterSingleTag && h.TopicFilterType != protocol.FilterMultiTag:
		return metaFail(req, protocol.SystemError, fmt.Sprintf("topicFilterType %q is not SINGLE_TAG or MULTI_TAG", h.TopicFilterType))
	}
	tc := protocol.NewTopicConfig(h.Topic, h.ReadQueueNums, h.WriteQueueNums, h.Perm)
	tc.TopicFilterType = h.TopicFilterType
	if h.TopicSysFlag != nil {
		tc.TopicSysFlag = *h.TopicSysFlag
	}
	if err := p.d.Topics.Update(tc); err != nil {
		return metaFail(req, protocol.SystemError, err.Error())
	}
	return metaOK(req)
}

// DeleteTopicInBroker deletes a topic's config and its consume queues.
func (p *MetaProcessor) DeleteTopicInBroker(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	if resp := p.slaveRefusal(req); resp != nil {
		return resp
	}
	var h protocol.DeleteTopicRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	if resp := p.topicRefusal(req, h.Topic); resp != nil {
		return resp
	}
	if _, err := p.d.Topics.Delete(h.Topic); err != nil {
		return metaFail(req, protocol.SystemError, err.Error())
	}
	if p.d.DeleteTopicFiles != nil {
		if err := p.d.DeleteTopicFiles(h.Topic); err != nil {
			return metaFail(req, protocol.SystemError, fmt.Sprintf("delete files of topic %s: %v", h.Topic, err))
		}
	}
	return metaOK(req)
}

// GetAllTopicConfig answers the topic table (TopicConfigSerializeWrapper).
func (p *MetaProcessor) GetAllTopicConfig(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := metaOK(req)
	resp.Body = p.d.Topics.Encode(false)
	return resp
}

// UpdateAndCreateSubscriptionGroup creates or replaces a group from its
// JSON body.
func (p *MetaProcessor) UpdateAndCreateSubscriptionGroup(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	if resp := p.slaveRefusal(req); resp != nil {
		return resp
	}
	var g protocol.SubscriptionGroupConfig
	if resp := decodeBody(req, "SubscriptionGroupConfig", &g); resp != nil {
		return resp
	}
	if g.GroupName == "" {
		return metaFail(req, protocol.SystemError, "SubscriptionGroupConfig groupName is blank")
	}
	if err := p.d.Groups.Update(g); err != nil {
		return metaFail(req, protocol.SystemError, err.Error())
	}
	return metaOK(req)
}

// DeleteSubscriptionGroup deletes a group, and its offsets when asked.
func (p *MetaProcessor) DeleteSubscriptionGroup(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	if resp := p.slaveRefusal(req); resp != nil {
		return resp
	}
	var h protocol.DeleteSubscriptionGroupRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	if _, err := p.d.Groups.Delete(h.GroupName); err != nil {
		return metaFail(req, protocol.SystemError, err.Error())
	}
	if h.RemoveOffset {
		p.d.Offsets.RemoveGroup(h.GroupName)
	}
	return metaOK(req)
}

// GetAllSubscriptionGroupConfig answers the group table (SubscriptionGroupWrapper).
func (p *MetaProcessor) GetAllSubscriptionGroupConfig(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := metaOK(req)
	resp.Body = p.d.Groups.Encode(false)
	return resp
}

// GetAllConsumerOffset answers the offset table in fastjson's form (bare
// queue-id keys).
func (p *MetaProcessor) GetAllConsumerOffset(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := metaOK(req)
	resp.Body = p.d.Offsets.Encode(false)
	return resp
}

// GetConsumerConnectionList answers a consumer group's connections and
// subscriptions, or CONSUMER_NOT_ONLINE.
func (p *MetaProcessor) GetConsumerConnectionList(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumerConnectionListRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	info := p.d.Clients.ConsumerGroup(h.ConsumerGroup)
	if info == nil {
		return metaFail(req, protocol.ConsumerNotOnline, fmt.Sprintf("the consumer group[%s] not online", h.ConsumerGroup))
	}
	body := protocol.ConsumerConnection{
		ConnectionSet:     connections(info.Channels),
		ConsumeFromWhere:  info.ConsumeFromWhere,
		ConsumeType:       info.ConsumeType,
		MessageModel:      info.MessageModel,
		SubscriptionTable: info.Subscriptions,
	}
	return metaJSON(req, body)
}

// GetProducerConnectionList answers a producer group's connections.
func (p *MetaProcessor) GetProducerConnectionList(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetProducerConnectionListRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	chs := p.d.Clients.ProducerChannels(h.ProducerGroup)
	if len(chs) == 0 {
		return metaFail(req, protocol.SystemError, fmt.Sprintf("the producer group[%s] not exist", h.ProducerGroup))
	}
	return metaJSON(req, protocol.ProducerConnection{ConnectionSet: connections(chs)})
}

func connections(chs []ClientChannel) []protocol.Connection {
	out := make([]protocol.Connection, 0, len(chs))
	for _, ch := range chs {
		out = append(out, protocol.Connection{
			ClientAddr: ch.Conn.RemoteAddr(),
			ClientID:   ch.ClientID,
			Language:   ch.Language,
			Version:    ch.Version,
		})
	}
	return out
}

// GetBrokerConfig answers every configuration key as key=value lines, with
// the configuration's DataVersion JSON in the version header.
func (p *MetaProcessor) GetBrokerConfig(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	if p.d.Config == nil {
		return metaFail(req, protocol.SystemError, "broker configuration is not available")
	}
	v, err := json.Marshal(p.d.Config.Version())
	if err != nil {
		return metaFail(req, protocol.SystemError, err.Error())
	}
	resp := metaOK(req)
	resp.ExtFields = protocol.EncodeHeader(&protocol.GetBrokerConfigResponseHeader{Version: string(v)})
	resp.Body = []byte(p.d.Config.Text())
	return resp
}

// UpdateBrokerConfig applies a properties text body. Black-listed keys are
// refused with NO_PERMISSION; bad values with SYSTEM_ERROR naming the key.
func (p *MetaProcessor) UpdateBrokerConfig(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	if p.d.Config == nil {
		return metaFail(req, protocol.SystemError, "broker configuration is not available")
	}
	if len(req.Body) == 0 {
		return metaOK(req)
	}
	props := properties.NewProperties()
	props.DisableExpansion = true
	if err := props.Load(req.Body, properties.UTF8); err != nil {
		return metaFail(req, protocol.SystemError, remarkString2Properties)
	}
	kv := props.Map()
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if p.d.Config.BlackListed(k) {
			return metaFail(req, protocol.NoPermission, remarkConfigBlackList)
		}
	}
	if err := p.d.Config.Update(kv); err != nil {
		return metaFail(req, protocol.SystemError, err.Error())
	}
	p.lg.Info("broker config updated", zap.Strings("keys", keys))
	return metaOK(req)
}

// QueryTopicConsumeByWho answers the groups consuming a topic: those with a
// live subscription and those with stored offsets.
func (p *MetaProcessor) QueryTopicConsumeByWho(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.QueryTopicConsumeByWhoRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	set := make(map[string]bool)
	for _, g := range p.d.Clients.ConsumerGroupsOfTopic(h.Topic) {
		set[g] = true
	}
	for _, g := range p.d.Offsets.GroupsOfTopic(h.Topic) {
		set[g] = true
	}
	groups := make([]string, 0, len(set))
	for g := range set {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	return metaJSON(req, protocol.GroupList{GroupList: groups})
}

// GetSystemTopicListFromBroker answers the broker's system topic set.
func (p *MetaProcessor) GetSystemTopicListFromBroker(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	return metaJSON(req, protocol.TopicList{TopicList: p.d.Topics.SystemTopics()})
}

// GetAllProducerInfo answers every producer group's connections.
func (p *MetaProcessor) GetAllProducerInfo(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	data := make(map[string][]protocol.ProducerInfo)
	for _, g := range p.d.Clients.ProducerGroups() {
		chs := p.d.Clients.ProducerChannels(g)
		infos := make([]protocol.ProducerInfo, 0, len(chs))
		for _, ch := range chs {
			infos = append(infos, protocol.ProducerInfo{
				ClientID:            ch.ClientID,
				Language:            ch.Language,
				LastUpdateTimestamp: ch.LastUpdate.UnixMilli(),
				RemoteIP:            ch.Conn.RemoteAddr(),
				Version:             ch.Version,
			})
		}
		data[g] = infos
	}
	return metaJSON(req, protocol.ProducerTableInfo{Data: data})
}

// CloneGroupOffset copies a group's offsets to another group, for one topic
// or every topic the source has offsets in. Topics the broker does not have
// are skipped; unless offline, so is a topic the source group is online
// without subscribing to.
func (p *MetaProcessor) CloneGroupOffset(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.CloneGroupOffsetRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	topics := []string{h.Topic}
	if h.Topic == "" {
		topics = p.d.Offsets.TopicsOfGroup(h.SrcGroup)
	}
	online := p.d.Clients.ConsumerGroup(h.SrcGroup)
	for _, topic := range topics {
		if p.d.Topics.Get(topic) == nil {
			p.lg.Warn("clone group offset: topic does not exist", zap.String("topic", topic))
			continue
		}
		if !h.Offline && online != nil && len(online.Subscriptions) > 0 {
			if _, ok := online.Subscriptions[topic]; !ok {
				p.lg.Warn("clone group offset: source group does not subscribe to topic", zap.String("group", h.SrcGroup), zap.String("topic", topic))
				continue
			}
		}
		p.d.Offsets.CloneOffset(h.SrcGroup, h.DestGroup, topic)
	}
	return metaOK(req)
}

// GetConsumerRunningInfo proxies the request to the named client over its
// heartbeat connection and answers with the client's response unchanged
// (AdminBrokerProcessor.callConsumer). The worker is not held while the
// client answers: the reply is sent from the callback.
func (p *MetaProcessor) GetConsumerRunningInfo(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumerRunningInfoRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	return p.callConsumer(c, req, h.ConsumerGroup, h.ClientID)
}

// callConsumer forwards req (same code, every ext field, the body) to the
// client clientID of group and relays its answer.
func (p *MetaProcessor) callConsumer(c *remoting.Conn, req *remoting.Command, group, clientID string) *remoting.Command {
	return p.callConsumerWith(c, req, req.ExtFields, req.Body, group, clientID)
}

// callConsumerWith forwards req's code with ext and body instead of req's.
func (p *MetaProcessor) callConsumerWith(c *remoting.Conn, req *remoting.Command, ext map[string]string, body []byte, group, clientID string) *remoting.Command {
	ch := p.d.Clients.ConsumerChannel(group, clientID)
	if ch == nil {
		return metaFail(req, protocol.SystemError, fmt.Sprintf("The Consumer <%s> <%s> not online", group, clientID))
	}
	if ch.Version < minVersionCallConsumer {
		return metaFail(req, protocol.SystemError, fmt.Sprintf("The Consumer <%s> Version <%d> too low to finish, please upgrade it to V3_1_8_SNAPSHOT", clientID, ch.Version))
	}
	fwd := remoting.NewRequest(req.RequestCode(), nil, body)
	for k, v := range ext {
		fwd.SetExt(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.d.CallConsumerTimeout)
	reply := func(resp *remoting.Command) {
		if req.IsOneway() {
			return
		}
		resp.Opaque = req.Opaque
		resp.Flag |= remoting.FlagResponse
		resp.SerializeType = req.SerializeType
		if err := c.Reply(resp); err != nil {
			p.lg.Debug("reply to proxied consumer call failed", zap.String("remoteAddr", c.RemoteAddr()), zap.Error(err))
		}
	}
	err := ch.Conn.InvokeAsync(ctx, fwd, func(resp *remoting.Command, err error) {
		defer cancel()
		switch {
		case err == nil:
			reply(resp)
		case errors.Is(err, remoting.ErrTimeout):
			reply(metaFail(req, protocol.ConsumeMsgTimeout, fmt.Sprintf("consumer <%s> <%s> Timeout: %v", group, clientID, err)))
		default:
			reply(metaFail(req, protocol.SystemError, fmt.Sprintf("invoke consumer <%s> <%s> Exception: %v", group, clientID, err)))
		}
	})
	if err != nil {
		cancel()
		return metaFail(req, protocol.SystemError, fmt.Sprintf("invoke consumer <%s> <%s> Exception: %v", group, clientID, err))
	}
	return nil
}

// minVersionResetOffset is V3_0_7_SNAPSHOT: older clients cannot take
// RESET_CONSUMER_CLIENT_OFFSET.
const minVersionResetOffset = 28

// InvokeBrokerToResetOffset computes a group's new offsets for every write
// queue of a topic (the max offset for timestamp -1, else the offset at
// that time; a later offset than the committed one only with isForce),
// pushes them to every member with a oneway RESET_CONSUMER_CLIENT_OFFSET,
// and answers them (Broker2Client.resetOffset). The stored offsets are not
// changed here: the clients apply and commit them.
func (p *MetaProcessor) InvokeBrokerToResetOffset(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.ResetOffsetRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	tc := p.d.Topics.Get(h.Topic)
	if tc == nil {
		return metaFail(req, protocol.SystemError, "[reset-offset] reset offset failed, no topic in this broker. topic="+h.Topic)
	}
	if p.d.MaxOffset == nil || p.d.OffsetByTime == nil {
		return metaFail(req, protocol.SystemError, "[reset-offset] the message store is not available")
	}
	brokerName := ""
	if p.d.Config != nil {
		brokerName = p.d.Config.Config().BrokerName
	}
	offsets := make([]protocol.QueueOffset, 0, tc.WriteQueueNums)
	for qid := range tc.WriteQueueNums {
		current := p.d.Offsets.QueryOffset(h.Group, h.Topic, qid)
		if current == -1 {
			return metaFail(req, protocol.SystemError, fmt.Sprintf("THe consumer group <%s> not exist", h.Group))
		}
		var target int64
		if h.Timestamp == -1 {
			target = p.d.MaxOffset(h.Topic, qid)
		} else {
			target = p.d.OffsetByTime(h.Topic, qid, h.Timestamp)
		}
		target = max(target, 0)
		if !h.IsForce && target >= current {
			target = current
		}
		offsets = append(offsets, protocol.QueueOffset{
			Queue:  protocol.MessageQueue{BrokerName: brokerName, QueueID: qid, Topic: h.Topic},
			Offset: target,
		})
	}
	body := protocol.EncodeResetOffsetBody(offsets)
	if req.Language == "CPP" {
		body = protocol.EncodeResetOffsetBodyForC(offsets)
	}
	info := p.d.Clients.ConsumerGroup(h.Group)
	if info == nil || len(info.Channels) == 0 {
		return metaFail(req, protocol.ConsumerNotOnline, fmt.Sprintf("Consumer not online, so can not reset offset, Group: %s Topic: %s Timestamp: %d", h.Group, h.Topic, h.Timestamp))
	}
	ext := protocol.EncodeHeader(&protocol.ResetOffsetRequestHeader{Topic: h.Topic, Group: h.Group, Timestamp: h.Timestamp, IsForce: h.IsForce})
	for _, ch := range info.Channels {
		if ch.Version < minVersionResetOffset {
			return metaFail(req, protocol.SystemError, fmt.Sprintf("the client does not support this feature. version=%d", ch.Version))
		}
	}
	for _, ch := range info.Channels {
		push := remoting.NewRequest(protocol.ResetConsumerClientOffset, ext, body)
		push.MarkOneway()
		if err := ch.Conn.InvokeOneway(push); err != nil {
			p.lg.Warn("reset consumer offset push failed", zap.String("group", h.Group), zap.String("clientId", ch.ClientID), zap.Error(err))
		}
	}
	p.lg.Info("consumer offsets reset", zap.String("group", h.Group), zap.String("topic", h.Topic), zap.Int64("timestamp", h.Timestamp))
	resp := metaOK(req)
	resp.Body = protocol.EncodeResetOffsetBody(offsets)
	return resp
}

// InvokeBrokerToGetConsumerStatus asks every member of a group (or only the
// one whose client id is clientAddr) for its queue offsets in a topic with
// GET_CONSUMER_STATUS_FROM_CLIENT, and answers them by client id
// (Broker2Client.getConsumeStatus). Members that fail or answer badly are
// left out.
func (p *MetaProcessor) InvokeBrokerToGetConsumerStatus(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetConsumerStatusRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	info := p.d.Clients.ConsumerGroup(h.Group)
	if info == nil || len(info.Channels) == 0 {
		return metaFail(req, protocol.SystemError, fmt.Sprintf("No Any Consumer online in the consumer group: [%s]", h.Group))
	}
	ext := protocol.EncodeHeader(&h)
	table := make(map[string]map[protocol.MessageQueue]int64)
	for _, ch := range info.Channels {
		if h.ClientAddr != "" && h.ClientAddr != ch.ClientID {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), p.d.ConsumerStatusTimeout)
		resp, err := ch.Conn.Invoke(ctx, remoting.NewRequest(protocol.GetConsumerStatusFromClient, ext, nil))
		cancel()
		if err != nil {
			p.lg.Warn("get consumer status from client failed", zap.String("group", h.Group), zap.String("clientId", ch.ClientID), zap.Error(err))
			continue
		}
		if resp.ResponseCode() != protocol.Success || len(resp.Body) == 0 {
			continue
		}
		raw, err := protocol.RawMember(resp.Body, "messageQueueTable")
		var m map[protocol.MessageQueue]int64
		if err == nil {
			m = map[protocol.MessageQueue]int64{}
			if raw != nil {
				m, err = protocol.DecodeMQOffsetTable(raw)
			}
		}
		if err != nil {
			p.lg.Warn("bad consumer status from client", zap.String("group", h.Group), zap.String("clientId", ch.ClientID), zap.Error(err))
			continue
		}
		table[ch.ClientID] = m
	}
	resp := metaOK(req)
	resp.Body = protocol.EncodeConsumerStatusBody(table)
	return resp
}

// ConsumeMessageDirectly loads the stored message named by msgId and has
// the named client consume it, relaying the client's
// ConsumeMessageDirectlyResult (AdminBrokerProcessor.consumeMessageDirectly).
func (p *MetaProcessor) ConsumeMessageDirectly(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.ConsumeMessageDirectlyResultRequestHeader
	if resp := decodeHeader(req, &h); resp != nil {
		return resp
	}
	if p.d.MessageByID == nil {
		return metaFail(req, protocol.SystemError, "consume message directly: the message store is not available")
	}
	record, err := p.d.MessageByID(h.MsgID)
	if err != nil {
		return metaFail(req, protocol.SystemError, fmt.Sprintf("consume message directly: message %s: %v", h.MsgID, err))
	}
	ext := make(map[string]string, len(req.ExtFields)+1)
	for k, v := range req.ExtFields {
		ext[k] = v
	}
	if p.d.Config != nil {
		ext["brokerName"] = p.d.Config.Config().BrokerName
	}
	return p.callConsumerWith(c, req, ext, record, h.ConsumerGroup, h.ClientID)
}
