"""delta-rs (deltalake) side of bench/delta: the same operations the Lakebox side times.

Usage: python deltars_bench.py write SRC.parquet DEST
       python deltars_bench.py read DEST COLUMN LIMIT REPEAT       (rows with COLUMN < LIMIT)
       python deltars_bench.py open DEST REPEAT
Prints one JSON object with the timings in seconds.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from importlib.metadata import version


def main() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from deltalake import DeltaTable, QueryBuilder, write_deltalake

    cmd = sys.argv[1]
    out: dict[str, object] = {"deltalake": version("deltalake"), "pyarrow": version("pyarrow")}
    if cmd == "write":
        src, dest = sys.argv[2], sys.argv[3]
        t = time.perf_counter()
        data = pq.read_table(src)
        write_deltalake(dest, data, mode="append")
        out["seconds"] = time.perf_counter() - t
        out["rows"] = data.num_rows
    elif cmd == "read":
        dest, col, limit, repeat = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        times, rows = [], 0
        for i in range(repeat + 1):  # the first run warms up and is not counted
            t = time.perf_counter()
            dt = DeltaTable(dest)
            # delta-rs's own query engine (DataFusion): faster here than a pyarrow dataset scan.
            sql = f'SELECT * FROM t WHERE "{col}" < {limit}'
            table = pa.table(QueryBuilder().register("t", dt).execute(sql).read_all())
            # Materialise the rows as Python objects, as the Lakebox side does with JS objects.
            rows = len(table.to_pylist())
            if i > 0:
                times.append(time.perf_counter() - t)
        out["seconds"] = statistics.median(times)
        out["all"] = times
        out["rows"] = rows
    elif cmd == "open":
        dest, repeat = sys.argv[2], int(sys.argv[3])
        times, files, ver = [], 0, -1
        for i in range(repeat + 1):  # the first run warms up and is not counted
            t = time.perf_counter()
            dt = DeltaTable(dest)
            files = len(dt.file_uris())
            ver = dt.version()
            if i > 0:
                times.append(time.perf_counter() - t)
        out["seconds"] = statistics.median(times)
        out["all"] = times
        out["files"] = files
        out["version"] = ver
    else:
        raise SystemExit(f"unknown command {cmd}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
