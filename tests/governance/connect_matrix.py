"""Run authorization-matrix cases through the real PySpark Spark Connect client.

Reads a JSON list of cases on stdin: {"id", "url", "op", "arg"}; prints one JSON line
{"results": [{"id", "ok", "cls", "cond", "grpc", "text"}]} where `text` is everything the client
got back (rows or the error message), for the test's leak checks.
"""

import json
import sys

import grpc
from pyspark.sql import SparkSession


def run_case(spark, op, arg):
    if op == "sql":
        return spark.sql(arg).collect()
    if op == "table":
        return spark.table(arg).collect()
    if op == "table_filter":
        return spark.table(arg).where("id > 0").select("id", "secret").collect()
    if op == "table_sorted":
        return spark.table(arg).orderBy("id").collect()
    if op == "group_region":
        return spark.table(arg).groupBy("region").count().orderBy("region").collect()
    if op == "where_ssn":
        from pyspark.sql import functions as F

        return spark.table(arg).where(F.col("ssn") == "222-22-2222").select("id").collect()
    if op == "list_tables":
        return [(t.name, t.namespace) for t in spark.catalog.listTables(arg)]
    if op == "append":
        spark.createDataFrame([(7, "x")], "id INT, secret STRING").write.mode("append").saveAsTable(arg)
        return []
    raise ValueError(op)


def grpc_code(e):
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, grpc.RpcError):
            return e.code().name
        e = e.__cause__ or e.__context__
    return None


def main():
    cases = json.load(sys.stdin)
    out = []
    sessions = {}
    for c in cases:
        spark = sessions.get(c["url"])
        if spark is None:
            spark = sessions[c["url"]] = SparkSession.builder.remote(c["url"]).create()
        try:
            rows = run_case(spark, c["op"], c["arg"])
            out.append({"id": c["id"], "ok": True, "text": json.dumps([list(r) for r in rows], default=str)})
        except Exception as e:  # noqa: BLE001 - the test asserts on the class and the error class
            get_class = getattr(e, "getCondition", None) or getattr(e, "getErrorClass", None)
            out.append(
                {
                    "id": c["id"],
                    "ok": False,
                    "cls": type(e).__name__,
                    "cond": get_class() if get_class else None,
                    "grpc": grpc_code(e),
                    "text": str(e),
                }
            )
    for s in sessions.values():
        s.stop()
    print(json.dumps({"results": out}))


main()
