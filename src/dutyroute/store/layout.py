"""The layout of a rules directory on disk: file names, the format version, and which rulebook
folder a rules directory routes for (data, not a constant)."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..model.lists import ListKind
from .yamlio import read_yaml

__all__ = [
    "FORMAT_VERSION",
    "LIST_FILES",
    "META_FILE",
    "RULE_FILES",
    "VERSIONS_DIR",
    "pick_rulebook",
    "routing_key",
    "version_dirs",
]

FORMAT_VERSION = 1
"""Rulebook format this dutyroute reads and writes (``format:`` in rulebook.yaml)."""
LIST_FILES: dict[ListKind, str] = {
    ListKind.basic: "basic.yaml",
    ListKind.cooperative: "cooperative.yaml",
    ListKind.reclaimed: "reclaimed.yaml",
}
META_FILE = "rulebook.yaml"
RULE_FILES = ("lexicon.yaml", "facts.yaml", "routing.yaml")
"""The rule files read together (``scope.yaml`` is optional)."""
VERSIONS_DIR = "versions"
"""Inside a rulebook folder: one folder per other version of the same township's lists
(``rules/<township>/versions/<label>/rulebook.yaml``, each with its effective_from / effective_to)."""


def version_dirs(rulebook_dir: Path) -> list[Path]:
    """The rulebook folder itself and every version folder inside it, in name order."""
    extra = rulebook_dir / VERSIONS_DIR
    found = sorted(d for d in extra.iterdir() if (d / META_FILE).exists()) if extra.is_dir() else []
    return [rulebook_dir, *found]


def pick_rulebook(path: Path, shown: str) -> Path:
    """The rulebook folder inside a rules directory: the only one, or the one ``routing.yaml``
    names (``rulebook: <key>``).

    Raises:
        InputError: none, or several and routing.yaml names none of them (``shown`` names the
            value in the message).
    """
    books = sorted(d for d in path.iterdir() if (d / META_FILE).exists())
    if not books:
        raise InputError(
            f"{shown}: no rulebook here (no {META_FILE} in it or in a folder inside it); "
            f"compile one with: dutyroute compile SEED --township 乡名 -o {path}/<township>/"
        )
    if len(books) == 1:
        return books[0]
    key = routing_key(path)
    picked = next((b for b in books if b.name == key), None)
    if picked is None:
        names = ", ".join(b.name for b in books)
        raise InputError(
            f"{shown}: several rulebooks ({names}); pass one of them, e.g. {path / books[0].name}"
        )
    return picked


def routing_key(rules_home: Path) -> str | None:
    """The ``rulebook:`` key of ``rules_home/routing.yaml`` (None without one)."""
    routing = rules_home / "routing.yaml"
    if not routing.exists():
        return None
    data, _ = read_yaml(routing)
    if not isinstance(data, dict):
        return None
    return str(data.get("rulebook") or "") or None
