"""What a new version of the lists changes: a semantic diff of two rulebooks, and its routing impact.

:func:`diff_rulebooks` pairs the matters of two versions by content, not by number, so a row
dropped from a list shows as one ``removed`` and the rows after it as ``renumbered`` (same content,
new 序号) rather than as a cascade of removals and additions. Pairing, in order:

1. same list, same title (事项名称) — then 序号 may differ (``renumbered``);
2. same title on another list — ``moved``;
3. same list and 序号 with a similar title (character similarity ≥ :data:`RETITLE_SIMILARITY`) or
   the same duty clauses — ``retitled``;
4. the rest are ``removed`` (old) and ``added`` (new).

Paired matters are then compared field by field: ``retitled``, ``category_changed``,
``departments_changed`` (对应上级部门: added/removed, lead), ``receivers_changed`` (承接部门),
``clauses_changed`` (a body's clauses or the township's, with a character diff). Unchanged
matters give nothing. Each change names the matter (the new id, or the old one for ``removed``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..model.lists import Matter, Rulebook
from ..model.pairing import RETITLE_SIMILARITY, Row, pair_rows
from ..model.rules import Example, RuleSet

if TYPE_CHECKING:
    from ..routing.router import Router

__all__ = [
    "RETITLE_SIMILARITY",
    "Change",
    "RouteChange",
    "char_diff",
    "diff_rulebooks",
    "fit_rules",
    "matter_pairing",
    "routing_impact",
    "summary",
]


@dataclass(frozen=True)
class Change:
    """One change between two versions.

    Attributes:
        matter: the matter's id in the new version (the old id for ``removed``).
        kind: added, removed, moved, renumbered, retitled, clauses_changed, departments_changed,
            receivers_changed, category_changed.
        detail: what changed (``old``/``new`` ids, titles, lists; ``body`` and ``diff`` for
            clauses; ``added``/``removed`` bodies …), JSON-ready.
    """

    matter: str
    kind: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """``{"matter", "kind", …detail}``."""
        return {"matter": self.matter, "kind": self.kind, **self.detail}


def char_diff(old: str, new: str) -> str:
    """A compact character diff: unchanged runs kept, ``[-removed-]`` and ``{+added+}`` marked."""
    out: list[str] = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(old[a0:a1])
        if op in ("delete", "replace"):
            out.append(f"[-{old[a0:a1]}-]")
        if op in ("insert", "replace"):
            out.append(f"{{+{new[b0:b1]}+}}")
    return "".join(out)


def _blocks(m: Matter) -> dict[str, tuple[str, ...]]:
    """Each body's clauses in a matter (department or receiver blocks), plus the township's."""
    out: dict[str, tuple[str, ...]] = {}
    for b in (*m.departments, *m.receivers):
        out[b.body] = out.get(b.body, ()) + tuple(b.clauses)
    if m.township_clauses:
        out["(乡镇)"] = tuple(m.township_clauses)
    return out


def _compare(old: Matter, new: Matter) -> list[Change]:
    out: list[Change] = []
    if old.title != new.title:
        out.append(
            Change(
                new.id,
                "retitled",
                {"old_title": old.title, "new_title": new.title, "diff": char_diff(old.title, new.title)},
            )
        )
    if old.category != new.category:
        out.append(Change(new.id, "category_changed", {"old": old.category, "new": new.category}))
    if old.listed_departments != new.listed_departments:
        a, b = list(old.listed_departments), list(new.listed_departments)
        out.append(
            Change(
                new.id,
                "departments_changed",
                {
                    "old": a,
                    "new": b,
                    "added": [x for x in b if x not in a],
                    "removed": [x for x in a if x not in b],
                    "lead": {"old": a[0] if a else None, "new": b[0] if b else None},
                },
            )
        )
    ra, rb_ = [r.body for r in old.receivers], [r.body for r in new.receivers]
    if ra != rb_:
        out.append(
            Change(
                new.id,
                "receivers_changed",
                {
                    "old": ra,
                    "new": rb_,
                    "added": [x for x in rb_ if x not in ra],
                    "removed": [x for x in ra if x not in rb_],
                },
            )
        )
    before, after = _blocks(old), _blocks(new)
    for body in dict.fromkeys([*before, *after]):
        a_text, b_text = "；".join(before.get(body, ())), "；".join(after.get(body, ()))
        if a_text != b_text and body in before and body in after:
            out.append(
                Change(
                    new.id,
                    "clauses_changed",
                    {"body": body, "old": a_text, "new": b_text, "diff": char_diff(a_text, b_text)},
                )
            )
    return out


def matter_pairing(old: Rulebook, new: Rulebook) -> dict[str, str]:
    """Old id → new id for every matter of ``old`` that ``new`` still holds (renumbered, moved or
    retitled rows included; :func:`dutyroute.model.pairing.pair_rows`, with the clause test)."""
    old_by_id = {m.id: m for m in old.matters}
    new_by_id = {m.id: m for m in new.matters}

    def same_clauses(o: Row, n: Row) -> bool:
        a = _blocks(old_by_id[o.id])
        return bool(a) and a == _blocks(new_by_id[n.id])

    return {o: n for n, o in pair_rows(old.matters, new.matters, same_clauses).items()}


def diff_rulebooks(old: Rulebook, new: Rulebook) -> list[Change]:
    """The changes from ``old`` to ``new`` (module docstring), in the new lists' order, then removals.

    Returns:
        An empty list when the two versions have the same matters with the same content.
    """
    olds, news = list(old.matters), list(new.matters)
    by_id = {o.id: o for o in olds}
    pair = {n: by_id[o] for o, n in matter_pairing(old, new).items()}
    used = {o.id for o in pair.values()}
    out: list[Change] = []
    for n in news:
        o = pair.get(n.id)
        if o is None:
            out.append(Change(n.id, "added", {"list": n.list.value, "title": n.title}))
            continue
        if o.list is not n.list:  # list shapes differ: only the title and category compare
            out.append(
                Change(n.id, "moved", {"old": o.id, "new": n.id, "from": o.list.value, "to": n.list.value})
            )
            out += [c for c in _compare(o, n) if c.kind in ("retitled", "category_changed")]
            continue
        if o.seq != n.seq:
            out.append(Change(n.id, "renumbered", {"old": o.id, "new": n.id}))
        out += _compare(o, n)
    out += [
        Change(o.id, "removed", {"list": o.list.value, "title": o.title}) for o in olds if o.id not in used
    ]
    return out


@dataclass(frozen=True)
class RouteChange:
    """An incident whose route differs between two versions (before → after)."""

    id: str
    text: str
    before: dict[str, Any]
    after: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, the text shortened to 80 characters."""
        return {"id": self.id, "text": self.text[:80], "before": self.before, "after": self.after}


