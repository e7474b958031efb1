// Command mqbench is gorocket's load generator, with the options and the
// output of RocketMQ 4.9.8's example benchmark (Producer.java,
// Consumer.java) so their users' habits carry over:
//
//	mqbench producer -n NAMESRV -t TOPIC -w THREADS -s SIZE [-k true] [-y true] [-q PER_THREAD] [--duration 30s]
//	mqbench consumer -n NAMESRV -t TOPIC -g GROUP [-f TAG -e EXPR] [-q TOTAL] [--duration 30s]
//
// Every second it prints one line ("Current Time: … | Send TPS: … | Max
// RT(ms): … | Average RT(ms): … | Send Failed: … | Response Failed: …" or
// "… | Consume TPS: … | AVG(B2C) RT(ms): … | AVG(S2C) RT(ms): … | MAX(B2C)
// RT(ms): … | MAX(S2C) RT(ms): …"), and at the end, after the quantity,
// the duration or Ctrl-C, a summary: one human line starting "Summary:"
// and one machine line "RESULT {json}" (also written to --report-json
// FILE). Runs always stop by themselves: --duration defaults to 10
// minutes. Exit status: 1 for bad options or a failed start, 2 when a
// send failed or the consumer got fewer than -q messages, else 0.
//
// Java takes boolean options with a value ("-k true"); mqbench accepts
// that, "-k=true" and a bare "-k".
//
// # Concurrency
//
// The producer runs -w sending goroutines (each keeping at most
// --async-inflight sends in flight with -y), the consumer the push
// consumer's goroutines; both share counters that are atomics only, and a
// reporting loop reads them. There are no locks.
package main
