"""Benchmark ``dutyroute batch --workers``: speed-up over one process, and identical output.

    python benchmarks/bench_batch.py [--lines 20000] [--workers 2] [--shared ../shared]

Writes a temporary JSONL of ``--lines`` incidents — the real messages of
``../shared/realdata/tipdm2020c_test_unlabeled_2801.csv`` (title + body) repeated as needed, or
synthetic hotline texts where ``../shared`` is absent — runs ``dutyroute batch`` on it with one
process and with ``--workers``, checks that the two outputs are byte-identical and prints the wall
times, lines per second and the speed-up. Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def incidents(shared: Path, n: int) -> list[str]:
    src = shared / "realdata" / "tipdm2020c_test_unlabeled_2801.csv"
    texts: list[str] = []
    if src.exists():
        csv.field_size_limit(10**7)
        with src.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                texts.append(f"{row.get('留言主题', '')}\n{row.get('留言详情', '')}".strip())
    if not texts:
        texts = [f"村东头有人烧秸秆，烟呛得人睡不着，第{i}次反映" for i in range(100)]
    return [texts[i % len(texts)] for i in range(n)]


def run(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "dutyroute", "batch", *args], check=False, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for i, t in enumerate(incidents(a.shared, a.lines)):
                fh.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
        serial = run([str(src), "-o", str(Path(tmp) / "one.jsonl")])
        parallel = run([str(src), "-o", str(Path(tmp) / "many.jsonl"), "--workers", str(a.workers)])
        same = (Path(tmp) / "one.jsonl").read_bytes() == (Path(tmp) / "many.jsonl").read_bytes()
    print(
        json.dumps(
            {
                "lines": a.lines,
                "workers": a.workers,
                "serial_s": round(serial, 2),
                "parallel_s": round(parallel, 2),
                "serial_lines_per_s": round(a.lines / serial),
                "parallel_lines_per_s": round(a.lines / parallel),
                "speed_up": round(serial / parallel, 2),
                "identical_output": same,
            }
        )
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
