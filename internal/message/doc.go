// Package message owns RocketMQ's message model and its byte formats: the
// Message and MessageExt values, the properties string, the stored record
// that the commit log, pull bodies and HA replication share (§12.1 of the
// wire reference; MessageDecoder.java and CommitLog.java in RocketMQ 4.9.8),
// the SEND_BATCH_MESSAGE body, offset message ids, tag hash codes and body
// compression.
//
// Every decoder here reads bytes from sockets or disk and therefore returns
// an error on bad input and never panics; each has a fuzz target.
//
// The package holds no state and takes no locks.
package message
