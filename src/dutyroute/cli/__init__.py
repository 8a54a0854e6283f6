"""Command-line front end: ``dutyroute <command>``.

Thin by design: every command calls the library, and library errors (:class:`DutyrouteError`)
become one clean line on stderr and exit code 2. Commands are grouped by topic, one module each:

- ``rulebook_cmds``: compile, export, schema, lint
- ``graph_cmds``: who, matter, graph export / graph draw
- ``route_cmds``: route, batch, eval
"""

from __future__ import annotations

import sys

import typer

from ..errors import DutyrouteError

app = typer.Typer(
    name="dutyroute",
    help="Route incidents to the body that must act, from a township's official duty lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Route incidents to the body that must act, from a township's official duty lists."""


def _register() -> None:
    from . import graph_cmds, route_cmds, rulebook_cmds

    rulebook_cmds.register(app)
    graph_cmds.register(app)
    route_cmds.register(app)


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
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
