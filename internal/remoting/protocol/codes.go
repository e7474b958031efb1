// Code generated from ../shared/reference/wire-protocol.md sections 4 and 5; the numbers are
// RequestCode.java and ResponseCode.java (plus RemotingSysResponseCode.java) of RocketMQ 4.9.8.

package protocol

import "strconv"

// RequestCode is the code of a request frame (RequestCode.java).
type RequestCode int32

// Request codes.
const (
	SendMessage                      RequestCode = 10  // SEND_MESSAGE
	PullMessage                      RequestCode = 11  // PULL_MESSAGE
	QueryMessage                     RequestCode = 12  // QUERY_MESSAGE
	QueryBrokerOffset                RequestCode = 13  // QUERY_BROKER_OFFSET
	QueryConsumerOffset              RequestCode = 14  // QUERY_CONSUMER_OFFSET
	UpdateConsumerOffset             RequestCode = 15  // UPDATE_CONSUMER_OFFSET
	UpdateAndCreateTopic             RequestCode = 17  // UPDATE_AND_CREATE_TOPIC
	GetAllTopicConfig                RequestCode = 21  // GET_ALL_TOPIC_CONFIG
	GetTopicConfigList               RequestCode = 22  // GET_TOPIC_CONFIG_LIST
	GetTopicNameList                 RequestCode = 23  // GET_TOPIC_NAME_LIST
	UpdateBrokerConfig               RequestCode = 25  // UPDATE_BROKER_CONFIG
	GetBrokerConfig                  RequestCode = 26  // GET_BROKER_CONFIG
	TriggerDeleteFiles               RequestCode = 27  // TRIGGER_DELETE_FILES
	GetBrokerRuntimeInfo             RequestCode = 28  // GET_BROKER_RUNTIME_INFO
	SearchOffsetByTimestamp          RequestCode = 29  // SEARCH_OFFSET_BY_TIMESTAMP
	GetMaxOffset                     RequestCode = 30  // GET_MAX_OFFSET
	GetMinOffset                     RequestCode = 31  // GET_MIN_OFFSET
	GetEarliestMsgStoretime          RequestCode = 32  // GET_EARLIEST_MSG_STORETIME
	ViewMessageById                  RequestCode = 33  // VIEW_MESSAGE_BY_ID
	HeartBeat                        RequestCode = 34  // HEART_BEAT
	UnregisterClient                 RequestCode = 35  // UNREGISTER_CLIENT
	ConsumerSendMsgBack              RequestCode = 36  // CONSUMER_SEND_MSG_BACK
	EndTransaction                   RequestCode = 37  // END_TRANSACTION
	GetConsumerListByGroup           RequestCode = 38  // GET_CONSUMER_LIST_BY_GROUP
	CheckTransactionState            RequestCode = 39  // CHECK_TRANSACTION_STATE
	NotifyConsumerIdsChanged         RequestCode = 40  // NOTIFY_CONSUMER_IDS_CHANGED
	LockBatchMq                      RequestCode = 41  // LOCK_BATCH_MQ
	UnlockBatchMq                    RequestCode = 42  // UNLOCK_BATCH_MQ
	GetAllConsumerOffset             RequestCode = 43  // GET_ALL_CONSUMER_OFFSET
	GetAllDelayOffset                RequestCode = 45  // GET_ALL_DELAY_OFFSET
	CheckClientConfig                RequestCode = 46  // CHECK_CLIENT_CONFIG
	UpdateAndCreateAclConfig         RequestCode = 50  // UPDATE_AND_CREATE_ACL_CONFIG
	DeleteAclConfig                  RequestCode = 51  // DELETE_ACL_CONFIG
	GetBrokerClusterAclInfo          RequestCode = 52  // GET_BROKER_CLUSTER_ACL_INFO
	UpdateGlobalWhiteAddrsConfig     RequestCode = 53  // UPDATE_GLOBAL_WHITE_ADDRS_CONFIG
	PutKvConfig                      RequestCode = 100 // PUT_KV_CONFIG
	GetKvConfig                      RequestCode = 101 // GET_KV_CONFIG
	DeleteKvConfig                   RequestCode = 102 // DELETE_KV_CONFIG
	RegisterBroker                   RequestCode = 103 // REGISTER_BROKER
	UnregisterBroker                 RequestCode = 104 // UNREGISTER_BROKER
	GetRouteinfoByTopic              RequestCode = 105 // GET_ROUTEINFO_BY_TOPIC
	GetBrokerClusterInfo             RequestCode = 106 // GET_BROKER_CLUSTER_INFO
	UpdateAndCreateSubscriptiongroup RequestCode = 200 // UPDATE_AND_CREATE_SUBSCRIPTIONGROUP
	GetAllSubscriptiongroupConfig    RequestCode = 201 // GET_ALL_SUBSCRIPTIONGROUP_CONFIG
	GetTopicStatsInfo                RequestCode = 202 // GET_TOPIC_STATS_INFO
	GetConsumerConnectionList        RequestCode = 203 // GET_CONSUMER_CONNECTION_LIST
	GetProducerConnectionList        RequestCode = 204 // GET_PRODUCER_CONNECTION_LIST
	WipeWritePermOfBroker            RequestCode = 205 // WIPE_WRITE_PERM_OF_BROKER
	GetAllTopicListFromNameserver    RequestCode = 206 // GET_ALL_TOPIC_LIST_FROM_NAMESERVER
	DeleteSubscriptiongroup          RequestCode = 207 // DELETE_SUBSCRIPTIONGROUP
	GetConsumeStats                  RequestCode = 208 // GET_CONSUME_STATS
	SuspendConsumer                  RequestCode = 209 // SUSPEND_CONSUMER
	ResumeConsumer                   RequestCode = 210 // RESUME_CONSUMER
	ResetConsumerOffsetInConsumer    RequestCode = 211 // RESET_CONSUMER_OFFSET_IN_CONSUMER
	ResetConsumerOffsetInBroker      RequestCode = 212 // RESET_CONSUMER_OFFSET_IN_BROKER
	AdjustConsumerThreadPool         RequestCode = 213 // ADJUST_CONSUMER_THREAD_POOL
	WhoConsumeTheMessage             RequestCode = 214 // WHO_CONSUME_THE_MESSAGE
	DeleteTopicInBroker              RequestCode = 215 // DELETE_TOPIC_IN_BROKER
	DeleteTopicInNamesrv             RequestCode = 216 // DELETE_TOPIC_IN_NAMESRV
	GetKvlistByNamespace             RequestCode = 219 // GET_KVLIST_BY_NAMESPACE
	ResetConsumerClientOffset        RequestCode = 220 // RESET_CONSUMER_CLIENT_OFFSET
	GetConsumerStatusFromClient      RequestCode = 221 // GET_CONSUMER_STATUS_FROM_CLIENT
	InvokeBrokerToResetOffset        RequestCode = 222 // INVOKE_BROKER_TO_RESET_OFFSET
	InvokeBrokerToGetConsumerStatus  RequestCode = 223 // INVOKE_BROKER_TO_GET_CONSUMER_STATUS
	GetTopicsByCluster               RequestCode = 224 // GET_TOPICS_BY_CLUSTER
	QueryTopicConsumeByWho           RequestCode = 300 // QUERY_TOPIC_CONSUME_BY_WHO
	RegisterFilterServer             RequestCode = 301 // REGISTER_FILTER_SERVER
	RegisterMessageFilterClass       RequestCode = 302 // REGISTER_MESSAGE_FILTER_CLASS
	QueryConsumeTimeSpan             RequestCode = 303 // QUERY_CONSUME_TIME_SPAN
	GetSystemTopicListFromNs         RequestCode = 304 // GET_SYSTEM_TOPIC_LIST_FROM_NS
	GetSystemTopicListFromBroker     RequestCode = 305 // GET_SYSTEM_TOPIC_LIST_FROM_BROKER
	CleanExpiredConsumequeue         RequestCode = 306 // CLEAN_EXPIRED_CONSUMEQUEUE
	GetConsumerRunningInfo           RequestCode = 307 // GET_CONSUMER_RUNNING_INFO
	QueryCorrectionOffset            RequestCode = 308 // QUERY_CORRECTION_OFFSET
	ConsumeMessageDirectly           RequestCode = 309 // CONSUME_MESSAGE_DIRECTLY
	SendMessageV2                    RequestCode = 310 // SEND_MESSAGE_V2
	GetUnitTopicList                 RequestCode = 311 // GET_UNIT_TOPIC_LIST
	GetHasUnitSubTopicList           RequestCode = 312 // GET_HAS_UNIT_SUB_TOPIC_LIST
	GetHasUnitSubUnunitTopicList     RequestCode = 313 // GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST
	CloneGroupOffset                 RequestCode = 314 // CLONE_GROUP_OFFSET
	ViewBrokerStatsData              RequestCode = 315 // VIEW_BROKER_STATS_DATA
	CleanUnusedTopic                 RequestCode = 316 // CLEAN_UNUSED_TOPIC
	GetBrokerConsumeStats            RequestCode = 317 // GET_BROKER_CONSUME_STATS
	UpdateNamesrvConfig              RequestCode = 318 // UPDATE_NAMESRV_CONFIG
	GetNamesrvConfig                 RequestCode = 319 // GET_NAMESRV_CONFIG
	SendBatchMessage                 RequestCode = 320 // SEND_BATCH_MESSAGE
	QueryConsumeQueue                RequestCode = 321 // QUERY_CONSUME_QUEUE
	QueryDataVersion                 RequestCode = 322 // QUERY_DATA_VERSION
	ResumeCheckHalfMessage           RequestCode = 323 // RESUME_CHECK_HALF_MESSAGE
	SendReplyMessage                 RequestCode = 324 // SEND_REPLY_MESSAGE
	SendReplyMessageV2               RequestCode = 325 // SEND_REPLY_MESSAGE_V2
	PushReplyMessageToClient         RequestCode = 326 // PUSH_REPLY_MESSAGE_TO_CLIENT
	AddWritePermOfBroker             RequestCode = 327 // ADD_WRITE_PERM_OF_BROKER
	GetAllProducerInfo               RequestCode = 328 // GET_ALL_PRODUCER_INFO
	DeleteExpiredCommitlog           RequestCode = 329 // DELETE_EXPIRED_COMMITLOG
)

