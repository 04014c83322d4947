"""One PySpark program (pyspark 4.0.1, unchanged) run through Lakebox on either backend.

Usage: connect_diff_forward.py URL TAG [OTHER_DELTA_PATH]
URL is the Lakebox connection string (`;x-lakebox-backend=spark` forwards the session to the
remote Spark Connect server). The program writes the managed Delta table TAG_saved; if
OTHER_DELTA_PATH is given it also reads (by path) the Delta table the other run wrote there. Prints one JSON object (the results of each step) as its last line.
"""

import datetime as dt
import decimal
import json
import sys

import pandas as pd

from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

url, tag = sys.argv[1], sys.argv[2]
other = sys.argv[3] if len(sys.argv) > 3 else None


def canon(v):
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, float):
        return round(v, 9)
    if hasattr(v, "asDict"):
        return {k: canon(x) for k, x in v.asDict().items()}
    if isinstance(v, (list, tuple)):
        return [canon(x) for x in v]
    if isinstance(v, dict):
        return {k: canon(x) for k, x in v.items()}
    return v


def rows(df):
    return [canon(list(r)) for r in df.collect()]


spark = SparkSession.builder.remote(url).getOrCreate()
out = {"default_catalog": spark.conf.get("spark.sql.defaultCatalog"), "version": spark.version}

people = spark.createDataFrame(
    pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "name": ["ann", "bob", "cid", "dee", "eve", "fay"],
            "dept": ["eng", "eng", "ops", "ops", "eng", None],
            "salary": [100.0, 80.0, 70.0, None, 120.5, 60.0],
        }
    )
)
depts = spark.createDataFrame([("eng", 3, "Engineering"), ("ops", 1, "Operations")], "dept string, floor int, title string")

out["schema"] = [[f.name, f.dataType.simpleString()] for f in people.schema.fields]
out["filter"] = rows(people.filter((F.col("salary") > 75) & F.col("dept").isNotNull()).select("id", "name").orderBy("id"))
out["agg"] = rows(
    people.groupBy("dept")
    .agg(F.count("*").alias("n"), F.sum("salary").alias("total"), F.avg("salary").alias("avg"), F.max("name").alias("last"))
    .orderBy(F.col("dept").asc_nulls_first())
)
out["join"] = rows(people.join(depts, "dept", "left").select("name", "floor", "title").orderBy("name"))
w = Window.partitionBy("dept").orderBy(F.col("salary").desc_nulls_last())
out["window"] = rows(people.withColumn("rank", F.row_number().over(w)).select("name", "rank").orderBy("name"))
out["functions"] = rows(
    people.orderBy("name").select(
        F.upper("name"),
        F.concat_ws("-", "name", "dept"),
        F.coalesce("salary", F.lit(0.0)),
        F.when(F.col("salary") > 90, "high").otherwise("low"),
        F.round(F.col("salary") / 3, 2),
    )
)
out["range"] = rows(spark.range(0, 20, 3).withColumn("sq", F.col("id") * F.col("id")).filter("id % 2 = 0"))
out["distinct"] = rows(people.select("dept").distinct().orderBy(F.col("dept").asc_nulls_last()))

spark.sql(f"DROP TABLE IF EXISTS {tag}_saved")
people.write.format("delta").mode("overwrite").saveAsTable(f"{tag}_saved")
people.filter("id > 4").write.format("delta").mode("append").saveAsTable(f"{tag}_saved")
back = spark.table(f"{tag}_saved")
out["delta_count"] = back.count()
out["delta_by_dept"] = rows(back.groupBy("dept").count().orderBy(F.col("dept").asc_nulls_last()))
out["saved_sql"] = rows(
    spark.sql(f"SELECT dept, count(*) AS n, sum(salary) AS s FROM {tag}_saved WHERE dept IS NOT NULL GROUP BY dept ORDER BY dept")
)
people.createOrReplaceTempView(f"{tag}_people")
out["view_sql"] = rows(spark.sql(f"SELECT name FROM {tag}_people WHERE salary IS NULL"))
out["pandas"] = canon(people.orderBy("id").select("id", "name").toPandas().values.tolist())
# A result of many Arrow batches (streamed through the proxy when forwarded).
big = spark.range(0, 50000).select((F.col("id") * 2).alias("x")).collect()
out["big"] = [len(big), sum(r.x for r in big)]
if other:
    out["other_delta"] = rows(spark.read.format("delta").load(other).groupBy("dept").count().orderBy(F.col("dept").asc_nulls_last()))
spark.stop()
print(json.dumps(out))
