"""Stage 3b of routing — fusion: the recognizer's scores and the rule engine's evidence become one
ranked list of candidate matters (or "no list covers it"), with a calibrated confidence.

Candidates are the union of the engine's ranked matters (BM25 + lexicon concepts, after the
routing rules' prefer/exclude) and the recognizer's top :data:`MODEL_TOP`, plus
:data:`~dutyroute.routing.recognizer.OUT_OF_SCOPE`. Each gets the features of
:func:`candidate_features`; a logistic regression trained on cross-validated predictions (by
``dutyroute train``, writers held out) scores them, and the softmax of those scores over the text's
candidates is the fused probability of each.

Rules keep the last word where the lists or the rule files are explicit: a strict scope screen or
an ``unmatched`` rule makes the text unmatched, a rule's ``exclude`` removes a matter, and the
deciding facts, clarifying questions, acting department, reclaimed flag and basis all come after
fusion, from the rulebook.

Confidence is the probability that the whole route is right (matter, acting bodies, reclaimed),
from a second logistic regression over the fused top probability, its margin over the runner-up,
whether engine and recognizer agree, and the decision's kind — fitted on the cross-validated
routes of the corpus, so it is calibrated there (``dutyroute eval --cv`` reports the reliability
table and the expected calibration error). A decision at or above the artifact's
``auto_dispatch`` threshold may be dispatched without a person (``Decision.auto_dispatch``).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .recognizer import OUT_OF_SCOPE

__all__ = [
    "CALIBRATION_FEATURES",
    "FEATURES",
    "MODEL_TOP",
    "EngineView",
    "Fusion",
    "calibration_features",
    "candidate_features",
]

MODEL_TOP = 8
"""The recognizer's best this many matters join the candidates."""
ENGINE_FLOOR = 30.0
"""Engine scores are divided by max(engine top score, ENGINE_FLOOR): a weak top is not inflated to 1."""

FEATURES = (
    "svc",  # the recognizer's margin for this class
    "svc_gap",  # its margin minus the best other class's
    "svc_top1",  # the recognizer's first choice
    "engine",  # the engine's score over its top (0 when the engine did not retrieve it)
    "engine_top1",  # the engine's first choice
    "engine_rank",  # 1 / (1 + the engine's rank), 0 when not retrieved
    "oos",  # this candidate is "no list covers it"
    "oos_engine_unmatched",  # … and the engine's best score is under its floor
    "oos_soft_screen",  # … and a non-strict scope screen fired
    "oos_engine_strength",  # … times log(1 + the engine's top score) / 5
    "concept",  # a lexicon concept credited this matter
    "rule_prefer",  # a routing rule that fired prefers this matter (rules/routing.yaml)
)
CALIBRATION_FEATURES = (
    "p_top",
    "margin",
    "agree",
    "oos",
    "asked",
    "p_top_x_agree",
    "acting_open",
    "p_top_x_open",
)


@dataclass(frozen=True, slots=True)
class EngineView:
    """What the rule engine found for one text (its candidates after the routing rules).

    Attributes:
        cands: (matter id, score, credited by a lexicon concept) best first.
        unmatched: the engine alone would say no list covers it (top below its floor).
        soft_screen: a non-strict scope screen fired.
        preferred: matters a routing rule that fired prefers.
    """

    cands: tuple[tuple[str, float, bool], ...]
    unmatched: bool
    soft_screen: bool
    preferred: frozenset[str] = frozenset()


