"""Lakebox's Python UDF worker for the Spark Connect server (packages/connect/src/udf.ts).

One long-lived process per Spark Connect session. Requests and answers are framed on stdin/stdout:
a 4-byte big-endian length and a JSON header, then a 4-byte length and a payload (empty for now).
The rows travel as Parquet files the header names (`input`, written by DuckDB; `output`, written
here and read back by DuckDB), evaluated in Arrow batches. The UDF itself is what the PySpark client sends in PythonUDF.command:
``CloudPickleSerializer().dumps((func, return_type))``. User code's print() goes to stderr, so that
stdout carries only frames. An exception in a UDF is answered as an error frame with the Python
traceback (the server raises it as Spark's PythonException); the worker keeps running.
"""

import base64
import datetime
import decimal
import inspect
import json
import os
import struct
import sys
import traceback

PROTOCOL_OUT = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
sys.stdout = sys.stderr
PROTOCOL_IN = sys.stdin.buffer

SQL_BATCHED_UDF = 100
SQL_ARROW_BATCHED_UDF = 101
SQL_SCALAR_PANDAS_UDF = 200
SQL_GROUPED_MAP_PANDAS_UDF = 201
SQL_GROUPED_AGG_PANDAS_UDF = 202
SQL_SCALAR_PANDAS_ITER_UDF = 204
SQL_MAP_PANDAS_ITER_UDF = 205
SQL_MAP_ARROW_ITER_UDF = 207
SQL_GROUPED_MAP_ARROW_UDF = 209


def read_exact(n):
    buf = b""
    while len(buf) < n:
        chunk = PROTOCOL_IN.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_frame():
    head = read_exact(4)
    if head is None:
        return None
    (n,) = struct.unpack(">I", head)
    return read_exact(n)


def write_frames(header, payload=b""):
    h = json.dumps(header).encode()
    PROTOCOL_OUT.write(struct.pack(">I", len(h)) + h + struct.pack(">I", len(payload)))
    PROTOCOL_OUT.write(payload)
    PROTOCOL_OUT.flush()


try:
    import pyarrow as pa
    from pyspark.serializers import CloudPickleSerializer
    from pyspark.sql.pandas.serializers import ArrowStreamPandasUDFSerializer
    from pyspark.sql.pandas.types import to_arrow_type
    from pyspark.sql.types import (
        ArrayType,
        BinaryType,
        BooleanType,
        ByteType,
        DateType,
        DecimalType,
        DoubleType,
        FloatType,
        IntegerType,
        LongType,
        MapType,
        Row,
        ShortType,
        StringType,
        StructType,
        TimestampNTZType,
        TimestampType,
    )

    IMPORT_ERROR = None
except Exception as e:  # reported on the first request
    IMPORT_ERROR = "%s: %s" % (type(e).__name__, e)

_cache = {}


def load(command_b64):
    f = _cache.get(command_b64)
    if f is None:
        f = CloudPickleSerializer().loads(base64.b64decode(command_b64))
        if len(_cache) > 256:
            _cache.clear()
        _cache[command_b64] = f
    return f


def coerce(v, dt):
    """A value a row-at-a-time UDF returned, as the declared type (None where Spark gives NULL)."""
    if v is None:
        return None
    if isinstance(dt, StringType):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (str, int, float, decimal.Decimal)):
            return str(v)
        return str(v)
    if isinstance(dt, (ByteType, ShortType, IntegerType, LongType)):
        if isinstance(v, bool) or not isinstance(v, int):
            return None
        bits = {ByteType: 8, ShortType: 16, IntegerType: 32, LongType: 64}[type(dt)]
        return v if -(2 ** (bits - 1)) <= v < 2 ** (bits - 1) else None
    if isinstance(dt, (FloatType, DoubleType)):
        return v if isinstance(v, float) else None
    if isinstance(dt, BooleanType):
        return v if isinstance(v, bool) else None
    if isinstance(dt, DecimalType):
        return v if isinstance(v, decimal.Decimal) else None
    if isinstance(dt, (TimestampType, TimestampNTZType)):
        return v if isinstance(v, datetime.datetime) else None
    if isinstance(dt, DateType):
        if isinstance(v, datetime.datetime):
            return v.date()
        return v if isinstance(v, datetime.date) else None
    if isinstance(dt, BinaryType):
        return bytes(v) if isinstance(v, (bytes, bytearray)) else None
    if isinstance(dt, ArrayType):
        if not isinstance(v, (list, tuple)):
            return None
        return [coerce(x, dt.elementType) for x in v]
    if isinstance(dt, MapType):
        if not isinstance(v, dict):
            return None
        return {coerce(k, dt.keyType): coerce(x, dt.valueType) for k, x in v.items()}
    if isinstance(dt, StructType):
        names = dt.names
        if isinstance(v, Row) and hasattr(v, "__fields__"):
            d = v.asDict()
            return {n: coerce(d.get(n), f.dataType) for n, f in zip(names, dt.fields)}
        if isinstance(v, dict):
            return {n: coerce(v.get(n), f.dataType) for n, f in zip(names, dt.fields)}
        if isinstance(v, (list, tuple)):
            return {n: coerce(x, f.dataType) for n, f, x in zip(names, dt.fields, v)}
        return None
    return v


