package namesrv

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/gorocket/gorocket/internal/remoting/protocol"
)

// closer is a broker connection stand-in that records Close.
type closer struct{ closed atomic.Int32 }

func (c *closer) Close() error { c.closed.Add(1); return nil }

func topics(counter int64, tcs ...protocol.TopicConfig) protocol.TopicConfigSerializeWrapper {
	w := protocol.TopicConfigSerializeWrapper{DataVersion: protocol.DataVersion{Counter: counter, Timestamp: 1700000000000}, TopicConfigTable: map[string]*protocol.TopicConfig{}}
	for i := range tcs {
		w.TopicConfigTable[tcs[i].TopicName] = &tcs[i]
	}
	return w
}

func master(name, addr string, w protocol.TopicConfigSerializeWrapper) Registration {
	return Registration{ClusterName: "DefaultCluster", BrokerName: name, BrokerAddr: addr, BrokerID: 0, HAServerAddr: addr + "1", Topics: w}
}

func TestRouteTableRegisterMasterAndSlave(t *testing.T) {
	rt := NewRouteTable(zaptest.NewLogger(t))
	res := rt.Register(master("broker-a", "10.0.0.1:10911", topics(1,
		protocol.NewTopicConfig("TopicTest", 4, 4, 6),
		protocol.NewTopicConfig("ReadOnly", 2, 2, 4))))
	require.Equal(t, RegisterResult{}, res, "a master gets no master address")

	slave := master("broker-a", "10.0.0.2:10911", topics(9, protocol.NewTopicConfig("SlaveOnly", 1, 1, 6)))
	slave.BrokerID = 1
	res = rt.Register(slave)
	require.Equal(t, RegisterResult{MasterAddr: "10.0.0.1:10911", HAServerAddr: "10.0.0.1:109111"}, res)

	r := rt.Route("TopicTest")
	require.NotNil(t, r)
	require.Equal(t, []*protocol.QueueData{{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4}}, r.QueueDatas)
	require.Len(t, r.BrokerDatas, 1)
	require.Equal(t, map[int64]string{0: "10.0.0.1:10911", 1: "10.0.0.2:10911"}, r.BrokerDatas[0].BrokerAddrs)
	require.Equal(t, "DefaultCluster", r.BrokerDatas[0].Cluster)
	require.EqualValues(t, 4, rt.Route("ReadOnly").QueueDatas[0].Perm)
	require.Nil(t, rt.Route("SlaveOnly"), "queue data comes from masters only")
	require.Nil(t, rt.Route("Nope"))
	require.Equal(t, 2, rt.BrokerCount())

	// The route is a copy.
	r.BrokerDatas[0].BrokerAddrs[5] = "x"
	r.QueueDatas[0].Perm = 0
	again := rt.Route("TopicTest")
	require.Len(t, again.BrokerDatas[0].BrokerAddrs, 2)
	require.EqualValues(t, 6, again.QueueDatas[0].Perm)
}

func TestRouteTableDataVersionGatesTopicUpdates(t *testing.T) {
	rt := NewRouteTable(nil)
	rt.Register(master("broker-a", "a:1", topics(1, protocol.NewTopicConfig("T", 4, 4, 6))))
	// Same version: the new topic table is ignored, as in Java.
	rt.Register(master("broker-a", "a:1", topics(1, protocol.NewTopicConfig("T", 8, 8, 6), protocol.NewTopicConfig("U", 1, 1, 6))))
	require.EqualValues(t, 4, rt.Route("T").QueueDatas[0].ReadQueueNums)
	require.Nil(t, rt.Route("U"))
	// New version: applied; topics missing from the table stay.
	rt.Register(master("broker-a", "a:1", topics(2, protocol.NewTopicConfig("U", 1, 1, 6))))
	require.NotNil(t, rt.Route("U"))
	require.NotNil(t, rt.Route("T"))

	changed, stored := rt.DataVersionChanged("a:1", protocol.DataVersion{Counter: 2, Timestamp: 1700000000000})
	require.False(t, changed)
	require.Equal(t, &protocol.DataVersion{Counter: 2, Timestamp: 1700000000000}, stored)
	changed, _ = rt.DataVersionChanged("a:1", protocol.DataVersion{Counter: 3})
	require.True(t, changed)
	changed, stored = rt.DataVersionChanged("unknown:1", protocol.DataVersion{})
	require.True(t, changed)
	require.Nil(t, stored)
}

