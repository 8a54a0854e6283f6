"""Command-line front end: ``dutyroute <command>``.

Thin by design: every command calls the library, and library errors (:class:`DutyrouteError`)
become one clean line on stderr and exit code 2. Commands are grouped by topic, one module each:

- ``rulebook_cmds``: compile, export, schema, lint
- ``graph_cmds``: who, matter, graph export / graph draw
- ``route_cmds``: route, batch
- ``eval_cmds``: eval
- ``model_cmds``: train
"""

from __future__ import annotations

import inspect
import os
import re
import sys
from typing import Annotated

import typer

from ..errors import DutyrouteError

app = typer.Typer(
    name="dutyroute",
    help="Route incidents to the body that must act, from a township's official duty lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"dutyroute {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_print_version),
    ] = False,
) -> None:
    """Route incidents to the body that must act, from a township's official duty lists."""


_CJK_END = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]$")
_CJK_START = re.compile(r"^[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def reflow(doc: str) -> str:
    """A docstring as help text: each paragraph on one line (the terminal wraps it), lists kept.

    Source docstrings are wrapped at the code's line length; typer's rich help keeps single line
    breaks, which would break sentences in the middle. Lines are joined with a space, or with
    nothing between two Chinese characters; lines starting with ``-``/``*`` stay list items.
    """
    paragraphs = re.split(r"\n\s*\n", inspect.cleandoc(doc))
    out = []
    for para in paragraphs:
        joined = ""
        for line in (x.strip() for x in para.splitlines()):
            if not joined:
                joined = line
            elif line.startswith(("- ", "* ", "• ")):
                joined += "\n" + line
            elif _CJK_END.search(joined) and _CJK_START.search(line):
                joined += line
            else:
                joined += " " + line
        out.append(joined)
    return "\n\n".join(out)


def _reflow_help(typer_app: typer.Typer) -> None:
    """Give every command of ``typer_app`` (and its groups) its docstring, reflowed, as help."""
    for info in typer_app.registered_commands:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            info.help = reflow(info.callback.__doc__)
    if typer_app.registered_callback is not None:
        cb = typer_app.registered_callback
        if cb.help is None and cb.callback is not None and cb.callback.__doc__:
            cb.help = reflow(cb.callback.__doc__)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _reflow_help(group.typer_instance)


def _register() -> None:
    from . import dispute_cmds, eval_cmds, graph_cmds, model_cmds, route_cmds, rulebook_cmds, serve_cmds

    rulebook_cmds.register(app)
    graph_cmds.register(app)
    route_cmds.register(app)
    eval_cmds.register(app)
    model_cmds.register(app)
    dispute_cmds.register(app)
    serve_cmds.register(app)
    _reflow_help(app)


_register()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 findings such as lint errors, 2 bad input or usage)."""
    try:
        app(args=argv, standalone_mode=True)
    except DutyrouteError as exc:
        typer.echo(f"dutyroute: error: {exc}", err=True)
        return 2
    except SystemExit as exc:  # standalone mode always ends this way
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except BrokenPipeError:  # `dutyroute export | head`: the reader left; not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:  # a file problem no command foresaw: still one line, never a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(f"dutyroute: error: {where}{exc.strerror or exc}", err=True)
        return 2
    except UnicodeError as exc:
        typer.echo(
            f"dutyroute: error: {exc}; dutyroute reads UTF-8 text (convert with iconv -t utf-8)", err=True
        )
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
