"""The labeled incident corpus as data: squashed keys, near-duplicates, acting checks, lint.

A corpus file is JSONL in the cases format (``docs/formats.md``) plus ``source``, ``style`` and
``writer``. These checks back ``dutyroute lint corpus/`` and the corpus build script:

- ``corpus-load`` (error): a line that is not a case (CaseFormatError ``file:line``);
- ``corpus-label`` (error): a label that cannot be scored (unknown matter or body, alias names,
  bad clarify: :func:`dutyroute.tools.evaluate.check_cases`);
- ``corpus-acting`` (error): an accepted route whose acting bodies are not one acting option of
  that matter (basic: the township; cooperative: one department whose duty block is listed;
  reclaimed: a receiving department or joint receivers — :func:`dutyroute.model.duties.acting_options`);
- ``corpus-reclaimed`` (error): ``reclaimed`` disagrees with the matter's list;
- ``corpus-field`` (warning): ``writer`` or ``style`` missing (grouped cross-validation and the
  per-style report need them);
- ``duplicate-id`` / ``duplicate-text`` (error): an id or a text (punctuation and spaces ignored)
  seen before, naming the first line;
- ``near-duplicate`` (warning): a text whose character 4-grams overlap an earlier text's by at
  least :data:`NEAR_DUPLICATE` (Jaccard), naming it and the similarity.

Near-duplicates are found in linear time: candidates share most of a text's sketch of 8-character
spans (an inverted index keeps at most :data:`_POSTINGS` texts per span), and only candidates are
compared.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import CaseFormatError
from ..model.duties import acting_options
from ..model.lists import BodyKind, ListKind, Rulebook
from .evaluate import LabeledCase, check_cases, read_cases_lenient
from .findings import Finding, _display

__all__ = [
    "COPY_SPAN",
    "NEAR_DUPLICATE",
    "NEAR_MEASURED",
    "REAL_COPY_SPAN",
    "NearDuplicate",
    "acting_sets",
    "lint_corpus",
    "near_copies_of",
    "near_duplicates",
    "sharing_spans",
    "squash",
]

NEAR_DUPLICATE = 0.8
"""Jaccard similarity of character 4-gram sets at which two texts count as near copies."""

_DROP = re.compile(r"[\W_]+", re.UNICODE)
_SPAN = 8
_POSTINGS = 50
_GRAM = 4


def squash(text: str) -> str:
    """The text without punctuation, symbols and whitespace (the key of exact duplicates)."""
    return _DROP.sub("", text)


def _grams(text: str, n: int) -> set[str]:
    return {text[i : i + n] for i in range(max(1, len(text) - n + 1))}


@dataclass(frozen=True, slots=True)
class NearDuplicate:
    """Text ``later`` is a near copy of the earlier text ``earlier`` (indices into the input)."""

    later: int
    earlier: int
    similarity: float


def near_duplicates(texts: Sequence[str], threshold: float = NEAR_DUPLICATE) -> list[NearDuplicate]:
    """Each text that nearly copies an earlier one, with the most similar earlier text.

    Args:
        texts: the texts, in corpus order.
        threshold: Jaccard similarity of character 4-gram sets (0–1) from which a pair counts.

    Returns:
        One :class:`NearDuplicate` per later text at or above ``threshold`` (exact duplicates
        included), in input order. Time is linear in the total length for a fixed posting cap.

    Candidates are the earlier texts sharing most of a text's sketch (:func:`_span_sketches`: a
    content-defined quarter of its 8-character spans, its smallest few, or all of a short text's);
    each candidate's 4-gram Jaccard is then computed exactly, so a pair reported is a near copy.
    """
    keys = [squash(t) for t in texts]
    grams: dict[int, set[str]] = {}  # 4-gram sets, made only for texts that meet a candidate

    def grams_of(i: int) -> set[str]:
        g = grams.get(i)
        if g is None:
            g = grams[i] = _grams(keys[i], _GRAM)
        return g

    # span hash → the first texts holding it; a text shorter than a span is its own key (a str,
    # so it never meets a hash)
    index: dict[int | str, list[int]] = {}
    out: list[NearDuplicate] = []
    for i, sketch in enumerate(_span_sketches(keys)):
        votes: Counter[int] = Counter()
        spans: Sequence[int | str] = sketch if sketch is not None else (keys[i],)
        for s in spans:
            posting = index.get(s)
            if posting is None:
                index[s] = [i]
                continue
            votes.update(posting)
            if len(posting) < _POSTINGS:
                posting.append(i)
        best: NearDuplicate | None = None
        for j, shared in votes.most_common(10):
            if shared < 0.3 * len(spans):
                break
            gi, gj = grams_of(i), grams_of(j)
            union = len(gi | gj)
            sim = len(gi & gj) / union if union else 1.0
            if sim >= threshold and (best is None or sim > best.similarity):
                best = NearDuplicate(i, j, round(sim, 3))
        if best is not None:
            out.append(best)
    return out


_SAMPLE = 4
"""A text's sketch keeps the spans whose hash is 0 modulo this (a content-defined share: two texts
keep the same spans of what they share)…"""
_BOTTOM = 4
"""…and its this many smallest span hashes (a bottom-k MinHash sketch, so no text has an empty one)…"""
_DENSE = 24
"""…and all spans of a text with fewer distinct spans than this (short texts)."""


def _span_sketches(keys: Sequence[str]) -> list[list[int] | None]:
    """Per squashed text, the sorted hashes of its sketch of 8-character spans (None: shorter than a
    span). The spans of all texts are hashed in one vectorised pass (polynomial rolling hash over
    the code points, then mixed so that the low bits are uniform); linear in the total length."""
    lens = [len(k) for k in keys]
    cp = np.frombuffer("".join(keys).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    m = max(0, len(cp) - _SPAN + 1)
    h = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):  # arithmetic modulo 2**64 is the point
        for j in range(_SPAN):
            h = h * np.uint64(1_000_003) + cp[j : j + m]
        h ^= h >> np.uint64(29)
        h *= np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(32)
    out: list[list[int] | None] = []
    start = 0
    for n in lens:
        count = n - _SPAN + 1
        if count <= 0:
            out.append(None)
        else:
            spans = np.unique(h[start : start + count])
            if len(spans) >= _DENSE:
                spans = np.union1d(spans[spans % np.uint64(_SAMPLE) == 0], spans[:_BOTTOM])
            out.append(spans.tolist())
        start += n
    return out


COPY_SPAN = 12
"""A text sharing this many characters in a row (punctuation ignored) with a measured text (dev,
``eval/``) or a real message copies it; shorter runs are the field's formulas (尊敬的领导我是…村民)."""

