"""Candidate matters for an incident text, ranked, with scores in documented units.

Two kinds of evidence are computed for every matter of the rulebook and added up:

**BM25 over character bigrams** (``bm25s``, Lucene variant, k1 = 1.2, b = 0.75). Chinese has no
spaces; character bigrams are the standard robust unit for short Chinese retrieval and need no
segmenter at query time. Each matter is indexed as two documents:

- *title* — 事项名称;
- *body* — title + every clause: the departments' clauses, the township's cooperating clauses
  (乡镇配合职责, which carry most everyday vocabulary: 发现…及时上报, 劝告制止, 乡村道路破损 …) and the
  receiving departments' 履职方式.

The query is the set of distinct bigrams of the normalised text plus the bigrams of the list
terms that the lexicon expanded it to (see below). Bigrams absent from the lists score 0, so
colloquial filler costs nothing. ``bm25 = TITLE_WEIGHT · bm25(title) + bm25(body)``, in BM25 units
(sum over query bigrams of idf · saturated tf; a typical strong match scores 20–60).

**Concepts** (``rules/lexicon.yaml``). A lexicon entry fires when one of its ``say`` phrases occurs
in the text; it then credits every matter where one of its ``means`` terms occurs:
``weight · FIELD_WEIGHT[field] · idf(term)`` with ``idf = ln(1 + N / df)`` (N matters, df = matters
containing the term), taking for each entry the best term and field of that matter. Fields:
title 1.0, township clauses 0.8, department / receiver clauses 0.7. ``concepts`` is the sum over
fired entries, multiplied by :data:`CONCEPT_SCALE` so that one distinctive concept (idf ≈ 4–5)
weighs about as much as a good BM25 title match.

``score = bm25 + concepts``. Candidates with score 0 are dropped. The router turns scores into
confidences; these raw scores are reported in the decision trace.

Word segmentation: measured on this project's data, ``jieba.initialize()`` costs 0.66 s and
segmenting 2,000 real messages 1.56 s — over the whole routing budget — while words of the lists
are covered by their bigrams and multi-character lexicon phrases by the Aho–Corasick pass. So no
segmenter runs at route time or at index build.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import bm25s
import numpy as np

from .models import ListKind, Matter, Rulebook
from .text import char_ngrams, normalize

__all__ = [
    "CONCEPT_SCALE",
    "FIELD_WEIGHT",
    "TITLE_WEIGHT",
    "BlockRef",
    "Candidate",
    "ClauseRef",
    "MatterIndex",
]

TITLE_WEIGHT = 1.5
"""Multiplier of the title document's BM25 score."""
FIELD_WEIGHT = {"title": 1.0, "township": 0.8, "department": 0.7, "receiver": 0.7}
"""Concept credit by where the list term occurs in a matter."""
CONCEPT_SCALE = 6.0
EXPANSION_IN_BM25 = True
"""Concept credit multiplier (see module docstring)."""


@dataclass(frozen=True, slots=True)
class BlockRef:
    """One body's duty block inside a matter (department, receiver, or the township's clauses)."""

    matter: str
    field: str  # "department" | "receiver" | "township"
    body: str
    unit: str | None
    clauses: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClauseRef:
    """One clause (or the title) of a matter, normalised for matching."""

    matter: str
    field: str  # "title" | "department" | "receiver" | "township"
    body: str
    text: str  # as written
    norm: str


@dataclass(slots=True)
class Candidate:
    """A scored matter. ``score = bm25 + concepts`` (units in the module docstring)."""

    matter: Matter
    score: float
    bm25: float
    concepts: float
    entries: list[str] = field(default_factory=list)  # lexicon entries that credited it


