"""Route an incident text to the bodies that must act on it, citing the list item.

Pipeline of :meth:`Router.route` (every step is data-driven and reported in ``Decision.trace``)::

    text ──normalize──▶ one Aho–Corasick pass ──▶ lexicon hits · fact phrases · rule terms
         ──▶ facts (text, overridden by the caller's)        (dutyroute.facts, rules/facts.yaml)
         ──▶ candidates: BM25 over bigrams + lexicon concepts (dutyroute.retrieve, rules/lexicon.yaml)
         ──▶ rules: prefer / exclude / acting departments     (rules/routing.yaml "rules")
         ──▶ unmatched?  (a strict scope screen fired, rules/scope.yaml; or the top score is below
                          UNMATCHED_SCORE: no list covers the text)
         ──▶ still unmatched and short? repair homophone typos by toneless pinyin (垃级 → 垃圾) and
             route once more, concepts × PINYIN_PENALTY             (dutyroute._pinyin)
         ──▶ contrasts: a known fact keeps its route; a missing one that decides who acts
             becomes a clarifying question                    (rules/routing.yaml "contrasts")
         ──▶ acting department(s) inside the matter by their clauses
         ──▶ Decision

Who acts, by list (the rulebook's own data):

- basic matter (基本履职事项清单): the township (``小京庄乡``) acts; ``township_role`` names its office.
- cooperative matter (配合履职事项清单): the county department whose duty clauses cover the
  incident acts (the lead, first listed, unless another department's clauses fit clearly
  better or a rule picks one); the township cooperates, with its 乡镇配合职责 clauses.
- reclaimed matter (上级部门收回事项清单): the receiving department(s) (承接部门) act, reclaimed is
  True, nobody cooperates. A joint receiver block (``县财政局、县规划和自然资源局、…``) acts jointly.

Confidence (``Decision.confidence``, in [0, 1]) is a ranking signal, not a calibrated probability:
``(1 - exp(-score / CONFIDENCE_SCALE)) · (0.55 + 0.45 · margin)`` where ``margin`` is the lead of
the top score over the next matter's, relative to the top. Strong evidence with a clear lead gives
0.7–0.95; a near tie or thin evidence gives 0.3–0.5. An alternative's confidence is the top's
scaled by its score ratio (× 0.9). For ``unmatched`` it is how far the best score fell below the
floor (1.0 when nothing matched at all).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ._pinyin import PinyinRepair
from .decision import (
    Alternative,
    BodyDuty,
    Clarification,
    ClarifyOption,
    Decision,
    FactFinding,
    MatchedClause,
    MatterInfo,
    RuleFiring,
    Status,
    TermHit,
    Trace,
)
from .decision import (
    Candidate as CandidateOut,
)
from .errors import IncidentTextError
from .facts import fact_phrases, read_facts, validate_caller_facts
from .models import BodyKind, ListKind, Matter, Rulebook
from .phrases import PhraseHit, PhraseMatcher, split_phrase
from .retrieve import Candidate, MatterIndex, Query
from .rules import Condition, Contrast, Rule, RuleSet, Screen, Target, load_rules
from .text import normalize

__all__ = ["CLARIFY_RATIO", "MAX_TEXT_CHARS", "UNMATCHED_SCORE", "Router"]

MAX_TEXT_CHARS = 5000
"""Longest incident text accepted, in characters after normalisation."""
UNMATCHED_SCORE = 30.0
"""A text whose best candidate scores below this (retrieve units) is ``unmatched``."""
UNMATCHED_SCORE_NO_CONCEPT = 60.0
"""Stricter floor when no lexicon entry of weight ≥ 0.5 fired (only weak hints such as a place
noun): only list wording can carry such a text."""
UNMATCHED_OUTSIDE_SCORE = 120.0
"""Floor when the text names something no list covers (the lexicon's ``outside`` words: passports,
tickets, telecom …)."""
CLARIFY_RATIO = 0.6
"""A contrast with ``ask: when_close`` asks when another answer's best candidate scores at least
this fraction of the top candidate's score."""
ANSWER_MARGIN = 1.25
"""A contrast answers each fact value with its first-listed target unless another target of that
value scores this many times more."""
DEPARTMENT_MARGIN = 1.25
"""A non-lead department acts when its own clauses (words the matter's departments share left out)
score more than DEPARTMENT_MARGIN times the lead's plus DEPARTMENT_LEAD; otherwise the lead acts."""
DEPARTMENT_LEAD = 2.0
PINYIN_MAX_CHARS = 120
"""Texts up to this length (characters) get the homophone-repair fallback when unmatched."""
PINYIN_PENALTY = 0.8
"""Concept credit multiplier in the fallback pass (evidence read through a repaired typo)."""
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
CONFIDENCE_SCALE = 60.0
ASK_BOOST = 1.5
"""Concept credit multiplier for lexicon entries said in a clause that states the caller's request
(a clause holding one of the lexicon's ``asks`` markers: 申请, 想办, 咨询, 能否 …). "想申请救助"
says what is wanted; the fire that caused the hardship is background."""
"""Score at which the strength part of the confidence reaches 1 - 1/e."""