// ResponseCode is the code of a response frame (ResponseCode.java, RemotingSysResponseCode.java).
type ResponseCode int32

// Response codes.
const (
	Success                            ResponseCode = 0   // SUCCESS
	SystemError                        ResponseCode = 1   // SYSTEM_ERROR
	SystemBusy                         ResponseCode = 2   // SYSTEM_BUSY
	RequestCodeNotSupported            ResponseCode = 3   // REQUEST_CODE_NOT_SUPPORTED
	TransactionFailed                  ResponseCode = 4   // TRANSACTION_FAILED
	FlushDiskTimeout                   ResponseCode = 10  // FLUSH_DISK_TIMEOUT
	SlaveNotAvailable                  ResponseCode = 11  // SLAVE_NOT_AVAILABLE
	FlushSlaveTimeout                  ResponseCode = 12  // FLUSH_SLAVE_TIMEOUT
	MessageIllegal                     ResponseCode = 13  // MESSAGE_ILLEGAL
	ServiceNotAvailable                ResponseCode = 14  // SERVICE_NOT_AVAILABLE
	VersionNotSupported                ResponseCode = 15  // VERSION_NOT_SUPPORTED
	NoPermission                       ResponseCode = 16  // NO_PERMISSION
	TopicNotExist                      ResponseCode = 17  // TOPIC_NOT_EXIST
	TopicExistAlready                  ResponseCode = 18  // TOPIC_EXIST_ALREADY
	PullNotFound                       ResponseCode = 19  // PULL_NOT_FOUND
	PullRetryImmediately               ResponseCode = 20  // PULL_RETRY_IMMEDIATELY
	PullOffsetMoved                    ResponseCode = 21  // PULL_OFFSET_MOVED
	QueryNotFound                      ResponseCode = 22  // QUERY_NOT_FOUND
	SubscriptionParseFailed            ResponseCode = 23  // SUBSCRIPTION_PARSE_FAILED
	SubscriptionNotExist               ResponseCode = 24  // SUBSCRIPTION_NOT_EXIST
	SubscriptionNotLatest              ResponseCode = 25  // SUBSCRIPTION_NOT_LATEST
	SubscriptionGroupNotExist          ResponseCode = 26  // SUBSCRIPTION_GROUP_NOT_EXIST
	FilterDataNotExist                 ResponseCode = 27  // FILTER_DATA_NOT_EXIST
	FilterDataNotLatest                ResponseCode = 28  // FILTER_DATA_NOT_LATEST
	TransactionShouldCommit            ResponseCode = 200 // TRANSACTION_SHOULD_COMMIT
	TransactionShouldRollback          ResponseCode = 201 // TRANSACTION_SHOULD_ROLLBACK
	TransactionStateUnknow             ResponseCode = 202 // TRANSACTION_STATE_UNKNOW
	TransactionStateGroupWrong         ResponseCode = 203 // TRANSACTION_STATE_GROUP_WRONG
	NoBuyerId                          ResponseCode = 204 // NO_BUYER_ID
	NotInCurrentUnit                   ResponseCode = 205 // NOT_IN_CURRENT_UNIT
	ConsumerNotOnline                  ResponseCode = 206 // CONSUMER_NOT_ONLINE
	ConsumeMsgTimeout                  ResponseCode = 207 // CONSUME_MSG_TIMEOUT
	NoMessage                          ResponseCode = 208 // NO_MESSAGE
	UpdateAndCreateAclConfigFailed     ResponseCode = 209 // UPDATE_AND_CREATE_ACL_CONFIG_FAILED
	DeleteAclConfigFailed              ResponseCode = 210 // DELETE_ACL_CONFIG_FAILED
	UpdateGlobalWhiteAddrsConfigFailed ResponseCode = 211 // UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED
	FlowControl                        ResponseCode = 215 // FLOW_CONTROL
)

