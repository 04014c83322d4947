#!/usr/bin/env bash
# Python UDF benchmark: the same PySpark program against Lakebox (lakebox start, Spark Connect,
# Python worker from .venv) and against a local Spark 4.0.1 (classic, local[2]), in one run on this
# machine; prints each workload's best time and the ratio. Not part of CI.
# Usage: bash bench/connect-udf/run.sh [ROWS=1000000] [REPEAT=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || bash scripts/python-env.sh
rows=${1:-1000000}
repeat=${2:-3}
dir=$(mktemp -d /tmp/lakebox-udf-bench.XXXXXX)
port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sc=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LAKEBOX_PYTHON="$PWD/.venv/bin/python" node packages/cli/bin/lakebox.js start --port "$port" \
  --spark-connect-port "$sc" --data "$dir/data" > "$dir/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 120); do grep -q '"service":"spark-connect"' "$dir/log" && break; sleep 0.5; done
token=$(grep -o 'lbx_[0-9a-f]\{64\}' "$dir/log" | head -1)
echo "machine: $(nproc) cores, load: $(uptime | sed 's/.*load average: //'), rows: $rows, best of $repeat"
lake=$(.venv/bin/python bench/connect-udf/udf_bench.py "sc://localhost:$sc/;token=$token" "$rows" "$repeat")
spark=$(SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$PWD/.venv/bin/python" .venv/bin/python bench/connect-udf/udf_bench.py local "$rows" "$repeat" 2>/dev/null)
.venv/bin/python - "$lake" "$spark" <<'PY'
import json, sys
lake, spark = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"| workload | Lakebox (s) | Spark local[2] (s) | Lakebox / Spark | same result |")
print("|---|---|---|---|---|")
for k in lake:
    a, b = lake[k], spark[k]
    same = abs(float(a["checksum"]) - float(b["checksum"])) <= 1e-6 * max(1.0, abs(float(b["checksum"])))
    print(f"| {k} | {a['seconds']} | {b['seconds']} | {a['seconds'] / b['seconds']:.2f}x | {'yes' if same else 'NO'} |")
PY
