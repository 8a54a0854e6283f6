"""A township's rulebook and the rule files that route over it, loaded from one folder.

The one seam the CLI, :meth:`dutyroute.Router.from_dir` and the HTTP service share. A folder is
either a rules directory (a copy of ``rules/``: ``bodies.yaml``, the rule files and one rulebook
folder per township) or one rulebook folder ``rules/<township>/``, whose parent supplies the rule
files. Which township a rules directory routes for is data, not a constant: the only rulebook
folder in it, or the one ``routing.yaml`` names (``rulebook: xiaojingzhuang``).

Example::

    >>> from dutyroute.store.bundle import Bundle
    >>> b = Bundle.from_dir(None)           # the bundled rules/
    >>> b.rulebook.jurisdiction.township, len(b.rulebook.matters)
    ('小京庄乡', 237)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..model.lists import Rulebook
from ..model.rules import RuleSet
from .layout import META_FILE, RULE_FILES, pick_rulebook
from .resources import rules_dir
from .rulebook import load_rulebook
from .rules import load_rules

__all__ = ["Bundle", "Location", "locate"]


@dataclass(frozen=True)
class Location:
    """Where a bundle's data comes from.

    Attributes:
        rulebook_dir: the rulebook folder (``rules/<township>/``).
        rule_files_dir: the folder holding lexicon.yaml, facts.yaml and routing.yaml; None: the
            bundled rule files.
        notes: what a user should know about the choice (the CLI prints them on stderr).
    """

    rulebook_dir: Path
    rule_files_dir: Path | None = None
    notes: tuple[str, ...] = ()


def locate(path: str | Path, *, label: str = "rules directory") -> Location:
    """Find the rulebook folder and the rule files of ``path``.

    Args:
        path: a rules directory, a rulebook folder inside one, or a file in either
            (``rulebook.yaml``, ``routing.yaml`` …).
        label: how the caller names the value in messages (the CLI passes ``--rules``).

    Raises:
        InputError: the path does not exist, holds no rulebook, holds several with nothing to pick
            one, or has only some of the three rule files.
    """
    path = Path(path)
    shown = f"{label} {path}"
    if not path.exists():
        raise InputError(
            f"{shown}: no such directory; give a copy of rules/ or a rulebook folder rules/<township>/"
        )
    if path.is_file():
        if path.name != META_FILE and path.name not in RULE_FILES:
            raise InputError(
                f"{shown}: is a file; give the rules/ directory (or a rulebook folder) that holds it"
            )
        path = path.parent
    if (path / META_FILE).exists():
        book, rules_home = path, path.parent
    else:
        book, rules_home = pick_rulebook(path, shown), path
    present = [f for f in RULE_FILES if (rules_home / f).exists()]
    if len(present) == len(RULE_FILES):
        return Location(book, rules_home)
    if present:
        missing = ", ".join(f for f in RULE_FILES if f not in present)
        raise InputError(
            f"{shown}: {rules_home} has {', '.join(present)} but not {missing}; the router reads "
            "the three together: copy the missing ones from the bundled rules/"
        )
    note = f"note: no {', '.join(RULE_FILES)} in {rules_home}: routing with the bundled rule files"
    return Location(book, None, (note,))


@dataclass(frozen=True)
class Bundle:
    """A rulebook with the rule files that route over it (immutable).

    Attributes:
        rulebook: the township's three lists.
        rules: lexicon, facts, routing rules and scope screens.
        location: where they were read from (None: the bundled copy).
    """

    rulebook: Rulebook
    rules: RuleSet
    location: Location | None = field(default=None, compare=False)
    versions: tuple[Rulebook, ...] = ()
    """Every version of the township's lists in the folder (oldest first; empty: only ``rulebook``)."""

    @classmethod
    def from_dir(cls, path: str | Path | None = None, *, label: str = "rules directory") -> Bundle:
        """Load the bundle of a folder (see :func:`locate`); None: the bundled ``rules/``.

        A rulebook folder with ``versions/*`` gives every version (``versions``, oldest first) and
        the newest as ``rulebook``.

        Raises:
            InputError: the folder cannot be used (see :func:`locate`), or its versions overlap.
            RuleFileError: a file in it is malformed (file:line).
        """
        from .versions import load_versions, version_problems

        if path is None:
            return cls(load_rulebook(), load_rules())
        loc = locate(path, label=label)
        rules = load_rules(loc.rule_files_dir) if loc.rule_files_dir is not None else load_rules()
        versions = load_versions(loc.rulebook_dir)
        if len(versions) == 1:
            return cls(versions[0], rules, loc)
        problems = version_problems(versions)
        if problems:
            raise InputError(f"{label} {path}: {problems[0].message} (dutyroute lint lists every problem)")
        return cls(versions[-1], rules, loc, versions)

    @property
    def notes(self) -> tuple[str, ...]:
        """What a user should know about where the data came from."""
        return self.location.notes if self.location is not None else ()


def bundled_location() -> Location:
    """The location of the bundled data (its rulebook folder named by data, see module docstring)."""
    return locate(rules_dir())
