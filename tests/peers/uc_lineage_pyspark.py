"""A three-step DataFrame pipeline through the real PySpark Spark Connect client (unchanged):
raw -> cleaned -> aggregate, written with saveAsTable, for the lineage test.

Usage: uc_lineage_pyspark.py sc://localhost:<port>/;token=<token> <table prefix> <a directory for a path write>
Prints one JSON object: the Spark Connect session id and the rows of the aggregate.
"""

import json
import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

url, prefix, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
spark = SparkSession.builder.remote(url).getOrCreate()
t = lambda name: f"main.default.{prefix}_{name}"  # noqa: E731

spark.sql(f"CREATE TABLE {t('raw')} (id BIGINT, name STRING, amount DOUBLE, country STRING)")
spark.createDataFrame(
    [(1, "ann", 10.0, "fr"), (2, "bob", -1.0, "de"), (3, "cy", 5.0, "fr"), (4, "dan", 7.5, "de")],
    "id BIGINT, name STRING, amount DOUBLE, country STRING",
).write.mode("append").saveAsTable(t("raw"))

raw = spark.table(t("raw"))
cleaned = raw.where(F.col("amount") > 0).select(
    "id",
    F.upper("name").alias("name"),
    (F.col("amount") * 1.2).alias("amount_eur"),
    "country",
)
cleaned.write.mode("overwrite").saveAsTable(t("cleaned"))

agg = (
    spark.table(t("cleaned"))
    .groupBy("country")
    .agg(F.sum("amount_eur").alias("total"), F.count("*").alias("n"))
)
agg.write.mode("overwrite").saveAsTable(t("agg"))

# a DataFrame written to a Delta location (no table): lineage into a PATH node
spark.table(t("agg")).select("country", (F.col("total") / F.col("n")).alias("avg_eur")).write.format("delta").mode(
    "overwrite"
).save(f"{out_dir}/avg_by_country")

rows = sorted([list(r) for r in spark.table(t("agg")).collect()])
print(json.dumps({"session_id": spark.client._session_id, "agg": rows}))
spark.stop()
