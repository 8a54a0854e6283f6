"""The evaluation report: accuracy by list and by style, top-3 recall, confusion pairs, and how
well the confidence is calibrated (reliability table, expected calibration error, the share of
routes that clear the auto-dispatch threshold and how often those are right).

All of it is computed from labeled cases, their decisions and the decisions' confidences, so the
same report serves a labeled file (``dutyroute eval FILE``), the corpus's grouped cross-validation
(``dutyroute eval --cv 5``) and the real-message set joined by reference.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from ..model.decision import Decision
from .evaluate import LabeledCase, evaluate

__all__ = ["BINS", "report"]

BINS = 10
"""Bins of the reliability table (equal width over [0, 1])."""


def _list_of(case: LabeledCase) -> str:
    if not case.accept:
        return "out of scope"
    return {"B": "basic", "C": "cooperative", "R": "reclaimed"}.get(str(case.accept[0]["matter"])[:1], "?")


def _top3(case: LabeledCase, d: Decision) -> bool:
    ok = {str(a["matter"]) for a in case.accept}
    if not ok:
        return d.status == "unmatched" or not d.alternatives
    got = [d.matter] if d.matter else []
    if d.clarify is not None:
        got += [o.matter for o in d.clarify.options]
    got += [a.matter for a in d.alternatives]
    return bool(ok.intersection(list(dict.fromkeys(g for g in got if g))[:3]))


def _frac(right: int, total: int) -> dict[str, Any]:
    return {"right": right, "total": total, "accuracy": round(right / total, 4) if total else None}


def report(
    cases: Sequence[LabeledCase], decisions: Sequence[Decision], *, threshold: float | None = None
) -> dict[str, Any]:
    """The full evaluation report (plain data, JSON-ready).

    Args:
        cases: labeled cases.
        decisions: one decision per case, same order.
        threshold: the auto-dispatch threshold (default: each decision's own ``auto_dispatch``).

    Returns:
        ``metrics`` (those of :func:`dutyroute.tools.evaluate.evaluate`), ``by_list``, ``by_style``,
        ``by_writer`` (corpus cases: in grouped cross-validation, each writer held out),
        ``top3_recall``, ``confusions`` (the 20 commonest expected → got pairs), ``calibration``
        (``bins``: count, mean confidence and accuracy per bin; ``ece``; ``auto_dispatch``: share
        of all decisions and accuracy of those; ``at_0_8``: the same at confidence ≥ 0.8).
    """
    ev = evaluate(cases, decisions)
    right = [r.right for r in ev.results]
    by_list: dict[str, list[bool]] = defaultdict(list)
    by_style: dict[str, list[bool]] = defaultdict(list)
    by_writer: dict[str, list[bool]] = defaultdict(list)
    for c, r in zip(cases, right, strict=True):
        by_list[_list_of(c)].append(r)
        by_style[c.style or "?"].append(r)
        if c.writer:
            by_writer[c.writer].append(r)
    confusions: Counter[tuple[str, str]] = Counter()
    for c, d, r in zip(cases, decisions, right, strict=True):
        if r:
            continue
        expected = str(c.accept[0]["matter"]) if c.accept else "unmatched"
        got = d.matter or ("asks " + d.clarify.fact if d.clarify is not None else d.status)
        if got == expected:
            got += " (acting " + "、".join(d.acting) + ")"
        confusions[(expected, got)] += 1
    conf = [d.confidence for d in decisions]
    bins = []
    ece = 0.0
    for b in range(BINS):
        lo, hi = b / BINS, (b + 1) / BINS
        idx = [i for i, x in enumerate(conf) if lo <= x < hi or (b == BINS - 1 and x == 1.0)]
        if not idx:
            bins.append({"from": lo, "to": hi, "n": 0})
            continue
        mean = sum(conf[i] for i in idx) / len(idx)
        acc = sum(right[i] for i in idx) / len(idx)
        ece += len(idx) / len(conf) * abs(mean - acc)
        bins.append(
            {"from": lo, "to": hi, "n": len(idx), "confidence": round(mean, 4), "accuracy": round(acc, 4)}
        )
    auto = [
        i
        for i, d in enumerate(decisions)
        if (d.confidence >= threshold if threshold is not None else d.auto_dispatch)
    ]
    high = [i for i, x in enumerate(conf) if x >= 0.8]
    return {
        "metrics": ev.metrics,
        "by_list": {k: _frac(sum(v), len(v)) for k, v in sorted(by_list.items())},
        "by_style": {k: _frac(sum(v), len(v)) for k, v in sorted(by_style.items())},
        "by_writer": {k: _frac(sum(v), len(v)) for k, v in sorted(by_writer.items())},
        "top3_recall": _frac(sum(_top3(c, d) for c, d in zip(cases, decisions, strict=True)), len(cases)),
        "confusions": [{"expected": e, "got": g, "n": n} for (e, g), n in confusions.most_common(20)],
        "calibration": {
            "bins": bins,
            "ece": round(ece, 4),
            "auto_dispatch": {
                "share": round(len(auto) / len(conf), 4) if conf else 0.0,
                **_frac(sum(right[i] for i in auto), len(auto)),
            },
            "at_0_8": {
                "share": round(len(high) / len(conf), 4) if conf else 0.0,
                **_frac(sum(right[i] for i in high), len(high)),
            },
        },
    }
