"""Python UDF workloads through PySpark: the same program against Lakebox's Spark Connect server
and against a local Spark (pyspark 4.0.1, classic, local[2]) on this machine.

Usage: udf_bench.py <sc://... remote URL | local> ROWS REPEAT
Prints one JSON object: the best wall time in seconds of each workload, and its checksum.
"""

import json
import sys
import time

import pandas as pd
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf

target, rows, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if target == "local":
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
else:
    spark = SparkSession.builder.remote(target).getOrCreate()

plus_one = F.udf(lambda x: x + 1, "long")


@pandas_udf("long")
def pandas_plus_one(s: pd.Series) -> pd.Series:
    return s + 1


@pandas_udf("double")
def pandas_mean(s: pd.Series) -> float:
    return float(s.mean())


def map_pdf(it):
    for pdf in it:
        yield pdf.assign(id=pdf.id * 2)


def per_group(pdf):
    return pd.DataFrame({"k": [pdf.k.iloc[0]], "n": [len(pdf)]})


df = spark.range(rows)
workloads = {
    "udf (row at a time)": lambda: df.select(F.sum(plus_one("id"))).collect()[0][0],
    "pandas_udf scalar": lambda: df.select(F.sum(pandas_plus_one("id"))).collect()[0][0],
    "pandas_udf grouped agg (100 groups)": lambda: df.groupBy((df.id % 100).alias("k"))
    .agg(pandas_mean("id").alias("m"))
    .select(F.sum("m"))
    .collect()[0][0],
    "mapInPandas": lambda: df.mapInPandas(map_pdf, "id long").select(F.sum("id")).collect()[0][0],
    "applyInPandas (100 groups)": lambda: df.withColumn("k", df.id % 100)
    .groupBy("k")
    .applyInPandas(per_group, "k long, n long")
    .select(F.sum("n"))
    .collect()[0][0],
}
# warm up (workers, JIT): one small run of each
small = spark.range(10)
small.select(plus_one("id")).collect()
small.select(pandas_plus_one("id")).collect()
out = {}
for name, fn in workloads.items():
    best, value = None, None
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    out[name] = {"seconds": round(best, 3), "checksum": value}
print(json.dumps(out))
spark.stop()