REAL_COPY_SPAN = 16
"""The same for the real messages (``../shared/realdata``): letters share formulas with them
(尊敬的领导您好我是A7县…), so a copy there is a longer run."""

NEAR_MEASURED = 0.5
"""4-gram Jaccard with a dev or ``eval/`` text from which a corpus text counts as its near copy."""


def sharing_spans(texts: Sequence[str], others: Iterable[str], span: int = COPY_SPAN) -> set[int]:
    """Indices of ``texts`` that share a ``span``-character run (squashed) with any of ``others``.

    Args:
        texts: the texts to check (the corpus).
        others: the texts they must not copy (dev, ``eval/``, real messages); read once.
        span: the shortest shared run that counts (≥ 2).

    Raises:
        ValueError: ``span`` below 2.

    Cost: ``others`` is indexed by its windows of ``span // 2`` characters at every
    ``span - span // 2 + 1``-th position, so any shared run of ``span`` characters holds one indexed
    window whole; each window of ``texts`` is looked up and each place it occurs is confirmed by
    extending it both ways (at most ``span`` characters). Time is the total length of both sides
    plus ``span`` per occurrence of a looked-up window; memory is the length of ``others`` over
    that step.
    """
    if span < 2:
        raise ValueError(f"span={span!r}: a shared run is at least 2 characters")
    w = span // 2
    step = span - w + 1
    squashed: list[str] = []
    index: dict[str, list[tuple[int, int]]] = {}
    for oi, other in enumerate(others):
        o = squash(other)
        squashed.append(o)
        for q in range(0, len(o) - w + 1, step):
            index.setdefault(o[q : q + w], []).append((oi, q))
    return {i for i, t in enumerate(texts) if _shares_run(squash(t), squashed, index, w, span)}


def _shares_run(
    k: str, squashed: Sequence[str], index: dict[str, list[tuple[int, int]]], w: int, span: int
) -> bool:
    """True when ``k`` holds a ``span``-character run of one of ``squashed`` (see :func:`sharing_spans`)."""
    n = len(k)
    if n < span:
        return False
    for i in range(n - w + 1):
        for oi, q in index.get(k[i : i + w], ()):
            o = squashed[oi]
            left, stop = 0, min(i, q, span)
            while left < stop and k[i - left - 1] == o[q - left - 1]:
                left += 1
            right, stop = w, min(n - i, len(o) - q)
            while right < stop and left + right < span and k[i + right] == o[q + right]:
                right += 1
            if left + right >= span:
                return True
    return False


def near_copies_of(
    texts: Sequence[str], measured: Sequence[str], threshold: float = NEAR_MEASURED
) -> set[int]:
    """Indices of ``texts`` whose 4-grams overlap one of ``measured`` by ``threshold`` (Jaccard) or more.

    Only ``measured`` is indexed (by all its 8-character spans: the few measured texts are worth
    the exact index, where :func:`near_duplicates` indexes a sketch of each corpus text); each
    text is compared with the measured texts it shares most spans with, never with other texts, so
    time is linear in the total length and a text's near copies among ``texts`` cannot hide a near
    copy of a measured one.
    """
    keys = [squash(m) for m in measured]
    index: dict[str, list[int]] = {}
    for j, k in enumerate(keys):
        for s in _grams(k, _SPAN):
            posting = index.setdefault(s, [])
            if len(posting) < _POSTINGS:
                posting.append(j)
    measured_grams: dict[int, set[str]] = {}
    found: set[int] = set()
    for i, t in enumerate(texts):
        k = squash(t)
        spans = _grams(k, _SPAN)
        votes: Counter[int] = Counter()
        for s in spans:
            hits = index.get(s)
            if hits:
                votes.update(hits)
        if not votes:
            continue
        gi = _grams(k, _GRAM)
        for j, shared in votes.most_common(10):
            if shared < 0.3 * len(spans):
                break
            gj = measured_grams.get(j)
            if gj is None:
                gj = measured_grams[j] = _grams(keys[j], _GRAM)
            union = len(gi | gj)
            if (len(gi & gj) / union if union else 1.0) >= threshold:
                found.add(i)
                break
    return found


