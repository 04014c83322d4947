#!/usr/bin/env bash
# TPC-H with the PySpark DataFrame API through Lakebox and through Apache Spark (local[2]) in one run.
# Both servers run side by side; one client alternates between them query by query. Not part of CI.
# Data: the same TPC-H Parquet files as bench/tpch (tpchgen-cli from requirements/bench.txt,
# generated once into .cache/tpch/sf<SF>).
# Usage: bash bench/tpch-dataframe/run.sh [--sf 1] [--warmup 1] [--repeat 3] [--queries q01,q06] [--lakebox-only]
#        [--spark-memory 6g] [--out results.json]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || bash scripts/python-env.sh
.venv/bin/python -m pip install -q -r requirements/bench.txt
sf=1
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = "--sf" ]; then sf="${args[$((i + 1))]}"; fi
done
out=".cache/tpch/sf$sf"
if [ ! -f "$out/.complete" ]; then
  mkdir -p "$out"
  .venv/bin/tpchgen-cli parquet -s "$sf" -o "$out" --overwrite
  touch "$out/.complete"
fi
exec node --import tsx bench/tpch-dataframe/bench.ts "$@"
