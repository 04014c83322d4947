#!/usr/bin/env bash
# Regenerates packages/connect/generated/spark-connect.desc (a protobuf FileDescriptorSet) from the
# Spark Connect protocol compiled into the pinned `pyspark` wheel (requirements/connect.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python scripts/gen-spark-connect.py packages/connect/generated/spark-connect.desc
