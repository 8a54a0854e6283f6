"""CLI commands of the router: ``route``, ``batch``, ``eval``.

- ``dutyroute route "县道上塌了个大坑"`` prints the decision readably (status, acting and
  cooperating bodies, reclaimed, basis, the township's duties, alternatives, the clarifying
  question); ``--json`` prints ``Decision.model_dump(mode="json")``; ``--facts road_class=县道``
  passes deciding facts.
- ``dutyroute batch IN.jsonl -o OUT.jsonl`` routes one JSON object per line (at least ``id`` and
  ``text``) and writes one line per input in the batch format of ``../shared/cases/README.md``.
  A bad line (not JSON, no text, empty or oversized text) is reported on stderr with its line
  number and, when its id is known, written as ``{"id": …, "status": "error", "error": …}``; the
  rest is still processed. Exit code 1 when any line was bad.
- ``dutyroute eval CASES.jsonl`` scores a labeled file (``dutyroute.evaluate``) and lists the misses.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

if TYPE_CHECKING:
    from ..decision import Decision
    from ..router import Router

RulesOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional on Python 3.10
    typer.Option(
        "--rules",
        help="Rulebook directory (rules/<township>/); default: the bundled 小京庄乡 rulebook.",
        show_default=False,
    ),
]

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


def _router(rules: Path | None) -> Router:
    from ..router import Router

    if rules is None:
        return Router.default()
    from ..rulebook import load_rulebook

    return Router(load_rulebook(rules))


def _parse_facts(items: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        for part in item.split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise typer.BadParameter(
                    f"expected NAME=VALUE (e.g. road_class=县道), got {part!r}", param_hint="--facts"
                )
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


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
    if d.status != "unmatched":
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


def register(app: typer.Typer) -> None:
    """Add ``route``, ``batch`` and ``eval`` to the app."""

    @app.command()
    def route(
        text: Annotated[str, typer.Argument(help="Incident description (Chinese), e.g. 地里有人烧秸秆.")],
        facts: Annotated[
            Optional[list[str]],  # noqa: UP045
            typer.Option(
                "--facts",
                help="Deciding facts NAME=VALUE (repeatable or comma-separated), e.g. road_class=县道.",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the Decision as JSON.")] = False,
        limit: Annotated[int, typer.Option("--limit", min=0, help="Most alternatives shown.")] = 5,
        rules: RulesOption = None,
    ) -> None:
        """Route one incident: who acts, who cooperates, reclaimed or not, and the list item."""
        d = _router(rules).route(text, facts=_parse_facts(facts), limit=limit)
        if as_json:
            typer.echo(json.dumps(d.model_dump(mode="json"), ensure_ascii=False, indent=2))
        else:
            print_decision(d)

    @app.command()
    def batch(
        infile: Annotated[
            Path, typer.Argument(help="JSONL input: one object per line with at least id and text.")
        ],
        out: Annotated[Path, typer.Option("-o", "--out", help="JSONL output, one line per input line.")],
        limit: Annotated[int, typer.Option("--limit", min=0, help="Most alternatives per line.")] = 5,
        rules: RulesOption = None,
    ) -> None:
        """Route a JSONL file of incidents (cases/README.md format); bad lines reported, the rest processed."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        from ..errors import IncidentTextError

        err = Console(stderr=True)
        try:
            lines = infile.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise typer.BadParameter(f"{infile}: file not found", param_hint="IN.jsonl") from None
        router = _router(rules)
        bad = 0
        done = 0
        with (
            out.open("w", encoding="utf-8") as fh,
            Progress(
                TextColumn("[bold]routing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=err,
                transient=not sys.stderr.isatty(),
            ) as progress,
        ):
            task = progress.add_task("route", total=len(lines))
            for n, raw in enumerate(lines, 1):
                progress.advance(task)
                if not raw.strip():
                    continue
                case_id: Any = None
                try:
                    obj = json.loads(raw)
                    if not isinstance(obj, dict):
                        raise ValueError("expected a JSON object")
                    case_id = obj.get("id")
                    text = obj.get("text")
                    if not isinstance(text, str):
                        raise ValueError("no 'text' string")
                    facts = obj.get("facts") or None
                    d = router.route(text, facts=facts, limit=limit)
                    fh.write(
                        json.dumps(d.to_batch(case_id if case_id is not None else n), ensure_ascii=False)
                        + "\n"
                    )
                    done += 1
                except (ValueError, TypeError, IncidentTextError, LookupError) as exc:
                    bad += 1
                    msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                    err.print(f"[red]{infile}:{n}: {msg}[/]")
                    if case_id is not None:
                        fh.write(
                            json.dumps({"id": case_id, "status": "error", "error": msg}, ensure_ascii=False)
                            + "\n"
                        )
        err.print(f"{done} routed, {bad} bad line(s) → {out}")
        if bad:
            raise typer.Exit(1)

    @app.command(name="eval")
    def eval_(
        cases: Annotated[Path, typer.Argument(help="Labeled JSONL (format of cases/README.md).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print metrics and misses as JSON.")] = False,
        misses: Annotated[
            bool, typer.Option("--misses/--no-misses", help="List the cases routed wrongly.")
        ] = True,
        rules: RulesOption = None,
    ) -> None:
        """Score the router on a labeled file: route accuracy, clarify handling, out-of-scope, cooperating."""
        from rich.console import Console
        from rich.table import Table

        from ..evaluate import evaluate, read_cases

        labeled = read_cases(cases)
        router = _router(rules)
        report = evaluate(labeled, [router.route(c.text) for c in labeled])
        m = report.metrics
        if as_json:
            payload = {
                "metrics": m,
                "misses": [
                    {
                        "id": r.case.id,
                        "text": r.case.text,
                        "expected": list(r.case.accept),
                        "got": r.decision.to_batch(),
                    }
                    for r in report.misses
                ],
            }
            typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        console = Console()
        t = Table(title=f"dutyroute eval {cases.name}")
        t.add_column("metric")
        t.add_column("value", justify="right")

        def frac(p: tuple[int, int]) -> str:
            return f"{p[0]}/{p[1]} = {p[0] / p[1]:.3f}" if p[1] else "0/0"

        t.add_row("route accuracy (all cases)", frac(m["routes_right"]))
        t.add_row("in-scope routes right", frac(m["in_scope_right"]))
        t.add_row("clarify cases handled (asked or an accepted route)", frac(m["clarify_cases_right"]))
        t.add_row("  of which asked", frac(m["asked_on_clarify_cases"]))
        t.add_row("out-of-scope recognised (unmatched)", frac(m["out_of_scope_recognised"]))
        t.add_row("in-scope wrongly unmatched", str(m["wrongly_unmatched"]))
        t.add_row("cooperating right (on right routes)", frac(m["cooperating_right"]))
        console.print(t)
        if misses and report.misses:
            mt = Table(title="misses")
            for col in ("id", "text", "expected", "got"):
                mt.add_column(col, overflow="fold")
            for r in report.misses:
                exp = (
                    " / ".join(f"{a['matter']}:{'、'.join(a.get('acting') or [])}" for a in r.case.accept)
                    or "unmatched"
                )
                d = r.decision
                got = f"{d.status} {d.matter or ''}:{'、'.join(d.acting)}"
                if d.clarify is not None:
                    got += (
                        " ? " + d.clarify.fact + " [" + ", ".join(o.matter for o in d.clarify.options) + "]"
                    )
                mt.add_row(r.case.id, r.case.text[:60], exp, got)
            console.print(mt)
