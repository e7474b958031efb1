#!/bin/sh
# Shared by bin/mqnamesrv, bin/mqbroker and bin/mqadmin: resolves
# ROCKETMQ_HOME from this script's location when it is unset, builds the named
# binary into $ROCKETMQ_HOME/build/bin when it is missing (or older than the
# sources, in a source checkout), and runs it in the foreground with the
# caller's arguments.
# Usage: sh bin/runtool.sh NAME [args...]

name=$1
shift

if [ -z "$ROCKETMQ_HOME" ]; then
  ROCKETMQ_HOME=$(cd "$(dirname "$0")/.." && pwd)
fi
export ROCKETMQ_HOME

exe="$ROCKETMQ_HOME/build/bin/$name"
stale=""
if [ -x "$exe" ] && [ -f "$ROCKETMQ_HOME/go.mod" ] && command -v go >/dev/null 2>&1; then
  stale=$(find "$ROCKETMQ_HOME/cmd" "$ROCKETMQ_HOME/internal" "$ROCKETMQ_HOME/go.mod" \
    -newer "$exe" \( -name '*.go' -o -name go.mod \) 2>/dev/null | head -n 1)
fi
if [ ! -x "$exe" ] || [ -n "$stale" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "ERROR: $exe is missing and there is no Go toolchain on the PATH to build it." >&2
    exit 1
  fi
  echo "Building $name into $ROCKETMQ_HOME/build/bin ..." >&2
  (cd "$ROCKETMQ_HOME" && go build -o "build/bin/$name" "./cmd/$name") || exit 1
fi

exec "$exe" "$@"
