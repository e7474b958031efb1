#!/usr/bin/env bash
# make run: a local name server and broker in the foreground; Ctrl-C stops both.
# Both listen on loopback only (name server 127.0.0.1:9876, broker
# 127.0.0.1:10911 and 10909); data goes where RocketMQ puts it by default
# (~/store), logs to ~/logs/rocketmqlogs. Extra arguments go to the broker
# (key=value settings, -c FILE).
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

"$bin/mqnamesrv" bindAddress=127.0.0.1 &
pids+=($!)
# Let the name server listen first so the broker's first registration
# succeeds (it re-registers every 30 s anyway).
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/9876) 2>/dev/null && break; sleep 0.1; done
"$bin/mqbroker" -n 127.0.0.1:9876 brokerIP1=127.0.0.1 "$@" &
pids+=($!)
wait -n
