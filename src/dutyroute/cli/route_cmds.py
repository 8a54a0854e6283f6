"""CLI commands of the router: ``route``, ``batch``, ``eval``.

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
- ``dutyroute eval CASES.jsonl`` scores a labeled file (``dutyroute.tools.evaluate``) and lists the
  misses; labels naming unknown matters or bodies are errors with "did you mean".
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from typer.core import TyperCommand

from ..errors import DutyrouteError, InputError
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
    from rich.markup import escape

    from ..tools.batch import dumps_line, route_lines, route_lines_parallel
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
        except BaseException:
            output.discard()
            raise
    _finish_batch(err, output, counts, stop, out)


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


@commands.command(name="eval")
def eval_(
    cases: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(
            help="Labeled JSONL (cases format); with --cv: default the bundled corpus/.", show_default=False
        ),
    ] = None,
    cv: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--cv", min=2, help="Grouped cross-validation with this many folds (writers held out)."),
    ] = None,
    messages: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--messages",
            help="The file holds labels of real messages by reference (source_file, message_id): read the "
            "messages from this folder (../shared/realdata).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report and misses as JSON.")] = False,
    misses: Annotated[
        bool, typer.Option("--misses/--no-misses", help="List the cases routed wrongly.")
    ] = True,
    encoding: Annotated[
        str, typer.Option(help="Text encoding of the file, e.g. gb18030; default UTF-8.")
    ] = "utf-8",
    recognizer: RecognizerOption = None,
    rules: RulesOption = None,
) -> None:
    """Score the router on labeled cases: accuracy (all, by list, by style), clarify handling,
    out-of-scope, cooperating, top-3 recall, confusions, and calibration (reliability table,
    expected calibration error, auto-dispatch share and accuracy).

    Labels must name the rulebook's matter ids and canonical body names; any other is an
    error naming its line, with "did you mean". --cv 5 trains and routes fold by fold (needs
    the [train] extra); --messages joins labels kept by reference with the real messages.
    """
    from ..tools.evaluate import evaluate
    from ..tools.report import report

    labeled, decisions, threshold, bad_lines = _scored(cases, cv, messages, encoding, recognizer, rules)
    rep = report(labeled, decisions, threshold=threshold)
    missed = evaluate(labeled, decisions).misses
    if as_json:
        rep["bad_lines"] = [str(e) for e in bad_lines]
        rep["misses"] = [
            {
                "id": r.case.id,
                "text": r.case.text if messages is None else None,
                "expected": list(r.case.accept),
                "got": r.decision.to_batch(),
            }
            for r in missed
        ]
        typer.echo(json.dumps(rep, ensure_ascii=False, indent=2))
    else:
        _print_report(rep, str(cases or "corpus/") + (f" (grouped {cv}-fold cross-validation)" if cv else ""))
        if misses and missed:
            _print_misses(missed, show_text=messages is None)
    if bad_lines:
        n_bad = plural(len(bad_lines), "line")
        typer.echo(
            f"{n_bad} could not be read and {'was' if len(bad_lines) == 1 else 'were'} not scored", err=True
        )
        raise typer.Exit(1)


def _scored(
    cases: Path | None,
    cv: int | None,
    messages: Path | None,
    encoding: str,
    recognizer: str | None,
    rules: Path | None,
) -> tuple[list[Any], list[Decision], float | None, list[Exception]]:
    """The labeled cases of ``dutyroute eval``, their decisions (routed, or cross-validated fold by
    fold), the auto-dispatch threshold of the folds (None: the router's own) and the unreadable lines
    (reported on stderr and left out).

    Raises:
        InputError: no file and no --cv, nothing readable, or labels the rulebook cannot score.
    """
    from ..tools.evaluate import check_cases, read_cases_lenient

    bad_lines: list[Exception] = []
    if cv is not None:
        labeled, decisions, router_rb, threshold = _cross_validated(cases, cv, rules)
    else:
        if cases is None:
            raise InputError("give a labeled file (or --cv N to cross-validate the corpus)")
        if messages is not None:
            from ..tools.realdata import read_labeled_messages

            labeled = read_labeled_messages(cases, messages)
        else:
            labeled, bad = read_cases_lenient(cases, encoding=encoding)
            if bad and not labeled:  # nothing readable: a problem of the file, one line
                raise bad[0]
            bad_lines = list(bad)
        for e in bad_lines:  # each bad line is reported and left out; the rest is scored
            typer.echo(f"dutyroute: error: {e}", err=True)
        router = router_for(rules, recognizer)
        router_rb, threshold = router.rulebook, None
    problems = check_cases(labeled, router_rb, path=cases)
    if problems:
        for p in problems:
            typer.echo(f"dutyroute: error: {p}", err=True)
        raise InputError(
            f"{cases}: {plural(len(problems), 'label')} cannot be scored against the rulebook "
            f"{router_rb.hash}; fix them (see above) and run eval again"
        )
    if cv is None:
        decisions = [router.route(c.text) for c in labeled]
    return labeled, decisions, threshold, bad_lines


def _cross_validated(cases: Path | None, folds: int, rules: Path | None) -> tuple[Any, Any, Any, float]:
    from ..store.resources import corpus_dir
    from ..tools.crossval import cross_validate, threshold
    from ..tools.train import load_corpus
    from ._common import bundle_for

    bundle = bundle_for(rules)
    labeled = load_corpus([cases or corpus_dir()])
    result = cross_validate(
        labeled, bundle.rulebook, bundle.rules, folds=folds, progress=lambda m: typer.echo(m, err=True)
    )
    thr = threshold(result.confidence, result.right)
    decisions = [
        d.model_copy(
            update={
                "confidence": round(c, 4),
                "auto_dispatch": c >= thr and d.status != "needs_clarification",
            }
        )
        for d, c in zip(result.decisions, result.confidence, strict=True)
    ]
    return labeled, decisions, bundle.rulebook, thr


def _print_report(rep: dict[str, Any], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    m = rep["metrics"]

    def frac(p: Any) -> str:
        if isinstance(p, dict):
            p = (p["right"], p["total"])
        return f"{p[0]}/{p[1]} = {p[0] / p[1]:.3f}" if p[1] else "0/0"

    t = Table(title=f"dutyroute eval {title}")
    t.add_column("metric")
    t.add_column("value", justify="right")
    t.add_row("route accuracy (all cases)", frac(m["routes_right"]))
    t.add_row("in-scope routes right", frac(m["in_scope_right"]))
    t.add_row("clarify cases handled (asked or an accepted route)", frac(m["clarify_cases_right"]))
    t.add_row("  of which asked", frac(m["asked_on_clarify_cases"]))
    t.add_row("out-of-scope recognised (unmatched)", frac(m["out_of_scope_recognised"]))
    t.add_row("in-scope wrongly unmatched", str(m["wrongly_unmatched"]))
    t.add_row("cooperating right (on right routes)", frac(m["cooperating_right"]))
    t.add_row("top-3 recall (an accepted matter among the first three)", frac(rep["top3_recall"]))
    for k, v in rep["by_list"].items():
        t.add_row(f"  list: {k}", frac(v))
    for k, v in rep["by_style"].items():
        t.add_row(f"  style: {k}", frac(v))
    for k, v in rep.get("by_writer", {}).items():
        t.add_row(f"  writer: {k}", frac(v))
    cal = rep["calibration"]
    t.add_row("expected calibration error (10 bins)", f"{cal['ece']:.3f}")
    a = cal["auto_dispatch"]
    t.add_row("auto-dispatch: share of all / right", f"{a['share']:.1%} / {frac(a)}")
    h = cal["at_0_8"]
    t.add_row("confidence ≥ 0.8: share of all / right", f"{h['share']:.1%} / {frac(h)}")
    console.print(t)
    rt = Table(title="reliability (confidence bins)")
    for col in ("confidence", "n", "mean confidence", "accuracy"):
        rt.add_column(col, justify="right")
    for b in cal["bins"]:
        if b["n"]:
            rt.add_row(
                f"{b['from']:.1f}–{b['to']:.1f}",
                str(b["n"]),
                f"{b['confidence']:.3f}",
                f"{b['accuracy']:.3f}",
            )
    console.print(rt)
    if rep["confusions"]:
        ct = Table(title="commonest confusions (expected → got)")
        for col in ("expected", "got", "n"):
            ct.add_column(col)
        for c in rep["confusions"][:10]:
            ct.add_row(c["expected"], c["got"], str(c["n"]))
        console.print(ct)


def _print_misses(missed: list[Any], *, show_text: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    mt = Table(title="misses")
    for col in ("id", "text", "expected", "got"):
        mt.add_column(col, overflow="fold")
    for r in missed:
        exp = (
            " / ".join(f"{a['matter']}:{'、'.join(a.get('acting') or [])}" for a in r.case.accept)
            or "unmatched"
        )
        d = r.decision
        got = f"{d.status} {d.matter or ''}:{'、'.join(d.acting)}"
        if d.clarify is not None:
            got += " ? " + d.clarify.fact + " [" + ", ".join(o.matter for o in d.clarify.options) + "]"
        # real messages may not be redistributed: their text is not printed, only the reference
        mt.add_row(r.case.id, r.case.text[:60] if show_text else "—", exp, got)
    Console().print(mt)


def register(app: typer.Typer) -> None:
    """Add ``route``, ``batch`` and ``eval`` to the app."""
    commands.register(app)
