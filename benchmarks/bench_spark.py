"""Benchmark ``dutyroute.spark.route_dataframe`` in Spark local mode against serial batch routing.

    python benchmarks/bench_spark.py [--rows 100000] [--master local[2]] [--shared ../shared]

Builds ``--rows`` incidents — the real messages of ``../shared/realdata`` (title + body of the 2020
TipDM test file) repeated as needed, or synthetic hotline texts where ``../shared`` is absent —
then times (1) ``dutyroute batch`` on them as JSONL in one process and (2) ``route_dataframe`` on a
DataFrame of them in ``--master`` (Spark session start reported apart), forced with a count per
status, and checks that both give the same number of rows per status. Needs the ``[spark]`` extra
and Java 17. Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import incidents

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    a = ap.parse_args()
    texts = incidents(a.shared, a.rows)

    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for i, t in enumerate(texts):
                fh.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "dutyroute", "batch", str(src), "-o", str(out)], stderr=subprocess.DEVNULL
        )
        serial = time.perf_counter() - t0
        serial_counts = collections.Counter(json.loads(line)["status"] for line in out.open(encoding="utf-8"))

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from dutyroute.spark import route_dataframe

    t0 = time.perf_counter()
    spark = (
        SparkSession.builder.master(a.master)
        .appName("dutyroute-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "2000")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter() - t0
    parts = max(2, spark.sparkContext.defaultParallelism * 2)
    df = spark.createDataFrame([(i, t) for i, t in enumerate(texts)], "id long, text string").repartition(
        parts
    )
    df.cache().count()  # the input in memory, so the timing is routing
    t0 = time.perf_counter()
    rows = route_dataframe(df).groupBy("status").count().collect()
    routed = time.perf_counter() - t0
    spark.stop()
    spark_counts = {r["status"]: r["count"] for r in rows}
    same = dict(serial_counts) == spark_counts
    print(
        json.dumps(
            {
                "rows": a.rows,
                "master": a.master,
                "serial_batch_s": round(serial, 1),
                "serial_rows_per_s": round(a.rows / serial),
                "spark_session_start_s": round(started, 1),
                "spark_route_s": round(routed, 1),
                "spark_rows_per_s": round(a.rows / routed),
                "speed_up": round(serial / routed, 2),
                "same_status_counts": same,
                "status_counts": spark_counts,
            },
            ensure_ascii=False,
        )
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
