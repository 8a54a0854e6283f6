"""What every command shares: the ``--rules`` option, reading inputs, opening outputs, plurals.

File problems (missing, a directory, unreadable, another encoding, an output folder that does
not exist) become :class:`CliInputError`: one line on stderr naming the value, the option it came
from and what to do, exit code 2 (see :func:`dutyroute.cli.main`).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Optional

import typer

from ..errors import DutyrouteError

if TYPE_CHECKING:
    from ..models import Rulebook
    from ..router import Router

RULE_FILES = ("lexicon.yaml", "facts.yaml", "routing.yaml")

RULES_HELP = (
    "Rules directory to use instead of the bundled one: a copy of rules/ (bodies.yaml, lexicon.yaml, "
    "facts.yaml, routing.yaml and a rulebook folder per township), or one rulebook folder "
    "rules/<township>/, whose parent folder supplies the rule files. Default: the bundled rules/."
)

RulesOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional on Python 3.10
    typer.Option("--rules", help=RULES_HELP, show_default=False),
]


class CliInputError(DutyrouteError, ValueError):
    """A command-line value (a file, a folder, an option) cannot be used; the message says why and
    what to do."""


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 matter``, ``2 matters``; ``many`` for irregular plurals (``body`` → ``bodies``)."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {many or word + 's'}"


# ── --rules ─────────────────────────────────────────────────────────────────────────────────
@dataclass
class RulesChoice:
    """Where a command's data comes from (None: the bundled copy).

    Attributes:
        rulebook_dir: the rulebook folder (``rules/<township>/``).
        rule_files_dir: the folder holding lexicon.yaml, facts.yaml and routing.yaml.
        notes: what the user should know about the choice (printed on stderr).
    """

    rulebook_dir: Path | None = None
    rule_files_dir: Path | None = None
    notes: list[str] = field(default_factory=list)


def resolve_rules(path: Path | None) -> RulesChoice:
    """Read the ``--rules`` value: a rules directory, or a rulebook folder inside one.

    Raises:
        CliInputError: the path does not exist, holds no rulebook, holds several with nothing to
            pick one, or has only some of the three rule files.
    """
    from ..rulebook import META_FILE

    if path is None:
        return RulesChoice()
    shown = str(path)
    if not path.exists():
        raise CliInputError(
            f"--rules {shown}: no such directory; give a copy of rules/ or a rulebook folder "
            "rules/<township>/ (see dutyroute --help)"
        )
    if path.is_file():
        if path.name == META_FILE or path.name in RULE_FILES:
            path = path.parent
        else:
            raise CliInputError(
                f"--rules {shown}: is a file; give the rules/ directory (or a rulebook folder) that holds it"
            )
    choice = RulesChoice()
    if (path / META_FILE).exists():
        choice.rulebook_dir = path
        rules_dir = path.parent
    else:
        rules_dir = path
        books = sorted(d for d in path.iterdir() if (d / META_FILE).exists())
        if not books:
            raise CliInputError(
                f"--rules {shown}: no rulebook here (no {META_FILE} in it or in a folder inside it); "
                f"compile one with: dutyroute compile SEED --township 乡名 -o {shown}/<township>/"
            )
        if len(books) == 1:
            choice.rulebook_dir = books[0]
        else:
            key = _routing_key(path)
            picked = next((b for b in books if b.name == key), None)
            if picked is None:
                names = ", ".join(b.name for b in books)
                raise CliInputError(
                    f"--rules {shown}: several rulebooks ({names}); pass one of them, "
                    f"e.g. --rules {shown}/{books[0].name}"
                )
            choice.rulebook_dir = picked
    present = [f for f in RULE_FILES if (rules_dir / f).exists()]
    if len(present) == len(RULE_FILES):
        choice.rule_files_dir = rules_dir
    elif present:
        missing = ", ".join(f for f in RULE_FILES if f not in present)
        raise CliInputError(
            f"--rules {shown}: {rules_dir} has {', '.join(present)} but not {missing}; the router reads "
            "the three together: copy the missing ones from the bundled rules/"
        )
    else:
        choice.notes.append(
            f"note: no {', '.join(RULE_FILES)} in {rules_dir}: routing with the bundled rule files"
        )
    return choice


def _routing_key(rules_dir: Path) -> str | None:
    from ..rulebook import read_yaml

    routing = rules_dir / "routing.yaml"
    if not routing.exists():
        return None
    data, _ = read_yaml(routing)
    if not isinstance(data, dict):
        return None
    return str(data.get("rulebook") or "") or None


def _say(notes: list[str]) -> None:
    for note in notes:
        typer.echo(note, err=True)


def rulebook_for(path: Path | None) -> Rulebook:
    """The rulebook ``--rules`` names (the bundled one by default)."""
    from ..rulebook import load_rulebook

    choice = resolve_rules(path)
    return load_rulebook(choice.rulebook_dir)


def router_for(path: Path | None) -> Router:
    """The router over the rulebook and rule files ``--rules`` names (the bundled ones by default).

    Router warnings (rules written for another rulebook …) are printed on stderr.
    """
    from ..router import Router

    choice = resolve_rules(path)
    if choice.rulebook_dir is None and choice.rule_files_dir is None:
        return Router.default()
    from ..rulebook import load_rulebook
    from ..rules import load_rules

    _say(choice.notes)
    router = Router(
        load_rulebook(choice.rulebook_dir),
        load_rules(choice.rule_files_dir) if choice.rule_files_dir is not None else None,
    )
    _say([f"warning: {w}" for w in router.warnings])
    return router


# ── inputs and outputs ──────────────────────────────────────────────────────────────────────
def read_input(path: Path, *, what: str) -> bytes:
    """The bytes of an input file, or of standard input for ``-``.

    Args:
        path: the file, or ``-``.
        what: how the command calls it (``input file``), for the message.

    Raises:
        CliInputError: missing, a directory, or unreadable.
    """
    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CliInputError(f"{what} {path}: no such file; check the path") from None
    except IsADirectoryError:
        raise CliInputError(
            f"{what} {path} is a directory; give a JSON Lines file (one JSON object per line)"
        ) from None
    except PermissionError:
        raise CliInputError(f"{what} {path}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise CliInputError(f"{what} {path}: cannot read ({exc.strerror or exc})") from None


def decode_text(data: bytes, *, what: str) -> str:
    """UTF-8 text of ``data`` (a byte-order mark is dropped).

    Raises:
        CliInputError: not UTF-8; names the likely encoding and how to convert.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        from .._encoding import guess_encoding

        guess = guess_encoding(data)
        if guess:
            src = "gb18030" if guess.startswith("GB") else guess.lower()
            how = f"; it looks {guess}-encoded: pipe it through iconv -f {src} -t utf-8"
        else:
            how = "; give UTF-8 text"
        raise CliInputError(
            f"{what}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}){how}"
        ) from None


