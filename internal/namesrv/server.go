package namesrv

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/config"
	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// Server is a name server: the route table and KV store served over
// remoting (NamesrvController.java).
type Server struct {
	lg     *zap.Logger
	routes *RouteTable
	kv     *KVConfig
	rs     *remoting.Server

	cancel context.CancelFunc
	done   chan struct{}

	mu struct {
		sync.Mutex
		cfg   Config
		extra map[string]string // keys set by UPDATE_NAMESRV_CONFIG that no field takes
	}
}

// New builds a name server from cfg, loading the KV store; nothing listens
// until Start.
func New(cfg Config, lg *zap.Logger) (*Server, error) {
	if lg == nil {
		lg = zap.NewNop()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	kv, err := OpenKVConfig(cfg.KvConfigPath, lg)
	if err != nil {
		return nil, err
	}
	s := &Server{lg: lg, routes: NewRouteTable(lg), kv: kv, done: make(chan struct{})}
	s.mu.cfg = cfg
	s.mu.extra = map[string]string{}
	s.rs = remoting.NewServer(remoting.ServerConfig{
		ListenAddr:   net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.ListenPort)),
		MaxFrameSize: cfg.MaxFrameSize,
	}, lg)
	pool := s.rs.NewPool("namesrv", cfg.ServerWorkerThreads, 10000)
	for code, h := range map[protocol.RequestCode]remoting.HandlerFunc{
		protocol.PutKvConfig:                   s.putKVConfig,
		protocol.GetKvConfig:                   s.getKVConfig,
		protocol.DeleteKvConfig:                s.deleteKVConfig,
		protocol.GetKvlistByNamespace:          s.getKVListByNamespace,
		protocol.RegisterBroker:                s.registerBroker,
		protocol.UnregisterBroker:              s.unregisterBroker,
		protocol.QueryDataVersion:              s.queryDataVersion,
		protocol.GetRouteinfoByTopic:           s.getRouteInfoByTopic,
		protocol.GetBrokerClusterInfo:          s.getBrokerClusterInfo,
		protocol.WipeWritePermOfBroker:         s.wipeWritePermOfBroker,
		protocol.AddWritePermOfBroker:          s.addWritePermOfBroker,
		protocol.GetAllTopicListFromNameserver: s.getAllTopicList,
		protocol.DeleteTopicInNamesrv:          s.deleteTopicInNamesrv,
		protocol.GetTopicsByCluster:            s.getTopicsByCluster,
		protocol.GetSystemTopicListFromNs:      s.getSystemTopicList,
		protocol.GetUnitTopicList:              s.topicsBySysFlag(protocol.TopicSysFlagUnit, 0),
		protocol.GetHasUnitSubTopicList:        s.topicsBySysFlag(protocol.TopicSysFlagUnitSub, 0),
		protocol.GetHasUnitSubUnunitTopicList:  s.topicsBySysFlag(protocol.TopicSysFlagUnitSub, protocol.TopicSysFlagUnit),
		protocol.UpdateNamesrvConfig:           s.updateNamesrvConfig,
		protocol.GetNamesrvConfig:              s.getNamesrvConfig,
	} {
		s.rs.Register(code, h, pool)
	}
	s.rs.OnClose(func(c *remoting.Conn) { s.routes.ConnClosed(c) })
	return s, nil
}

// Start listens and starts the broker expiry scan.
func (s *Server) Start() error {
	if err := s.rs.Start(); err != nil {
		return fmt.Errorf("start name server: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.mu.Lock()
	expiry, every := s.mu.cfg.brokerExpiry(), s.mu.cfg.scanInterval()
	s.mu.Unlock()
	go s.runExpiry(ctx, expiry, every)
	s.lg.Info("name server started", zap.String("addr", s.rs.Addr()))
	return nil
}

// runExpiry removes brokers that have not registered for expiry, every
// interval (scanNotActiveBroker).
func (s *Server) runExpiry(ctx context.Context, expiry, every time.Duration) {
	defer close(s.done)
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tk.C:
			s.routes.ExpireBefore(now.Add(-expiry))
		}
	}
}

// Addr is the bound "ip:port".
func (s *Server) Addr() string { return s.rs.Addr() }

// Routes is the route table.
func (s *Server) Routes() *RouteTable { return s.routes }

