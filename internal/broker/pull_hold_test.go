package broker

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gorocket/gorocket/internal/message"
)

func TestPullTagFilter(t *testing.T) {
	cases := []struct {
		name string
		sub  string
		tags []string
		in   []string
		out  []string
	}{
		{name: "star", sub: "*", in: []string{"", "TagA", "x"}},
		{name: "empty", sub: "", in: []string{"", "TagA"}},
		{name: "two tags", sub: "TagA || TagB", in: []string{"TagA", "TagB"}, out: []string{"TagC", ""}},
		{name: "spaces and empties", sub: " TagA ||  || TagB ", in: []string{"TagA", "TagB"}, out: []string{"TagA || TagB"}},
		{name: "from heartbeat tags", sub: "TagA || TagB", tags: []string{"TagB"}, in: []string{"TagB"}, out: []string{"TagA"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tagFilterFromTags(tc.sub, tc.tags)
			for _, tag := range tc.in {
				require.True(t, f.match(message.TagsHashCode(tag)), "tag %q should match %q", tag, tc.sub)
			}
			for _, tag := range tc.out {
				require.False(t, f.match(message.TagsHashCode(tag)), "tag %q should not match %q", tag, tc.sub)
			}
		})
	}
}

// TestPullHoldWakesOnArrival: a held pull is resumed by a matching arrival
// beyond its offset, not by one at or below it nor by a filtered tag.
func TestPullHoldWakesOnArrival(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var maxOff atomic.Int64
		h := newPullHold(5*time.Second, func(string, int32) int64 { return maxOff.Load() }, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go h.run(ctx)

		var resumed atomic.Int32
		maxOff.Store(3)
		h.hold(&heldPull{
			topic: "T", queueID: 1, pullOffset: 3,
			filter:   parseTagFilter("TagA"),
			deadline: time.Now().Add(15 * time.Second),
			resume:   func() { resumed.Add(1) },
		})
		require.Equal(t, 1, h.held())

		h.notify("T", 1, 3, message.TagsHashCode("TagA")) // not beyond the pull offset
		h.notify("T", 2, 9, message.TagsHashCode("TagA")) // another queue
		h.notify("T", 1, 4, message.TagsHashCode("TagB")) // filtered out
		synctest.Wait()
		require.Equal(t, int32(0), resumed.Load())
		require.Equal(t, 1, h.held())

		h.notify("T", 1, 4, message.TagsHashCode("TagA"))
		synctest.Wait()
		require.Equal(t, int32(1), resumed.Load())
		require.Equal(t, 0, h.held())

		// The expiry timer of a resumed pull does nothing.
		time.Sleep(20 * time.Second)
		synctest.Wait()
		require.Equal(t, int32(1), resumed.Load())
	})
}

// TestPullHoldExpires: a pull nobody wakes is resumed at its deadline, once.
func TestPullHoldExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newPullHold(5*time.Second, func(string, int32) int64 { return 0 }, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go h.run(ctx)

		var at atomic.Int64
		start := time.Now()
		h.hold(&heldPull{
			topic: "T", queueID: 0, pullOffset: 0, filter: parseTagFilter("*"),
			deadline: start.Add(15 * time.Second),
			resume:   func() { at.Store(int64(time.Since(start))) },
		})
		time.Sleep(14 * time.Second)
		synctest.Wait()
		require.Zero(t, at.Load())
		time.Sleep(2 * time.Second)
		synctest.Wait()
		require.Equal(t, int64(15*time.Second), at.Load())
		require.Equal(t, 0, h.held())
	})
}

// TestPullHoldPeriodicCheck: an arrival whose notification was missed is
// found by the periodic max-offset check.
func TestPullHoldPeriodicCheck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var maxOff atomic.Int64
		h := newPullHold(5*time.Second, func(string, int32) int64 { return maxOff.Load() }, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go h.run(ctx)

		var resumed atomic.Int32
		h.hold(&heldPull{
			topic: "T", queueID: 0, pullOffset: 0, filter: parseTagFilter("*"),
			deadline: time.Now().Add(30 * time.Second),
			resume:   func() { resumed.Add(1) },
		})
		maxOff.Store(1)
		time.Sleep(4 * time.Second)
		synctest.Wait()
		require.Equal(t, int32(0), resumed.Load())
		time.Sleep(2 * time.Second)
		synctest.Wait()
		require.Equal(t, int32(1), resumed.Load())
	})
}

// TestPullHoldArrivalBeforeHold: a message that lands between the read
// and the parking is caught at once.
func TestPullHoldArrivalBeforeHold(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newPullHold(5*time.Second, func(string, int32) int64 { return 5 }, nil)
		var resumed atomic.Int32
		h.hold(&heldPull{
			topic: "T", queueID: 0, pullOffset: 4, filter: parseTagFilter("*"),
			deadline: time.Now().Add(30 * time.Second),
			resume:   func() { resumed.Add(1) },
		})
		synctest.Wait()
		require.Equal(t, int32(1), resumed.Load())
		require.Equal(t, 0, h.held())
	})
}

// TestPullHoldShutdownAnswersAll: stopping the hold resumes every pull.
func TestPullHoldShutdownAnswersAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := newPullHold(5*time.Second, func(string, int32) int64 { return 0 }, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { h.run(ctx); close(done) }()
		var resumed atomic.Int32
		for q := range int32(3) {
			h.hold(&heldPull{
				topic: "T", queueID: q, filter: parseTagFilter("*"),
				deadline: time.Now().Add(time.Minute),
				resume:   func() { resumed.Add(1) },
			})
		}
		cancel()
		<-done
		require.Equal(t, int32(3), resumed.Load())
	})
}
