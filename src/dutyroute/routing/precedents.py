"""Precedents (类案): the corpus examples a decision shows, and how the artifact stores them.

:class:`NgramCounts` holds every precedent's n-gram counts compactly (the artifact's
``precedent_*.npy``), so a process finds precedents without re-reading the examples; the
recognizer (:mod:`dutyroute.routing.recognizer`) weighs them into one :class:`Pool` per matter,
an inverted index by feature, on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .postings import row_entries

__all__ = ["EXCERPT", "PRECEDENT_FILES", "NgramCounts", "Pool", "Precedent", "excerpt"]

PRECEDENT_FILES = ("precedent_features.npy", "precedent_counts.npy", "precedent_sizes.npy")
"""The artifact's files of :meth:`NgramCounts.to_arrays`, in that order."""

EXCERPT = 80
"""Characters of a precedent a Decision shows (and the artifact stores)."""


def excerpt(text: str) -> str:
    """The first :data:`EXCERPT` characters of a text, ``…`` ending it when cut (idempotent)."""
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


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


@dataclass(frozen=True, slots=True)
class NgramCounts:
    """Many texts' n-gram counts, stored compactly as the artifact holds them: text ``i`` has
    ``sizes[i].sum()`` features, ascending, the first ``sizes[i, 0]`` in block 0 (feature
    ``low``), the next ``sizes[i, 1]`` in block 1 (feature ``65536 + low``) and so on, each
    occurring ``counts[...]`` times. ``counts_of(i)`` gives them back as int64 arrays.

    Attributes:
        low: uint16, 1-D, each feature's index modulo 65,536, texts concatenated.
        counts: uint8 or uint16, 1-D, the same length.
        sizes: uint16, (texts × blocks).
        offsets: int64, 1-D, one more than the texts: where each text's entries start.
    """

    low: np.ndarray
    counts: np.ndarray
    sizes: np.ndarray
    offsets: np.ndarray

    BLOCK = 1 << 16

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Text ``i``'s (feature indices ascending, counts), both int64."""
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        features = self.low[lo:hi].astype(np.int64)
        block_sizes = self.sizes[i]
        if block_sizes.size > 1:
            features += np.repeat(np.arange(block_sizes.size, dtype=np.int64) * self.BLOCK, block_sizes)
        return features, self.counts[lo:hi].astype(np.int64)

    @classmethod
    def of(cls, per_text: Sequence[tuple[np.ndarray, np.ndarray]], n_features: int) -> NgramCounts:
        """From (feature indices ascending, counts) per text (:meth:`Recognizer.ngram_counts`) over a
        vocabulary of ``n_features``.

        Raises:
            ValueError: a text has more than 65,535 features in one block, or a count above 65,535.
        """
        blocks = max(1, -(-n_features // cls.BLOCK))
        sizes = np.zeros((len(per_text), blocks), dtype=np.int64)
        for i, (idx, _) in enumerate(per_text):
            if idx.size:
                sizes[i] = np.bincount(idx // cls.BLOCK, minlength=blocks)[:blocks]
        if sizes.size and sizes.max() > np.iinfo(np.uint16).max:
            raise ValueError("a text has more than 65,535 n-grams in one block")
        empty = np.zeros(0, dtype=np.int64)
        features = np.concatenate([idx for idx, _ in per_text]).astype(np.int64) if per_text else empty
        counts = np.concatenate([c for _, c in per_text]).astype(np.int64) if per_text else empty
        if counts.size and counts.max() > np.iinfo(np.uint16).max:
            raise ValueError("an n-gram occurs more than 65,535 times in one text")
        dtype = np.uint8 if not counts.size or counts.max() <= np.iinfo(np.uint8).max else np.uint16
        return cls.from_arrays(
            (features % cls.BLOCK).astype(np.uint16), counts.astype(dtype), sizes.astype(np.uint16)
        )

    def to_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The three stored arrays: ``precedent_features.npy``, ``…counts.npy``, ``…sizes.npy``."""
        return self.low, self.counts, self.sizes

    @classmethod
    def from_arrays(cls, low: np.ndarray, counts: np.ndarray, sizes: np.ndarray) -> NgramCounts:
        """The inverse of :meth:`to_arrays` (the arrays are kept, not copied).

        Raises:
            ValueError: the arrays do not fit together.
        """
        if (
            sizes.ndim != 2
            or low.ndim != 1
            or low.shape != counts.shape
            or int(sizes.sum(dtype=np.int64)) != low.size
        ):
            raise ValueError(
                f"precedent arrays do not fit: sizes {sizes.shape}, {low.size} features, {counts.size} counts"
            )
        offsets = np.concatenate([[0], np.cumsum(sizes.sum(axis=1, dtype=np.int64))]).astype(np.int64)
        return cls(low, counts, sizes, offsets)


@dataclass(frozen=True, slots=True)
class Pool:
    """One matter's examples' TF-IDF vectors as an inverted index: the postings of feature
    ``keys[j]`` are ``starts[j]:starts[j + 1]``, and posting ``p`` gives weight ``data[p]`` to
    example ``examples[p]``. A posting costs 6 bytes (float32 weight, uint16 example; int32 for a
    pool of more than 65,535 examples): the features are the keys, not stored per posting.

    Attributes:
        ids, texts: per example, its corpus id and text (or excerpt).
        keys: int32, 1-D, the distinct features of the pool's examples, ascending.
        starts: int64, 1-D, one more than ``keys``: where each key's postings start.
        data: float32, 1-D, the postings' weights; within a key, in example order.
        examples: uint16 or int32, 1-D, the postings' examples (indices into ``ids``).
    """

    ids: tuple[str, ...]
    texts: tuple[str, ...]
    keys: np.ndarray
    starts: np.ndarray
    data: np.ndarray
    examples: np.ndarray

    @classmethod
    def of(
        cls, ids: Sequence[str], texts: Sequence[str], vectors: Sequence[tuple[np.ndarray, np.ndarray]]
    ) -> Pool:
        """The pool of examples given as (feature indices ascending, float32 weights) each.

        Raises:
            ValueError: ``ids``, ``texts`` and ``vectors`` differ in length, or a feature is
                negative or at least 2**31.
        """
        if not len(ids) == len(texts) == len(vectors):
            raise ValueError(f"{len(ids)} ids, {len(texts)} texts and {len(vectors)} vectors")
        n = len(vectors)
        feats = np.concatenate([idx for idx, _ in vectors]) if n else np.zeros(0, dtype=np.int64)
        if feats.size and (feats.min() < 0 or feats.max() >= 2**31):
            raise ValueError("a feature index is negative or does not fit in 31 bits")
        weights = np.concatenate([w for _, w in vectors]) if n else np.zeros(0, dtype=np.float32)
        rows = np.repeat(np.arange(n, dtype=np.int64), [idx.size for idx, _ in vectors])
        order = np.argsort(feats, kind="stable")  # by feature, then by example (stable)
        feats = feats[order]
        keys, first = np.unique(feats, return_index=True)
        return cls(
            tuple(ids),
            tuple(texts),
            keys.astype(np.int32),
            np.append(first, feats.size).astype(np.int64),
            weights[order].astype(np.float32),
            rows[order].astype(np.uint16 if n <= np.iinfo(np.uint16).max else np.int32),
        )

    def similarities(self, idx: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Dot product of a text's vector with every example's, float32, shape ``(len(ids),)``.

        Args:
            idx: the text's feature indices, ascending (int, 1-D).
            w: their weights (float32, same length).

        Reads only the postings of the text's features: time is their number plus
        ``len(idx) · log len(keys)``.
        """
        sims = np.zeros(len(self.ids), dtype=np.float32)
        if idx.size == 0 or self.keys.size == 0:
            return sims
        q = idx.astype(np.int32)
        j = np.minimum(np.searchsorted(self.keys, q), self.keys.size - 1)
        hit = self.keys[j] == q
        pos, lengths = row_entries(self.starts, j[hit])
        if pos.size == 0:
            return sims
        weights = self.data[pos] * np.repeat(w[hit], lengths)
        out: np.ndarray = np.bincount(self.examples[pos], weights=weights, minlength=len(self.ids)).astype(
            np.float32
        )
        return out
