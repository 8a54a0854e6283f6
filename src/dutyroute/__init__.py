"""dutyroute: who must act on an incident in a Chinese township, from its official duty lists.

Every public name is importable from here (``from dutyroute import Router, load_rulebook``). The
modules behind them are imported on first use (PEP 562), so ``import dutyroute`` stays cheap and a
program that only routes never loads networkx (the graph) or the CLI's libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    DutyrouteError,
    IncidentTextError,
    IncidentUnrouted,
    ListFormatError,
    LookupFailed,
    RuleFileError,
    UnknownBodyError,
)

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ imports on demand
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

# public name → the module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "Body": "models",
    "BodyKind": "models",
    "BodyRegistry": "bodies",
    "Decision": "decision",
    "DutyBlock": "models",
    "Jurisdiction": "models",
    "Link": "graph",
    "ListKind": "models",
    "Matter": "models",
    "Relation": "graph",
    "ResponsibilityGraph": "graph",
    "Router": "router",
    "RuleSet": "rules",
    "Rulebook": "models",
    "Violation": "graph",
    "Workload": "graph",
    "compile_rulebook": "rulebook",
    "dump_rulebook": "rulebook",
    "load_bodies": "bodies",
    "load_rulebook": "rulebook",
    "load_rules": "rules",
    "normalize": "text",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dutyroute' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