def row_arg(v, dt):
    """An argument as a row-at-a-time UDF sees it (structs are Rows)."""
    if v is None:
        return None
    if pa.types.is_struct(dt):
        return Row(**{f.name: row_arg(v[f.name], f.type) for f in dt})
    if pa.types.is_list(dt) or pa.types.is_large_list(dt):
        return [row_arg(x, dt.value_type) for x in v]
    if pa.types.is_map(dt):
        return {k: row_arg(x, dt.item_type) for k, x in v}
    return v


def is_flat(t):
    return not (pa.types.is_struct(t) or pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_map(t))


# Python types a result may have, per Spark type, to go to Arrow without a per-value check
_EXACT = {
    "StringType": str,
    "LongType": int,
    "IntegerType": int,
    "ShortType": int,
    "ByteType": int,
    "DoubleType": float,
    "FloatType": float,
    "BooleanType": bool,
}


def to_arrow(results, return_type, arrow_type):
    """Results of a row-at-a-time UDF as an Arrow array of the declared type (Spark's NULL for
    values of another type)."""
    exact = _EXACT.get(type(return_type).__name__)
    if exact is not None and all(type(v) is exact for v in results if v is not None):
        try:
            return pa.array(results, type=arrow_type)
        except (pa.ArrowInvalid, OverflowError):
            pass  # out of range for the type: per value below
    return pa.array([coerce(v, return_type) for v in results], type=arrow_type)


def call(func, values, names):
    """func(positional..., name=value...): keyword arguments are those with a name."""
    pos = [v for v, k in zip(values, names) if k is None]
    kw = {k: v for v, k in zip(values, names) if k is not None}
    return func(*pos, **kw)


def window_values(func, names, series, table, base, keys, frame, n):
    """A grouped-agg pandas UDF over a ROWS window: f over each row's frame in its partition."""
    key_cols = [table.column(i).to_pylist() for i in keys]
    groups = {}
    for r, key in enumerate(zip(*key_cols)):
        groups.setdefault(key, []).append(r)
    if not keys:
        groups = {(): list(range(n))}
    order = [(table.column(base + o["col"]).to_pylist(), o["desc"]) for o in frame["order"]]
    lower, upper = frame.get("lower"), frame.get("upper")
    values = [None] * n
    for rows in groups.values():
        for col, desc in reversed(order):
            # ascending: NULLs first; descending: NULLs last (Spark's defaults)
            rows = sorted(rows, key=lambda r: (col[r] is not None, col[r] if col[r] is not None else 0), reverse=desc)
        m = len(rows)
        for pos, r in enumerate(rows):
            lo = 0 if lower is None else max(0, pos + lower)
            hi = m - 1 if upper is None else min(m - 1, pos + upper)
            sel = rows[lo : hi + 1]
            values[r] = call(func, [s.iloc[sel].reset_index(drop=True) for s in series], names) if sel else None
    return values


def serializer():
    return ArrowStreamPandasUDFSerializer(
        "UTC", False, True, df_for_struct=True, struct_in_pandas="dict", arrow_cast=True
    )


def pandas_result(ser, result, return_type, n=None):
    import pandas as pd

    if n is not None and hasattr(result, "__len__") and len(result) != n:
        raise RuntimeError(
            "Result vector from pandas_udf was not the required length: expected %d, got %d."
            % (n, len(result))
        )
    if not isinstance(result, (pd.Series, pd.DataFrame)):
        result = pd.Series(result)
    return ser._create_batch([(result, to_arrow_type(return_type))]).column(0)


