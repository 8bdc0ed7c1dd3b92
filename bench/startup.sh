#!/usr/bin/env bash
# Start-up time to ready: from process start until GET /health/ready answers 200.
# Usage: bench/startup.sh            (PGlite, fresh data dir and then an existing one)
#        DATABASE_URL=postgres://... bench/startup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-3999}
measure() {
  local start end
  start=$(date +%s%N)
  PORT=$port LOG_LEVEL=warn node --import tsx src/server.ts >/dev/null 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; do sleep 0.02; done
  end=$(date +%s%N)
  kill -TERM $pid; wait $pid || true
  echo "$1: $(( (end - start) / 1000000 )) ms to ready"
}
if [ -n "${DATABASE_URL:-}" ]; then
  measure "postgresql (first start, migrating)"
  measure "postgresql (migrated)"
else
  export DATA_DIR=$(mktemp -d)
  measure "pglite (fresh data dir, migrating)"
  measure "pglite (existing data dir)"
  rm -rf "$DATA_DIR"
fi
