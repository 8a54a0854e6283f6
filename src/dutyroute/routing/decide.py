"""Stage 6 of routing — the :class:`~dutyroute.model.decision.Decision`: the top candidate with its
acting and cooperating bodies and their clauses, the basis (list + item), the alternatives, the
clarifying question, the confidence and the trace of what was read.

Confidence (``Decision.confidence``, in [0, 1]) is a ranking signal here:
``(1 - exp(-score / CONFIDENCE_SCALE)) · (0.55 + 0.45 · margin)`` where ``margin`` is the lead of
the top score over the next matter's, relative to the top. An alternative's confidence is the
top's scaled by its score ratio (× 0.9). For ``unmatched`` it is how far the best score fell
below the floor (1.0 when nothing matched at all).
"""

from __future__ import annotations

import math

from ..model.decision import (
    Alternative,
    BodyDuty,
    Clarification,
    Decision,
    MatchedClause,
    MatterInfo,
    ModelScore,
    Precedent,
    TermHit,
    Trace,
)
from ..model.decision import Candidate as CandidateOut
from ..model.lists import ListKind, Matter, Rulebook
from .acting import ActingSelector
from .retrieve import Candidate, MatterIndex
from .state import RouteState

__all__ = ["CONFIDENCE_SCALE", "DecisionBuilder"]

CONFIDENCE_SCALE = 60.0
"""Score at which the strength part of the confidence reaches 1 - 1/e."""


