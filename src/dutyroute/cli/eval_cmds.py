"""CLI command ``eval``: score the router on labeled cases.

- ``dutyroute eval CASES.jsonl`` scores a labeled file (``dutyroute.tools.evaluate``) and lists the
  misses; labels naming unknown matters or bodies are errors with "did you mean".
- ``dutyroute eval --cv 5`` cross-validates the corpus grouped by writer (``dutyroute.tools.crossval``).
- ``dutyroute eval LABELS.jsonl --messages DIR`` scores labels of real messages kept by reference.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ..errors import InputError
from ._common import Commands, RecognizerOption, RulesOption, plural, router_for

if TYPE_CHECKING:
    from ..model.decision import Decision

commands = Commands()
"""This module's commands, added to the app by :func:`register`."""


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
            if not labeled:  # a 0/0 report would look like a run
                raise InputError(f"{cases}: no labeled case in it; one JSON object a line: id, text, accept")
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
    """Add ``eval`` to the app."""
    commands.register(app)