func TestRouteTableSlaveBecomesMaster(t *testing.T) {
	rt := NewRouteTable(nil)
	rt.Register(master("broker-a", "a:1", topics(1, protocol.NewTopicConfig("T", 4, 4, 6))))
	s := master("broker-a", "b:1", topics(1))
	s.BrokerID = 1
	rt.Register(s)
	rt.Unregister("DefaultCluster", "broker-a", "a:1", 0)
	// The slave re-registers as master under the same address.
	s.BrokerID = 0
	s.Topics = topics(5, protocol.NewTopicConfig("T", 4, 4, 6))
	rt.Register(s)
	r := rt.Route("T")
	require.NotNil(t, r)
	require.Equal(t, map[int64]string{0: "b:1"}, r.BrokerDatas[0].BrokerAddrs)
}

func TestRouteTableUnregisterRemovesLastAddress(t *testing.T) {
	rt := NewRouteTable(nil)
	rt.Register(master("broker-a", "a:1", topics(1, protocol.NewTopicConfig("T", 4, 4, 6), protocol.NewTopicConfig("Shared", 4, 4, 6))))
	rt.Register(master("broker-b", "b:1", topics(1, protocol.NewTopicConfig("Shared", 2, 2, 6))))
	s := master("broker-a", "a2:1", topics(1))
	s.BrokerID = 1
	rt.Register(s)

	rt.Unregister("DefaultCluster", "broker-a", "a:1", 0)
	require.NotNil(t, rt.Route("T"), "the slave keeps broker-a routable")
	require.Equal(t, map[int64]string{1: "a2:1"}, rt.Route("T").BrokerDatas[0].BrokerAddrs)

	rt.Unregister("DefaultCluster", "broker-a", "a2:1", 1)
	require.Nil(t, rt.Route("T"), "topic with no broker left disappears")
	shared := rt.Route("Shared")
	require.Len(t, shared.QueueDatas, 1)
	require.Equal(t, "broker-b", shared.QueueDatas[0].BrokerName)
	require.Equal(t, map[string][]string{"DefaultCluster": {"broker-b"}}, rt.ClusterInfo().ClusterAddrTable)

	rt.Unregister("DefaultCluster", "broker-b", "b:1", 0)
	require.Empty(t, rt.ClusterInfo().ClusterAddrTable)
	require.Empty(t, rt.Topics())
	rt.Unregister("DefaultCluster", "ghost", "g:1", 0) // unknown: no-op
}

func TestRouteTableConnClosed(t *testing.T) {
	rt := NewRouteTable(nil)
	ca, cb := &closer{}, &closer{}
	ra := master("broker-a", "a:1", topics(1, protocol.NewTopicConfig("T", 4, 4, 6)))
	ra.Conn = ca
	rt.Register(ra)
	rb := master("broker-b", "b:1", topics(1, protocol.NewTopicConfig("T", 4, 4, 6)))
	rb.Conn = cb
	rt.Register(rb)
	require.Empty(t, rt.ConnClosed(&closer{}), "an unknown connection removes nothing")
	require.Equal(t, []string{"a:1"}, rt.ConnClosed(ca))
	r := rt.Route("T")
	require.Len(t, r.QueueDatas, 1)
	require.Equal(t, "broker-b", r.QueueDatas[0].BrokerName)
	require.Nil(t, rt.ConnClosed(nil))
}

