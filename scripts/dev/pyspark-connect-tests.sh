#!/usr/bin/env bash
# Development run of PySpark's own Spark Connect tests against a running Lakebox (acceptance 2 of
# the Spark Connect issue). Not part of CI: it needs a running server and, for the unit tests, a
# Spark source tree that is never committed.
#
# Usage:
#   scripts/dev/pyspark-connect-tests.sh 'sc://localhost:15002/;token=<token>' [SPARK_PYTHON_DIR] [OUT_DIR]
# (write `localhost`: with a token and any other host name the client insists on TLS)
#
# - The doctests of pyspark.sql.connect.functions.builtin, pyspark.sql.dataframe and
#   pyspark.sql.column (the modules Spark's own connect `_test()` functions run) come from the
#   installed pyspark 4.0.1 in .venv; each docstring counts as one test (pass = all its examples
#   pass), as Spark's test runner counts them.
# - SPARK_PYTHON_DIR (optional): the `python` directory of an Apache Spark v4.0.x checkout
#   (e.g. extracted with `git archive v4.0.1 python/pyspark/sql/tests | tar -x -C /tmp/spark`).
#   Its pyspark/sql/tests is overlaid on the installed pyspark and the parity suites listed in
#   SUITES run with unittest against the same server (default: every
#   pyspark/sql/tests/connect/test_parity_*.py module of that tree). The installed
#   pyspark.testing stays in use; its ReusedConnectTestCase reads SPARK_CONNECT_TESTING_REMOTE
#   and is told it runs remote-only (there is no local JVM whose SparkContext it could reach).
# - Environment: SUITES (space-separated module names), DOCTEST_MODULES, PER_TEST_TIMEOUT (s),
#   PYTHON (default .venv/bin/python). pyspark 4.0.1's pandas API (which the tests' helper
#   assertDataFrameEqual imports) does not load with pandas 3, the project's pin; for the unit
#   tests use an interpreter that sees .venv's packages but pandas 2.2.3:
#     python3 -m venv /tmp/ct-venv
#     echo "$PWD/.venv/lib/python3.11/site-packages" > /tmp/ct-venv/lib/python3.11/site-packages/main.pth
#     /tmp/ct-venv/bin/pip install pandas==2.2.3
#     PYTHON=/tmp/ct-venv/bin/python scripts/dev/pyspark-connect-tests.sh ...
# Results: OUT_DIR/summary.json (counts per module/suite, failures with their first error line)
# and a printed table. Start Lakebox first, e.g.:
#   npx lakebox start --data /tmp/lbx --port 18080 --spark-connect-port 15002
set -euo pipefail
cd "$(dirname "$0")/../.."
remote=${1:?usage: $0 REMOTE_URL [SPARK_PYTHON_DIR] [OUT_DIR]}
src=${2:-}
out=${3:-$(mktemp -d /tmp/pyspark-connect-tests.XXXXXX)}
mkdir -p "$out"
export SPARK_CONNECT_TESTING_REMOTE="$remote"
export SPARK_HOME="$out/spark_home"
mkdir -p "$SPARK_HOME"
export PYARROW_IGNORE_TIMEZONE=1
export OUT_DIR="$out" SPARK_PYTHON_DIR="$src"
export DOCTEST_MODULES=${DOCTEST_MODULES:-"pyspark.sql.connect.functions.builtin pyspark.sql.dataframe pyspark.sql.column"}
export SUITES=${SUITES:-auto}
export PER_TEST_TIMEOUT=${PER_TEST_TIMEOUT:-120}
exec "${PYTHON:-.venv/bin/python}" - <<'PY'
import doctest
import io
import json
import os
import re
import signal
import sys
import time
import traceback
import unittest
from collections import Counter

out_dir = os.environ["OUT_DIR"]
remote = os.environ["SPARK_CONNECT_TESTING_REMOTE"]
timeout = int(os.environ["PER_TEST_TIMEOUT"])
os.chdir(os.environ["SPARK_HOME"])


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout(f"timed out after {timeout}s")


signal.signal(signal.SIGALRM, on_alarm)
summary = {"remote": re.sub(r"token=[^;]*", "token=***", remote), "doctests": {}, "suites": {}}


def first_line(text):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    for l in reversed(lines):
        if re.match(r"^[\w.]*(Exception|Error)\b", l.strip()) or "[" in l and "]" in l and "Exception" in l:
            return l.strip()[:300]
    return (lines[-1] if lines else "").strip()[:300]


def run_doctests(modname):
    import importlib
    from pyspark.sql import SparkSession

    mod = importlib.import_module(modname)
    globs = mod.__dict__.copy()
    spark = SparkSession.builder.remote(remote).getOrCreate()
    globs["spark"] = spark
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL
    finder = doctest.DocTestFinder()
    tests = [t for t in finder.find(mod, modname, globs=globs) if t.examples]
    res = {"pass": 0, "fail": 0, "examples": 0, "failures": {}}
    for t in sorted(tests, key=lambda t: t.name):
        buf = io.StringIO()
        runner = doctest.DocTestRunner(optionflags=flags)
        signal.alarm(timeout)
        try:
            r = runner.run(t, out=buf.write, clear_globs=False)
            failed = r.failed
        except Timeout as e:
            failed = 1
            buf.write(str(e))
        finally:
            signal.alarm(0)
        res["examples"] += len(t.examples)
        if failed:
            res["fail"] += 1
            text = buf.getvalue()
            src = re.search(r"Failed example:\n((?:    .*\n)+)", text)
            example = " ".join(l.strip() for l in src.group(1).splitlines())[:200] if src else ""
            if "Exception raised:" in text or "Timeout" in text or not src:
                res["failures"][t.name] = first_line(text) + " | " + example
            else:
                res["failures"][t.name] = "OUTPUT_DIFFERS | " + example
        else:
            res["pass"] += 1
    spark.stop()
    return res


