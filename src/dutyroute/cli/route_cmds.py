"""CLI commands of the router: ``route`` and ``batch`` (``eval`` is in :mod:`.eval_cmds`).

- ``dutyroute route "县道上塌了个大坑"`` prints the decision readably (status, acting and
  cooperating bodies, reclaimed, basis, the township's duties, alternatives, the clarifying
  question); ``--json`` prints ``Decision.model_dump(mode="json")``; ``--facts road_class=县道``
  passes deciding facts.
  ``dutyroute route -`` reads the incident from standard input.
- ``dutyroute batch IN.jsonl -o OUT.jsonl`` routes one JSON object per line (at least ``id`` and
  ``text``) and writes exactly one line per input line, same order, in the batch format of
  ``../shared/cases/README.md`` plus ``line`` (:mod:`dutyroute.tools.batch`). A bad line (blank, not
  UTF-8, not JSON, not an object, no text …) is written as ``{"id": … | null, "line": N,
  "status": "error", "error": …}`` and reported on stderr with its line number; missing, null and
  duplicate ids are warned about. ``-`` reads standard input / writes standard output. Exit code
  1 when any line was bad.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from typer.core import TyperCommand

from ..errors import DutyrouteError
from ._common import (
    Commands,
    RecognizerOption,
    RulesOption,
    check_input,
    check_output,
    decode_text,
    plural,
    read_input,
    router_for,
)

if TYPE_CHECKING:
    from rich.console import Console

    from ..model.decision import Decision
    from ..tools.batch import BatchOutcome
    from ..tools.batch_io import SafeOutput, Stop

_LIST_CN = {
    "basic": "基本履职事项清单",
    "cooperative": "配合履职事项清单",
    "reclaimed": "上级部门收回事项清单",
}
_STATUS_CN = {
    "routed": "已派单 routed",
    "needs_clarification": "需追问 needs_clarification",
    "unmatched": "清单未覆盖 unmatched",
}


_FACT_SEPARATORS = re.compile(r"[,;、]")

commands = Commands()
"""This module's commands, added to the app by :func:`register`."""


def _parse_facts(items: list[str] | None) -> dict[str, str]:
    """``["road_class=县道", "place=耕地，actor=村民"]`` → dict; full-width ``，；＝`` and ``、`` accepted."""
    out: dict[str, str] = {}
    for item in items or []:
        for part in _FACT_SEPARATORS.split(unicodedata.normalize("NFKC", item)):
            if not part.strip():
                continue
            if "=" not in part:
                raise typer.BadParameter(
                    f"expected NAME=VALUE (e.g. road_class=县道), got {part.strip()!r}", param_hint="--facts"
                )
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _facts_epilog() -> str:
    """The fact names and values of the bundled ``rules/facts.yaml``, one paragraph per fact."""
    try:
        from ..store.rules import load_rules

        specs = load_rules().facts
    except DutyrouteError as exc:  # help must still print
        return f"Facts: cannot read rules/facts.yaml ({exc})"
    lines = ["Facts for --facts NAME=VALUE (bundled rules/facts.yaml; several: a=x,b=y or repeat --facts):"]
    for f in specs:
        values = ", ".join(v.value for v in f.values)
        lines.append(f"  {f.name} ({f.label}): {values}")
    return "\n".join(lines)


