#!/usr/bin/env bash
# Creates (or refreshes) .venv from requirements-test.txt: the Python peers the interoperability
# tests run for real (delta-rs, PySpark + delta-spark, mlflow, ...). Idempotent: does nothing when
# the requirements have not changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
req=requirements-test.txt
[ -f "$req" ] || { echo "no $req"; exit 0; }
stamp=.venv/.requirements.sha256
want=$(cat "$req" requirements/*.txt | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "python env up to date"; exit 0
fi
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip==24.3.1
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
echo "$want" > "$stamp"
echo "python env ready: $(.venv/bin/python --version)"
