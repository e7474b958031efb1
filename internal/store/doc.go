// Package store is the message store of a RocketMQ 4.9.8 broker
// (DefaultMessageStore and friends), with RocketMQ's disk layout under
// storePathRootDir: commitlog/, consumequeue/<topic>/<queueId>/, index/,
// checkpoint, abort and lock.
//
// It owns:
//   - the commit log (commitlog.go): records appended under one put lock,
//     BLANK end-of-file records, the topic-queue offset table, delay-level
//     rewrite to SCHEDULE_TOPIC_XXXX, transaction record types, raw appends
//     for slaves;
//   - mapped files (mappedfile.go), shared with the consume queues;
//   - flushing (flush.go): ASYNC_FLUSH on a timer, SYNC_FLUSH group commit;
//   - dispatch (dispatch.go): the single goroutine that turns committed
//     records into consume-queue units and index entries and tells
//     listeners (long polling);
//   - checkpoint, abort and lock files (checkpoint.go) and recovery on
//     open (recovery.go);
//   - the Store API the broker and HA call (store.go): Open, Start, Close,
//     PutMessage, PutMessages, GetMessage, queue offsets and times, lookups
//     by offset and key, GetCommitLogData/AppendToCommitLog for HA,
//     DeleteTopics, RuntimeInfo.
//
// The consume queues (consumequeue.go), the index (index.go) and retention
// (clean*.go) live here too and are described in their files.
//
// The store imports no other gorocket package except internal/message.
//
// # Durable path
//
// Appends copy record bytes into the shared mmap of the current file;
// reads come from the same mapping. Durability is fdatasync(2) on the
// file's descriptor, which writes back the page-cache pages the mapping
// dirtied — the same pages msync(MS_SYNC) would write, without walking
// the mapping. The choice was measured on this machine by the Raw
// benchmarks in bench_test.go (mmap copy vs pwrite; msync vs fdatasync):
// see the figures in the report of the commit that added them. Two costs
// dominate: a first write into a freshly mapped page faults (about 9×
// slower than a touched page), so a preallocator creates, pre-faults and
// syncs the next commit-log file off the hot path; and msync-based group
// commit reached only about half of fdatasync's throughput, so the flush
// uses fdatasync. RocketMQ's layout and guarantees are unchanged: a put
// acknowledged under SYNC_FLUSH has its bytes durable; ASYNC_FLUSH syncs
// every flushIntervalCommitLog ms when flushCommitLogLeastPages pages are
// dirty.
//
// # Lock order
//
// Store.gate (shared by every put and read; exclusive only in Close), then
// CommitLog.putMu, then mappedFileQueue.flushMu, mappedFileQueue.mu,
// mappedFileQueue.allocMu. The dispatcher holds no store lock while it
// calls into consumeQueueTable.mu → consumeQueue.mu → their mapped-file
// queues, and indexService.mu → indexFile.mu. Listeners run on the
// dispatch goroutine with no lock held. groupCommit.mu and
// dispatcher.mu are leaves.
package store
