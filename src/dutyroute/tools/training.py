"""``dutyroute train`` end to end: cross-validate (to fit the fusion and the calibration on
out-of-fold predictions), fit the recognizer on the whole corpus, write the artifact."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..routing.recognizer import OUT_OF_SCOPE
from ..text.normalize import normalize
from .crossval import cross_validate, fit_calibration, fit_fusion, fusion_meta, threshold
from .train import TrainSettings, corpus_files, corpus_hash, fit, label_of, load_corpus, write_artifact

__all__ = ["TrainResult", "train"]


@dataclass
class TrainResult:
    """What ``dutyroute train`` built and measured.

    Attributes:
        artifact: the folder written.
        hash: the artifact's hash.
        cases: how many corpus cases it was trained on.
        writers: how many writers they come from.
        cv_accuracy: grouped cross-validated route accuracy (writers held out), in [0, 1].
        auto_dispatch: the auto-dispatch threshold chosen, and the share of cross-validated
            routes at or above it.
        seconds: training time.
    """

    artifact: Path
    hash: str
    cases: int
    writers: int
    cv_accuracy: float
    auto_dispatch: tuple[float, float]
    seconds: float


def train(
    corpus: Sequence[str | Path],
    out_dir: str | Path,
    *,
    bundle: Any,
    settings: TrainSettings | None = None,
    folds: int = 5,
    progress: Any = lambda msg: None,
) -> TrainResult:
    """Train the recognizer, the fusion and the calibration from corpus files; write the artifact.

    Args:
        corpus: corpus folders or files (every ``*.jsonl`` under a folder, sorted).
        out_dir: the artifact folder to write (created; its files replaced).
        bundle: the rulebook and rule files (:class:`~dutyroute.store.bundle.Bundle`) the router
            is fused with.
        settings: recognizer settings (default :class:`TrainSettings`).
        folds: folds of the grouped cross-validation that fits fusion and calibration.
        progress: called with one line of news per step.

    Raises:
        InputError: a corpus path is missing, or it has fewer than two writers or labels.
        CaseFormatError: a corpus line is not a case. ExtraMissingError: scikit-learn missing.
    """
    import time

    t0 = time.perf_counter()
    settings = settings or TrainSettings()
    files = corpus_files(corpus)
    cases = load_corpus(files)
    rb, rules = bundle.rulebook, bundle.rules
    cv = cross_validate(cases, rb, rules, settings, folds=folds, progress=progress)
    oks = [{str(a["matter"]) for a in c.accept} or {OUT_OF_SCOPE} for c in cases]
    w, b = fit_fusion(cv.svc, cv.engine, oks)
    cal = fit_calibration(cv.cal_inputs, cv.right)
    auto = threshold(cv.confidence, cv.right)
    covered = sum(c >= auto for c in cv.confidence) / len(cases)
    progress(f"fusion and calibration fitted; auto-dispatch at confidence ≥ {auto} ({covered:.0%} of routes)")
    fitted = fit([normalize(c.text) for c in cases], [label_of(c) for c in cases], settings)
    root = Path(files[0]).parent if files else Path(".")
    writers = len({c.writer for c in cases})
    corpus_meta: dict[str, Any] = {
        "files": [_shown(f, root) for f in files],
        "hash": corpus_hash(files),
        "cases": len(cases),
        "writers": writers,
    }
    right = sum(cv.right)
    extra = {
        # the rows the class ids name, so another version of the lists can pair them by content
        "rulebook": {
            "key": rb.jurisdiction.key,
            "hash": rb.hash,
            "rows": {m.id: [m.list.value, m.seq, m.title] for m in rb.matters},
        },
        "fusion": fusion_meta(w, b, cal, auto),
        "cv": {
            "folds": max(cv.folds) + 1,
            "grouped_by": "writer",
            "route_accuracy": round(right / len(cases), 4),
            "auto_dispatch_coverage": round(covered, 4),
        },
    }
    digest = write_artifact(fitted, out_dir, cases=cases, corpus=corpus_meta, extra_meta=extra)
    progress(f"wrote {out_dir} ({digest})")
    return TrainResult(
        Path(out_dir),
        digest,
        len(cases),
        writers,
        right / len(cases),
        (auto, covered),
        time.perf_counter() - t0,
    )


def _shown(f: Path, root: Path) -> str:
    try:
        return Path(f).resolve().relative_to(root.resolve().parent).as_posix()
    except ValueError:
        return Path(f).name
