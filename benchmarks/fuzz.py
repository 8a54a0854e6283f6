"""Fuzz the router: many generators of hostile input, counting decisions, documented errors and
unexpected exceptions (which must be 0).

Documented errors of ``Router.route`` (its docstring): IncidentTextError (empty or too long text),
NotFoundError (unknown fact or value), TypeError (text not a string, facts not a mapping of
strings, limit not an int) and ValueError (negative limit). Anything else is a bug.

    .venv/bin/python benchmarks/fuzz.py                     # 100,000 inputs (about a minute)
    .venv/bin/python benchmarks/fuzz.py --n 20000 --seed 7  # another sample
    .venv/bin/python benchmarks/fuzz.py --seconds 60        # stop after a minute whatever --n says

Exits 1 when an unexpected exception occurred (each kind printed once, with the input's repr).
"""

from __future__ import annotations

import argparse
import collections
import math
import random
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from dutyroute import Router, load_rules
from dutyroute.errors import IncidentTextError, NotFoundError
from dutyroute.routing.router import MAX_RAW_CHARS, MAX_TEXT_CHARS

DOCUMENTED = (IncidentTextError, NotFoundError, TypeError, ValueError)


def make_generators(rng: random.Random) -> dict[str, Callable[[], tuple[Any, dict[str, Any]]]]:
    rules = load_rules()
    phrases = [p.replace("…", "") for e in rules.lexicon for p in e.say]
    facts = {f.name: [v.value for v in f.values] for f in rules.facts}
    words = phrases + list(rules.setting) + list(rules.background) + list(rules.asks) + list(rules.framing)
    cjk = [chr(c) for c in range(0x4E00, 0x9FA5)]
    punct = list("，。！？；：、…—·“”‘’（）《》【】,.!?;:()[]{}<>/\\|@#$%^&*~`'\"-_=+")
    weird = ["\u200b", "\ufeff", "\x00", "\x1b", "\u202e", "\ud800", "\udfff", "\u3000"]
    weird += ["\r", "\t", "\n", "\x85"]
    emoji = ["😀", "🔥", "🚜", "👍", "🙏", "\U0001f600\u200d\U0001f525", "🇨🇳"]
    markup = ["<p>", "</p>", "<br/>", "&nbsp;", "&amp;", "&lt;", "&#x4e00;", "&#99999999;", "<", ">", "&"]
    codes = ["12345", "110", "120", "G109", "X308", "S203"]
    bad_facts: list[Any] = [{"no_such_fact": "x"}, {"road_class": None}, {"road_class": 3}]
    bad_facts += [{"road_class": "高速火星道"}, ["road_class"], "road_class=县道", {1: "县道"}]
    limits: list[Any] = [0, 1, 3, 50, -1, 2.5, "5", None, True, math.inf, 10**9]
    not_str: list[Any] = [None, 42, 3.14, b"\xe7\x83\xa7", ["烧秸秆"], {"text": "烧秸秆"}, object()]
    spaced = [*words, "K", "T", "V", "1", "2", "3"]
    folded = ["燒秸稈", "ＫＴＶ", "１２３４５", "縣道", "噪音擾民", "垃圾亂倒"]

    def rand(n: int) -> int:
        return rng.randrange(1, n)

    def chars(lo: int, hi: int, n: int) -> str:
        return "".join(chr(rng.randrange(lo, hi)) for _ in range(n))

    def pick(pool: list[str], n: int) -> str:
        return "".join(rng.choice(pool) for _ in range(n))

    def mix(n: int) -> str:
        pools = (phrases, cjk, punct, weird, emoji, words)
        return "".join(rng.choice(rng.choice(pools)) for _ in range(n))

    def one(text: Any, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        return text, kwargs

    def repeated() -> tuple[Any, dict[str, Any]]:
        return one((rng.choice(words) + rng.choice(["", "，", " "])) * rand(1200))

    def near_limit() -> tuple[Any, dict[str, Any]]:
        return one("烧秸秆" * (rng.choice([MAX_TEXT_CHARS, MAX_RAW_CHARS]) // 3 + rng.randrange(-2, 3)))

    def valid_facts() -> tuple[Any, dict[str, Any]]:
        chosen = rng.sample(sorted(facts.items()), rand(4))
        return one(rng.choice(phrases), facts={k: rng.choice(v) for k, v in chosen})

    gens: dict[str, Callable[[], tuple[Any, dict[str, Any]]]] = {
        "random unicode": lambda: one(chars(0x20, 0x30000, rand(80))),
        "random BMP incl. surrogates": lambda: one(chars(0, 0x10000, rand(60))),
        "phrase salad": lambda: one(mix(rand(40))),
        "long phrase salad": lambda: one(mix(rng.randrange(200, 1500))),
        "one phrase repeated to the limit": repeated,
        "punctuation runs": lambda: one(pick(punct, rand(3000)) + rng.choice(phrases)),
        "html and entities": lambda: one(pick(markup, rand(500)) + rng.choice(phrases)),
        "numbers and ids": lambda: one(
            rng.choice(phrases) + pick(list("0123456789-+ "), rand(60)) + rng.choice(codes)
        ),
        "spaced characters": lambda: one(" ".join(rng.choice(spaced) for _ in range(rand(40)))),
        "near the length limits": near_limit,
        "whitespace only": lambda: one(pick([" ", "\u3000", "\t", "\n", "\u200b"], rng.randrange(0, 30))),
        "traditional and full-width": lambda: one(pick(folded, rand(10))),
        "valid facts": valid_facts,
        "bad facts": lambda: one(rng.choice(phrases), facts=rng.choice(bad_facts)),
        "odd limits": lambda: one(rng.choice(phrases), limit=rng.choice(limits)),
        "not a string": lambda: one(rng.choice(not_str)),
    }
    return gens


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="inputs (default 100,000)")
    ap.add_argument("--seed", type=int, default=20261203)
    ap.add_argument("--seconds", type=float, default=600.0, help="stop after this long (default 600)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    router = Router.default()
    gens = make_generators(rng)
    names = sorted(gens)
    stats: dict[str, collections.Counter[str]] = {g: collections.Counter() for g in names}
    unexpected: dict[str, tuple[str, str]] = {}
    t0 = time.perf_counter()
    done = 0
    slowest = (0.0, "")
    for i in range(args.n):
        if time.perf_counter() - t0 > args.seconds:
            break
        g = names[i % len(names)]
        text, kwargs = gens[g]()
        t = time.perf_counter()
        try:
            d = router.route(text, **kwargs)
            stats[g][d.status] += 1
        except DOCUMENTED as exc:
            stats[g]["documented " + type(exc).__name__] += 1
        except Exception as exc:  # a bug: keep one example per kind
            key = f"{type(exc).__name__} in {g}"
            stats[g]["UNEXPECTED"] += 1
            unexpected.setdefault(key, (repr(text)[:200], traceback.format_exc(limit=3)))
        dt = time.perf_counter() - t
        if dt > slowest[0]:
            slowest = (dt, g)
        done += 1
    elapsed = time.perf_counter() - t0
    total: collections.Counter[str] = collections.Counter()
    for g in names:
        total.update(stats[g])
        print(f"{g:38s} " + ", ".join(f"{k} {v}" for k, v in sorted(stats[g].items())))
    n_unexp = total.pop("UNEXPECTED", 0)
    decisions = sum(v for k, v in total.items() if not k.startswith("documented"))
    documented = sum(v for k, v in total.items() if k.startswith("documented"))
    print(
        f"\n{done:,} inputs from {len(names)} generators in {elapsed:.1f} s "
        f"({done / elapsed:,.0f}/s; slowest {slowest[0] * 1000:.1f} ms, {slowest[1]})"
    )
    print(f"decisions {decisions:,}, documented errors {documented:,}, unexpected exceptions {n_unexp}")
    for key, (example, tb) in unexpected.items():
        print(f"\nUNEXPECTED {key}: {example}\n{tb}")
    print(f"reproduce: {sys.executable} benchmarks/fuzz.py --n {args.n} --seed {args.seed}")
    return 1 if n_unexp else 0


if __name__ == "__main__":
    sys.exit(main())