def acting_sets(rulebook: Rulebook) -> dict[str, list[frozenset[str]]]:
    """For every matter id, the sets of bodies that may act on it (one set per acting option)."""
    placeholders = {b.name for b in rulebook.bodies if b.kind is BodyKind.placeholder}
    town = rulebook.jurisdiction.township
    return {
        m.id: [frozenset(o.bodies) for o in acting_options(m, town, placeholders.__contains__)]
        for m in rulebook.matters
    }


def _route_findings(
    case: LabeledCase, shown: str, options: dict[str, list[frozenset[str]]], lists: dict[str, ListKind]
) -> Iterable[Finding]:
    for i, route in enumerate(case.accept, 1):
        mid = route.get("matter")
        if not isinstance(mid, str) or mid not in options:
            continue  # check_cases reports it
        acting = frozenset(x for x in route.get("acting") or () if isinstance(x, str))
        if acting not in options[mid]:
            allowed = " | ".join("+".join(sorted(o)) for o in options[mid])
            yield Finding(
                shown,
                case.line,
                "error",
                "corpus-acting",
                f"{case.id}: accept #{i} {mid}: acting {'+'.join(sorted(acting)) or '(none)'} is not "
                f"who acts on {mid} (one of: {allowed}); split a multi-department route into one route each",
                matter=mid,
            )
        reclaimed = route.get("reclaimed")
        if isinstance(reclaimed, bool) and reclaimed != (lists[mid] is ListKind.reclaimed):
            yield Finding(
                shown,
                case.line,
                "error",
                "corpus-reclaimed",
                f"{case.id}: accept #{i} {mid}: reclaimed is {str(reclaimed).lower()}, but {mid} is on the "
                f"{lists[mid].label}",
                matter=mid,
            )


def lint_corpus(files: Sequence[Path], rulebook: Rulebook) -> list[Finding]:
    """Check corpus files against ``rulebook`` (the checks of the module docstring).

    Args:
        files: JSONL corpus files, checked together (duplicates across files count).
        rulebook: the rulebook the labels name matters and bodies of.

    Returns:
        Findings in file and line order.
    """
    options = acting_sets(rulebook)
    lists = {m.id: m.list for m in rulebook.matters}
    out: list[Finding] = []
    seen_ids: dict[str, str] = {}
    seen_text: dict[str, str] = {}
    texts: list[str] = []
    where: list[tuple[str, int, str]] = []
    for path in files:
        shown = _display(path) or str(path)
        try:
            cases, errors = read_cases_lenient(path)
        except CaseFormatError as exc:
            out.append(Finding(shown, None, "error", "corpus-load", str(exc)))
            continue
        out += [Finding(shown, e.line, "error", "corpus-load", str(e)) for e in errors]
        for e in check_cases(cases, rulebook, path=path):
            out.append(Finding(shown, e.line, "error", "corpus-label", str(e)))
        for case in cases:
            at = f"{shown}:{case.line}"
            out.extend(_route_findings(case, shown, options, lists))
            if not case.writer or not case.style:
                missing = " and ".join(k for k in ("writer", "style") if not getattr(case, k))
                out.append(Finding(shown, case.line, "warning", "corpus-field", f"{case.id}: no {missing}"))
            if case.id in seen_ids:
                out.append(
                    Finding(
                        shown,
                        case.line,
                        "error",
                        "duplicate-id",
                        f"id {case.id!r} also at {seen_ids[case.id]}",
                    )
                )
            seen_ids.setdefault(case.id, at)
            key = squash(case.text)
            if key in seen_text:
                out.append(
                    Finding(
                        shown,
                        case.line,
                        "error",
                        "duplicate-text",
                        f"{case.id}: same text as {seen_text[key]}",
                    )
                )
                continue
            seen_text[key] = at
            texts.append(case.text)
            where.append((shown, case.line, f"{case.id} ({at})"))
    for nd in near_duplicates(texts):
        shown, line, _ = where[nd.later]
        out.append(
            Finding(
                shown,
                line,
                "warning",
                "near-duplicate",
                f"{where[nd.later][2].split(' ')[0]}: near copy of {where[nd.earlier][2]} "
                f"(4-gram Jaccard {nd.similarity:.2f} ≥ {NEAR_DUPLICATE})",
            )
        )
    return sorted(out, key=lambda f: (f.path or "", f.line or 0, f.code))
