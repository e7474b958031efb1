package client

import "slices"

// AllocateStrategy chooses the queues one consumer of a group takes, given
// every queue and every consumer id of the group. Both lists arrive sorted.
type AllocateStrategy func(group, self string, mqAll []MessageQueue, cidAll []string) []MessageQueue

// AllocateAveragely is RocketMQ's default "average" strategy
// (AllocateMessageQueueAveragely.java, wire-protocol.md §13.1): consumer i
// of c takes a contiguous block; the first n%c consumers take one more.
// It returns nil when self is not in cidAll.
func AllocateAveragely(_ string, self string, mqAll []MessageQueue, cidAll []string) []MessageQueue {
	i := slices.Index(cidAll, self)
	if self == "" || len(mqAll) == 0 || i < 0 {
		return nil
	}
	n, c := len(mqAll), len(cidAll)
	mod := n % c
	size := n / c
	switch {
	case n <= c:
		size = 1
	case mod > 0 && i < mod:
		size = n/c + 1
	}
	start := i*size + mod
	if mod > 0 && i < mod {
		start = i * size
	}
	take := min(size, n-start)
	out := make([]MessageQueue, 0, max(take, 0))
	for k := 0; k < take; k++ {
		out = append(out, mqAll[(start+k)%n])
	}
	return out
}