class _FactsHelp(TyperCommand):
    """A command whose --help ends with the fact names and values, read when help is shown."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        if self.epilog is None:
            self.epilog = _facts_epilog()
        super().format_help(ctx, formatter)


def print_decision(d: Decision, console: Any = None) -> None:
    """Print a decision for a person: status, bodies, basis, duties, question, alternatives."""
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table

    console = console or Console()
    color = {"routed": "green", "needs_clarification": "yellow", "unmatched": "red"}[d.status]
    lines = [f"[bold {color}]{_STATUS_CN[d.status]}[/]   置信度 confidence {d.confidence:.2f}"]
    if d.matter_detail is not None:
        m = d.matter_detail
        lines.append(
            f"事项 matter: [bold]{m.id}[/] {m.title}  （{_LIST_CN[m.list]}第{m.seq}项，{m.category}）"
        )
        lines.append(f"派单依据 basis: {d.basis}")
    if d.status == "needs_clarification" and d.clarify is not None:
        lines.append(f"待追问 not routed yet: {d.clarify.question}（各答案的去向见下表）")
    elif d.status == "routed":
        acting = "、".join(
            f"{b.name}（{b.sub_unit}）" if b.sub_unit else b.name for b in d.acting_bodies
        ) or "、".join(d.acting)
        if d.township_role:
            acting += f"（{d.township_role}）"
        lines.append(f"承办 acting: [bold]{acting}[/]")
        lines.append(f"配合 cooperating: {'、'.join(d.cooperating) or '—'}")
        lines.append(f"上级收回 reclaimed: {'是（承接部门办理）' if d.reclaimed else '否'}")
    else:
        lines.append(d.trace.note or "no list item covers this text")
    console.print(Panel("\n".join(lines), title="dutyroute", expand=False))
    if d.basis_clauses:
        t = Table(title="匹配条款 matched clauses", show_lines=False)
        t.add_column("where")
        t.add_column("clause")
        for c in d.basis_clauses:
            t.add_row(f"{c.field} {c.body}".strip(), c.text)
        console.print(t)
    if d.status == "routed":
        for b in d.acting_bodies:
            if b.clauses and d.matter_detail and d.matter_detail.list != "basic":
                console.print(f"[bold]{b.name}职责[/]: " + "；".join(b.clauses))
        for b in d.cooperating_bodies:
            console.print(
                f"[bold]{b.name}配合职责[/]: " + "；".join(f"{i}. {c}" for i, c in enumerate(b.clauses, 1))
            )
    if d.clarify is not None:
        t = Table(title=f"追问 ask: {d.clarify.question}")
        for col in ("answer", "matter", "acting", "reclaimed", "basis"):
            t.add_column(col)
        for o in d.clarify.options:
            t.add_row(
                o.label or o.value, o.matter, "、".join(o.acting), "是" if o.reclaimed else "否", o.basis
            )
        console.print(t)
    if d.alternatives:
        t = Table(title="备选 alternatives")
        for col in ("matter", "title", "acting", "confidence"):
            t.add_column(col)
        for a in d.alternatives:
            t.add_row(a.matter, a.title, "、".join(a.acting), f"{a.confidence:.2f}")
        console.print(t)
    facts = d.trace.facts
    if facts:
        console.print(
            "事实 facts: "
            + "；".join(
                f"{k}={v.value}（{v.source}{'：' + v.evidence if v.evidence else ''}）"
                for k, v in facts.items()
            )
        )
    console.print(f"[dim]rulebook {d.rulebook_hash}[/]")


@commands.command(cls=_FactsHelp)
def route(
    text: Annotated[
        str,
        typer.Argument(
            help="Incident description (Chinese), e.g. 地里有人烧秸秆; - reads it from standard input."
        ),
    ],
    facts: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--facts",
            help="Deciding facts NAME=VALUE, repeatable or comma-separated (， also works), "
            "e.g. road_class=县道; the names and values are listed below.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the Decision as JSON.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Most alternatives shown.")] = 5,
    recognizer: RecognizerOption = None,
    rules: RulesOption = None,
) -> None:
    """Route one incident: who acts, who cooperates, reclaimed or not, and the list item."""
    if text == "-":
        if sys.stdin.isatty():
            typer.echo("reading the incident from standard input (end with Ctrl-D)", err=True)
        text = decode_text(read_input(Path("-"), what="incident"), what="standard input")
    d = router_for(rules, recognizer).route(text, facts=_parse_facts(facts), limit=limit)
    if as_json:
        typer.echo(json.dumps(d.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print_decision(d)


class InputFormat(str, Enum):
    """The input format of ``dutyroute batch``."""

    auto = "auto"
    jsonl = "jsonl"
    csv = "csv"


@commands.command()
def batch(
    infile: Annotated[
        Path,
        typer.Argument(
            help="JSONL input (one object per line with at least id and text) or CSV with a header "
            "row; - reads standard input.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("-o", "--out", help="JSONL output, one line per input line (- writes standard output)."),
    ],
    limit: Annotated[int, typer.Option("--limit", min=0, help="Most alternatives per line.")] = 5,
    encoding: Annotated[
        str,
        typer.Option(help="Text encoding of the input, e.g. gb18030 for files saved by Chinese Windows."),
    ] = "utf-8",
    fmt: Annotated[
        InputFormat, typer.Option("--format", help="Input format (auto: by the file name, .csv is CSV).")
    ] = InputFormat.auto,
    text_col: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--text-col",
            help="CSV: the column holding the incident; repeat it to join a title and a body "
            "(default: text, or 留言主题 + 留言详情).",
        ),
    ] = None,
    id_col: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--id-col", help="CSV: the id column (default: id, or 留言编号)."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-j",
            min=1,
            max=64,
            help="Worker processes (output identical to one, in input order).",
        ),
    ] = 1,
    recognizer: RecognizerOption = None,
    rules: RulesOption = None,
) -> None:
    """Route a file of incidents (cases/README.md format, or CSV), one output line per input line.

    The input is streamed (memory does not grow with the file). A line that cannot be read or
    routed gets {"id": …, "line": N, "status": "error", "error": …} and is reported on stderr
    with its line number; the rest is still routed. The output is written to a temporary file
    renamed into place at the end; interrupted (Ctrl-C, SIGTERM), the run stops at a line
    boundary, keeps what it wrote as OUT.partial and exits 130. Exit code 1 when any line was bad.
    """
    from rich.console import Console

    from ..tools.batch import route_lines, route_lines_parallel
    from ..tools.batch_io import SafeOutput, Stop

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    check_output(out, option="-o")
    name, lines, total = _batch_input(infile, fmt, text_col=text_col, id_col=id_col, encoding=encoding)
    router = router_for(rules, recognizer)
    counts = {"routed": 0, "needs_clarification": 0, "unmatched": 0, "error": 0}
    output = SafeOutput(out, option="-o").open()
    with Stop() as stop, _progress(err, total) as advance:
        try:
            outcomes = (
                route_lines(router, lines, limit=limit)
                if workers == 1
                else route_lines_parallel(
                    lines, workers=workers, rules=rules, limit=limit, recognizer=recognizer
                )
            )
            _write_outcomes(outcomes, output, counts, err, name, advance, stop)
        except BaseException:
            output.discard()
            raise
    _finish_batch(err, output, counts, stop, out)


def _write_outcomes(
    outcomes: Iterable[BatchOutcome],
    output: SafeOutput,
    counts: dict[str, int],
    err: Console,
    name: str,
    advance: Callable[[], None],
    stop: Stop,
) -> None:
    """Write each line's record in input order, count its status and report its warnings and error
    on stderr (``NAME:LINE: …``); stop at a line boundary once a signal came."""
    from rich.markup import escape

    from ..tools.batch import dumps_line

    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        for w in outcome.warnings:
            err.print(f"[yellow]{escape(name)}:{outcome.line}: warning: {escape(w)}[/]")
        if outcome.error is not None:
            err.print(f"[red]{escape(name)}:{outcome.line}: {escape(outcome.error)}[/]")
        output.write_line(dumps_line(outcome.record))
        advance()
        if stop:
            break


def _batch_input(
    infile: Path, fmt: InputFormat, *, text_col: list[str] | None, id_col: str | None, encoding: str
) -> tuple[str, Iterator[Any], int | None]:
    """The input of ``dutyroute batch``: its display name, its lines (JSONL or CSV, streamed) and how
    many there are (None for standard input, which is read once)."""
    from ..tools.batch_io import count_lines, iter_csv, iter_jsonl

    stdin = str(infile) == "-"
    name = "<stdin>" if stdin else str(infile)
    source = sys.stdin.buffer if stdin else infile
    if not stdin:
        check_input(infile, what="input file")
    is_csv = fmt is InputFormat.csv or (fmt is InputFormat.auto and infile.suffix.lower() == ".csv")
    lines = (
        iter_csv(source, text_cols=text_col or (), id_col=id_col, encoding=encoding, name=name)
        if is_csv
        else iter_jsonl(source, encoding=encoding, name=name)
    )
    total = None if stdin else count_lines(infile)
    if is_csv and total is not None:
        total = max(0, total - 1)  # the header row
    return name, lines, total


def _finish_batch(err: Console, output: SafeOutput, counts: dict[str, int], stop: Stop, out: Path) -> None:
    """Close the batch output: keep it as OUT.partial and exit 130 when a signal stopped the run,
    else rename it into place, print the summary and exit 1 if any line was bad."""
    from rich.markup import escape

    summary = (
        f"{plural(output.lines, 'line')}: {counts['routed']} routed, "
        f"{counts['needs_clarification']} needs_clarification, {counts['unmatched']} unmatched, "
        f"{plural(counts['error'], 'error')}"
    )
    if stop:
        partial = output.abandon()
        where = f"partial output in {partial}" if partial is not None else "partial output on standard output"
        err.print(f"interrupted by signal {stop.signal} after {summary}; {escape(where)} (incomplete)")
        raise typer.Exit(130)
    output.commit()
    dest = "standard output" if str(out) == "-" else str(out)
    err.print(f"{summary} → {escape(dest)}")
    if counts["error"]:
        raise typer.Exit(1)


@contextlib.contextmanager
def _progress(err: Any, total: int | None) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr (only on a terminal); yields the function that advances it."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]routing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("route", total=total)
        yield lambda: progress.advance(task)


def register(app: typer.Typer) -> None:
    """Add ``route`` and ``batch`` to the app."""
    commands.register(app)
