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
from .bodies import BodyRegistry, load_bodies
from .graph import Link, Relation, ResponsibilityGraph, Violation, Workload
from .models import Body, BodyKind, DutyBlock, Jurisdiction, ListKind, Matter, Rulebook
from .rulebook import compile_rulebook, dump_rulebook, load_rulebook

__all__ = [
    "Body",
    "BodyKind",
    "BodyRegistry",
    "DutyBlock",
    "DutyrouteError",
    "IncidentTextError",
    "Jurisdiction",
    "Link",
    "ListFormatError",
    "ListKind",
    "LookupFailed",
    "Matter",
    "Relation",
    "ResponsibilityGraph",
    "RuleFileError",
    "Rulebook",
    "UnknownBodyError",
    "Violation",
    "Workload",
    "compile_rulebook",
    "dump_rulebook",
    "load_bodies",
    "load_rulebook",
]

__version__ = "0.1.0"
