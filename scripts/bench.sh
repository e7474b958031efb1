#!/usr/bin/env bash
# bench.sh: the standard gorocket benchmark matrix (make bench).
#
# Builds mqnamesrv, mqbroker and mqbench, starts a name server and, one
# after the other, a broker per flushDiskType (ASYNC_FLUSH, SYNC_FLUSH) on
# free loopback ports with its store in a temporary directory, and runs
# mqbench producer with 1 KiB messages and 1 and 16 threads for
# BENCH_SECONDS each (default 10), then, on ASYNC_FLUSH, one mqbench
# consumer run that drains what was sent. It samples the broker's VmRSS,
# RssAnon (VmRSS counts the touched pages of the mapped commit log too)
# and VmHWM from /proc/PID/status and prints Markdown tables. Every
# process it starts is stopped on exit; it exits non-zero if a run failed
# to send or the consumer missed messages.
#
# Environment: BENCH_SECONDS (default 10), BENCH_SIZE (default 1024),
# BENCH_THREADS (default "1 16"), BENCH_FLUSH (default
# "ASYNC_FLUSH SYNC_FLUSH"), BENCH_KEEP=1 keeps the work directory.
set -euo pipefail

SECONDS_PER_RUN=${BENCH_SECONDS:-10}
SIZE=${BENCH_SIZE:-1024}
THREADS=${BENCH_THREADS:-"1 16"}
FLUSH_TYPES=${BENCH_FLUSH:-"ASYNC_FLUSH SYNC_FLUSH"}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gorocket-bench.XXXXXX")
BIN=$WORK/bin
PIDS=()

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
		fi
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [[ "${BENCH_KEEP:-0}" != 1 ]]; then
		rm -rf "$WORK"
	else
		echo "work directory kept: $WORK" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