// KV is the KV store.
func (s *Server) KV() *KVConfig { return s.kv }

// Config returns the current settings.
func (s *Server) Config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.cfg
}

// Shutdown stops the scan and the remoting server, bounded by ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.cancel != nil {
		s.cancel()
		select {
		case <-s.done:
		case <-ctx.Done():
			return fmt.Errorf("stop name server: %w", ctx.Err())
		}
	}
	if err := s.rs.Shutdown(ctx); err != nil {
		return fmt.Errorf("stop name server: %w", err)
	}
	s.lg.Info("name server stopped")
	return nil
}

func systemError(req *remoting.Command, err error) *remoting.Command {
	return remoting.NewResponse(req, protocol.SystemError, err.Error())
}

func success(req *remoting.Command) *remoting.Command {
	return remoting.NewResponse(req, protocol.Success, "")
}

// bodyCRC32 is UtilAll.crc32: CRC-32 (IEEE) masked to a positive int.
func bodyCRC32(b []byte) int32 { return int32(crc32.ChecksumIEEE(b) & 0x7FFFFFFF) }

// NoRouteRemark is the remark of TOPIC_NOT_EXIST for an unknown topic
// (DefaultRequestProcessor.getRouteInfoByTopic with FAQUrl.suggestTodo).
func NoRouteRemark(topic string) string {
	return "No topic route info in name server for the topic: " + topic +
		"\nSee http://rocketmq.apache.org/docs/faq/ for further details."
}

// standardJSONVersion is MQVersion V4_9_4: requesters from it on get route
// data with quoted map keys.
const standardJSONVersion = 401

// registerBodyVersion is MQVersion V3_0_11: from it on the register body is
// a RegisterBrokerBody rather than a bare TopicConfigSerializeWrapper.
const registerBodyVersion = 37

func (s *Server) registerBroker(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.RegisterBrokerRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return systemError(req, err)
	}
	if h.BodyCrc32 != 0 && bodyCRC32(req.Body) != h.BodyCrc32 {
		return remoting.NewResponse(req, protocol.SystemError, "crc32 not match")
	}
	reg := Registration{
		ClusterName:  h.ClusterName,
		BrokerName:   h.BrokerName,
		BrokerAddr:   h.BrokerAddr,
		BrokerID:     h.BrokerID,
		HAServerAddr: h.HaServerAddr,
		Conn:         c,
	}
	if req.Version >= registerBodyVersion {
		body, err := protocol.DecodeRegisterBrokerBody(req.Body, h.Compressed)
		if err != nil {
			return systemError(req, err)
		}
		reg.Topics = body.TopicConfigSerializeWrapper
		reg.FilterServers = body.FilterServerList
		if reg.FilterServers == nil {
			reg.FilterServers = []string{}
		}
	} else if len(req.Body) > 0 {
		if err := protocol.UnmarshalLenient(req.Body, &reg.Topics); err != nil {
			return systemError(req, fmt.Errorf("decode TopicConfigSerializeWrapper: %w", err))
		}
	}
	res := s.routes.Register(reg)
	resp := success(req)
	var rh protocol.RegisterBrokerResponseHeader
	if res.MasterAddr != "" {
		rh.MasterAddr = &res.MasterAddr
		rh.HaServerAddr = &res.HAServerAddr
	}
	resp.ExtFields = protocol.EncodeHeader(&rh)
	if m := s.kv.List(protocol.NamespaceOrderTopicConfig); m != nil {
		resp.Body = protocol.MarshalCompact(&protocol.KVTable{Table: m})
	}
	return resp
}

func (s *Server) unregisterBroker(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.UnRegisterBrokerRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return systemError(req, err)
	}
	s.routes.Unregister(h.ClusterName, h.BrokerName, h.BrokerAddr, h.BrokerID)
	return success(req)
}

func (s *Server) queryDataVersion(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.QueryDataVersionRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return systemError(req, err)
	}
	var dv protocol.DataVersion
	if len(req.Body) > 0 {
		if err := protocol.UnmarshalLenient(req.Body, &dv); err != nil {
			return systemError(req, fmt.Errorf("decode DataVersion: %w", err))
		}
	}
	changed, stored := s.routes.DataVersionChanged(h.BrokerAddr, dv)
	resp := success(req)
	resp.ExtFields = protocol.EncodeHeader(&protocol.QueryDataVersionResponseHeader{Changed: &changed})
	if stored != nil {
		resp.Body = protocol.MarshalCompact(stored)
	}
	return resp
}

