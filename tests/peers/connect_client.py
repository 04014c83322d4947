"""The real PySpark Spark Connect client (pyspark 4.0.1, unchanged) against `lakebox start`.

Usage: connect_client.py sc://127.0.0.1:<port>/;token=<token>
Prints one JSON object with what each step returned; the test asserts on it.
"""

import json
import os
import sys
import tempfile

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from connect_common import error_of, rows
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

url = sys.argv[1]
out = {}


spark = SparkSession.builder.remote(url).getOrCreate()
out["version"] = spark.version
out["conf_tz"] = spark.conf.get("spark.sql.session.timeZone")
out["conf_ansi"] = spark.conf.get("spark.sql.ansi.enabled")
spark.conf.set("spark.lakebox.test", "x")
out["conf_set"] = spark.conf.get("spark.lakebox.test")
out["conf_default"] = spark.conf.get("spark.lakebox.unset", "fallback")

# spark.sql: a query (lazy) and its results
out["sql"] = rows(spark.sql("SELECT 1 AS one, 'a' AS s, CAST(2.5 AS DOUBLE) AS d"))
out["sql_args"] = rows(spark.sql("SELECT :x + 1 AS y", args={"x": 41}))
dec = spark.sql("SELECT CAST(12.34 AS DECIMAL(10,2)) AS d, CAST(NULL AS DECIMAL(5,1)) AS n")
out["decimal"] = [[str(v) if v is not None else None for v in r] for r in dec.collect()]
out["decimal_types"] = [f.dataType.simpleString() for f in dec.schema.fields]
nested = spark.sql("SELECT array(1, 2, NULL) AS a, named_struct('x', 1, 'y', 'b') AS s, map('k', 1.5D) AS m")
out["nested"] = [[list(r.a), r.s.asDict(), r.m] for r in nested.collect()]
out["nested_types"] = [f.dataType.simpleString() for f in nested.schema.fields]
out["range"] = rows(spark.range(5).filter(F.col("id") % 2 == 0))

# DDL/DML through spark.sql, then the table through spark.table
spark.sql("CREATE TABLE people (id BIGINT, name STRING, dept STRING, salary DOUBLE)")
spark.sql(
    "INSERT INTO people VALUES (1, 'ann', 'eng', 100.0), (2, 'bob', 'eng', 80.0), "
    "(3, 'cid', 'ops', 70.0), (4, 'dee', 'ops', NULL)"
)
people = spark.table("people")
out["schema"] = [[f.name, f.dataType.simpleString()] for f in people.schema.fields]
out["filter_select"] = rows(people.filter(people.salary > 75).select("name", (people.salary * 2).alias("double")).orderBy("name"))
out["group_agg"] = rows(
    people.groupBy("dept").agg(F.count("*").alias("n"), F.sum("salary").alias("total"), F.max("name")).orderBy(F.col("dept").desc())
)
out["group_agg_columns"] = people.groupBy("dept").agg(F.max("name")).columns

# createDataFrame from pandas, join, withColumn, drop, limit/offset
depts = spark.createDataFrame(pd.DataFrame({"dept": ["eng", "ops"], "floor": [3, 1]}))
joined = people.join(depts, on="dept").select("name", "floor").orderBy("name")
out["join"] = rows(joined)
cond = people.join(depts, people.dept == depts.dept, "left").select(people.name, depts.floor).orderBy(people.name.desc())
out["join_cond"] = rows(cond)
out["with_columns"] = rows(
    people.withColumn("upper", F.upper("name")).withColumn("salary", F.coalesce("salary", F.lit(0.0))).drop("dept").orderBy("id").limit(2)
)
out["offset"] = rows(people.orderBy("id").offset(3))
out["pandas"] = people.orderBy("id").toPandas()[["id", "name"]].values.tolist()
out["show"] = people.orderBy("id")._show_string(20, 20)
out["when_isin"] = rows(
    people.select("name", F.when(people.salary.isNull(), "none").otherwise("some").alias("has")).filter(people.name.isin("ann", "dee")).orderBy("name")
)

# more DataFrame operations and actions
out["count"] = people.count()
out["first"] = list(people.orderBy("id").first())
out["renamed"] = people.withColumnRenamed("name", "who").select("who").orderBy("who").limit(1).columns
out["distinct"] = rows(people.select("dept").distinct().orderBy("dept"))
out["union"] = rows(people.select("id").filter("id < 2").union(people.select("id").filter("id > 3")).orderBy("id"))
out["tree"] = people.schema.treeString()
out["explain_has_sql"] = "people" in people.filter("id > 1")._explain_string()
parquet_dir = tempfile.mkdtemp()
pq.write_table(pa.table({"k": [1, 2, 3], "v": ["x", "y", "z"]}), os.path.join(parquet_dir, "f.parquet"))
out["parquet"] = rows(spark.read.parquet(os.path.join(parquet_dir, "f.parquet")).filter("k >= 2").orderBy("k"))
out["expr"] = rows(people.selectExpr("id * 10 AS t").orderBy("t").limit(2))

