"""Stage 1 of routing — evidence: what the text says, read with the rule files.

One Aho–Corasick pass (:class:`~dutyroute.text.phrases.PhraseMatcher`) finds every lexicon
phrase, fact phrase, scope-screen phrase and rule condition term. Around it:

- framing words are cut (来电人称 …) and input-method typos fixed before matching;
- loose lexicon words count only beside their ``with`` co-words;
- spans are found that change how much a phrase counts: background clauses (family circumstances,
  what someone said, an earlier call) ×BACKGROUND_WEIGHT, setting nouns (承包地, 景区 …)
  ×SETTING_WEIGHT, and the caller's request clause or a letter's title ×ASK_BOOST;
- the text's bigrams for BM25 leave out background and setting spans (``gram_text``).

Source: ``rules/lexicon.yaml`` (framing, typos, background, setting, asks), ``facts.yaml``,
``scope.yaml``, ``routing.yaml`` (condition terms).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..model.rules import RuleSet, Screen
from ..text.normalize import normalize
from ..text.phrases import PhraseHit, PhraseMatcher, bounded_alternation
from .facts import fact_phrases

__all__ = [
    "ASK_BOOST",
    "BACKGROUND_RUN_TEXT",
    "BACKGROUND_WEIGHT",
    "SETTING_WEIGHT",
    "Evidence",
    "EvidenceReader",
]

BACKGROUND_WEIGHT = 0.4
"""Concept credit multiplier for lexicon entries said only in background clauses (a clause with one
of the lexicon's ``background`` markers — family circumstances, what someone said, an earlier call
to 110 — and no request marker); their bigrams are also left out of BM25 when the rest of the text
says enough (≥ 8 characters), and they do not expand the BM25 query."""
BACKGROUND_RUN_TEXT = 80
"""From this length (characters) a background clause extends over the clauses that follow it."""
SETTING_WEIGHT = 0.4
"""Concept credit multiplier for lexicon entries said only as a setting noun (the lexicon's
``setting`` list: 承包地, 五保户, 景区, 棚子 …) when another concept of the text, said outside
setting nouns and background clauses, names what is complained about. "倒在我家承包地里的建筑垃圾"
is a dumping complaint; the contract land is where it happened. The setting noun's characters also
leave BM25 then."""
ASK_BOOST = 1.5
"""Concept credit multiplier for lexicon entries said in a clause that states the caller's request
(a clause holding one of the lexicon's ``asks`` markers: 申请, 想办, 咨询, 能否 …). "想申请救助"
says what is wanted; the fire that caused the hardship is background."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one pass over a text found.

    Attributes:
        hits: every phrase hit (lexicon, fact, screen and condition phrases), in text order, loose
            words already gated.
        entries: ids of the lexicon entries that fired, in text order (repeats kept).
        boosts: entry id → concept credit multiplier (request clause, background, setting).
        gram_text: the text whose bigrams go to BM25 (background and setting spans blanked).
        terms: condition phrases of contrasts and rules found in the text.
        screens: the scope screens that fired (a ``say`` phrase and no ``unless`` phrase).
    """

    hits: tuple[PhraseHit, ...]
    entries: tuple[str, ...]
    boosts: dict[str, float]
    gram_text: str
    terms: frozenset[str]
    screens: tuple[Screen, ...]


class EvidenceReader:
    """Reads :class:`Evidence` from texts with one rule set. Immutable once built; thread-safe.

    Args:
        rules: lexicon, facts, scope screens and the routing conditions' terms.
        conditions: the ``when:`` of every contrast and rule in force (their terms are matched).
    """

    def __init__(self, rules: RuleSet, conditions: Sequence[Any]) -> None:
        self.rules = rules
        phrases: list[tuple[Any, str]] = []
        for e in rules.lexicon:
            gated = set(e.gated)
            phrases += [(("lex", e.id), p) for p in e.say if p not in gated]
            phrases += [(("loose", e.id), p) for p in e.gated]
            phrases += [(("with", e.id), p) for p in e.with_]
        phrases += fact_phrases(rules.facts)
        self._screens = {sc.id: sc for sc in rules.screens}
        for sc in rules.screens:
            phrases += [(("screen", sc.id), p) for p in sc.say]
            phrases += [(("unless", sc.id), p) for p in sc.unless]
        for cond in conditions:
            phrases += [(("term", t), t) for t in cond.terms]
        self.matcher = PhraseMatcher(phrases)
        self._framing = _alternation(rules.framing)
        self._typos = {normalize(w): normalize(r) for w, r in rules.typos}
        self._typo_re = _alternation(self._typos, normalized=True)
        self._background = _alternation(rules.background)
        self._asks = _alternation(rules.asks)
        self._setting = _alternation(rules.setting)
        self._weight = {e.id: e.weight for e in rules.lexicon}

    def prepare(self, norm: str) -> str:
        """The normalised text with framing words cut (→ a clause break) and typos fixed."""
        work = self._framing.sub("，", norm) if self._framing is not None else norm
        if self._typo_re is not None:
            work = self._typo_re.sub(lambda m: self._typos[m.group(0)], work)
        return work

    def read(self, text: str) -> Evidence:
        """Evidence of a prepared text (:meth:`prepare`).

        Cost: linear in the text's length (times log of the number of hits): clause bounds come
        from one sorted index of separators, span membership from bisection over merged spans.
        """
        hits = self._lexicon_gates(self.matcher.find(text))
        entries = tuple(h.key[1] for h in hits if h.key[0] == "lex")
        clauses = _Clauses(text)
        asks = [(m.start(), m.end()) for m in self._asks.finditer(text)] if self._asks is not None else []
        boosts = self._ask_boosts(text, hits, clauses, asks)
        background = self._background_spans(text, clauses, asks)
        setting = self._setting_spans(text, hits, background)
        gram_text = text
        if background:
            for e in _only_inside(hits, _merge(background)):
                boosts[e] = boosts.get(e, 1.0) * BACKGROUND_WEIGHT
        if setting:
            for e in _only_inside(hits, _merge(setting)):
                boosts[e] = boosts.get(e, 1.0) * SETTING_WEIGHT
        if background or setting:
            gram_text = _blank(text, _merge(background + setting))
            if sum(map(str.isalnum, gram_text)) < 8:  # the whole text is background: keep it
                gram_text = text
        terms = frozenset(h.key[1] for h in hits if h.key[0] == "term")
        return Evidence(tuple(hits), entries, boosts, gram_text, terms, tuple(self._fired_screens(hits)))

    @staticmethod
    def _lexicon_gates(hits: list[PhraseHit]) -> list[PhraseHit]:
        """Loose lexicon words count (as ``lex`` hits) only when one of the entry's ``with`` co-words
        occurs in the text; an entry already hit by a plain phrase keeps its first hit."""
        loose = [h for h in hits if h.key[0] == "loose"]
        if not loose:
            return hits
        co = {h.key[1] for h in hits if h.key[0] == "with"}
        plain = {h.key[1] for h in hits if h.key[0] == "lex"}
        out = [h for h in hits if h.key[0] != "loose"]
        for h in loose:
            if h.key[1] in co and h.key[1] not in plain:
                out.append(PhraseHit(("lex", h.key[1]), h.phrase, h.said, h.start, h.starts))
                plain.add(h.key[1])
        out.sort(key=lambda h: h.start)
        return out

    def _fired_screens(self, hits: Sequence[PhraseHit]) -> list[Screen]:
        """Scope screens (rules/scope.yaml) with a ``say`` phrase in the text and no ``unless`` phrase."""
        said = {h.key[1] for h in hits if h.key[0] == "screen"}
        if not said:
            return []
        rescued = {h.key[1] for h in hits if h.key[0] == "unless"}
        return [self._screens[s] for s in self._screens if s in said and s not in rescued]

    def _background_spans(
        self, text: str, clauses: _Clauses, asks: list[tuple[int, int]]
    ) -> list[tuple[int, int]]:
        """Spans of background clauses: each clause holding a ``background`` marker (family
        circumstances, what someone said, an earlier call to 110) and no request marker; in texts of
        BACKGROUND_RUN_TEXT characters or more, with the following clauses up to a request clause
        or the end of the sentence."""
        if self._background is None:
            return []
        ask_starts = [a for a, _ in asks]
        ask_ends = {a: e for a, e in asks}

        def asks_within(lo: int, hi: int) -> bool:  # a request marker wholly inside [lo, hi)
            i = bisect_left(ask_starts, lo)
            # markers never overlap, so their ends rise with their starts: the first one inside
            # the window decides
            return i < len(ask_starts) and ask_starts[i] < hi and ask_ends[ask_starts[i]] <= hi

        spans: list[tuple[int, int]] = []
        for m in self._background.finditer(text):
            if spans and m.start() < spans[-1][1]:
                continue
            start = clauses.start(m.start())
            end = clauses.end(m.end())
            if asks_within(start, end):
                continue
            if len(text) >= BACKGROUND_RUN_TEXT:
                # in a long message the circumstances run on: following clauses belong to the
                # background until a request clause or the end of the sentence
                while end < len(text) - 1 and text[end] == "，":
                    nxt = clauses.end(end + 1)
                    if asks_within(end + 1, nxt):
                        break
                    end = nxt
            spans.append((start, end))
        return spans

    def _setting_spans(
        self, text: str, hits: Sequence[PhraseHit], background: list[tuple[int, int]]
    ) -> list[tuple[int, int]]:
        """Spans of setting nouns (the lexicon's ``setting`` list) that are only the setting: some
        other lexicon entry (weight ≥ 0.5) is said outside every setting noun and background clause,
        and no entry said inside the span is also said elsewhere (then the noun is what the text is
        about: "承包地被收回，合同…" keeps 承包地)."""
        if self._setting is None:
            return []
        spans = [(m.start(), m.end()) for m in self._setting.finditer(text)]
        if not spans:
            return []
        outside = _Spans(_merge([*spans, *background]))
        lex = [h for h in hits if h.key[0] == "lex"]
        other = any(
            self._weight[h.key[1]] >= 0.5 and any(not outside.contains(s) for s in (h.starts or (h.start,)))
            for h in lex
        )
        if not other:
            return []
        in_setting = _Spans(_merge(spans))
        # each lexicon start → whether every start of that hit lies in a setting noun
        starts: list[tuple[int, bool]] = []
        for h in lex:
            hs = h.starts or (h.start,)
            all_in = all(in_setting.contains(s) for s in hs)
            starts.extend((s, all_in) for s in hs)
        starts.sort()
        keys = [s for s, _ in starts]
        out = []
        for a, b in spans:
            i, j = bisect_left(keys, a), bisect_left(keys, b)
            if all(ok for _, ok in starts[i:j]):
                out.append((a, b))
        return out

    def _ask_boosts(
        self, text: str, hits: Sequence[PhraseHit], clauses: _Clauses, asks: list[tuple[int, int]]
    ) -> dict[str, float]:
        """Lexicon entries said inside a clause that holds a request marker, or in a letter's title
        (``标题：… 内容：…``), get ASK_BOOST."""
        spans = []
        title = _TITLE.match(text)
        if title is not None:  # a letter's title names what it is about
            spans.append(title.span(1))
        spans += [(clauses.start(a), clauses.end(e)) for a, e in asks]
        if not spans:
            return {}
        where = _Spans(_merge(spans))
        return {
            h.key[1]: ASK_BOOST
            for h in hits
            if h.key[0] == "lex" and any(where.contains(s) for s in h.starts)
        }


class _Clauses:
    """Clause bounds of a normalised text from one sorted index of its separators (``，``, ``。``)."""

    def __init__(self, text: str) -> None:
        self.n = len(text)
        self.seps = [i for i, c in enumerate(text) if c in "，。"]

    def start(self, pos: int) -> int:
        """First position of the clause holding ``pos`` (just after the separator before it)."""
        i = bisect_left(self.seps, pos)
        return self.seps[i - 1] + 1 if i > 0 else 0

    def end(self, pos: int) -> int:
        """Position of the first separator at or after ``pos`` (the text's length if none)."""
        i = bisect_left(self.seps, pos)
        return self.seps[i] if i < len(self.seps) else self.n


class _Spans:
    """Membership in a sorted list of disjoint half-open spans, by bisection."""

    def __init__(self, merged: list[tuple[int, int]]) -> None:
        self.starts = [a for a, _ in merged]
        self.ends = [b for _, b in merged]

    def contains(self, pos: int) -> bool:
        i = bisect_right(self.starts, pos) - 1
        return i >= 0 and pos < self.ends[i]


def _only_inside(hits: Sequence[PhraseHit], merged: list[tuple[int, int]]) -> set[str]:
    """Lexicon entries every occurrence of which lies in one of the (merged) spans."""
    where = _Spans(merged)
    return {
        h.key[1]
        for h in hits
        if h.key[0] == "lex" and all(where.contains(s) for s in (h.starts or (h.start,)))
    }


def _alternation(words: Any, *, normalized: bool = False) -> re.Pattern[str] | None:
    """One regex matching any of ``words`` (normalised), longest first, at token boundaries
    (:func:`~dutyroute.text.phrases.bounded_alternation`); None for no words."""
    return bounded_alternation(w if normalized else normalize(w) for w in words)


_TITLE = re.compile(
    r"[【\[]?(?:标题|主题|留言标题)[】\]]?[，:：]?(.{2,80}?)(?:[【\[]?(?:内容|正文|留言内容|详情)[】\]]?[，:：]?|。)"
)
"""A letter's title, as 12345 web messages (留言) give it: 标题：… 内容：… (after normalisation)."""


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping union of ``spans``."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span replaced by one clause separator."""
    out, pos = [], 0
    for a, b in spans:
        out.append(text[pos:a])
        out.append("，")
        pos = b
    out.append(text[pos:])
    return "".join(out)
