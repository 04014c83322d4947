#!/usr/bin/env bash
# Delta benchmark: Lakebox vs delta-rs (deltalake) on this machine, in one run; prints a table of
# times and ratios. Not part of CI. Needs the Python peers: `bash scripts/python-env.sh`.
# Usage: bash bench/delta/run.sh [--rows 10000000] [--commits 10000] [--repeat 3]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || bash scripts/python-env.sh
exec node --import tsx bench/delta/bench.ts "$@"