from pyspark.sql.window import Window

w = Window.partitionBy("dept").orderBy(F.col("salary").desc())
out["window"] = rows(people.select("name", F.row_number().over(w).alias("rn")).orderBy("name"))
running = Window.orderBy("id").rowsBetween(Window.unboundedPreceding, Window.currentRow)
out["window_frame"] = rows(people.select("id", F.sum("salary").over(running).alias("s")).orderBy("id"))

# temporary views, from spark.sql and spark.table
depts.createOrReplaceTempView("dv")
people.filter("salary > 75").createOrReplaceTempView("rich")
out["view_sql"] = rows(spark.sql("SELECT r.name, dv.floor FROM rich r JOIN dv ON r.dept = dv.dept ORDER BY r.name"))
out["view_table"] = spark.table("dv").count()
out["view_exists"] = error_of(lambda: depts.createTempView("dv"))

# saveAsTable from a DataFrame, read back
depts.write.saveAsTable("depts")
out["saved"] = rows(spark.table("depts").orderBy("dept"))
spark.createDataFrame([(5, "eve")], ["id", "name"]).write.mode("append").saveAsTable("names")
spark.createDataFrame([(6, "fay")], ["id", "name"]).write.mode("append").saveAsTable("names")
out["appended"] = rows(spark.table("names").orderBy("id"))
spark.createDataFrame([(7, "gus")], ["id", "name"]).write.mode("overwrite").saveAsTable("names")
out["overwritten"] = rows(spark.table("names"))
out["err_exists"] = error_of(lambda: depts.write.saveAsTable("depts"))

# relations beyond projections: sample, tail, hints, na, stat, unpivot, to(schema), unionByName, ...
from pyspark.sql.types import LongType, StringType, StructField, StructType

r100 = spark.range(100)
out["sample_same_seed"] = r100.sample(fraction=0.3, seed=7).count() == r100.sample(fraction=0.3, seed=7).count()
splits = r100.randomSplit([0.5, 0.5], seed=11)
ids = [sorted(x.id for x in part.collect()) for part in splits]
out["random_split"] = [len(ids[0]) + len(ids[1]), len(set(ids[0]) & set(ids[1]))]
out["tail"] = [list(r) for r in people.orderBy("id").select("id").tail(2)]
out["hint_repartition"] = people.hint("broadcast").repartition(3).coalesce(1).repartition(2, "dept").count()
out["fillna"] = rows(people.select("id", "salary").na.fill(0.0).orderBy("id"))
out["fillna_str"] = rows(people.select("name", "dept").replace("eng", "dev", subset=["dept"]).orderBy("name"))
out["dropna"] = people.na.drop().count()
out["dropna_thresh"] = people.dropna(thresh=4).count()
out["describe"] = rows(people.describe("salary"))
out["summary"] = [r[0] for r in people.select("salary").summary().collect()]
out["corr_cov"] = [round(people.corr("id", "salary"), 6), round(people.cov("id", "salary"), 6)]
out["crosstab"] = rows(people.crosstab("dept", "name").orderBy("dept_name").select("dept_name", "ann", "dee"))
out["approx_quantile"] = people.approxQuantile(["id", "salary"], [0.0, 1.0], 0.0)
out["freq_items"] = sorted(people.freqItems(["dept"], 0.4).collect()[0][0])
out["sample_by"] = people.sampleBy("dept", {"eng": 1.0, "ops": 0.0}, seed=1).count()
out["unpivot"] = rows(people.filter("id = 1").unpivot("id", ["name", "dept"], "var", "val"))
out["to_schema"] = people.select("id", "name").to(StructType([StructField("name", StringType()), StructField("id", StringType())])).dtypes
a_df = spark.createDataFrame([(1, "x")], ["id", "a"])
b_df = spark.createDataFrame([("y", 2)], ["b", "id"])
out["union_by_name"] = rows(a_df.unionByName(b_df, allowMissingColumns=True).orderBy("id"))
out["drop_duplicates_subset"] = people.dropDuplicates(["dept"]).count()
out["pivot"] = rows(people.groupBy("dept").pivot("name", ["ann", "cid"]).agg(F.sum("salary")).orderBy("dept"))
out["show_vertical"] = people.orderBy("id").limit(1).select("id", "name")._show_string(20, 20, True)
nested_df = spark.createDataFrame([(1, [1, 2, 3], {"a": 1}, (5, "s"))], "id INT, xs ARRAY<INT>, m MAP<STRING,INT>, st STRUCT<p: INT, q: STRING>")
out["nested_create"] = [[r.xs, r.m, r.st.asDict()] for r in nested_df.collect()]
out["lambdas"] = rows(
    nested_df.select(
        F.transform("xs", lambda x: x * 2).alias("t"),
        F.filter("xs", lambda x: x > 1).alias("f"),
        F.aggregate("xs", F.lit(0), lambda acc, x: acc + x).alias("a"),
        F.exists("xs", lambda x: x > 2).alias("e"),
        F.forall("xs", lambda x: x > 0).alias("fa"),
        F.zip_with("xs", "xs", lambda x, y: x + y).alias("z"),
        F.map_filter("m", lambda k, v: v > 0).alias("mf"),
    )
)
out["empty_with_schema"] = spark.createDataFrame([], "a INT, b STRING").dtypes

