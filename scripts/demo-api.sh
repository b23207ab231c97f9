#!/usr/bin/env bash
# The demo's API: a fresh key named "demo" (keys are shown only once, so the previous demo key is revoked),
# then `shelfcast serve` in the background on 127.0.0.1:${API_PORT:-8000}. A previous demo
# server is stopped first; its pid is in <data_dir>/api/serve.pid, its log beside it.
set -euo pipefail
bin=.venv/bin
port=${API_PORT:-8000}
api_dir="${SHELFCAST_DATA_DIR:-data}/api"
mkdir -p "$api_dir"
if [[ -f $api_dir/serve.pid ]] && kill -0 "$(cat "$api_dir/serve.pid")" 2>/dev/null; then
  kill "$(cat "$api_dir/serve.pid")"
  sleep 1
fi
"$bin/shelfcast" api-key revoke demo >/dev/null 2>&1 || true
key=$("$bin/shelfcast" api-key create demo | tail -n 1)
nohup "$bin/shelfcast" serve --port "$port" >"$api_dir/serve.log" 2>&1 &
echo $! >"$api_dir/serve.pid"
for _ in $(seq 60); do
  if "$bin/python" -c "import httpx; httpx.get('http://127.0.0.1:$port/health').raise_for_status()" 2>/dev/null; then
    echo "API:     http://127.0.0.1:$port/docs   (header X-API-Key: $key)"
    echo "         stop it with: kill \$(cat $api_dir/serve.pid)"
    exit 0
  fi
  sleep 0.5
done
echo "the API did not answer on 127.0.0.1:$port within 30 s; see $api_dir/serve.log" >&2
exit 1
