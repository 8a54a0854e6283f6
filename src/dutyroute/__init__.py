"""dutyroute: who must act on an incident in a Chinese township, from its official duty lists."""

from __future__ import annotations

from .errors import (
    DutyrouteError,
    IncidentTextError,
    ListFormatError,
    LookupFailed,
    RuleFileError,
    UnknownBodyError,
)
from .models import Body, BodyKind, DutyBlock, Jurisdiction, ListKind, Matter, Rulebook

__all__ = [
    "Body",
    "BodyKind",
    "DutyBlock",
    "DutyrouteError",
    "IncidentTextError",
    "Jurisdiction",
    "ListFormatError",
    "ListKind",
    "LookupFailed",
    "Matter",
    "RuleFileError",
    "Rulebook",
    "UnknownBodyError",
]

__version__ = "0.1.0"
