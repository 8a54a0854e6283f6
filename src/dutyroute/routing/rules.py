"""Stage 3 of routing — the routing rules (``rules/routing.yaml`` ``rules:``): prefer, exclude,
declare unmatched, fix the acting or add a cooperating department, when a rule's condition holds.

A rule that needs a lexicon entry is only tried when one of its entries fired (an index by
entry), so the cost per text is the rules its words can reach, not all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..model.decision import RuleFiring
from ..model.rules import Rule
from .state import RouteState

__all__ = ["RuleApplier"]


class RuleApplier:
    """Applies routing rules to a route's candidates. Immutable once built; thread-safe.

    Args:
        rules: the rules in force, in file order (the order they apply in).
        order: matter id → list position (ties between equal scores keep list order).
    """

    def __init__(self, rules: Sequence[Rule], order: Mapping[str, int]) -> None:
        self.rules = tuple(rules)
        self._order = order
        self._by_entry: dict[str, list[int]] = {}
        self._unkeyed: list[int] = []
        for i, r in enumerate(self.rules):
            keys = r.when.entries_any or r.when.entries_all
            if not keys:
                self._unkeyed.append(i)
            for e in keys:
                self._by_entry.setdefault(e, []).append(i)

    def apply(self, w: RouteState) -> None:
        """Apply every rule whose condition holds, in file order; re-sort the candidates."""
        maybe = set(self._unkeyed)
        for e in set(w.entries):
            maybe.update(self._by_entry.get(e, ()))
        facts = w.fact_values()
        for i in sorted(maybe):
            r = self.rules[i]
            if r.when.holds(w.entries, w.terms, facts):
                w.fired.append(RuleFiring(rule=r.id, effect="; ".join(self._effects(r, w))))
        pos = self._order
        w.cands.sort(key=lambda c: (-c.score, pos[c.matter.id]))

    @staticmethod
    def _effects(r: Rule, w: RouteState) -> list[str]:
        effects: list[str] = []
        if r.unmatched:
            w.outside = r.id
            effects.append("unmatched")
        if r.exclude:
            w.excluded.update(r.exclude)
            before = len(w.cands)
            w.cands = [c for c in w.cands if c.matter.id not in r.exclude]
            if len(w.cands) != before:
                effects.append("exclude " + ",".join(r.exclude))
        if r.prefer:
            w.preferred.update(r.prefer)
            for c in w.cands:
                if c.matter.id in r.prefer:
                    c.score *= 1 + r.boost
            effects.append(f"prefer {','.join(r.prefer)} ×{1 + r.boost:g}")
        for mid, bodies in r.acting:
            w.acting.setdefault(mid, bodies)
            effects.append(f"{mid} acting {'、'.join(bodies)}")
        for mid, bodies in r.cooperating:
            w.cooperating[mid] = tuple(dict.fromkeys((*w.cooperating.get(mid, ()), *bodies)))
            effects.append(f"{mid} cooperating {'、'.join(bodies)}")
        return effects
