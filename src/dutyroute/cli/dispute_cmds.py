"""CLI commands for disputes: ``check-return`` (is a returned order justified, and who instead)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ._common import Commands, RulesOption, router_for
from .route_cmds import _parse_facts

if TYPE_CHECKING:
    from ..model.returns import ReturnVerdict

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
    rules: RulesOption = None,
) -> None:
    """Is a returned order (退单) justified by the lists, and who must act instead.

    Kinds: not_named, another_department_acts, only_cooperates, reclaimed, outside_lists (justified);
    not_justified (its own clauses cover it: they are printed); depends_on_fact (the verdict under
    each answer). Body names go through the usual aliases and "did you mean".
    """
    router = router_for(rules)
    v = router.check_return(text, returned_by, reason=reason, facts=_parse_facts(facts) or None)
    if as_json:
        typer.echo(json.dumps(v.model_dump(mode="json"), ensure_ascii=False, indent=2))
    else:
        print_verdict(v)


def register(app: typer.Typer) -> None:
    """Add ``check-return`` to the app."""
    commands.register(app)
