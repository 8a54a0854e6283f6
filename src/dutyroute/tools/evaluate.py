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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CaseFormatError
from ..model.decision import Decision
from .batch import json_type
from .batch_io import iter_jsonl

if TYPE_CHECKING:
    from ..model.bodies import BodyRegistry
    from ..model.lists import Rulebook

__all__ = [
    "CaseFormatError",
    "CaseResult",
    "EvalReport",
    "LabeledCase",
    "check_cases",
    "evaluate",
    "read_cases",
    "read_cases_lenient",
    "score_case",
]


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
    writer: str = ""  # corpus only: who wrote it (grouped cross-validation keeps a writer in one fold)
    style: str = ""  # corpus only: villager, operator, grid, letter, online, chat, cadre, enterprise …
    source: str = ""  # corpus only: how it was made (written, probe …)

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


def read_cases(path: str | Path, *, encoding: str = "utf-8") -> list[LabeledCase]:
    """Read a labeled JSONL file (UTF-8; a byte-order mark is accepted).

    Args:
        path: the file.
        encoding: its text encoding, if not UTF-8 (e.g. ``gb18030``).

    Returns:
        The cases in file order.

    Raises:
        CaseFormatError: the file cannot be read (missing, a directory, another encoding — the
            message says how to convert it), or a line is not a JSON object with ``text`` (a
            string) and ``accept`` (a list); ``file:line`` (the first such line).
    """
    cases, errors = read_cases_lenient(path, encoding=encoding)
    if errors:
        raise errors[0]
    return cases


def read_cases_lenient(
    path: str | Path, *, encoding: str = "utf-8"
) -> tuple[list[LabeledCase], list[CaseFormatError]]:
    """Read a labeled JSONL file, keeping every good line and one error per bad line.

    Returns:
        (cases in file order, one :class:`CaseFormatError` per line that is not a case — blank
        lines are skipped, not errors).

    Raises:
        CaseFormatError: the file itself cannot be read (missing, a directory, UTF-16 …).
    """
    path = Path(path)
    out: list[LabeledCase] = []
    errors: list[CaseFormatError] = []
    for item in iter_jsonl(path, encoding=encoding):
        n = item.line
        if item.error is not None:
            if not item.error.startswith("blank line"):
                errors.append(CaseFormatError(item.error, path=path, line=n))
            continue
        try:
            out.append(_case(item.value, path, n))
        except CaseFormatError as exc:
            errors.append(exc)
    return out, errors


def _case(obj: Any, path: Path, n: int) -> LabeledCase:
    if not isinstance(obj, dict) or "text" not in obj or "accept" not in obj:
        got = (
            json_type(obj)
            if not isinstance(obj, dict)
            else "an object without " + " and ".join(repr(k) for k in ("text", "accept") if k not in obj)
        )
        raise CaseFormatError(
            f"expected an object with 'id', 'text' and 'accept', got {got}", path=path, line=n
        )
    if not isinstance(obj["text"], str):
        raise CaseFormatError(f"'text' must be a string, got {json_type(obj['text'])}", path=path, line=n)
    if not isinstance(obj["accept"], list) or not all(isinstance(a, dict) for a in obj["accept"]):
        raise CaseFormatError(
            f"'accept' must be a list of route objects, got {json_type(obj['accept'])}", path=path, line=n
        )
    clarify = obj.get("clarify")
    if clarify is not None and not isinstance(clarify, dict):
        raise CaseFormatError(
            f"'clarify' must be null or an object, got {json_type(clarify)}", path=path, line=n
        )
    return LabeledCase(
        id=str(obj["id"]) if obj.get("id") is not None else f"line {n}",
        text=obj["text"],
        accept=tuple(obj["accept"]),
        clarify=clarify,
        tags=tuple(str(t) for t in obj.get("tags") or ()) if isinstance(obj.get("tags") or (), list) else (),
        note=str(obj.get("note", "")),
        line=n,
        writer=str(obj.get("writer") or ""),
        style=str(obj.get("style") or ""),
        source=str(obj.get("source") or ""),
    )