def _route_key(router: Router, text: str) -> dict[str, Any]:
    d = router.route(text, limit=0)
    return {"status": d.status, "matter": d.matter, "acting": list(d.acting), "reclaimed": d.reclaimed}


def routing_impact(
    before: Router,
    after: Router,
    incidents: Iterable[tuple[str, str]],
    pairing: Mapping[str, str] | None = None,
) -> tuple[int, list[RouteChange]]:
    """Route each ``(id, text)`` with both routers; the ones whose route differs, in input order.

    A route differs when its status, acting bodies or reclaimed flag differ, or its matter is not
    the new version's partner of the old matter: with ``pairing`` (old id → new id,
    :func:`matter_pairing`) a row that was only renumbered or moved keeps its incidents, and an
    incident of a removed row always changes route.

    Returns:
        (how many incidents were routed, the changes). A text either router refuses is skipped.
    """
    n = 0
    out: list[RouteChange] = []
    for cid, text in incidents:
        try:
            a, b = _route_key(before, text), _route_key(after, text)
        except (ValueError, TypeError):
            continue
        n += 1
        expected = dict(a)
        if pairing is not None and a["matter"] is not None:
            expected["matter"] = pairing.get(a["matter"], f"(removed {a['matter']})")
        if expected != b:
            out.append(RouteChange(cid, text, a, b))
    return n, out


def _named(examples: Iterable[Example]) -> set[str]:
    return {e.expect for e in examples if e.expect} | {e.not_ for e in examples if e.not_}


def fit_rules(rules: RuleSet, rulebook: Rulebook) -> tuple[RuleSet, list[str]]:
    """``rules`` without the contrasts and routing rules that name a matter ``rulebook`` lacks.

    A new version that drops or renumbers rows leaves routing rules pointing at ids that are gone;
    to route with both versions anyway, those are set aside (and named, for the maintainer).

    Returns:
        (the rules that fit, the ids of the contrasts and rules set aside).
    """
    ids = {m.id for m in rulebook.matters} | {"unmatched", "needs_clarification"}
    kept_c = [c for c in rules.contrasts if c.scope <= ids and _named(c.examples) <= ids]
    kept_r = [
        r
        for r in rules.rules
        if {*r.prefer, *r.exclude, *(m for m, _ in r.acting), *(m for m, _ in r.cooperating)} <= ids
        and _named(r.examples) <= ids
    ]
    dropped = [c.id for c in rules.contrasts if c not in kept_c] + [
        r.id for r in rules.rules if r not in kept_r
    ]
    return replace(rules, contrasts=tuple(kept_c), rules=tuple(kept_r)), dropped


def summary(changes: Sequence[Change]) -> dict[str, int]:
    """How many changes of each kind."""
    counts: dict[str, int] = {}
    for c in changes:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    return counts
