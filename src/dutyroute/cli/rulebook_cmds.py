"""CLI commands (see dutyroute.cli). Filled in by its issue."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""

    @app.command()
    def version() -> None:
        """Print the dutyroute version."""
        from .. import __version__

        typer.echo(__version__)
