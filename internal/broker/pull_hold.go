package broker

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/gorocket/gorocket/internal/message"
)

// tagFilter is a consumer's TAG subscription as the broker filters with it:
// match-all, or a set of tag hash codes (ExpressionMessageFilter.java,
// FilterAPI.buildSubscriptionData). Messages without tags have code 0.
type tagFilter struct {
	all   bool
	codes map[int64]struct{}
}

// parseTagFilter builds a filter from a subscription string: empty or "*"
// matches everything, otherwise "TagA || TagB" (trimmed, empties skipped).
func parseTagFilter(sub string) *tagFilter {
	sub = strings.TrimSpace(sub)
	if sub == "" || sub == "*" {
		return &tagFilter{all: true}
	}
	f := &tagFilter{codes: make(map[int64]struct{})}
	for _, t := range strings.Split(sub, "||") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		f.codes[message.TagsHashCode(t)] = struct{}{}
	}
	return f
}

// tagFilterFromCodes builds a filter from a heartbeat subscription's tag
// set (recomputing the codes from the tags, so Go and Java clients agree).
func tagFilterFromTags(sub string, tags []string) *tagFilter {
	if len(tags) == 0 {
		return parseTagFilter(sub)
	}
	f := &tagFilter{codes: make(map[int64]struct{}, len(tags))}
	for _, t := range tags {
		if t = strings.TrimSpace(t); t != "" {
			f.codes[message.TagsHashCode(t)] = struct{}{}
		}
	}
	if len(f.codes) == 0 {
		return parseTagFilter(sub)
	}
	return f
}

// match reports whether a consume-queue tag code passes the filter.
func (f *tagFilter) match(tagsCode int64) bool {
	if f == nil || f.all {
		return true
	}
	_, ok := f.codes[tagsCode]
	return ok
}

// heldPull is a PULL_MESSAGE parked until a message arrives in its queue or
// its hold time is over (PullRequest.java).
type heldPull struct {
	topic      string
	queueID    int32
	pullOffset int64
	filter     *tagFilter
	deadline   time.Time
	// resume re-runs the pull without suspension and sends its answer.
	resume func()
	timer  *time.Timer
}

// pullHold parks pulls that found nothing (PullRequestHoldService.java).
// Held pulls occupy no worker: they sit in a map keyed "topic@queueId" and
// are resumed on their own goroutine when the store reports an arrival in
// their queue, or by the periodic check when their hold time is over.
type pullHold struct {
	lg        *zap.Logger
	interval  time.Duration
	maxOffset func(topic string, queueID int32) int64

	mu struct {
		sync.Mutex
		byKey map[string][]*heldPull
	}
}

func newPullHold(interval time.Duration, maxOffset func(string, int32) int64, lg *zap.Logger) *pullHold {
	if lg == nil {
		lg = zap.NewNop()
	}
	h := &pullHold{lg: lg, interval: interval, maxOffset: maxOffset}
	h.mu.byKey = make(map[string][]*heldPull)
	return h
}

func holdKey(topic string, queueID int32) string {
	return topic + "@" + strconv.Itoa(int(queueID))
}

// hold parks p until p.deadline at the latest. A message that arrived
// between the pull's read and now is caught by checking the queue's max
// offset once more after parking.
func (h *pullHold) hold(p *heldPull) {
	key := holdKey(p.topic, p.queueID)
	h.mu.Lock()
	h.mu.byKey[key] = append(h.mu.byKey[key], p)
	p.timer = time.AfterFunc(time.Until(p.deadline), func() { h.expire(key, p) })
	h.mu.Unlock()
	if h.maxOffset(p.topic, p.queueID) > p.pullOffset {
		h.check(key, p.topic, p.queueID)
	}
}

// expire resumes p when its hold time is over, unless it was resumed.
func (h *pullHold) expire(key string, p *heldPull) {
	h.mu.Lock()
	list := h.mu.byKey[key]
	found := false
	keep := list[:0]
	for _, x := range list {
		if x == p {
			found = true
			continue
		}
		keep = append(keep, x)
	}
	h.setLocked(key, keep)
	h.mu.Unlock()
	if found {
		p.resume()
	}
}

// notify is the store's arrival callback: a message with tagsCode now ends
// at queue offset maxOffset-1 of topic/queueID. It never blocks.
func (h *pullHold) notify(topic string, queueID int32, maxOffset int64, tagsCode int64) {
	key := holdKey(topic, queueID)
	h.mu.Lock()
	list := h.mu.byKey[key]
	if len(list) == 0 {
		h.mu.Unlock()
		return
	}
	var ready []*heldPull
	keep := list[:0]
	for _, p := range list {
		if maxOffset > p.pullOffset && p.filter.match(tagsCode) {
			ready = append(ready, p)
		} else {
			keep = append(keep, p)
		}
	}
	h.setLocked(key, keep)
	h.mu.Unlock()
	h.resume(ready)
}

// check resumes the held pulls of one queue whose offset is below the
// queue's max offset (the tag code is unknown here, so the re-run filters)
// or whose time is up.
func (h *pullHold) check(key, topic string, queueID int32) {
	now := time.Now()
	max := h.maxOffset(topic, queueID)
	h.mu.Lock()
	var ready []*heldPull
	list := h.mu.byKey[key]
	keep := list[:0]
	for _, p := range list {
		if max > p.pullOffset || !now.Before(p.deadline) {
			ready = append(ready, p)
		} else {
			keep = append(keep, p)
		}
	}
	h.setLocked(key, keep)
	h.mu.Unlock()
	h.resume(ready)
}

func (h *pullHold) setLocked(key string, keep []*heldPull) {
	if len(keep) == 0 {
		delete(h.mu.byKey, key)
		return
	}
	h.mu.byKey[key] = keep
}

func (h *pullHold) resume(ready []*heldPull) {
	if len(ready) == 0 {
		return
	}
	for _, p := range ready {
		p.timer.Stop()
	}
	go func() {
		for _, p := range ready {
			p.resume()
		}
	}()
}

// checkAll runs one periodic pass over every held queue.
func (h *pullHold) checkAll() {
	type q struct {
		key, topic string
		queueID    int32
	}
	h.mu.Lock()
	qs := make([]q, 0, len(h.mu.byKey))
	for k, list := range h.mu.byKey {
		if len(list) > 0 {
			qs = append(qs, q{k, list[0].topic, list[0].queueID})
		}
	}
	h.mu.Unlock()
	for _, x := range qs {
		h.check(x.key, x.topic, x.queueID)
	}
}

// held reports how many pulls are parked.
func (h *pullHold) held() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, l := range h.mu.byKey {
		n += len(l)
	}
	return n
}

// run checks every held queue each interval until ctx ends, then answers
// every held pull (their re-run sees the real state).
func (h *pullHold) run(ctx context.Context) {
	t := time.NewTicker(h.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			h.mu.Lock()
			var all []*heldPull
			for k, l := range h.mu.byKey {
				all = append(all, l...)
				delete(h.mu.byKey, k)
			}
			h.mu.Unlock()
			for _, p := range all {
				p.timer.Stop()
				p.resume()
			}
			return
		case <-t.C:
			h.checkAll()
		}
	}
}
