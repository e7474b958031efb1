#!/usr/bin/env bash
# make run: a local name server and broker in the foreground; Ctrl-C stops both.
# Data goes where RocketMQ puts it by default (~/store), logs to ~/logs/rocketmqlogs.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
pids=()
stop() {
  trap - INT TERM EXIT
  for ((i=${#pids[@]}-1; i>=0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null; done
  wait
}
trap stop INT TERM EXIT

"$bin/mqnamesrv" &
pids+=($!)
if [ -x "$bin/mqbroker" ]; then
  # Give the name server a moment to listen so the first registration succeeds;
  # the broker re-registers every 30 s anyway.
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/9876) 2>/dev/null && break; sleep 0.1; done
  "$bin/mqbroker" -n 127.0.0.1:9876 "$@" &
  pids+=($!)
fi
wait -n
