"""The Delta peers the interoperability tests drive: delta-rs (`deltalake`) and Apache Spark with
delta-spark, both unchanged, from the project's virtualenv.

Run as `python delta_peer.py serve`: one JSON request per line on stdin, one JSON response per
line on file descriptor 3 (stdout and stderr stay free for the JVM's and libraries' chatter).
A request is {"id": n, "op": "...", ...}; a response is {"id": n, "ok": true, "result": ...} or
{"id": n, "ok": false, "error": "...", "type": "..."}. The Spark session starts on the first Spark
request and is reused, so a test file pays for one JVM start.

Rows are returned in a canonical JSON form that the TypeScript side reproduces for Lakebox's own
reads (see tests/support/rows.ts): integers as numbers (strings beyond 2^53), floats as numbers
(NaN/Infinity as strings), decimals as strings, dates as YYYY-MM-DD, timestamps as ISO-8601 UTC
with microseconds, binary as hex, structs as objects, arrays as lists, maps as sorted [k, v] pairs.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import os
import sys
import traceback
from typing import Any

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# ---------------------------------------------------------------------------------------------
# canonical values


def canon(v: Any) -> Any:
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v if abs(v) <= 2**53 else str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, decimal.Decimal):
        return canon_decimal(v)
    if isinstance(v, dt.datetime):
        if v.tzinfo is None:
            # Spark hands TIMESTAMP values back as naive local datetimes; the session runs in UTC.
            v = v.replace(tzinfo=dt.timezone.utc)
        v = v.astimezone(dt.timezone.utc)
        return v.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).hex()
    if isinstance(v, dict):
        return {str(k): canon(x) for k, x in v.items()}
    if hasattr(v, "asDict"):  # pyspark Row (a struct; also a tuple, so test it first)
        return {k: canon(x) for k, x in v.asDict(recursive=False).items()}
    if isinstance(v, (list, tuple)):
        return [canon(x) for x in v]
    return str(v)


def canon_decimal(d: decimal.Decimal) -> str:
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def arrow_rows(table: Any) -> list[dict[str, Any]]:
    import pyarrow as pa

    out = []
    map_cols = {f.name for f in table.schema if pa.types.is_map(f.type)}
    for row in table.to_pylist():
        r = {}
        for k, x in row.items():
            if k in map_cols and x is not None:
                r[k] = sorted([[canon(a), canon(b)] for a, b in x], key=lambda p: json.dumps(p[0]))
            else:
                r[k] = canon(x)
        out.append(r)
    return out


def spark_rows(df: Any) -> list[dict[str, Any]]:
    from pyspark.sql.types import MapType

    map_cols = {f.name for f in df.schema.fields if isinstance(f.dataType, MapType)}
    out = []
    for row in df.collect():
        r = {}
        for k, x in row.asDict(recursive=False).items():
            if k in map_cols and x is not None:
                r[k] = sorted([[canon(a), canon(b)] for a, b in x.items()], key=lambda p: json.dumps(p[0]))
            else:
                r[k] = canon(x)
        out.append(r)
    return out


# ---------------------------------------------------------------------------------------------
# delta-rs


def rs_storage_options(req: dict[str, Any]) -> dict[str, str] | None:
    return req.get("storage_options") or None


def rs_table(req: dict[str, Any]) -> Any:
    from deltalake import DeltaTable

    kw: dict[str, Any] = {}
    if req.get("version") is not None:
        kw["version"] = req["version"]
    return DeltaTable(req["path"], storage_options=rs_storage_options(req), **kw)


def rs_read(req: dict[str, Any]) -> dict[str, Any]:
    """Read through delta-rs's query engine (DataFusion on delta-kernel). Its plain Arrow path,
    DeltaTable.to_pyarrow_table(), returns NULLs for column-mapped tables (deltalake 1.6.6), for
    Spark's tables as much as for ours; the query engine resolves physical names correctly."""
    import pyarrow as pa
    from deltalake import QueryBuilder

    t = rs_table(req)
    if req.get("timestamp") is not None:
        t.load_as_version(dt.datetime.fromisoformat(req["timestamp"].replace("Z", "+00:00")))
    cols = ", ".join('"' + c.replace('"', '""') + '"' for c in req["columns"]) if req.get("columns") else "*"
    data = pa.table(QueryBuilder().register("t", t).execute(f"SELECT {cols} FROM t").read_all())
    return {
        "version": t.version(),
        "columns": data.schema.names,
        "rows": arrow_rows(data),
        "protocol": {
            "minReaderVersion": t.protocol().min_reader_version,
            "minWriterVersion": t.protocol().min_writer_version,
        },
    }


