"""The trained recognizer: which matter an incident text is about, learned from labeled incidents.

A linear model over character n-grams (1–3 characters, within clauses) of the normalised text,
TF-IDF weighted (sublinear tf, smoothed idf, l2-normalised), one class per matter plus
:data:`OUT_OF_SCOPE` (a one-vs-rest linear SVM: its scores are margins, not probabilities; the
router fuses and calibrates them, :mod:`dutyroute.routing.fusion`). A letter's subject line (its
short first line, :func:`subject_line`) is scored again and added at :data:`SUBJECT_WEIGHT`. It
is trained by ``dutyroute train`` (:mod:`dutyroute.tools.train`, scikit-learn) on ``corpus/``;
here it is only *applied*, with numpy, so routing needs neither scikit-learn nor SciPy and starts fast.

The artifact is a folder (bundled: ``dutyroute/data/recognizer/``):

- ``meta.json``: format, classes, feature settings, the corpus hash and size, the training
  settings, the fusion and calibration parameters, and the artifact's own ``hash``;
- ``vocab.json``: the n-grams, in feature order; ``idf.npy`` (float32, one per n-gram);
- ``coef.npy`` (int8, n-grams × classes) with ``scale.npy`` (float32, per class) — weights are
  stored quantised to 8 bits per class, which changes no decision measured; ``intercept.npy``;
- ``precedents.jsonl``: the corpus examples the nearest precedents come from (id, matter and the
  excerpt a Decision shows; the full text is in the bundled ``corpus/``), in example order;
- ``precedent_features.npy`` (uint16), ``precedent_counts.npy`` (uint8 or uint16) and
  ``precedent_sizes.npy`` (uint16, examples × blocks): each example's n-gram counts, stored so a
  process never re-reads the examples to find precedents. An example's features are ascending; the
  ``sizes[i, b]`` features of block ``b`` are ``b·65536 + features[...]`` (the low 16 bits stored).

Every file is written deterministically (``.npy`` without timestamps, JSON with sorted keys),
so the same corpus and settings give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ahocorasick_rs
import numpy as np

from ..errors import RuleFileError
from ..model.lists import ListKind
from ..model.pairing import pair_rows
from ..text.normalize import normalize, segments
from .precedents import PRECEDENT_FILES, NgramCounts, Pool, Precedent, excerpt

if TYPE_CHECKING:
    from ..model.lists import Rulebook

__all__ = [
    "ARTIFACT_FILES",
    "FORMAT",
    "OUT_OF_SCOPE",
    "NgramCounts",
    "Precedent",
    "Recognizer",
    "artifact_hash",
    "bundled_artifact_dir",
    "excerpt",
    "features",
    "subject_line",
]

FORMAT = 2
"""Artifact format this dutyroute reads and writes (``format`` in ``meta.json``)."""
OUT_OF_SCOPE = "OUT_OF_SCOPE"
"""The class of incidents no list covers (``accept: []`` in the corpus)."""
SUBJECT_WEIGHT = 0.3
"""How much a text's subject line counts again, on top of the whole text (see :func:`subject_line`).

A letter on a public message board opens with its subject (“关于某饭店油烟噪音扰民的投诉”); the body
that follows greets a leader, tells the history and names other troubles, which dilute the one
line that says what the letter is about. Weighing the subject's scores in once more (0.3 of its own
linear scores, no intercept) gave grouped cross-validation the same accuracy (within 0.2 point)
and the real-message set 2.6 points more of the recognizer's first choice right; 0.6 and 1.0 cost
cross-validation 0.5–2 points. Written in the artifact's ``meta.json`` (``features.subject_weight``),
so an artifact trained without it is applied without it."""
SUBJECT_MAX_CHARS = 60
"""A first line longer than this is the body itself, not a subject line."""
ARTIFACT_FILES = (
    "meta.json",
    "vocab.json",
    "idf.npy",
    "coef.npy",
    "scale.npy",
    "intercept.npy",
    "precedents.jsonl",
    *PRECEDENT_FILES,
)
"""The files of an artifact folder; :func:`artifact_hash` covers all but ``meta.json``'s own hash."""
MAX_NGRAM = 3
_NONZERO_DIGIT = re.compile("[1-9]")


def _fold_digits(norm: str) -> str:
    """Every ASCII digit as ``0`` (a regex: about 8× faster than ``str.translate`` on CJK text)."""
    return _NONZERO_DIGIT.sub("0", norm)


_FIRST = itemgetter(0)


