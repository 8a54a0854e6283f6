"""Score routing decisions against labeled incidents (the rules of ``../shared/cases/README.md``).

A labeled case::

    {"id": "d001", "text": "…",
     "accept": [{"matter": "C40", "acting": ["县公安局"], "cooperating": ["小京庄乡"], "reclaimed": false}],
     "clarify": null | {"fact": "road_class", "options": {"县道": 0, "村道": 1}},
     "tags": [...], "note": "…"}

Scoring, per case:

- in scope (``accept`` not empty): a ``routed`` decision is right when its matter, the *set* of
  acting bodies and the reclaimed flag equal one accepted route; a ``needs_clarification``
  decision is right on a case with ``clarify`` when one of its options equals an accepted route
  (and wrong on a case without); ``unmatched`` is wrong (counted as *wrongly unmatched*).
- out of scope (``accept: []``): only ``unmatched`` is right.
- cooperating bodies are scored separately: on the in-scope cases whose route is right, the set
  of cooperating bodies must equal that accepted route's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .decision import Decision
from .errors import DutyrouteError

__all__ = [
    "CaseFormatError",
    "CaseResult",
    "EvalReport",
    "LabeledCase",
    "evaluate",
    "read_cases",
    "score_case",
]


class CaseFormatError(DutyrouteError, ValueError):
    """A line of a labeled-cases or batch file is not valid (``file:line: what``)."""

    def __init__(self, reason: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        self.reason = reason
        self.path = path
        self.line = line
        where = f"{path}:{line}: " if path is not None and line is not None else ""
        super().__init__(f"{where}{reason}")


@dataclass(frozen=True, slots=True)
class LabeledCase:
    """One labeled incident."""

    id: str
    text: str
    accept: tuple[Mapping[str, Any], ...]
    clarify: Mapping[str, Any] | None
    tags: tuple[str, ...] = ()
    note: str = ""
    line: int = 0

    @property
    def out_of_scope(self) -> bool:
        """True when no list covers the case (``accept: []``)."""
        return not self.accept


@dataclass(frozen=True, slots=True)
class CaseResult:
    """How one decision scored."""

    case: LabeledCase
    decision: Decision
    right: bool
    wrongly_unmatched: bool
    cooperating_right: bool | None  # None where not scored


@dataclass(slots=True)
class EvalReport:
    """Totals over a labeled file; ``misses`` holds the wrong cases in file order."""

    results: list[CaseResult] = field(default_factory=list)

    def _count(self, pred: Any) -> int:
        return sum(1 for r in self.results if pred(r))

    @property
    def metrics(self) -> dict[str, Any]:
        """``{name: (right, total)}`` pairs plus ``route_accuracy`` in [0, 1]."""
        total = len(self.results)
        inscope = [r for r in self.results if not r.case.out_of_scope]
        clar = [r for r in inscope if r.case.clarify]
        oos = [r for r in self.results if r.case.out_of_scope]
        coop = [r for r in inscope if r.cooperating_right is not None]
        right = self._count(lambda r: r.right)
        return {
            "cases": total,
            "route_accuracy": right / total if total else 0.0,
            "routes_right": (right, total),
            "in_scope_right": (sum(r.right for r in inscope), len(inscope)),
            "clarify_cases_right": (sum(r.right for r in clar), len(clar)),
            "asked_on_clarify_cases": (
                sum(r.decision.status == "needs_clarification" for r in clar),
                len(clar),
            ),
            "out_of_scope_recognised": (sum(r.right for r in oos), len(oos)),
            "wrongly_unmatched": sum(r.wrongly_unmatched for r in inscope),
            "cooperating_right": (sum(bool(r.cooperating_right) for r in coop), len(coop)),
        }

    @property
    def misses(self) -> list[CaseResult]:
        """Wrong cases, in file order."""
        return [r for r in self.results if not r.right]


def read_cases(path: str | Path) -> list[LabeledCase]:
    """Read a labeled JSONL file.

    Raises:
        CaseFormatError: a line is not a JSON object with ``id``, ``text`` and ``accept`` (file:line).
    """
    path = Path(path)
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise CaseFormatError(f"{path}: file not found") from None
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CaseFormatError(f"not JSON ({exc.msg})", path=path, line=n) from None
        if not isinstance(obj, dict) or "text" not in obj or "accept" not in obj:
            raise CaseFormatError("expected an object with 'id', 'text' and 'accept'", path=path, line=n)
        if not isinstance(obj["accept"], list):
            raise CaseFormatError("'accept' must be a list of routes", path=path, line=n)
        out.append(
            LabeledCase(
                id=str(obj.get("id", n)),
                text=str(obj["text"]),
                accept=tuple(obj["accept"]),
                clarify=obj.get("clarify"),
                tags=tuple(obj.get("tags") or ()),
                note=str(obj.get("note", "")),
                line=n,
            )
        )
    return out


def _same(route: Mapping[str, Any], matter: str | None, acting: Iterable[str], reclaimed: bool) -> bool:
    return (
        route.get("matter") == matter
        and set(route.get("acting") or ()) == set(acting)
        and bool(route.get("reclaimed", False)) == bool(reclaimed)
    )


def score_case(case: LabeledCase, d: Decision) -> CaseResult:
    """Score one decision against one labeled case (rules in the module docstring)."""
    if case.out_of_scope:
        return CaseResult(case, d, d.status == "unmatched", False, None)
    if d.status == "unmatched":
        return CaseResult(case, d, False, True, None)
    if d.status == "needs_clarification":
        right = (
            bool(case.clarify)
            and d.clarify is not None
            and any(_same(a, o.matter, o.acting, o.reclaimed) for o in d.clarify.options for a in case.accept)
        )
        return CaseResult(case, d, right, False, None)
    match = next((a for a in case.accept if _same(a, d.matter, d.acting, d.reclaimed)), None)
    coop = None if match is None else set(match.get("cooperating") or ()) == set(d.cooperating)
    return CaseResult(case, d, match is not None, False, coop)


def evaluate(cases: Sequence[LabeledCase], decisions: Sequence[Decision]) -> EvalReport:
    """Score decisions (same order as cases)."""
    if len(cases) != len(decisions):
        raise ValueError(f"{len(cases)} cases but {len(decisions)} decisions")
    return EvalReport([score_case(c, d) for c, d in zip(cases, decisions, strict=False)])