def rs_history(req: dict[str, Any]) -> list[dict[str, Any]]:
    t = rs_table(req)
    return [{"version": h.get("version"), "operation": h.get("operation")} for h in t.history()]


def rs_files(req: dict[str, Any]) -> list[str]:
    return sorted(rs_table(req).file_uris())


def arrow_from_rows(rows: list[dict[str, Any]], schema: list[list[str]]) -> Any:
    """Build an Arrow table from canonical JSON rows and a [[name, type], ...] schema."""
    import pyarrow as pa

    types = {
        "long": pa.int64(),
        "int": pa.int32(),
        "short": pa.int16(),
        "byte": pa.int8(),
        "double": pa.float64(),
        "float": pa.float32(),
        "string": pa.string(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "timestamp_ntz": pa.timestamp("us"),
        "binary": pa.binary(),
    }

    def arrow_type(t: str) -> Any:
        if t.startswith("decimal("):
            p, s = t[len("decimal(") : -1].split(",")
            return pa.decimal128(int(p), int(s))
        return types[t]

    def value(t: str, v: Any) -> Any:
        if v is None:
            return None
        if t == "date":
            return dt.date.fromisoformat(v)
        if t in ("timestamp", "timestamp_ntz"):
            x = dt.datetime.fromisoformat(v.replace("Z", "+00:00"))
            return x if t == "timestamp" else x.replace(tzinfo=None)
        if t.startswith("decimal("):
            return decimal.Decimal(v)
        if t == "binary":
            return bytes.fromhex(v)
        if t in ("long", "int", "short", "byte"):
            return int(v)
        return v

    fields = [pa.field(n, arrow_type(t)) for n, t in schema]
    cols = {n: [value(t, r.get(n)) for r in rows] for n, t in schema}
    return pa.table(cols, schema=pa.schema(fields))


def rs_write(req: dict[str, Any]) -> dict[str, Any]:
    from deltalake import DeltaTable, write_deltalake

    data = arrow_from_rows(req["rows"], req["schema"])
    kw: dict[str, Any] = {"mode": req.get("mode", "append")}
    if req.get("partition_by"):
        kw["partition_by"] = req["partition_by"]
    if req.get("schema_mode"):
        kw["schema_mode"] = req["schema_mode"]
    if req.get("predicate"):
        kw["predicate"] = req["predicate"]
    if req.get("configuration"):
        kw["configuration"] = req["configuration"]
    write_deltalake(req["path"], data, storage_options=rs_storage_options(req), **kw)
    return {"version": DeltaTable(req["path"], storage_options=rs_storage_options(req)).version()}


def rs_delete(req: dict[str, Any]) -> dict[str, Any]:
    t = rs_table(req)
    t.delete(req.get("predicate"))
    return {"version": t.version()}


def rs_update(req: dict[str, Any]) -> dict[str, Any]:
    t = rs_table(req)
    t.update(updates=req["updates"], predicate=req.get("predicate"))
    return {"version": t.version()}


def rs_merge(req: dict[str, Any]) -> dict[str, Any]:
    t = rs_table(req)
    src = arrow_from_rows(req["rows"], req["schema"])
    m = t.merge(source=src, predicate=req["predicate"], source_alias="s", target_alias="t")
    m = m.when_matched_update_all().when_not_matched_insert_all()
    m.execute()
    return {"version": t.version()}


def rs_optimize(req: dict[str, Any]) -> dict[str, Any]:
    t = rs_table(req)
    t.optimize.compact()
    return {"version": t.version()}


def rs_checkpoint(req: dict[str, Any]) -> dict[str, Any]:
    t = rs_table(req)
    t.create_checkpoint()
    return {"version": t.version()}


# ---------------------------------------------------------------------------------------------
# Spark + delta-spark

_spark = None


def spark() -> Any:
    global _spark
    if _spark is None:
        from delta import configure_spark_with_delta_pip
        from pyspark.sql import SparkSession

        ivy = os.environ.get("LAKEBOX_IVY_DIR") or os.path.join(REPO, ".cache", "ivy")
        os.makedirs(ivy, exist_ok=True)
        builder = (
            SparkSession.builder.master("local[2]")
            .appName("lakebox-interop")
            .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
            .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
            .config("spark.jars.ivy", ivy)
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "2")
            # Delta rebuilds table state with 50 partitions by default: far too many for tiny tables.
            .config("spark.databricks.delta.snapshotPartitions", "2")
            .config("spark.default.parallelism", "2")
            .config("spark.driver.memory", "1g")
            .config("spark.sql.session.timeZone", "UTC")
            .config(
                "spark.driver.extraJavaOptions",
                # Short-lived test JVM: the quick JIT tier and a serial GC start faster on 2 cores.
                "-Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
            )
            .config("spark.sql.warehouse.dir", os.path.join(os.environ.get("TMPDIR", "/tmp"), "lakebox-spark-warehouse"))
            .config("spark.databricks.delta.retentionDurationCheck.enabled", "false")
        )
        _spark = configure_spark_with_delta_pip(builder).getOrCreate()
        _spark.sparkContext.setLogLevel("ERROR")
    return _spark