def candidate_features(
    svc: Mapping[str, float], engine: EngineView, ranked: Sequence[str] | None = None
) -> list[tuple[str, list[float]]]:
    """The candidates of one text and their :data:`FEATURES`, in a stable order.

    Args:
        svc: class → recognizer margin (every class of the recognizer).
        engine: the engine's view of the text.
        ranked: the classes by falling margin, ties by name (at least MODEL_TOP + 1 of them), if
            the caller sorted them already.
    """
    if ranked is None:
        ranked = sorted(svc, key=lambda k: (-svc[k], k))
    top_svc = ranked[0] if ranked else None
    second = svc[ranked[1]] if len(ranked) > 1 else 0.0
    best = svc[top_svc] if top_svc is not None else 0.0
    etop = engine.cands[0][1] if engine.cands else 0.0
    scale = max(etop, ENGINE_FLOOR)
    eng = {m: (s, i, c) for i, (m, s, c) in enumerate(engine.cands)}
    order = [m for m, _, _ in engine.cands]
    order += [m for m in ranked[:MODEL_TOP] if m not in eng and m != OUT_OF_SCOPE]
    order += sorted(m for m in engine.preferred if m not in eng and m not in order and m in svc)
    order.append(OUT_OF_SCOPE)
    out = []
    strength = math.log1p(max(etop, 0.0)) / 5.0
    for m in order:
        s = svc.get(m, -1.5)
        gap = s - (second if m == top_svc else best)
        if m == OUT_OF_SCOPE:
            feats = [s, gap, float(m == top_svc), 0.0, 0.0, 0.0, 1.0]
            feats += [float(engine.unmatched), float(engine.soft_screen), strength, 0.0, 0.0]
        else:
            score, rank, concept = eng.get(m, (0.0, -1, False))
            feats = [s, gap, float(m == top_svc), score / scale, float(rank == 0)]
            feats += [1.0 / (1 + rank) if rank >= 0 else 0.0, 0.0, 0.0, 0.0, 0.0, float(concept)]
            feats.append(float(m in engine.preferred))
        out.append((m, feats))
    return out


def calibration_features(
    p_top: float, p_second: float, agree: bool, oos: bool, asked: bool, acting_open: bool = False
) -> list[float]:
    """The :data:`CALIBRATION_FEATURES` of one decision.

    Args:
        p_top, p_second: the fused probabilities of the chosen and the next candidate, in [0, 1].
        agree: the chosen matter is the rule engine's own first candidate.
        oos, asked: the decision is out of scope / asks a question.
        acting_open: the acting body was picked among several departments of the matter by their
            clauses or as the lead (:func:`dutyroute.routing.acting.chosen_among_several`): the
            route can be wrong in its department while right in its matter.
    """
    op = float(acting_open)
    return [
        p_top,
        p_top - p_second,
        float(agree),
        float(oos),
        float(asked),
        p_top * float(agree),
        op,
        p_top * op,
    ]


@dataclass(frozen=True)
class Fusion:
    """The trained fusion and calibration (from the recognizer artifact's ``meta.json``).

    Attributes:
        weights, bias: the candidate scorer (one weight per :data:`FEATURES`).
        cal_weights, cal_bias: the confidence model (one weight per :data:`CALIBRATION_FEATURES`).
        auto_dispatch: the confidence at or above which a route may be dispatched unreviewed.
    """

    weights: tuple[float, ...]
    bias: float
    cal_weights: tuple[float, ...]
    cal_bias: float
    auto_dispatch: float

    @classmethod
    def from_meta(cls, meta: Mapping[str, Any]) -> Fusion | None:
        """The fusion of an artifact's metadata, or None when it has none (or of another shape)."""
        f = meta.get("fusion")
        if not isinstance(f, Mapping) or tuple(f.get("features", ())) != FEATURES:
            return None
        c = f["calibration"]
        if tuple(c.get("features", ())) != CALIBRATION_FEATURES:
            return None
        return cls(
            tuple(float(w) for w in f["weights"]),
            float(f["bias"]),
            tuple(float(w) for w in c["weights"]),
            float(c["bias"]),
            float(f["auto_dispatch"]),
        )

    def rank(
        self,
        svc: Mapping[str, float],
        engine: EngineView,
        excluded: Sequence[str] = (),
        ranked: Sequence[str] | None = None,
    ) -> list[tuple[str, float]]:
        """The candidates with their fused probabilities (summing to 1), best first."""
        scored = []
        for m, feats in candidate_features(svc, engine, ranked):
            if m in excluded:
                continue
            scored.append((m, self.bias + math.fsum(map(operator.mul, self.weights, feats))))
        if not scored:
            return []
        top = max(z for _, z in scored)
        exps = [(m, math.exp(z - top)) for m, z in scored]
        total = math.fsum(e for _, e in exps)
        out = [(m, e / total) for m, e in exps]
        out.sort(key=lambda t: (-t[1], t[0] != OUT_OF_SCOPE, t[0]))
        return out

    def confidence(
        self, p_top: float, p_second: float, agree: bool, oos: bool, asked: bool, acting_open: bool = False
    ) -> float:
        """The probability that the decision is right, in [0, 1] (arguments: :func:`calibration_features`)."""
        feats = calibration_features(p_top, p_second, agree, oos, asked, acting_open)
        z = self.cal_bias + math.fsum(w * x for w, x in zip(self.cal_weights, feats, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