# spark.catalog
out["cat_current"] = [spark.catalog.currentCatalog(), spark.catalog.currentDatabase()]
out["cat_dbs"] = "default" in [d.name for d in spark.catalog.listDatabases()]
out["cat_tables"] = sorted(t.name for t in spark.catalog.listTables() if t.name in ("people", "dv", "rich"))
out["cat_columns"] = [[c.name, c.dataType] for c in spark.catalog.listColumns("people")]
out["cat_exists"] = [spark.catalog.tableExists("people"), spark.catalog.tableExists("nope_nope")]
spark.catalog.cacheTable("people")
out["cat_cached"] = spark.catalog.isCached("people")
out["cat_drop_view"] = [spark.catalog.dropTempView("rich"), spark.catalog.dropTempView("rich")]
spark.catalog.createTable("made", schema=StructType([StructField("k", LongType())]))
out["cat_create"] = spark.table("made").dtypes
spark.sql("CREATE SCHEMA IF NOT EXISTS other")
spark.catalog.setCurrentDatabase("other")
out["cat_set_db"] = spark.catalog.currentDatabase()
spark.catalog.setCurrentDatabase("default")

# writing by path and with writeTo
wdir = tempfile.mkdtemp()
small = people.select("id", "name", "dept")
for fmt in ("parquet", "json", "delta"):
    small.write.format(fmt).mode("overwrite").save(os.path.join(wdir, fmt))
small.write.option("header", "true").csv(os.path.join(wdir, "csv"))
out["path_counts"] = [spark.read.format(f).load(os.path.join(wdir, f)).count() for f in ("parquet", "json", "delta")]
small.write.format("delta").mode("append").partitionBy("dept").save(os.path.join(wdir, "dp"))
small.filter("id = 1").withColumn("extra", F.lit("e")).write.format("delta").mode("append").option("mergeSchema", "true").save(os.path.join(wdir, "dp"))
dp = spark.read.format("delta").load(os.path.join(wdir, "dp"))
out["delta_merge_schema"] = [dp.count(), sorted(dp.columns)]
small.filter("dept = 'eng'").withColumn("name", F.upper("name")).write.format("delta").mode("overwrite").option("replaceWhere", "dept = 'eng'").save(os.path.join(wdir, "dp"))
out["delta_replace_where"] = rows(spark.read.format("delta").load(os.path.join(wdir, "dp")).select("id", "name").orderBy("id"))
small.writeTo("v2t").create()
small.filter("id = 1").writeTo("v2t").append()
out["write_to"] = spark.table("v2t").count()
small.filter("id > 2").writeTo("v2t").overwrite(F.col("id") > 1)
out["write_to_overwrite"] = [r.id for r in spark.table("v2t").orderBy("id").collect()]

# results in several Arrow batches, and Interrupt cancelling a running query
spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "1000")
big = spark.range(25000).selectExpr("id", "id * 2 AS twice").toPandas()
out["batches"] = [len(big), int(big["twice"].sum())]
# how many Arrow batches the server sent (the client's own response loop checks their offsets)
req = spark.client._execute_plan_request_with_metadata()
req.plan.CopyFrom(spark.range(25000)._plan.to_proto(spark.client))
out["batch_count"] = sum(1 for x in spark.client._execute_and_fetch_as_iterator(req, {}) if isinstance(x, pa.RecordBatch))
spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
import threading
import time

caught = {}


def slow():
    try:
        spark.sql("SELECT count(*) FROM range(2000000) a CROSS JOIN range(2000000) b WHERE a.id + b.id < 0").collect()
        caught["done"] = True
    except Exception as e:  # noqa: BLE001
        caught["error"] = type(e).__name__ + ": " + str(e)[:200]


t = threading.Thread(target=slow)
t.start()
interrupted = []
deadline = time.time() + 90
while t.is_alive() and time.time() < deadline:
    time.sleep(0.5)
    interrupted += spark.interruptAll()
t.join(5)
out["interrupted_ids"] = len(set(interrupted))
out["interrupt"] = {"alive": t.is_alive(), **caught}

# errors: PySpark's own exception classes
out["err_table"] = error_of(lambda: spark.sql("SELECT * FROM no_such_table").collect())
out["err_parse"] = error_of(lambda: spark.sql("SELEC 1").collect())
out["err_column"] = error_of(lambda: people.select("nope").collect())
out["err_unsupported"] = error_of(lambda: people.transpose().collect())
out["after_errors"] = rows(spark.sql("SELECT 2 AS two"))

# a wrong token is refused
bad = SparkSession.builder.remote(url.split(";token=")[0] + ";token=lbx_wrong").create()
out["err_token"] = error_of(lambda: bad.sql("SELECT 1").collect())

print(json.dumps(out, default=str))
spark.stop()