func (s *Server) getRouteInfoByTopic(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetRouteInfoRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return systemError(req, err)
	}
	route := s.routes.Route(h.Topic)
	if route == nil {
		return remoting.NewResponse(req, protocol.TopicNotExist, NoRouteRemark(h.Topic))
	}
	s.mu.Lock()
	orderEnabled := s.mu.cfg.OrderMessageEnable
	s.mu.Unlock()
	if orderEnabled {
		route.OrderTopicConf, _ = s.kv.Get(protocol.NamespaceOrderTopicConfig, h.Topic)
	}
	standard := req.Version >= standardJSONVersion || (h.AcceptStandardJSONOnly != nil && *h.AcceptStandardJSONOnly)
	resp := success(req)
	resp.Body = route.Encode(standard)
	return resp
}

func (s *Server) getBrokerClusterInfo(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := success(req)
	resp.Body = s.routes.ClusterInfo().Encode()
	return resp
}

func (s *Server) wipeWritePermOfBroker(c *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.WipeWritePermOfBrokerRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return systemError(req, err)
	}
	n := s.routes.WipeWritePerm(h.BrokerName)
	s.lg.Info("wiped write perm of broker", zap.String("brokerName", h.BrokerName), zap.Int("topics", n), zap.String("remote", c.RemoteAddr()))
	resp := success(req)
	resp.ExtFields = protocol.EncodeHeader(&protocol.WipeWritePermOfBrokerResponseHeader{WipeTopicCount: int32(n)})
	return resp
}

func (s *Server) addWritePermOfBroker(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.AddWritePermOfBrokerRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return systemError(req, err)
	}
	n := s.routes.AddWritePerm(h.BrokerName)
	s.lg.Info("added write perm of broker", zap.String("brokerName", h.BrokerName), zap.Int("topics", n))
	resp := success(req)
	resp.ExtFields = protocol.EncodeHeader(&protocol.AddWritePermOfBrokerResponseHeader{AddTopicCount: int32(n)})
	return resp
}

func topicListResponse(req *remoting.Command, topics []string, brokerAddr string) *remoting.Command {
	if topics == nil {
		topics = []string{}
	}
	resp := success(req)
	resp.Body = protocol.MarshalCompact(&protocol.TopicList{TopicList: topics, BrokerAddr: brokerAddr})
	return resp
}

func (s *Server) getAllTopicList(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	return topicListResponse(req, s.routes.Topics(), "")
}

func (s *Server) deleteTopicInNamesrv(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.DeleteTopicFromNamesrvRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return systemError(req, err)
	}
	cluster := ""
	if h.ClusterName != nil {
		cluster = *h.ClusterName
	}
	s.routes.DeleteTopic(h.Topic, cluster)
	s.lg.Info("topic deleted", zap.String("topic", h.Topic), zap.String("clusterName", cluster))
	return success(req)
}

func (s *Server) getTopicsByCluster(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetTopicsByClusterRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return systemError(req, err)
	}
	return topicListResponse(req, s.routes.TopicsOfCluster(h.Cluster), "")
}

func (s *Server) getSystemTopicList(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	topics, addr := s.routes.SystemTopics()
	return topicListResponse(req, topics, addr)
}

func (s *Server) topicsBySysFlag(want, without int32) remoting.HandlerFunc {
	return func(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
		return topicListResponse(req, s.routes.TopicsBySysFlag(want, without), "")
	}
}

func (s *Server) putKVConfig(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.PutKVConfigRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return systemError(req, err)
	}
	if err := s.kv.Put(h.Namespace, h.Key, h.Value); err != nil {
		s.lg.Error("persist kv config failed", zap.Error(err))
		return systemError(req, err)
	}
	return success(req)
}