@dataclass(slots=True)
class _Work:
    """Mutable state of one route() call (never shared)."""

    text: str  # normalised text with framing cut (what is matched)
    shown: str  # normalised text (what the trace shows)
    query: Query
    entries: list[str]
    terms: set[str]
    facts: dict[str, FactFinding]
    cands: list[Candidate]
    acting: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cooperating: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fired: list[RuleFiring] = field(default_factory=list)
    outside: str | None = None  # id of a rule that declared the text outside the lists


class Router:
    """Routes incident texts with one rulebook. Built once; immutable; safe to share between threads.

    Args:
        rulebook: the township's duty lists (:func:`dutyroute.rulebook.load_rulebook`).
        rules: lexicon, facts and routing rules (default: the bundled ``rules/``). Routing rules name
            matter ids of one township's lists (``rulebook:`` in ``routing.yaml``); for another
            township's rulebook they are left out and listed in :attr:`warnings`, while the lexicon
            and facts, which are township-independent, still apply.

    Raises:
        RuleFileError: a rule file is malformed or inconsistent with the rulebook.

    Example::

        >>> from dutyroute import Router
        >>> d = Router.default().route("地里又有人烧秸秆了")
        >>> d.status, d.matter, d.acting
        ('routed', 'B96', ('小京庄乡',))
    """

    def __init__(self, rulebook: Rulebook, rules: RuleSet | None = None) -> None:
        rules = rules if rules is not None else load_rules()
        self.rulebook = rulebook
        self.rules = rules
        self.warnings: tuple[str, ...] = ()
        key = rulebook.jurisdiction.key
        if rules.rulebook_key and rules.rulebook_key != key:
            self.warnings = (
                f"routing rules are written for rulebook {rules.rulebook_key!r}, not {key!r}: "
                f"{len(rules.contrasts)} contrasts and {len(rules.rules)} rules not applied",
            )
            self._contrasts: tuple[Contrast, ...] = ()
            self._rules: tuple[Rule, ...] = ()
        else:
            rules.check(rulebook)
            self._contrasts = rules.contrasts
            self._rules = rules.rules
        self._scopes = {c.id: c.scope for c in self._contrasts}
        # rules that need a lexicon entry are only tried when one of their entries fired
        self._rules_by_entry: dict[str, list[int]] = {}
        self._unkeyed_rules: list[int] = []
        for i, r in enumerate(self._rules):
            keys = r.when.entries_any or r.when.entries_all
            if not keys:
                self._unkeyed_rules.append(i)
            for e in keys:
                self._rules_by_entry.setdefault(e, []).append(i)
        self._index = MatterIndex(rulebook, {e.id: (e.weight, e.means) for e in rules.lexicon})
        if self._index.unknown_terms:
            self.warnings += tuple(
                f"lexicon entry {e!r}: term {t!r} occurs in no matter of this rulebook"
                for e, t in self._index.unknown_terms
            )
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
        conditions = [c.when for c in self._contrasts] + [r.when for r in self._rules]
        for cond in conditions:
            phrases += [(("term", t), t) for t in cond.terms]
        self._matcher = PhraseMatcher(phrases)
        framing = sorted({normalize(f) for f in rules.framing}, key=len, reverse=True)
        self._framing = re.compile("|".join(map(re.escape, framing))) if framing else None
        self._typos = {normalize(w): normalize(r) for w, r in rules.typos}
        typo_keys = sorted(self._typos, key=len, reverse=True)
        self._typo_re = re.compile("|".join(map(re.escape, typo_keys))) if typo_keys else None
        background = sorted({normalize(b) for b in rules.background}, key=len, reverse=True)
        self._background = re.compile("|".join(map(re.escape, background))) if background else None
        asks = sorted({normalize(a) for a in rules.asks}, key=len, reverse=True)
        self._asks = re.compile("|".join(map(re.escape, asks))) if asks else None
        setting = sorted({normalize(a) for a in rules.setting}, key=len, reverse=True)
        self._setting = re.compile("|".join(map(re.escape, setting))) if setting else None
        vocabulary = {part for e in rules.lexicon for p in e.say for part in split_phrase(p)}
        vocabulary |= {normalize(t) for e in rules.lexicon for t in e.means}
        self._pinyin = PinyinRepair(vocabulary)  # built on first use (fallback pass only)
        self._reasons = {e.id: e for e in rules.lexicon}
        self._bodies = {b.name: b for b in rulebook.bodies}
        self._body_by_id = {b.id: b for b in rulebook.bodies}
        self._township = rulebook.jurisdiction.township
        self._hash = rulebook.hash
        self._matters = {m.id: m for m in rulebook.matters}
        self._sealed = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_sealed", False):
            raise AttributeError(
                f"Router is immutable (shared between threads): cannot set {name!r}; "
                "build a new Router(rulebook, rules) instead"
            )
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Router is immutable (shared between threads): cannot delete {name!r}")

    @classmethod
    def default(cls) -> Router:
        """The router of the bundled 小京庄乡 rulebook and rules (built once per process, then shared)."""
        return _default_router()

    def __repr__(self) -> str:
        j = self.rulebook.jurisdiction
        return f"<dutyroute.Router {j.county}{j.township} {len(self._matters)} matters {self._hash}>"

    # ── public API ──────────────────────────────────────────────────────────────────────────
    def route(self, text: str, *, facts: Mapping[str, str] | None = None, limit: int = 5) -> Decision:
        """Route an incident description to the bodies responsible for it.

        Args:
            text: incident description in Chinese, as people write it; 1–5,000 characters after
                normalisation (:func:`dutyroute.text.normalize`: HTML, full-width forms, traditional
                characters, spacing and punctuation are folded first).
            facts: known deciding facts, e.g. ``{"road_class": "县道"}`` (names and values in
                ``rules/facts.yaml``); they override facts read from the text.
            limit: most alternatives kept, best first (≥ 0).

        Returns:
            Decision: status (``routed`` | ``needs_clarification`` | ``unmatched``), matter, acting and
            cooperating bodies (with their clauses), reclaimed flag, basis (list name + item number +
            matched clauses), confidence in [0, 1], alternatives, the clarifying question, and a
            trace of the facts, candidates and rules used.

        Raises:
            IncidentTextError: the text is empty, or longer than 5,000 characters, after normalisation.
            LookupFailed: ``facts`` names an unknown fact or value.
            TypeError: ``text`` is not a string.
        """
        caller = validate_caller_facts(self.rules.facts, facts)
        norm = normalize(text)
        if not norm:
            raise IncidentTextError(
                "incident text is empty after normalisation (only whitespace, punctuation, markup or "
                "emoji); pass a description of the incident",
                length=0,
                limit=MAX_TEXT_CHARS,
            )
        if len(norm) > MAX_TEXT_CHARS:
            raise IncidentTextError(
                f"incident text has {len(norm)} characters after normalisation, more than the limit of "
                f"{MAX_TEXT_CHARS}; split it into separate incidents or pass a summary",
                length=len(norm),
                limit=MAX_TEXT_CHARS,
            )
        work_text = self._framing.sub("，", norm) if self._framing is not None else norm
        if self._typo_re is not None:
            work_text = self._typo_re.sub(lambda m: self._typos[m.group(0)], work_text)
        decision = self._route_text(norm, work_text, caller, limit, repairs=())
        if decision.status != "unmatched" or len(work_text) > PINYIN_MAX_CHARS:
            return decision
        if any(r.effect.startswith("scope screen") for r in decision.trace.rules):
            return decision  # named as outside the lists: no second guess
        # fallback: the exact pass found too little; repair homophone typos (垃级 → 垃圾) and retry
        repaired, repairs = self._pinyin.repair(work_text)
        if not repairs:
            return decision
        again = self._route_text(norm, repaired, caller, limit, repairs=tuple(repairs))
        return again if again.status != "unmatched" else decision

    def _route_text(
        self,
        norm: str,
        work_text: str,
        caller: Mapping[str, str],
        limit: int,
        *,
        repairs: tuple[tuple[str, str], ...],
    ) -> Decision:
        hits = self._lexicon_gates(self._matcher.find(work_text))
        entries = [h.key[1] for h in hits if h.key[0] == "lex"]
        boosts = self._ask_boosts(work_text, hits)
        if repairs:  # evidence read through a repaired typo counts less
            for e in entries:
                boosts[e] = boosts.get(e, 1.0) * PINYIN_PENALTY
        background = self._background_spans(work_text)
        setting = self._setting_spans(work_text, hits, background)
        gram_text = work_text
        if background:
            for e in self._background_only(hits, background):
                boosts[e] = boosts.get(e, 1.0) * BACKGROUND_WEIGHT
        if setting:
            for e in self._background_only(hits, setting):
                boosts[e] = boosts.get(e, 1.0) * SETTING_WEIGHT
        if background or setting:
            gram_text = _blank(work_text, _merge(background + setting))
            if sum(map(str.isalnum, gram_text)) < 8:  # the whole text is background: keep it
                gram_text = work_text
        terms = {h.key[1] for h in hits if h.key[0] == "term"}
        query = self._index.query(work_text, entries, boosts, gram_text=gram_text)
        work = _Work(
            text=work_text,
            shown=norm,
            query=query,
            entries=entries,
            terms=terms,
            facts=read_facts(self.rules.facts, work_text, hits, caller),
            cands=self._index.score(query),
        )
        term_hits = tuple(
            TermHit(entry=h.key[1], said=h.said, means=self._reasons[h.key[1]].means)
            for h in hits
            if h.key[0] == "lex"
        )
        if repairs:
            work.fired.append(
                RuleFiring(rule="pinyin-repair", effect="; ".join(f"{a}→{b}" for a, b in repairs))
            )
        self._apply_rules(work)
        top = work.cands[0] if work.cands else None
        strong = any(self._reasons[e].weight >= 0.5 for e in entries)
        floor = UNMATCHED_SCORE if strong else UNMATCHED_SCORE_NO_CONCEPT
        screens = self._fired_screens(hits)
        work.fired.extend(
            RuleFiring(
                rule=sc.id, effect="scope screen: " + ("unmatched" if sc.strict else "strong evidence needed")
            )
            for sc in screens
        )
        strict = next((sc for sc in screens if sc.strict), None)
        if strict is not None and work.outside is None:
            work.outside = strict.id
        elif screens:
            # a text naming something no list covers needs strong evidence: a specific concept
            # (weight ≥ 1) lifts the bar to the no-concept floor, weak hints alone to the outside floor
            specific = any(self._reasons[e].weight >= 1.0 for e in entries)
            floor = max(floor, UNMATCHED_SCORE_NO_CONCEPT if specific else UNMATCHED_OUTSIDE_SCORE)
        if top is None or top.score < floor or work.outside is not None:
            return self._unmatched(work, term_hits, top, floor)
        question = self._apply_contrasts(work)
        return self._decide(work, term_hits, question, max(0, int(limit)))

    def route_many(
        self, texts: Iterable[str], *, facts: Mapping[str, str] | None = None, limit: int = 5
    ) -> list[Decision]:
        """Route several texts (same ``facts`` and ``limit`` for each), in order.

        Raises:
            IncidentTextError: a text is empty or too long; the message gives its 0-based index.
        """
        out = []
        for i, t in enumerate(texts):
            try:
                out.append(self.route(t, facts=facts, limit=limit))
            except IncidentTextError as exc:
                raise IncidentTextError(f"text {i}: {exc}", length=exc.length, limit=exc.limit) from exc
        return out

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

    def _background_spans(self, text: str) -> list[tuple[int, int]]:
        """Spans of background clauses: each clause holding a ``background`` marker (family
        circumstances, what someone said, an earlier call to 110) and no request marker; in texts of
        BACKGROUND_RUN_TEXT characters or more, with the following clauses up to a request clause
        or the end of the sentence."""
        if self._background is None:
            return []
        spans: list[tuple[int, int]] = []
        for m in self._background.finditer(text):
            if spans and m.start() < spans[-1][1]:
                continue
            start = max(text.rfind("，", 0, m.start()), text.rfind("。", 0, m.start())) + 1
            end = self._clause_end(text, m.end())
            if self._asks is not None and self._asks.search(text, start, end):
                continue
            if len(text) >= BACKGROUND_RUN_TEXT:
                # in a long message the circumstances run on: following clauses belong to the
                # background until a request clause or the end of the sentence
                while end < len(text) - 1 and text[end] == "，":
                    nxt = self._clause_end(text, end + 1)
                    if self._asks is not None and self._asks.search(text, end + 1, nxt):
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
        outside = [*spans, *background]

        def inside(pos: int, where: list[tuple[int, int]]) -> bool:
            return any(a <= pos < b for a, b in where)

        lex = [h for h in hits if h.key[0] == "lex"]
        other = any(
            self._reasons[h.key[1]].weight >= 0.5
            and any(not inside(s, outside) for s in (h.starts or (h.start,)))
            for h in lex
        )
        if not other:
            return []
        out = []
        for a, b in spans:
            said = [h for h in lex if any(a <= s < b for s in (h.starts or (h.start,)))]
            if all(all(inside(s, spans) for s in (h.starts or (h.start,))) for h in said):
                out.append((a, b))
        return out

    @staticmethod
    def _clause_end(text: str, pos: int) -> int:
        ends = [i for i in (text.find("，", pos), text.find("。", pos)) if i >= 0]
        return min(ends) if ends else len(text)

    @staticmethod
    def _background_only(hits: Sequence[PhraseHit], spans: list[tuple[int, int]]) -> set[str]:
        """Lexicon entries every occurrence of which lies in a background span."""
        return {
            h.key[1]
            for h in hits
            if h.key[0] == "lex" and all(any(a <= s < b for a, b in spans) for s in (h.starts or (h.start,)))
        }

    def _ask_boosts(self, text: str, hits: Sequence[PhraseHit]) -> dict[str, float]:
        """Lexicon entries said inside a clause that holds a request marker, or in a letter's title
        (``标题：… 内容：…``), get ASK_BOOST."""
        spans = []
        title = _TITLE.match(text)
        if title is not None:  # a letter's title names what it is about
            spans.append(title.span(1))
        if self._asks is None and not spans:
            return {}
        for m in self._asks.finditer(text) if self._asks is not None else ():
            start = max(text.rfind("，", 0, m.start()), text.rfind("。", 0, m.start())) + 1
            ends = [i for i in (text.find("，", m.end()), text.find("。", m.end())) if i >= 0]
            spans.append((start, min(ends) if ends else len(text)))
        if not spans:
            return {}
        return {
            h.key[1]: ASK_BOOST
            for h in hits
            if h.key[0] == "lex" and any(a <= s < b for s in h.starts for a, b in spans)
        }

    # ── rules ───────────────────────────────────────────────────────────────────────────────
    def _holds(self, c: Condition, w: _Work) -> bool:
        ent = set(w.entries)
        if c.entries_any and not ent.intersection(c.entries_any):
            return False
        if c.entries_all and not ent.issuperset(c.entries_all):
            return False
        if c.entries_none and ent.intersection(c.entries_none):
            return False
        if c.terms_any and not w.terms.intersection(c.terms_any):
            return False
        if c.terms_none and w.terms.intersection(c.terms_none):
            return False
        for name, values in c.facts:
            f = w.facts.get(name)
            if f is None or f.value not in values:
                return False
        return all(name not in w.facts for name in c.missing)

    def _apply_rules(self, w: _Work) -> None:
        fired = set(w.entries)
        maybe = set(self._unkeyed_rules)
        for e in fired:
            maybe.update(self._rules_by_entry.get(e, ()))
        for i in sorted(maybe):
            r = self._rules[i]
            if not self._holds(r.when, w):
                continue
            effects: list[str] = []
            if r.unmatched:
                w.outside = r.id
                effects.append("unmatched")
            if r.exclude:
                before = len(w.cands)
                w.cands = [c for c in w.cands if c.matter.id not in r.exclude]
                if len(w.cands) != before:
                    effects.append("exclude " + ",".join(r.exclude))
            if r.prefer:
                for c in w.cands:
                    if c.matter.id in r.prefer:
                        c.score *= 1 + r.boost
                effects.append(f"prefer {','.join(r.prefer)} ×{1 + r.boost:g}")
            for mid, bodies in r.acting:
                w.acting.setdefault(mid, bodies)
                effects.append(f"{mid} acting {'、'.join(bodies)}")
            for mid, bodies in r.cooperating:
                w.cooperating[mid] = tuple(dict.fromkeys((*w.cooperating.get(mid, ()), *bodies)))
                effects.append(f"{mid} cooperating {'、'.join(bodies)}")
            w.fired.append(RuleFiring(rule=r.id, effect="; ".join(effects)))
        pos = self._index._pos
        w.cands.sort(key=lambda c: (-c.score, pos[c.matter.id]))

    def _order(self, m: Matter) -> int:
        return self._index._pos[m.id]

    # ── contrasts ───────────────────────────────────────────────────────────────────────────
    def _apply_contrasts(self, w: _Work) -> Clarification | None:
        """Apply contrasts to the top candidate; returns a question when a missing fact decides."""
        done: set[str] = set()
        for _ in range(len(self._contrasts)):
            if not w.cands:
                return None
            top_id = w.cands[0].matter.id
            contrast = next(
                (
                    c
                    for c in self._contrasts
                    if c.id not in done and top_id in self._scopes[c.id] and self._holds(c.when, w)
                ),
                None,
            )
            if contrast is None:
                return None
            done.add(contrast.id)
            known = w.facts.get(contrast.fact)
            if known is not None and contrast.targets(known.value):
                self._keep(w, contrast, contrast.targets(known.value), known.value)
                continue
            question = self._question(w, contrast)
            if question is not None:
                return question
        return None

    def _keep(self, w: _Work, contrast: Contrast, targets: tuple[Target, ...], value: str) -> None:
        allowed = {t.matter for t in targets}
        top_score = w.cands[0].score
        scope = self._scopes[contrast.id]
        kept = [c for c in w.cands if c.matter.id not in scope or c.matter.id in allowed]
        by_id = {c.matter.id: c for c in kept}
        winner = self._answer(targets, {k: c.score for k, c in by_id.items()})
        chosen = by_id.get(winner.matter)
        if chosen is None:
            # the fact decides even where retrieval missed the matter
            chosen = Candidate(self._matters[winner.matter], top_score, 0.0, 0.0, [])
            kept.append(chosen)
        chosen.score = max(chosen.score, top_score) + 1e-6
        kept.sort(key=lambda c: (-round(c.score, 9), self._order(c.matter)))
        w.cands = kept
        for t in targets:
            if t.acting:
                w.acting[t.matter] = t.acting
        w.fired.append(
            RuleFiring(
                rule=contrast.id,
                effect=f"{contrast.fact}={value}: {winner.matter} (keeps {','.join(sorted(allowed))})",
            )
        )

    @staticmethod
    def _answer(targets: tuple[Target, ...], scores: Mapping[str, float]) -> Target:
        """The target that answers for one fact value: the first listed (the contrast's canonical
        route for that answer), unless another of the value's targets scores more than
        ANSWER_MARGIN times as much."""
        best, best_score = targets[0], scores.get(targets[0].matter, 0.0)
        for t in targets[1:]:
            sc = scores.get(t.matter, 0.0)
            if sc > ANSWER_MARGIN * best_score and sc > best_score:
                best, best_score = t, sc
        return best

    def _question(self, w: _Work, contrast: Contrast) -> Clarification | None:
        spec = self.rules.fact(contrast.fact)
        if spec is None:
            return None
        scores = {c.matter.id: c.score for c in w.cands}
        options: list[tuple[str, Target, float]] = []
        for value, targets in contrast.routes:
            options.append(
                (value, self._answer(targets, scores), max(scores.get(t.matter, 0.0) for t in targets))
            )
        routes = {(t.matter, self._acting_for(t, w)) for _, t, _ in options}
        if len(routes) < 2:
            return None
        if contrast.ask != "always":
            # the best in-scope candidate leads; ask only if another answer's route comes close
            lead = next(c for c in w.cands if c.matter.id in self._scopes[contrast.id])
            lead_routes = {
                (t.matter, self._acting_for(t, w)) for _, t, _ in options if t.matter == lead.matter.id
            }
            rivals = [s for _, t, s in options if (t.matter, self._acting_for(t, w)) not in lead_routes]
            if not rivals or max(rivals) < CLARIFY_RATIO * lead.score:
                return None
        opts = []
        for value, t, _ in options:
            m = self._matters[t.matter]
            acting = self._acting_for(t, w)
            fv = spec.value(value)
            opts.append(
                ClarifyOption(
                    value=value,
                    label=fv.label if fv else value,
                    matter=m.id,
                    acting=acting,
                    cooperating=(self._township,) if m.list is ListKind.cooperative else (),
                    reclaimed=m.list is ListKind.reclaimed,
                    basis=self.rulebook.basis(m),
                )
            )
        w.fired.append(RuleFiring(rule=contrast.id, effect=f"ask {contrast.fact}"))
        return Clarification(
            fact=contrast.fact, question=spec.question, options=tuple(opts), rule=contrast.id
        )

    def _acting_for(self, t: Target, w: _Work) -> tuple[str, ...]:
        if t.acting:
            return t.acting
        return self._select_acting(self._matters[t.matter], w)[0]

    # ── acting bodies ───────────────────────────────────────────────────────────────────────
    def _is_placeholder(self, name: str) -> bool:
        b = self._bodies.get(name)
        return b is not None and b.kind is BodyKind.placeholder

    def _select_acting(self, m: Matter, w: _Work) -> tuple[tuple[str, ...], str]:
        """(acting body names, how they were chosen)."""
        if m.list is ListKind.basic:
            return (self._township,), "basic list: the township acts"
        override = w.acting.get(m.id)
        if override:
            return override, "rule"
        blocks = [b for b in (m.departments if m.list is ListKind.cooperative else m.receivers)]
        blocks = [b for b in blocks if not self._is_placeholder(b.body)] or blocks
        if not blocks:  # a listed department without duty block
            names = tuple(n for n in m.listed_departments if not self._is_placeholder(n))
            return names[:1], "listed department (no duty block)"
        # group blocks sharing the same clauses (joint headers)
        groups: list[list[Any]] = []
        for b in blocks:
            for g in groups:
                if g[0].clauses == b.clauses:
                    g.append(b)
                    break
            else:
                groups.append([b])
        if len(groups) == 1:
            group = groups[0]
            names = (
                (group[0].body,)
                if m.list is ListKind.cooperative
                else tuple(dict.fromkeys(b.body for b in group))
            )
            return names, "the only department listed" if len(group) == 1 else "joint receivers"
        scored = {blk.body: s for blk, s in self._index.block_scores(m.id, w.query)}
        gscores = [max(scored.get(b.body, 0.0) for b in g) for g in groups]
        best = max(range(len(groups)), key=lambda i: (gscores[i], -i))
        chosen = 0
        how = "lead (first listed) department"
        if best != 0 and gscores[best] > DEPARTMENT_MARGIN * gscores[0] + DEPARTMENT_LEAD:
            chosen = best
            how = "department whose clauses match best"
        group = groups[chosen]
        if m.list is ListKind.cooperative:
            return (group[0].body,), how
        return tuple(dict.fromkeys(b.body for b in group)), how

    # ── building the decision ───────────────────────────────────────────────────────────────
    def _confidence(self, score: float, runner_up: float) -> float:
        strength = 1 - math.exp(-max(score, 0.0) / CONFIDENCE_SCALE)
        margin = (score - runner_up) / score if score > 0 else 0.0
        return round(max(0.0, min(1.0, strength * (0.55 + 0.45 * margin))), 4)

    def _trace(self, w: _Work, term_hits: tuple[TermHit, ...], note: str = "") -> Trace:
        return Trace(
            text=w.shown,
            facts=dict(w.facts),
            terms=term_hits,
            candidates=tuple(
                CandidateOut(
                    matter=c.matter.id,
                    score=round(c.score, 3),
                    bm25=round(c.bm25, 3),
                    concepts=round(c.concepts, 3),
                    title=c.matter.title,
                )
                for c in w.cands[:10]
            ),
            rules=tuple(w.fired),
            note=note,
        )

    def _unmatched(
        self, w: _Work, term_hits: tuple[TermHit, ...], top: Candidate | None, floor: float
    ) -> Decision:
        if w.outside is not None:
            kind = "scope screen" if w.outside in self._screens else "rule"
            note = f"{kind} {w.outside!r}: the incident is outside what these lists cover"
            confidence = 0.9
        elif top is None:
            note, confidence = "no candidate matter", 1.0
        else:
            note = (
                f"best candidate {top.matter.id} scores {top.score:.1f} < {floor:g}: "
                "no list item covers the text"
            )
            confidence = round(1 - top.score / floor, 4)
        return Decision(
            status="unmatched",
            confidence=confidence,
            trace=self._trace(w, term_hits, note),
            rulebook_hash=self._hash,
        )

    def _decide(
        self, w: _Work, term_hits: tuple[TermHit, ...], question: Clarification | None, limit: int
    ) -> Decision:
        top = w.cands[0]
        m = top.matter
        runner = next((c.score for c in w.cands[1:] if c.matter.id != m.id), 0.0)
        conf = self._confidence(top.score, runner)
        acting, how = self._select_acting(m, w)
        alternatives: list[Alternative] = []
        for c in w.cands[1:]:
            if len(alternatives) >= limit:
                break
            a_acting = self._select_acting(c.matter, w)[0]
            alternatives.append(
                Alternative(
                    matter=c.matter.id,
                    acting=a_acting,
                    cooperating=(self._township,) if c.matter.list is ListKind.cooperative else (),
                    reclaimed=c.matter.list is ListKind.reclaimed,
                    confidence=round(min(conf, conf * c.score / top.score) * 0.9, 4),
                    title=c.matter.title,
                )
            )
        info = MatterInfo(
            id=m.id,
            list=m.list.value,
            seq=m.seq,
            category=m.category,
            title=m.title,
            source_line=m.source_line,
        )
        clause_hits = self._index.clause_scores(m.id, w.query)[:3]
        basis_clauses = tuple(
            MatchedClause(field=c.field, body=c.body, text=c.text, score=round(s, 3))  # type: ignore[arg-type]
            for c, s in clause_hits
        )
        role = None
        if m.list is ListKind.basic and m.role:
            b = self._body_by_id.get(m.role)
            role = b.name if b else m.role
        acting_bodies = self._acting_bodies(m, acting)
        cooperating: tuple[str, ...] = ()
        coop_bodies: tuple[BodyDuty, ...] = ()
        if m.list is ListKind.cooperative:
            # the township (乡镇配合职责), plus listed departments a rule names for this incident
            extra = tuple(b for b in w.cooperating.get(m.id, ()) if b not in acting)
            cooperating = (self._township, *extra)
            coop_bodies = (
                BodyDuty(name=self._township, clauses=m.township_clauses),
                *self._acting_bodies(m, extra),  # each department with its own clauses
            )
        status: Status = "needs_clarification" if question is not None else "routed"
        note = f"acting: {how}"
        if question is not None:
            # Nothing is routed until the fact is known: no matter, acting body or basis is
            # presented; the routes per answer are in clarify.options, and every candidate
            # (the provisional leader included) is among the alternatives.
            lead = Alternative(
                matter=m.id,
                acting=acting,
                cooperating=(self._township,) if m.list is ListKind.cooperative else (),
                reclaimed=m.list is ListKind.reclaimed,
                confidence=round(conf * 0.9, 4),
                title=m.title,
            )
            return Decision(
                status=status,
                confidence=conf,
                clarify=question,
                alternatives=(lead, *alternatives)[:limit],
                trace=self._trace(
                    w, term_hits, f"needs clarification: {question.fact}; leading candidate {m.id}"
                ),
                rulebook_hash=self._hash,
            )
        return Decision(
            status=status,
            matter=m.id,
            acting=acting,
            cooperating=cooperating,
            reclaimed=m.list is ListKind.reclaimed,
            confidence=conf,
            basis=self.rulebook.basis(m),
            clarify=question,
            alternatives=tuple(alternatives),
            township_role=role,
            matter_detail=info,
            acting_bodies=acting_bodies,
            cooperating_bodies=coop_bodies,
            basis_clauses=basis_clauses,
            trace=self._trace(w, term_hits, note),
            rulebook_hash=self._hash,
        )

    def _acting_bodies(self, m: Matter, acting: Sequence[str]) -> tuple[BodyDuty, ...]:
        if m.list is ListKind.basic:
            return (BodyDuty(name=self._township, clauses=(m.title,)),)
        blocks = m.departments if m.list is ListKind.cooperative else m.receivers
        out = []
        for name in acting:
            blk = next((b for b in blocks if b.body == name), None)
            out.append(
                BodyDuty(name=name, sub_unit=blk.unit if blk else None, clauses=blk.clauses if blk else ())
            )
        return tuple(out)


_TITLE = re.compile(r"[【\[]?(?:标题|主题|留言标题)[】\]]?[，:：]?(.{2,80}?)(?:[【\[]?(?:内容|正文|留言内容|详情)[】\]]?[，:：]?|。)")
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


_DEFAULT_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _build_default_router() -> Router:
    from .rulebook import load_rulebook

    return Router(load_rulebook())


def _default_router() -> Router:
    # the lock makes "built once per process" hold when several threads ask at the same moment
    with _DEFAULT_LOCK:
        return _build_default_router()