class MatterIndex:
    """BM25 and concept index over one rulebook's matters. Immutable once built; safe to share.

    Args:
        rulebook: the matters to index.
        concepts: ``{entry_id: (weight, means_terms)}`` from the lexicon.

    Build cost: ~50 ms for the 237 matters of 小京庄乡.
    """

    def __init__(self, rulebook: Rulebook, concepts: dict[str, tuple[float, tuple[str, ...]]]) -> None:
        self.rulebook = rulebook
        self.matters: tuple[Matter, ...] = rulebook.matters
        self._pos = {m.id: i for i, m in enumerate(self.matters)}
        self.blocks: dict[str, tuple[BlockRef, ...]] = {}
        self.clauses: dict[str, tuple[ClauseRef, ...]] = {}
        title_docs: list[list[str]] = []
        body_docs: list[list[str]] = []
        for m in self.matters:
            blocks: list[BlockRef] = []
            for b in m.departments:
                blocks.append(BlockRef(m.id, "department", b.body, b.unit, b.clauses))
            for b in m.receivers:
                blocks.append(BlockRef(m.id, "receiver", b.body, b.unit, b.clauses))
            if m.township_clauses:
                blocks.append(BlockRef(m.id, "township", rulebook.jurisdiction.township, None, m.township_clauses))
            self.blocks[m.id] = tuple(blocks)
            clauses = [ClauseRef(m.id, "title", "", m.title, normalize(m.title))]
            seen: set[tuple[str, str]] = set()
            for blk in blocks:
                for c in blk.clauses:
                    # joint headers repeat the same clauses under several bodies: keep the first
                    if (blk.field, c) in seen:
                        continue
                    seen.add((blk.field, c))
                    clauses.append(ClauseRef(m.id, blk.field, blk.body, c, normalize(c)))
            self.clauses[m.id] = tuple(clauses)
            title_docs.append(char_ngrams(clauses[0].norm) or ["∅"])
            body_docs.append([g for c in clauses for g in char_ngrams(c.norm)] or ["∅"])
        self._title = _bm25(title_docs)
        self._body = _bm25(body_docs)
        # bigram idf over matters, for clause ranking
        df: dict[str, int] = defaultdict(int)
        for doc in body_docs:
            for g in set(doc):
                df[g] += 1
        n = len(self.matters)
        self._idf = {g: math.log(1 + n / d) for g, d in df.items()}
        self._clause_grams = {
            m.id: tuple(frozenset(char_ngrams(c.norm)) for c in self.clauses[m.id]) for m in self.matters
        }
        # concepts: entry -> [(matter position, credit)]
        self.concept_postings: dict[str, tuple[tuple[int, float], ...]] = {}
        self.term_matters: dict[str, tuple[str, ...]] = {}
        self.unknown_terms: list[tuple[str, str]] = []
        for entry_id, (weight, terms) in concepts.items():
            best: dict[int, float] = {}
            for term in terms:
                t = normalize(term)
                hits = [
                    (self._pos[m.id], c.field)
                    for m in self.matters
                    for c in self.clauses[m.id]
                    if t and t in c.norm
                ]
                mids = sorted({self.matters[p].id for p, _ in hits}, key=self._pos.__getitem__)
                self.term_matters[term] = tuple(mids)
                if not mids:
                    self.unknown_terms.append((entry_id, term))
                    continue
                idf = math.log(1 + n / len(mids))
                for p, fld in hits:
                    credit = weight * FIELD_WEIGHT[fld] * idf * CONCEPT_SCALE
                    if credit > best.get(p, 0.0):
                        best[p] = credit
            self.concept_postings[entry_id] = tuple(sorted(best.items()))
        self._concept_terms = {e: terms for e, (_, terms) in concepts.items()}

    # ── scoring ────────────────────────────────────────────────────────────────────────────
    def expansion(self, entries: Sequence[str]) -> list[str]:
        """The list terms fired lexicon entries stand for (the query expansion), in entry order."""
        out: list[str] = []
        for e in entries:
            out.extend(self._concept_terms.get(e, ()))
        return out

    def score(
        self, text: str, entries: Sequence[str], boosts: dict[str, float] | None = None
    ) -> list[Candidate]:
        """Every matter with a positive score for normalised ``text`` and fired lexicon ``entries``, best first.

        ``boosts`` multiplies the concept credit of some entries (the router boosts entries said in
        the clause that states the caller's request, see :data:`dutyroute.router.ASK_BOOST`).

        Ties break by list order (basic before cooperative before reclaimed, then 序号), so the
        ranking is deterministic.
        """
        grams = set(char_ngrams(text))
        if EXPANSION_IN_BM25:
            for term in self.expansion(entries):
                grams.update(char_ngrams(normalize(term)))
        tokens = sorted(grams)
        bm = TITLE_WEIGHT * _scores(self._title, tokens) + _scores(self._body, tokens)
        conc = np.zeros(len(self.matters), dtype=np.float64)
        credited: dict[int, list[str]] = defaultdict(list)
        for e in dict.fromkeys(entries):
            k = boosts.get(e, 1.0) if boosts else 1.0
            for p, credit in self.concept_postings.get(e, ()):
                conc[p] += credit * k
                credited[p].append(e)
        total = bm + conc
        order = sorted(
            (p for p in range(len(self.matters)) if total[p] > 0), key=lambda p: (-round(total[p], 9), p)
        )
        return [
            Candidate(self.matters[p], float(total[p]), float(bm[p]), float(conc[p]), credited.get(p, []))
            for p in order
        ]

    def clause_scores(self, matter_id: str, text: str, terms: Sequence[str] = ()) -> list[tuple[ClauseRef, float]]:
        """The matter's clauses (title first) scored against ``text``: sum of bigram idf over shared
        bigrams, plus 2·idf-units for each expanded list term the clause contains. Best first, score > 0."""
        grams = set(char_ngrams(text))
        norm_terms = [normalize(t) for t in terms]
        out = []
        for c, cg in zip(self.clauses[matter_id], self._clause_grams[matter_id]):
            s = sum(self._idf.get(g, 0.0) for g in grams & cg)
            s += sum(2 * self._idf.get(t[:2], 1.0) for t in norm_terms if t and t in c.norm)
            if s > 0:
                out.append((c, s))
        out.sort(key=lambda x: -x[1])
        return out

    def block_scores(self, matter_id: str, text: str, terms: Sequence[str] = ()) -> list[tuple[BlockRef, float]]:
        """Each department / receiver block of the matter scored by its best clause (as in
        :meth:`clause_scores`), so a long block does not win by length nor lose by it."""
        grams = set(char_ngrams(text))
        norm_terms = [normalize(t) for t in terms]
        out = []
        for blk in self.blocks[matter_id]:
            if blk.field == "township":
                continue
            best = 0.0
            for c in blk.clauses:
                cn = normalize(c)
                s = sum(self._idf.get(g, 0.0) for g in grams & set(char_ngrams(cn)))
                s += sum(2 * self._idf.get(t[:2], 1.0) for t in norm_terms if t and t in cn)
                best = max(best, s)
            out.append((blk, best))
        return out

    def kind(self, matter_id: str) -> ListKind:
        """The list of a matter id."""
        return self.matters[self._pos[matter_id]].list


def _bm25(docs: list[list[str]]) -> bm25s.BM25:
    index = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    index.index(docs, show_progress=False)
    return index


def _scores(index: bm25s.BM25, tokens: list[str]) -> np.ndarray:
    ids = index.get_tokens_ids(tokens)
    if not ids:
        return np.zeros(index.scores["num_docs"], dtype=np.float64)
    return index.get_scores_from_ids(ids).astype(np.float64)