def run_suite(modname):
    loader = unittest.TestLoader()
    suite = loader.loadTestsFromName(modname)
    stream = io.StringIO()
    passed = []

    class Result(unittest.TextTestResult):
        def startTest(self, test):
            signal.alarm(timeout)
            super().startTest(test)

        def stopTest(self, test):
            signal.alarm(0)
            super().stopTest(test)

        def addSuccess(self, test):
            passed.append(test.id())
            super().addSuccess(test)

    total = suite.countTestCases()
    r = unittest.TextTestRunner(stream=stream, resultclass=Result, verbosity=0).run(suite)
    fails = {}
    for test, tb in r.failures + r.errors:
        fails[test.id()] = first_line(tb)
    skip = len(r.skipped) + len(r.expectedFailures)
    # A test whose class set-up failed never runs: it counts as failed (total - pass - skip).
    return {
        "pass": len(passed),
        "fail": total - len(passed) - skip,
        "skip": skip,
        "failures": fails,
    }


for m in os.environ["DOCTEST_MODULES"].split():
    t0 = time.time()
    try:
        summary["doctests"][m] = run_doctests(m)
    except Exception:  # noqa: BLE001
        summary["doctests"][m] = {"error": traceback.format_exc()[-2000:]}
    summary["doctests"][m]["seconds"] = round(time.time() - t0)

src = os.environ.get("SPARK_PYTHON_DIR")
if src:
    import pyspark.sql

    # Overlay the source tree's pyspark.sql.tests on the installed pyspark (the wheel omits tests).
    pyspark.sql.__path__.append(os.path.join(src, "pyspark", "sql"))
    import pyspark.testing.connectutils as connectutils

    # ReusedConnectTestCase.setUpClass reaches for the classic session's SparkContext unless the
    # client is remote-only; against a remote server there is none.
    connectutils.is_remote_only = lambda: True
    suites = os.environ["SUITES"].split()
    if suites == ["auto"]:
        conn = os.path.join(src, "pyspark", "sql", "tests", "connect")
        suites = sorted(
            "pyspark.sql.tests.connect." + f[:-3]
            for f in os.listdir(conn)
            if f.startswith("test_parity_") and f.endswith(".py")
        )
    for m in suites:
        t0 = time.time()
        try:
            summary["suites"][m] = run_suite(m)
        except Exception:  # noqa: BLE001
            summary["suites"][m] = {"error": traceback.format_exc()[-2000:]}
        summary["suites"][m]["seconds"] = round(time.time() - t0)

# The function coverage table of docs/compat/spark-connect.md: every public function of
# pyspark.sql.functions, whether the engine maps it (spark.catalog.listFunctions) and its doctest.
try:
    import inspect

    import pyspark.sql.connect.functions.builtin as cfb
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.remote(remote).getOrCreate()
    engine = {f.name for f in spark.catalog.listFunctions()}
    spark.stop()
    doc = summary["doctests"].get("pyspark.sql.connect.functions.builtin", {})
    fails = {k.rsplit(".", 1)[1] for k in doc.get("failures", {})}
    names = sorted(
        n for n, v in vars(cfb).items()
        if not n.startswith("_") and inspect.isfunction(v) and v.__module__ == cfb.__name__
    )
    lines = ["| function | engine | doctest |", "|---|---|---|"]
    for n in names:
        has_doc = bool((getattr(cfb, n).__doc__ or "").count(">>>"))
        d = ("fails" if n in fails else "passes") if has_doc and doc else "-"
        lines.append(f"| `{n}` | {'yes' if n.lower() in engine else 'no'} | {d} |")
    with open(os.path.join(out_dir, "functions.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    summary["functions"] = {
        "total": len(names),
        "engine": sum(1 for n in names if n.lower() in engine),
        "doctest_pass": sum(1 for l in lines[2:] if l.endswith("passes |")),
    }
except Exception:  # noqa: BLE001
    summary["functions"] = {"error": traceback.format_exc()[-1000:]}

with open(os.path.join(out_dir, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)

cats = Counter()
total = Counter()
for kind in ("doctests", "suites"):
    for name, r in summary[kind].items():
        if "error" in r:
            print(f"{name}: could not run: {r['error'].splitlines()[-1]}")
            continue
        total["pass"] += r["pass"]
        total["fail"] += r["fail"]
        total["skip"] += r.get("skip", 0)
        print(f"{name}: pass {r['pass']} fail {r['fail']} skip {r.get('skip', 0)} ({r['seconds']}s)")
        for msg in r["failures"].values():
            m = re.search(r"\[([A-Z_][A-Z0-9_.]+)\]", msg.split(" | ")[0])
            cats[m.group(1) if m else msg.split(" | ")[0].split(":")[0][:60]] += 1
print(f"total: pass {total['pass']} fail {total['fail']} skip {total['skip']}")
print("top failure categories:")
for k, n in cats.most_common(25):
    print(f"  {n:4d}  {k}")
print(f"functions: {summary.get('functions')}")
print(f"details: {os.path.join(out_dir, 'summary.json')}, function table: {os.path.join(out_dir, 'functions.md')}")
PY
