package broker

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/remoting"
	"github.com/gorocket/gorocket/internal/remoting/protocol"
	"github.com/gorocket/gorocket/internal/store"
)

// TestSendSyncFlushAnswersFromGroupCommit: with SYNC_FLUSH and a single
// send worker, concurrent sends are each answered SUCCESS once
// their bytes are durable, with distinct consecutive queue offsets; a
// oneway send is stored and gets no answer.
func TestSendSyncFlushAnswersFromGroupCommit(t *testing.T) {
	e := startEnv(t, func(cfg *Config, scfg *store.Config) {
		cfg.SendMessageThreadPoolNums = 1
		scfg.FlushDiskType = store.SyncFlush
	})
	e.createTopic("SyncTopic", 1, 6)

	const n = 32
	offsets := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			resp, err := e.cli.Invoke(ctx, e.b.Addr(), sendReq("SyncTopic", 0, map[string]string{"WAIT": "true"}, []byte("durable")))
			if err != nil {
				t.Error(err)
				return
			}
			if resp.Code != int32(protocol.Success) {
				t.Errorf("send answered %d %s", resp.Code, resp.Remark)
				return
			}
			offsets <- resp.ExtFields["queueOffset"]
		}()
	}
	wg.Wait()
	close(offsets)
	seen := map[string]bool{}
	for off := range offsets {
		require.False(t, seen[off], "queue offset %s answered twice", off)
		seen[off] = true
	}
	require.Len(t, seen, n)
	st := e.b.Store()
	require.GreaterOrEqual(t, st.FlushedPhyOffset(), st.MaxPhyOffset(), "every answered send is flushed")

	oneway := sendReq("SyncTopic", 0, nil, []byte("no answer wanted"))
	require.NoError(t, e.cli.InvokeOneway(e.b.Addr(), oneway))
	e.waitMaxOffset("SyncTopic", 0, n+1, "the oneway send is stored")

	resp := e.invoke(remoting.NewRequest(protocol.GetMaxOffset, map[string]string{"topic": "SyncTopic", "queueId": "0"}, nil))
	require.Equal(t, int32(protocol.Success), resp.Code)
	require.Equal(t, "33", resp.ExtFields["offset"])
}
