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
// Commit-log appends are pwrite(2) on the current file's descriptor;
// every read (dispatch, pulls, HA, recovery) goes through a shared mmap
// of the same file, which sees the same page cache. Durability is
// fdatasync(2) on that descriptor. Consume-queue units (20 bytes) are
// copied straight into their mapping.
//
// Why, measured by bench_test.go on this machine (2 shared vCPUs, wall
// times swing several-fold with other load, so CPU per operation is
// reported too):
//   - writing 1 KiB records: pwrite ≈2.7 µs CPU/op, copy into freshly
//     mapped pages ≈1.8–2.4 µs CPU but 3–12 µs wall (page faults);
//     pre-touched pages that were synced since fault again on the next
//     write (the kernel write-protects clean shared pages), so touching
//     ahead does not help once flushes run, and SYNC_FLUSH flushes all the
//     time. pwrite never takes a write fault.
//   - group commit of 1 KiB records, 64 writers: pwrite+fdatasync
//     12–26 k msgs/s, mmap+fdatasync 6–16 k, mmap+msync 9–18 k; with one
//     writer msync was the slowest (93–530 msgs/s against 635–1600).
//
// So the store uses pwrite+fdatasync with mmap reads: RocketMQ's file
// layout and guarantees are unchanged (a SYNC_FLUSH put is acknowledged
// after the fdatasync that covers it; ASYNC_FLUSH syncs every
// flushIntervalCommitLog ms once flushCommitLogLeastPages pages are
// dirty, everything every flushCommitLogThoroughInterval ms). A
// preallocator still creates, sizes and maps the next file off the hot
// path, and pre-faults it when warmMapedFileEnable is set. Files are
// created under a temporary name and renamed, so a crash never leaves a
// file of the wrong size.
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
