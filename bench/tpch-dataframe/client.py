"""Runs the 22 TPC-H DataFrame queries (queries.py) with the PySpark Spark Connect client against one
endpoint (Lakebox or Apache Spark) over the TPC-H Parquet files in DATA_DIR.
Usage: client.py URL DATA_DIR SF WARMUP REPEAT [q01,q02,...]
Prints one JSON object as the last stdout line: {"qNN": {"times": [...], "rows": [...]} | {"error": "..."}}.
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
    url, data, sf, warmup, repeat = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    only = sys.argv[6].split(",") if len(sys.argv) > 6 and sys.argv[6] else None
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.remote(url).getOrCreate()
    tables = {name: spark.read.parquet(os.path.join(data, f"{name}.parquet")) for name in TABLES}
    out = {}
    for name, q in QUERIES.items():
        if only and name not in only:
            continue
        try:
            for _ in range(warmup):
                q(tables, sf).collect()
            times, rows = [], []
            for _ in range(repeat):
                start = time.perf_counter()
                rows = q(tables, sf).collect()
                times.append(time.perf_counter() - start)
            out[name] = {"times": times, "rows": [[canon(v) for v in r] for r in rows]}
        except Exception as e:  # noqa: BLE001 - a failing query is a result of the benchmark
            out[name] = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:300]}"}
        print(f"{name}: {out[name].get('times', out[name].get('error'))}", file=sys.stderr, flush=True)
    spark.stop()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
