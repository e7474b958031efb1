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
// Reads (dispatch, pulls, HA, recovery) always go through a shared mmap of
// each file. Appends depend on flushDiskType:
//   - ASYNC_FLUSH copies records into the mapping of a freshly created
//     (sparse) file;
//   - SYNC_FLUSH writes them with pwrite(2) on the file's descriptor.
//
// Either way durability is fdatasync(2) on the descriptor, which writes
// back the page-cache pages the mapping or pwrite dirtied. Consume-queue
// units (20 bytes) are copied into their mapping.
//
// Why, measured by bench_test.go on this machine (2 shared vCPUs; wall
// times swing several-fold with other load, so CPU per operation is
// reported too), 1 KiB records:
//   - plain writes: copy into fresh mapped pages 1.2–1.8 µs/op, pwrite
//     2.5–2.8 µs/op, copy into pre-touched pages 2.7 µs/op and pwrite into
//     them 3.4–4.3 µs/op. Here pre-touching hurt: once a flush cleaned the
//     touched pages, the kernel write-protects them and the next write
//     faults again, now on an allocated block. So the preallocator only
//     creates, sizes and maps the next file (warmMapedFileEnable makes it
//     pre-fault and sync as RocketMQ does).
//   - group commit, 64 writers: pwrite+fdatasync 12–26 k msgs/s at
//     17.5 µs CPU/msg, mmap+fdatasync 6–17 k at 32–41 µs, mmap+msync
//     8–18 k at 38 µs; with SYNC_FLUSH every page is cleaned by the next
//     sync, so mmap writes fault on almost every page, while pwrite never
//     faults.
//
// The dispatcher polls every millisecond while puts arrive (as RocketMQ's
// reput does) and parks when idle, so a put does not pay for waking it.
//
// RocketMQ's file layout and guarantees are unchanged: a SYNC_FLUSH put is
// acknowledged after the fdatasync that covers it; ASYNC_FLUSH syncs every
// flushIntervalCommitLog ms once flushCommitLogLeastPages pages are
// dirty, everything every flushCommitLogThoroughInterval ms. Files are
// created under a temporary name and renamed, so a crash never leaves a
// file of the wrong size.
//
// # Lock order
//
// Store.gate (shared by every put and read; exclusive only in Close), then
// CommitLog.putMu, then the commit log's mappedFileQueue: flushMu before
// mu, mu before allocMu. The dispatcher reads the commit log under that
// queue's mu (read, at most 1 MiB per hold) and inside it writes the
// consume queues (consumeQueueTable.mu → consumeQueue.mu → their own
// mapped-file queues) and the index (indexService.mu → indexFile.mu); it
// calls listeners after releasing it. groupCommit.mu and dispatcher.mu
// are leaves.
package store
