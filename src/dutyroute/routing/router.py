"""Route an incident text to the bodies that must act on it, citing the list item.

:class:`Router` runs the stages of the pipeline, one module each (every step is data-driven and
reported in ``Decision.trace``)::

    text ──normalize──▶ evidence: one Aho–Corasick pass → lexicon hits · fact phrases · rule terms,
                        background / setting / request spans          (routing.evidence)
         ──▶ facts (text, overridden by the caller's)                 (routing.facts, rules/facts.yaml)
         ──▶ candidates: BM25 over bigrams + lexicon concepts          (routing.retrieve, rules/lexicon.yaml)
         ──▶ rules: prefer / exclude / acting departments              (routing.rules, rules/routing.yaml)
         ──▶ unmatched?  (a strict scope screen fired, rules/scope.yaml; or the top score is below
                          UNMATCHED_SCORE: no list covers the text)
         ──▶ still unmatched and short? repair homophone typos by toneless pinyin (垃级 → 垃圾) and
             route once more, concepts × PINYIN_PENALTY                (text.pinyin)
         ──▶ contrasts: a known fact keeps its route; a missing one that decides who acts
             becomes a clarifying question                             (routing.contrasts)
         ──▶ acting department(s) inside the matter, from the graph    (routing.acting)
         ──▶ Decision                                                  (routing.decide)

Who acts, by list, is :mod:`dutyroute.model.duties`, read through the responsibility graph.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from ..errors import IncidentTextError, InputError
from ..graph.query import ResponsibilityGraph
from ..model.decision import Decision, ModelScore, Precedent, RouteFailure, RuleFiring, TermHit
from ..model.lists import Rulebook
from ..model.returns import ReturnVerdict
from ..model.rules import Contrast, Rule, RuleSet
from ..store.bundle import Bundle
from ..store.rules import load_rules
from ..store.rules_check import check_rules
from ..text.normalize import normalize
from ..text.phrases import split_phrase
from ..text.pinyin import PinyinRepair
from .acting import ActingSelector
from .contrasts import CLARIFY_RATIO, ContrastApplier
from .decide import DecisionBuilder
from .evidence import EvidenceReader
from .facts import read_facts, validate_caller_facts
from .fusion import MODEL_TOP, EngineView, Fusion
from .intake import MAX_RAW_CHARS, MAX_TEXT_CHARS, checked_text
from .recognizer import OUT_OF_SCOPE, Recognizer, subject_line
from .retrieve import Candidate, MatterIndex
from .rules import RuleApplier
from .state import RouteState

__all__ = ["CLARIFY_RATIO", "MAX_RAW_CHARS", "MAX_TEXT_CHARS", "UNMATCHED_SCORE", "Router"]

FACT_LOOKAHEAD = 3
"""After fusion, a known deciding fact re-decides among the first this many candidates (see
:meth:`dutyroute.routing.contrasts.ContrastApplier.apply`)."""
UNMATCHED_SCORE = 30.0
"""A text whose best candidate scores below this (retrieve units) is ``unmatched``."""
UNMATCHED_SCORE_NO_CONCEPT = 60.0
"""Stricter floor when no lexicon entry of weight ≥ 0.5 fired (only weak hints such as a place
noun): only list wording can carry such a text."""
UNMATCHED_OUTSIDE_SCORE = 120.0
"""Floor when the text names something no list covers (the lexicon's ``outside`` words: passports,
tickets, telecom …)."""
PINYIN_MAX_CHARS = 120
"""Texts up to this length (characters) get the homophone-repair fallback when unmatched."""
FUSED_ENGINE_CANDIDATES = 10
"""The engine's best this many candidates go into fusion."""
PRECEDENTS = 3
"""Nearest corpus examples a decision carries (``Decision.precedents``)."""
PINYIN_PENALTY = 0.8
"""Concept credit multiplier in the fallback pass (evidence read through a repaired typo)."""


