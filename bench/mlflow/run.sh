#!/usr/bin/env bash
# MLflow benchmark (not in CI): the same Python client against `lakebox start` and against
# `mlflow server` (SQLite backend, from .venv), one after the other on this machine.
# Usage: bash bench/mlflow/run.sh [RUNS=10000]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-10000}"
py=.venv/bin/python
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { for _ in $(seq 300); do curl -s -o /dev/null "$1" && return 0; sleep 1; done; echo "server did not start: $1" >&2; exit 1; }

echo "start: $(date -u +%FT%TZ), $(uptime)"
lp=$(port)
node packages/cli/bin/lakebox.js start --port "$lp" --data "$tmp/lakebox" --log-level warn >"$tmp/lakebox.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$lp/health"
token=$(grep -o 'lbx_[0-9a-f]\{64\}' "$tmp/lakebox.log" | head -1)
MLFLOW_TRACKING_URI="http://127.0.0.1:$lp" MLFLOW_TRACKING_TOKEN="$token" $py bench/mlflow/bench.py lakebox "$runs" | tee "$tmp/lakebox.json"
kill "${pids[0]}"

echo "lakebox done: $(date -u +%FT%TZ), $(uptime)"
mp=$(port)
.venv/bin/mlflow server --backend-store-uri "sqlite:///$tmp/mlflow.db" --artifacts-destination "$tmp/mlartifacts" \
  --host 127.0.0.1 --port "$mp" >"$tmp/mlflow.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$mp/health"
MLFLOW_TRACKING_URI="http://127.0.0.1:$mp" $py bench/mlflow/bench.py mlflow-server "$runs" | tee "$tmp/mlflow.json"

echo "mlflow server done: $(date -u +%FT%TZ), $(uptime)"
$py - "$tmp/lakebox.json" "$tmp/mlflow.json" <<'PY'
import json, sys
a, b = (json.loads(open(p).read().strip().splitlines()[-1]) for p in sys.argv[1:])
print(f"log_batch throughput: lakebox/mlflow = {a['log_batch_metrics_per_s'] / b['log_batch_metrics_per_s']:.2f}x")
print(f"log_batch throughput, raw HTTP: lakebox/mlflow = {a['log_batch_http_metrics_per_s'] / b['log_batch_http_metrics_per_s']:.2f}x")
print(f"log_metric p50 latency: mlflow/lakebox = {b['log_metric_ms_p50'] / a['log_metric_ms_p50']:.2f}x")
print(f"search_runs p50 latency: mlflow/lakebox = {b['search_runs_ms_p50'] / a['search_runs_ms_p50']:.2f}x")
print(f"search_runs p50 latency, raw HTTP: mlflow/lakebox = {b['search_runs_http_ms_p50'] / a['search_runs_http_ms_p50']:.2f}x")
PY
