"""Grouped cross-validation of the whole router: recognizer, fusion and calibration, writers held out.

The corpus is split into folds by writer (scikit-learn's ``GroupKFold``: a writer's texts are all
in one fold, so a fold's test texts are in words the models never saw). For each fold:

1. the recognizer is trained on the other folds and applied, quantised as it ships, to this
   fold's texts (out-of-fold scores for every text);
2. the fusion is fitted on the other folds' out-of-fold candidate features and the full router
   routes this fold's texts with it (out-of-fold decisions);
3. the calibration is fitted on the other folds' out-of-fold decisions and gives this fold's
   confidences (so the reported calibration is measured on texts it was not fitted on).

``dutyroute train`` uses the out-of-fold features of all folds to fit the shipped fusion and
calibration; ``dutyroute eval --cv`` reports the out-of-fold decisions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..model.decision import Decision
from ..model.lists import Rulebook
from ..model.rules import RuleSet
from ..routing.acting import chosen_among_several
from ..routing.fusion import (
    CALIBRATION_FEATURES,
    FEATURES,
    EngineView,
    calibration_features,
    candidate_features,
)
from ..routing.recognizer import OUT_OF_SCOPE, Recognizer, subject_line
from ..routing.router import Router
from ..text.normalize import normalize
from .evaluate import LabeledCase, score_case
from .train import TrainSettings, fit, label_of, recognizer_from

__all__ = [
    "AUTO_DISPATCH_PRECISION",
    "CrossVal",
    "cross_validate",
    "fit_calibration",
    "fit_fusion",
    "fusion_meta",
]

AUTO_DISPATCH_PRECISION = 0.95
"""The auto-dispatch threshold is the lowest confidence at which routes are right this often."""


@dataclass
class CrossVal:
    """Out-of-fold results for every corpus case, in corpus order.

    Attributes:
        cases: the corpus.
        folds: fold number of each case.
        engine: the engine's view of each text (independent of the recognizer).
        forced: the rules force the text unmatched (strict screen or ``unmatched`` rule).
        svc: out-of-fold recognizer scores per class.
        decisions: out-of-fold decisions of the full router.
        right: whether each decision is right (the cases' scoring rules).
        confidence: cross-fitted calibrated confidence of each decision.
        cal_inputs: the calibration features of each decision.
    """

    cases: list[LabeledCase]
    folds: list[int]
    engine: list[EngineView]
    forced: list[bool]
    svc: list[dict[str, float]] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    right: list[bool] = field(default_factory=list)
    confidence: list[float] = field(default_factory=list)
    cal_inputs: list[list[float]] = field(default_factory=list)


def _ok(case: LabeledCase) -> set[str]:
    return {str(a["matter"]) for a in case.accept} or {OUT_OF_SCOPE}


def _lr(x: np.ndarray, y: np.ndarray, c: float = 1.0) -> tuple[list[float], float]:
    from sklearn.linear_model import LogisticRegression

    if len(set(y.tolist())) < 2:
        return [0.0] * x.shape[1], 0.0
    m = LogisticRegression(C=c, max_iter=1000).fit(x, y)
    return [float(w) for w in m.coef_[0]], float(m.intercept_[0])


def fit_fusion(
    svc: Sequence[dict[str, float]], engine: Sequence[EngineView], oks: Sequence[set[str]]
) -> tuple[list[float], float]:
    """The candidate scorer: logistic regression of "this candidate is an accepted route" on the
    candidates' :data:`~dutyroute.routing.fusion.FEATURES`."""
    rows, ys = [], []
    for s, e, ok in zip(svc, engine, oks, strict=True):
        for m, feats in candidate_features(s, e):
            rows.append(feats)
            ys.append(int(m in ok))
    return _lr(np.array(rows, dtype=np.float64), np.array(ys))


def fit_calibration(inputs: Sequence[list[float]], right: Sequence[bool]) -> tuple[list[float], float]:
    """The confidence model: logistic regression of "the route is right" on the decisions'
    :data:`~dutyroute.routing.fusion.CALIBRATION_FEATURES`."""
    return _lr(np.array(inputs, dtype=np.float64), np.array([int(r) for r in right]))


def threshold(
    conf: Sequence[float], right: Sequence[bool], precision: float = AUTO_DISPATCH_PRECISION
) -> float:
    """The lowest confidence t at which the routes with confidence ≥ t are right ≥ ``precision``
    of the time (and at least 20 of them); 1.0 when none is."""
    pairs = sorted(zip(conf, right, strict=True), key=lambda p: -p[0])
    best, hits = 1.0, 0
    for n, (c, r) in enumerate(pairs, 1):
        hits += r
        if n >= 20 and hits / n >= precision:
            best = c
    return round(best, 4)


def fusion_meta(
    weights: Sequence[float], bias: float, cal: tuple[list[float], float], auto: float
) -> dict[str, Any]:
    """The ``fusion`` block of the artifact's meta.json."""
    return {
        "features": list(FEATURES),
        "weights": [round(w, 8) for w in weights],
        "bias": round(bias, 8),
        "calibration": {
            "features": list(CALIBRATION_FEATURES),
            "weights": [round(w, 8) for w in cal[0]],
            "bias": round(cal[1], 8),
        },
        "auto_dispatch": auto,
    }


def _cal_inputs(d: Decision, engine: EngineView) -> list[float]:
    model = {m.matter: m.fused for m in d.trace.model}
    chosen = d.matter if d.status == "routed" else OUT_OF_SCOPE if d.status == "unmatched" else None
    if chosen is None and d.alternatives:
        chosen = d.alternatives[0].matter
    p_top = model.get(chosen or "", max(model.values(), default=1.0))
    p_second = max((p for m, p in model.items() if m != chosen), default=0.0)
    engine_top = engine.cands[0][0] if engine.cands and not engine.unmatched else OUT_OF_SCOPE
    # a routed decision's trace note is "acting: <how the acting body was chosen>"
    acting_open = d.status == "routed" and chosen_among_several(d.trace.note.removeprefix("acting: "))
    return calibration_features(
        p_top,
        p_second,
        chosen == engine_top,
        d.status == "unmatched",
        d.status == "needs_clarification",
        acting_open,
    )


def cross_validate(
    cases: Sequence[LabeledCase],
    rulebook: Rulebook,
    rules: RuleSet,
    settings: TrainSettings | None = None,
    *,
    folds: int = 5,
    progress: Callable[[str], None] = lambda msg: None,
) -> CrossVal:
    """Cross-validate the router on the corpus, grouped by writer (see the module docstring).

    Raises:
        InputError: fewer than two writers, or fewer than two labels.
        ExtraMissingError: scikit-learn is not installed.
    """
    from sklearn.model_selection import GroupKFold

    from ..errors import InputError

    settings = settings or TrainSettings()
    cases = list(cases)
    groups = [c.writer or c.id.split("-")[0] for c in cases]
    n_groups = len(set(groups))
    if n_groups < 2:
        raise InputError("grouped cross-validation needs examples of at least two writers ('writer' field)")
    k = min(folds, n_groups)
    norms = [normalize(c.text) for c in cases]
    labels = [label_of(c) for c in cases]
    oks = [_ok(c) for c in cases]
    engine_router = Router(rulebook, rules, recognizer=None)
    views, forced = [], []
    for c in cases:
        view, is_forced = engine_router.engine_view(c.text)
        views.append(view)
        forced.append(is_forced)
    progress(f"engine views of {len(cases)} texts")
    fold_of = [0] * len(cases)
    splits = list(GroupKFold(n_splits=k).split(norms, labels, groups))
    for f, (_, te) in enumerate(splits):
        for i in te:
            fold_of[i] = f
    cv = CrossVal(cases, fold_of, views, forced, svc=[{} for _ in cases])
    recs: list[Recognizer] = []
    for f, (tr, te) in enumerate(splits):
        fitted = fit([norms[i] for i in tr], [labels[i] for i in tr], settings)
        rec = recognizer_from(fitted, meta={"rulebook": {"key": rulebook.jurisdiction.key}})
        recs.append(rec)
        for i in te:
            cv.svc[i] = rec.scores(norms[i], subject=subject_line(cases[i].text))
        progress(f"fold {f + 1}/{k}: recognizer trained on {len(tr)} texts, applied to {len(te)}")
    decisions: list[Decision | None] = [None] * len(cases)
    for f, (tr, te) in enumerate(splits):
        w, b = fit_fusion([cv.svc[i] for i in tr], [views[i] for i in tr], [oks[i] for i in tr])
        rec = recs[f]
        rec.meta["fusion"] = fusion_meta(w, b, ([0.0] * len(CALIBRATION_FEATURES), 0.0), 1.01)
        router = Router(rulebook, rules, recognizer=rec)
        for i in te:
            decisions[i] = router.route(cases[i].text)
        progress(f"fold {f + 1}/{k}: routed {len(te)} texts")
    cv.decisions = [d for d in decisions if d is not None]
    cv.right = [score_case(c, d).right for c, d in zip(cases, cv.decisions, strict=True)]
    cv.cal_inputs = [_cal_inputs(d, v) for d, v in zip(cv.decisions, views, strict=True)]
    conf = [0.0] * len(cases)
    for tr, te in splits:
        cw, cb = fit_calibration([cv.cal_inputs[i] for i in tr], [cv.right[i] for i in tr])
        for i in te:
            z = cb + math.fsum(wi * xi for wi, xi in zip(cw, cv.cal_inputs[i], strict=True))
            conf[i] = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
    cv.confidence = conf
    return cv
