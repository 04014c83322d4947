"""Run a batch of Spark SQL statements on a local Apache Spark and print their results as JSON.

Input (a JSON file given as argv[1]):
  {"tables": {"name": "/path/to/parquet-dir-or-file", ...},
   "setup": ["CREATE TEMPORARY VIEW ...", ...],
   "cases": [{"id": "c1", "sql": "SELECT ..."}, ...]}
Output (stdout, one JSON document): {"results": [{"id", "ok", "columns", "rows" | "error"}]}

Values are made JSON-comparable: decimals as strings, dates/timestamps as ISO-like strings
(`2024-01-31`, `2024-01-31 12:00:00[.ffffff]`), structs as objects, maps as objects, binary as
base64, NaN/Infinity as strings. One SparkSession (local[2]) serves the whole batch.
"""

import base64
import datetime
import decimal
import json
import math
import os
import sys


def norm(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v if -(2**53) <= v <= 2**53 else str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, datetime.datetime):
        s = v.strftime("%Y-%m-%d %H:%M:%S")
        if v.microsecond:
            s += ("." + ("%06d" % v.microsecond)).rstrip("0")
        return s
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode()
    if isinstance(v, datetime.timedelta):
        return str(v)
    if isinstance(v, dict):
        return {str(norm(k)): norm(x) for k, x in v.items()}
    if hasattr(v, "asDict"):
        return {k: norm(x) for k, x in v.asDict(recursive=False).items()}
    if isinstance(v, (list, tuple)):
        return [norm(x) for x in v]
    return str(v)


def main():
    with open(sys.argv[1]) as f:
        batch = json.load(f)
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("lakebox-differential")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.ansi.enabled", os.environ.get("SPARK_ANSI", "true"))
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    for name, path in batch.get("tables", {}).items():
        spark.read.parquet(path).createOrReplaceTempView(name)
    for s in batch.get("setup", []):
        spark.sql(s)
    results = []
    for case in batch["cases"]:
        try:
            df = spark.sql(case["sql"])
            rows = [[norm(x) for x in r] for r in df.collect()]
            results.append({"id": case["id"], "ok": True, "columns": [f.name for f in df.schema.fields], "rows": rows})
        except Exception as e:  # report and go on: one bad case must not stop the batch
            msg = str(e).strip().split("\n")[0]
            results.append({"id": case["id"], "ok": False, "error": msg[:500]})
    spark.stop()
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