var requestNames = map[RequestCode]string{
	SendMessage:                      "SEND_MESSAGE",
	PullMessage:                      "PULL_MESSAGE",
	QueryMessage:                     "QUERY_MESSAGE",
	QueryBrokerOffset:                "QUERY_BROKER_OFFSET",
	QueryConsumerOffset:              "QUERY_CONSUMER_OFFSET",
	UpdateConsumerOffset:             "UPDATE_CONSUMER_OFFSET",
	UpdateAndCreateTopic:             "UPDATE_AND_CREATE_TOPIC",
	GetAllTopicConfig:                "GET_ALL_TOPIC_CONFIG",
	GetTopicConfigList:               "GET_TOPIC_CONFIG_LIST",
	GetTopicNameList:                 "GET_TOPIC_NAME_LIST",
	UpdateBrokerConfig:               "UPDATE_BROKER_CONFIG",
	GetBrokerConfig:                  "GET_BROKER_CONFIG",
	TriggerDeleteFiles:               "TRIGGER_DELETE_FILES",
	GetBrokerRuntimeInfo:             "GET_BROKER_RUNTIME_INFO",
	SearchOffsetByTimestamp:          "SEARCH_OFFSET_BY_TIMESTAMP",
	GetMaxOffset:                     "GET_MAX_OFFSET",
	GetMinOffset:                     "GET_MIN_OFFSET",
	GetEarliestMsgStoretime:          "GET_EARLIEST_MSG_STORETIME",
	ViewMessageById:                  "VIEW_MESSAGE_BY_ID",
	HeartBeat:                        "HEART_BEAT",
	UnregisterClient:                 "UNREGISTER_CLIENT",
	ConsumerSendMsgBack:              "CONSUMER_SEND_MSG_BACK",
	EndTransaction:                   "END_TRANSACTION",
	GetConsumerListByGroup:           "GET_CONSUMER_LIST_BY_GROUP",
	CheckTransactionState:            "CHECK_TRANSACTION_STATE",
	NotifyConsumerIdsChanged:         "NOTIFY_CONSUMER_IDS_CHANGED",
	LockBatchMq:                      "LOCK_BATCH_MQ",
	UnlockBatchMq:                    "UNLOCK_BATCH_MQ",
	GetAllConsumerOffset:             "GET_ALL_CONSUMER_OFFSET",
	GetAllDelayOffset:                "GET_ALL_DELAY_OFFSET",
	CheckClientConfig:                "CHECK_CLIENT_CONFIG",
	UpdateAndCreateAclConfig:         "UPDATE_AND_CREATE_ACL_CONFIG",
	DeleteAclConfig:                  "DELETE_ACL_CONFIG",
	GetBrokerClusterAclInfo:          "GET_BROKER_CLUSTER_ACL_INFO",
	UpdateGlobalWhiteAddrsConfig:     "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG",
	PutKvConfig:                      "PUT_KV_CONFIG",
	GetKvConfig:                      "GET_KV_CONFIG",
	DeleteKvConfig:                   "DELETE_KV_CONFIG",
	RegisterBroker:                   "REGISTER_BROKER",
	UnregisterBroker:                 "UNREGISTER_BROKER",
	GetRouteinfoByTopic:              "GET_ROUTEINFO_BY_TOPIC",
	GetBrokerClusterInfo:             "GET_BROKER_CLUSTER_INFO",
	UpdateAndCreateSubscriptiongroup: "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP",
	GetAllSubscriptiongroupConfig:    "GET_ALL_SUBSCRIPTIONGROUP_CONFIG",
	GetTopicStatsInfo:                "GET_TOPIC_STATS_INFO",
	GetConsumerConnectionList:        "GET_CONSUMER_CONNECTION_LIST",
	GetProducerConnectionList:        "GET_PRODUCER_CONNECTION_LIST",
	WipeWritePermOfBroker:            "WIPE_WRITE_PERM_OF_BROKER",
	GetAllTopicListFromNameserver:    "GET_ALL_TOPIC_LIST_FROM_NAMESERVER",
	DeleteSubscriptiongroup:          "DELETE_SUBSCRIPTIONGROUP",
	GetConsumeStats:                  "GET_CONSUME_STATS",
	SuspendConsumer:                  "SUSPEND_CONSUMER",
	ResumeConsumer:                   "RESUME_CONSUMER",
	ResetConsumerOffsetInConsumer:    "RESET_CONSUMER_OFFSET_IN_CONSUMER",
	ResetConsumerOffsetInBroker:      "RESET_CONSUMER_OFFSET_IN_BROKER",
	AdjustConsumerThreadPool:         "ADJUST_CONSUMER_THREAD_POOL",
	WhoConsumeTheMessage:             "WHO_CONSUME_THE_MESSAGE",
	DeleteTopicInBroker:              "DELETE_TOPIC_IN_BROKER",
	DeleteTopicInNamesrv:             "DELETE_TOPIC_IN_NAMESRV",
	GetKvlistByNamespace:             "GET_KVLIST_BY_NAMESPACE",
	ResetConsumerClientOffset:        "RESET_CONSUMER_CLIENT_OFFSET",
	GetConsumerStatusFromClient:      "GET_CONSUMER_STATUS_FROM_CLIENT",
	InvokeBrokerToResetOffset:        "INVOKE_BROKER_TO_RESET_OFFSET",
	InvokeBrokerToGetConsumerStatus:  "INVOKE_BROKER_TO_GET_CONSUMER_STATUS",
	GetTopicsByCluster:               "GET_TOPICS_BY_CLUSTER",
	QueryTopicConsumeByWho:           "QUERY_TOPIC_CONSUME_BY_WHO",
	RegisterFilterServer:             "REGISTER_FILTER_SERVER",
	RegisterMessageFilterClass:       "REGISTER_MESSAGE_FILTER_CLASS",
	QueryConsumeTimeSpan:             "QUERY_CONSUME_TIME_SPAN",
	GetSystemTopicListFromNs:         "GET_SYSTEM_TOPIC_LIST_FROM_NS",
	GetSystemTopicListFromBroker:     "GET_SYSTEM_TOPIC_LIST_FROM_BROKER",
	CleanExpiredConsumequeue:         "CLEAN_EXPIRED_CONSUMEQUEUE",
	GetConsumerRunningInfo:           "GET_CONSUMER_RUNNING_INFO",
	QueryCorrectionOffset:            "QUERY_CORRECTION_OFFSET",
	ConsumeMessageDirectly:           "CONSUME_MESSAGE_DIRECTLY",
	SendMessageV2:                    "SEND_MESSAGE_V2",
	GetUnitTopicList:                 "GET_UNIT_TOPIC_LIST",
	GetHasUnitSubTopicList:           "GET_HAS_UNIT_SUB_TOPIC_LIST",
	GetHasUnitSubUnunitTopicList:     "GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST",
	CloneGroupOffset:                 "CLONE_GROUP_OFFSET",
	ViewBrokerStatsData:              "VIEW_BROKER_STATS_DATA",
	CleanUnusedTopic:                 "CLEAN_UNUSED_TOPIC",
	GetBrokerConsumeStats:            "GET_BROKER_CONSUME_STATS",
	UpdateNamesrvConfig:              "UPDATE_NAMESRV_CONFIG",
	GetNamesrvConfig:                 "GET_NAMESRV_CONFIG",
	SendBatchMessage:                 "SEND_BATCH_MESSAGE",
	QueryConsumeQueue:                "QUERY_CONSUME_QUEUE",
	QueryDataVersion:                 "QUERY_DATA_VERSION",
	ResumeCheckHalfMessage:           "RESUME_CHECK_HALF_MESSAGE",
	SendReplyMessage:                 "SEND_REPLY_MESSAGE",
	SendReplyMessageV2:               "SEND_REPLY_MESSAGE_V2",
	PushReplyMessageToClient:         "PUSH_REPLY_MESSAGE_TO_CLIENT",
	AddWritePermOfBroker:             "ADD_WRITE_PERM_OF_BROKER",
	GetAllProducerInfo:               "GET_ALL_PRODUCER_INFO",
	DeleteExpiredCommitlog:           "DELETE_EXPIRED_COMMITLOG",
}

