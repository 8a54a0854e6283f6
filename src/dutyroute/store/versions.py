"""Several versions of one township's lists: loading them, checking them, the one in force on a day.

A rulebook folder ``rules/<township>/`` may hold other versions under ``versions/<label>/`` (each
a complete rulebook folder whose ``rulebook.yaml`` gives ``effective_from`` and ``effective_to``).
Versions must belong to the same township and must not overlap in time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ..errors import InputError
from ..model.lists import Rulebook
from .layout import version_dirs
from .rulebook import load_rulebook

__all__ = ["VersionProblem", "as_date", "in_force", "load_versions", "version_problems"]


def load_versions(rulebook_dir: Path) -> tuple[Rulebook, ...]:
    """Every version of a rulebook folder (itself and ``versions/*``), oldest first.

    Raises:
        RuleFileError, UnknownBodyError: a version does not load (file:line).
    """
    books = [load_rulebook(d) for d in version_dirs(rulebook_dir)]
    return tuple(sorted(books, key=lambda rb: (rb.effective_date or "", rb.effective_to or "9999")))


@dataclass(frozen=True)
class VersionProblem:
    """Why a set of versions cannot be used together (lint reports each as an error)."""

    code: str  # version-overlap | version-order | version-township
    message: str


def version_problems(books: tuple[Rulebook, ...]) -> list[VersionProblem]:
    """Overlapping days in force, an end before the start, versions of other townships."""
    out: list[VersionProblem] = []
    for rb in books:
        if rb.effective_date and rb.effective_to and rb.effective_to < rb.effective_date:
            out.append(
                VersionProblem(
                    "version-order", f"version {rb.version}: effective_to is before effective_from"
                )
            )
    keys = {rb.jurisdiction.key for rb in books}
    if len(keys) > 1:
        out.append(
            VersionProblem("version-township", f"versions of different townships together: {sorted(keys)}")
        )
    for a, b in itertools.pairwise(books):
        a_end = a.effective_to or "9999-12-31"
        b_start = b.effective_date or "0001-01-01"
        if b_start <= a_end:
            out.append(
                VersionProblem(
                    "version-overlap",
                    f"versions {a.version} and {b.version} are both in force on {b_start}: "
                    f"end the older with effective_to before {b_start}",
                )
            )
    return out


def as_date(value: date | str, *, what: str = "as_of") -> date:
    """``value`` as a date (a ``date``, a ``datetime`` — its calendar day, as written, time zone
    ignored — or an ISO ``YYYY-MM-DD`` string).

    Raises:
        InputError: not a date (names the value and the format).
        TypeError: neither a date nor a string.
    """
    if isinstance(value, datetime):  # a datetime is a date too, but does not compare with one
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a date or 'YYYY-MM-DD', got {type(value).__name__}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{what}={value!r} is not a date; write YYYY-MM-DD, e.g. 2024-03-01") from None


def in_force(books: tuple[Rulebook, ...], day: date) -> Rulebook:
    """The version in force on ``day``.

    Raises:
        InputError: no version is (the message lists the versions).
    """
    for rb in reversed(books):
        if rb.in_force(day):
            return rb
    shown = ", ".join(rb.version for rb in books)
    raise InputError(f"no version of the lists is in force on {day.isoformat()} (versions: {shown})")