def features(norm: str, max_n: int = MAX_NGRAM) -> list[str]:
    """The n-grams (1 to ``max_n`` characters) of a normalised text, within its clauses (never
    across ``，``/``。``/spaces), digits folded to ``0`` (numbers are noise, their presence is not).

    This one function is the analyzer at training (scikit-learn's ``analyzer=``) and at routing;
    the order of the n-grams carries no meaning (only their counts do).
    """
    out: list[str] = []
    for seg in segments(_fold_digits(norm)):
        out.extend(seg)
        if max_n >= 2:
            out.extend(map(str.__add__, seg, seg[1:]))
        for n in range(3, max_n + 1):
            out.extend([seg[i : i + n] for i in range(len(seg) - n + 1)])
    return out


def subject_line(text: str) -> str:
    """The normalised subject line of an incident text, or ``""`` when it has none.

    The subject is the first line of the text as written (before normalisation joins the lines)
    when it is at most :data:`SUBJECT_MAX_CHARS` characters long and more text follows it.

    Args:
        text: the incident text as the caller gave it (any string; nothing is raised).
    """
    head, sep, rest = text.strip().partition("\n")
    head = head.strip()
    if not sep or not rest.strip() or not head or len(head) > SUBJECT_MAX_CHARS:
        return ""
    return normalize(head)


@dataclass(frozen=True, slots=True)
class _TrainedRow:
    """A row of the version a recognizer was trained on, as ``meta.json`` records it."""

    id: str
    list: ListKind
    seq: int
    title: str


