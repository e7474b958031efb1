package client

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func queues(n int) []MessageQueue {
	mqs := make([]MessageQueue, n)
	for i := range mqs {
		mqs[i] = MessageQueue{Topic: "T", BrokerName: "b", QueueID: int32(i)}
	}
	return mqs
}

func ids(qs []MessageQueue) []int32 {
	out := []int32{}
	for _, q := range qs {
		out = append(out, q.QueueID)
	}
	return out
}

func TestRebalanceAllocateAveragely(t *testing.T) {
	cases := []struct {
		name    string
		queues  int
		clients int
		want    [][]int32
	}{
		{"8 queues 3 clients", 8, 3, [][]int32{{0, 1, 2}, {3, 4, 5}, {6, 7}}},
		{"4 queues 2 clients", 4, 2, [][]int32{{0, 1}, {2, 3}}},
		{"2 queues 3 clients", 2, 3, [][]int32{{0}, {1}, {}}},
		{"5 queues 5 clients", 5, 5, [][]int32{{0}, {1}, {2}, {3}, {4}}},
		{"7 queues 1 client", 7, 1, [][]int32{{0, 1, 2, 3, 4, 5, 6}}},
		{"10 queues 4 clients", 10, 4, [][]int32{{0, 1, 2}, {3, 4, 5}, {6, 7}, {8, 9}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cids := make([]string, tc.clients)
			for i := range cids {
				cids[i] = fmt.Sprintf("10.0.0.1@%d", i)
			}
			mqAll := queues(tc.queues)
			var union []int32
			for i, cid := range cids {
				got := ids(AllocateAveragely("g", cid, mqAll, cids))
				require.Equal(t, tc.want[i], got, "client %d", i)
				union = append(union, got...)
			}
			slices.Sort(union)
			require.Equal(t, ids(mqAll), union, "every queue exactly once")
		})
	}
}

func TestRebalanceAllocateUnknownClient(t *testing.T) {
	require.Nil(t, AllocateAveragely("g", "x", queues(4), []string{"a", "b"}))
	require.Nil(t, AllocateAveragely("g", "a", nil, []string{"a"}))
	require.Nil(t, AllocateAveragely("g", "", queues(4), []string{"a"}))
}
