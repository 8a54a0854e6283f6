"""The router's reviewed data as immutable records: lexicon entries, deciding facts, contrasts,
rules and scope screens (what ``rules/lexicon.yaml``, ``facts.yaml``, ``routing.yaml`` and
``scope.yaml`` hold). Loading them is :func:`dutyroute.store.rules.load_rules`; checking them
against a rulebook is :func:`dutyroute.store.rules_check.rule_problems`.

:meth:`Condition.holds` is the one meaning of a rule's ``when:`` (see ``rules/routing.yaml``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Condition",
    "Contrast",
    "Example",
    "FactSpec",
    "FactValue",
    "LexiconEntry",
    "Rule",
    "RuleSet",
    "Screen",
    "Target",
]


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    """``say`` phrases (how people say it) → ``means`` terms (the lists' words)."""

    id: str
    say: tuple[str, ...]
    means: tuple[str, ...]
    reason: str
    weight: float = 1.0
    loc: tuple[Any, ...] = ()  # keys of the entry in its file, for error lines
    loose: tuple[str, ...] = ()  # general words that count only beside a `with` co-word
    with_: tuple[str, ...] = ()  # co-words gating `loose` (or every `say` phrase when no `loose`)

    @property
    def gated(self) -> tuple[str, ...]:
        """The phrases that count only beside a co-word."""
        return self.loose if self.loose else (self.say if self.with_ else ())


@dataclass(frozen=True, slots=True)
class FactValue:
    """One possible value of a fact, with the phrases and patterns that show it in a text."""

    value: str
    label: str
    say: tuple[str, ...] = ()
    regex: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, slots=True)
class FactSpec:
    """A deciding fact: name, label, the question to read aloud, its values (first listed wins)."""

    name: str
    label: str
    question: str
    reason: str
    values: tuple[FactValue, ...]
    line: int | None = None

    def value(self, value: str) -> FactValue | None:
        """The value record, or None."""
        return next((v for v in self.values if v.value == value), None)


@dataclass(frozen=True, slots=True)
class Condition:
    """When a contrast or rule applies; every given part must hold (see ``rules/routing.yaml``)."""

    entries_any: tuple[str, ...] = ()
    entries_all: tuple[str, ...] = ()
    entries_none: tuple[str, ...] = ()
    terms_any: tuple[str, ...] = ()
    terms_none: tuple[str, ...] = ()
    facts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    missing: tuple[str, ...] = ()

    @property
    def terms(self) -> tuple[str, ...]:
        """Every phrase the condition looks for."""
        return self.terms_any + self.terms_none

    def holds(self, entries: Collection[str], terms: Collection[str], facts: Mapping[str, str]) -> bool:
        """Whether every given part holds for a text.

        Args:
            entries: ids of the lexicon entries the text fired.
            terms: the condition phrases (``terms_any`` / ``terms_none``) found in the text.
            facts: fact name → value known for the text (read from it or given by the caller).
        """
        ent = set(entries)
        if self.entries_any and not ent.intersection(self.entries_any):
            return False
        if self.entries_all and not ent.issuperset(self.entries_all):
            return False
        if self.entries_none and ent.intersection(self.entries_none):
            return False
        if self.terms_any and not any(t in terms for t in self.terms_any):
            return False
        if self.terms_none and any(t in terms for t in self.terms_none):
            return False
        for name, values in self.facts:
            if facts.get(name) not in values:
                return False
        return all(name not in facts for name in self.missing)


@dataclass(frozen=True, slots=True)
class Target:
    """A route target: a matter, optionally with its acting bodies fixed."""

    matter: str
    acting: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Example:
    """An example sentence of a contrast or rule, run by the tests."""

    text: str
    expect: str | None = None  # matter id | "unmatched" | "needs_clarification"
    acting: tuple[str, ...] | None = None
    not_: str | None = None
    facts: tuple[tuple[str, str], ...] = ()
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Contrast:
    """One deciding fact splits similar incidents between routes."""

    id: str
    fact: str
    reason: str
    routes: tuple[tuple[str, tuple[Target, ...]], ...]
    when: Condition = field(default_factory=Condition)
    ask: str = "when_close"
    examples: tuple[Example, ...] = ()
    loc: tuple[Any, ...] = ()
    triggers: tuple[str, ...] = ()

    @property
    def scope(self) -> frozenset[str]:
        """Every matter the contrast's routes name, plus its triggers."""
        return frozenset(t.matter for _, ts in self.routes for t in ts) | frozenset(self.triggers)

    def targets(self, value: str) -> tuple[Target, ...]:
        """The targets of one answer (empty for an unknown value)."""
        return next((ts for v, ts in self.routes if v == value), ())


@dataclass(frozen=True, slots=True)
class Rule:
    """Prefer, exclude, or pick departments when a condition holds."""

    id: str
    reason: str
    when: Condition
    prefer: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    boost: float = 0.5
    acting: tuple[tuple[str, tuple[str, ...]], ...] = ()
    examples: tuple[Example, ...] = ()
    loc: tuple[Any, ...] = ()
    unmatched: bool = False
    cooperating: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class Screen:
    """Negative evidence that a text is outside the lists (``rules/scope.yaml``).

    Fires when one of ``say`` occurs and none of ``unless`` does. ``strict``: the text is unmatched;
    otherwise it routes only on strong evidence (the router's outside floors).
    """

    id: str
    reason: str
    say: tuple[str, ...]
    unless: tuple[str, ...] = ()
    strict: bool = True
    examples: tuple[Example, ...] = ()
    loc: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Lexicon, facts and routing, as loaded (immutable)."""

    lexicon: tuple[LexiconEntry, ...]
    facts: tuple[FactSpec, ...]
    contrasts: tuple[Contrast, ...]
    rules: tuple[Rule, ...]
    rulebook_key: str = ""
    paths: tuple[str, ...] = ()
    framing: tuple[str, ...] = ()
    asks: tuple[str, ...] = ()
    outside: tuple[str, ...] = ()
    typos: tuple[tuple[str, str], ...] = ()
    screens: tuple[Screen, ...] = ()
    background: tuple[str, ...] = ()
    setting: tuple[str, ...] = ()

    def fact(self, name: str) -> FactSpec | None:
        """The fact spec of that name, or None."""
        return next((f for f in self.facts if f.name == name), None)