class Recognizer:
    """A trained recognizer. Immutable once built; thread-safe.

    Build it with :meth:`load` (an artifact folder) or :meth:`bundled`; the constructor takes
    the arrays themselves (``dutyroute train`` builds in-memory recognizers for its folds).

    Args:
        vocab: the n-grams, in feature order.
        idf: float32, one per n-gram.
        coef: int8 (or float) weights, n-grams × classes; ``scale`` restores int8 per class.
        scale, intercept: float32, one per class.
        classes: matter ids and :data:`OUT_OF_SCOPE`, in the weights' column order.
        meta: the artifact's metadata (feature settings, fusion, calibration, hash).
        examples: the precedents' pool: (id, matter, text or excerpt) per corpus example.
        path: where it was loaded from, if anywhere.
        precedent_counts: the examples' n-gram counts (:class:`NgramCounts`, in ``examples``
            order), as the artifact stores them; None: counted from the examples' texts when first
            needed (an in-memory recognizer of a training fold).

    Raises:
        RuleFileError: the arrays do not fit together.
    """

    def __init__(
        self,
        vocab: Sequence[str],
        idf: np.ndarray,
        coef: np.ndarray,
        scale: np.ndarray,
        intercept: np.ndarray,
        classes: Sequence[str],
        meta: dict[str, Any],
        examples: Sequence[tuple[str, str, str]] = (),
        path: Path | None = None,
        precedent_counts: NgramCounts | None = None,
    ) -> None:
        self.path = path
        self.meta = meta
        self.classes: tuple[str, ...] = tuple(classes)
        self.hash: str = str(meta.get("hash", ""))
        self.idf = np.asarray(idf, dtype=np.float32)
        self._coef = coef
        self._scale = np.asarray(scale, dtype=np.float32)
        self._intercept = np.asarray(intercept, dtype=np.float32)
        self._vocab: dict[str, int] = {g: i for i, g in enumerate(vocab)}
        # every vocabulary n-gram found in one pass (Rust Aho–Corasick, overlapping matches): the
        # same counts as looking each n-gram of :func:`features` up, since no vocabulary n-gram
        # holds a separator (n-grams stay within clauses)
        self._automaton = (
            ahocorasick_rs.AhoCorasick(list(vocab), matchkind=ahocorasick_rs.MatchKind.Standard)
            if len(vocab)
            else None
        )
        n_feat, n_cls = len(self._vocab), len(self.classes)
        if coef.shape != (n_feat, n_cls) or self.idf.shape != (n_feat,) or self._scale.shape != (n_cls,):
            raise RuleFileError(
                f"recognizer artifact inconsistent: coef {coef.shape}, idf {self.idf.shape}, "
                f"{n_feat} n-grams, {n_cls} classes; rebuild it with: dutyroute train",
                path=path,
            )
        self._max_n = int(meta.get("features", {}).get("max_n", MAX_NGRAM))
        self._subject_weight = np.float32(meta.get("features", {}).get("subject_weight", 0.0))
        self._class_index = {c: i for i, c in enumerate(self.classes)}
        self._example_texts = tuple(text for _, _, text in examples)
        self._examples: dict[str, list[tuple[str, str, int]]] = {}
        for row, (ex_id, matter, text) in enumerate(examples):
            self._examples.setdefault(matter, []).append((ex_id, text, row))
        if precedent_counts is not None and len(precedent_counts) != len(self._example_texts):
            raise RuleFileError(
                f"recognizer artifact inconsistent: {len(self._example_texts)} precedents but "
                f"n-gram counts for {len(precedent_counts)}; rebuild it with: dutyroute train",
                path=path,
            )
        self._counts = precedent_counts
        self._pools: dict[str, Pool] = {}
        self._pool_lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path) -> Recognizer:
        """Load an artifact folder (see the module docstring).

        Raises:
            RuleFileError: a file is missing or malformed, or the format is not :data:`FORMAT`.
        """
        p = Path(path)
        meta_path = p / "meta.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT:
                raise RuleFileError(
                    f"recognizer format {meta.get('format')!r}; this dutyroute reads format {FORMAT}: "
                    "rebuild it with: dutyroute train",
                    path=meta_path,
                )
            vocab = json.loads((p / "vocab.json").read_text(encoding="utf-8"))
            arrays = [
                np.load(p / f, allow_pickle=False)
                for f in ("idf.npy", "coef.npy", "scale.npy", "intercept.npy")
            ]
            # one JSON document of all the lines: one parse in C instead of one call per line
            lines = (p / "precedents.jsonl").read_text(encoding="utf-8").splitlines()
            examples = [(r["id"], r["matter"], r["excerpt"]) for r in json.loads(f"[{','.join(lines)}]")]
            counts = NgramCounts.from_arrays(*(np.load(p / f, allow_pickle=False) for f in PRECEDENT_FILES))
        except FileNotFoundError as exc:
            raise RuleFileError(
                f"recognizer artifact incomplete: {Path(str(exc.filename)).name} missing; "
                "rebuild it with: dutyroute train",
                path=p,
            ) from None
        except (ValueError, OSError, KeyError, TypeError, AttributeError) as exc:
            raise RuleFileError(
                f"recognizer artifact unreadable: {exc}; rebuild it with: dutyroute train", path=p
            ) from None
        idf, coef, scale, intercept = arrays
        return cls(
            vocab,
            idf,
            coef,
            scale,
            intercept,
            meta["classes"],
            meta,
            examples,
            path=p,
            precedent_counts=counts,
        )

    def __repr__(self) -> str:
        return f"<dutyroute.Recognizer {len(self.classes)} classes {len(self._vocab)} n-grams {self.hash}>"

    @classmethod
    def bundled(cls) -> Recognizer | None:
        """The recognizer shipped in the package (loaded once per process), or None if there is none.

        ``DUTYROUTE_RECOGNIZER=DIR`` loads another artifact folder instead (``none``: no recognizer).

        Raises:
            RuleFileError: the artifact named by the variable is missing or unreadable.
        """
        return _bundled()

    # ── which version of the lists it knows ────────────────────────────────────────────────
    def for_rulebook(self, rulebook: Rulebook) -> Recognizer | None:
        """This recognizer speaking ``rulebook``'s matter ids, or None when it cannot.

        Its classes are the ids of the version it was trained on (``meta.json``: ``rulebook`` key,
        hash and rows). For another version of the same township's lists the classes are paired
        with that version's rows by content (:func:`dutyroute.model.pairing.pair_rows`): a renumbered
        or moved row keeps what was learned for it under its new id, a removed row's class is
        dropped, an added row has none (the rules alone find it). Without the trained rows (an
        artifact from before they were recorded) the ids are taken as they are, if all exist.

        Returns:
            ``self`` when the ids already fit; a relabeled copy (same ``hash``, ``meta["mapped_to"]``
            naming the rulebook) when they moved; None for another township, or ids that do not
            exist and cannot be paired.
        """
        trained = self.meta.get("rulebook") or {}
        if trained.get("key") not in (None, rulebook.jurisdiction.key):
            return None
        ids = {m.id for m in rulebook.matters}
        rows = trained.get("rows")
        if trained.get("hash") == rulebook.hash or not rows:
            return self if all(c == OUT_OF_SCOPE or c in ids for c in self.classes) else None
        old = [_TrainedRow(i, ListKind(r[0]), int(r[1]), str(r[2])) for i, r in rows.items()]
        old.sort(key=lambda r: (r.list.letter, r.seq))
        to_new = {o: n for n, o in pair_rows(old, list(rulebook.matters)).items()}
        if all(c == OUT_OF_SCOPE or to_new.get(c) == c for c in self.classes):
            return self
        return self._relabeled(to_new, rulebook.hash)

    def _relabeled(self, to_new: dict[str, str], rulebook_hash: str) -> Recognizer:
        keep = sorted(
            (OUT_OF_SCOPE if c == OUT_OF_SCOPE else to_new[c], i)
            for i, c in enumerate(self.classes)
            if c == OUT_OF_SCOPE or c in to_new
        )
        cols = np.array([i for _, i in keep], dtype=np.int64)
        classes = [c for c, _ in keep]
        meta = {**self.meta, "classes": classes, "mapped_to": rulebook_hash}
        examples = [
            (ex_id, OUT_OF_SCOPE if m == OUT_OF_SCOPE else to_new[m], text, row)
            for m, items in self._examples.items()
            if m == OUT_OF_SCOPE or m in to_new
            for ex_id, text, row in items
        ]
        copy = Recognizer.__new__(Recognizer)
        copy.__dict__.update(self.__dict__)
        copy.meta = meta
        copy.classes = tuple(classes)
        copy._coef = self._coef[:, cols]
        copy._scale = self._scale[cols]
        copy._intercept = self._intercept[cols]
        copy._class_index = {c: i for i, c in enumerate(copy.classes)}
        copy._examples = {}
        for ex_id, matter, text, row in examples:  # rows still index the shared n-gram counts
            copy._examples.setdefault(matter, []).append((ex_id, text, row))
        copy._pools = {}
        copy._pool_lock = threading.Lock()
        return copy

    # ── applying the model ─────────────────────────────────────────────────────────────────
    def vector(self, norm: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's TF-IDF vector: (feature indices, l2-normalised weights), both 1-D.

        Args:
            norm: the normalised text (:func:`dutyroute.text.normalize.normalize`).
        """
        idx, counts = self.ngram_counts(norm)
        return idx, self._weights(idx, counts)

    def ngram_counts(self, norm: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's vocabulary n-grams and how often each occurs: (feature indices ascending,
        counts), both int64 and 1-D (empty when no vocabulary n-gram occurs)."""
        matches = (
            self._automaton.find_matches_as_indexes(_fold_digits(norm), overlapping=True)
            if self._automaton
            else []
        )
        if not matches:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        found = np.fromiter(map(_FIRST, matches), dtype=np.int64, count=len(matches))
        idx, counts = np.unique(found, return_counts=True)
        return idx, counts

    def _weights(self, idx: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Sublinear tf × idf, l2-normalised (float32), for one text's n-gram counts."""
        if idx.size == 0:
            return np.zeros(0, dtype=np.float32)
        w = (1.0 + np.log(counts.astype(np.float32))) * self.idf[idx]
        norm2 = float(np.sqrt(np.dot(w, w)))
        return w / norm2 if norm2 > 0 else w  # type: ignore[no-any-return]

    def decision(
        self, norm: str, vector: tuple[np.ndarray, np.ndarray] | None = None, subject: str = ""
    ) -> np.ndarray:
        """Linear scores per class (float32, shape ``(len(classes),)``), in ``classes`` order.

        Args:
            norm: the normalised text; ``vector`` its :meth:`vector` when already computed.
            subject: the text's :func:`subject_line` (``""``: none); its scores, without the
                intercept, are added at the artifact's ``subject_weight`` (0 for an artifact
                trained without it).
        """
        idx, w = vector if vector is not None else self.vector(norm)
        if idx.size == 0:
            out: np.ndarray = np.array(self._intercept, dtype=np.float32)
        else:
            raw = w @ self._coef[idx].astype(np.float32)
            out = raw * self._scale + self._intercept
        if subject and self._subject_weight:
            s_idx, s_w = self.vector(subject)
            if s_idx.size:
                out = out + (s_w @ self._coef[s_idx].astype(np.float32)) * (
                    self._scale * self._subject_weight
                )
        return out

    def scores(
        self, norm: str, vector: tuple[np.ndarray, np.ndarray] | None = None, subject: str = ""
    ) -> dict[str, float]:
        """Class → linear score (see :meth:`decision`)."""
        return dict(zip(self.classes, self.decision(norm, vector, subject).tolist(), strict=True))

    # ── precedents (类案) ───────────────────────────────────────────────────────────────────
    def precedents(
        self, norm: str, matter: str, k: int = 3, vector: tuple[np.ndarray, np.ndarray] | None = None
    ) -> list[Precedent]:
        """The ``k`` corpus examples labeled ``matter`` nearest to the text (cosine of their TF-IDF
        vectors), best first; ties by example id.

        Args:
            norm: the normalised text.
            matter: a matter id, or :data:`OUT_OF_SCOPE`.
            k: how many (≥ 0).
            vector: the text's :meth:`vector`, when the caller has it already.

        Cost: the first call for a matter weighs its examples' stored n-gram counts into postings
        sorted by feature (about a millisecond); later calls read only the postings of the text's
        features.
        """
        if k <= 0 or matter not in self._examples:
            return []
        pool = self._pool(matter)
        idx, w = vector if vector is not None else self.vector(norm)
        if idx.size == 0 or pool.data.size == 0:
            return []
        sims = pool.similarities(idx, w)  # reads only the postings of the text's features
        if not sims.any():  # no feature in common with any example (weights are positive)
            return []
        # best first; equal similarities (to 6 decimals) by example id: stable across processes
        keys = np.round(sims.astype(np.float64), 6)
        top = max(k * 4, k)
        if keys.size > top:  # the best few without sorting the whole pool
            part = np.argpartition(-keys, top - 1)[:top]
            cand = part[np.argsort(-keys[part], kind="stable")]
        else:
            cand = np.argsort(-keys, kind="stable")
        order = sorted(cand.tolist(), key=lambda i: (-keys[i], pool.ids[i]))[:k]
        out = []
        for i in order:
            text = pool.texts[i]
            out.append(
                Precedent(pool.ids[i], excerpt(text), matter, round(max(0.0, min(1.0, float(sims[i]))), 4))
            )
        return out

    def _pool(self, matter: str) -> Pool:
        pool = self._pools.get(matter)
        if pool is not None:
            return pool
        with self._pool_lock:
            pool = self._pools.get(matter)
            if pool is None:
                counts = self._precedent_counts()
                items = self._examples[matter]
                vectors = []
                for _, _, row in items:
                    idx, c = counts[row]
                    vectors.append((idx, self._weights(idx, c)))
                pool = Pool.of([i for i, _, _ in items], [t for _, t, _ in items], vectors)
                self._pools[matter] = pool
            return pool

    def _precedent_counts(self) -> NgramCounts:
        """The examples' n-gram counts: stored in the artifact, or counted once from their texts."""
        if self._counts is None:  # under _pool_lock
            from ..text.normalize import normalize

            self._counts = NgramCounts.of(
                [self.ngram_counts(normalize(t)) for t in self._example_texts], len(self._vocab)
            )
        return self._counts


def artifact_hash(path: str | Path) -> str:
    """``sha256:`` + 16 hex digits over the artifact's files (``meta.json`` without its ``hash``)."""
    p = Path(path)
    h = hashlib.sha256()
    for name in ARTIFACT_FILES:
        data = (p / name).read_bytes()
        if name == "meta.json":
            meta = json.loads(data)
            meta.pop("hash", None)
            data = json.dumps(meta, ensure_ascii=False, sort_keys=True).encode("utf-8")
        h.update(name.encode() + b"\0" + data + b"\0")
    return "sha256:" + h.hexdigest()[:16]


def bundled_artifact_dir() -> Path:
    """Where the bundled recognizer lives (it may not exist in a checkout that never trained)."""
    return Path(__file__).resolve().parents[1] / "data" / "recognizer"


_BUNDLED_LOCK = threading.Lock()


RECOGNIZER_ENV = "DUTYROUTE_RECOGNIZER"
"""Environment variable naming another artifact folder for the default recognizer (``none``: route
with the rules alone) — for a county's own model in the service, batch workers and Spark executors."""


@lru_cache(maxsize=1)
def _load_bundled() -> Recognizer | None:
    override = os.environ.get(RECOGNIZER_ENV, "").strip()
    if override:
        return None if override.lower() == "none" else Recognizer.load(override)
    d = bundled_artifact_dir()
    return Recognizer.load(d) if (d / "meta.json").exists() else None


def _bundled() -> Recognizer | None:
    with _BUNDLED_LOCK:
        return _load_bundled()


def softmax(z: Sequence[float] | np.ndarray) -> np.ndarray:
    """Softmax of a score vector (stable)."""
    a = np.asarray(z, dtype=np.float64)
    a = a - a.max()
    e = np.exp(a)
    return e / e.sum()  # type: ignore[no-any-return]