func TestRouteTableExpiryScan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &Server{routes: NewRouteTable(nil), done: make(chan struct{})}
		ctx, cancel := context.WithCancel(context.Background())
		go s.runExpiry(ctx, DefaultBrokerExpiry, DefaultScanInterval)

		c := &closer{}
		r := master("broker-a", "a:1", topics(1, protocol.NewTopicConfig("T", 4, 4, 6)))
		r.Conn = c
		s.routes.Register(r)
		keep := master("broker-b", "b:1", topics(1, protocol.NewTopicConfig("T", 4, 4, 6)))
		s.routes.Register(keep)

		// broker-b keeps registering every 30 s, broker-a goes quiet.
		for range 4 {
			time.Sleep(30 * time.Second)
			s.routes.Register(keep)
		}
		synctest.Wait()
		require.Len(t, s.routes.Route("T").QueueDatas, 2, "120 s have passed, but no scan has seen them expire yet")

		time.Sleep(10 * time.Second) // the scan at 130 s sees a:1 older than 120 s
		synctest.Wait()
		r2 := s.routes.Route("T")
		require.Len(t, r2.QueueDatas, 1)
		require.Equal(t, "broker-b", r2.QueueDatas[0].BrokerName)
		require.EqualValues(t, 1, c.closed.Load(), "the expired broker's connection is closed")

		cancel()
		<-s.done
	})
}

func TestRouteTableQueries(t *testing.T) {
	rt := NewRouteTable(nil)
	unit := protocol.NewTopicConfig("Unit", 1, 1, 6)
	unit.TopicSysFlag = protocol.TopicSysFlagUnit
	unitSub := protocol.NewTopicConfig("UnitSub", 1, 1, 6)
	unitSub.TopicSysFlag = protocol.TopicSysFlagUnitSub
	both := protocol.NewTopicConfig("Both", 1, 1, 6)
	both.TopicSysFlag = protocol.TopicSysFlagUnit | protocol.TopicSysFlagUnitSub
	rt.Register(master("broker-a", "a:1", topics(1, protocol.NewTopicConfig("A", 4, 4, 6), unit, unitSub, both)))
	rb := master("broker-b", "b:1", topics(1, protocol.NewTopicConfig("A", 4, 4, 6), protocol.NewTopicConfig("B", 4, 4, 6)))
	rb.ClusterName = "Other"
	rt.Register(rb)

	require.Equal(t, []string{"A", "Both", "Unit", "UnitSub"}, rt.TopicsOfCluster("DefaultCluster"))
	require.Equal(t, []string{"A", "B"}, rt.TopicsOfCluster("Other"))
	require.Empty(t, rt.TopicsOfCluster("None"))
	require.Equal(t, []string{"A", "B", "Both", "Unit", "UnitSub"}, rt.Topics())
	require.Equal(t, []string{"Both", "Unit"}, rt.TopicsBySysFlag(protocol.TopicSysFlagUnit, 0))
	require.Equal(t, []string{"Both", "UnitSub"}, rt.TopicsBySysFlag(protocol.TopicSysFlagUnitSub, 0))
	require.Equal(t, []string{"UnitSub"}, rt.TopicsBySysFlag(protocol.TopicSysFlagUnitSub, protocol.TopicSysFlagUnit))

	sys, addr := rt.SystemTopics()
	require.Equal(t, []string{"DefaultCluster", "Other", "broker-a", "broker-b"}, sys)
	require.Equal(t, "a:1", addr)

	require.Equal(t, 2, rt.WipeWritePerm("broker-b"))
	for _, q := range rt.Route("A").QueueDatas {
		if q.BrokerName == "broker-b" {
			require.EqualValues(t, 4, q.Perm)
		} else {
			require.EqualValues(t, 6, q.Perm)
		}
	}
	require.Equal(t, 2, rt.AddWritePerm("broker-b"))
	require.EqualValues(t, 6, rt.Route("B").QueueDatas[0].Perm)
	require.Equal(t, 0, rt.WipeWritePerm("nobody"))

	rt.DeleteTopic("A", "Other")
	require.Len(t, rt.Route("A").QueueDatas, 1)
	rt.DeleteTopic("B", "Other")
	require.Nil(t, rt.Route("B"))
	rt.DeleteTopic("A", "")
	require.Nil(t, rt.Route("A"))
	rt.DeleteTopic("missing", "Other")
}

func TestRouteTableFilterServers(t *testing.T) {
	rt := NewRouteTable(nil)
	r := master("broker-a", "a:1", topics(1, protocol.NewTopicConfig("T", 4, 4, 6)))
	r.FilterServers = []string{"f:1"}
	rt.Register(r)
	require.Equal(t, map[string][]string{"a:1": {"f:1"}}, rt.Route("T").FilterServerTable)
	r.FilterServers = []string{}
	rt.Register(r)
	require.Empty(t, rt.Route("T").FilterServerTable)
}
