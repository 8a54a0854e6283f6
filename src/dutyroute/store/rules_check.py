"""Check the routing rules against a rulebook, the lexicon and the facts.

Every matter id a contrast, rule or example names must exist; every acting or cooperating body must
be listed for that matter; every fact and fact value, and every lexicon entry a condition names,
must exist. Each problem is a :class:`~dutyroute.errors.RuleFileError` with the file, the line of
the entry (read back from ``routing.yaml``) and the closest known names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import RuleFileError
from ..model.lists import Rulebook
from ..model.rules import Condition, Contrast, Rule, RuleSet, Screen
from .yamlio import yaml_line

__all__ = ["check_rules", "rule_problems"]


def check_rules(rules: RuleSet, rulebook: Rulebook) -> None:
    """Validate routing against ``rulebook`` and the lexicon and facts; stop at the first problem.

    Raises:
        RuleFileError: the first of :func:`rule_problems` (an unknown matter id, a body not listed
            for the matter, an unknown fact or fact value, or an unknown lexicon entry — with file,
            line and suggestions).
    """
    found = rule_problems(rules, rulebook)
    if found:
        raise found[0]


def rule_problems(rules: RuleSet, rulebook: Rulebook) -> list[RuleFileError]:
    """Every inconsistency of routing with ``rulebook``, the lexicon and the facts, in file order.

    Returns:
        One :class:`RuleFileError` per problem (file, line, what is wrong, suggestions); empty
        when the rules fit the rulebook. Never raises for a problem it finds.
    """
    return _Checker(rules, rulebook).run()


class _Checker:
    def __init__(self, rules: RuleSet, rulebook: Rulebook) -> None:
        self.rules = rules
        self.rulebook = rulebook
        self.out: list[RuleFileError] = []
        self.routing = Path(next((p for p in rules.paths if p.endswith("routing.yaml")), "routing.yaml"))
        self.matters = {m.id: m for m in rulebook.matters}
        self.entries = {e.id for e in rules.lexicon}
        self.facts = {f.name: f for f in rules.facts}

    def run(self) -> list[RuleFileError]:
        for c in self.rules.contrasts:
            self.contrast(c)
        for r in self.rules.rules:
            self.rule(r)
        holders: tuple[Contrast | Rule | Screen, ...] = (
            *self.rules.contrasts,
            *self.rules.rules,
            *self.rules.screens,
        )
        for holder in holders:
            for ex in holder.examples:
                for mid in (ex.expect, ex.not_):
                    if mid not in (None, "unmatched", "needs_clarification"):
                        self.need_matter(mid, f"example of {holder.id!r}", holder.loc)
        return self.out

    def fail(self, reason: str, loc: tuple[Any, ...]) -> None:
        self.out.append(RuleFileError(reason, path=self.routing, line=yaml_line(self.routing, loc)))

    def need_matter(self, mid: str, where: str, loc: tuple[Any, ...]) -> None:
        if mid not in self.matters:
            self.fail(f"{where}: unknown matter {mid!r}{suggest(mid, self.matters)}", loc)

    def need_bodies(self, mid: str, bodies: tuple[str, ...], where: str, loc: tuple[Any, ...]) -> None:
        m = self.matters.get(mid)
        if m is None:
            return  # reported by need_matter
        listed = [b.body for b in (*m.departments, *m.receivers)] or [self.rulebook.jurisdiction.township]
        for b in bodies:
            if b not in listed:
                self.fail(
                    f"{where}: {b!r} is not listed for {mid} ({m.title}); listed: {', '.join(listed)}", loc
                )

    def need_fact(self, name: str, values: tuple[str, ...], where: str, loc: tuple[Any, ...]) -> None:
        spec = self.facts.get(name)
        if spec is None:
            self.fail(f"{where}: unknown fact {name!r}{suggest(name, self.facts)}", loc)
            return
        for v in values:
            if spec.value(v) is None:
                known = ", ".join(x.value for x in spec.values)
                self.fail(f"{where}: fact {name!r} has no value {v!r}; values: {known}", loc)

    def need_cond(self, c: Condition, where: str, loc: tuple[Any, ...]) -> None:
        for e in (*c.entries_any, *c.entries_all, *c.entries_none):
            if e not in self.entries:
                self.fail(f"{where}: unknown lexicon entry {e!r}{suggest(e, self.entries)}", loc)
        for name, values in c.facts:
            self.need_fact(name, values, where, loc)
        for name in c.missing:
            self.need_fact(name, (), where, loc)

    def contrast(self, c: Contrast) -> None:
        where = f"contrast {c.id!r}"
        self.need_fact(c.fact, (), where, c.loc)
        self.need_cond(c.when, where, c.loc)
        known = c.fact in self.facts
        for value, targets in c.routes:
            if known:
                self.need_fact(c.fact, (value,), where, c.loc)
            for t in targets:
                self.need_matter(t.matter, where, c.loc)
                self.need_bodies(t.matter, t.acting, where, c.loc)
        for mid in c.triggers:
            self.need_matter(mid, where, c.loc)

    def rule(self, r: Rule) -> None:
        where = f"rule {r.id!r}"
        self.need_cond(r.when, where, r.loc)
        for mid in (*r.prefer, *r.exclude):
            self.need_matter(mid, where, r.loc)
        for mid, bodies in (*r.acting, *r.cooperating):
            self.need_matter(mid, where, r.loc)
            self.need_bodies(mid, bodies, where, r.loc)


def suggest(value: str, known: Any) -> str:
    """``"; did you mean 'a' / 'b'?"`` for the names in ``known`` close to ``value`` (or "")."""
    from rapidfuzz import process

    close = [c for c, score, _ in process.extract(value, list(known), limit=3) if score >= 50]
    return f"; did you mean {' / '.join(repr(c) for c in close)}?" if close else ""
