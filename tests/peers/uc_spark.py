"""Apache Spark (PySpark) with delta-spark and the Unity Catalog Spark connector against a running
`lakebox start`: the connector's catalog `main` lists, reads and writes Lakebox tables through the
Unity Catalog API with a Lakebox token. Prints one JSON object per step result on the last line.

usage: uc_spark.py <lakebox url> <token> <connector jars, comma-separated> <delta package> <ivy dir> <external table dir>
"""

import json
import sys

from pyspark.sql import SparkSession

url, token, jars, delta_package, ivy, ext_dir = sys.argv[1:7]

spark = (
    SparkSession.builder.master("local[2]")
    .config("spark.jars", jars)
    .config("spark.jars.packages", delta_package)
    .config("spark.jars.ivy", ivy)
    .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
    .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
    .config("spark.sql.catalog.main", "io.unitycatalog.spark.UCSingleCatalog")
    .config("spark.sql.catalog.main.uri", url)
    .config("spark.sql.catalog.main.token", token)
    .config("spark.sql.defaultCatalog", "main")
    .config("spark.driver.host", "127.0.0.1")
    .config("spark.driver.bindAddress", "127.0.0.1")
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .config("spark.sql.shuffle.partitions", "2")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")

out: dict = {}


def step(name, f):
    try:
        out[name] = f()
    except Exception as e:  # the test compares results; an error is a result too
        lines = [line for line in str(e).splitlines() if line.strip()]
        msg = next((line for line in lines if "Exception" in line), lines[0] if lines else "")
        out[name] = {"error": f"{type(e).__name__}: {msg[:500]}"}


def rows(q):
    return [list(r) for r in spark.sql(q).collect()]


step("namespaces", lambda: rows("SHOW NAMESPACES IN main"))
step("tables", lambda: [r[1] for r in rows("SHOW TABLES IN main.default")])
step("read", lambda: rows("SELECT id, CAST(amount AS STRING), name FROM main.default.orders ORDER BY id"))
step("insert", lambda: rows("INSERT INTO main.default.orders VALUES (3, 1.50, 'from spark sql')"))
step(
    "append",
    lambda: spark.createDataFrame([(4, None, "from a dataframe")], "id bigint, amount decimal(10,2), name string")
    .writeTo("main.default.orders")
    .append(),
)
step("read_after", lambda: rows("SELECT id, name FROM main.default.orders ORDER BY id"))
step("create_external", lambda: rows(f"CREATE TABLE main.default.spark_ext (id BIGINT, s STRING) USING DELTA LOCATION '{ext_dir}'"))
step("insert_external", lambda: rows("INSERT INTO main.default.spark_ext VALUES (1, 'x'), (2, 'y')"))
step(
    "create_managed",
    lambda: rows(
        "CREATE TABLE main.default.spark_managed (id BIGINT, s STRING) USING DELTA "
        "TBLPROPERTIES ('delta.feature.catalogManaged'='supported')"
    ),
)
step("insert_managed", lambda: rows("INSERT INTO main.default.spark_managed VALUES (10, 'a'), (11, 'b')"))
step("insert_managed_again", lambda: rows("INSERT INTO main.default.spark_managed VALUES (12, 'c')"))
step("read_managed", lambda: rows("SELECT * FROM main.default.spark_managed ORDER BY id"))
step(
    "ctas_managed",
    lambda: rows(
        "CREATE TABLE main.default.spark_ctas USING DELTA TBLPROPERTIES ('delta.feature.catalogManaged'='supported') "
        "AS SELECT id, name FROM main.default.orders"
    ),
)
step("read_ctas", lambda: rows("SELECT count(*), max(id) FROM main.default.spark_ctas"))
step("tables_after", lambda: sorted(r[1] for r in rows("SHOW TABLES IN main.default")))
spark.stop()
print(json.dumps(out, default=str))
