"""Stage 4 of routing — contrasts (``rules/routing.yaml`` ``contrasts:``): one deciding fact splits
similar incidents between routes (a 村道 is the township's B82, a 县道 the county transport
bureau's C62). A known fact keeps its route; a missing one that decides who acts becomes a
clarifying question a dispatcher can read aloud, with the route of every answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..graph.query import ResponsibilityGraph
from ..model.decision import Clarification, ClarifyOption, RuleFiring
from ..model.lists import ListKind
from ..model.rules import Contrast, FactSpec, Target
from .acting import ActingSelector
from .retrieve import Candidate
from .state import RouteState

__all__ = ["ANSWER_MARGIN", "CLARIFY_RATIO", "LOOKAHEAD_SHARE", "ContrastApplier"]

CLARIFY_RATIO = 0.6
"""A contrast with ``ask: when_close`` asks when another answer's best candidate scores at least
this fraction of the top candidate's score."""
ANSWER_MARGIN = 1.25
"""A contrast answers each fact value with its first-listed target unless another target of that
value scores this many times more."""
LOOKAHEAD_SHARE = 0.2
"""A contrast applies to candidates behind the first only when the candidates in its scope together
score at least this fraction of the first's score (with the fused ranking: of its probability)."""


class ContrastApplier:
    """Applies contrasts to a route's top candidate. Immutable once built; thread-safe.

    Args:
        contrasts: the contrasts in force, in file order.
        facts: the fact specs (questions, value labels).
        graph: the responsibility graph (matters and their acting options).
        acting: the acting-body selector.
        order: matter id → list position (ties keep list order).
    """

    def __init__(
        self,
        contrasts: Sequence[Contrast],
        facts: Sequence[FactSpec],
        graph: ResponsibilityGraph,
        acting: ActingSelector,
        order: Mapping[str, int],
    ) -> None:
        self.contrasts = tuple(contrasts)
        self.facts = {f.name: f for f in facts}
        self.graph = graph
        self.rulebook = graph.rulebooks[0]
        self.acting = acting
        self._order = order
        self._scopes = {c.id: c.scope for c in self.contrasts}
        self._township = self.rulebook.jurisdiction.township

    def apply(
        self, w: RouteState, evidence: Mapping[str, float] | None = None, lookahead: int = 1
    ) -> Clarification | None:
        """Apply contrasts to the top candidate; returns a question when a missing fact decides.

        Args:
            w: the routing state (its candidates best first).
            evidence: matter → the rule engine's own score, when the candidates were re-ranked by the
                fusion: whether a missing fact is asked is judged on the rules' evidence (do the
                words favour one answer's route?), not on the fused ranking, so questions stay
                rule-driven. None: the candidates' scores.
            lookahead: a contrast whose fact is known (said in the text or given by the caller)
                also applies when one of the first ``lookahead`` candidates is in its scope and
                the scope's candidates together score at least LOOKAHEAD_SHARE of the first: a
                known deciding fact is not lost to a re-ranking, but a fact the text merely
                mentions (工地 in a wage complaint) does not pull a clear first route into a
                matter it barely supports. The same holds for a missing fact when the rules' own
                first route (by ``evidence``) is in the contrast's scope: the question the rules
                would ask is not lost to a re-ranking.
        """
        done: set[str] = set()
        # the rules' own first route: where it is in a contrast's scope, the rules would ask (or
        # decide) there, and a near fused candidate in that scope keeps the question rule-driven
        rules_top = max(evidence, key=lambda k: evidence[k]) if evidence else None
        for _ in range(len(self.contrasts)):
            if not w.cands:
                return None
            top_id = w.cands[0].matter.id
            top_score = w.cands[0].score
            near = {c.matter.id for c in w.cands[:lookahead]}
            contrast = next(
                (
                    c
                    for c in self.contrasts
                    if c.id not in done
                    and (
                        top_id in self._scopes[c.id]
                        or (
                            bool(near & self._scopes[c.id])
                            and self._scope_mass(w, c.id) >= LOOKAHEAD_SHARE * top_score
                            and (c.fact in w.facts or rules_top in self._scopes[c.id])
                        )
                    )
                    and c.when.holds(w.entries, w.terms, w.fact_values())
                ),
                None,
            )
            if contrast is None:
                return None
            done.add(contrast.id)
            known = w.facts.get(contrast.fact)
            if known is not None and contrast.targets(known.value):
                self._keep(w, contrast, contrast.targets(known.value), known.value)
                continue
            question = self._question(w, contrast, evidence)
            if question is not None:
                return question
        return None

    def _scope_mass(self, w: RouteState, contrast_id: str) -> float:
        """The total score of the candidates in a contrast's scope (only computed for a contrast
        whose scope holds one of the first candidates, so the hot path stays as it was)."""
        scope = self._scopes[contrast_id]
        return sum(c.score for c in w.cands if c.matter.id in scope)

    def _keep(self, w: RouteState, contrast: Contrast, targets: tuple[Target, ...], value: str) -> None:
        allowed = {t.matter for t in targets}
        top_score = w.cands[0].score
        scope = self._scopes[contrast.id]
        kept = [c for c in w.cands if c.matter.id not in scope or c.matter.id in allowed]
        by_id = {c.matter.id: c for c in kept}
        winner = self._answer(targets, {k: c.score for k, c in by_id.items()})
        chosen = by_id.get(winner.matter)
        if chosen is None:
            # the fact decides even where retrieval missed the matter
            chosen = Candidate(self.graph.matter(winner.matter)[1], top_score, 0.0, 0.0, [])
            kept.append(chosen)
        chosen.score = max(chosen.score, top_score) + 1e-6
        kept.sort(key=lambda c: (-round(c.score, 9), self._order[c.matter.id]))
        w.cands = kept
        for t in targets:
            if t.acting:
                w.acting[t.matter] = t.acting
        w.fired.append(
            RuleFiring(
                rule=contrast.id,
                effect=f"{contrast.fact}={value}: {winner.matter} (keeps {','.join(sorted(allowed))})",
            )
        )

    @staticmethod
    def _answer(targets: tuple[Target, ...], scores: Mapping[str, float]) -> Target:
        """The target that answers for one fact value: the first listed (the contrast's canonical
        route for that answer), unless another of the value's targets scores more than
        ANSWER_MARGIN times as much."""
        best, best_score = targets[0], scores.get(targets[0].matter, 0.0)
        for t in targets[1:]:
            sc = scores.get(t.matter, 0.0)
            if sc > ANSWER_MARGIN * best_score and sc > best_score:
                best, best_score = t, sc
        return best

    def _question(
        self, w: RouteState, contrast: Contrast, evidence: Mapping[str, float] | None = None
    ) -> Clarification | None:
        spec = self.facts.get(contrast.fact)
        if spec is None:
            return None
        scores = dict(evidence) if evidence is not None else {c.matter.id: c.score for c in w.cands}
        options: list[tuple[str, Target, float]] = []
        for value, targets in contrast.routes:
            options.append(
                (value, self._answer(targets, scores), max(scores.get(t.matter, 0.0) for t in targets))
            )
        routes = {(t.matter, self.acting.for_target(t, w)) for _, t, _ in options}
        if len(routes) < 2:
            return None
        if contrast.ask != "always":
            # the best in-scope candidate leads; ask only if another answer's route comes close
            lead = next(c for c in w.cands if c.matter.id in self._scopes[contrast.id])
            lead_routes = {
                (t.matter, self.acting.for_target(t, w)) for _, t, _ in options if t.matter == lead.matter.id
            }
            rivals = [s for _, t, s in options if (t.matter, self.acting.for_target(t, w)) not in lead_routes]
            lead_score = scores.get(lead.matter.id, 0.0)
            if not rivals or max(rivals) < CLARIFY_RATIO * lead_score:
                return None
        opts = []
        for value, t, _ in options:
            m = self.graph.matter(t.matter)[1]
            acting = self.acting.for_target(t, w)
            fv = spec.value(value)
            opts.append(
                ClarifyOption(
                    value=value,
                    label=fv.label if fv else value,
                    matter=m.id,
                    acting=acting,
                    cooperating=(self._township,) if m.list is ListKind.cooperative else (),
                    reclaimed=m.list is ListKind.reclaimed,
                    basis=self.rulebook.basis(m),
                )
            )
        w.fired.append(RuleFiring(rule=contrast.id, effect=f"ask {contrast.fact}"))
        return Clarification(
            fact=contrast.fact, question=spec.question, options=tuple(opts), rule=contrast.id
        )
