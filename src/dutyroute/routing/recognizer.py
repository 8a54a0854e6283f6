"""The trained recognizer: which matter an incident text is about, learned from labeled incidents.

A linear model over character n-grams (1–3 characters, within clauses) of the normalised text,
TF-IDF weighted (sublinear tf, smoothed idf, l2-normalised), one class per matter plus
:data:`OUT_OF_SCOPE` (a one-vs-rest linear SVM: its scores are margins, not probabilities; the
router fuses and calibrates them, :mod:`dutyroute.routing.fusion`). It is trained by
``dutyroute train`` (:mod:`dutyroute.tools.train`, scikit-learn) on ``corpus/``; here it is only
*applied*, with numpy, so routing needs neither scikit-learn nor SciPy and starts fast.

The artifact is a folder (bundled: ``dutyroute/data/recognizer/``):

- ``meta.json``: format, classes, feature settings, the corpus hash and size, the training
  settings, the fusion and calibration parameters, and the artifact's own ``hash``;
- ``vocab.json``: the n-grams, in feature order; ``idf.npy`` (float32, one per n-gram);
- ``coef.npy`` (int8, n-grams × classes) with ``scale.npy`` (float32, per class) — weights are
  stored quantised to 8 bits per class, which changes no decision measured; ``intercept.npy``;
- ``precedents.jsonl``: the corpus examples (id, matter, text) the nearest precedents come from.

Every file is written deterministically (``.npy`` without timestamps, JSON with sorted keys),
so the same corpus and settings give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RuleFileError
from ..text.normalize import segments

__all__ = [
    "ARTIFACT_FILES",
    "FORMAT",
    "OUT_OF_SCOPE",
    "Precedent",
    "Recognizer",
    "artifact_hash",
    "bundled_artifact_dir",
    "features",
]

FORMAT = 1
"""Artifact format this dutyroute reads and writes (``format`` in ``meta.json``)."""
OUT_OF_SCOPE = "OUT_OF_SCOPE"
"""The class of incidents no list covers (``accept: []`` in the corpus)."""
ARTIFACT_FILES = (
    "meta.json",
    "vocab.json",
    "idf.npy",
    "coef.npy",
    "scale.npy",
    "intercept.npy",
    "precedents.jsonl",
)
"""The files of an artifact folder; :func:`artifact_hash` covers all but ``meta.json``'s own hash."""
MAX_NGRAM = 3
_DIGITS = str.maketrans("0123456789", "0000000000")


def features(norm: str, max_n: int = MAX_NGRAM) -> Iterator[str]:
    """The n-grams (1 to ``max_n`` characters) of a normalised text, within its clauses (never
    across ``，``/``。``/spaces), digits folded to ``0`` (numbers are noise, their presence is not).

    This one function is the analyzer at training (scikit-learn's ``analyzer=``) and at routing.
    """
    for seg in segments(norm.translate(_DIGITS)):
        n_seg = len(seg)
        for n in range(1, max_n + 1):
            for i in range(n_seg - n + 1):
                yield seg[i : i + n]


@dataclass(frozen=True, slots=True)
class Precedent:
    """A labeled corpus example close to the incident (类案).

    Attributes:
        id: the example's id in ``corpus/`` (``W03-0112``).
        excerpt: its first 80 characters (``…`` when cut).
        matter: the matter it is labeled with (its first accepted route).
        similarity: cosine similarity of the two texts' TF-IDF vectors, in [0, 1].
    """

    id: str
    excerpt: str
    matter: str
    similarity: float


