// Package logging builds the zap loggers of the gorocket binaries: one file
// under ~/logs/rocketmqlogs (as RocketMQ's logback configs put namesrv.log
// and broker.log), rotated by lumberjack, and the boot and shutdown lines
// that RocketMQ prints to stdout as well (Announce).
//
// It owns no goroutines and no locks of its own; lumberjack serialises
// writes to the file.
package logging
