"""CLI commands over the responsibility graph: ``who``, ``matter``, ``graph export|draw|workload|shared``.

Every command loads a rulebook (the bundled one unless ``--rules DIR``), builds the graph
(:class:`dutyroute.graph.ResponsibilityGraph`) and prints a rich table, or JSON with ``--json``.
Unknown names and ids raise :class:`~dutyroute.errors.NotFoundError` (one line on stderr, exit 2,
with suggestions); a close misspelling of a body is accepted with a "did you mean" note on stderr.
"""

from __future__ import annotations

import json
import sys
import warnings
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ..errors import InputError
from ._common import Commands, RulesOption, check_output, plural, rulebook_for

if TYPE_CHECKING:
    from ..graph import BodyMatch, Link, ResponsibilityGraph
    from ..model.lists import Body, Matter, Rulebook

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


class RelationChoice(str, Enum):
    acts = "acts"
    leads = "leads"
    cooperates = "cooperates"
    receives = "receives"
    reclaimed_from = "reclaimed_from"


_KIND_LABELS = {
    "township": "乡镇",
    "township_role": "乡镇科室",
    "county_department": "县级部门",
    "city_department_branch": "市派分局",
    "party_organ": "党委机构",
    "peoples_organization": "群团组织",
    "state_enterprise": "国有企业",
    "sub_unit": "内设单位",
    "placeholder": "泛指部门",
    "unknown": "未知",
}


class ExportFormat(str, Enum):
    json = "json"
    graphml = "graphml"


commands = Commands()
"""This module's commands, added to the app by :func:`register`."""


def _graph(rules: Path | None) -> ResponsibilityGraph:
    from ..graph import ResponsibilityGraph

    return ResponsibilityGraph(rulebook_for(rules))


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _note_match(match: BodyMatch) -> None:
    """Tell the user on stderr how a name they typed was understood (alias, or fuzzy)."""
    if match.how == "alias":
        _err(f"note: {match.query!r} is another name of {match.body.name}")
    elif match.how == "fuzzy":
        _err(
            f"note: no body is called {match.query!r}; did you mean {match.body.name}? "
            f"showing {match.body.name} (similarity {match.score:.0f}/100)"
        )


def _console() -> Any:
    from rich.console import Console

    return Console(soft_wrap=False)


def _dump(data: object) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _clause_text(clauses: tuple[str, ...]) -> str:
    from rich.markup import escape

    if len(clauses) == 1:
        return escape(clauses[0])
    return "\n".join(f"{i}．{escape(c)}" for i, c in enumerate(clauses, 1))  # full-width: no break after it


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


graph_app = typer.Typer(
    help="The matter ↔ body responsibility graph: export, draw, workload, shared matters.",
    no_args_is_help=True,
)


@commands.command()
def who(
    name: Annotated[
        str, typer.Argument(help="Body name: canonical (县应急管理局), alias, or close spelling.")
    ],
    relation: Annotated[
        Optional[RelationChoice],  # noqa: UP045
        typer.Option("--relation", "-r", help="Only this relation."),
    ] = None,
    clauses: Annotated[
        bool, typer.Option("--clauses", "-c", help="Show the body's own clauses for each matter.")
    ] = False,
    as_json: JsonOption = False,
    rules: RulesOption = None,
) -> None:
    """The matters a body is answerable for, grouped by relation (acts, leads, cooperates, receives …).

    A township role (综合行政执法队) lists the basic matters its office acts on; a sub-unit
    (县交通警察大队) the links of its parent that name it.
    """

    rg = _graph(rules)
    match = rg.resolve_body(name)
    _note_match(match)
    links = rg.matters_of(match.body, relation.value if relation else None)
    if as_json:
        from ..graph.records import who_record

        _dump(who_record(match, links))
        return
    _who_tables(rg, match.body.name, match.body.kind.value, links, clauses)


