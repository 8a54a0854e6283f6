"""CLI commands of the trained recognizer: ``train`` (and the model lines of ``version``).

- ``dutyroute train`` builds the recognizer, the fusion and the calibration from ``corpus/``
  (plus ``--corpus EXTRA.jsonl`` files: a county's own labeled tickets) and writes the artifact
  (default: the bundled one, ``src/dutyroute/data/recognizer/``); ``--check`` rebuilds it into a
  temporary folder and fails unless the bytes equal the shipped artifact's.
"""

from __future__ import annotations

import filecmp
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InputError
from ._common import Commands, RulesOption, bundle_for

commands = Commands()
"""This module's commands, added to the app by :func:`register`."""


@commands.command()
def train(
    corpus: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option(
            "--corpus",
            help="More labeled JSONL files or folders (a county's own tickets, cases format with a writer "
            "field), added to the bundled corpus; repeatable.",
        ),
    ] = None,
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("-o", "--out", help="Artifact folder to write (default: the bundled recognizer)."),
    ] = None,
    only: Annotated[
        bool, typer.Option("--only", help="Train on the --corpus files alone, without the bundled corpus.")
    ] = False,
    folds: Annotated[int, typer.Option(min=2, help="Folds of the grouped cross-validation.")] = 5,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Rebuild into a temporary folder; exit 1 unless it equals the artifact."
        ),
    ] = False,
    rules: RulesOption = None,
) -> None:
    """Train the recognizer from the labeled corpus and write its artifact (needs the [train] extra).

    The same corpus and settings give the same bytes. Route with the new artifact through
    Router(rulebook, rules, recognizer=Recognizer.load(FOLDER)), or write it over the bundled one
    (the default -o) to make it the default.
    """
    from ..routing.recognizer import bundled_artifact_dir
    from ..store.resources import corpus_dir
    from ..tools.training import train as run_train

    sources: list[Path] = [] if only else [corpus_dir()]
    sources += corpus or []
    if not sources:
        raise InputError("--only needs at least one --corpus file or folder")
    bundle = bundle_for(rules)
    target = out or bundled_artifact_dir()
    if check:
        with tempfile.TemporaryDirectory() as tmp:
            result = run_train(sources, Path(tmp) / "recognizer", bundle=bundle, folds=folds, progress=_say)
            differ = [
                name
                for name in sorted(p.name for p in (Path(tmp) / "recognizer").iterdir())
                if not (target / name).exists()
                or not filecmp.cmp(target / name, Path(tmp) / "recognizer" / name, shallow=False)
            ]
        if differ:
            typer.echo(
                f"{target}: differs from a rebuild from the corpus ({', '.join(differ)}); "
                "run dutyroute train",
                err=True,
            )
            raise typer.Exit(1)
        typer.echo(f"{target} is exactly what the corpus builds ({result.hash})")
        return
    result = run_train(sources, target, bundle=bundle, folds=folds, progress=_say)
    typer.echo(
        f"trained on {result.cases} cases from {result.writers} writers in {result.seconds:.0f} s: "
        f"grouped cross-validated route accuracy {result.cv_accuracy:.3f}; auto-dispatch at confidence "
        f"≥ {result.auto_dispatch[0]} ({result.auto_dispatch[1]:.0%} of routes); "
        f"{result.artifact} {result.hash}"
    )


def _say(message: str) -> None:
    typer.echo(message, err=True)


def register(app: typer.Typer) -> None:
    """Add ``train`` to the app."""
    commands.register(app)
