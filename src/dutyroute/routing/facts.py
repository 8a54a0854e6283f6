"""Deciding facts read from an incident text (``rules/facts.yaml``), overridden by the caller's.

A fact is the one thing that decides between routes the lists give for similar incidents: road
class (村道 → township, 县道 → 县交通运输局), whether a fire was in a forest fire zone, the source
of a noise, the kind of waste, … Each value of a fact lists phrases (and optional regular
expressions) that show it; when a text shows several values of one fact, the value listed first in
``rules/facts.yaml`` wins (files list the more specific or more serious value first).

The caller's ``facts=`` (e.g. ``{"road_class": "县道"}`` from a dispatcher who asked) always wins
over the text; an unknown fact name or value is an error naming the known ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..errors import NotFoundError
from ..model.decision import FactFinding
from ..model.rules import FactSpec
from ..text.phrases import PhraseHit, bounded

__all__ = ["fact_phrases", "read_facts", "validate_caller_facts"]


def fact_phrases(specs: Iterable[FactSpec]) -> list[tuple[tuple[str, str, str], str]]:
    """``(("fact", name, value), phrase)`` pairs for the shared phrase matcher."""
    return [(("fact", f.name, v.value), p) for f in specs for v in f.values for p in v.say]


def read_facts(
    specs: Iterable[FactSpec],
    text: str,
    hits: Iterable[PhraseHit],
    caller: Mapping[str, str] | None = None,
) -> dict[str, FactFinding]:
    """The facts of one incident.

    Args:
        specs: fact specs, in file order.
        text: the normalised incident text (for regex patterns).
        hits: the shared matcher's hits on ``text``; keys ``("fact", name, value)`` are used.
        caller: facts given by the caller (already validated); they override the text.

    Returns:
        ``{fact name: FactFinding(value, source, evidence)}`` for every fact known.
    """
    found: dict[tuple[str, str], str] = {}
    for h in hits:
        key = h.key
        if isinstance(key, tuple) and len(key) == 3 and key[0] == "fact":
            found.setdefault((key[1], key[2]), h.said)
    out: dict[str, FactFinding] = {}
    for spec in specs:
        if caller and spec.name in caller:
            out[spec.name] = FactFinding(value=caller[spec.name], source="caller", evidence="")
            continue
        for v in spec.values:
            said = found.get((spec.name, v.value))
            if said is None:
                for rx in v.regex:
                    m = next((m for m in rx.finditer(text) if bounded(text, m.start(), m.end())), None)
                    if m:
                        said = m.group(0)
                        break
            if said is not None:
                out[spec.name] = FactFinding(value=v.value, source="text", evidence=said)
                break
    return out


def validate_caller_facts(specs: Iterable[FactSpec], facts: Mapping[str, str] | None) -> dict[str, str]:
    """Check the caller's facts against the specs; returns a plain dict.

    Raises:
        NotFoundError: an unknown fact name, or a value that fact does not have (the message lists
            the close names or the allowed values).
        TypeError: ``facts`` is not a mapping, or a value is not a string (``None`` included).
    """
    if facts is None:
        return {}
    if not isinstance(facts, Mapping):
        raise TypeError(f"facts must be a mapping like {{'road_class': '县道'}}, got {type(facts).__name__}")
    by_name = {f.name: f for f in specs}
    out: dict[str, str] = {}
    for name, value in facts.items():
        spec = by_name.get(name)
        if spec is None:
            from rapidfuzz import process

            close = [c for c, s, _ in process.extract(str(name), list(by_name), limit=3) if s >= 50]
            raise NotFoundError("fact", str(name), close or sorted(by_name))
        if not isinstance(value, str):
            raise TypeError(
                f"fact {name!r}: value must be a string such as {spec.values[0].value!r}, "
                f"got {type(value).__name__} {value!r}"
            )
        if spec.value(value) is None:
            raise NotFoundError(f"value of fact {name!r}", value, [v.value for v in spec.values])
        out[name] = value
    return out
