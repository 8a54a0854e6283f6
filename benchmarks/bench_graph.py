"""Benchmark the responsibility graph on the bundled rulebook (237 matters).

    python benchmarks/bench_graph.py [--repeat 50]

Prints the median and best wall time of: building the graph (build_graph and the query wrapper
ResponsibilityGraph), the integrity check, typical queries, and one SVG picture. The graph is built
whenever a router or a CLI command starts, so its build time is the number to watch (target: a few
milliseconds; well under the rulebook's own load time).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from dutyroute.graph import ResponsibilityGraph, build_graph, draw_neighbourhood
from dutyroute.store.rulebook import load_rulebook


def timed(label: str, fn: Callable[[], object], repeat: int) -> None:
    fn()  # warm: imports, caches
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    pad = 44 - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in label)
    median, best = statistics.median(runs) * 1e3, min(runs) * 1e3
    print(f"{label}{' ' * max(pad, 1)} median {median:8.2f} ms   best {best:8.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=50)
    args = ap.parse_args()

    rb = load_rulebook()
    rg = ResponsibilityGraph(rb)
    print(f"{rg!r}")
    timed("build_graph(rulebook)", lambda: build_graph(rb), args.repeat)
    timed("ResponsibilityGraph(rulebook)", lambda: ResponsibilityGraph(rb), args.repeat)
    timed("check() (all invariants)", rg.check, args.repeat)
    timed("matters_of('县公安局')", lambda: rg.matters_of("县公安局"), args.repeat)
    timed("bodies_of('C40')", lambda: rg.bodies_of("C40"), args.repeat)
    timed("resolve_body('县应急管理') (fuzzy)", lambda: rg.resolve_body("县应急管理"), args.repeat)
    timed("workload()", rg.workload, args.repeat)
    timed("node_link() (export data)", rg.node_link, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ps.svg"
        timed(
            "draw_neighbourhood(body='县公安局') → SVG",
            lambda: draw_neighbourhood(rg, out, body="县公安局"),
            5,
        )


if __name__ == "__main__":
    main()
