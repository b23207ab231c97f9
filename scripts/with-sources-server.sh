#!/usr/bin/env bash
# Runs a command while the synthetic REST source (`shelfcast serve-sources`) is up, then stops it.
# The port comes from the configuration (sources_port, default 8765).
set -euo pipefail
BIN="$(dirname "$0")/../.venv/bin"
PORT="${SHELFCAST_SOURCES_PORT:-8765}"
"$BIN/shelfcast" serve-sources &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if "$BIN/python" -c "import httpx,sys; httpx.get('http://127.0.0.1:$PORT/health').raise_for_status()" 2>/dev/null; then
    break
  fi
  kill -0 "$server" 2>/dev/null || { echo "error: the REST source did not start (port $PORT taken?)" >&2; exit 1; }
  sleep 0.2
done
"$@"
