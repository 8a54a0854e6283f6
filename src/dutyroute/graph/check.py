"""The graph's invariants, as :class:`~dutyroute.graph.records.Violation` records (``dutyroute lint``
prints the same records)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import networkx as nx

from ..model.duties import ACTING_RELATIONS, ALLOWED_RELATIONS, Relation
from ..model.lists import BodyKind, ListKind, Rulebook
from .build import _Bodies
from .records import Violation

# ---------------------------------------------------------------------------------------------
# Invariants


def _matter_ref(g: nx.DiGraph, node: str) -> dict[str, Any]:
    a = g.nodes[node]
    return {"matter": a.get("id"), "source_line": a.get("source_line"), "jurisdiction": a.get("jurisdiction")}


def check_graph(g: nx.DiGraph, rulebooks: Sequence[Rulebook] = ()) -> list[Violation]:
    """Every integrity violation of a responsibility graph, as data, in a stable order.

    Checks the issue's invariants: every matter has an acting edge (``acts``, ``leads`` or
    ``receives``); every cooperative matter has ≥ 1 ``leads`` and exactly the township
    ``cooperates``; a reclaimed matter never has the township acting and has ≥ 1 ``receives``;
    only relations its list allows; the graph is bipartite; every edge ends in a known body.
    With ``rulebooks``, also that every basic matter's role id resolves (a body's parent is
    checked when the graph is built: :class:`~dutyroute.model.bodies.BodyRegistry` raises).

    Args:
        g: a graph from :func:`build_graph` (possibly edited since).
        rulebooks: the rulebooks it was built from, for the name checks.

    Returns:
        Violations sorted by jurisdiction, matter order, code; empty when the lists are sound.
        Nothing is printed and nothing raised.
    """
    side = nx.get_node_attributes(g, "bipartite")
    out = _bipartite(g, side)
    for node, attrs in g.nodes(data=True):
        if attrs.get("bipartite") == 0:
            out.extend(_matter_violations(g, side, node, attrs))
    for rb in rulebooks:
        out.extend(_check_names(rb))
    order = {n: i for i, n in enumerate(g.nodes)}
    mnode = {
        (a.get("jurisdiction"), a.get("id")): n for n, a in g.nodes(data=True) if a.get("bipartite") == 0
    }

    def key(v: Violation) -> tuple[str, int, str, str]:
        n = mnode.get((v.jurisdiction, v.matter))
        return (v.jurisdiction or "", order.get(n, -1) if n else -1, v.code, v.body or "")

    return sorted(out, key=key)


def _bipartite(g: nx.DiGraph, side: dict[Any, Any]) -> list[Violation]:
    """Every node has a side, every edge crosses sides."""
    out: list[Violation] = []
    for node in g.nodes:
        if side.get(node) not in (0, 1):
            out.append(Violation("not-bipartite", "error", f"node {node!r} is neither a matter nor a body"))
    for u, v in g.edges:
        if side.get(u) in (0, 1) and side.get(u) == side.get(v):
            what = "matters" if side[u] == 0 else "bodies"
            out.append(
                Violation(
                    "not-bipartite",
                    "error",
                    f"edge {u!r} → {v!r} joins two {what}; edges must join a body to a matter",
                    matter=g.nodes[v].get("id") if side[v] == 0 else None,
                    body=g.nodes[u].get("name") if side[u] == 1 else None,
                )
            )
    if not out and g.number_of_nodes() and not nx.is_bipartite(g):  # pragma: no cover - belt and braces
        out.append(Violation("not-bipartite", "error", "the graph is not bipartite"))
    return out


def _matter_violations(
    g: nx.DiGraph, side: dict[Any, Any], node: str, attrs: dict[str, Any]
) -> list[Violation]:
    """One matter's edges: known bodies, allowed relations, someone acts, and its list's own rules."""
    ref = _matter_ref(g, node)
    mid = ref["matter"]
    try:
        lst = ListKind(attrs.get("list"))
    except ValueError:
        return [Violation("not-bipartite", "error", f"matter node {node!r} has no list", **ref)]
    out: list[Violation] = []
    by_rel: dict[Relation, list[str]] = defaultdict(list)
    for body in g.predecessors(node):
        if side.get(body) != 1:
            continue
        battrs = g.nodes[body]
        rel = Relation(g.edges[body, node]["relation"])
        by_rel[rel].append(body)
        name = battrs.get("name", body)
        if not battrs.get("known", False):
            out.append(
                Violation(
                    "unknown-body",
                    "error",
                    f"{mid} {attrs.get('title', '')}: {rel.value} edge from unknown body {name!r} "
                    "(add it, or an alias, to rules/bodies.yaml)",
                    body=name,
                    suggestions=tuple(battrs.get("suggestions", ())),
                    **ref,
                )
            )
        if rel not in ALLOWED_RELATIONS[lst]:
            msg = f"{mid}: a {lst.value} matter cannot have a {rel.value} edge (from {name})"
            out.append(Violation("relation-not-allowed", "error", msg, body=name, **ref))
    acting = [b for r in ACTING_RELATIONS for b in by_rel.get(r, [])]
    if not acting:
        msg = f"{mid} {attrs.get('title', '')}: no body acts on it (no acts, leads or receives edge)"
        out.append(Violation("orphan-matter", "error", msg, **ref))
    elif all(g.nodes[b].get("kind") == BodyKind.placeholder.value for b in acting):
        names = ", ".join(g.nodes[b]["name"] for b in acting)
        msg = f"{mid}: only placeholder bodies act on it ({names}); name a real body"
        out.append(Violation("placeholder-only", "warning", msg, **ref))
    if lst is ListKind.cooperative:
        out.extend(_cooperative(g, by_rel, mid, attrs, ref))
    if lst is ListKind.reclaimed:
        out.extend(_reclaimed(g, by_rel, acting, mid, attrs, ref))
    return out


def _cooperative(
    g: nx.DiGraph, by_rel: dict[Relation, list[str]], mid: str, attrs: dict[str, Any], ref: dict[str, Any]
) -> list[Violation]:
    """A cooperative matter has ≥ 1 county department and exactly the township cooperating."""
    out: list[Violation] = []
    if not by_rel.get(Relation.leads):
        out.append(
            Violation(
                "cooperative-without-lead",
                "error",
                f"{mid} {attrs.get('title', '')}: cooperative matter with no county department "
                "(对应上级部门 empty)",
                **ref,
            )
        )
    coop = by_rel.get(Relation.cooperates, [])
    if len(coop) != 1 or not _is_township(g, coop[0]):
        who = ", ".join(g.nodes[b].get("name", b) for b in coop) or "nobody"
        out.append(
            Violation(
                "cooperative-township",
                "error",
                f"{mid} {attrs.get('title', '')}: cooperating bodies must be exactly the township, "
                f"found {who} (乡镇配合职责 missing?)",
                body=None if not coop else g.nodes[coop[0]].get("name"),
                **ref,
            )
        )
    return out


def _reclaimed(
    g: nx.DiGraph,
    by_rel: dict[Relation, list[str]],
    acting: list[str],
    mid: str,
    attrs: dict[str, Any],
    ref: dict[str, Any],
) -> list[Violation]:
    """A reclaimed matter never has the township acting and has ≥ 1 receiving department."""
    out: list[Violation] = []
    townships = {b for b in acting + by_rel.get(Relation.cooperates, []) if _is_township(g, b)}
    for b in sorted(townships - set(by_rel.get(Relation.cooperates, []))):
        out.append(
            Violation(
                "reclaimed-township-acts",
                "error",
                f"{mid}: reclaimed matter, but the township {g.nodes[b]['name']} acts on it",
                body=g.nodes[b]["name"],
                **ref,
            )
        )
    if not by_rel.get(Relation.receives):
        out.append(
            Violation(
                "reclaimed-without-receiver",
                "error",
                f"{mid} {attrs.get('title', '')}: reclaimed matter with no receiving department (承接部门)",
                **ref,
            )
        )
    return out


def _is_township(g: nx.DiGraph, node: str) -> bool:
    return bool(g.nodes[node].get("kind") == BodyKind.township.value)


def _check_names(rb: Rulebook) -> Iterator[Violation]:
    bodies = _Bodies(rb.bodies)
    key = rb.jurisdiction.key
    for m in rb.matters:
        if m.role is None:
            continue
        role = bodies.by_id.get(m.role)
        if role is None:
            role, _ = bodies.resolve(m.role)
        if role is None:
            yield Violation(
                "unresolved-name",
                "error",
                f"{m.id}: township role {m.role!r} is no body (see rules/{key}/roles)",
                matter=m.id,
                body=m.role,
                source_line=m.source_line,
                jurisdiction=key,
                suggestions=tuple(c for c, _ in bodies.suggest(m.role)),
            )
