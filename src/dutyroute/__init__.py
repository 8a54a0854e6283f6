"""dutyroute: who must act on an incident in a Chinese township, from its official duty lists.

Every public name is importable from here (``from dutyroute import Router, load_rulebook``). The
modules behind them are imported on first use (PEP 562), so ``import dutyroute`` stays cheap and a
program that only routes never loads networkx (the graph) or the CLI's libraries.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import errors
from .errors import (
    DutyrouteError,
    IncidentTextError,
    ListFormatError,
    NotFoundError,
    RuleFileError,
    UnknownBodyError,
    UnroutedError,
)

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ imports on demand
    from .graph import Link, Relation, ResponsibilityGraph, Violation, Workload
    from .model.bodies import BodyRegistry
    from .model.decision import Decision
    from .model.lists import Body, BodyKind, DutyBlock, Jurisdiction, ListKind, Matter, Rulebook
    from .model.rules import RuleSet
    from .routing import Router
    from .store.bodies import load_bodies
    from .store.bundle import Bundle
    from .store.compile import compile_rulebook, dump_rulebook
    from .store.rulebook import load_rulebook
    from .store.rules import load_rules
    from .text.normalize import normalize

__all__ = [
    "Body",
    "BodyKind",
    "BodyRegistry",
    "Bundle",
    "Decision",
    "DutyBlock",
    "DutyrouteError",
    "IncidentTextError",
    "Jurisdiction",
    "Link",
    "ListFormatError",
    "ListKind",
    "Matter",
    "NotFoundError",
    "Relation",
    "ResponsibilityGraph",
    "Router",
    "RuleFileError",
    "RuleSet",
    "Rulebook",
    "UnknownBodyError",
    "UnroutedError",
    "Violation",
    "Workload",
    "compile_rulebook",
    "dump_rulebook",
    "load_bodies",
    "load_rulebook",
    "load_rules",
    "normalize",
]

__version__ = "0.2.0"

# public name → the module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "Body": "model.lists",
    "BodyKind": "model.lists",
    "BodyRegistry": "model.bodies",
    "Bundle": "store.bundle",
    "Decision": "model.decision",
    "DutyBlock": "model.lists",
    "Jurisdiction": "model.lists",
    "Link": "graph",
    "ListKind": "model.lists",
    "Matter": "model.lists",
    "Relation": "graph",
    "ResponsibilityGraph": "graph",
    "Router": "routing",
    "RuleSet": "model.rules",
    "Rulebook": "model.lists",
    "Violation": "graph",
    "Workload": "graph",
    "compile_rulebook": "store.compile",
    "dump_rulebook": "store.compile",
    "load_bodies": "store.bodies",
    "load_rulebook": "store.rulebook",
    "load_rules": "store.rules",
    "normalize": "text.normalize",
}


_DEPRECATED = {"LookupFailed": "NotFoundError", "IncidentUnrouted": "UnroutedError"}


def __getattr__(name: str) -> Any:
    if name in _DEPRECATED:  # old exception names: a DeprecationWarning, then the new class
        return getattr(errors, name)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dutyroute' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