@commands.command()
def matter(
    matter_id: Annotated[str, typer.Argument(help="Matter id: B96, C40, R50 (or xiaojingzhuang:C40).")],
    as_json: JsonOption = False,
    rules: RulesOption = None,
) -> None:
    """The full record of one matter: every body's relation and clauses, the township's, the basis.

    A matter's exact title (事项名称) is accepted too; anything else unknown is an error that
    suggests matters by id or by title.
    """
    rg = _graph(rules)
    matter_id = _matter_id(rg, matter_id)
    rb, m = rg.matter(matter_id)
    links = rg.bodies_of(matter_id)
    if as_json:
        _dump(
            {
                "jurisdiction": rb.jurisdiction.key,
                "basis": rb.basis(m),
                "rulebook_hash": rb.hash,
                "matter": m.model_dump(mode="json"),
                "links": [lk.to_dict() for lk in links],
            }
        )
        return
    _matter_record(rb, m, links)


@graph_app.command("export")
def export(
    fmt: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="json: node-link JSON; graphml: GraphML.")
    ] = ExportFormat.json,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="File to write; default stdout."),
    ] = None,
    rules: RulesOption = None,
) -> None:
    """Export the whole graph: matters (bipartite=0), bodies (bipartite=1), links (relation, clauses)."""
    if output is not None:
        check_output(output, option="--output")
    rg = _graph(rules)
    if fmt is ExportFormat.json:
        text = json.dumps(rg.node_link(), ensure_ascii=False, indent=1)
        if output is None:
            typer.echo(text)
        else:
            output.write_text(text + "\n", encoding="utf-8")
    elif output is None:
        rg.write_graphml(sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        rg.write_graphml(output)
    if output is not None:
        g = rg.graph
        matters = sum(1 for _, a in g.nodes(data=True) if a.get("bipartite") == 0)
        _err(
            f"wrote {output} ({plural(matters, 'matter')}, "
            f"{plural(g.number_of_nodes() - matters, 'body', 'bodies')}, "
            f"{plural(g.number_of_edges(), 'link')})"
        )


@graph_app.command("draw")
def draw(
    output: Annotated[Path, typer.Option("--output", "-o", help="Picture file: .svg, .png or .pdf.")],
    body: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--body", "-b", help="Draw this body, its matters and their other bodies."),
    ] = None,
    matter_id: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--matter", "-m", help="Draw this matter and its bodies."),
    ] = None,
    relation: Annotated[
        Optional[RelationChoice],  # noqa: UP045
        typer.Option("--relation", "-r", help="With --body: only its matters of this relation."),
    ] = None,
    label_chars: Annotated[int, typer.Option(help="Longest label, in characters.", min=6)] = 20,
    rules: RulesOption = None,
) -> None:
    """Draw one body's or one matter's neighbourhood: matters coloured by list, edges by relation."""
    from ..graph import draw_neighbourhood

    if (body is None) == (matter_id is None):
        raise typer.BadParameter("give exactly one of --body or --matter")
    if output.suffix.lower() not in {".svg", ".png", ".pdf"}:
        raise typer.BadParameter(f"{output.name}: use a .svg, .png or .pdf file name", param_hint="--output")
    check_output(output, option="--output")
    rg = _graph(rules)
    target = None
    if body is not None:
        match = rg.resolve_body(body)
        _note_match(match)
        target = match.body
        _check_has_links(rg, target, relation.value if relation else None)
    else:
        assert matter_id is not None
        matter_id = _matter_id(rg, matter_id)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw_neighbourhood(
            rg,
            output,
            body=target,
            matter=matter_id,
            relation=relation.value if relation else None,
            label_chars=label_chars,
        )
    for w in caught:
        _err(f"warning: {w.message}")
    _err(f"wrote {output}")