var responseNames = map[ResponseCode]string{
	Success:                            "SUCCESS",
	SystemError:                        "SYSTEM_ERROR",
	SystemBusy:                         "SYSTEM_BUSY",
	RequestCodeNotSupported:            "REQUEST_CODE_NOT_SUPPORTED",
	TransactionFailed:                  "TRANSACTION_FAILED",
	FlushDiskTimeout:                   "FLUSH_DISK_TIMEOUT",
	SlaveNotAvailable:                  "SLAVE_NOT_AVAILABLE",
	FlushSlaveTimeout:                  "FLUSH_SLAVE_TIMEOUT",
	MessageIllegal:                     "MESSAGE_ILLEGAL",
	ServiceNotAvailable:                "SERVICE_NOT_AVAILABLE",
	VersionNotSupported:                "VERSION_NOT_SUPPORTED",
	NoPermission:                       "NO_PERMISSION",
	TopicNotExist:                      "TOPIC_NOT_EXIST",
	TopicExistAlready:                  "TOPIC_EXIST_ALREADY",
	PullNotFound:                       "PULL_NOT_FOUND",
	PullRetryImmediately:               "PULL_RETRY_IMMEDIATELY",
	PullOffsetMoved:                    "PULL_OFFSET_MOVED",
	QueryNotFound:                      "QUERY_NOT_FOUND",
	SubscriptionParseFailed:            "SUBSCRIPTION_PARSE_FAILED",
	SubscriptionNotExist:               "SUBSCRIPTION_NOT_EXIST",
	SubscriptionNotLatest:              "SUBSCRIPTION_NOT_LATEST",
	SubscriptionGroupNotExist:          "SUBSCRIPTION_GROUP_NOT_EXIST",
	FilterDataNotExist:                 "FILTER_DATA_NOT_EXIST",
	FilterDataNotLatest:                "FILTER_DATA_NOT_LATEST",
	TransactionShouldCommit:            "TRANSACTION_SHOULD_COMMIT",
	TransactionShouldRollback:          "TRANSACTION_SHOULD_ROLLBACK",
	TransactionStateUnknow:             "TRANSACTION_STATE_UNKNOW",
	TransactionStateGroupWrong:         "TRANSACTION_STATE_GROUP_WRONG",
	NoBuyerId:                          "NO_BUYER_ID",
	NotInCurrentUnit:                   "NOT_IN_CURRENT_UNIT",
	ConsumerNotOnline:                  "CONSUMER_NOT_ONLINE",
	ConsumeMsgTimeout:                  "CONSUME_MSG_TIMEOUT",
	NoMessage:                          "NO_MESSAGE",
	UpdateAndCreateAclConfigFailed:     "UPDATE_AND_CREATE_ACL_CONFIG_FAILED",
	DeleteAclConfigFailed:              "DELETE_ACL_CONFIG_FAILED",
	UpdateGlobalWhiteAddrsConfigFailed: "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG_FAILED",
	FlowControl:                        "FLOW_CONTROL",
}

// String returns the Java name of the code, or its number when it has none.
func (c RequestCode) String() string {
	if n, ok := requestNames[c]; ok {
		return n
	}
	return strconv.Itoa(int(c))
}

// String returns the Java name of the code, or its number when it has none.
func (c ResponseCode) String() string {
	if n, ok := responseNames[c]; ok {
		return n
	}
	return strconv.Itoa(int(c))
}
