"""Benchmark loading and compiling the bundled rulebook of 小京庄乡 (237 matters).

    python benchmarks/bench_rulebook.py [--repeat 20]

Prints median and best wall time of:

- cold start: a fresh interpreter that imports dutyroute and loads the bundled rulebook (the part
  of the router's < 1 s cold-start budget that belongs to the rulebook);
- load: ``load_rulebook(dir)`` in a warm process (PyYAML C loader + pydantic validation, no cache);
- hash: the content hash of a loaded rulebook;
- compile: parsing the seed text into a rulebook (``compile_rulebook``).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from dutyroute.store.compile import compile_rulebook
from dutyroute.store.resources import DEFAULT_TOWNSHIP, rules_dir
from dutyroute.store.rulebook import load_rulebook

SEED = Path(__file__).resolve().parents[1] / "seeds" / "zuoyun-xiaojingzhuang-duty-lists.txt"
COLD = (
    "import time; t = time.perf_counter(); "
    "from dutyroute import load_rulebook; rb = load_rulebook(); rb.hash; "
    "print(time.perf_counter() - t)"
)


def report(label: str, runs: list[float]) -> None:
    print(f"{label:<44} median {statistics.median(runs) * 1000:8.1f} ms   best {min(runs) * 1000:8.1f} ms")


def timed(label: str, fn: Callable[[], object], repeat: int) -> None:
    fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    report(label, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    cold = [
        float(subprocess.run([sys.executable, "-c", COLD], check=True, capture_output=True, text=True).stdout)
        for _ in range(max(3, args.repeat // 4))
    ]
    report("cold start: import dutyroute + load + hash", cold)
    directory = rules_dir() / DEFAULT_TOWNSHIP
    timed("load_rulebook(dir), warm process", lambda: load_rulebook(directory), args.repeat)
    rb = load_rulebook(directory)
    timed("hash of a fresh copy", lambda: rb.model_copy().hash, args.repeat)
    timed(
        "compile_rulebook(seed)",
        lambda: compile_rulebook(SEED, township="小京庄乡"),
        max(3, args.repeat // 4),
    )
    print(f"matters: {rb.counts()}  bodies: {len(rb.bodies)}  hash: {rb.hash}")


if __name__ == "__main__":
    main()
