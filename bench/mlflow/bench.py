"""MLflow tracking benchmark: the same `mlflow` Python client against one server.

Usage: MLFLOW_TRACKING_URI=... [MLFLOW_TRACKING_TOKEN=...] python bench.py LABEL RUNS
Prints one JSON line: log_batch throughput (1,000 metrics per call), log_metric latency, and
search_runs latency over RUNS runs with a filter and order_by. Driven by bench/mlflow/run.sh.
Each is timed through the client (what a user sees, including the client's own protobuf/JSON
work) and, for log_batch and search_runs, also as raw HTTP calls with the same JSON bodies
(`requests`, response read but not parsed): the server's share.
"""

import json
import os
import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

label, n_runs = sys.argv[1], int(sys.argv[2])
c = MlflowClient()
exp = c.create_experiment(f"bench-{uuid.uuid4().hex[:8]}")

# log_batch throughput: 30 calls x 1,000 metrics on one run
run = c.create_run(exp).info.run_id
t0 = time.perf_counter()
calls = 30
for k in range(calls):
    ts = int(time.time() * 1000)
    c.log_batch(run, metrics=[Metric(f"m{i % 10}", float(i), ts, k * 100 + i // 10) for i in range(1000)])
batch_s = time.perf_counter() - t0

# the same log_batch calls as raw HTTP (bodies built before timing): the server's share
uri = os.environ["MLFLOW_TRACKING_URI"].rstrip("/")
token = os.environ.get("MLFLOW_TRACKING_TOKEN")
http = requests.Session()
headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
bodies = []
for k in range(calls):
    ts = int(time.time() * 1000)
    metrics = [{"key": f"m{i % 10}", "value": float(i), "timestamp": ts, "step": 10_000 + k * 100 + i // 10} for i in range(1000)]
    bodies.append(json.dumps({"run_id": run, "metrics": metrics}))
t0 = time.perf_counter()
for b in bodies:
    r = http.post(f"{uri}/api/2.0/mlflow/runs/log-batch", data=b, headers=headers)
    assert r.status_code == 200, r.text
batch_http_s = time.perf_counter() - t0

# log_metric latency: 300 sequential calls
lat = []
for i in range(300):
    t = time.perf_counter()
    c.log_metric(run, "latency", float(i), step=i)
    lat.append((time.perf_counter() - t) * 1000)
lat.sort()


# search_runs over n_runs runs (populated with 8 client threads)
def make(i):
    r = c.create_run(exp).info.run_id
    ts = int(time.time() * 1000)
    c.log_batch(
        r,
        metrics=[Metric("score", (i * 7919 % 1000) / 1000.0, ts, 0), Metric("loss", i / n_runs, ts, 0)],
        params=[Param("group", "a" if i % 2 == 0 else "b"), Param("depth", str(i % 10))],
        tags=[RunTag("kind", "bench")],
    )


t0 = time.perf_counter()
with ThreadPoolExecutor(8) as pool:
    list(pool.map(make, range(n_runs)))
populate_s = time.perf_counter() - t0
search = []
for _ in range(10):
    t = time.perf_counter()
    res = c.search_runs([exp], "metrics.score > 0.5 and params.group = 'a'", order_by=["metrics.score DESC"], max_results=100)
    search.append((time.perf_counter() - t) * 1000)
assert len(res) == 100, len(res)
body = json.dumps(
    {
        "experiment_ids": [exp],
        "filter": "metrics.score > 0.5 and params.group = 'a'",
        "order_by": ["metrics.score DESC"],
        "max_results": 100,
    }
)
search_http = []
for _ in range(10):
    t = time.perf_counter()
    r = http.post(f"{uri}/api/2.0/mlflow/runs/search", data=body, headers=headers)
    search_http.append((time.perf_counter() - t) * 1000)
    assert r.status_code == 200 and len(r.json()["runs"]) == 100, r.text[:200]
print(
    json.dumps(
        {
            "server": label,
            "log_batch_metrics_per_s": round(calls * 1000 / batch_s),
            "log_batch_http_metrics_per_s": round(calls * 1000 / batch_http_s),
            "log_metric_ms_p50": round(statistics.median(lat), 2),
            "log_metric_ms_p95": round(lat[int(len(lat) * 0.95)], 2),
            "runs": n_runs,
            "populate_runs_per_s": round(n_runs / populate_s),
            "search_runs_ms_p50": round(statistics.median(search), 1),
            "search_runs_ms_max": round(max(search), 1),
            "search_runs_http_ms_p50": round(statistics.median(search_http), 1),
        }
    )
)