# listening reports whether something accepts connections on the port.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port prints a port p with p-2 (fast channel) and p+1 (HA) free too.
free_port() {
	local i p
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		if ! listening "$p" && ! listening $((p - 2)) && ! listening $((p + 1)); then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# wait_line waits up to 30 s for a file to contain a line.
wait_line() {
	local file=$1 text=$2 pid=$3 i
	for i in $(seq 1 300); do
		if grep -q "$text" "$file" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			log "process $pid exited before printing '$text':"
			cat "$file" >&2
			return 1
		fi
		sleep 0.1
	done
	log "no '$text' in $file within 30 s"
	return 1
}

# proc_kib prints a /proc/PID/status field in KiB (0 if gone).
proc_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

mib() { awk -v k="${1:-0}" 'BEGIN { printf "%.0f", k / 1024 }'; }

# json_field prints a numeric member of a RESULT line.
json_field() { sed -n "s/.*\"$2\":\\([-0-9.eE+]*\\).*/\\1/p" <<<"$1"; }

fmt1() { awk -v v="${1:-0}" 'BEGIN { printf "%.1f", v }'; }
fmt2() { awk -v v="${1:-0}" 'BEGIN { printf "%.2f", v }'; }

log "building binaries"
(cd "$ROOT" && go build -o "$BIN/" ./cmd/mqnamesrv ./cmd/mqbroker ./cmd/mqbench)

export HOME=$WORK/home NAMESRV_ADDR=
mkdir -p "$HOME"

NS_PORT=$(free_port)
"$BIN/mqnamesrv" "listenPort=$NS_PORT" bindAddress=127.0.0.1 >"$WORK/namesrv.out" 2>&1 &
NS_PID=$!
PIDS+=("$NS_PID")
wait_line "$WORK/namesrv.out" "boot success" "$NS_PID"
NS=127.0.0.1:$NS_PORT
log "name server $NS (pid $NS_PID)"

ROWS=()
CONSUMER_ROW=""
FAILED=0

for FLUSH in $FLUSH_TYPES; do
	PORT=$(free_port)
	STORE=$WORK/store-$FLUSH
	"$BIN/mqbroker" -n "$NS" brokerIP1=127.0.0.1 "listenPort=$PORT" "storePathRootDir=$STORE" \
		"flushDiskType=$FLUSH" "brokerName=bench-$FLUSH" >"$WORK/broker-$FLUSH.out" 2>&1 &
	BR_PID=$!
	PIDS+=("$BR_PID")
	wait_line "$WORK/broker-$FLUSH.out" "boot success" "$BR_PID"
	log "broker $FLUSH on 127.0.0.1:$PORT (pid $BR_PID)"
	TOPIC=BenchTest_$FLUSH
	SENT_TOTAL=0
	for T in $THREADS; do
		log "producer $FLUSH threads=$T size=$SIZE for ${SECONDS_PER_RUN}s"
		OUT=$WORK/producer-$FLUSH-$T.out
		# Sample the broker's resident set while the run lasts.
		PEAK_RSS=0
		set +e
		"$BIN/mqbench" producer -n "$NS" -t "$TOPIC" -w "$T" -s "$SIZE" --duration "${SECONDS_PER_RUN}s" >"$OUT" 2>&1 &
		BENCH_PID=$!
		while kill -0 "$BENCH_PID" 2>/dev/null; do
			RSS=$(proc_kib "$BR_PID" VmRSS)
			((RSS > PEAK_RSS)) && PEAK_RSS=$RSS
			sleep 0.5
		done
		wait "$BENCH_PID"
		RC=$?
		set -e
		grep -E '^Current Time' "$OUT" | tail -n 3 >&2 || true
		RESULT=$(grep '^RESULT ' "$OUT" | tail -n 1 || true)
		if [[ -z "$RESULT" ]]; then
			log "producer run printed no RESULT line (exit $RC):"
			cat "$OUT" >&2
			FAILED=1
			continue
		fi
		SENT=$(json_field "$RESULT" sent)
		FAILS=$(($(json_field "$RESULT" sendFailed) + $(json_field "$RESULT" responseFailed)))
		if ((RC != 0 || FAILS > 0 || SENT == 0)); then
			log "producer run failed: exit $RC, sent $SENT, failures $FAILS"
			grep -v '^Current Time' "$OUT" >&2 || true
			FAILED=1
		fi
		SENT_TOTAL=$((SENT_TOTAL + SENT))
		RSS=$(proc_kib "$BR_PID" VmRSS)
		ANON=$(proc_kib "$BR_PID" RssAnon)
		HWM=$(proc_kib "$BR_PID" VmHWM)
		((RSS > PEAK_RSS)) && PEAK_RSS=$RSS
		ROWS+=("| $FLUSH | $T | $(fmt1 "$(json_field "$RESULT" sendTps)") | $(fmt2 "$(json_field "$RESULT" avgRtMs)") | $(fmt2 "$(json_field "$RESULT" maxRtMs)") | $FAILS | $SENT | $(mib "$RSS") / $(mib "$ANON") / $(mib "$PEAK_RSS") / $(mib "$HWM") |")
	done
	if [[ "$FLUSH" == ASYNC_FLUSH && "$SENT_TOTAL" -gt 0 ]]; then
		log "consumer $FLUSH draining $SENT_TOTAL messages"
		OUT=$WORK/consumer-$FLUSH.out
		set +e
		"$BIN/mqbench" consumer -n "$NS" -t "$TOPIC" -g bench_consumer --from first -q "$SENT_TOTAL" \
			--duration "$((SECONDS_PER_RUN * 3))s" >"$OUT" 2>&1
		RC=$?
		set -e
		RESULT=$(grep '^RESULT ' "$OUT" | tail -n 1 || true)
		GOT=$(json_field "$RESULT" consumed)
		if ((RC != 0)) || [[ -z "$GOT" ]] || ((GOT < SENT_TOTAL)); then
			log "consumer run failed: exit $RC, consumed ${GOT:-0} of $SENT_TOTAL"
			cat "$OUT" >&2
			FAILED=1
		fi
		RSS=$(proc_kib "$BR_PID" VmRSS)
		HWM=$(proc_kib "$BR_PID" VmHWM)
		CONSUMER_ROW="| $FLUSH | ${GOT:-0} of $SENT_TOTAL | $(fmt1 "$(json_field "$RESULT" activeTps)") | $(fmt2 "$(json_field "$RESULT" elapsedSec)") | $(fmt2 "$(json_field "$RESULT" avgS2cRtMs)") | $(mib "$RSS") / $(mib "$HWM") |"
	fi
	kill -TERM "$BR_PID"
	wait "$BR_PID" || { log "broker $FLUSH did not exit cleanly"; FAILED=1; }
done

echo
echo "gorocket benchmark: ${SIZE} B messages, ${SECONDS_PER_RUN} s per run, synchronous sends, $(nproc) CPUs, $(go env GOOS)/$(go env GOARCH)"
echo
echo "| flushDiskType | threads | send TPS | avg RT (ms) | max RT (ms) | failures | messages | broker MiB: VmRSS end / RssAnon end / VmRSS run peak / VmHWM |"
echo "|---|---:|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${ROWS[@]}"
if [[ -n "$CONSUMER_ROW" ]]; then
	echo
	echo "| flushDiskType | consumed (drain of the backlog) | consume TPS | elapsed (s) | avg S2C (ms; age of the backlog) | broker RSS MiB (end / VmHWM) |"
	echo "|---|---|---:|---:|---:|---|"
	echo "$CONSUMER_ROW"
fi
exit "$FAILED"
