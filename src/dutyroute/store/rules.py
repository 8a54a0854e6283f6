"""The router's reviewed data: ``rules/lexicon.yaml``, ``rules/facts.yaml``, ``rules/routing.yaml``,
``rules/scope.yaml``.

All are YAML a domain expert can read and edit; each entry carries a reason (and routing
entries example sentences that the tests run). This module loads them into the immutable records
of :mod:`dutyroute.model.rules`, failing with ``file:line: what is wrong; what to do``
(:class:`RuleFileError`).

- **Lexicon** (:class:`LexiconEntry`): how people say it → the lists' terms.
- **Facts** (:class:`FactSpec`): deciding facts, the phrases that show each value, the question to
  ask when a text lacks one.
- **Scope** (:class:`Screen`, optional file): negative evidence — counterparts and places no list
  covers (banks, telecom, another city …) — that makes a text unmatched.
- **Routing** (:class:`Contrast`, :class:`Rule`): contrasts — one fact splits similar incidents
  between routes, and the router asks about it when the text is silent; rules — prefer, exclude,
  or pick the acting department inside a multi-department matter. The format is described at the
  top of ``rules/routing.yaml``.

:func:`load_rules` reads them all; :func:`dutyroute.store.rules_check.check_rules` validates them
against a rulebook (matter ids exist, acting bodies are listed for that matter, fact values exist …).
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import RuleFileError
from ..model.rules import (
    Condition,
    Contrast,
    Example,
    FactSpec,
    FactValue,
    LexiconEntry,
    Rule,
    RuleSet,
    Screen,
    Target,
)
from ..text.phrases import split_phrase
from .memo import memoized
from .resources import rules_dir
from .yamlio import read_yaml, yaml_line

__all__ = ["load_rules"]

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_PHRASE_CHARS = 200
"""Longest phrase (say, means, unless, terms …) accepted in a rule file, in characters."""
MAX_TEXT_FIELD_CHARS = 2000
"""Longest text field (reason, question, example sentence) accepted in a rule file."""


def load_rules(directory: str | Path | None = None) -> RuleSet:
    """Load ``lexicon.yaml``, ``facts.yaml`` and ``routing.yaml`` (default directory: the bundled ``rules/``).

    Raises:
        RuleFileError: a file is missing, not valid YAML, or an entry is malformed (file:line).
    """
    return _load_rules(Path(directory) if directory is not None else rules_dir())


@memoized
def _load_rules(d: Path) -> RuleSet:
    lex_path, facts_path, routing_path = d / "lexicon.yaml", d / "facts.yaml", d / "routing.yaml"
    lexicon, framing, asks, outside, typos, background, setting = _load_lexicon(lex_path)
    facts = _load_facts(facts_path)
    contrasts, rules, key = _load_routing(routing_path)
    scope_path = d / "scope.yaml"
    screens = _load_scope(scope_path) if scope_path.exists() else ()
    if outside:  # the lexicon's older `outside` list: a non-strict screen
        screens += (
            Screen(
                "lexicon-outside",
                "lexicon.yaml `outside`: requests no duty list covers",
                outside,
                strict=False,
                loc=("outside",),
            ),
        )
    paths: tuple[str, ...] = (str(lex_path), str(facts_path), str(routing_path))
    if scope_path.exists():
        paths += (str(scope_path),)
    return RuleSet(
        lexicon=lexicon,
        facts=facts,
        contrasts=contrasts,
        rules=rules,
        rulebook_key=key,
        paths=paths,
        framing=framing,
        asks=asks,
        outside=outside,
        typos=typos,
        screens=screens,
        background=background,
        setting=setting,
    )


@memoized  # one file: an edit to another rule file reuses this one's load
def _load_scope(path: Path) -> tuple[Screen, ...]:
    items, path, _ = _read(path, "screens")
    out: list[Screen] = []
    seen: set[str] = set()
    for i, e in enumerate(items):
        keys = ("screens", i)
        if not isinstance(e, Mapping):
            raise _fail(path, keys, f"screen {i + 1} must be a mapping")
        sid = _need_text(e, "id", path, keys, f"screen {i + 1}")
        what = f"scope screen {sid!r}"
        _check_keys(e, {"id", "reason", "say", "unless", "strict", "examples"}, path, keys, what)
        if not _ID.match(sid):
            raise _fail(path, keys, f"{what}: id must be lower-case kebab-case")
        if sid in seen:
            raise _fail(path, keys, f"duplicate screen id {sid!r}")
        seen.add(sid)
        strict = _flag(e, "strict", True, path, keys, what)
        out.append(
            Screen(
                sid,
                _need_text(e, "reason", path, keys, what),
                _strs(_need(e, "say", path, keys, what), path, keys, f"{what} say", phrases=True),
                _strs(e.get("unless"), path, keys, f"{what} unless", phrases=True),
                strict,
                _examples(e.get("examples"), path, keys, what),
                keys,
            )
        )
    return tuple(out)


def _read(path: Path, top: str) -> tuple[list[Any], Path, Mapping[str, Any]]:
    data, _ = read_yaml(path)
    if not isinstance(data, Mapping) or not isinstance(data.get(top), list):
        raise RuleFileError(f"expected a mapping with a list under {top!r}", path=path, line=1)
    if data.get("version", 1) != 1:
        raise RuleFileError(
            f"unsupported version {data.get('version')!r} (this dutyroute reads version 1)", path=path
        )
    return data[top], path, data


def _line(path: Path, keys: tuple[Any, ...]) -> int | None:
    return yaml_line(path, keys)


def _fail(path: Path, keys: tuple[Any, ...], reason: str) -> RuleFileError:
    return RuleFileError(reason, path=path, line=_line(path, keys))


def _strs(
    value: Any, path: Path, keys: tuple[Any, ...], what: str, *, phrases: bool = False
) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _fail(path, keys, f"{what} must be a list of strings, got {_kind(value)}")
    out = []
    for v in value:
        if not isinstance(v, str):
            hint = "; write it in quotes" if isinstance(v, (int, float, bool)) else ""
            raise _fail(path, keys, f"{what} must be a list of strings, found {_kind(v)} {_short(v)}{hint}")
        if len(v) > MAX_PHRASE_CHARS:
            raise _fail(path, keys, f"{what}: a string of {len(v)} characters (at most {MAX_PHRASE_CHARS})")
        s = v
        if phrases:
            try:
                split_phrase(s)
            except ValueError as exc:
                raise _fail(path, keys, f"{what}: {exc}") from None
        out.append(s)
    return tuple(out)


def _need(entry: Mapping[str, Any], key: str, path: Path, keys: tuple[Any, ...], what: str) -> Any:
    if key not in entry or entry[key] in (None, "", []):
        raise _fail(path, keys, f"{what} has no {key!r}")
    return entry[key]


def _regex(rx: str, path: Path, keys: tuple[Any, ...], what: str) -> re.Pattern[str]:
    """Compile a fact regex, refusing one that matches the empty text (it would decide every
    incident) or that can backtrack catastrophically.

    The check is regexploit's (Doyensec's ReDoS finder, which models how Python's ``re``
    backtracks): a pattern with a star height above 2 over overlapping characters, such as
    ``(村+)+$``, takes exponential time on a short text that almost matches, and is refused.
    """
    try:
        compiled = re.compile(rx)
    except re.error as exc:
        raise _fail(path, keys, f"{what}: bad regex {rx!r}: {exc}") from None
    if compiled.match("") is not None:
        why = "so it would read this value in every incident; make it need a character (+, not *)"
        raise _fail(path, keys, f"{what}: regex {rx!r} matches the empty text, {why}")
    with warnings.catch_warnings():  # regexploit imports sre_parse, deprecated since Python 3.11
        warnings.simplefilter("ignore", DeprecationWarning)
        import regexploit.redos
        from regexploit.ast.sre import SreOpParser
        from regexploit.redos import find

    # regexploit logs through the module-level logging.debug(), which configures the *root* logger
    # on first use (and then every library's debug output reaches stderr): give it a named logger
    regexploit.redos.logging = logging.getLogger("regexploit")

    try:
        risky = [r for r in find(SreOpParser().parse_sre(rx)) if r.starriness > 2]
    except Exception:  # a construct regexploit cannot model: refuse rather than guess
        raise _fail(
            path, keys, f"{what}: regex {rx!r} cannot be checked for catastrophic backtracking; simplify it"
        ) from None
    if risky:
        raise _fail(
            path,
            keys,
            f"{what}: regex {rx!r} can backtrack catastrophically (nested repetition over the same "
            "characters, e.g. (a+)+); rewrite it without a repeated group of repeats",
        )
    return compiled


def _need_text(entry: Mapping[str, Any], key: str, path: Path, keys: tuple[Any, ...], what: str) -> str:
    """A required string field (see :func:`_text`)."""
    return _text(_need(entry, key, path, keys, what), path, keys, f"{what}: {key}")


def _text(value: Any, path: Path, keys: tuple[Any, ...], what: str) -> str:
    """A string field, strictly: a number, boolean or list where text belongs is an error."""
    if not isinstance(value, str):
        hint = "; write it in quotes" if isinstance(value, (int, float, bool)) else ""
        raise _fail(path, keys, f"{what} must be a string, got {_kind(value)} {_short(value)}{hint}")
    if len(value) > MAX_TEXT_FIELD_CHARS:
        raise _fail(
            path, keys, f"{what}: a string of {len(value)} characters (at most {MAX_TEXT_FIELD_CHARS})"
        )
    return value


def _flag(
    entry: Mapping[str, Any], key: str, default: bool, path: Path, keys: tuple[Any, ...], what: str
) -> bool:
    """A boolean field, strictly: ``'false'`` (a quoted string) is not false, it is an error."""
    value = entry.get(key, default)
    if not isinstance(value, bool):
        raise _fail(
            path, keys, f"{what}: {key} must be true or false (unquoted), got {_kind(value)} {_short(value)}"
        )
    return value


def _kind(value: Any) -> str:
    return {
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
        list: "list",
        dict: "mapping",
    }.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _check_keys(
    entry: Mapping[str, Any], allowed: set[str], path: Path, keys: tuple[Any, ...], what: str
) -> None:
    extra = set(entry) - allowed
    if extra:
        raise _fail(
            path,
            keys,
            f"{what}: unknown key(s) {', '.join(sorted(map(str, extra)))}; "
            f"allowed: {', '.join(sorted(allowed))}",
        )


@memoized  # one file: an edit to another rule file reuses this one's load
def _load_lexicon(
    path: Path,
) -> tuple[
    tuple[LexiconEntry, ...],
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
    tuple[tuple[str, str], ...],
    tuple[str, ...],
    tuple[str, ...],
]:
    items, path, data = _read(path, "entries")
    framing = _strs(data.get("framing"), path, ("framing",), "framing", phrases=True)
    if any("…" in f or "..." in f for f in framing):
        raise _fail(path, ("framing",), "framing phrases must be plain (no … gaps)")
    asks = _strs(data.get("asks"), path, ("asks",), "asks", phrases=True)
    if any("…" in f or "..." in f for f in asks):
        raise _fail(path, ("asks",), "asks markers must be plain (no … gaps)")
    outside = _strs(data.get("outside"), path, ("outside",), "outside", phrases=True)
    background = _strs(data.get("background"), path, ("background",), "background", phrases=True)
    if any("…" in f or "..." in f for f in background):
        raise _fail(path, ("background",), "background markers must be plain (no … gaps)")
    setting = _strs(data.get("setting"), path, ("setting",), "setting", phrases=True)
    if any("…" in f or "..." in f for f in setting):
        raise _fail(path, ("setting",), "setting nouns must be plain (no … gaps)")
    raw_typos = data.get("typos") or {}
    if not isinstance(raw_typos, Mapping):
        raise _fail(path, ("typos",), "typos must map a misspelling to its correction")
    typos = tuple(
        (_text(k, path, ("typos",), "typo"), _text(v, path, ("typos", k), f"typo {k!r}"))
        for k, v in raw_typos.items()
    )
    for wrong, right in typos:
        if not wrong.strip() or not right.strip() or "…" in wrong:
            raise _fail(path, ("typos",), f"typo {wrong!r} → {right!r}: both must be plain, non-empty text")
    out: list[LexiconEntry] = []
    seen: set[str] = set()
    for i, e in enumerate(items):
        keys = ("entries", i)
        if not isinstance(e, Mapping):
            raise _fail(path, keys, f"entry {i + 1} must be a mapping")
        eid = _need_text(e, "id", path, keys, f"entry {i + 1}")
        what = f"lexicon entry {eid!r}"
        _check_keys(e, {"id", "say", "means", "reason", "weight", "loose", "with"}, path, keys, what)
        if not _ID.match(eid):
            raise _fail(path, keys, f"{what}: id must be lower-case kebab-case")
        if eid in seen:
            raise _fail(path, keys, f"duplicate lexicon id {eid!r}")
        seen.add(eid)
        weight = e.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 < weight <= 3:
            raise _fail(path, keys, f"{what}: weight must be a number in (0, 3], got {weight!r}")
        out.append(
            LexiconEntry(
                eid,
                _strs(_need(e, "say", path, keys, what), path, keys, f"{what} say", phrases=True),
                _strs(_need(e, "means", path, keys, what), path, keys, f"{what} means"),
                _need_text(e, "reason", path, keys, what),
                float(weight),
                keys,
                _strs(e.get("loose"), path, keys, f"{what} loose", phrases=True),
                _strs(e.get("with"), path, keys, f"{what} with", phrases=True),
            )
        )
        if out[-1].loose and not out[-1].with_:
            raise _fail(path, keys, f"{what}: loose words need 'with' co-words (or move them to 'say')")
    return tuple(out), framing, asks, outside, typos, background, setting


@memoized  # one file: an edit to another rule file reuses this one's load
def _load_facts(path: Path) -> tuple[FactSpec, ...]:
    items, path, _ = _read(path, "facts")
    out: list[FactSpec] = []
    for i, f in enumerate(items):
        keys = ("facts", i)
        if not isinstance(f, Mapping):
            raise _fail(path, keys, f"fact {i + 1} must be a mapping")
        name = _need_text(f, "name", path, keys, f"fact {i + 1}")
        what = f"fact {name!r}"
        _check_keys(f, {"name", "label", "question", "reason", "values"}, path, keys, what)
        values = []
        raw_values = _need(f, "values", path, keys, what)
        if not isinstance(raw_values, list):
            raise _fail(path, keys, f"{what}: values must be a list")
        for j, v in enumerate(raw_values):
            vkeys = (*keys, "values", j)
            if not isinstance(v, Mapping) or "value" not in v:
                raise _fail(path, vkeys, f"{what}: value {j + 1} must be a mapping with 'value'")
            _check_keys(v, {"value", "label", "say", "regex"}, path, vkeys, f"{what} value {v['value']!r}")
            patterns = []
            for rx in _strs(v.get("regex"), path, vkeys, f"{what} regex"):
                patterns.append(_regex(rx, path, vkeys, what))
            values.append(
                FactValue(
                    _text(v["value"], path, vkeys, f"{what}: value"),
                    _text(v.get("label") or v["value"], path, vkeys, f"{what}: label"),
                    _strs(v.get("say"), path, vkeys, f"{what} say", phrases=True),
                    tuple(patterns),
                )
            )
        out.append(
            FactSpec(
                name,
                _text(f.get("label") or name, path, keys, f"{what}: label"),
                _need_text(f, "question", path, keys, what),
                _text(f.get("reason", ""), path, keys, f"{what}: reason"),
                tuple(values),
            )
        )
    return tuple(out)


def _condition(raw: Any, path: Path, keys: tuple[Any, ...], what: str) -> Condition:
    if raw is None:
        return Condition()
    if not isinstance(raw, Mapping):
        raise _fail(path, keys, f"{what}: 'when' must be a mapping")
    allowed = {"entries_any", "entries_all", "entries_none", "terms_any", "terms_none", "facts", "missing"}
    _check_keys(raw, allowed, path, keys, f"{what} when")
    facts = raw.get("facts") or {}
    if not isinstance(facts, Mapping):
        raise _fail(path, keys, f"{what}: when.facts must map fact names to lists of values")
    return Condition(
        entries_any=_strs(raw.get("entries_any"), path, keys, f"{what} entries_any"),
        entries_all=_strs(raw.get("entries_all"), path, keys, f"{what} entries_all"),
        entries_none=_strs(raw.get("entries_none"), path, keys, f"{what} entries_none"),
        terms_any=_strs(raw.get("terms_any"), path, keys, f"{what} terms_any", phrases=True),
        terms_none=_strs(raw.get("terms_none"), path, keys, f"{what} terms_none", phrases=True),
        facts=tuple(
            (_text(k, path, keys, f"{what} fact name"), _strs(v, path, keys, f"{what} facts.{k}"))
            for k, v in facts.items()
        ),
        missing=_strs(raw.get("missing"), path, keys, f"{what} missing"),
    )


def _examples(raw: Any, path: Path, keys: tuple[Any, ...], what: str) -> tuple[Example, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(path, keys, f"{what}: examples must be a list")
    out = []
    for j, ex in enumerate(raw):
        ekeys = (*keys, "examples", j)
        if not isinstance(ex, Mapping) or not ex.get("text"):
            raise _fail(path, ekeys, f"{what}: example {j + 1} must be a mapping with 'text'")
        _check_keys(ex, {"text", "expect", "acting", "not", "facts"}, path, ekeys, f"{what} example {j + 1}")
        if ex.get("expect") is None and ex.get("not") is None:
            raise _fail(path, ekeys, f"{what}: example {j + 1} needs 'expect' or 'not'")
        facts = ex.get("facts") or {}
        out.append(
            Example(
                _text(ex["text"], path, keys, f"{what} example text"),
                None
                if ex.get("expect") is None
                else _text(ex["expect"], path, keys, f"{what} example expect"),
                None if ex.get("acting") is None else _strs(ex["acting"], path, ekeys, f"{what} acting"),
                None if ex.get("not") is None else _text(ex["not"], path, keys, f"{what} example not"),
                tuple(
                    (
                        _text(k, path, keys, f"{what} example fact"),
                        _text(v, path, keys, f"{what} example fact {k}"),
                    )
                    for k, v in facts.items()
                ),
                None,
            )
        )
    return tuple(out)


def _targets(raw: Any, path: Path, keys: tuple[Any, ...], what: str) -> tuple[Target, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(path, keys, f"{what}: each route must be a non-empty list of targets")
    out = []
    for t in raw:
        if isinstance(t, str):
            out.append(Target(t))
        elif isinstance(t, Mapping) and "matter" in t:
            _check_keys(t, {"matter", "acting"}, path, keys, f"{what} target")
            out.append(
                Target(
                    _text(t["matter"], path, keys, f"{what} matter"),
                    _strs(t.get("acting"), path, keys, f"{what} acting"),
                )
            )
        else:
            raise _fail(
                path, keys, f"{what}: a target is a matter id or {{matter: ID, acting: [...]}}, got {t!r}"
            )
    return tuple(out)


@memoized  # one file: an edit to another rule file reuses this one's load
def _load_routing(path: Path) -> tuple[tuple[Contrast, ...], tuple[Rule, ...], str]:
    data, _ = read_yaml(path)
    if not isinstance(data, Mapping):
        raise RuleFileError("expected a mapping with 'contrasts' and 'rules'", path=path, line=1)
    _check_keys(data, {"version", "rulebook", "contrasts", "rules"}, path, (), "routing.yaml")
    ids: set[str] = set()
    contrasts = tuple(_contrast(c, i, path, ids) for i, c in enumerate(data.get("contrasts") or []))
    rules = tuple(_rule(r, i, path, ids) for i, r in enumerate(data.get("rules") or []))
    return contrasts, rules, _text(data.get("rulebook", ""), path, ("rulebook",), "rulebook")


_CONTRAST_KEYS = {"id", "fact", "reason", "when", "routes", "ask", "triggers", "examples"}
_RULE_KEYS = {
    "id",
    "reason",
    "when",
    "prefer",
    "exclude",
    "boost",
    "acting",
    "cooperating",
    "unmatched",
    "examples",
}


def _new_id(
    entry: Mapping[str, Any], kind: str, i: int, path: Path, ids: set[str]
) -> tuple[str, tuple[Any, ...]]:
    """The id of the ``i``-th entry of ``kind`` (contrast or rule), unique across the file."""
    keys = (f"{kind}s", i)
    if not isinstance(entry, Mapping):
        raise _fail(path, keys, f"{kind} {i + 1} must be a mapping")
    eid = _need_text(entry, "id", path, keys, f"{kind} {i + 1}")
    if eid in ids:
        raise _fail(path, keys, f"duplicate id {eid!r}")
    ids.add(eid)
    return eid, keys


def _contrast(c: Any, i: int, path: Path, ids: set[str]) -> Contrast:
    """One entry of ``contrasts:`` (a deciding fact and the route of each of its values)."""
    cid, keys = _new_id(c, "contrast", i, path, ids)
    what = f"contrast {cid!r}"
    _check_keys(c, _CONTRAST_KEYS, path, keys, what)
    ask = c.get("ask", "when_close")
    if ask not in ("when_close", "always"):
        raise _fail(path, keys, f"{what}: ask must be 'when_close' or 'always', got {ask!r}")
    routes = _need(c, "routes", path, keys, what)
    if not isinstance(routes, Mapping):
        raise _fail(path, keys, f"{what}: routes must map fact values to targets")
    return Contrast(
        cid,
        _need_text(c, "fact", path, keys, what),
        _need_text(c, "reason", path, keys, what),
        tuple(
            (_text(v, path, keys, f"{what} route value"), _targets(t, path, keys, what))
            for v, t in routes.items()
        ),
        _condition(c.get("when"), path, keys, what),
        ask,
        _examples(c.get("examples"), path, keys, what),
        keys,
        _strs(c.get("triggers"), path, keys, f"{what} triggers"),
    )


def _bodies_by_matter(
    r: Mapping[str, Any], field: str, path: Path, keys: tuple[Any, ...], what: str
) -> tuple[Any, ...]:
    """A rule's ``acting:`` or ``cooperating:`` (matter id → bodies) as (matter, bodies) pairs."""
    table = r.get(field) or {}
    if not isinstance(table, Mapping):
        raise _fail(path, keys, f"{what}: {field} must map matter ids to lists of bodies")
    return tuple(
        (_text(m, path, keys, f"{what} {field} matter"), _strs(b, path, keys, f"{what} {field}"))
        for m, b in table.items()
    )


