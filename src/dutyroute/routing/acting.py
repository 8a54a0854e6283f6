"""Stage 5 of routing — who acts inside the chosen matter.

The choices come from the responsibility graph (:meth:`ResponsibilityGraph.acting_options`, the
one definition of who acts by list in :mod:`dutyroute.model.duties`): the township for a basic
matter, one department of a cooperative matter, the receiver(s) of a reclaimed one. Where a
matter offers several, the lead (first listed) acts unless another department's own clauses —
words every department of the matter shares left out — fit the text clearly better, or a rule
fixed the acting body.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..graph.query import ResponsibilityGraph
from ..model.decision import BodyDuty
from ..model.lists import ListKind, Matter
from ..model.rules import Target
from .retrieve import MatterIndex
from .state import RouteState

__all__ = [
    "BY_CLAUSES",
    "BY_LEAD",
    "DEPARTMENT_LEAD",
    "DEPARTMENT_MARGIN",
    "ActingSelector",
    "chosen_among_several",
]

DEPARTMENT_MARGIN = 2.5
"""A non-lead department acts when its own clauses (words the matter's departments share left out)
score more than DEPARTMENT_MARGIN times the lead's plus DEPARTMENT_LEAD; otherwise the lead acts.

Measured on the corpus (every incident routed, acting body compared with its labels): a long clause
that lists many places or objects (C73's 九小场所) shares bigrams with many incidents by chance, so
at 1.25 × + 2.0 a non-lead department was picked wrongly about as often as rightly (332 of the
lead's right answers lost, 360 gained). At 2.5 × + 5.0 the corpus has 169 more routes right, and
the real messages 6 more; 2.0 × + 4.0 and 3.0 × + 6.0 score within 21 of it, never choosing by
clauses 197 fewer. Rules that name the acting body (``acting:`` in rules/routing.yaml) decide
before this does."""
DEPARTMENT_LEAD = 5.0

BY_CLAUSES = "department whose clauses match best"
"""How the acting body was chosen (the trace note's ``acting: …``) when one of several departments'
clauses fit the text clearly best."""
BY_LEAD = "lead (first listed) department"
"""… when the matter lists several departments and none fit clearly better than the lead."""


def chosen_among_several(how: str) -> bool:
    """True when the acting body was picked among several departments by the clauses or as the
    lead (:data:`BY_CLAUSES`, :data:`BY_LEAD`) — not given by the list, a rule or a fact. Such a
    route is less sure than its matter: the confidence model weighs it (``acting_open``)."""
    return how in (BY_CLAUSES, BY_LEAD)


class ActingSelector:
    """Chooses the acting bodies of a matter for a text. Immutable; thread-safe.

    Args:
        graph: the responsibility graph of the rulebook (the acting options per matter).
        index: the retrieval index (clause scores of each department's block).
    """

    def __init__(self, graph: ResponsibilityGraph, index: MatterIndex) -> None:
        self.graph = graph
        self.index = index
        self.township = graph.rulebooks[0].jurisdiction.township

    def select(self, m: Matter, w: RouteState) -> tuple[tuple[str, ...], str]:
        """(acting body names, how they were chosen) for matter ``m``."""
        if m.list is ListKind.basic:
            return (self.township,), "basic list: the township acts"
        override = w.acting.get(m.id)
        if override:
            return override, "rule"
        options = self.graph.acting_options(m.id)
        if not options:
            return (), "no acting body listed"
        if len(options) == 1:
            opt = options[0]
            if not opt.blocks:
                return opt.bodies, "listed department (no duty block)"
            return opt.bodies, "the only department listed" if len(opt.blocks) == 1 else "joint receivers"
        scored = {blk.body: s for blk, s in self.index.block_scores(m.id, w.query)}
        gscores = [max(scored.get(b.body, 0.0) for b in opt.blocks) for opt in options]
        best = max(range(len(options)), key=lambda i: (gscores[i], -i))
        if best != 0 and gscores[best] > DEPARTMENT_MARGIN * gscores[0] + DEPARTMENT_LEAD:
            return options[best].bodies, BY_CLAUSES
        return options[0].bodies, BY_LEAD

    def picks_among_several(self, m: Matter, w: RouteState) -> bool:
        """Whether :meth:`select` picks matter ``m``'s acting body among several departments (by
        their clauses or as the lead: :func:`chosen_among_several` of its answer), without scoring
        the clauses: the list offers several options and no rule fixed the acting body."""
        return (
            m.list is not ListKind.basic
            and not w.acting.get(m.id)
            and len(self.graph.acting_options(m.id)) > 1
        )

    def for_target(self, t: Target, w: RouteState) -> tuple[str, ...]:
        """The acting bodies of a contrast or rule target: fixed by it, or chosen by clauses."""
        if t.acting:
            return t.acting
        return self.select(self.graph.matter(t.matter)[1], w)[0]

    def bodies(self, m: Matter, acting: Sequence[str]) -> tuple[BodyDuty, ...]:
        """Each acting body with its own clauses in ``m`` (a basic matter: its title)."""
        if m.list is ListKind.basic:
            return (BodyDuty(name=self.township, clauses=(m.title,)),)
        blocks = m.departments if m.list is ListKind.cooperative else m.receivers
        out = []
        for name in acting:
            blk = next((b for b in blocks if b.body == name), None)
            out.append(
                BodyDuty(name=name, sub_unit=blk.unit if blk else None, clauses=blk.clauses if blk else ())
            )
        return tuple(out)
