#!/usr/bin/env bash
# The end of `make demo`: every UI started in the background on 127.0.0.1, then one block with their URLs and
# logins. A server the previous demo left running is stopped first (its pid is in <data_dir>/demo/<name>.pid,
# its log beside it); `make demo-stop` stops them all. Ports: API_PORT (8000), MLFLOW_PORT (5000),
# DOCS_PORT (8080), DAGSTER_PORT (3000), SUPERSET_PORT (8088).
set -euo pipefail
bin=.venv/bin
data="${SHELFCAST_DATA_DIR:-data}"
demo="$data/demo"
mkdir -p "$demo"
api_port=${API_PORT:-8000} mlflow_port=${MLFLOW_PORT:-5000} docs_port=${DOCS_PORT:-8080}
dagster_port=${DAGSTER_PORT:-3000} superset_port=${SUPERSET_PORT:-8088}

stop() {  # stop <name>: the previous demo's server of that name and its children, if still running
  local pid_file="$demo/$1.pid" pid
  if [[ -f $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    pid=$(cat "$pid_file")
    kill -TERM "$pid"
    for _ in $(seq 150); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true  # whatever of its process group did not stop in 30 s
  fi
  rm -f "$pid_file"
}

start() {  # start <name> <url to wait for> <command...>: in its own process group, logged to <name>.log
  local name=$1 url=$2
  shift 2
  stop "$name"
  setsid nohup "$@" >"$demo/$name.log" 2>&1 &
  echo $! >"$demo/$name.pid"
  for _ in $(seq 240); do
    if "$bin/python" -c "import httpx,sys; sys.exit(httpx.get('$url', timeout=2).status_code >= 500)" 2>/dev/null; then
      return 0
    fi
    kill -0 "$(cat "$demo/$name.pid")" 2>/dev/null || { echo "$name exited; see $demo/$name.log" >&2; return 1; }
    sleep 0.5
  done
  echo "$name did not answer on $url within 120 s; see $demo/$name.log" >&2
  return 1
}

if [[ ${1:-} == --stop ]]; then
  for name in api mlflow docs dagster; do stop "$name"; done
  "$bin/shelfcast" dashboards down
  exit 0
fi

# Superset first: it prints the logins it creates (once) itself
"$bin/shelfcast" dashboards up --port "$superset_port"

# the API with a fresh key named "demo" (keys are shown once, so the previous demo key is revoked)
"$bin/shelfcast" api-key revoke demo >/dev/null 2>&1 || true
key=$("$bin/shelfcast" api-key create demo | tail -n 1)
start api "http://127.0.0.1:$api_port/health" "$bin/shelfcast" serve --port "$api_port"

mlflow_store=$("$bin/python" -c "from ml.tracking import tracking_uri; from shelfcast.config import load_settings; print(tracking_uri(load_settings()))")
start mlflow "http://127.0.0.1:$mlflow_port/" "$bin/mlflow" ui --backend-store-uri "$mlflow_store" \
  --host 127.0.0.1 --port "$mlflow_port" --workers 1
start docs "http://127.0.0.1:$docs_port/" "$bin/shelfcast" docs --serve --port "$docs_port"
start dagster "http://127.0.0.1:$dagster_port/server_info" "$bin/shelfcast" ui --port "$dagster_port"

cat <<TEXT

shelfcast demo — all on 127.0.0.1 (stop them with: make demo-stop)
  Superset dashboards  http://127.0.0.1:$superset_port/   logins above (reset with SUPERSET_ADMIN_PASSWORD /
                       SUPERSET_DEMO_PASSWORD and \`shelfcast dashboards up\`)
  API docs (Swagger)   http://127.0.0.1:$api_port/docs        header X-API-Key: $key
  MLflow UI            http://127.0.0.1:$mlflow_port/
  dbt docs             http://127.0.0.1:$docs_port/
  Dagster UI           http://127.0.0.1:$dagster_port/
TEXT