def check_cases(
    cases: Sequence[LabeledCase],
    rulebook: Rulebook,
    *,
    path: str | Path | None = None,
) -> list[CaseFormatError]:
    """Labels that cannot be scored against ``rulebook``, one error each (``file:line: …``).

    A label naming a matter id the rulebook does not have (``C999``), a body that is not a
    canonical name (an unknown ``县公安厅`` or an alias such as ``县农业农村局``), a ``reclaimed``
    that is not true/false, or a ``clarify`` option pointing past ``accept`` would be scored as a
    miss whatever the router answers; a text the router refuses (empty, too long, without a word)
    would stop the run. Each is reported instead, with "did you mean" suggestions (rapidfuzz over
    the rulebook's matter ids and titles, and its canonical body names).

    Returns:
        Errors in file order; empty when every label can be scored.
    """
    from ..errors import IncidentTextError
    from ..model.bodies import BodyRegistry
    from ..routing.intake import checked_text

    registry = BodyRegistry(rulebook.bodies)
    matters = frozenset(m.id for m in rulebook.matters)
    canonical = frozenset(b.name for b in rulebook.bodies)
    out: list[CaseFormatError] = []
    for case in cases:
        problems = [
            *(
                p
                for i, route in enumerate(case.accept, 1)
                for p in _route_problems(route, i, rulebook, registry, matters, canonical)
            ),
            *_clarify_problems(case),
        ]
        try:
            checked_text(case.text)
        except IncidentTextError as exc:
            problems.append(f"text: {exc}")
        out.extend(CaseFormatError(p, path=path, line=case.line or None) for p in problems)
    return out


def _hint(options: Sequence[str]) -> str:
    return f"; did you mean {' / '.join(repr(o) for o in options)}?" if options else ""


def _route_problems(
    route: Any,
    i: int,
    rulebook: Rulebook,
    registry: BodyRegistry,
    matters: frozenset[str],
    canonical: frozenset[str],
) -> Iterator[str]:
    """What makes the ``i``-th accepted route of a label unscorable (see :func:`check_cases`;
    ``matters`` and ``canonical``: the rulebook's matter ids and canonical body names)."""
    from ..model.lists import suggest_matters

    where = f"accept #{i}"
    if not isinstance(route, Mapping):
        yield f'{where} must be an object like {{"matter": "C40", "acting": [...]}}, got {json_type(route)}'
        return
    mid = route.get("matter")
    if not isinstance(mid, str):
        yield f"{where}: 'matter' must be a matter id string (B96, C40, R50), got {json_type(mid)}"
    elif mid not in matters:
        yield f"{where}: unknown matter {mid!r}{_hint(suggest_matters(rulebook, mid))}"
    for key in ("acting", "cooperating"):
        names = route.get(key)
        if names is None:
            continue
        if not isinstance(names, list) or not all(isinstance(x, str) for x in names):
            yield f"{where}: '{key}' must be a list of body names, got {json_type(names)}"
            continue
        for name in names:
            if name in canonical:
                continue
            body = registry.get(name)
            if body is not None:
                yield (
                    f"{where}: {key} {name!r} is another name of {body.name!r}; "
                    "labels use canonical names (cases/README.md)"
                )
            else:
                yield f"{where}: {key}: unknown body {name!r}{_hint(registry.suggest(name))}"
    if "reclaimed" in route and not isinstance(route["reclaimed"], bool):
        yield f"{where}: 'reclaimed' must be true or false, got {json_type(route['reclaimed'])}"


def _clarify_problems(case: LabeledCase) -> Iterator[str]:
    """What makes a label's ``clarify`` unscorable: not {fact, options}, or an option past ``accept``.
    Its ``fact`` and option names are the labeler's words, not scored: a question is right when
    its answers lead to the accepted routes."""
    clarify = case.clarify
    if clarify is None:
        return
    if not isinstance(clarify, Mapping) or not isinstance(clarify.get("options"), Mapping):
        yield 'clarify must be null or {"fact": "road_class", "options": {"县道": 0, "村道": 1}}'
        return
    n = len(case.accept)
    for value, index in clarify["options"].items():
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
            have = f"{n} route(s) (0…{n - 1})" if n else "no routes"
            yield f"clarify option {value!r}: {index!r} is no index into accept, which has {have}"


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