class Recognizer:
    """A trained recognizer, loaded from an artifact folder. Immutable once loaded; thread-safe.

    Args:
        path: the artifact folder (see the module docstring).

    Raises:
        RuleFileError: a file is missing or malformed, or the format is not :data:`FORMAT`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        meta_path = self.path / "meta.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            vocab = json.loads((self.path / "vocab.json").read_text(encoding="utf-8"))
            self.idf = np.load(self.path / "idf.npy", allow_pickle=False)
            self._coef = np.load(self.path / "coef.npy", allow_pickle=False)
            self._scale = np.load(self.path / "scale.npy", allow_pickle=False)
            self._intercept = np.load(self.path / "intercept.npy", allow_pickle=False)
        except FileNotFoundError as exc:
            raise RuleFileError(
                f"recognizer artifact incomplete: {Path(exc.filename).name} missing; "
                "rebuild it with: dutyroute train",
                path=self.path,
            ) from None
        except (ValueError, OSError) as exc:
            raise RuleFileError(
                f"recognizer artifact unreadable: {exc}; rebuild it with: dutyroute train", path=self.path
            ) from None
        if meta.get("format") != FORMAT:
            raise RuleFileError(
                f"recognizer format {meta.get('format')!r}; this dutyroute reads format {FORMAT}: "
                "rebuild it with: dutyroute train",
                path=meta_path,
            )
        self.meta: dict[str, Any] = meta
        self.classes: tuple[str, ...] = tuple(meta["classes"])
        self.hash: str = str(meta.get("hash", ""))
        self._vocab: dict[str, int] = {g: i for i, g in enumerate(vocab)}
        n_feat, n_cls = len(vocab), len(self.classes)
        if (
            self._coef.shape != (n_feat, n_cls)
            or self.idf.shape != (n_feat,)
            or self._scale.shape != (n_cls,)
        ):
            raise RuleFileError(
                f"recognizer artifact inconsistent: coef {self._coef.shape}, idf {self.idf.shape}, "
                f"{n_feat} n-grams, {n_cls} classes; rebuild it with: dutyroute train",
                path=self.path,
            )
        self._max_n = int(meta["features"]["max_n"])
        self._class_index = {c: i for i, c in enumerate(self.classes)}
        self._precedent_lock = threading.Lock()
        self._precedent_vectors: dict[str, list[tuple[str, str, dict[int, float]]]] | None = None

    def __repr__(self) -> str:
        return f"<dutyroute.Recognizer {len(self.classes)} classes {len(self._vocab)} n-grams {self.hash}>"

    @classmethod
    def bundled(cls) -> Recognizer | None:
        """The recognizer shipped in the package (loaded once per process), or None if there is none."""
        return _bundled()

    # ── applying the model ─────────────────────────────────────────────────────────────────
    def vector(self, norm: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's TF-IDF vector: (feature indices, l2-normalised weights), both 1-D.

        Args:
            norm: the normalised text (:func:`dutyroute.text.normalize.normalize`).
        """
        vocab = self._vocab
        counts = Counter(i for g in features(norm, self._max_n) if (i := vocab.get(g)) is not None)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        w = (1.0 + np.log(tf)) * self.idf[idx]
        norm2 = float(np.sqrt(np.dot(w, w)))
        return idx, (w / norm2 if norm2 > 0 else w)

    def decision(self, norm: str) -> np.ndarray:
        """Linear scores per class (float32, shape ``(len(classes),)``), in ``classes`` order."""
        idx, w = self.vector(norm)
        if idx.size == 0:
            out: np.ndarray = np.array(self._intercept, dtype=np.float32)
            return out
        raw = w @ self._coef[idx].astype(np.float32)
        return raw * self._scale + self._intercept  # type: ignore[no-any-return]

    def index_of(self, cls: str) -> int | None:
        """Position of a class (a matter id or :data:`OUT_OF_SCOPE`) in ``classes``, or None."""
        return self._class_index.get(cls)

    # ── precedents (类案) ───────────────────────────────────────────────────────────────────
    def precedents(self, norm: str, matter: str | None = None, k: int = 3) -> list[Precedent]:
        """The ``k`` corpus examples nearest to the text (cosine of TF-IDF vectors), best first.

        Args:
            norm: the normalised text.
            matter: only examples labeled with this matter (None: any).
            k: how many (≥ 0).

        Cost: the first call per matter vectorises that matter's examples (about 50, ~10 ms);
        later calls compare against the cached vectors.
        """
        pool = (
            self._precedent_pool().get(matter, [])
            if matter is not None
            else [ex for exs in self._precedent_pool().values() for ex in exs]
        )
        if not pool or k <= 0:
            return []
        idx, w = self.vector(norm)
        q = dict(zip(idx.tolist(), w.tolist(), strict=True))
        scored = []
        for ex_id, text, vec in pool:
            small, large = (q, vec) if len(q) < len(vec) else (vec, q)
            sim = math.fsum(v * large.get(i, 0.0) for i, v in small.items())
            scored.append((-round(sim, 9), ex_id, text, sim))
        scored.sort()
        out = []
        for _, ex_id, text, sim in scored[:k]:
            excerpt = text if len(text) <= 80 else text[:79] + "…"
            out.append(Precedent(ex_id, excerpt, matter or "", round(max(0.0, min(1.0, sim)), 4)))
        return out

    def _precedent_pool(self) -> dict[str | None, list[tuple[str, str, dict[int, float]]]]:
        with self._precedent_lock:
            if self._precedent_vectors is None:
                pool: dict[str, list[tuple[str, str, dict[int, float]]]] = {}
                path = self.path / "precedents.jsonl"
                for line in path.read_text(encoding="utf-8").splitlines():
                    rec = json.loads(line)
                    idx, w = self.vector(rec["norm"])
                    vec = dict(zip(idx.tolist(), w.tolist(), strict=True))
                    pool.setdefault(rec["matter"], []).append((rec["id"], rec["text"], vec))
                self._precedent_vectors = pool
            return self._precedent_vectors  # type: ignore[return-value]


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


@lru_cache(maxsize=1)
def _load_bundled() -> Recognizer | None:
    d = bundled_artifact_dir()
    return Recognizer(d) if (d / "meta.json").exists() else None


def _bundled() -> Recognizer | None:
    with _BUNDLED_LOCK:
        return _load_bundled()


def softmax(z: Sequence[float] | np.ndarray) -> np.ndarray:
    """Softmax of a score vector (stable)."""
    a = np.asarray(z, dtype=np.float64)
    a = a - a.max()
    e = np.exp(a)
    return e / e.sum()  # type: ignore[no-any-return]
