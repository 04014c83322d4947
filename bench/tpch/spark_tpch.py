"""Spark side of bench/tpch: runs the TPC-H queries on Apache Spark (local[2]) with delta-spark over
the Delta tables Lakebox wrote. Usage:
  python spark_tpch.py TABLES_JSON QUERY_DIR WARMUP REPEAT [q01,q02,...]
TABLES_JSON maps table name -> Delta table path. Prints one JSON object as the last stdout line:
{"qNN": {"times": [...], "rows": [[...]...]} or {"error": "..."}}.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def canon(v):
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


def main() -> None:
    tables = json.loads(sys.argv[1])
    qdir, warmup, repeat = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    only = sys.argv[5].split(",") if len(sys.argv) > 5 and sys.argv[5] else None
    from delta import configure_spark_with_delta_pip
    from pyspark.sql import SparkSession

    ivy = os.environ.get("LAKEBOX_IVY_DIR") or os.path.join(REPO, ".cache", "ivy")
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("lakebox-tpch-bench")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.jars.ivy", ivy)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", os.environ.get("TPCH_SPARK_MEMORY", "6g"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", os.path.join(os.environ.get("TMPDIR", "/tmp"), "lakebox-tpch-spark-warehouse"))
    )
    spark = configure_spark_with_delta_pip(builder).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    for name, path in tables.items():
        spark.read.format("delta").load(path).createOrReplaceTempView(name)
    out = {}
    for f in sorted(os.listdir(qdir)):
        if not f.endswith(".sql"):
            continue
        q = f[:-4]
        if only and q not in only:
            continue
        with open(os.path.join(qdir, f)) as fh:
            sql = fh.read()
        try:
            for _ in range(warmup):
                spark.sql(sql).collect()
            times = []
            rows = None
            for _ in range(repeat):
                t = time.perf_counter()
                rows = spark.sql(sql).collect()
                times.append(time.perf_counter() - t)
            out[q] = {"times": times, "rows": [[canon(v) for v in r] for r in rows]}
        except Exception as e:  # noqa: BLE001 - reported per query
            out[q] = {"error": str(e).split("\n")[0][:300]}
        print(f"spark {q}: {out[q].get('times', out[q].get('error'))}", file=sys.stderr, flush=True)
    spark.stop()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
