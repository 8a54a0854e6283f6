"""Benchmark the router on real citizen messages: throughput, latency, cold start, peak memory.

    python benchmarks/bench_route.py [--messages 2000] [--passes 5] [--cold-runs 7] [--shared ../shared]

Targets (the routing issue "Routing learns from labeled incidents"): 2,000 messages from
``../shared/realdata`` routed in one process in under 2 s after warm-up (≥ 1,000 messages/s), p99
per route ≤ 5 ms; cold start (import + load + index) under 1 s; peak memory ≤ 200 MB. The
messages are the first N ``留言详情`` of the 2020 TipDM test file (public complaint texts, ~370
characters on average); they are read at run time and never copied into the repo.

What is measured, and how:

- **cold start**: ``--cold-runs`` fresh interpreters, each timing three phases of what
  ``Router.default()`` does: *import* (``from dutyroute import Router, load_rulebook, load_rules``:
  the modules routing needs), *load* (``load_rulebook()`` + ``load_rules()``: the YAML of the
  rulebook and the rule files, validated) and *index* (``Router(rulebook, rules)``: rule checks,
  the BM25 and concept index, the phrase automaton). Each phase is reported as the median over
  the runs (the machine has 2 cores and start-up is noisy), and so is their per-run total. The
  first route after that, and the interpreter's own start, are shown but are not part of the target.
- **routing**: after a warm-up of 200 messages, ``--passes`` passes over all the messages in this
  process; the total of the median pass is the number held against the target (the best and worst
  passes are shown too, with the process CPU time, so a busy machine shows up as wall ≫ CPU).
  p50 / p99 / max per route are over every route of every pass; throughput is messages per second
  of the median pass.
- **peak memory**: this process's maximum resident set size after loading, warming up and routing
  every pass (``ru_maxrss``); the cold-start children report theirs after building the router.

Where ``../shared`` is absent (a clone without the shared folder) the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO.parent / "shared"
MESSAGES_FILE = "realdata/tipdm2020c_test_unlabeled_2801.csv"
WARM_UP = 200
TARGETS = {"routing_s": 2.0, "p99_ms": 5.0, "cold_start_s": 1.0, "peak_rss_mb": 200.0}

COLD_START = """
import json, resource, time
t0 = time.perf_counter()
from dutyroute import Router, load_rulebook, load_rules
t1 = time.perf_counter()
rulebook = load_rulebook()
rules = load_rules()
t2 = time.perf_counter()
router = Router(rulebook, rules)
t3 = time.perf_counter()
router.route("村西头有人在自家地里烧麦秸")
t4 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "index": t3 - t2, "first_route": t4 - t3,
                  "rss_mb": rss}))
