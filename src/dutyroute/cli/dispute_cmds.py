"""CLI commands for disputes and list versions: ``check-return`` (is a returned order justified, and
who instead) and ``diff`` (what a new version of the lists changes, and which incidents change route).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ..errors import InputError
from ._common import Commands, RecognizerOption, RulesOption, router_for
from .route_cmds import _parse_facts

if TYPE_CHECKING:
    from ..model.lists import Rulebook
    from ..model.returns import ReturnVerdict
    from ..tools.diff import Change

commands = Commands()
"""This module's commands, added to the app by :func:`register`."""

_KIND_CN = {
    "not_named": "清单未列退单单位",
    "another_department_acts": "属其他部门职责",
    "only_cooperates": "退单单位仅负责配合",
    "reclaimed": "事项已由上级部门收回",
    "outside_lists": "三张清单均未覆盖",
    "not_justified": "退单单位自身职责覆盖",
    "depends_on_fact": "取决于未说明的事实",
}


def print_verdict(v: ReturnVerdict, console: Any = None) -> None:
    """Print a return verdict for a person: justified or not, why, who instead, the clauses."""
    from rich.console import Console
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    console = console or Console()
    heads: dict[bool | None, str] = {
        True: "[bold green]退单成立 justified[/]",
        False: "[bold red]退单不成立 not justified[/]",
    }
    head = heads.get(v.justified, "[bold yellow]取决于事实 depends on a fact[/]")
    lines = [f"{head}   {_KIND_CN[v.kind]} ({v.kind})", f"退单单位 returned by: {escape(v.returned_by)}"]
    if v.reason:
        lines.append(f"退单理由 reason: {escape(v.reason)}")
    if v.basis:
        lines.append(f"事项 basis: {escape(v.basis)}")
    lines.append(escape(v.explanation))
    console.print(Panel("\n".join(lines), title="dutyroute check-return", expand=False))
    if v.instead:
        t = Table(title="应由 instead")
        for col in ("matter", "acting", "cooperating", "reclaimed", "basis"):
            t.add_column(col)
        for r in v.instead:
            t.add_row(
                r.matter,
                "、".join(r.acting),
                "、".join(r.cooperating),
                "是" if r.reclaimed else "否",
                r.basis,
            )
        console.print(t)
    if v.depends_on is not None:
        t = Table(title=f"追问 {v.depends_on.question}")
        for col in ("answer", "matter", "acting", "return"):
            t.add_column(col)
        for o in v.depends_on.options:
            t.add_row(
                o.label or o.value,
                o.route.matter,
                "、".join(o.route.acting),
                "成立" if o.justified else "不成立",
            )
        console.print(t)
    if v.clauses:
        t = Table(title="依据条款 deciding clauses")
        for col in ("matter", "body", "relation", "clause"):
            t.add_column(col)
        for c in v.clauses[:12]:
            t.add_row(c.matter, c.body, c.relation, c.text)
        console.print(t)


