"""CLI commands over rulebooks: ``compile``, ``export``, ``schema``, ``lint``, ``version``.

Each calls the library (:mod:`dutyroute.store.rulebook`, :mod:`dutyroute.tools.lint`); library errors become
one line on stderr and exit code 2 (see :mod:`dutyroute.cli`).
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..errors import InputError
from ._common import Commands, RulesOption, open_output, plural, rulebook_for


class ExportFormat(str, Enum):
    json = "json"
    yaml = "yaml"


class SchemaModel(str, Enum):
    rulebook = "rulebook"
    matter = "matter"
    body = "body"
    decision = "decision"
    batch = "batch"


commands = Commands()
"""This module's commands, added to the app by :func:`register`."""


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        with open_output(out, option="-o") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
        typer.echo(f"wrote {out}", err=True)


@commands.command()
def version() -> None:
    """Print the dutyroute version, then the bundled rulebook's and recognizer's hashes."""
    from .. import __version__
    from ..routing.recognizer import Recognizer
    from ..store.rulebook import load_rulebook

    typer.echo(__version__)
    typer.echo(f"rulebook {load_rulebook().hash}")
    rec = Recognizer.bundled()
    typer.echo(f"recognizer {rec.hash if rec is not None else 'none (rules only)'}")


@commands.command("compile")
def compile_(
    seed: Annotated[
        Path, typer.Argument(help="The official list text (tab-separated export of the three lists).")
    ],
    out: Annotated[
        Path, typer.Option("-o", "--out", help="Rulebook directory to write, e.g. rules/xiaojingzhuang/.")
    ],
    township: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Township the lists must belong to, e.g. 小京庄乡 (checked against the titles)."),
    ] = None,
    province: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Province (the titles do not name it); default: kept from OUT/rulebook.yaml."),
    ] = None,
    effective_date: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="ISO date the lists took effect; default: kept from OUT/rulebook.yaml."),
    ] = None,
    bodies: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            help="bodies.yaml to resolve names with; default: OUT/../bodies.yaml, else the bundled one."
        ),
    ] = None,
) -> None:
    """Compile an official list text into a rulebook directory (reviewable YAML).

    Writes rulebook.yaml, basic.yaml, cooperative.yaml and reclaimed.yaml; applies (never
    writes) OUT/roles.yaml. Province and effective date, which the list text does not hold,
    are kept from an existing OUT/rulebook.yaml unless given.
    """
    from ..store.compile import compile_rulebook, dump_rulebook
    from ..store.roles import ROLES_FILE

    if out.exists() and not out.is_dir():
        raise InputError(f"-o {out}: is a file; give the rulebook folder to write, e.g. rules/<township>/")
    province, effective_date, warnings = _kept_from(out, province, effective_date)
    if bodies is None and (out.parent / "bodies.yaml").exists():
        bodies = out.parent / "bodies.yaml"
    roles = out / ROLES_FILE
    if not roles.exists():
        warnings.append(
            f"warning: no {roles}: basic matters get no township role (the office that acts, "
            "e.g. 综合行政执法队), and lint reports each as no-role; write one mapping each 事项类别 "
            "to a role (start from the bundled rules/xiaojingzhuang/roles.yaml) and compile again"
        )
    rb = compile_rulebook(
        seed,
        township=township,
        province=province,
        effective_date=effective_date,
        bodies=bodies,
        roles=roles if roles.exists() else None,
    )
    for path in dump_rulebook(rb, out, bodies=bodies):
        typer.echo(f"wrote {path}", err=True)
    for w in warnings:
        typer.echo(w, err=True)
    counts = rb.counts()
    typer.echo(
        f"{rb.jurisdiction.township}: {plural(sum(counts.values()), 'matter')} "
        f"({counts['basic']} basic, {counts['cooperative']} cooperative, "
        f"{counts['reclaimed']} reclaimed), "
        f"{plural(len(rb.bodies), 'body', 'bodies')}, hash {rb.hash}"
    )


