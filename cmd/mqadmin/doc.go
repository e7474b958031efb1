// Command mqadmin is gorocket's administration tool, with the sub-command
// names, options and output of RocketMQ 4.9.8's mqadmin (MQAdminStartup):
//
//	mqadmin                      the list of commands
//	mqadmin help <command>       one command's options
//	mqadmin <command> [-n NAMESRV] [options]
//
// The name server comes from -n, else $NAMESRV_ADDR. Bad input (a missing
// option, an unreachable name server, an unknown topic) prints a message
// naming the problem and exits 1; nothing waits longer than --timeout
// (default 30 s) per command.
//
// # Concurrency
//
// Each invocation runs one sub command on one goroutine with one admin
// client (or producer or pull consumer) it closes before exiting. There are
// no locks.
package main
