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
weighs about as much as a good BM25 title match; an entry said in the clause that states the
caller's request is further multiplied by the router's ``ASK_BOOST``.

Three guards keep general words from deciding: each entry's credit is multiplied by its
*specificity* (IDF-like over the matters its terms reach: 1.0 for one matter, down to
:data:`SPECIFICITY_FLOOR` for all), the credits a matter gets add with diminishing returns (the
i-th strongest counts :data:`CONCEPT_DECAY` ** i), and a long query's BM25 is scaled by
``sqrt(LONG_QUERY_GRAMS / distinct bigrams)`` so that chance overlaps of a long message with long
clauses do not drown what the caller names. The router damps entries said only in background
clauses and leaves those clauses' bigrams out of BM25 (``gram_text`` of :meth:`MatterIndex.query`).

``score = bm25 + concepts``. Candidates with score 0 are dropped. The router turns scores into
confidences; these raw scores are reported in the decision trace.

Word segmentation: measured on this machine, ``jieba.initialize()`` costs 0.7 s and segmenting
the 2,000 benchmark messages 1.6–2.1 s — more than the whole routing budget (2 s) — while the
lists' words are covered by their bigrams and multi-character lexicon phrases by the one
Aho–Corasick pass (:mod:`dutyroute.text.phrases`). So no segmenter runs at route time or at index
build; tokens absent from the lists contribute nothing to BM25 anyway.

Scoring uses one (bigram × matter) table of the BM25 weights that ``bm25s`` computed, kept by row
as its nonzero entries (about 1 % of it), so a query sums only the entries of its bigrams (one
``np.bincount``), exactly what a dense row sum gives.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import bm25s
import numpy as np

from ..model.lists import ListKind, Matter, Rulebook
from ..text.normalize import char_ngrams
from ..text.normalize import normalize as _normalize
from .postings import row_entries

__all__ = [
    "CONCEPT_SCALE",
    "FIELD_WEIGHT",
    "TITLE_WEIGHT",
    "BlockRef",
    "Candidate",
    "ClauseRef",
    "MatterIndex",
    "Query",
]

TITLE_WEIGHT = 1.5
"""Multiplier of the title document's BM25 score."""
FIELD_WEIGHT = {"title": 1.0, "township": 0.8, "department": 0.7, "receiver": 0.7}
"""Concept credit by where the list term occurs in a matter."""
CONCEPT_SCALE = 6.0
EXPANSION_IN_BM25 = True
"""Concept credit multiplier (see module docstring)."""
CONCEPT_DECAY = 0.9
"""Per matter, the i-th strongest concept credit (0-based) counts CONCEPT_DECAY**i."""
LONG_QUERY_GRAMS = 60
"""Queries with more distinct bigrams than this have BM25 scaled by sqrt(LONG_QUERY_GRAMS / n)."""
SPECIFICITY_FLOOR = 0.85
"""Specificity multiplier of a lexicon entry that reaches every matter (one reaching 1 matter: 1.0)."""


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


@dataclass(frozen=True, slots=True)
class Query:
    """A prepared query: the normalised text, the lexicon entries it fired (with request-clause
    boosts), its distinct bigrams and the expanded list terms (normalised)."""

    text: str
    entries: tuple[str, ...]
    boosts: dict[str, float]
    grams: frozenset[str]
    terms: tuple[str, ...]


@dataclass(slots=True)
class Candidate:
    """A scored matter. ``score = bm25 + concepts`` (units in the module docstring)."""

    matter: Matter
    score: float
    bm25: float
    concepts: float
    entries: list[str] = field(default_factory=list)  # lexicon entries that credited it