def scalar(header, table):
    """Projection UDFs over the input's last `extra` columns (arguments; `keys` group rows for
    grouped-agg UDFs): the input's other columns with one result column per UDF appended."""
    n = table.num_rows
    base = table.num_columns - header["extra"]
    keep = list(range(base))
    out_cols = [table.column(i) for i in keep]
    out_names = [table.schema.field(i).name for i in keep]
    for k, u in enumerate(header["udfs"]):
        func, return_type = load(u["command"])
        et = u["eval_type"]
        args = [table.column(base + i) for i in u["args"]]
        names = u.get("names") or [None] * len(args)
        arrow_type = to_arrow_type(return_type)
        if et in (SQL_BATCHED_UDF, SQL_ARROW_BATCHED_UDF):
            py = [a.to_pylist() if is_flat(a.type) else [row_arg(v, a.type) for v in a.to_pylist()] for a in args]
            if not py:
                results = [func() for _ in range(n)]
            elif any(names):
                results = [call(func, row, names) for row in zip(*py)]
            elif len(py) == 1:
                results = [func(v) for v in py[0]]
            else:
                results = [func(*row) for row in zip(*py)]
            arr = to_arrow(results, return_type, arrow_type)
        elif et in (SQL_SCALAR_PANDAS_UDF, SQL_SCALAR_PANDAS_ITER_UDF):
            ser = serializer()
            series = [ser.arrow_to_pandas(a.combine_chunks()) for a in args]
            if et == SQL_SCALAR_PANDAS_UDF:
                result = call(func, series, names)
            else:
                batch = series[0] if len(series) == 1 else tuple(series)
                parts = list(func(iter([batch])))
                import pandas as pd

                result = pd.concat(parts) if parts else pd.Series([], dtype=object)
            arr = pandas_result(ser, result.reset_index(drop=True), return_type, n)
        elif et == SQL_GROUPED_AGG_PANDAS_UDF:
            import pandas as pd

            ser = serializer()
            series = [ser.arrow_to_pandas(a.combine_chunks()) for a in args]
            keys = [base + i for i in u.get("keys", header.get("keys", []))]
            frame = u.get("frame")
            if frame is not None:
                values = window_values(func, names, series, table, base, keys, frame, n)
            elif keys:
                index = [None] * n
                for rows in group_rows(table, keys).values():
                    value = call(func, [s.iloc[rows].reset_index(drop=True) for s in series], names)
                    for r in rows.tolist():
                        index[r] = value
                values = index
            else:
                value = call(func, series, names) if n or series else None
                values = [value] * n
            arr = pandas_result(ser, pd.Series(values, dtype=object), return_type)
        else:
            raise NotImplementedError("eval type %d in a projection" % et)
        out_cols.append(arr)
        out_names.append(u.get("name", "__lbx_udf_%d" % k))
    return pa.Table.from_arrays(out_cols, names=out_names)


def to_table(batches, schema):
    if not batches:
        return schema.empty_table()
    return pa.Table.from_batches(batches, schema=schema)


def map_iter(header, table):
    """mapInPandas / mapInArrow: the function maps an iterator of batches to one of batches."""
    func, return_type = load(header["command"])
    et = header["eval_type"]
    schema = pa.schema([pa.field(f.name, to_arrow_type(f.dataType)) for f in return_type.fields])
    batches = table.to_batches(max_chunksize=header.get("batch_size", 10000)) or []
    out = []
    if et == SQL_MAP_ARROW_ITER_UDF:
        for b in func(iter(batches)):
            expect_result(b, pa.RecordBatch, "pyarrow.RecordBatch")
            out.append(pa.Table.from_batches([b]).select([f.name for f in schema]).cast(schema).to_batches())
        return to_table([x for bs in out for x in bs], schema)
    ser = serializer()
    import pandas as pd

    def as_pdf(b):
        cols = [ser.arrow_to_pandas(b.column(i)).rename(b.schema.field(i).name) for i in range(b.num_columns)]
        return pd.concat(cols, axis=1) if cols else pd.DataFrame(index=range(b.num_rows))

    result_batches = []
    for pdf in func(as_pdf(b) for b in batches):
        expect_result(pdf, pd.DataFrame, "pandas.DataFrame")
        result_batches.append(struct_batch(ser, pdf, return_type, schema))
    return to_table(result_batches, schema)


