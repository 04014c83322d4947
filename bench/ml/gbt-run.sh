#!/usr/bin/env bash
# GBT benchmark: Lakebox gradient boosting vs LightGBM and XGBoost (hist) on flights-3m (delay > 15
# min), 100 trees, 255 leaves, learning rate 0.1, same machine, same thread count, one run. Prints
# times, AUCs and ratios. Not part of CI. Needs the Python peers: `bash scripts/python-env.sh`.
# Usage: bash bench/ml/gbt-run.sh [--rows 3000000] [--threads 2]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || bash scripts/python-env.sh
exec node --import tsx bench/ml/gbt.ts "$@"
