"""Adversarial texts: is every stage of routing linear in the text's length?

Texts are built from every phrase the rule files hold — lexicon ``say`` phrases, setting nouns,
background markers, request markers, framing words, fact phrases and scope-screen phrases —
each repeated to 5,000 characters, with and without a clause separator between the copies; plus
pairs (a setting noun beside a lexicon phrase, a background marker beside one), long runs of
punctuation, markup and spaces in front of a phrase, and spaced-out letters.

1. Every text is routed once at 5,000 characters (the longest accepted) and its time kept.
2. The 40 slowest generators are timed at 1k, 2k, 4k and 5k characters (best of 3 each); the
   growth per doubling is t(4k) / t(2k).

Targets (issue "Hardening"): growth per doubling ≤ 2.2× (linear is 2×), worst time at 5k
≤ 50 ms. Run from the repository root:

    .venv/bin/python benchmarks/bench_adversarial.py            # all generators
    .venv/bin/python benchmarks/bench_adversarial.py --quick    # every 7th phrase (for a quick look)

Exits 0; prints the figures and the command that reproduces them.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from collections.abc import Callable, Iterator

from dutyroute import Router, load_rules
from dutyroute.routing.router import MAX_TEXT_CHARS

LENGTHS = (1000, 2000, 4000, 5000)


def repeat_to(unit: str, n: int) -> str:
    """``unit`` repeated to exactly ``n`` characters."""
    if not unit:
        return ""
    return (unit * (n // len(unit) + 1))[:n]


def generators(quick: bool) -> Iterator[tuple[str, Callable[[int], str]]]:
    """(name, length → text) for every adversarial kind."""
    rules = load_rules()
    phrases: list[tuple[str, str]] = []
    for e in rules.lexicon:
        phrases += [(f"lexicon {e.id}", p.replace("…", "的")) for p in e.say]
    phrases += [("setting", p) for p in rules.setting]
    phrases += [("background", p) for p in rules.background]
    phrases += [("asks", p) for p in rules.asks]
    phrases += [("framing", p) for p in rules.framing]
    for f in rules.facts:
        for v in f.values:
            phrases += [(f"fact {f.name}={v.value}", p.replace("…", "的")) for p in v.say]
    for sc in rules.screens:
        phrases += [(f"scope {sc.id}", p.replace("…", "的")) for p in sc.say]
    if quick:
        phrases = phrases[::7]
    for kind, p in phrases:
        yield f"{kind}: {p} (glued)", lambda n, p=p: repeat_to(p, n)
        yield f"{kind}: {p} (clauses)", lambda n, p=p: repeat_to(p + "，", n)
    settings = rules.setting[:: 3 if quick else 1]
    lex = [e.say[0].replace("…", "的") for e in rules.lexicon][:: 5 if quick else 1]
    for s, p in zip(itertools.cycle(settings), lex, strict=False):
        yield f"setting+lexicon: {s} {p}", lambda n, s=s, p=p: repeat_to(f"{s}里{p}，", n)
    for b, p in zip(itertools.cycle(rules.background), lex, strict=False):
        yield f"background+lexicon: {b} {p}", lambda n, b=b, p=p: repeat_to(f"{b}{p}，", n)
    for a, p in zip(itertools.cycle(rules.asks), lex[::3], strict=False):
        yield f"asks+lexicon: {a} {p}", lambda n, a=a, p=p: repeat_to(f"{a}{p}，", n)
    for mark in ("，", "。", "！", "&amp;", "<", "<b>", " ", "\u3000", "…", "——"):
        yield f"run of {mark!r} then straw", lambda n, m=mark: repeat_to(m, n - 6) + "地里烧秸秆了"
    yield "spaced letters", lambda n: repeat_to("K T V ", n)
    yield "spaced digits", lambda n: repeat_to("1 2 3 4 5 ", n)
    yield "digits", lambda n: repeat_to("13812345678", n)
    yield "title markers", lambda n: repeat_to("标题：低保 内容：", n)


def timed(router: Router, text: str, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            router.route(text)
        except Exception as exc:  # a documented refusal is fine; anything else is a bug to report
            from dutyroute.errors import DutyrouteError

            if not isinstance(exc, DutyrouteError):
                raise
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="every 7th phrase only")
    ap.add_argument("--top", type=int, default=40, help="generators timed at every length")
    args = ap.parse_args()
    assert max(LENGTHS) <= MAX_TEXT_CHARS
    router = Router.default()
    router.route("预热一下，地里烧秸秆")
    gens = list(generators(args.quick))
    t0 = time.perf_counter()
    at5k = sorted(((timed(router, make(5000)), name, make) for name, make in gens), key=lambda t: -t[0])
    scan = time.perf_counter() - t0
    print(f"{len(gens)} generators routed at 5,000 characters in {scan:.1f} s")
    print(f"slowest at 5k: {at5k[0][0] * 1000:.1f} ms ({at5k[0][1]})")
    rows = []
    for _, name, make in at5k[: args.top]:
        ts = [timed(router, make(n), repeat=3) for n in LENGTHS]
        rows.append((name, ts, ts[2] / ts[1] if ts[1] > 0 else float("nan")))
    print(f"\n{'generator':60s} " + " ".join(f"{n // 1000}k ms".rjust(8) for n in LENGTHS) + "  ×/doubling")
    for name, ts, g in rows:
        print(f"{name[:60]:60s} " + " ".join(f"{t * 1000:8.2f}" for t in ts) + f"  {g:6.2f}")
    worst_growth = max(g for _, _, g in rows)
    worst_5k = max(ts[-1] for _, ts, _ in rows)
    print(f"\nworst growth per doubling (2k→4k): {worst_growth:.2f}× (target ≤ 2.2×)")
    print(f"worst time at 5k: {worst_5k * 1000:.1f} ms (target ≤ 50 ms)")
    print(
        f"load average {os.getloadavg()[0]:.2f}; reproduce: {sys.executable} benchmarks/bench_adversarial.py"
        + (" --quick" if args.quick else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
