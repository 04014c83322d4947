"""Python UDFs through the real PySpark Spark Connect client (pyspark 4.0.1, unchanged).

Usage: connect_udf_client.py sc://localhost:<port>/;token=<token>
Prints one JSON object with what each step returned; packages/connect/test/udf.test.ts asserts on it.
"""

import json
import sys
import threading
import time
from typing import Iterator

import pandas as pd
import pyarrow as pa
from connect_common import error_of, rows
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.functions import pandas_udf, udf
from pyspark.sql.types import ArrayType, DoubleType, IntegerType, LongType, StringType, StructField, StructType

url = sys.argv[1]
out = {}


spark = SparkSession.builder.remote(url).getOrCreate()
df = spark.createDataFrame(
    [(1, "ann", 10.0), (2, "bob", None), (3, None, 30.0), (4, "dee", 40.0)],
    "id long, name string, v double",
)


# scalar row-at-a-time UDFs (SQL_BATCHED_UDF): decorator and F.udf, nulls, default names
@udf(returnType=StringType())
def shout(s):
    return None if s is None else s.upper() + "!"


plus_one = F.udf(lambda x: x + 1, LongType())
out["batched"] = rows(df.select("id", shout("name"), plus_one(df.id).alias("next")).orderBy("id"))
out["batched_columns"] = df.select(shout("name")).columns
out["with_column"] = rows(df.withColumn("n", shout(F.col("name"))).select("id", "n").orderBy("id"))
# a UDF in a filter, nested UDFs, and one returning an array
is_even = F.udf(lambda x: x % 2 == 0, "boolean")
out["filter"] = rows(df.filter(is_even("id")).select("id").orderBy("id"))
out["nested"] = rows(df.select(plus_one(plus_one("id")).alias("x")).orderBy("x"))
out["names"] = df.select(plus_one(plus_one("id"))).columns + df.select(F.sum(plus_one("id"))).columns
split = F.udf(lambda s: None if s is None else list(s), ArrayType(StringType()))
out["array"] = rows(df.where("id = 1").select(split("name").alias("chars")))
# a wrong return type gives NULL, as in Spark
out["mismatch"] = rows(df.where("id = 1").select(F.udf(lambda x: x, DoubleType())("id").alias("d")))


# pandas_udf scalar and grouped aggregate
@pandas_udf(DoubleType())
def times_two(v: pd.Series) -> pd.Series:
    return v * 2


@pandas_udf(DoubleType())
def mean_v(v: pd.Series) -> float:
    return float(v.mean())


out["pandas_scalar"] = rows(df.select("id", times_two("v").alias("v2")).orderBy("id"))


@pandas_udf("long")
def plus_ten(it: Iterator[pd.Series]) -> Iterator[pd.Series]:
    for s in it:
        yield s + 10


grp = spark.createDataFrame([(1, 1.0), (1, 2.0), (2, 3.0), (2, 5.0), (2, 10.0)], ("k", "x"))
minus = F.udf(lambda a, b: a - b, "long")
out["kwargs"] = rows(df.select(minus(b=F.col("id") * 10, a=F.col("id")).alias("d")).orderBy("d"))
out["kwargs_columns"] = df.select(minus(b=F.col("id") * 10, a=F.col("id"))).columns


@pandas_udf("double")
def weighted(v: pd.Series, w: pd.Series) -> float:
    return float((v * w).sum() / w.sum())


out["kwargs_agg"] = rows(grp.groupBy("k").agg(weighted(w=grp.x, v=grp.x).alias("m")).orderBy("k"))
out["pandas_iter"] = rows(df.select(plus_ten("id").alias("p")).orderBy("p"))
out["arrow_udf"] = rows(df.select(F.udf(lambda x: x * 3, "long", useArrow=True)("id").alias("t")).orderBy("t"))
out["order_by_udf"] = rows(df.orderBy(F.udf(lambda x: -x, "long")("id")).select("id"))
out["grouped_agg"] = rows(grp.groupBy("k").agg(mean_v("x").alias("m")).orderBy("k"))
out["global_agg"] = rows(grp.select(mean_v("x").alias("m")))
# grouped-agg pandas UDFs over windows: unbounded partitions and ROWS frames
from pyspark.sql.window import Window

out["window_partition"] = rows(
    grp.withColumn("m", mean_v("x").over(Window.partitionBy("k"))).orderBy("k", "x")
)
out["window_rows"] = rows(
    grp.withColumn("m", mean_v("x").over(Window.partitionBy("k").orderBy("x").rowsBetween(-1, 0))).orderBy("k", "x")
)
out["window_range"] = error_of(
    lambda: grp.withColumn("m", mean_v("x").over(Window.partitionBy("k").orderBy("x").rangeBetween(-1, 0))).collect()
)


# mapInPandas, mapInArrow, applyInPandas
def keep_big(it):
    for pdf in it:
        yield pdf[pdf.x > 1.5].assign(y=lambda d: d.x * 10)


out["map_in_pandas"] = rows(grp.mapInPandas(keep_big, "k long, x double, y double").orderBy("x"))


def arrow_double(it):
    for b in it:
        yield pa.RecordBatch.from_arrays([pa.compute.multiply(b.column(1), 2)], names=["x2"])


out["map_in_arrow"] = rows(grp.mapInArrow(arrow_double, "x2 double").orderBy("x2"))


def center(pdf):
    return pdf.assign(x=pdf.x - pdf.x.mean())