def spark_sql(req: dict[str, Any]) -> list[Any]:
    """Run statements in order; return the rows of each (canonical), [] for commands."""
    s = spark()
    out = []
    for stmt in req["statements"]:
        df = s.sql(stmt)
        out.append(spark_rows(df) if req.get("collect") else None)
    return out


def spark_read(req: dict[str, Any]) -> dict[str, Any]:
    s = spark()
    r = s.read.format("delta")
    if req.get("version") is not None:
        r = r.option("versionAsOf", req["version"])
    if req.get("timestamp") is not None:
        r = r.option("timestampAsOf", req["timestamp"])
    df = r.load(req["path"])
    if req.get("columns"):
        df = df.select(*req["columns"])
    if req.get("filter"):
        df = df.where(req["filter"])
    return {"columns": df.columns, "rows": spark_rows(df)}


def spark_detail(req: dict[str, Any]) -> dict[str, Any]:
    rows = spark().sql(f"DESCRIBE DETAIL delta.`{req['path']}`").collect()
    d = rows[0].asDict()
    return {k: canon(d[k]) for k in ("numFiles", "partitionColumns", "minReaderVersion", "minWriterVersion", "tableFeatures") if k in d}


def spark_history(req: dict[str, Any]) -> list[dict[str, Any]]:
    rows = spark().sql(f"DESCRIBE HISTORY delta.`{req['path']}`").collect()
    return [{"version": r["version"], "operation": r["operation"]} for r in rows]


def versions(req: dict[str, Any]) -> dict[str, str]:
    from importlib.metadata import version

    out = {"python": sys.version.split()[0]}
    for p in ("deltalake", "pyarrow", "pyspark", "delta-spark"):
        try:
            out[p] = version(p)
        except Exception:  # noqa: BLE001 - a missing package is reported, not fatal
            out[p] = "missing"
    return out


OPS = {
    "versions": versions,
    "rs_read": rs_read,
    "rs_history": rs_history,
    "rs_files": rs_files,
    "rs_write": rs_write,
    "rs_delete": rs_delete,
    "rs_update": rs_update,
    "rs_merge": rs_merge,
    "rs_optimize": rs_optimize,
    "rs_checkpoint": rs_checkpoint,
    "spark_sql": spark_sql,
    "spark_read": spark_read,
    "spark_detail": spark_detail,
    "spark_history": spark_history,
}


def serve() -> None:
    out = os.fdopen(3, "w", buffering=1)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        rid = req.get("id")
        try:
            fn = OPS[req["op"]]
            res = {"id": rid, "ok": True, "result": fn(req)}
        except Exception as e:  # noqa: BLE001 - every failure goes back to the test as data
            traceback.print_exc(file=sys.stderr)
            msg = str(e)
            res = {"id": rid, "ok": False, "error": msg[:4000], "type": type(e).__name__}
        out.write(json.dumps(res) + "\n")
    if _spark is not None:
        _spark.stop()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve()
    else:
        print("usage: delta_peer.py serve", file=sys.stderr)
        sys.exit(2)
