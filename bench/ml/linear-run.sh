#!/usr/bin/env bash
# Logistic-regression benchmark: Lakebox vs scikit-learn LogisticRegression(lbfgs) on a synthetic
# binary problem (default 2M rows x 20 features, 80% train), same objective, same machine, same
# thread count, one run. Prints times, objectives, test log loss / AUC and the time ratio.
# Not part of CI. Needs the Python peers: `bash scripts/python-env.sh`.
# Usage: bash bench/ml/linear-run.sh [--rows 2000000] [--features 20] [--threads 2] [--C 1]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || bash scripts/python-env.sh
exec node --import tsx bench/ml/linear.ts "$@"
