"""Stage 0 of routing — the incident text as accepted: normalised, and refused when no route can
come of it (too long, empty, or without a word), before any other stage spends work on it."""

from __future__ import annotations

from ..errors import IncidentTextError
from ..text.normalize import normalize

__all__ = ["MAX_RAW_CHARS", "MAX_TEXT_CHARS", "checked_text"]

MAX_TEXT_CHARS = 5000
"""Longest incident text accepted, in characters after normalisation."""
MAX_RAW_CHARS = 4 * MAX_TEXT_CHARS
"""Longest text accepted before normalisation (markup, spaces and punctuation included): a text
is refused before any work is spent on it when it is longer than this."""


def checked_text(text: str) -> str:
    """The normalised text of an incident (:func:`dutyroute.text.normalize.normalize`).

    Raises:
        IncidentTextError: the text is longer than :data:`MAX_RAW_CHARS` as given; empty or longer
            than :data:`MAX_TEXT_CHARS` after normalisation; or without a word (only digits,
            punctuation or symbols: ``……``, ``110``). The error carries the length and the limit.
        TypeError: ``text`` is not a ``str``.
    """
    if isinstance(text, str) and len(text) > MAX_RAW_CHARS:
        raise IncidentTextError(
            f"incident text has {len(text)} characters, more than the {MAX_RAW_CHARS} accepted before "
            f"normalisation (at most {MAX_TEXT_CHARS} after it); split it into separate incidents "
            "or pass a summary",
            length=len(text),
            limit=MAX_RAW_CHARS,
        )
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
    if not any(map(str.isalpha, norm)):
        raise IncidentTextError(
            f"incident text {norm[:20]!r} has no word in it (only digits, punctuation or symbols); "
            "pass a description of the incident",
            length=len(norm),
            limit=MAX_TEXT_CHARS,
        )
    return norm