class DecisionBuilder:
    """Builds decisions for one rulebook. Immutable; thread-safe.

    Args:
        rulebook: the township's lists (basis texts, roles).
        index: the retrieval index (the clauses that matched, for the basis).
        acting: the acting-body selector.
        screens: ids of the scope screens (an ``outside`` id that is one of them is a screen).
    """

    def __init__(
        self, rulebook: Rulebook, index: MatterIndex, acting: ActingSelector, screens: frozenset[str]
    ) -> None:
        self.rulebook = rulebook
        self.index = index
        self.acting = acting
        self.screens = screens
        self._township = rulebook.jurisdiction.township
        self._hash = rulebook.hash
        self._version = rulebook.version
        self._body_by_id = {b.id: b for b in rulebook.bodies}

    @staticmethod
    def confidence(score: float, runner_up: float) -> float:
        """Confidence of a top score over the runner-up's (see the module docstring)."""
        strength = 1 - math.exp(-max(score, 0.0) / CONFIDENCE_SCALE)
        margin = (score - runner_up) / score if score > 0 else 0.0
        return round(max(0.0, min(1.0, strength * (0.55 + 0.45 * margin))), 4)

    def trace(
        self,
        w: RouteState,
        term_hits: tuple[TermHit, ...],
        note: str = "",
        model: tuple[ModelScore, ...] = (),
    ) -> Trace:
        """What the route read: text, facts, lexicon terms, the top 10 candidates, the recognizer's
        and the fusion's view, rules fired."""
        return Trace(
            model=model,
            text=w.shown,
            facts=dict(w.facts),
            terms=term_hits,
            candidates=tuple(
                CandidateOut(
                    matter=c.matter.id,
                    score=round(c.score, 3),
                    bm25=round(c.bm25, 3),
                    concepts=round(c.concepts, 3),
                    title=c.matter.title,
                )
                for c in w.cands[:10]
            ),
            rules=tuple(w.fired),
            note=note,
        )

    def unmatched(
        self,
        w: RouteState,
        term_hits: tuple[TermHit, ...],
        top: Candidate | None,
        floor: float,
        *,
        confidence: float | None = None,
        note: str = "",
        auto: bool = False,
        precedents: tuple[Precedent, ...] = (),
        model: tuple[ModelScore, ...] = (),
        model_hash: str | None = None,
    ) -> Decision:
        """No list covers the text: a screen or rule said so, the fusion's best is "no list covers
        it" (``confidence`` given), or the best score is below ``floor``."""
        if w.outside is None and confidence is not None:
            return Decision(
                status="unmatched",
                confidence=round(confidence, 4),
                trace=self.trace(w, term_hits, note, model),
                rulebook_hash=self._hash,
                rulebook_version=self._version,
                model_hash=model_hash,
                auto_dispatch=auto,
                precedents=precedents,
            )
        if w.outside is not None:
            kind = "scope screen" if w.outside in self.screens else "rule"
            note = f"{kind} {w.outside!r}: the incident is outside what these lists cover"
            confidence = 0.9
        elif top is None:
            note, confidence = "no candidate matter", 1.0
        else:
            note = (
                f"best candidate {top.matter.id} scores {top.score:.1f} < {floor:g}: "
                "no list item covers the text"
            )
            confidence = round(1 - top.score / floor, 4)
        return Decision(
            status="unmatched",
            confidence=confidence,
            trace=self.trace(w, term_hits, note, model),
            rulebook_hash=self._hash,
            rulebook_version=self._version,
            model_hash=model_hash,
        )

    def decide(
        self,
        w: RouteState,
        term_hits: tuple[TermHit, ...],
        question: Clarification | None,
        limit: int,
        *,
        confidence: float | None = None,
        auto: bool = False,
        precedents: tuple[Precedent, ...] = (),
        model: tuple[ModelScore, ...] = (),
        model_hash: str | None = None,
    ) -> Decision:
        """The decision on the top candidate: routed, or asking ``question`` first.

        With ``confidence`` (fusion) it is the calibrated probability of the route, and the
        candidates' scores are fused probabilities × 100 (an alternative's confidence is its own).
        """
        top = w.cands[0]
        m = top.matter
        if confidence is None:
            runner = next((c.score for c in w.cands[1:] if c.matter.id != m.id), 0.0)
            conf = self.confidence(top.score, runner)
            alternatives = self._alternatives(w, conf, limit)
        else:
            conf = round(confidence, 4)
            alternatives = self._alternatives(w, conf, limit, fused=True)
        acting, how = self.acting.select(m, w)
        extra = {"model_hash": model_hash, "auto_dispatch": auto, "precedents": precedents}
        if question is not None:
            # Nothing is routed until the fact is known: no matter, acting body or basis is
            # presented; the routes per answer are in clarify.options, and every candidate
            # (the provisional leader included) is among the alternatives.
            lead = self._alternative(m, acting, round(conf * 0.9, 4))
            return Decision(
                status="needs_clarification",
                confidence=conf,
                clarify=question,
                alternatives=(lead, *alternatives)[:limit],
                trace=self.trace(
                    w, term_hits, f"needs clarification: {question.fact}; leading candidate {m.id}"
                ),
                rulebook_hash=self._hash,
                rulebook_version=self._version,
            )
        cooperating, coop_bodies = self._cooperating(m, acting, w)
        return Decision(
            status="routed",
            matter=m.id,
            acting=acting,
            cooperating=cooperating,
            reclaimed=m.list is ListKind.reclaimed,
            confidence=conf,
            basis=self.rulebook.basis(m),
            alternatives=alternatives,
            township_role=self._role(m),
            matter_detail=MatterInfo(
                id=m.id,
                list=m.list.value,
                seq=m.seq,
                category=m.category,
                title=m.title,
                source_line=m.source_line,
            ),
            acting_bodies=self.acting.bodies(m, acting),
            cooperating_bodies=coop_bodies,
            basis_clauses=tuple(
                MatchedClause(field=c.field, body=c.body, text=c.text, score=round(s, 3))  # type: ignore[arg-type]
                for c, s in self.index.clause_scores(m.id, w.query)[:3]
            ),
            trace=self.trace(w, term_hits, f"acting: {how}", model),
            rulebook_hash=self._hash,
            rulebook_version=self._version,
            **extra,  # type: ignore[arg-type]
        )

    def _alternative(self, m: Matter, acting: tuple[str, ...], confidence: float) -> Alternative:
        return Alternative(
            matter=m.id,
            acting=acting,
            cooperating=(self._township,) if m.list is ListKind.cooperative else (),
            reclaimed=m.list is ListKind.reclaimed,
            confidence=confidence,
            title=m.title,
        )

    def _alternatives(
        self, w: RouteState, conf: float, limit: int, *, fused: bool = False
    ) -> tuple[Alternative, ...]:
        top = w.cands[0]
        out: list[Alternative] = []
        for c in w.cands[1 : limit + 1]:
            acting = self.acting.select(c.matter, w)[0]
            if fused:  # its own fused probability
                alt_conf = round(max(0.0, min(1.0, c.score / 100.0)), 4)
            else:
                alt_conf = round(min(conf, conf * c.score / top.score) * 0.9, 4)
            out.append(self._alternative(c.matter, acting, alt_conf))
        return tuple(out)

    def _cooperating(
        self, m: Matter, acting: tuple[str, ...], w: RouteState
    ) -> tuple[tuple[str, ...], tuple[BodyDuty, ...]]:
        """Cooperative matters: the township (乡镇配合职责), plus listed departments a rule names for
        this incident, each with its own clauses. Other lists: nobody."""
        if m.list is not ListKind.cooperative:
            return (), ()
        extra = tuple(b for b in w.cooperating.get(m.id, ()) if b not in acting)
        bodies = (BodyDuty(name=self._township, clauses=m.township_clauses), *self.acting.bodies(m, extra))
        return (self._township, *extra), bodies

    def _role(self, m: Matter) -> str | None:
        if m.list is not ListKind.basic or not m.role:
            return None
        b = self._body_by_id.get(m.role)
        return b.name if b else m.role
