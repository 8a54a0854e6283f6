"""The routing pipeline: an incident text → the matter, the acting and cooperating bodies, the basis.

Stages, one module each (:class:`~dutyroute.routing.router.Router` runs them in order)::

    text (intake: normalised, checked) ─▶ evidence (phrases, facts, spans) ─▶ candidates (BM25 +
    concepts, rules) ─▶ decision
"""

from .router import Router

__all__ = ["Router"]