func (s *Server) getKVConfig(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetKVConfigRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return systemError(req, err)
	}
	v, ok := s.kv.Get(h.Namespace, h.Key)
	if !ok {
		return remoting.NewResponse(req, protocol.QueryNotFound, "No config item, Namespace: "+h.Namespace+" Key: "+h.Key)
	}
	resp := success(req)
	resp.ExtFields = protocol.EncodeHeader(&protocol.GetKVConfigResponseHeader{Value: &v})
	return resp
}

func (s *Server) deleteKVConfig(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.DeleteKVConfigRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return systemError(req, err)
	}
	if err := s.kv.Delete(h.Namespace, h.Key); err != nil {
		s.lg.Error("persist kv config failed", zap.Error(err))
		return systemError(req, err)
	}
	return success(req)
}

func (s *Server) getKVListByNamespace(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	var h protocol.GetKVListByNamespaceRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return systemError(req, err)
	}
	m := s.kv.List(h.Namespace)
	if m == nil {
		return remoting.NewResponse(req, protocol.QueryNotFound, "No config item, Namespace: "+h.Namespace)
	}
	resp := success(req)
	resp.Body = protocol.MarshalCompact(&protocol.KVTable{Table: m})
	return resp
}

// alwaysBlackListed are keys UPDATE_NAMESRV_CONFIG never changes, whatever
// configBlackList says.
var alwaysBlackListed = []string{"configBlackList", "configStorePath", "kvConfigPath", "rocketmqHome"}

func (s *Server) updateNamesrvConfig(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	if len(req.Body) == 0 {
		return success(req)
	}
	props, err := config.Parse(string(req.Body), "UPDATE_NAMESRV_CONFIG body")
	if err != nil {
		return remoting.NewResponse(req, protocol.SystemError, "string2Properties error")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	black := append(strings.Split(s.mu.cfg.ConfigBlackList, ";"), alwaysBlackListed...)
	for _, k := range props.Keys() {
		for _, b := range black {
			if k == strings.TrimSpace(b) && k != "" {
				return remoting.NewResponse(req, protocol.NoPermission, "Can not update config in black list.")
			}
		}
	}
	// Decode the update over the current values, so unnamed keys keep them.
	merged := config.New()
	keys, values := config.Values(&s.mu.cfg)
	for _, k := range keys {
		merged.Set(k, values[k])
	}
	merged.Merge(props)
	next := s.mu.cfg
	if err := config.Decode(merged, &next); err != nil {
		return systemError(req, err)
	}
	if err := next.Validate(); err != nil {
		return systemError(req, err)
	}
	for _, k := range merged.Unused() {
		v, _ := merged.Get(k)
		s.mu.extra[k] = v
	}
	s.mu.cfg = next
	if err := s.persistConfigLocked(); err != nil {
		s.lg.Error("persist name server config failed", zap.Error(err))
		return systemError(req, err)
	}
	s.lg.Info("name server config updated", zap.String("body", string(req.Body)))
	return success(req)
}

func (s *Server) getNamesrvConfig(_ *remoting.Conn, req *remoting.Command) *remoting.Command {
	s.mu.Lock()
	text := s.configTextLocked()
	s.mu.Unlock()
	resp := success(req)
	resp.Body = []byte(text)
	return resp
}

// configTextLocked is every setting as key=value lines
// (Configuration.getAllConfigsFormatString).
func (s *Server) configTextLocked() string {
	var b strings.Builder
	keys, values := config.Values(&s.mu.cfg)
	for _, k := range keys {
		b.WriteString(k + "=" + values[k] + "\n")
	}
	for _, k := range sortedNames(s.mu.extra) {
		b.WriteString(k + "=" + s.mu.extra[k] + "\n")
	}
	return b.String()
}

// persistConfigLocked writes every setting to configStorePath with the
// .tmp/.bak protocol (Configuration.persist).
func (s *Server) persistConfigLocked() error {
	path := s.mu.cfg.ConfigStorePath
	if path == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("persist name server config: %w", err)
	}
	tmp := path + ".tmp"
	if err := writeFileSync(tmp, []byte(s.configTextLocked())); err != nil {
		return fmt.Errorf("persist name server config: %w", err)
	}
	if prev, err := os.ReadFile(path); err == nil {
		if err := writeFileSync(path+".bak", prev); err != nil {
			return fmt.Errorf("persist name server config: %w", err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("persist name server config: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("persist name server config: %w", err)
	}
	return nil
}
