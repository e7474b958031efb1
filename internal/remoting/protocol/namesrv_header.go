package protocol

// Name-server request and response headers
// (common/.../protocol/header/namesrv/*.java). Field tags carry the Java
// field names used as extFields keys.

// GetRouteInfoRequestHeader is GET_ROUTEINFO_BY_TOPIC's header
// (GetRouteInfoRequestHeader.java).
type GetRouteInfoRequestHeader struct {
	Topic                  string `rmq:"topic,required"`
	AcceptStandardJSONOnly *bool  `rmq:"acceptStandardJsonOnly"`
}

// RegisterBrokerRequestHeader is REGISTER_BROKER's header
// (RegisterBrokerRequestHeader.java).
type RegisterBrokerRequestHeader struct {
	BrokerName   string `rmq:"brokerName,required"`
	BrokerAddr   string `rmq:"brokerAddr,required"`
	ClusterName  string `rmq:"clusterName,required"`
	HaServerAddr string `rmq:"haServerAddr,required"`
	BrokerID     int64  `rmq:"brokerId,required"`
	Compressed   bool   `rmq:"compressed"`
	BodyCrc32    int32  `rmq:"bodyCrc32"`
}

// RegisterBrokerResponseHeader answers a slave's registration with its
// master (RegisterBrokerResponseHeader.java); both are absent otherwise.
type RegisterBrokerResponseHeader struct {
	HaServerAddr *string `rmq:"haServerAddr"`
	MasterAddr   *string `rmq:"masterAddr"`
}

// UnRegisterBrokerRequestHeader is UNREGISTER_BROKER's header
// (UnRegisterBrokerRequestHeader.java).
type UnRegisterBrokerRequestHeader struct {
	BrokerName  string `rmq:"brokerName,required"`
	BrokerAddr  string `rmq:"brokerAddr,required"`
	ClusterName string `rmq:"clusterName,required"`
	BrokerID    int64  `rmq:"brokerId,required"`
}

// QueryDataVersionRequestHeader is QUERY_DATA_VERSION's header
// (QueryDataVersionRequestHeader.java).
type QueryDataVersionRequestHeader struct {
	BrokerName  string `rmq:"brokerName,required"`
	BrokerAddr  string `rmq:"brokerAddr,required"`
	ClusterName string `rmq:"clusterName,required"`
	BrokerID    int64  `rmq:"brokerId,required"`
}

// QueryDataVersionResponseHeader says whether the broker's DataVersion
// differs from the one the name server holds
// (QueryDataVersionResponseHeader.java).
type QueryDataVersionResponseHeader struct {
	Changed *bool `rmq:"changed"`
}

// GetTopicsByClusterRequestHeader is GET_TOPICS_BY_CLUSTER's header
// (GetTopicsByClusterRequestHeader.java).
type GetTopicsByClusterRequestHeader struct {
	Cluster string `rmq:"cluster,required"`
}

// DeleteTopicFromNamesrvRequestHeader is DELETE_TOPIC_IN_NAMESRV's header
// (DeleteTopicFromNamesrvRequestHeader.java).
type DeleteTopicFromNamesrvRequestHeader struct {
	Topic       string  `rmq:"topic,required"`
	ClusterName *string `rmq:"clusterName"`
}

// WipeWritePermOfBrokerRequestHeader is WIPE_WRITE_PERM_OF_BROKER's header
// (WipeWritePermOfBrokerRequestHeader.java).
type WipeWritePermOfBrokerRequestHeader struct {
	BrokerName string `rmq:"brokerName,required"`
}

// WipeWritePermOfBrokerResponseHeader counts the topics touched
// (WipeWritePermOfBrokerResponseHeader.java).
type WipeWritePermOfBrokerResponseHeader struct {
	WipeTopicCount int32 `rmq:"wipeTopicCount,required"`
}

// AddWritePermOfBrokerRequestHeader is ADD_WRITE_PERM_OF_BROKER's header
// (AddWritePermOfBrokerRequestHeader.java).
type AddWritePermOfBrokerRequestHeader struct {
	BrokerName string `rmq:"brokerName,required"`
}

// AddWritePermOfBrokerResponseHeader counts the topics touched
// (AddWritePermOfBrokerResponseHeader.java).
type AddWritePermOfBrokerResponseHeader struct {
	AddTopicCount int32 `rmq:"addTopicCount,required"`
}

// PutKVConfigRequestHeader is PUT_KV_CONFIG's header
// (PutKVConfigRequestHeader.java).
type PutKVConfigRequestHeader struct {
	Namespace string `rmq:"namespace,required"`
	Key       string `rmq:"key,required"`
	Value     string `rmq:"value,required"`
}

// GetKVConfigRequestHeader is GET_KV_CONFIG's header
// (GetKVConfigRequestHeader.java).
type GetKVConfigRequestHeader struct {
	Namespace string `rmq:"namespace,required"`
	Key       string `rmq:"key,required"`
}

// GetKVConfigResponseHeader carries the value found
// (GetKVConfigResponseHeader.java).
type GetKVConfigResponseHeader struct {
	Value *string `rmq:"value"`
}

// DeleteKVConfigRequestHeader is DELETE_KV_CONFIG's header
// (DeleteKVConfigRequestHeader.java).
type DeleteKVConfigRequestHeader struct {
	Namespace string `rmq:"namespace,required"`
	Key       string `rmq:"key,required"`
}

// GetKVListByNamespaceRequestHeader is GET_KVLIST_BY_NAMESPACE's header
// (GetKVListByNamespaceRequestHeader.java).
type GetKVListByNamespaceRequestHeader struct {
	Namespace string `rmq:"namespace,required"`
}