def check_output(path: Path, *, option: str) -> None:
    """Fail before any work if ``path`` cannot be written (``-`` is standard output).

    Raises:
        CliInputError: the folder does not exist, the path is a directory, or it is not writable.
    """
    if str(path) == "-":
        return
    if path.is_dir():
        raise CliInputError(f"{option} {path}: is a directory; give a file name (in it, or elsewhere)")
    parent = path.parent
    if not parent.exists():
        raise CliInputError(
            f"{option} {path}: folder {parent} does not exist; create it (mkdir -p {parent}) "
            f"or write elsewhere"
        )
    if not parent.is_dir():
        raise CliInputError(f"{option} {path}: {parent} is not a folder")


@contextlib.contextmanager
def open_output(path: Path, *, option: str) -> Iterator[IO[str]]:
    """A text stream for ``path`` (UTF-8), or standard output for ``-``.

    Raises:
        CliInputError: see :func:`check_output`; also a file that cannot be opened for writing.
    """
    if str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    check_output(path, option=option)
    try:
        fh = path.open("w", encoding="utf-8")
    except PermissionError:
        raise CliInputError(f"{option} {path}: permission denied; write elsewhere") from None
    except OSError as exc:
        raise CliInputError(f"{option} {path}: cannot write ({exc.strerror or exc})") from None
    with fh:
        yield fh
