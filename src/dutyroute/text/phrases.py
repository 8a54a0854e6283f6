"""One-pass phrase finding over normalised text (Aho–Corasick), with gapped phrases.

Every phrase the router looks for — lexicon ``say`` phrases, fact patterns, rule terms — is
compiled into one :class:`PhraseMatcher`; a text is scanned once (``ahocorasick_rs``, Rust speed) and
each phrase that occurs is reported with the words that matched.

Phrase syntax (as written in ``rules/*.yaml``):

- ``烧秸秆`` — plain: occurs as written (after :func:`dutyroute.text.normalize.normalize`).
- ``烧…秸秆`` — gapped: the parts occur in this order, each next part starting at most
  :data:`MAX_GAP` characters after the previous one ends, within one clause (no ``，`` or ``。`` between).
  Any number of parts: ``路…塌…坑``.

Token boundaries: a phrase that begins with a Latin letter or a digit matches only where the text
has none just before it, and one that ends with one only where the text has none just after it —
``12345`` is the hotline, never the middle of the phone number ``13812345678``; ``KTV`` is not the
inside of a longer Latin word. Chinese characters need no boundary (Chinese has no spaces).
:func:`bounded_alternation` gives regexes the same rule.

Cost: one automaton pass, then per occurrence a constant amount of work (a gapped phrase looks
only inside its gap window): linear in the text's length.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

import ahocorasick_rs

from .normalize import HARD_SEP, SOFT_SEP, normalize

_SEPS = frozenset(HARD_SEP + SOFT_SEP)

__all__ = [
    "GAP_MARK",
    "MAX_GAP",
    "PhraseHit",
    "PhraseMatcher",
    "bounded",
    "bounded_alternation",
    "split_phrase",
]

GAP_MARK = "…"
"""Marks a gap in a phrase: ``烧…秸秆``."""
MAX_GAP = 12
"""Most characters allowed between two parts of a gapped phrase."""


@cache
def split_phrase(phrase: str) -> tuple[str, ...]:
    """The normalised parts of a phrase (one part for a plain phrase).

    Raises:
        ValueError: a part is empty after normalisation (e.g. ``"…秸秆"`` or ``"！"``).
    """
    raw = phrase.replace("...", GAP_MARK).split(GAP_MARK)
    parts = tuple(normalize(p) for p in raw)
    if not all(parts):
        raise ValueError(f"phrase {phrase!r} has an empty part after normalisation")
    return parts


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def bounded(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` stands at token boundaries: no Latin letter or digit glued to
    a Latin letter or digit it begins or ends with."""
    if start > 0 and _ascii_alnum(text[start]) and _ascii_alnum(text[start - 1]):
        return False
    return not (end < len(text) and _ascii_alnum(text[end - 1]) and _ascii_alnum(text[end]))


def bounded_alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regex matching any of ``words`` (as given: normalise them first), longest first, each
    at token boundaries (see the module docstring); None for no words."""
    keys = sorted({w for w in words if w}, key=len, reverse=True)
    if not keys:
        return None
    alts = []
    for w in keys:
        left = r"(?<![A-Za-z0-9])" if _ascii_alnum(w[0]) else ""
        right = r"(?![A-Za-z0-9])" if _ascii_alnum(w[-1]) else ""
        alts.append(left + re.escape(w) + right)
    return re.compile("|".join(alts))


@dataclass(frozen=True, slots=True)
class PhraseHit:
    """A phrase found in a text: its key, the phrase as written, the text span that matched."""

    key: Any
    phrase: str
    said: str
    start: int
    starts: tuple[int, ...] = ()  # every start position of this key's phrases (first phrase found)


class PhraseMatcher:
    """Finds many phrases in a text in one pass. Immutable after construction; thread-safe for reads.

    Args:
        phrases: ``(key, phrase)`` pairs; a key may have many phrases (the first found is reported).

    Raises:
        ValueError: a phrase is empty after normalisation.
    """

    def __init__(self, phrases: Iterable[tuple[Hashable, str]]) -> None:
        # Only the FIRST part of each phrase goes into the automaton; later parts of a gapped
        # phrase are looked up with str.find inside the gap window, so common single characters
        # (路, 水, 不 …) that only appear as later parts never cost a Python-level hit.
        self._atoms: dict[str, int] = {}
        # per first part: (key, phrase, parts, length of a plain phrase or 0 for a gapped one,
        # whether its ends are Latin letters or digits that must stand at token boundaries)
        self._by_first: dict[int, list[tuple[Hashable, str, tuple[str, ...], int, bool]]] = defaultdict(list)
        self._count = 0
        for key, phrase in phrases:
            parts = split_phrase(phrase)
            idx = self._atoms.setdefault(parts[0], len(self._atoms))
            plain = len(parts[0]) if len(parts) == 1 else 0
            edged = _ascii_alnum(parts[0][0]) or _ascii_alnum(parts[-1][-1])
            self._by_first[idx].append((key, phrase, parts, plain, edged))
            self._count += 1
        # every (overlapping) occurrence of every atom, as (atom index, start, end) in characters,
        # in order of end position (measured: ~6× faster than pyahocorasick on 370-character texts)
        self._automaton = ahocorasick_rs.AhoCorasick(list(self._atoms)) if self._atoms else None

    def __len__(self) -> int:
        return self._count

    def find(self, text: str) -> list[PhraseHit]:
        """Every key with at least one phrase in ``text`` (normalised), once per key, in order of first hit.

        Returns:
            One :class:`PhraseHit` per key found: the earliest match (``said``, ``start``) and the
            start of every match of any of the key's phrases (``starts``).
        """
        if self._automaton is None or not text:
            return []
        occ: dict[int, list[int]] = defaultdict(list)  # atom -> start positions
        for idx, start, _end in self._automaton.find_matches_as_indexes(text, overlapping=True):
            occ[idx].append(start)
        first: dict[Hashable, tuple[int, int, str]] = {}  # key -> (start, end, phrase) of earliest match
        starts: dict[Hashable, set[int]] = defaultdict(set)
        for idx, positions in occ.items():
            for key, phrase, parts, plain, edged in self._by_first[idx]:
                if plain and not edged:  # every occurrence counts; the first starts earliest
                    starts[key].update(positions)
                    s0, e0 = positions[0], positions[0] + plain
                else:
                    spans = (
                        [(p, p + plain) for p in positions] if plain else self._gapped(text, parts, positions)
                    )
                    if spans and edged:
                        spans = [(a, b) for a, b in spans if bounded(text, a, b)]
                    if not spans:
                        continue
                    starts[key].update(p for p, _ in spans)
                    s0, e0 = spans[0]
                if key not in first or s0 < first[key][0]:
                    first[key] = (s0, e0, phrase)
        hits = [
            PhraseHit(key, phrase, text[s0:e0], s0, tuple(sorted(starts[key])))
            for key, (s0, e0, phrase) in first.items()
        ]
        hits.sort(key=lambda h: h.start)
        return hits

    @staticmethod
    def _gapped(text: str, parts: tuple[str, ...], firsts: list[int]) -> list[tuple[int, int]]:
        out = []
        for s0 in firsts:
            end = s0 + len(parts[0])
            for part in parts[1:]:
                nxt = text.find(part, end, end + MAX_GAP + len(part))
                if nxt < 0 or not _SEPS.isdisjoint(text[end:nxt]):
                    break
                end = nxt + len(part)
            else:
                out.append((s0, end))
        return out
