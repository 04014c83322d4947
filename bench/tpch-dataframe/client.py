"""Runs the 22 TPC-H DataFrame queries (queries.py) with the PySpark Spark Connect client against one
or more endpoints (Lakebox, Apache Spark) over the TPC-H Parquet files in DATA_DIR.
Usage: client.py DATA_DIR SF WARMUP REPEAT QUERIES URL [URL ...]   (QUERIES: q01,q02,... or "")
With several URLs, one client process holds a session on each and, per query, runs the warm-ups on
each endpoint and then the timed runs alternating between them, so that the machine's load at that
moment weighs on all endpoints alike.
Prints one JSON array as the last stdout line, one object per URL:
{"qNN": {"times": [...], "rows": [...]} | {"error": "..."}}.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from queries import QUERIES  # noqa: E402

TABLES = ["region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"]


def canon(v):
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v


def main() -> None:
    data, sf, warmup, repeat = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    only = sys.argv[5].split(",") if sys.argv[5] else None
    urls = sys.argv[6:]
    from pyspark.sql import SparkSession

    sessions = [SparkSession.builder.remote(url).create() for url in urls]
    tables = [
        {name: spark.read.parquet(os.path.join(data, f"{name}.parquet")) for name in TABLES} for spark in sessions
    ]
    out: list[dict] = [{} for _ in urls]
    for name, q in QUERIES.items():
        if only and name not in only:
            continue
        failed: dict[int, str] = {}
        times: list[list[float]] = [[] for _ in urls]
        rows: list[list] = [[] for _ in urls]

        def attempt(i: int, timed: bool) -> None:
            if i in failed:
                return
            try:
                start = time.perf_counter()
                result = q(tables[i], sf).collect()
                if timed:
                    times[i].append(time.perf_counter() - start)
                    rows[i] = result
            except Exception as e:  # noqa: BLE001 - a failing query is a result of the benchmark
                failed[i] = f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"

        for i in range(len(urls)):
            for _ in range(warmup):
                attempt(i, False)
        for _ in range(repeat):
            for i in range(len(urls)):
                attempt(i, True)
        for i in range(len(urls)):
            if i in failed:
                out[i][name] = {"error": failed[i]}
            else:
                out[i][name] = {"times": times[i], "rows": [[canon(v) for v in r] for r in rows[i]]}
        report = "  ".join(f"{out[i][name].get('times', out[i][name].get('error'))}" for i in range(len(urls)))
        print(f"{name}: {report}", file=sys.stderr, flush=True)
    for spark in sessions:
        spark.stop()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