def expect_result(value, kind, name):
    """A grouped or mapped UDF must return `kind` (Spark's message when it does not)."""
    if not isinstance(value, kind):
        raise TypeError(
            "Return type of the user-defined function should be %s, but is %s" % (name, type(value).__name__)
        )


def group_rows(table, keys):
    """Row indices (numpy arrays) of each distinct key tuple, groups in order of first appearance
    (NULL keys form their own group, as in Spark)."""
    import numpy as np

    n = table.num_rows
    if not keys:
        return {(): np.arange(n)} if n else {}
    t = pa.table({**{"k%d" % j: table.column(c) for j, c in enumerate(keys)}, "__idx": pa.array(np.arange(n))})
    names = ["k%d" % j for j in range(len(keys))]
    g = t.group_by(names, use_threads=False).aggregate([("__idx", "list")])
    key_lists = [g.column(nm).to_pylist() for nm in names]
    idx = g.column("__idx_list").to_pylist()
    return {tuple(k[i] for k in key_lists): np.asarray(idx[i], dtype=np.int64) for i in range(g.num_rows)}


def struct_batch(ser, pdf, return_type, schema):
    arr = ser._create_struct_array(pdf, pa.struct(list(schema)))
    return pa.RecordBatch.from_arrays(arr.flatten(), schema=schema)


def group_map(header, table):
    """groupBy(...).applyInPandas(f, schema): f(pdf) or f(key, pdf) per group."""
    import pandas as pd

    func, return_type = load(header["command"])
    schema = pa.schema([pa.field(f.name, to_arrow_type(f.dataType)) for f in return_type.fields])
    base = table.num_columns - header["extra"]
    keys = [base + i for i in header["keys"]]
    data = list(range(base))
    nargs = len(inspect.getfullargspec(func).args)
    ser = serializer()
    groups = group_rows(table, keys)
    if header.get("eval_type") == SQL_GROUPED_MAP_ARROW_UDF:
        # groupBy().applyInArrow(f, schema): f(table) or f(key, table), pyarrow in and out
        data_table = table.select(data)
        out = []
        for key, rows in groups.items():
            part = data_table.take(pa.array(rows, type=pa.int64()))
            result = func(part) if nargs == 1 else func(tuple(pa.scalar(k) for k in key), part)
            expect_result(result, pa.Table, "pyarrow.Table")
            out.extend(result.select(schema.names).cast(schema).to_batches())
        return to_table(out, schema)
    cols = [ser.arrow_to_pandas(table.column(i).combine_chunks()).rename(table.schema.field(i).name) for i in data]
    whole = pd.concat(cols, axis=1) if cols else pd.DataFrame(index=range(table.num_rows))
    out = []
    for key, rows in groups.items():
        pdf = whole.iloc[rows].reset_index(drop=True)
        result = func(pdf) if nargs == 1 else func(tuple(key), pdf)
        expect_result(result, pd.DataFrame, "pandas.DataFrame")
        out.append(struct_batch(ser, result, return_type, schema))
    return to_table(out, schema)


def cogroup(header, left, right):
    """cogroup().applyInPandas(f, schema): f(left_pdf, right_pdf) or f(key, left, right) per key
    of either side (a side without the key gets an empty DataFrame)."""
    import pandas as pd

    func, return_type = load(header["command"])
    schema = pa.schema([pa.field(f.name, to_arrow_type(f.dataType)) for f in return_type.fields])
    nkeys = header["extra"]
    nargs = len(inspect.getfullargspec(func).args)
    ser = serializer()

    def side(table):
        base = table.num_columns - nkeys
        groups = group_rows(table, [base + j for j in range(nkeys)])
        cols = [ser.arrow_to_pandas(table.column(i).combine_chunks()).rename(table.schema.field(i).name) for i in range(base)]
        whole = pd.concat(cols, axis=1) if cols else pd.DataFrame(index=range(table.num_rows))
        return groups, whole

    lg, lw = side(left)
    rg, rw = side(right)
    out = []
    for key in list(lg) + [k for k in rg if k not in lg]:
        lp = lw.iloc[lg[key]].reset_index(drop=True) if key in lg else lw.iloc[0:0]
        rp = rw.iloc[rg[key]].reset_index(drop=True) if key in rg else rw.iloc[0:0]
        result = func(lp, rp) if nargs == 2 else func(tuple(key), lp, rp)
        expect_result(result, pd.DataFrame, "pandas.DataFrame")
        out.append(struct_batch(ser, result, return_type, schema))
    return to_table(out, schema)


