package client

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRouteRefreshCadence checks the periodic loop behind route refresh,
// heartbeats, offset persistence and rebalancing on a fake clock: one run
// per interval, none after cancel.
func TestRouteRefreshCadence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		var runs atomic.Int32
		every(ctx, &wg, DefaultPollNameServerInterval, func(context.Context) { runs.Add(1) })
		time.Sleep(95 * time.Second)
		synctest.Wait()
		require.Equal(t, int32(3), runs.Load())
		cancel()
		wg.Wait()
		time.Sleep(time.Hour)
		require.Equal(t, int32(3), runs.Load())
	})
}