class _Memo:
    """Build-time memo of normalised texts and their bigrams: clauses repeat across blocks and terms."""

    def __init__(self) -> None:
        self._norm: dict[str, str] = {}
        self._grams: dict[str, list[str]] = {}
        self._gramset: dict[str, frozenset[str]] = {}

    def norm(self, text: str) -> str:
        out = self._norm.get(text)
        if out is None:
            out = self._norm[text] = _normalize(text)
        return out

    def grams(self, normed: str) -> list[str]:  # do not mutate the list returned
        out = self._grams.get(normed)
        if out is None:
            out = self._grams[normed] = char_ngrams(normed)
        return out

    def gramset(self, normed: str) -> frozenset[str]:
        out = self._gramset.get(normed)
        if out is None:
            out = self._gramset[normed] = frozenset(self.grams(normed))
        return out


SHARED_INDEXES = 8
"""Indexes :meth:`MatterIndex.shared` keeps (least recently used dropped first)."""
_shared: OrderedDict[tuple[object, ...], MatterIndex] = OrderedDict()
_shared_lock = threading.Lock()


class MatterIndex:
    """BM25 and concept index over one rulebook's matters. Immutable once built; safe to share.

    Args:
        rulebook: the matters to index.
        concepts: ``{entry_id: (weight, means_terms)}`` from the lexicon.

    Build cost: ~50 ms for the 237 matters of 小京庄乡.
    """

    def __init__(self, rulebook: Rulebook, concepts: dict[str, tuple[float, tuple[str, ...]]]) -> None:
        self._memo = _Memo()
        self.rulebook = rulebook
        self.matters: tuple[Matter, ...] = rulebook.matters
        self._pos = {m.id: i for i, m in enumerate(self.matters)}
        title_docs, body_docs = self._documents()
        self._bm25_table(title_docs, body_docs)
        self._clause_index(body_docs)
        self._concepts(concepts)
        del self._memo  # build-time only

    @classmethod
    def shared(cls, rulebook: Rulebook, concepts: dict[str, tuple[float, tuple[str, ...]]]) -> MatterIndex:
        """The index of these matters and concepts, built once per process and then shared.

        Keyed by content (the rulebook's :attr:`~dutyroute.model.lists.Rulebook.hash` and the
        concepts), so routers over equal rulebooks and lexicons share one index; the last
        :data:`SHARED_INDEXES` are kept.
        """
        key = (rulebook.hash, tuple(sorted(concepts.items())))
        with _shared_lock:
            index = _shared.get(key)
            if index is not None:
                _shared.move_to_end(key)
                return index
        index = cls(rulebook, concepts)
        with _shared_lock:
            _shared[key] = index
            while len(_shared) > SHARED_INDEXES:
                _shared.popitem(last=False)
        return index

    def _documents(self) -> tuple[list[list[str]], list[list[str]]]:
        """Each matter's blocks and clauses, and its title and body documents (bigrams) for BM25."""
        norm, grams = self._memo.norm, self._memo.grams
        rulebook = self.rulebook
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
                blocks.append(
                    BlockRef(m.id, "township", rulebook.jurisdiction.township, None, m.township_clauses)
                )
            self.blocks[m.id] = tuple(blocks)
            clauses = [ClauseRef(m.id, "title", "", m.title, norm(m.title))]
            seen: set[tuple[str, str]] = set()
            for blk in blocks:
                for c in blk.clauses:
                    # joint headers repeat the same clauses under several bodies: keep the first
                    if (blk.field, c) in seen:
                        continue
                    seen.add((blk.field, c))
                    clauses.append(ClauseRef(m.id, blk.field, blk.body, c, norm(c)))
            self.clauses[m.id] = tuple(clauses)
            title_docs.append(list(grams(clauses[0].norm)) or ["∅"])
            body_docs.append([g for c in clauses for g in grams(c.norm)] or ["∅"])
        return title_docs, body_docs

    def _bm25_table(self, title_docs: list[list[str]], body_docs: list[list[str]]) -> None:
        """The (bigram × matter) table of BM25 weights, title weighted, kept by row as its nonzero
        entries (a bigram is in few matters: about 1 % of the table is nonzero)."""
        title = _bm25(title_docs)
        body = _bm25(body_docs)
        # bm25s computes the weights (idf, length normalisation); they are added into one dense
        # (vocabulary × matters) float32 table, ~9k bigrams × 237 matters, then kept sparse
        vocab = sorted(set(title.vocab_dict) | set(body.vocab_dict))
        self._vocab = {t: i for i, t in enumerate(vocab)}
        table = np.zeros((len(vocab), len(self.matters)), dtype=np.float32)
        for index, factor in ((title, TITLE_WEIGHT), (body, 1.0)):
            data, indices, indptr = (index.scores[k] for k in ("data", "indices", "indptr"))
            # posting lists are CSC by bm25s token id; map each token id to its table row (bm25s's
            # empty placeholder token, id ≥ len(indptr) - 1, has no postings) and add all at once:
            # within one index every (token, matter) pair occurs once, so the fancy-index add is exact
            rows = np.zeros(len(indptr) - 1, dtype=np.int64)
            for token, tid in index.vocab_dict.items():
                if tid + 1 < len(indptr):
                    rows[tid] = self._vocab[token]
            table[np.repeat(rows, np.diff(indptr)), indices] += factor * data
        # by row, then by matter (np.nonzero is row-major): row r's entries are
        # _row_start[r]:_row_start[r + 1]
        nz_rows, nz_matters = np.nonzero(table)
        self._row_start = np.searchsorted(nz_rows, np.arange(len(vocab) + 1)).astype(np.int64)
        self._row_matter = nz_matters.astype(np.int32)
        self._row_weight = table[nz_rows, nz_matters]

    def _clause_index(self, body_docs: list[list[str]]) -> None:
        """Bigram idf over matters and each clause's bigrams, for ranking clauses and blocks."""
        norm, gramset = self._memo.norm, self._memo.gramset
        # bigram idf over matters, for clause ranking
        df: dict[str, int] = defaultdict(int)
        for doc in body_docs:
            for g in set(doc):
                df[g] += 1
        n = len(self.matters)
        self._idf = {g: math.log(1 + n / d) for g, d in df.items()}
        self._clause_grams = {m.id: tuple(gramset(c.norm) for c in self.clauses[m.id]) for m in self.matters}
        self._block_clauses = {
            m.id: tuple(tuple((norm(c), gramset(norm(c))) for c in blk.clauses) for blk in self.blocks[m.id])
            for m in self.matters
        }
        # bigrams every department/receiver block of a matter shares (no help in choosing one)
        self._shared_block_grams: dict[str, frozenset[str]] = {}
        for m in self.matters:
            sets = [
                frozenset().union(*(cg for _, cg in clauses))
                for blk, clauses in zip(self.blocks[m.id], self._block_clauses[m.id], strict=False)
                if blk.field != "township"
            ]
            if len(sets) > 1:
                self._shared_block_grams[m.id] = frozenset.intersection(*sets)

    def _concepts(self, concepts: dict[str, tuple[float, tuple[str, ...]]]) -> None:
        """Lexicon entries → the matters their terms occur in, with credits; specificity; expansion."""
        norm, grams = self._memo.norm, self._memo.grams
        n = len(self.matters)
        # concepts: entry -> [(matter position, credit)]
        self.concept_postings: dict[str, tuple[tuple[int, float], ...]] = {}
        self.term_matters: dict[str, tuple[str, ...]] = {}
        self.unknown_terms: list[tuple[str, str]] = []
        # every matter's normalised clauses in one string ("\x00" inside a matter, "\x01" between
        # matters; normalised text holds neither), so a term's matters are found with str.find
        joined = "\x01".join("\x00".join(c.norm for c in self.clauses[m.id]) for m in self.matters)
        ends: list[int] = []  # per matter position: the offset just past its text in ``joined``
        offset = 0
        for m in self.matters:
            offset += sum(len(c.norm) + 1 for c in self.clauses[m.id]) - 1
            ends.append(offset)
            offset += 1
        term_hits: dict[str, list[tuple[int, str]]] = {}
        for entry_id, (weight, terms) in concepts.items():
            best: dict[int, float] = {}
            for term in terms:
                t = norm(term)
                hits = term_hits.get(t)
                if hits is None:
                    hits = term_hits[t] = [
                        (p, c.field)
                        for p in _positions(joined, ends, t)
                        for c in self.clauses[self.matters[p].id]
                        if t in c.norm
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
        # entry specificity (IDF-like over matters): an entry whose terms reach many matters is a
        # general word and weighs less than one that points at one or two matters
        self.specificity: dict[str, float] = {}
        log_n = math.log(1 + n)
        for entry_id, posts in self.concept_postings.items():
            reach = max(1, len(posts))
            self.specificity[entry_id] = SPECIFICITY_FLOOR + (1 - SPECIFICITY_FLOOR) * (
                math.log(1 + n / reach) / log_n
            )
        self._concept_terms = {e: terms for e, (_, terms) in concepts.items()}
        self._expansion_ids = {
            e: frozenset(self._vocab[g] for t in terms for g in grams(norm(t)) if g in self._vocab)
            for e, terms in self._concept_terms.items()
        }
        self._expansion_norm = {e: tuple(norm(t) for t in terms) for e, terms in self._concept_terms.items()}

    # ── scoring ────────────────────────────────────────────────────────────────────────────
    def expansion(self, entries: Sequence[str]) -> list[str]:
        """The list terms fired lexicon entries stand for (the query expansion), in entry order."""
        out: list[str] = []
        for e in entries:
            out.extend(self._concept_terms.get(e, ()))
        return out

    def query(
        self,
        text: str,
        entries: Sequence[str],
        boosts: dict[str, float] | None = None,
        *,
        gram_text: str | None = None,
    ) -> Query:
        """Prepare normalised ``text`` and the lexicon ``entries`` it fired for scoring (done once per route).

        ``boosts`` multiplies the concept credit of some entries (the router boosts entries said in
        the clause that states the caller's request, see :data:`dutyroute.routing.router.ASK_BOOST`, and
        damps those said only in background clauses). ``gram_text`` (default ``text``) is the part
        of the text whose bigrams BM25 scores.
        """
        entries = tuple(dict.fromkeys(entries))
        grams = frozenset(char_ngrams(text if gram_text is None else gram_text))
        terms: list[str] = []
        for e in entries:
            terms.extend(self._expansion_norm.get(e, ()))
        return Query(text, entries, dict(boosts or {}), grams, tuple(dict.fromkeys(t for t in terms if t)))

    def score(self, q: Query, limit: int = 40) -> list[Candidate]:
        """The best ``limit`` matters with a positive score for a query, best first.

        Ties break by list order (basic before cooperative before reclaimed, then 序号), so the
        ranking is deterministic.
        """
        found = set(map(self._vocab.get, q.grams))  # one lookup a bigram; None: not in the lists
        found.discard(None)
        ids = cast("set[int]", found)
        if EXPANSION_IN_BM25:
            for e in q.entries:
                if q.boosts.get(e, 1.0) >= 1.0:  # entries damped as background do not expand
                    ids |= self._expansion_ids.get(e, frozenset())
        bm = self._bm25_sum(np.sort(np.fromiter(ids, dtype=np.int64, count=len(ids))))
        n_grams = len(q.grams)
        if n_grams > LONG_QUERY_GRAMS:
            # a long message shares many bigrams with long clauses by chance: damp BM25 so the
            # concepts (what the caller actually names) keep their weight against it
            bm = bm * math.sqrt(LONG_QUERY_GRAMS / n_grams)
        conc = np.zeros(len(self.matters), dtype=np.float64)
        credited: dict[int, list[str]] = defaultdict(list)
        per_matter: dict[int, list[float]] = defaultdict(list)
        for e in q.entries:
            k = q.boosts.get(e, 1.0) * self.specificity.get(e, 1.0)
            for p, credit in self.concept_postings.get(e, ()):
                per_matter[p].append(credit * k)
                credited[p].append(e)
        for p, credits in per_matter.items():
            # diminishing returns: the strongest concept counts fully, each further one less
            # (CONCEPT_DECAY), so several general hits do not outweigh one specific hit
            credits.sort(reverse=True)
            conc[p] = sum(c * CONCEPT_DECAY**i for i, c in enumerate(credits))
        total = np.round(bm + conc, 9)
        positive = np.flatnonzero(total > 0)
        order = positive[np.lexsort((positive, -total[positive]))][:limit]
        matters = self.matters
        return [  # .tolist(): Python floats and ints at once, not one numpy scalar at a time
            Candidate(matters[p], t, b, c, credited.get(p, []))
            for p, t, b, c in zip(
                order.tolist(), total[order].tolist(), bm[order].tolist(), conc[order].tolist(), strict=True
            )
        ]

    def _bm25_sum(self, rows: np.ndarray) -> np.ndarray:
        """Per matter (float64, shape ``(len(matters),)``), the sum of the BM25 table's ``rows``
        (bigram ids, ascending): each row's nonzero entries added in row order, the very additions
        of the dense table's ``table[rows].sum(axis=0, dtype=np.float64)`` but for its zeros, so
        the sums are the same bit for bit. Time is the number of those entries."""
        pos, _ = row_entries(self._row_start, rows)
        if pos.size == 0:
            return np.zeros(len(self.matters), dtype=np.float64)
        out: np.ndarray = np.bincount(
            self._row_matter[pos], weights=self._row_weight[pos], minlength=len(self.matters)
        )
        return out

    def clause_scores(self, matter_id: str, q: Query) -> list[tuple[ClauseRef, float]]:
        """The matter's clauses (title first) scored against a query: sum of bigram idf over shared
        bigrams, plus 2·idf-units for each expanded list term the clause contains. Best first, score > 0."""
        out = []
        for c, cg in zip(self.clauses[matter_id], self._clause_grams[matter_id], strict=False):
            s = self._overlap(q, c.norm, cg)
            if s > 0:
                out.append((c, s))
        out.sort(key=lambda x: -x[1])
        return out

    def block_scores(self, matter_id: str, q: Query) -> list[tuple[BlockRef, float]]:
        """Each department / receiver block of the matter scored by its best clause (as in
        :meth:`clause_scores`), so a long block does not win by length nor lose by it. Bigrams that
        every block of the matter uses (the matter's common words: 河道, 消防 …) are left out: only
        what distinguishes one department's duties from another's counts."""
        out = []
        shared = self._shared_block_grams.get(matter_id, frozenset())
        for blk, clauses in zip(self.blocks[matter_id], self._block_clauses[matter_id], strict=False):
            if blk.field == "township":
                continue
            out.append((blk, max((self._overlap(q, cn, cg - shared) for cn, cg in clauses), default=0.0)))
        return out

    def _overlap(self, q: Query, norm: str, grams: frozenset[str]) -> float:
        idf = self._idf
        # fsum: exact, so the result does not depend on the set's (per-process, hash-salted) order
        s = math.fsum(idf.get(g, 0.0) for g in q.grams & grams)
        return s + sum(2 * idf.get(t[:2], 1.0) for t in q.terms if t in norm)

    def kind(self, matter_id: str) -> ListKind:
        """The list of a matter id."""
        return self.matters[self._pos[matter_id]].list


def _positions(joined: str, ends: list[int], term: str) -> list[int]:
    """Positions (ascending) of the matters whose text in ``joined`` contains ``term`` (index build)."""
    out: list[int] = []
    if not term:
        return out
    i = joined.find(term)
    while i >= 0:
        p = bisect.bisect_left(ends, i)
        out.append(p)
        i = joined.find(term, ends[p] + 1)
    return out


def _bm25(docs: list[list[str]]) -> bm25s.BM25:
    index = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    index.index(docs, show_progress=False)
    return index
