#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a bounded time each.
#   FUZZTIME       time per target (default 10s)
#   FUZZTIME_LONG  time for the remoting frame decoder, the socket-facing one (default 30s)
set -euo pipefail
cd "$(dirname "$0")/.."
short=${FUZZTIME:-10s}
long=${FUZZTIME_LONG:-30s}
status=0
for pkg in $(go list ./...); do
  targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for t in $targets; do
    d=$short
    [ "$t" = FuzzDecodeFrame ] && d=$long
    echo "== fuzz $pkg $t for $d"
    if ! go test -run='^$' -fuzz="^${t}\$" -fuzztime="$d" "$pkg"; then
      status=1
    fi
  done
done
exit $status
