"""The mutable state of one ``Router.route`` call, passed from stage to stage (never shared)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model.decision import FactFinding, RuleFiring
from .retrieve import Candidate, Query

__all__ = ["RouteState"]


@dataclass(slots=True)
class RouteState:
    """What the stages of one route have found so far.

    Attributes:
        text: the normalised text with framing cut and typos fixed (what is matched).
        shown: the normalised text (what the trace shows).
        query: the prepared retrieval query.
        entries: lexicon entries the text fired, in text order.
        terms: condition phrases of contrasts and rules found in the text.
        facts: deciding facts, read from the text and overridden by the caller's.
        cands: candidate matters, best first (scores in :mod:`dutyroute.routing.retrieve` units).
        acting: acting bodies a rule or contrast fixed, by matter id.
        cooperating: extra cooperating departments a rule named, by matter id.
        fired: the rules, contrasts and screens that fired, for the trace.
        outside: id of a rule or screen that declared the text outside the lists, or None.
        excluded: matters a rule excluded (fusion keeps them out too).
        preferred: matters a rule that fired prefers (a feature of the fusion).
    """

    text: str
    shown: str
    query: Query
    entries: list[str]
    terms: set[str]
    facts: dict[str, FactFinding]
    cands: list[Candidate]
    acting: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cooperating: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fired: list[RuleFiring] = field(default_factory=list)
    outside: str | None = None
    excluded: set[str] = field(default_factory=set)
    preferred: set[str] = field(default_factory=set)

    def fact_values(self) -> dict[str, str]:
        """Fact name → value, the form rule conditions read."""
        return {k: f.value for k, f in self.facts.items()}