def _kept_from(
    out: Path, province: str | None, effective_date: str | None
) -> tuple[str, str | None, list[str]]:
    """Province and effective date for ``compile``: as given, else kept from ``OUT/rulebook.yaml``
    (the list text holds neither), with a warning when no province is known."""
    from ..store.layout import META_FILE
    from ..store.yamlio import read_yaml

    old: dict[str, Any] = {}
    if (out / META_FILE).is_file():
        data, _ = read_yaml(out / META_FILE)
        old = data if isinstance(data, dict) else {}
    warnings: list[str] = []
    if province is None:
        province = ((old.get("jurisdiction") or {}).get("province")) or ""
        if not province:
            warnings.append(
                f"warning: no province: the list titles do not name it and {out / META_FILE} "
                "records none, so jurisdiction.province is empty; pass --province 山西省 (it is "
                "kept on later recompiles)"
            )
    if effective_date is None:
        effective_date = old.get("effective_date")
    return province, effective_date, warnings


@commands.command()
def export(
    rules: RulesOption = None,
    format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ExportFormat.json,
    out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("-o", "--out", help="Write to this file instead of stdout."),
    ] = None,
) -> None:
    """Print the whole rulebook: jurisdiction, hash, bodies and every matter with its clauses."""
    from ..store.compile import export_dict

    data = export_dict(rulebook_for(rules))
    if format is ExportFormat.json:
        text = json.dumps(data, ensure_ascii=False, indent=2)
    else:
        import yaml

        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
    _write(text, out)


@commands.command()
def schema(
    model: Annotated[
        SchemaModel,
        typer.Option(
            "--model",
            "-m",
            help="rulebook, matter, body (the rulebook models); decision (route --json, "
            "Router.route()); batch (one line of batch output, result or error).",
        ),
    ] = SchemaModel.rulebook,
) -> None:
    """Print a JSON Schema (draft 2020-12): the rulebook models, the Decision, or a batch output line.

    Integrators validate `dutyroute route --json` output with --model decision and each line of
    `dutyroute batch` output with --model batch.
    """
    from pydantic import BaseModel

    from ..model.decision import Decision
    from ..model.lists import Body, Matter, Rulebook
    from ..tools.batch import batch_line_schema

    if model is SchemaModel.batch:
        sch = batch_line_schema()
    else:
        models: dict[str, type[BaseModel]] = {
            "rulebook": Rulebook,
            "matter": Matter,
            "body": Body,
            "decision": Decision,
        }
        sch = models[model.value].model_json_schema(mode="serialization")
    sch.setdefault("$schema", "https://json-schema.org/draft/2020-12/schema")
    typer.echo(json.dumps(sch, ensure_ascii=False, indent=2))


@commands.command()
def lint(
    path: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(
            help="A rules/ directory (its rulebooks, bodies.yaml and lexicon/facts/routing.yaml), "
            "one rulebook folder, bodies.yaml, one of the rule files, or a list text "
            "(default: the bundled rules/).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print findings as JSON lines.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Hide info findings.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")] = False,
) -> None:
    """Check rules/ (rulebooks, bodies.yaml, rule files) or a list text; prints file:line: message.

    The routing rule files are loaded with the router's own loader and checked against each
    rulebook, so lint fails wherever `dutyroute route` would.

    Exit code 0 when there is no error (warnings and infos are printed), 1 when there is one.
    """
    from ..tools.lint import lint_path

    findings = lint_path(path)
    shown = [f for f in findings if not (quiet and f.severity == "info")]
    for f in shown:
        typer.echo(json.dumps(f.to_dict(), ensure_ascii=False) if as_json else str(f))
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    infos = sum(f.severity == "info" for f in findings)
    typer.echo(
        f"{plural(errors, 'error')}, {plural(warnings, 'warning')}, {infos} info",
        err=True,
    )
    if errors or (strict and warnings):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    commands.register(app)