def _rule(r: Any, i: int, path: Path, ids: set[str]) -> Rule:
    """One entry of ``rules:`` (a condition and what it does to the candidates)."""
    rid, keys = _new_id(r, "rule", i, path, ids)
    what = f"rule {rid!r}"
    _check_keys(r, _RULE_KEYS, path, keys, what)
    acting = _bodies_by_matter(r, "acting", path, keys, what)
    cooperating = _bodies_by_matter(r, "cooperating", path, keys, what)
    boost = r.get("boost", 0.5)
    if isinstance(boost, bool) or not isinstance(boost, (int, float)) or not 0 <= boost <= 5:
        raise _fail(path, keys, f"{what}: boost must be a number in [0, 5]")
    rule = Rule(
        rid,
        _need_text(r, "reason", path, keys, what),
        _condition(_need(r, "when", path, keys, what), path, keys, what),
        _strs(r.get("prefer"), path, keys, f"{what} prefer"),
        _strs(r.get("exclude"), path, keys, f"{what} exclude"),
        float(boost),
        acting,
        _examples(r.get("examples"), path, keys, what),
        keys,
        _flag(r, "unmatched", False, path, keys, what),
        cooperating,
    )
    if not (rule.prefer or rule.exclude or rule.acting or rule.unmatched or rule.cooperating):
        raise _fail(
            path, keys, f"{what} does nothing: give prefer, exclude, acting, cooperating or unmatched"
        )
    return rule


def _suggest(value: str, known: Any) -> str:
    from rapidfuzz import process

    close = [c for c, score, _ in process.extract(value, list(known), limit=3) if score >= 50]
    return f"; did you mean {' / '.join(repr(c) for c in close)}?" if close else ""
