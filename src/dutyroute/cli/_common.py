"""What every command shares: the ``--rules`` option, reading inputs, opening outputs, plurals.

File problems (missing, a directory, unreadable, another encoding, an output folder that does
not exist) become :class:`~dutyroute.errors.InputError`: one line on stderr naming the value, the
option it came from and what to do, exit code 2 (see :func:`dutyroute.cli.main`).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, Optional

import typer

from ..errors import InputError

if TYPE_CHECKING:
    from ..model.lists import Rulebook
    from ..routing import Router
    from ..store.bundle import Bundle

RULES_HELP = (
    "Rules directory to use instead of the bundled one: a copy of rules/ (bodies.yaml, lexicon.yaml, "
    "facts.yaml, routing.yaml and a rulebook folder per township), or one rulebook folder "
    "rules/<township>/, whose parent folder supplies the rule files. Default: the bundled rules/."
)

RulesOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional on Python 3.10
    typer.Option("--rules", help=RULES_HELP, show_default=False),
]


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 matter``, ``2 matters``; ``many`` for irregular plurals (``body`` → ``bodies``)."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {many or word + 's'}"


# ── --rules ─────────────────────────────────────────────────────────────────────────────────
def bundle_for(path: Path | None) -> Bundle:
    """The rulebook and rule files ``--rules`` names (the bundled ones by default); notes about the
    choice are printed on stderr.

    Raises:
        InputError: see :func:`dutyroute.store.bundle.locate`.
    """
    from ..store.bundle import Bundle

    bundle = Bundle.from_dir(path, label="--rules")
    _say(list(bundle.notes))
    return bundle


def rulebook_for(path: Path | None) -> Rulebook:
    """The rulebook ``--rules`` names (the bundled one by default)."""
    from ..store.bundle import locate
    from ..store.rulebook import load_rulebook

    if path is None:
        return load_rulebook()
    return load_rulebook(locate(path, label="--rules").rulebook_dir)


RecognizerOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--recognizer",
        help="A trained artifact folder (dutyroute train -o DIR) to route with, or none for the rules "
        "alone (default: the bundled one, or $DUTYROUTE_RECOGNIZER).",
        show_default=False,
    ),
]


def router_for(path: Path | None, recognizer: str | None = None) -> Router:
    """The router over the rulebook and rule files ``--rules`` names (the bundled ones by default),
    with the recognizer ``--recognizer`` names (a folder, ``none``, or None: the bundled one).

    Router warnings (rules written for another rulebook …) are printed on stderr.
    """
    from ..routing import Router
    from ..routing.recognizer import Recognizer

    if path is None and recognizer is None:
        return Router.default()
    bundle = bundle_for(path)
    rec: Recognizer | str | None = "bundled"
    if recognizer is not None:
        rec = None if recognizer.strip().lower() == "none" else Recognizer.load(recognizer)
    router = Router(bundle.rulebook, bundle.rules, recognizer=rec, versions=bundle.versions)  # type: ignore[arg-type]
    _say([f"warning: {w}" for w in router.warnings])
    return router


def _say(notes: list[str]) -> None:
    for note in notes:
        typer.echo(note, err=True)


# ── inputs and outputs ──────────────────────────────────────────────────────────────────────
def read_input(path: Path, *, what: str) -> bytes:
    """The bytes of an input file, or of standard input for ``-``.

    Args:
        path: the file, or ``-``.
        what: how the command calls it (``input file``), for the message.

    Raises:
        InputError: missing, a directory, or unreadable.
    """
    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} {path}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(
            f"{what} {path} is a directory; give a JSON Lines file (one JSON object per line)"
        ) from None
    except PermissionError:
        raise InputError(f"{what} {path}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot read ({exc.strerror or exc})") from None


def check_input(path: Path, *, what: str) -> None:
    """Fail before any work if ``path`` cannot be read.

    Raises:
        InputError: missing, a directory, or unreadable.
    """
    try:
        with path.open("rb"):
            pass
    except FileNotFoundError:
        raise InputError(f"{what} {path}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{what} {path} is a directory; give a JSON Lines file (or a CSV file)") from None
    except PermissionError:
        raise InputError(f"{what} {path}: permission denied; check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot read ({exc.strerror or exc})") from None


def decode_text(data: bytes, *, what: str) -> str:
    """UTF-8 text of ``data`` (a byte-order mark is dropped).

    Raises:
        InputError: not UTF-8; names the likely encoding and how to convert.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        from ..text.encoding import guess_encoding

        guess = guess_encoding(data)
        if guess:
            src = "gb18030" if guess.startswith("GB") else guess.lower()
            how = f"; it looks {guess}-encoded: pipe it through iconv -f {src} -t utf-8"
        else:
            how = "; give UTF-8 text"
        raise InputError(
            f"{what}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}){how}"
        ) from None


def check_output(path: Path, *, option: str) -> None:
    """Fail before any work if ``path`` cannot be written (``-`` is standard output).

    Raises:
        InputError: the folder does not exist, the path is a directory, or it is not writable.
    """
    if str(path) == "-":
        return
    if path.is_dir():
        raise InputError(f"{option} {path}: is a directory; give a file name (in it, or elsewhere)")
    parent = path.parent
    if not parent.exists():
        raise InputError(
            f"{option} {path}: folder {parent} does not exist; create it (mkdir -p {parent}) "
            f"or write elsewhere"
        )
    if not parent.is_dir():
        raise InputError(f"{option} {path}: {parent} is not a folder")


@contextlib.contextmanager
def open_output(path: Path, *, option: str) -> Iterator[IO[str]]:
    """A text stream for ``path`` (UTF-8), or standard output for ``-``.

    Raises:
        InputError: see :func:`check_output`; also a file that cannot be opened for writing.
    """
    if str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    check_output(path, option=option)
    try:
        fh = path.open("w", encoding="utf-8")
    except PermissionError:
        raise InputError(f"{option} {path}: permission denied; write elsewhere") from None
    except OSError as exc:
        raise InputError(f"{option} {path}: cannot write ({exc.strerror or exc})") from None
    with fh:
        yield fh


class Commands:
    """The commands of one CLI module, declared at module level and added to the app at once.

    Example::

        commands = Commands()

        @commands.command()
        def version() -> None: ...

        commands.register(app)     # in the module's register(app)
    """

    def __init__(self) -> None:
        self._pending: list[tuple[tuple[Any, ...], dict[str, Any], Callable[..., Any]]] = []

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Like ``typer.Typer.command``: remember the function and its options."""

        def remember(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._pending.append((args, kwargs, fn))
            return fn

        return remember

    def register(self, app: typer.Typer) -> None:
        """Add every remembered command to ``app``, in declaration order."""
        for args, kwargs, fn in self._pending:
            app.command(*args, **kwargs)(fn)
