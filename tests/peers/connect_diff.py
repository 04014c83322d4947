"""Differential DataFrame/function cases for Spark Connect (issue 4, acceptance 3).

Usage: connect_diff.py URL [CASE_FILE] [--only ID,ID] > results.jsonl
Runs every case of the case file (default connect_diff_cases.txt beside this script) with the real
PySpark client (pyspark 4.0.1) against one Spark Connect endpoint, Lakebox or Apache Spark, and
prints one JSON line per case: {"id", "ordered", "columns", "types", "rows"} or {"id", "error"}.
Values are made comparable (decimals as strings, dates ISO, maps as sorted pairs, NaN/Infinity
as strings); the comparison itself is in packages/connect/test/differential.test.ts.

Case file format (one case per line after expansion):
  GROUP | TEMPLATE | var=v1 v2 ... ; var2=...    every combination of the values, id GROUP:v1:...
  NAME | EXPRESSION                                 a single case, id NAME
  ! ID | REASON                                     a known difference from Spark (still run)
  # comment
An expression is Python evaluated with F (functions), W (Window), spark, and the fixture frames
t, e, dpt, a (see fixtures below). Its result is a DataFrame, or a value (a count, a list).
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
import math
import os
import re
import sys
from typing import Any

os.environ.setdefault("TZ", "UTC")


def parse_cases(path: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    cases: list[tuple[str, str]] = []
    known: dict[str, str] = {}
    for raw in open(path, encoding="utf-8"):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("!"):
            cid, reason = line[1:].split("|", 1)
            known[cid.strip()] = reason.strip()
            continue
        parts = [p.strip() for p in line.split(" | ")]
        if len(parts) == 2:
            cases.append((parts[0], parts[1]))
            continue
        group, template, spec = parts
        names, values = [], []
        for item in spec.split(";"):
            k, v = item.split("=", 1)
            names.append(k.strip())
            values.append(v.split())
        for combo in itertools.product(*values):
            expr = template
            for k, v in zip(names, combo):
                expr = expr.replace("{" + k + "}", v)
            cases.append((group + ":" + ":".join(combo), expr))
    return cases, known


def canon(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, decimal.Decimal):
        return {"decimal": str(v.normalize()) if v == v else "NaN"}
    if isinstance(v, dt.datetime):
        return {"ts": v.isoformat()}
    if isinstance(v, dt.date):
        return {"date": v.isoformat()}
    if isinstance(v, dt.timedelta):
        return {"interval_us": v // dt.timedelta(microseconds=1)}
    if isinstance(v, (bytes, bytearray)):
        return {"hex": bytes(v).hex()}
    if hasattr(v, "asDict"):
        return {"struct": [[k, canon(x)] for k, x in v.asDict().items()]}
    if isinstance(v, dict):
        return {"map": sorted(([canon(k), canon(x)] for k, x in v.items()), key=json.dumps)}
    if isinstance(v, (list, tuple)):
        return [canon(x) for x in v]
    return repr(v)


def fixtures(spark: Any) -> dict[str, Any]:
    D, T, Dec = dt.date, dt.datetime, decimal.Decimal
    t = spark.createDataFrame(
        [
            (1, 5, 100, 2.5, "Hello", True, D(2024, 1, 15), T(2024, 1, 15, 10, 30, 0), Dec("12.34")),
            (2, -3, -7, -1.25, "world ", False, D(2023, 12, 31), T(2023, 12, 31, 23, 59, 59), Dec("-5.50")),
            (3, 0, 0, 0.0, "", True, D(2000, 2, 29), T(2000, 2, 29, 0, 0, 0), Dec("0.00")),
            (4, None, None, None, None, None, None, None, None),
            (5, 42, 9000000000, 1e10, "a,b,c", False, D(1999, 7, 4), T(1999, 7, 4, 12, 0, 0, 123456), Dec("999.99")),
            (6, 7, 3, 0.1, "Spark SQL", True, D(2024, 2, 29), T(2024, 3, 1, 6, 5, 4), Dec("1.05")),
        ],
        "id int, i int, l bigint, d double, s string, b boolean, dt date, ts timestamp, dec decimal(10,2)",
    )
    e = spark.createDataFrame(
        [
            ("ann", "eng", 100.0, 30),
            ("bob", "eng", 80.0, 45),
            ("cid", "ops", 70.0, 28),
            ("dee", "ops", None, 52),
            ("eve", "eng", 120.0, 33),
            ("fay", None, 60.0, 41),
            ("gus", "hr", 70.0, 28),
        ],
        "name string, dept string, salary double, age int",
    )
    dpt = spark.createDataFrame(
        [("eng", 3, "Engineering"), ("ops", 1, "Operations"), ("fin", 2, "Finance")],
        "dept string, floor int, title string",
    )
    a = spark.createDataFrame(
        [
            (1, [3, 1, 2], ["x", "y"], {"k1": 1, "k2": 2}, (1, "p")),
            (2, [5, None, 5], ["z"], {"k3": 3}, (2, "q")),
            (3, [], [], {}, (3, None)),
            (4, None, None, None, None),
        ],
        "id int, arr array<int>, words array<string>, m map<string,int>, st struct<x:int,y:string>",
    )
    return {"t": t, "e": e, "dpt": dpt, "a": a}


def strip_windows(expr: str) -> str:
    """The expression without the arguments of its .over(...) window specifications."""
    out, i = [], 0
    while True:
        j = expr.find(".over(", i)
        if j < 0:
            return "".join(out) + expr[i:]
        out.append(expr[i : j + 6])
        depth, k = 1, j + 6
        while k < len(expr) and depth:
            depth += {"(": 1, ")": -1}.get(expr[k], 0)
            k += 1
        out.append(")")
        i = k


def is_ordered(expr: str) -> bool:
    """Whether a case's result has a defined row order: the DataFrame is sorted (not a window's
    orderBy) and no grouping, join, distinct or set operation comes after the sort."""
    top = strip_windows(expr)
    sorts = [m.end() for m in re.finditer(r"\.(orderBy|sort)\(", top)]
    if not sorts:
        return False
    return not re.search(r"\.(groupBy|rollup|cube|agg|join|crossJoin|distinct|dropDuplicates|union\w*|intersect\w*|subtract|exceptAll)\(", top[sorts[-1] :])


def run_case(expr: str, env: dict[str, Any]) -> dict[str, Any]:
    value = eval(expr, env)  # noqa: S307 - expressions come from the repository's case file
    if hasattr(value, "collect") and hasattr(value, "schema"):
        rows = value.collect()
        fields = value.schema.fields
        return {
            "columns": [f.name for f in fields],
            "types": [f.dataType.simpleString() for f in fields],
            "rows": [[canon(x) for x in r] for r in rows],
        }
    return {"value": canon(value)}


def main() -> None:
    argv = sys.argv[1:]
    only = None
    if "--only" in argv:
        i = argv.index("--only")
        only = set(argv[i + 1].split(","))
        argv = argv[:i] + argv[i + 2 :]
    url = argv[0]
    case_file = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "connect_diff_cases.txt")
    cases, _known = parse_cases(case_file)
    from pyspark.sql import SparkSession, Window
    from pyspark.sql import functions as F

    spark = SparkSession.builder.remote(url).getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    env: dict[str, Any] = {"F": F, "W": Window, "spark": spark, **fixtures(spark)}
    for cid, expr in cases:
        if only and cid not in only:
            continue
        out: dict[str, Any] = {"id": cid, "ordered": is_ordered(expr)}
        try:
            out.update(run_case(expr, env))
        except Exception as ex:  # noqa: BLE001 - every failure is a result to compare
            cond = getattr(ex, "getCondition", None)
            out["error"] = {"type": type(ex).__name__, "class": cond() if cond else None, "message": str(ex)[:300]}
        print(json.dumps(out), flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