@graph_app.command("workload")
def workload(
    as_json: JsonOption = False,
    all_bodies: Annotated[bool, typer.Option("--all", help="Include bodies with no matters.")] = False,
    rules: RulesOption = None,
) -> None:
    """How many matters each body acts on, leads (牵头 first), cooperates on, receives."""
    from rich.table import Table

    rows = [w for w in _graph(rules).workload() if all_bodies or w.total or w.reclaimed_from]
    if as_json:
        _dump([w.to_dict() for w in rows])
        return
    from rich import box

    table = Table(title="Matters per body", box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("body", overflow="fold")
    table.add_column("kind", overflow="fold")
    for col in ("acts", "leads", "牵头", "coop", "recv", "lost", "total"):
        table.add_column(col, justify="right")
    table.caption = (
        "acts: basic matters (乡镇履职); leads: cooperative matters with duties (部门职责), "
        "牵头 = listed first; coop: 乡镇配合; recv: reclaimed matters received (承接); "
        "lost: reclaimed from the township"
    )
    for w in rows:
        table.add_row(
            w.body,
            _KIND_LABELS.get(w.kind, w.kind),
            *(str(v) for v in (w.acts, w.leads, w.lead_first, w.cooperates, w.receives, w.reclaimed_from)),
            str(w.total),
        )
    _console().print(table)


@graph_app.command("shared")
def shared(
    body_a: Annotated[str, typer.Argument(help="First body.")],
    body_b: Annotated[str, typer.Argument(help="Second body.")],
    as_json: JsonOption = False,
    rules: RulesOption = None,
) -> None:
    """The matters two bodies are both linked to, with each one's relation."""
    from rich.table import Table

    rg = _graph(rules)
    a, b = rg.resolve_body(body_a), rg.resolve_body(body_b)
    _note_match(a)
    _note_match(b)
    pairs = rg.shared(a.body, b.body)
    if as_json:
        _dump(
            [
                {
                    "matter": la.matter,
                    "title": la.title,
                    "list": la.list.value,
                    a.body.name: la.to_dict(),
                    b.body.name: lb.to_dict(),
                }
                for la, lb in pairs
            ]
        )
        return
    table = Table(title=f"{a.body.name} ∩ {b.body.name}: {plural(len(pairs), 'shared matter')}")
    for col in ("matter", "title", a.body.name, b.body.name):
        table.add_column(col)
    for la, lb in pairs:
        table.add_row(
            la.matter,
            _esc(la.title),
            la.relation.value + (" (牵头)" if la.lead else ""),
            lb.relation.value + (" (牵头)" if lb.lead else ""),
        )
    _console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``who``, ``matter`` and the ``graph`` group to the app."""
    commands.register(app)
    app.add_typer(graph_app, name="graph")


def _matter_id(rg: ResponsibilityGraph, value: str) -> str:
    """``value`` if it is a matter id; the id of the one matter titled exactly ``value`` (with a
    note on stderr); else :class:`NotFoundError` suggesting matters by id or title."""
    from ..errors import NotFoundError
    from ..model.lists import suggest_matters

    try:
        rg.matter(value)
        return value
    except NotFoundError:
        pass
    titled = [(rb, m) for rb in rg.rulebooks for m in rb.matters if m.title == value.strip()]
    if len(titled) == 1:
        _err(f"note: {value!r} is the title of {titled[0][1].id}")
        return titled[0][1].id
    suggestions = [s for rb in rg.rulebooks for s in suggest_matters(rb, value)]
    raise NotFoundError("matter", value, suggestions[:3])


def _check_has_links(rg: ResponsibilityGraph, body: Body, relation: str | None) -> None:
    """Refuse to draw an empty picture: the body must have links (of ``relation``, if given).

    Raises:
        InputError: naming the relations the body does have, and what to pass instead.
    """
    links = rg.matters_of(body)
    counts: dict[str, int] = {}
    for lk in links:
        counts[lk.relation.value] = counts.get(lk.relation.value, 0) + 1
    if (relation is None and links) or relation in counts:
        return
    if not counts:
        raise InputError(
            f"--body {body.name}: it is linked to no matter of {_townships(rg)}; nothing to draw"
        )
    has = ", ".join(f"{rel} ({n})" for rel, n in counts.items())
    raise InputError(
        f"--relation {relation}: {body.name} has no {relation!r} links, only {has}; "
        f"pass --relation {next(iter(counts))} or leave --relation out"
    )


def _who_tables(rg: ResponsibilityGraph, name: str, kind: str, links: list[Link], clauses: bool) -> None:
    from rich.table import Table

    from ..graph import Relation

    console = _console()
    if not links:
        console.print(f"{name} ({kind}) is linked to no matter of {_townships(rg)}.")
        return
    console.print(f"[bold]{name}[/bold] ({kind}): {plural(len(links), 'matter')} in {_townships(rg)}")
    for rel in Relation:
        group = [lk for lk in links if lk.relation is rel]
        if not group:
            continue
        leads = sum(lk.lead for lk in group)
        extra = f", 牵头 on {leads}" if rel is Relation.leads else ""
        table = Table(
            title=f"{rel.value} · {rel.label} — {plural(len(group), 'matter')}{extra}", title_justify="left"
        )
        table.add_column("matter", no_wrap=True)
        table.add_column("category", no_wrap=True)
        table.add_column("title", overflow="fold")
        if rel is Relation.leads:
            table.add_column("牵头", justify="center")
        if rel is Relation.acts:
            table.add_column("office")
        if any(lk.units for lk in group):
            table.add_column("unit")
        if clauses and rel is not Relation.acts and rel is not Relation.reclaimed_from:
            table.add_column("clauses", overflow="fold")
        for lk in group:
            _, m = rg.matter(lk.matter_node)
            row = [lk.matter, _esc(m.category), _esc(lk.title)]
            if rel is Relation.leads:
                row.append("★" if lk.lead else "")
            if rel is Relation.acts:
                row.append(lk.role or "")
            if any(x.units for x in group):
                row.append("、".join(lk.units))
            if clauses and rel is not Relation.acts and rel is not Relation.reclaimed_from:
                row.append(_clause_text(lk.clauses))
            table.add_row(*row)
        console.print(table)


def _townships(rg: ResponsibilityGraph) -> str:
    return " / ".join(rb.jurisdiction.township for rb in rg.rulebooks)


def _matter_record(rb: Rulebook, m: Matter, links: list[Link]) -> None:
    from rich.panel import Panel
    from rich.table import Table

    console = _console()
    head = [
        f"[bold]{m.id}[/bold]  {_esc(m.title)}",
        f"list: {m.list.label} ({m.list.value}), 第{m.seq}项    category: {m.category or '—'}",
        f"basis (派单依据): {_esc(rb.basis(m))}",
        f"source: {rb.source or 'list text'} line {m.source_line}    rulebook {rb.hash}",
    ]
    console.print(Panel("\n".join(head), title=f"{rb.jurisdiction.township} · matter {m.id}", expand=False))
    table = Table(show_lines=True)
    table.add_column("body", no_wrap=True)
    table.add_column("relation", no_wrap=True)
    table.add_column("clauses", overflow="fold")
    for lk in links:
        who = lk.body + (" ★牵头" if lk.lead else "")
        if lk.units:
            who += f"\n（{'、'.join(lk.units)}）"
        if not lk.known:
            who += "\n[red]unknown body[/red]"
        written = [w for w in lk.as_written if w != lk.body]
        if written:
            who += "\n[dim]written: " + " / ".join(written) + "[/dim]"
        if lk.relation.value == "acts":
            text = f"office: {lk.role}" if lk.role else "[dim]office not assigned[/dim]"
        elif lk.relation.value == "reclaimed_from":
            text = "[dim]reclaimed by the county: the township no longer acts[/dim]"
        else:
            text = _clause_text(lk.clauses) or "[dim](no clauses in the list)[/dim]"
        table.add_row(who, f"{lk.relation.value}\n{lk.relation.label}", text)
    console.print(table)
