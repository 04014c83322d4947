#!/usr/bin/env bash
# TPC-H benchmark: the 22 TPC-H queries through Lakebox SQL (Delta tables), DuckDB directly over the
# same Parquet files, and Spark local[2] + delta-spark over the same Delta tables, in one run.
# Not part of CI. Generates the data once into .cache/tpch/sf<SF> with tpchgen-cli
# (requirements/bench.txt, installed into .venv here).
# Usage: bash bench/tpch/run.sh [--sf 1] [--warmup 1] [--repeat 3] [--spark-warmup 1]
#        [--spark-repeat 3] [--queries q01,q06] [--no-spark]
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
exec node --import tsx bench/tpch/bench.ts "$@"