class Router:
    """Routes incident texts with one rulebook. Built once; immutable; safe to share between threads.

    Args:
        rulebook: the township's duty lists (:func:`dutyroute.store.rulebook.load_rulebook`).
        recognizer: the trained recognizer fused with the rules (default: the one bundled, if
            it was trained for this rulebook; None: the rules alone).
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

    def __init__(
        self,
        rulebook: Rulebook,
        rules: RuleSet | None = None,
        recognizer: Recognizer | Literal["bundled"] | None = "bundled",
        versions: Sequence[Rulebook] = (),
    ) -> None:
        rules = rules if rules is not None else load_rules()
        self.rulebook = rulebook
        others = [rb for rb in versions if rb is not rulebook and rb.version != rulebook.version]
        self.versions: tuple[Rulebook, ...] = tuple(
            sorted([rulebook, *others], key=lambda rb: (rb.effective_date or "", rb.effective_to or "9999"))
        )
        rec = Recognizer.bundled() if recognizer == "bundled" else recognizer
        # every version routes with the recognizer, its classes paired with that version's rows
        self._by_version = {rb.version: Router(rb, rules, recognizer=rec) for rb in others}
        self.rules = rules
        self.warnings: tuple[str, ...] = ()
        contrasts: tuple[Contrast, ...] = rules.contrasts
        routing: tuple[Rule, ...] = rules.rules
        key = rulebook.jurisdiction.key
        if rules.rulebook_key and rules.rulebook_key != key:
            self.warnings = (
                f"routing rules are written for rulebook {rules.rulebook_key!r}, not {key!r}: "
                f"{len(rules.contrasts)} contrasts and {len(rules.rules)} rules not applied",
            )
            contrasts, routing = (), ()
        else:
            check_rules(rules, rulebook)
        self.graph = ResponsibilityGraph(rulebook)
        self._index = MatterIndex.shared(rulebook, {e.id: (e.weight, e.means) for e in rules.lexicon})
        if self._index.unknown_terms:
            self.warnings += tuple(
                f"lexicon entry {e!r}: term {t!r} occurs in no matter of this rulebook"
                for e, t in self._index.unknown_terms
            )
        order = self._index._pos
        self._evidence = EvidenceReader(rules, [c.when for c in contrasts] + [r.when for r in routing])
        self._rules = RuleApplier(routing, order)
        self._acting = ActingSelector(self.graph, self._index)
        self._contrasts = ContrastApplier(contrasts, rules.facts, self.graph, self._acting, order)
        self._decide = DecisionBuilder(
            rulebook, self._index, self._acting, frozenset(sc.id for sc in rules.screens)
        )
        vocabulary = {part for e in rules.lexicon for p in e.say for part in split_phrase(p)}
        vocabulary |= {normalize(t) for e in rules.lexicon for t in e.means}
        self._pinyin = PinyinRepair(vocabulary)  # built on first use (fallback pass only)
        self._entry = {e.id: e for e in rules.lexicon}
        self._hash = rulebook.hash
        self.recognizer: Recognizer | None = None
        self._fusion: Fusion | None = None
        if rec is not None:
            fitted = rec.for_rulebook(rulebook)
            if fitted is None:
                trained_for = rec.meta.get("rulebook", {}).get("key")
                self.warnings += (
                    f"recognizer {rec.hash} was trained for rulebook {trained_for!r}, whose matter ids "
                    f"do not fit {key!r} version {rulebook.version}: routing with the rules alone "
                    "(train one for this rulebook: dutyroute train --rules …)",
                )
            else:
                self.recognizer = fitted
                self._fusion = Fusion.from_meta(fitted.meta)
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
        """The router of the bundled rulebook and rules (built once per process, then shared)."""
        return _default_router()

    @classmethod
    def from_dir(cls, path: str | Path) -> Router:
        """The router over the rulebook and rule files of a folder (see
        :meth:`dutyroute.store.bundle.Bundle.from_dir`).

        Raises:
            InputError: the folder holds no rulebook, several with nothing to pick one, or only
                some of the rule files.
            RuleFileError: a file in it is malformed (file:line).
        """
        return cls.from_bundle(Bundle.from_dir(path))

    @classmethod
    def from_bundle(cls, bundle: Bundle) -> Router:
        """The router over a loaded :class:`~dutyroute.store.bundle.Bundle` (its newest version;
        the others answer ``route(..., as_of=day)``)."""
        return cls(bundle.rulebook, bundle.rules, versions=bundle.versions)

    def __repr__(self) -> str:
        j = self.rulebook.jurisdiction
        return f"<dutyroute.Router {j.county}{j.township} {len(self.rulebook.matters)} matters {self._hash}>"

    # ── public API ──────────────────────────────────────────────────────────────────────────
    def route(
        self,
        text: str,
        *,
        facts: Mapping[str, str] | None = None,
        limit: int = 5,
        as_of: date | str | None = None,
    ) -> Decision:
        """Route an incident description to the bodies responsible for it.

        Args:
            text: incident description in Chinese, as people write it; 1–5,000 characters after
                normalisation (:func:`dutyroute.text.normalize.normalize`: HTML, full-width forms,
                traditional characters, spacing and punctuation are folded first).
            facts: known deciding facts, e.g. ``{"road_class": "县道"}`` (names and values in
                ``rules/facts.yaml``); they override facts read from the text.
            limit: most alternatives kept, best first (≥ 0).
            as_of: the day the incident came in (a date or ``YYYY-MM-DD``): it is judged by the
                version of the lists in force that day (:attr:`versions`); None: the newest.

        Returns:
            Decision: status (``routed`` | ``needs_clarification`` | ``unmatched``), matter, acting and
            cooperating bodies (with their clauses), reclaimed flag, basis (list name + item number +
            matched clauses), confidence in [0, 1], alternatives, the clarifying question, and a
            trace of the facts, candidates and rules used.

        Raises:
            IncidentTextError: the text is longer than 20,000 characters as given, or empty or
                longer than 5,000 characters after normalisation, or holds no word (only digits,
                punctuation or symbols: ``……``, ``110``).
            NotFoundError: ``facts`` names an unknown fact or value.
            TypeError: ``text`` is not a string, ``facts`` not a mapping of strings, or ``limit``
                not an integer.
            ValueError: ``limit`` is negative.
            InputError: ``as_of`` is not a date, or no version of the lists is in force that day.
        """
        if as_of is not None:
            from ..store.versions import as_date, in_force

            rb = in_force(self.versions, as_date(as_of))
            if rb is not self.rulebook:
                return self._by_version[rb.version].route(text, facts=facts, limit=limit)
        limit = _check_limit(limit)
        caller = validate_caller_facts(self.rules.facts, facts)
        norm = checked_text(text)
        work_text = self._evidence.prepare(norm)
        subject = subject_line(text) if self.recognizer is not None else ""
        decision = self._route_text(norm, work_text, caller, limit, repairs=(), subject=subject)
        if decision.status != "unmatched" or len(work_text) > PINYIN_MAX_CHARS:
            return decision
        if any(r.effect.startswith("scope screen") for r in decision.trace.rules):
            return decision  # named as outside the lists: no second guess
        # fallback: the exact pass found too little; repair homophone typos (垃级 → 垃圾) and retry
        repaired, repairs = self._pinyin.repair(work_text)
        if not repairs:
            return decision
        again = self._route_text(norm, repaired, caller, limit, repairs=tuple(repairs), subject=subject)
        return again if again.status != "unmatched" else decision

    @overload
    def route_many(
        self,
        texts: Iterable[str],
        *,
        facts: Mapping[str, str] | None = ...,
        limit: int = ...,
        errors: Literal["raise"] = ...,
    ) -> list[Decision]: ...

    @overload
    def route_many(
        self,
        texts: Iterable[str],
        *,
        facts: Mapping[str, str] | None = ...,
        limit: int = ...,
        errors: Literal["return"],
    ) -> list[Decision | RouteFailure]: ...

    def route_many(
        self,
        texts: Iterable[str],
        *,
        facts: Mapping[str, str] | None = None,
        limit: int = 5,
        errors: Literal["raise", "return"] = "raise",
    ) -> list[Decision] | list[Decision | RouteFailure]:
        """Route several texts (same ``facts`` and ``limit`` for each), in order.

        Args:
            texts: the incident texts.
            facts, limit: as for :meth:`route`.
            errors: ``"raise"``: the first text that cannot be routed raises; ``"return"``: it
                gives a :class:`~dutyroute.model.decision.RouteFailure` in its place (its index,
                the error's class and message) and the rest are routed.

        Returns:
            One item per text, in order.

        Raises:
            IncidentTextError: with ``errors="raise"``, a text is empty or too long; the message
                gives its 0-based index. TypeError: ``texts`` is one string, a text is not a string
                (``"raise"``), or ``facts``/``limit`` are malformed (always). ValueError: ``errors``
                is neither value.
        """
        if errors not in ("raise", "return"):
            raise ValueError(f"errors must be 'raise' or 'return', got {errors!r}")
        if isinstance(texts, (str, bytes)):  # iterating it would route each character
            raise TypeError("texts must be a list of incident texts, got one string; use route() for one")
        limit = _check_limit(limit)
        validate_caller_facts(self.rules.facts, facts)
        out: list[Decision | RouteFailure] = []
        for i, t in enumerate(texts):
            try:
                out.append(self.route(t, facts=facts, limit=limit))
            except (IncidentTextError, TypeError) as exc:
                if errors == "return":
                    out.append(RouteFailure(index=i, error=type(exc).__name__, message=str(exc)))
                elif isinstance(exc, IncidentTextError):
                    raise IncidentTextError(f"text {i}: {exc}", length=exc.length, limit=exc.limit) from exc
                else:
                    raise TypeError(f"text {i}: {exc}") from exc
        return out

    # ── the stages ──────────────────────────────────────────────────────────────────────────
    def _route_text(
        self,
        norm: str,
        work_text: str,
        caller: Mapping[str, str],
        limit: int,
        *,
        repairs: tuple[tuple[str, str], ...],
        subject: str = "",
    ) -> Decision:
        work, term_hits, screens = self._analyse(norm, work_text, caller, repairs)
        floor = self._floor(work, screens)
        top = work.cands[0] if work.cands else None
        if work.outside is not None:  # a strict scope screen or an `unmatched` rule: rule-driven
            return self._decide.unmatched(work, term_hits, top, floor)
        if self._fusion is None or self.recognizer is None:
            if top is None or top.score < floor:
                return self._decide.unmatched(work, term_hits, top, floor)
            question = self._contrasts.apply(work)
            return self._decide.decide(work, term_hits, question, limit)
        return self._fused(norm, work, term_hits, floor, screens, limit, subject)

    def _analyse(
        self, norm: str, work_text: str, caller: Mapping[str, str], repairs: tuple[tuple[str, str], ...]
    ) -> tuple[RouteState, tuple[TermHit, ...], list[Any]]:
        """Evidence, facts, the engine's candidates and the routing rules: the state before fusion."""
        ev = self._evidence.read(work_text)
        boosts = dict(ev.boosts)
        if repairs:  # evidence read through a repaired typo counts less
            for e in ev.entries:
                boosts[e] = boosts.get(e, 1.0) * PINYIN_PENALTY
        entries = list(ev.entries)
        query = self._index.query(work_text, entries, boosts, gram_text=ev.gram_text)
        work = RouteState(
            text=work_text,
            shown=norm,
            query=query,
            entries=entries,
            terms=set(ev.terms),
            facts=read_facts(self.rules.facts, work_text, list(ev.hits), caller),
            cands=self._index.score(query),
        )
        term_hits = tuple(
            TermHit(entry=h.key[1], said=h.said, means=self._entry[h.key[1]].means)
            for h in ev.hits
            if h.key[0] == "lex"
        )
        if repairs:
            work.fired.append(
                RuleFiring(rule="pinyin-repair", effect="; ".join(f"{a}→{b}" for a, b in repairs))
            )
        self._rules.apply(work)
        return work, term_hits, list(ev.screens)

    def check_return(
        self,
        text_or_decision: str | Decision,
        returned_by: str,
        reason: str | None = None,
        facts: Mapping[str, str] | None = None,
    ) -> ReturnVerdict:
        """Is a returned order (退单) justified by the lists, and who must act instead.

        Args:
            text_or_decision: the incident text (routed with ``facts``) or its Decision.
            returned_by: the returning body (canonical name, alias or close spelling).
            reason: its stated reason (属地不符, 职能不符, 权属不清, 职能交叉 …), echoed.
            facts: deciding facts, as for :meth:`route`.

        Returns:
            :class:`~dutyroute.model.returns.ReturnVerdict`: ``justified``, ``kind`` (not_named,
            another_department_acts, only_cooperates, reclaimed, outside_lists, not_justified,
            depends_on_fact), ``instead`` (the routes that should take it, with the basis), the
            deciding ``clauses`` (the returning body's own when the return is not justified) and,
            when a fact decides, ``depends_on`` with the verdict under each answer.

        Raises:
            NotFoundError: no such body, or a name several bodies fit about as well (``县``), with
                "did you mean". InputError: ``facts`` given with a Decision (they apply to routing a
                text). TypeError: ``returned_by`` or ``reason`` is not a string. IncidentTextError,
                TypeError: as :meth:`route`.
        """
        from .returns import check_return

        if facts and isinstance(text_or_decision, Decision):
            raise InputError(
                "facts apply when a text is routed, and this Decision was routed already: pass the "
                "incident text with the facts, or route it with them first"
            )
        if reason is not None and not isinstance(reason, str):
            raise TypeError(f"reason must be a string such as '职能不符', got {type(reason).__name__}")
        d = (
            text_or_decision
            if isinstance(text_or_decision, Decision)
            else self.route(text_or_decision, facts=facts)
        )
        return check_return(self.graph, self.rulebook, d, returned_by, reason=reason)

    def engine_view(self, text: str) -> tuple[EngineView, bool]:
        """What the rule engine alone makes of a text: its view for fusion, and whether the rules
        force it unmatched (a strict scope screen or an ``unmatched`` rule). ``dutyroute train``
        fits the fusion on exactly this.

        Raises:
            IncidentTextError, TypeError: as :meth:`route`.
        """
        norm = checked_text(text)
        work, _, screens = self._analyse(norm, self._evidence.prepare(norm), {}, ())
        floor = self._floor(work, screens)
        return self._engine_view(work, floor, screens), work.outside is not None

    @staticmethod
    def _engine_view(work: RouteState, floor: float, screens: Sequence[Any]) -> EngineView:
        top = work.cands[0] if work.cands else None
        return EngineView(
            tuple((c.matter.id, c.score, c.concepts > 0) for c in work.cands[:FUSED_ENGINE_CANDIDATES]),
            top is None or top.score < floor,
            any(not sc.strict for sc in screens),
            frozenset(work.preferred),
        )

    def _fused(
        self,
        norm: str,
        work: RouteState,
        term_hits: tuple[TermHit, ...],
        floor: float,
        screens: Sequence[Any],
        limit: int,
        subject: str = "",
    ) -> Decision:
        """Fusion of the recognizer with the engine, then the rule-driven rest (contrasts, acting);
        ``subject`` is the text's subject line (:func:`~dutyroute.routing.recognizer.subject_line`)."""
        assert self._fusion is not None and self.recognizer is not None
        view = self._engine_view(work, floor, screens)
        rec = self.recognizer
        vec = rec.vector(norm)
        dec = rec.decision(norm, vec, subject)
        order = np.argsort(-dec, kind="stable")[: MODEL_TOP + 1]  # classes are sorted: ties by name
        svc = dict(zip(rec.classes, dec.tolist(), strict=True))
        ranked = self._fusion.rank(svc, view, tuple(work.excluded), [rec.classes[i] for i in order])
        model = tuple(
            ModelScore(matter=m, recognizer=round(svc.get(m, 0.0), 4), fused=round(p, 4))
            for m, p in ranked[:8]
        )
        engine_top = view.cands[0][0] if view.cands and not view.unmatched else OUT_OF_SCOPE
        p_top = ranked[0][1] if ranked else 1.0
        p_second = ranked[1][1] if len(ranked) > 1 else 0.0
        model_hash = self.recognizer.hash
        if not ranked or ranked[0][0] == OUT_OF_SCOPE:
            conf = self._fusion.confidence(p_top, p_second, engine_top == OUT_OF_SCOPE, True, False)
            precedents = self._precedents(norm, OUT_OF_SCOPE, vec)
            return self._decide.unmatched(
                work,
                term_hits,
                work.cands[0] if work.cands else None,
                floor,
                confidence=conf,
                note=f"fusion: no list covers it (p {p_top:.2f})",
                auto=conf >= self._fusion.auto_dispatch,
                precedents=precedents,
                model=model,
                model_hash=model_hash,
            )
        by_id = {c.matter.id: c for c in work.cands}
        evidence = {c.matter.id: c.score for c in work.cands}  # the rules' own scores, for questions
        cands = []
        for m, p in ranked:
            if m == OUT_OF_SCOPE:
                continue
            c = by_id.get(m) or Candidate(self.graph.matter(m)[1], 0.0, 0.0, 0.0, [])
            c.score = 100.0 * p
            cands.append(c)
        work.cands = cands
        question = self._contrasts.apply(work, evidence, lookahead=FACT_LOOKAHEAD)
        top_id = work.cands[0].matter.id
        acting_open = question is None and self._acting.picks_among_several(work.cands[0].matter, work)
        conf = self._fusion.confidence(
            p_top, p_second, top_id == engine_top, False, question is not None, acting_open
        )
        return self._decide.decide(
            work,
            term_hits,
            question,
            limit,
            confidence=conf,
            auto=conf >= self._fusion.auto_dispatch and question is None,
            precedents=self._precedents(norm, top_id if question is None else None, vec),
            model=model,
            model_hash=model_hash,
        )

    def _precedents(self, norm: str, matter: str | None, vec: Any = None) -> tuple[Precedent, ...]:
        if self.recognizer is None or matter is None:
            return ()
        return tuple(
            Precedent(id=p.id, excerpt=p.excerpt, matter=p.matter, similarity=p.similarity)
            for p in self.recognizer.precedents(norm, matter, PRECEDENTS, vec)
        )

    def _floor(self, work: RouteState, screens: Iterable[Any]) -> float:
        """The score the top candidate needs (see the UNMATCHED_* constants); a strict screen that
        fired makes the text outside the lists."""
        strong = any(self._entry[e].weight >= 0.5 for e in work.entries)
        floor = UNMATCHED_SCORE if strong else UNMATCHED_SCORE_NO_CONCEPT
        screens = list(screens)
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
            specific = any(self._entry[e].weight >= 1.0 for e in work.entries)
            floor = max(floor, UNMATCHED_SCORE_NO_CONCEPT if specific else UNMATCHED_OUTSIDE_SCORE)
        return floor


def _check_limit(limit: object) -> int:
    """``limit`` as an int ≥ 0, or the documented error."""
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise TypeError(
            f"limit must be an int (most alternatives kept), got {type(limit).__name__} {limit!r}"
        )
    if limit < 0:
        raise ValueError(f"limit must be ≥ 0 (most alternatives kept), got {limit}")
    return limit


_DEFAULT_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _build_default_router() -> Router:
    return Router.from_bundle(Bundle.from_dir(None))


def _default_router() -> Router:
    # the lock makes "built once per process" hold when several threads ask at the same moment
    with _DEFAULT_LOCK:
        return _build_default_router()