"""


def cold_start(runs: int) -> dict[str, float]:
    """Medians (seconds; rss in MB) over ``runs`` fresh interpreters."""
    samples: list[dict[str, float]] = []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", COLD_START], capture_output=True, text=True, check=True
        ).stdout
        wall = time.perf_counter() - t
        parts = json.loads(out.strip().splitlines()[-1])
        parts["total"] = parts["import"] + parts["load"] + parts["index"]
        parts["process_wall"] = wall
        samples.append(parts)
    med = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
    med["total_min"] = min(s["total"] for s in samples)
    med["total_max"] = max(s["total"] for s in samples)
    med["runs"] = runs
    return med


def reproduce_command(args: argparse.Namespace) -> str:
    exe = Path(sys.executable)
    try:
        python = os.path.relpath(exe, Path.cwd()) if exe.is_relative_to(Path.cwd()) else "python"
    except ValueError:
        python = "python"
    script = os.path.relpath(Path(__file__).resolve(), Path.cwd())
    words = [python, script, "--messages", str(args.messages), "--passes", str(args.passes)]
    words += ["--cold-runs", str(args.cold_runs)]
    if args.shared.resolve() != DEFAULT_SHARED.resolve():
        words += ["--shared", str(args.shared)]
    return shlex.join(words)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in [0, 100])."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--messages", type=int, default=2000, help="messages to route (default 2000)")
    ap.add_argument("--passes", type=int, default=5, help="timed passes over the messages (default 5)")
    ap.add_argument("--cold-runs", type=int, default=7, help="fresh interpreters for cold start (default 7)")
    ap.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED, help="the shared folder (default: ../shared)"
    )
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = ap.parse_args()
    if args.messages < 1 or args.passes < 1 or args.cold_runs < 1:
        ap.error("--messages, --passes and --cold-runs must be at least 1")

    source = args.shared / MESSAGES_FILE
    if not source.is_file():
        print(
            f"bench_route: {MESSAGES_FILE} not found under {args.shared} — the shared folder "
            "(../shared) is absent; nothing to measure. Pass --shared DIR if it lives elsewhere."
        )
        return 0
    with source.open(encoding="utf-8") as fh:
        texts = [row["留言详情"] for row in csv.DictReader(fh)][: args.messages]

    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cold = cold_start(args.cold_runs)

    from dutyroute import IncidentTextError, Router

    router = Router.default()
    for text in texts[:WARM_UP]:
        try:
            router.route(text)
        except IncidentTextError:
            pass

    per_route: list[float] = []
    passes: list[tuple[float, float]] = []  # (wall, cpu) per pass
    statuses: dict[str, int] = {}
    rejected = 0
    clock = time.perf_counter
    for n in range(args.passes):
        c0, t0 = time.process_time(), clock()
        for text in texts:
            t = clock()
            try:
                d = router.route(text)
                if n == 0:
                    statuses[d.status] = statuses.get(d.status, 0) + 1
            except IncidentTextError:
                if n == 0:
                    rejected += 1
            per_route.append(clock() - t)
        passes.append((clock() - t0, time.process_time() - c0))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB

    walls = sorted(w for w, _ in passes)
    median_wall = statistics.median(walls)
    median_cpu = statistics.median(c for _, c in passes)
    per_route.sort()
    result: dict[str, Any] = {
        "command": reproduce_command(args),
        "messages": len(texts),
        "avg_chars": sum(map(len, texts)) / len(texts),
        "load_average_1min": load_avg,
        "routing": {
            "passes": args.passes,
            "median_pass_s": median_wall,
            "best_pass_s": walls[0],
            "worst_pass_s": walls[-1],
            "median_pass_cpu_s": median_cpu,
            "messages_per_s": len(texts) / median_wall,
            "per_route_p50_ms": percentile(per_route, 50) * 1e3,
            "per_route_p99_ms": percentile(per_route, 99) * 1e3,
            "per_route_max_ms": per_route[-1] * 1e3,
            "statuses": statuses,
            "rejected_empty_or_too_long": rejected,
        },
        "cold_start": {
            "runs": args.cold_runs,
            "median_total_s": cold["total"],
            "min_total_s": cold["total_min"],
            "max_total_s": cold["total_max"],
            "median_import_s": cold["import"],
            "median_load_s": cold["load"],
            "median_index_s": cold["index"],
            "median_first_route_s": cold["first_route"],
            "median_process_wall_s": cold["process_wall"],
            "median_rss_after_build_mb": cold["rss_mb"],
        },
        "peak_rss_mb": peak_mb,
        "targets": TARGETS,
    }
    ok = {
        "routing": median_wall < TARGETS["routing_s"],
        "p99": result["routing"]["per_route_p99_ms"] <= TARGETS["p99_ms"],
        "cold_start": cold["total"] < TARGETS["cold_start_s"],
        "memory": peak_mb <= TARGETS["peak_rss_mb"],
    }
    result["within_targets"] = ok
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0

    def verdict(flag: bool) -> str:
        return "ok" if flag else "OVER TARGET"

    r, c = result["routing"], result["cold_start"]
    print(f"reproduce: {result['command']}")
    print(
        f"messages: {len(texts)} from {MESSAGES_FILE} (avg {result['avg_chars']:.0f} chars); "
        f"load average at start {load_avg:.2f} on {os.cpu_count()} cores"
    )
    print(
        f"routing, {args.passes} passes after a {WARM_UP}-message warm-up: median pass {median_wall:.3f} s "
        f"(target < {TARGETS['routing_s']:g} s: {verdict(ok['routing'])}); best {walls[0]:.3f} s, "
        f"worst {walls[-1]:.3f} s; CPU {median_cpu:.3f} s; {r['messages_per_s']:.0f} messages/s"
    )
    print(
        f"  per route: p50 {r['per_route_p50_ms']:.2f} ms, p99 {r['per_route_p99_ms']:.2f} ms "
        f"(target ≤ {TARGETS['p99_ms']:g} ms: {verdict(ok['p99'])}), max {r['per_route_max_ms']:.2f} ms "
        f"(over {len(per_route)} routes)"
    )
    print(f"  statuses: {statuses}; rejected (empty or > 5,000 chars): {rejected}")
    print(
        f"cold start, median of {args.cold_runs} fresh interpreters: {c['median_total_s']:.3f} s "
        f"(target < {TARGETS['cold_start_s']:g} s: {verdict(ok['cold_start'])}) = import "
        f"{c['median_import_s']:.3f} s + load {c['median_load_s']:.3f} s + index "
        f"{c['median_index_s']:.3f} s; "
        f"range {c['min_total_s']:.3f}–{c['max_total_s']:.3f} s"
    )
    print(
        f"  then first route {c['median_first_route_s'] * 1e3:.1f} ms; whole process "
        f"{c['median_process_wall_s']:.3f} s (with interpreter start); RSS after build "
        f"{c['median_rss_after_build_mb']:.0f} MB"
    )
    print(
        f"peak memory (max RSS of this process): {peak_mb:.0f} MB "
        f"(target ≤ {TARGETS['peak_rss_mb']:g} MB: {verdict(ok['memory'])})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