def udtf(header, table):
    """A Python UDTF: eval(*args) per input row (then terminate()), rows of the declared struct."""
    from pyspark.sql.types import _parse_datatype_json_string

    cls = CloudPickleSerializer().loads(base64.b64decode(header["command"]))
    return_type = _parse_datatype_json_string(header["return_type"])
    schema = pa.schema([pa.field(f.name, to_arrow_type(f.dataType)) for f in return_type.fields])
    base = table.num_columns - header["extra"]
    args = [[row_arg(v, table.column(base + i).type) for v in table.column(base + i).to_pylist()] for i in range(header["extra"])]
    handler = cls()
    rows = []
    src = []  # the input row of each output row (lateral calls keep the input's columns)

    def emit(results, i):
        if results is None:
            return
        for r in results:
            if isinstance(r, Row) and hasattr(r, "__fields__"):
                d = r.asDict()
                r = [d.get(f.name) for f in return_type.fields]
            elif isinstance(r, dict):
                r = [r.get(f.name) for f in return_type.fields]
            elif not isinstance(r, (tuple, list)):
                r = (r,)
            if len(r) != len(return_type.fields):
                raise RuntimeError(
                    "The number of columns in the result does not match the specified schema: "
                    "expected %d, got %d" % (len(return_type.fields), len(r))
                )
            rows.append([coerce(v, f.dataType) for v, f in zip(r, return_type.fields)])
            src.append(i)

    for i in range(table.num_rows):
        emit(handler.eval(*[a[i] for a in args]), i)
    if hasattr(handler, "terminate"):
        emit(handler.terminate(), table.num_rows - 1)
    if hasattr(handler, "cleanup"):
        handler.cleanup()
    columns = [pa.array([r[j] for r in rows], type=schema.field(j).type) for j in range(len(schema))]
    if header.get("lateral"):
        left = table.select(list(range(base))).take(pa.array(src, type=pa.int64()))
        return pa.Table.from_arrays(
            [left.column(i) for i in range(base)] + columns, names=left.column_names + schema.names
        )
    return pa.Table.from_arrays(columns, schema=schema)


def parquet_safe(t):
    """Parquet has no empty structs and no zero-column files: foreach's struct<> results become
    NULL columns, a zero-column result gets one NULL column."""
    cols = [pa.nulls(t.num_rows) if pa.types.is_struct(c.type) and c.type.num_fields == 0 else c for c in t.columns]
    t = pa.Table.from_arrays(cols, names=t.column_names)
    if t.num_columns == 0:
        t = pa.table({"_empty": pa.nulls(t.num_rows)})
    return t


def main():
    while True:
        raw = read_frame()
        if raw is None:
            return
        header = json.loads(raw)
        payload = read_frame()
        if payload is None:
            return
        try:
            if IMPORT_ERROR is not None:
                raise RuntimeError("the UDF worker cannot import pyspark/pyarrow/pandas: " + IMPORT_ERROR)
            import pyarrow.parquet as pq

            table = pq.read_table(header["input"])
            kind = header["kind"]
            if kind == "scalar":
                result = scalar(header, table)
            elif kind == "map":
                result = map_iter(header, table)
            elif kind == "group_map":
                result = group_map(header, table)
            elif kind == "cogroup":
                result = cogroup(header, table, pq.read_table(header["input2"]))
            elif kind == "udtf":
                result = udtf(header, table)
            else:
                raise ValueError("unknown request kind %r" % kind)
            pq.write_table(parquet_safe(result), header["output"], row_group_size=header.get("batch_size", 10000))
            write_frames({"ok": True})
        except BaseException as e:  # noqa: BLE001 - every failure is answered, the worker survives
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            tb = traceback.format_exc()
            write_frames({"ok": False, "error": tb, "type": type(e).__name__, "message": str(e)})


if __name__ == "__main__":
    main()