out["apply_in_pandas"] = rows(grp.groupBy("k").applyInPandas(center, "k long, x double").orderBy("k", "x"))


def count_per_key(key, pdf):
    return pd.DataFrame({"k": [key[0]], "n": [len(pdf)]})


out["apply_in_pandas_key"] = rows(grp.groupBy("k").applyInPandas(count_per_key, "k long, n long").orderBy("k"))


def arrow_count(key, table):
    return pa.table({"k": [key[0].as_py()], "n": [table.num_rows]})


out["apply_in_arrow"] = rows(grp.groupBy("k").applyInArrow(arrow_count, "k long, n long").orderBy("k"))
other = spark.createDataFrame([(2, "b"), (3, "c")], ("k", "tag"))


def merge(left, right):
    return pd.DataFrame({"n_left": [len(left)], "n_right": [len(right)]})


out["cogroup"] = rows(
    grp.groupBy("k").cogroup(other.groupBy("k")).applyInPandas(merge, "n_left long, n_right long").orderBy("n_left")
)
nulls = spark.createDataFrame([(None, 1.0), (None, 2.0), (1, 3.0)], "k long, x double")
out["null_keys"] = rows(nulls.groupBy("k").applyInPandas(count_per_key, "k long, n long").orderBy("k"))
out["aliased_key"] = rows(grp.groupBy((F.col("k") % 2).alias("odd")).agg(mean_v("x").alias("m")).orderBy("odd"))

# spark.udf.register: used by name in DataFrame expressions
spark.udf.register("name_len", lambda s: None if s is None else len(s), IntegerType())
out["registered"] = rows(df.select("id", F.expr("name_len(name)").alias("n")).orderBy("id"))
df.createOrReplaceTempView("people")
out["sql_registered"] = rows(
    spark.sql("SELECT id, name_len(name) + 1 AS m, name_len(concat(name, 'xy')) FROM people WHERE id < 4 ORDER BY id")
)
out["sql_registered_columns"] = spark.sql("SELECT name_len(name) FROM people").columns
no_from = spark.sql("SELECT name_len('abcde')")
out["sql_no_from"] = [rows(no_from), no_from.columns]
out["sql_registered_group"] = error_of(lambda: spark.sql("SELECT max(name_len(name)) FROM people GROUP BY id").collect())
out["registered_call"] = rows(df.select(F.call_function("name_len", F.lit("abcd")).alias("n")).limit(1))
out["struct"] = rows(
    df.where("id = 2").select(
        F.udf(lambda i, s: (i * 10, s), StructType([StructField("a", LongType()), StructField("b", StringType())]))(
            "id", "name"
        ).alias("st")
    )
)


# a UDF that raises: Spark's PythonException with the Python traceback; the session stays usable
def boom(x):
    raise ValueError("boom at %s" % x)


out["error"] = error_of(lambda: df.select(F.udf(boom, LongType())("id")).collect())
out["after_error"] = rows(df.select(plus_one("id").alias("x")).orderBy("x").limit(2))
# Interrupt stops a UDF that is running in the worker (the next UDF call starts a new worker)
caught = {}


def slow_udf():
    try:
        spark.range(1).select(F.udf(lambda x: time.sleep(3600) or x, "long")("id")).collect()
        caught["done"] = True
    except Exception as e:  # noqa: BLE001
        caught["error"] = type(e).__name__ + ": " + str(e)[:200]


t = threading.Thread(target=slow_udf)
t.start()
deadline = time.time() + 120
while t.is_alive() and time.time() < deadline:
    time.sleep(0.5)
    spark.interruptAll()
t.join(5)
out["interrupt"] = {"alive": t.is_alive(), **caught}
out["after_interrupt"] = rows(df.select(plus_one("id").alias("x")).orderBy("x").limit(1))

# another session is unaffected (its own worker)
other = SparkSession.builder.remote(url).create()
out["other_session"] = rows(other.range(3).select(F.udf(lambda x: x * 100, LongType())("id").alias("y")))
other.stop()


# Python UDTFs: called from the DataFrame API, and registered for spark.sql
@F.udtf(returnType="i int, sq int")
class Squares:
    def eval(self, start, end):
        for i in range(start, end + 1):
            yield (i, i * i)

    def terminate(self):
        yield (None, -1)


out["udtf"] = rows(Squares(F.lit(1), F.lit(3)))
spark.udtf.register("squares", Squares)
out["udtf_sql"] = rows(spark.sql("SELECT sq FROM squares(2, 4) WHERE i IS NOT NULL ORDER BY sq DESC"))


@F.udtf(returnType="c1 int, c2 int")
class PlusOne:
    def eval(self, x: int):
        yield x, x + 1


spark.udtf.register("plus_one", PlusOne)
out["udtf_lateral"] = rows(spark.sql("SELECT * FROM VALUES (0, 1), (1, 2) t(x, y), LATERAL plus_one(x)"))
out["udtf_lateral_join"] = error_of(
    lambda: spark.sql("SELECT * FROM people JOIN people p2 USING (id), LATERAL plus_one(id)").collect()
)
# foreach / foreachPartition run the function for each row / partition
out["foreach"] = [df.foreach(lambda r: None), df.foreachPartition(lambda it: None)]
out["udtf_error"] = error_of(lambda: F.udtf(returnType="a int")(type("Bad", (), {"eval": lambda self: 1 / 0}))().collect())
print(json.dumps(out, default=str))