@commands.command("check-return")
def check_return(
    text: Annotated[str, typer.Argument(help="The incident as the order described it.", show_default=False)],
    returned_by: Annotated[
        str,
        typer.Option(
            "--returned-by",
            help="The body that returned it (canonical name, alias or close spelling).",
            show_default=False,
        ),
    ],
    reason: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--reason", help="Its stated reason: 属地不符, 职能不符, 权属不清, 职能交叉 or free text."
        ),
    ] = None,
    facts: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--facts", help="Deciding facts NAME=VALUE (e.g. road_class=县道); repeatable."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
    recognizer: RecognizerOption = None,
    rules: RulesOption = None,
) -> None:
    """Is a returned order (退单) justified by the lists, and who must act instead.

    Kinds: not_named, another_department_acts, only_cooperates, reclaimed, outside_lists (justified);
    not_justified (its own clauses cover it: they are printed); depends_on_fact (the verdict under
    each answer). Body names go through the usual aliases and "did you mean".
    """
    router = router_for(rules, recognizer)
    v = router.check_return(text, returned_by, reason=reason, facts=_parse_facts(facts) or None)
    if as_json:
        typer.echo(json.dumps(v.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print_verdict(v)


def _side(path: Path, what: str) -> Rulebook:
    """A rulebook from a list text (compiled in memory) or a rulebook / rules folder."""
    from ..store.bundle import locate
    from ..store.compile import compile_rulebook
    from ..store.rulebook import load_rulebook

    if not path.exists():
        raise InputError(f"{what} {path}: no such file or folder; give a list text or a rulebook folder")
    if path.is_dir():
        return load_rulebook(locate(path, label=what).rulebook_dir)
    return compile_rulebook(path)


def _incidents(paths: list[Path]) -> Iterator[tuple[str, str]]:
    from ..tools.batch_io import iter_jsonl

    for p in paths:
        files = sorted(p.rglob("*.jsonl")) if p.is_dir() else [p]
        for f in files:
            for item in iter_jsonl(f):
                v = item.value
                if item.error is None and isinstance(v, dict) and isinstance(v.get("text"), str):
                    yield f"{f.name}:{v.get('id', item.line)}", v["text"]


def _default_incidents() -> list[Path]:
    from ..store.resources import corpus_dir

    root = Path(__file__).resolve().parents[3]
    out = [p for p in (root / "examples" / "incidents.jsonl",) if p.exists()]
    try:
        corpus = corpus_dir()
        if any(corpus.glob("*.jsonl")):
            out.append(corpus)
    except FileNotFoundError:
        pass
    return out


@commands.command()
def diff(
    old: Annotated[
        Path, typer.Argument(help="The old version: a list text or a rulebook folder.", show_default=False)
    ],
    new: Annotated[
        Path, typer.Argument(help="The new version: a list text or a rulebook folder.", show_default=False)
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help='Print {"changes": [...], "impact": {...}}.')
    ] = False,
    incidents: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option(
            "--incidents",
            help="JSONL files or folders of incidents to route with both versions (default: the bundled "
            "corpus and examples/incidents.jsonl); repeatable.",
        ),
    ] = None,
    no_impact: Annotated[bool, typer.Option("--no-impact", help="Only the changes; route nothing.")] = False,
    rules: RulesOption = None,
    recognizer: RecognizerOption = None,
) -> None:
    """What a new version of the lists changes, matter by matter, and which incidents change route.

    Kinds: added, removed, moved (another list), renumbered (same content, new 序号), retitled,
    clauses_changed (with a character diff: [-removed-] {+added+}), departments_changed,
    receivers_changed, category_changed; unchanged matters give nothing. The routing impact routes
    the incidents with both versions as production does (rule files of --rules and the recognizer,
    its classes paired with each version's rows by content) and lists each whose route changes,
    before → after — an incident of a row that was only renumbered or moved keeps its route;
    routing rules that name matters the new version lacks are set aside for it and named.
    """
    from ..errors import RuleFileError
    from ..routing.recognizer import Recognizer
    from ..routing.router import Router
    from ..store.rules import load_rules
    from ..tools.diff import diff_rulebooks, fit_rules, matter_pairing, routing_impact, summary

    before, after = _side(old, "OLD"), _side(new, "NEW")
    changes = diff_rulebooks(before, after)
    impact: dict[str, Any] = {"routed": 0, "changed": []}
    if not no_impact:
        rule_set = load_rules(rules) if rules is not None else load_rules()
        try:
            old_rules, _ = fit_rules(rule_set, before)
            new_rules, set_aside = fit_rules(rule_set, after)
            rec: Recognizer | str | None = "bundled"
            if recognizer is not None:
                rec = None if recognizer.strip().lower() == "none" else Recognizer.load(recognizer)
            r_old = Router(before, old_rules, recognizer=rec)  # type: ignore[arg-type]
            r_new = Router(after, new_rules, recognizer=rec)  # type: ignore[arg-type]
            n, moved = routing_impact(
                r_old,
                r_new,
                _incidents(incidents or _default_incidents()),
                matter_pairing(before, after),
            )
            impact = {"routed": n, "changed": [c.to_dict() for c in moved], "rules_set_aside": set_aside}
        except RuleFileError as exc:
            impact = {
                "routed": 0,
                "changed": [],
                "error": f"the rule files do not fit the new version: {exc}",
            }
    if as_json:
        data = {"changes": [c.to_dict() for c in changes], "summary": summary(changes), "impact": impact}
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_diff(changes, impact)


def _print_diff(changes: list[Change], impact: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ..tools.diff import summary

    console = Console()
    if not changes:
        console.print("no changes: the two versions have the same matters with the same content")
    else:
        t = Table(
            title=f"{len(changes)} changes: " + ", ".join(f"{k} {v}" for k, v in summary(changes).items())
        )
        for col in ("matter", "kind", "detail"):
            t.add_column(col)
        for c in changes:
            detail = {
                k: v
                for k, v in c.detail.items()
                if k not in ("old_title", "new_title") or c.kind != "retitled"
            }
            shown = detail.get("diff") or json.dumps(detail, ensure_ascii=False)
            t.add_row(c.matter, c.kind, escape(str(shown)[:300]))
        console.print(t)
    if "error" in impact:
        console.print(f"[yellow]routing impact not computed: {escape(impact['error'])}[/]")
        return
    moved = impact["changed"]
    console.print(f"routing impact: {len(moved)} of {impact['routed']} incidents change route")
    if impact.get("rules_set_aside"):
        console.print(
            "[yellow]routing rules naming matters the new version lacks (set aside for the impact; "
            f"update rules/routing.yaml): {escape(', '.join(impact['rules_set_aside']))}[/]"
        )
    if moved:
        t = Table()
        for col in ("incident", "text", "before", "after"):
            t.add_column(col)
        for m in moved[:50]:
            b, a = m["before"], m["after"]
            t.add_row(
                m["id"],
                escape(m["text"][:40]),
                f"{b['status']} {b['matter'] or ''} {'、'.join(b['acting'])}",
                f"{a['status']} {a['matter'] or ''} {'、'.join(a['acting'])}",
            )
        console.print(t)


def register(app: typer.Typer) -> None:
    """Add ``check-return`` and ``diff`` to the app."""
    commands.register(app)
