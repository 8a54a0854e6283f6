"""dutyroute: who must act on an incident in a Chinese township, from its official duty lists."""

from __future__ import annotations

from .errors import (
    DutyrouteError,
    IncidentTextError,
    IncidentUnrouted,
    ListFormatError,
    LookupFailed,
    RuleFileError,
    UnknownBodyError,
)
from .bodies import BodyRegistry, load_bodies
from .decision import Decision
from .graph import Link, Relation, ResponsibilityGraph, Violation, Workload
from .models import Body, BodyKind, DutyBlock, Jurisdiction, ListKind, Matter, Rulebook
from .router import Router
from .rulebook import compile_rulebook, dump_rulebook, load_rulebook
from .rules import RuleSet, load_rules
from .text import normalize

__all__ = [
    "Body",
    "BodyKind",
    "BodyRegistry",
    "Decision",
    "DutyBlock",
    "DutyrouteError",
    "IncidentTextError",
    "IncidentUnrouted",
    "Jurisdiction",
    "Link",
    "ListFormatError",
    "ListKind",
    "LookupFailed",
    "Matter",
    "Relation",
    "ResponsibilityGraph",
    "Router",
    "RuleFileError",
    "RuleSet",
    "Rulebook",
    "UnknownBodyError",
    "Violation",
    "Workload",
    "compile_rulebook",
    "dump_rulebook",
    "load_bodies",
    "load_rulebook",
    "load_rules",
    "normalize",
]

__version__ = "0.1.0"
