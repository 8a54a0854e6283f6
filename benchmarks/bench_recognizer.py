"""Compare recognizer models and settings by grouped cross-validation on the corpus (writers held out).

    python benchmarks/bench_recognizer.py [--folds 5] [--models svm,ridge,sgd,lr,cnb]
                                          [--settings '{"c": 0.5}' ...] [--corpus corpus/]

What is measured: the recognizer *alone* (no rules, no fusion): for each fold of
``GroupKFold(folds)`` over the corpus grouped by ``writer``, a model is trained on the other
writers and predicts each held-out text's label (its first accepted matter, or ``OUT_OF_SCOPE``);
the score is the share of texts whose top class is that label, over all folds. The features are
the shipped ones (:func:`dutyroute.tools.train.vectorizer`: character 1–3-grams within clauses,
TF-IDF, the vocabulary of :func:`~dutyroute.tools.train.select_vocabulary`) for every model, so
only the classifier (``--models``) or the training settings (``--settings``, fields of
:class:`~dutyroute.tools.train.TrainSettings`, applied to the SVM) differ.

This is how ``dutyroute train``'s model was chosen; ``dutyroute eval --cv 5`` measures the whole
router (recognizer fused with the rules, clarifying questions, acting bodies), which is the number
the README reports. Each line prints the model, the settings, the accuracy and the seconds taken.
Needs the ``[train]`` extra. Takes ~2–3 min per line on 17,000 texts on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from dutyroute.text.normalize import normalize
from dutyroute.tools.train import TrainSettings, label_of, load_corpus, select_vocabulary, vectorizer

REPO = Path(__file__).resolve().parents[1]


def classifier(name: str, settings: TrainSettings) -> Any:
    """A scikit-learn classifier by short name."""
    from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier
    from sklearn.naive_bayes import ComplementNB
    from sklearn.svm import LinearSVC

    return {
        "svm": lambda: LinearSVC(
            C=settings.c,
            max_iter=settings.max_iter,
            class_weight=settings.class_weight,
            dual=True,
            random_state=0,
        ),
        "ridge": lambda: RidgeClassifier(alpha=1.0, solver="sparse_cg"),
        "sgd": lambda: SGDClassifier(loss="modified_huber", alpha=1e-5, max_iter=30, random_state=0),
        "lr": lambda: LogisticRegression(C=10.0, max_iter=300),
        "cnb": lambda: ComplementNB(alpha=0.3),
    }[name]()


def grouped_cv(
    texts: list[str], labels: list[str], groups: list[str], model: str, settings: TrainSettings, folds: int
) -> float:
    """Top-1 accuracy of ``model`` over ``folds`` writer-grouped folds."""
    from sklearn.model_selection import GroupKFold

    right = 0
    for train, test in GroupKFold(folds).split(texts, labels, groups):
        tr = [texts[i] for i in train]
        vec = vectorizer(settings, select_vocabulary(tr, settings))
        clf = classifier(model, settings).fit(vec.fit_transform(tr), [labels[i] for i in train])
        pred = clf.predict(vec.transform([texts[i] for i in test]))
        right += int(np.sum(pred == np.array([labels[i] for i in test])))
    return right / len(texts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=REPO / "corpus")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--models", default="svm", help="comma-separated: svm, ridge, sgd, lr, cnb")
    ap.add_argument(
        "--settings",
        action="append",
        default=[],
        help="JSON of TrainSettings fields for the SVM, e.g. '{\"c\": 0.5}' (repeatable)",
    )
    args = ap.parse_args()
    cases = load_corpus([args.corpus])
    texts = [normalize(c.text) for c in cases]
    labels = [label_of(c) for c in cases]
    groups = [c.writer or c.id for c in cases]
    print(f"{len(texts)} texts, {len(set(groups))} writers, {len(set(labels))} labels, {args.folds} folds")
    runs = [(m, {}) for m in args.models.split(",") if m] + [("svm", json.loads(s)) for s in args.settings]
    for model, extra in runs:
        settings = replace(TrainSettings(), **extra)
        t = time.perf_counter()
        acc = grouped_cv(texts, labels, groups, model, settings, args.folds)
        print(
            f"{model:6s} {json.dumps(extra):40s} accuracy {acc:.4f}  ({time.perf_counter() - t:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
