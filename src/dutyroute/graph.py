"""The responsibility graph: matters ↔ bodies, with the clauses that ground every link.

A :class:`~dutyroute.models.Rulebook` becomes a bipartite :class:`networkx.DiGraph` (edges run
body → matter) in one call, :func:`build_graph`, cheap enough to build when a router is created
(about a millisecond per hundred matters). :class:`ResponsibilityGraph` wraps it with typed
queries — the bodies of a matter, the matters of a body, the matters two bodies share, a workload
table — and :meth:`ResponsibilityGraph.check` returns the lists' integrity violations as
:class:`Violation` records (``dutyroute lint`` prints the same records).

Nodes (ids are namespaced by jurisdiction so several townships can share one graph):

- matter ``xiaojingzhuang:C40`` — ``bipartite=0``, ``type="matter"``, ``id``, ``list``
  (basic | cooperative | reclaimed), ``seq``, ``category``, ``title``, ``source_line``,
  ``jurisdiction`` (the rulebook's key);
- body — ``bipartite=1``, ``type="body"``, ``id``, ``name`` (canonical), ``kind``
  (:class:`~dutyroute.models.BodyKind` value, ``"unknown"`` for a name nothing resolves),
  ``known``, ``parent``, ``units`` (sub-units folded into it). The township and its roles are
  namespaced by the township (``xiaojingzhuang:township``); county-level bodies by the county
  (``左云县:county.public_security``), so the townships of one county share them.

Edges (body → matter), attribute ``relation`` (:class:`Relation`) and ``clauses`` (the
clause texts that ground it, exactly as in the list):

- ``acts``: township → basic matter; ``role`` / ``role_id`` name the township office that acts
  (from ``Matter.role``);
- ``leads``: each county department of a cooperative matter → the matter, with that department's
  上级部门职责 clauses; ``lead=True`` on the first department listed in 对应上级部门 (牵头);
  ``listed`` says whether the department is in that column (a duty block without a listing
  still gets its edge, so nothing is dropped);
- ``cooperates``: township → cooperative matter, with the 乡镇配合职责 clauses (only when the row
  has such clauses: a row without them is a violation, not a silent edge);
- ``receives``: receiving department (承接部门) → reclaimed matter, with its 履职方式 clauses;
- ``reclaimed_from``: township → reclaimed matter (the township no longer acts; kept so "what did
  we lose" is a query).

A sub-unit (``县交通警察大队``, kind ``sub_unit``) is folded into its parent body: the edge goes to
the parent (``县公安局``) and names the unit in ``units``. Every edge also keeps ``as_written``,
the body's spellings in the list.

Source: the three official lists (基本 / 配合 / 上级部门收回 履职事项清单) as compiled into the rulebook.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Literal

import networkx as nx

from .bodies import BodyRegistry, name_key
from .errors import LookupFailed
from .models import Body, BodyKind, Jurisdiction, ListKind, Matter, Rulebook

__all__ = [
    "ACTING_RELATIONS",
    "BodyMatch",
    "Link",
    "Relation",
    "ResponsibilityGraph",
    "Violation",
    "Workload",
    "body_node_id",
    "build_graph",
    "check_graph",
    "matter_node_id",
]


class Relation(str, Enum):
    """How a body stands to a matter (the edge label)."""

    acts = "acts"  # township → basic matter (基本履职事项)
    leads = "leads"  # county department → cooperative matter (上级部门职责); first listed is 牵头
    cooperates = "cooperates"  # township → cooperative matter (乡镇配合职责)
    receives = "receives"  # receiving department (承接部门) → reclaimed matter (履职方式)
    reclaimed_from = "reclaimed_from"  # township → reclaimed matter: taken away, no longer acts

    @property
    def label(self) -> str:
        """Short Chinese label, e.g. ``承接`` for receives."""
        return RELATION_LABELS[self]


RELATION_LABELS: dict[Relation, str] = {
    Relation.acts: "乡镇履职",
    Relation.leads: "部门职责",
    Relation.cooperates: "乡镇配合",
    Relation.receives: "承接",
    Relation.reclaimed_from: "已收回",
}

#: Relations that make a body answerable for a matter: a matter needs at least one of them.
ACTING_RELATIONS: frozenset[Relation] = frozenset({Relation.acts, Relation.leads, Relation.receives})

#: The relations each list allows (anything else on a matter is a violation).
ALLOWED_RELATIONS: dict[ListKind, frozenset[Relation]] = {
    ListKind.basic: frozenset({Relation.acts}),
    ListKind.cooperative: frozenset({Relation.leads, Relation.cooperates}),
    ListKind.reclaimed: frozenset({Relation.receives, Relation.reclaimed_from}),
}

_TOWNSHIP_KINDS = frozenset({BodyKind.township, BodyKind.township_role})
UNKNOWN_KIND = "unknown"


# ---------------------------------------------------------------------------------------------
# Records returned by queries


@dataclass(frozen=True)
class Link:
    """One edge of the graph: a body's relation to a matter, with the clauses that ground it.

    Attributes:
        matter: matter id as in the list, e.g. ``C40``.
        matter_node: graph node id, e.g. ``xiaojingzhuang:C40``.
        list: the matter's list.
        title: the matter's 事项名称.
        body: the body's canonical name, e.g. ``县公安局`` (the name as written if unknown).
        body_node: graph node id of the body.
        relation: see :class:`Relation`.
        clauses: the clauses grounding the link (department duties, township duties, 履职方式),
            text exactly as in the list; empty for ``acts`` and ``reclaimed_from``.
        lead: True for the first department in 对应上级部门 (牵头) of a cooperative matter.
        listed: False for a department that has a duty block but is not in 对应上级部门.
        role: for ``acts``, the township office that acts (e.g. ``综合行政执法队``), or None.
        units: sub-units of the body named for this matter (``县交通警察大队``).
        as_written: the body's spellings in the list row.
        known: False when the body name resolves to no body of the rulebook.
    """

    matter: str
    matter_node: str
    list: ListKind
    title: str
    body: str
    body_node: str
    relation: Relation
    clauses: tuple[str, ...] = ()
    lead: bool = False
    listed: bool = True
    role: str | None = None
    units: tuple[str, ...] = ()
    as_written: tuple[str, ...] = ()
    known: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (enums as their values, tuples as lists)."""
        d = asdict(self)
        d["list"] = self.list.value
        d["relation"] = self.relation.value
        for k in ("clauses", "units", "as_written"):
            d[k] = list(d[k])
        return d


@dataclass(frozen=True)
class Workload:
    """How many matters one body carries, by relation (one row of :meth:`ResponsibilityGraph.workload`).

    Counts are numbers of matters (0 or more). ``lead_first`` counts the cooperative matters where
    the body is listed first (牵头), a subset of ``leads``. For a township role, ``acts`` counts the
    basic matters its office acts on (a subset of the township's).
    """

    body: str
    kind: str
    acts: int = 0
    leads: int = 0
    lead_first: int = 0
    cooperates: int = 0
    receives: int = 0
    reclaimed_from: int = 0

    @property
    def total(self) -> int:
        """Matters the body acts on, leads, cooperates on or receives (reclaimed_from not counted)."""
        return self.acts + self.leads + self.cooperates + self.receives

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, with ``total``."""
        return {**asdict(self), "total": self.total}


ViolationCode = Literal[
    "orphan-matter",
    "placeholder-only",
    "cooperative-without-lead",
    "cooperative-township",
    "reclaimed-township-acts",
    "reclaimed-without-receiver",
    "relation-not-allowed",
    "not-bipartite",
    "unknown-body",
    "unresolved-name",
]


@dataclass(frozen=True)
class Violation:
    """One breach of the lists' integrity, as data.

    Attributes:
        code: stable kebab-case code:

            - ``orphan-matter``: no ``acts``, ``leads`` or ``receives`` edge — nobody must act;
            - ``placeholder-only`` (warning): every acting body is a placeholder
              (``其他…相关部门``), not one real body;
            - ``cooperative-without-lead``: a cooperative matter with no county department;
            - ``cooperative-township``: a cooperative matter whose cooperating bodies are not
              exactly the township (missing 乡镇配合职责, or another body cooperating);
            - ``reclaimed-township-acts``: the township acts on (or leads, or receives) a
              reclaimed matter;
            - ``reclaimed-without-receiver``: a reclaimed matter with no 承接部门;
            - ``relation-not-allowed``: an edge whose relation the matter's list does not allow
              (e.g. ``acts`` on a cooperative matter);
            - ``not-bipartite``: an edge between two matters or two bodies, or a node with no side;
            - ``unknown-body``: an edge ends in a body that is not in the rulebook's bodies;
            - ``unresolved-name``: a basic matter's role id that no body of the rulebook has.
        severity: ``error`` (the rulebook must not ship) or ``warning``.
        message: one line for people, naming the matter and body (suggestions are not in it:
            front ends add them from ``suggestions``).
        matter: matter id (``C40``) the violation is about, or None.
        body: body name (as written, for unknown ones) the violation is about, or None.
        source_line: the matter's line in the list text, or None.
        jurisdiction: the rulebook's key, e.g. ``xiaojingzhuang``.
        suggestions: closest known body names, for ``unknown-body`` / ``unresolved-name``.
    """

    code: ViolationCode
    severity: Literal["error", "warning"]
    message: str
    matter: str | None = None
    body: str | None = None
    source_line: int | None = None
    jurisdiction: str | None = None
    suggestions: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        d = asdict(self)
        d["suggestions"] = list(self.suggestions)
        return d


@dataclass(frozen=True)
class BodyMatch:
    """How a body name asked for by a caller was resolved.

    Attributes:
        query: the name as asked.
        body: the body found.
        how: ``exact`` (canonical name or id), ``alias`` (a listed alias), or ``fuzzy`` (closest
            name by rapidfuzz; show a "did you mean").
        score: similarity 0–100 (100 for exact and alias).
    """

    query: str
    body: Body
    how: Literal["exact", "alias", "fuzzy"]
    score: float = 100.0


# ---------------------------------------------------------------------------------------------
# Node ids


def matter_node_id(jurisdiction: Jurisdiction, matter_id: str) -> str:
    """Graph node id of a matter: ``<jurisdiction key>:<matter id>``, e.g. ``xiaojingzhuang:C40``."""
    return f"{jurisdiction.key}:{matter_id}"


def body_node_id(jurisdiction: Jurisdiction, body: Body) -> str:
    """Graph node id of a body.

    The township and its roles are namespaced by the township key (``xiaojingzhuang:township``);
    every other body by the county name (``左云县:county.public_security``), so the townships of
    one county share one node per county department.
    """
    scope = jurisdiction.key if body.kind in _TOWNSHIP_KINDS else jurisdiction.county
    return f"{scope}:{body.id}"


def _unknown_node_id(jurisdiction: Jurisdiction, name: str) -> str:
    return f"{jurisdiction.county}:unknown:{name}"


# ---------------------------------------------------------------------------------------------
# Names → bodies


class _Bodies:
    """One rulebook's bodies seen through :class:`~dutyroute.bodies.BodyRegistry` (the one place
    names, aliases and their normalisation live), plus lookup by id and scored suggestions."""

    def __init__(self, bodies: Iterable[Body]) -> None:
        self.registry = BodyRegistry(bodies)
        self.by_id: dict[str, Body] = {b.id: b for b in self.registry}

    def resolve(self, name: str) -> tuple[Body | None, Literal["exact", "alias", "none"]]:
        body = self.registry.get(name)
        if body is not None:
            return body, "exact" if name_key(body.name) == name_key(name) else "alias"
        if name in self.by_id:
            return self.by_id[name], "exact"
        return None, "none"

    def suggest(self, name: str, limit: int = 3) -> list[tuple[str, float]]:
        """Closest canonical names with their rapidfuzz WRatio (0–100), best first."""
        from rapidfuzz import fuzz

        return [(c, float(fuzz.WRatio(name, c))) for c in self.registry.suggest(name, limit)]


# ---------------------------------------------------------------------------------------------
# Building


class _Builder:
    def __init__(self, graph: nx.DiGraph, rulebook: Rulebook) -> None:
        self.g = graph
        self.rb = rulebook
        self.j = rulebook.jurisdiction
        self.bodies = _Bodies(rulebook.bodies)
        self.township = self._township()

    def _township(self) -> str:
        for b in self.rb.bodies:
            if b.kind is BodyKind.township and b.name == self.j.township:
                return self._body_node(b)
        for b in self.rb.bodies:
            if b.kind is BodyKind.township:
                return self._body_node(b)
        return self._unknown(self.j.township)

    def _body_node(self, body: Body) -> str:
        node = body_node_id(self.j, body)
        if node not in self.g:
            parent = self.bodies.by_id.get(body.parent) if body.parent else None
            self.g.add_node(
                node,
                bipartite=1,
                type="body",
                id=body.id,
                name=body.name,
                kind=body.kind.value,
                known=True,
                parent=parent.name if parent else None,
                units=(),
            )
        return node

    def _unknown(self, name: str) -> str:
        node = _unknown_node_id(self.j, name)
        if node not in self.g:
            self.g.add_node(
                node,
                bipartite=1,
                type="body",
                id=None,
                name=name,
                kind=UNKNOWN_KIND,
                known=False,
                parent=None,
                units=(),
                suggestions=tuple(c for c, _ in self.bodies.suggest(name)),
            )
        return node

    def _department(self, name: str, as_written: str = "", unit: str | None = None) -> tuple[str, str | None]:
        """Node of the body a list names, and the sub-unit it names (folded into its parent)."""
        body, _ = self.bodies.resolve(name)
        if body is None:
            return self._unknown(name), None
        if body.kind is BodyKind.sub_unit and body.parent in self.bodies.by_id:
            unit = body.name
            body = self.bodies.by_id[body.parent]
        elif not unit and as_written:
            for sub in self.bodies.by_id.values():
                if sub.kind is BodyKind.sub_unit and sub.parent == body.id and sub.name in as_written:
                    unit = sub.name
                    break
        node = self._body_node(body)
        if unit:
            units = self.g.nodes[node]["units"]
            if unit not in units:
                self.g.nodes[node]["units"] = (*units, unit)
        return node, unit

    def _link(self, body: str, matter: str, relation: Relation, **attrs: Any) -> None:
        clauses = tuple(attrs.pop("clauses", ()))
        units = tuple(u for u in attrs.pop("units", ()) if u)
        as_written = tuple(a for a in attrs.pop("as_written", ()) if a)
        if self.g.has_edge(body, matter):
            # the same body twice in one row (two spellings, a joint header and its own block):
            # one edge, every clause and spelling kept
            e = self.g.edges[body, matter]
            e["clauses"] = e["clauses"] + tuple(c for c in clauses if c not in e["clauses"])
            e["units"] = e["units"] + tuple(u for u in units if u not in e["units"])
            e["as_written"] = e["as_written"] + tuple(a for a in as_written if a not in e["as_written"])
            e["lead"] = e["lead"] or attrs.get("lead", False)
            e["listed"] = e["listed"] or attrs.get("listed", True)
            return
        self.g.add_edge(
            body,
            matter,
            relation=relation.value,
            clauses=clauses,
            lead=attrs.get("lead", False),
            listed=attrs.get("listed", True),
            role=attrs.get("role"),
            role_id=attrs.get("role_id"),
            units=units,
            as_written=as_written,
        )

    def add(self) -> None:
        for b in self.rb.bodies:
            self._body_node(b)
        for m in self.rb.matters:
            self._add_matter(m)

    def _add_matter(self, m: Matter) -> None:
        node = matter_node_id(self.j, m.id)
        self.g.add_node(
            node,
            bipartite=0,
            type="matter",
            id=m.id,
            list=m.list.value,
            seq=m.seq,
            category=m.category,
            title=m.title,
            source_line=m.source_line,
            jurisdiction=self.j.key,
        )
        if m.list is ListKind.basic:
            role = self.bodies.by_id.get(m.role) if m.role else None
            self._link(
                self.township,
                node,
                Relation.acts,
                role=role.name if role else None,
                role_id=m.role,
            )
        elif m.list is ListKind.cooperative:
            blocks: dict[str, list] = defaultdict(list)  # node → [clauses, units, as_written]
            order: list[str] = []
            listed: set[str] = set()
            for name in m.listed_departments:
                dnode, unit = self._department(name)
                if dnode not in order:
                    order.append(dnode)
                listed.add(dnode)
                blocks[dnode].append(((), unit, ""))  # the column holds canonical names
            for block in m.departments:
                dnode, unit = self._department(block.body, block.as_written, block.unit)
                if dnode not in order:
                    order.append(dnode)
                blocks[dnode].append((block.clauses, unit, block.as_written or block.body))
            lead_node = order[0] if order else None
            if m.listed_departments:
                lead_node = next(n for n in order if n in listed)
            for dnode in order:
                for clauses, unit, written in blocks[dnode]:
                    self._link(
                        dnode,
                        node,
                        Relation.leads,
                        clauses=clauses,
                        units=(unit,),
                        as_written=(written,),
                        lead=dnode == lead_node,
                        listed=dnode in listed or not m.listed_departments,
                    )
            if m.township_clauses:
                self._link(self.township, node, Relation.cooperates, clauses=m.township_clauses)
        else:
            for block in m.receivers:
                dnode, unit = self._department(block.body, block.as_written, block.unit)
                self._link(
                    dnode,
                    node,
                    Relation.receives,
                    clauses=block.clauses,
                    units=(unit,),
                    as_written=(block.as_written or block.body,),
                )
            self._link(self.township, node, Relation.reclaimed_from)


def build_graph(*rulebooks: Rulebook) -> nx.DiGraph:
    """Build the bipartite responsibility graph of one or more rulebooks, in one call.

    Args:
        rulebooks: one rulebook per township; townships of one county share their county
            department nodes.

    Returns:
        A :class:`networkx.DiGraph`, edges body → matter, node and edge attributes as described
        in this module's docstring. ``graph.graph`` holds ``jurisdictions`` (key → township name)
        and ``hashes`` (key → rulebook content hash). Names that resolve to no body become body
        nodes with ``known=False`` (reported by :func:`check_graph`), never dropped.

    Raises:
        RuleFileError: the rulebook's bodies are inconsistent (an id, name or alias used twice, a
            parent that is no body id) — see :class:`~dutyroute.bodies.BodyRegistry`.

    Cost: linear in matters + clauses; about 2 ms for the bundled 237-matter rulebook.
    """
    g = nx.DiGraph(jurisdictions={}, hashes={})
    for rb in rulebooks:
        g.graph["jurisdictions"][rb.jurisdiction.key] = rb.jurisdiction.township
        _Builder(g, rb).add()
    return g


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
    checked when the graph is built: :class:`~dutyroute.bodies.BodyRegistry` raises).

    Args:
        g: a graph from :func:`build_graph` (possibly edited since).
        rulebooks: the rulebooks it was built from, for the name checks.

    Returns:
        Violations sorted by jurisdiction, matter order, code; empty when the lists are sound.
        Nothing is printed and nothing raised.
    """
    out: list[Violation] = []
    side = nx.get_node_attributes(g, "bipartite")

    # bipartite: every node has a side, every edge crosses sides
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

    for node, attrs in g.nodes(data=True):
        if attrs.get("bipartite") != 0:
            continue
        ref = _matter_ref(g, node)
        mid = ref["matter"]
        try:
            lst = ListKind(attrs.get("list"))
        except ValueError:
            out.append(Violation("not-bipartite", "error", f"matter node {node!r} has no list", **ref))
            continue
        by_rel: dict[Relation, list[str]] = defaultdict(list)
        for body in g.predecessors(node):
            if side.get(body) != 1:
                continue
            battrs = g.nodes[body]
            rel = Relation(g.edges[body, node]["relation"])
            by_rel[rel].append(body)
            name = battrs.get("name", body)
            if not battrs.get("known", False):
                sugg = tuple(battrs.get("suggestions", ()))
                out.append(
                    Violation(
                        "unknown-body",
                        "error",
                        f"{mid} {attrs.get('title', '')}: {rel.value} edge from unknown body {name!r} "
                        "(add it, or an alias, to rules/bodies.yaml)",
                        body=name,
                        suggestions=sugg,
                        **ref,
                    )
                )
            if rel not in ALLOWED_RELATIONS[lst]:
                out.append(
                    Violation(
                        "relation-not-allowed",
                        "error",
                        f"{mid}: a {lst.value} matter cannot have a {rel.value} edge (from {name})",
                        body=name,
                        **ref,
                    )
                )
        acting = [b for r in ACTING_RELATIONS for b in by_rel.get(r, [])]
        if not acting:
            out.append(
                Violation(
                    "orphan-matter",
                    "error",
                    f"{mid} {attrs.get('title', '')}: no body acts on it (no acts, leads or receives edge)",
                    **ref,
                )
            )
        elif all(g.nodes[b].get("kind") == BodyKind.placeholder.value for b in acting):
            out.append(
                Violation(
                    "placeholder-only",
                    "warning",
                    f"{mid}: only placeholder bodies act on it "
                    f"({', '.join(g.nodes[b]['name'] for b in acting)}); name a real body",
                    **ref,
                )
            )
        townships = {b for b in acting + by_rel.get(Relation.cooperates, []) if _is_township(g, b)}
        if lst is ListKind.cooperative:
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
        if lst is ListKind.reclaimed:
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
                        f"{mid} {attrs.get('title', '')}: reclaimed matter with no receiving department "
                        "(承接部门)",
                        **ref,
                    )
                )

    for rb in rulebooks:
        out.extend(_check_names(rb))

    order = {n: i for i, n in enumerate(g.nodes)}
    mnode = {
        (a.get("jurisdiction"), a.get("id")): n for n, a in g.nodes(data=True) if a.get("bipartite") == 0
    }

    def key(v: Violation) -> tuple:
        n = mnode.get((v.jurisdiction, v.matter))
        return (v.jurisdiction or "", order.get(n, -1) if n else -1, v.code, v.body or "")

    return sorted(out, key=key)


def _is_township(g: nx.DiGraph, node: str) -> bool:
    return g.nodes[node].get("kind") == BodyKind.township.value


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


# ---------------------------------------------------------------------------------------------
# The query API


_LIST_ORDER = {ListKind.basic: 0, ListKind.cooperative: 1, ListKind.reclaimed: 2}
_REL_ORDER = {r: i for i, r in enumerate(Relation)}


class ResponsibilityGraph:
    """Typed queries over the responsibility graph of one or more rulebooks.

    Build with ``ResponsibilityGraph(rulebook)`` (or several, one per township); the networkx
    graph is ``.graph``. Queries take matter ids (``C40``, or ``xiaojingzhuang:C40`` when several
    townships are loaded) and body names (canonical, alias, or — with a "did you mean" — close
    spellings); they return :class:`Link`, :class:`Workload` and :class:`Violation` records.

    Raises (from queries):
        LookupFailed: an unknown matter id or body name; carries suggestions.
    """

    rulebooks: tuple[Rulebook, ...]  #: the rulebooks it was built from, in order
    graph: nx.DiGraph  #: the networkx graph (see the module docstring for nodes and edges)

    def __init__(self, *rulebooks: Rulebook) -> None:
        if len(rulebooks) == 1 and isinstance(rulebooks[0], (list, tuple)):
            rulebooks = tuple(rulebooks[0])
        if not rulebooks:
            raise ValueError("ResponsibilityGraph needs at least one rulebook")
        self.rulebooks = tuple(rulebooks)
        self.graph = build_graph(*self.rulebooks)
        self._bodies = [_Bodies(rb.bodies) for rb in self.rulebooks]
        self._matter_nodes: dict[str, list[str]] = defaultdict(list)
        for n, a in self.graph.nodes(data=True):
            if a.get("bipartite") == 0:
                self._matter_nodes[a["id"]].append(n)

    def __repr__(self) -> str:
        keys = ", ".join(rb.jurisdiction.key for rb in self.rulebooks)
        m = sum(1 for _, a in self.graph.nodes(data=True) if a.get("bipartite") == 0)
        b = self.graph.number_of_nodes() - m
        return f"<ResponsibilityGraph {keys}: {m} matters, {b} bodies, {self.graph.number_of_edges()} links>"

    # -- lookups -------------------------------------------------------------------------------

    def matter_node(self, matter_id: str) -> str:
        """Graph node id of a matter (``C40``, ``c40`` or ``xiaojingzhuang:C40``).

        Raises:
            LookupFailed: no such matter, or the bare id is in several townships' rulebooks.
        """
        q = matter_id.strip()
        if q in self.graph and self.graph.nodes[q].get("bipartite") == 0:
            return q
        nodes = self._matter_nodes.get(q.upper(), [])
        if len(nodes) == 1:
            return nodes[0]
        if len(nodes) > 1:
            raise LookupFailed("unambiguous matter", matter_id, nodes)
        from rapidfuzz import process

        close = [c for c, _, _ in process.extract(q.upper(), list(self._matter_nodes), limit=3)]
        raise LookupFailed("matter", matter_id, close)

    def matter(self, matter_id: str) -> tuple[Rulebook, Matter]:
        """The rulebook and :class:`Matter` of a matter id.

        Raises:
            LookupFailed: as :meth:`matter_node`.
        """
        node = self.matter_node(matter_id)
        a = self.graph.nodes[node]
        rb = next(r for r in self.rulebooks if r.jurisdiction.key == a["jurisdiction"])
        return rb, rb.matter(a["id"])

    def resolve_body(self, name: str, *, min_score: float = 70.0) -> BodyMatch:
        """Find the body a caller means: canonical name or id, alias, or closest spelling.

        Args:
            name: as typed, e.g. ``县应急管理局``, ``县农业农村局`` (alias), ``县应急管理``.
            min_score: least rapidfuzz WRatio (0–100) for a fuzzy match to be accepted.

        Returns:
            :class:`BodyMatch`; ``how == "fuzzy"`` means the caller should be told "did you mean".

        Raises:
            LookupFailed: nothing close enough; ``suggestions`` has the closest names.
        """
        best: tuple[float, Body] | None = None
        suggestions: list[str] = []
        for bodies in self._bodies:
            body, how = bodies.resolve(name)
            if body is not None:
                return BodyMatch(name, body, "exact" if how == "exact" else "alias")
        for bodies in self._bodies:
            for cand, score in bodies.suggest(name):
                if cand not in suggestions:
                    suggestions.append(cand)
                if best is None or score > best[0]:
                    best = (score, bodies.registry.resolve(cand))
        if best is not None and best[0] >= min_score:
            return BodyMatch(name, best[1], "fuzzy", best[0])
        raise LookupFailed("body", name, suggestions[:3])

    # -- queries -------------------------------------------------------------------------------

    def _link(self, body: str, matter: str) -> Link:
        e = self.graph.edges[body, matter]
        m = self.graph.nodes[matter]
        b = self.graph.nodes[body]
        return Link(
            matter=m["id"],
            matter_node=matter,
            list=ListKind(m["list"]),
            title=m["title"],
            body=b["name"],
            body_node=body,
            relation=Relation(e["relation"]),
            clauses=tuple(e["clauses"]),
            lead=bool(e["lead"]),
            listed=bool(e["listed"]),
            role=e.get("role"),
            units=tuple(e["units"]),
            as_written=tuple(e["as_written"]),
            known=bool(b.get("known", False)),
        )

    def _matter_key(self, node: str) -> tuple:
        a = self.graph.nodes[node]
        return (a["jurisdiction"], _LIST_ORDER[ListKind(a["list"])], a["seq"])

    def bodies_of(self, matter_id: str, relation: Relation | str | None = None) -> list[Link]:
        """The bodies linked to a matter, optionally of one relation.

        Returns:
            Links ordered: leading department first, then the list's order of departments, then
            the township; each with the clauses that ground it.

        Raises:
            LookupFailed: unknown matter id.
        """
        node = self.matter_node(matter_id)
        rel = Relation(relation) if relation is not None else None
        links = [self._link(b, node) for b in self.graph.predecessors(node)]
        return [lk for lk in links if rel is None or lk.relation is rel]

    def matters_of(self, body: str | Body, relation: Relation | str | None = None) -> list[Link]:
        """The matters linked to a body, optionally of one relation, in list order.

        A township role (``综合行政执法队``) gets the basic matters its office acts on; a sub-unit
        (``县交通警察大队``) the links of its parent that name it.

        Args:
            body: a :class:`Body`, or a name as for :meth:`resolve_body`.
            relation: only this relation.

        Raises:
            LookupFailed: unknown body name.
        """
        b = body if isinstance(body, Body) else self.resolve_body(body).body
        rel = Relation(relation) if relation is not None else None
        links: list[Link] = []
        for node in self._body_nodes(b):
            if b.kind is BodyKind.township_role:
                parent_nodes = [
                    n for n, a in self.graph.nodes(data=True) if a.get("kind") == BodyKind.township.value
                ]
                for p in parent_nodes:
                    for m in self.graph.successors(p):
                        if self.graph.edges[p, m].get("role_id") == b.id:
                            links.append(self._link(p, m))
            elif b.kind is BodyKind.sub_unit:
                for p in self._parents(b):
                    for m in self.graph.successors(p):
                        if b.name in self.graph.edges[p, m]["units"]:
                            links.append(self._link(p, m))
            else:
                links.extend(self._link(node, m) for m in self.graph.successors(node))
        links = [lk for lk in links if rel is None or lk.relation is rel]
        links.sort(key=lambda lk: (_REL_ORDER[lk.relation], *self._matter_key(lk.matter_node)))
        return links

    def _body_nodes(self, b: Body) -> list[str]:
        return [body_node_id(rb.jurisdiction, b) for rb in self.rulebooks if b in rb.bodies] or [
            n for n, a in self.graph.nodes(data=True) if a.get("type") == "body" and a.get("id") == b.id
        ]

    def _parents(self, b: Body) -> list[str]:
        return [
            n for n, a in self.graph.nodes(data=True) if a.get("type") == "body" and a.get("id") == b.parent
        ]

    def shared(self, body_a: str | Body, body_b: str | Body) -> list[tuple[Link, Link]]:
        """Matters two bodies are both linked to, as pairs (link of a, link of b), in list order.

        Raises:
            LookupFailed: either body name is unknown.
        """
        a = {lk.matter_node: lk for lk in self.matters_of(body_a)}
        b = {lk.matter_node: lk for lk in self.matters_of(body_b)}
        both = sorted(set(a) & set(b), key=self._matter_key)
        return [(a[n], b[n]) for n in both]

    def workload(self) -> list[Workload]:
        """How many matters each body acts on, leads, cooperates on, receives; busiest first.

        Every body of the rulebooks gets a row (zeros included, so an idle body shows); township
        roles count the basic matters their office acts on.
        """
        counts: dict[str, dict[str, int]] = {}
        kinds: dict[str, str] = {}
        for n, a in self.graph.nodes(data=True):
            if a.get("bipartite") != 1:
                continue
            c = counts.setdefault(a["name"], defaultdict(int))
            kinds[a["name"]] = a["kind"]
            for m in self.graph.successors(n):
                e = self.graph.edges[n, m]
                c[e["relation"]] += 1
                if e["lead"]:
                    c["lead_first"] += 1
                if e.get("role"):
                    counts.setdefault(e["role"], defaultdict(int))["acts"] += 1
        rows = [
            Workload(
                body=name,
                kind=kinds.get(name, BodyKind.township_role.value),
                acts=c["acts"],
                leads=c["leads"],
                lead_first=c["lead_first"],
                cooperates=c["cooperates"],
                receives=c["receives"],
                reclaimed_from=c["reclaimed_from"],
            )
            for name, c in counts.items()
        ]
        rows.sort(key=lambda w: (-w.total, -w.reclaimed_from, w.body))
        return rows

    def check(self) -> list[Violation]:
        """Every integrity violation (see :func:`check_graph`), as data; empty when sound."""
        return check_graph(self.graph, self.rulebooks)

    # -- sub-graphs and export -----------------------------------------------------------------

    def neighbourhood(
        self,
        *,
        body: str | Body | None = None,
        matter: str | None = None,
        relation: Relation | str | None = None,
    ) -> nx.DiGraph:
        """The part of the graph around one body or one matter, for drawing.

        - ``body``: the body, its matters, and the other bodies of those matters (radius 2);
          a township role or sub-unit keeps only the matters its office / unit is named on.
        - ``matter``: the matter and its bodies (radius 1).
        - ``relation``: with ``body``, only the matters of that relation (the township's
          ``acts`` alone, say, instead of all 237).

        Node attribute ``layer`` (0, 1, 2) gives the distance from the focus; ``graph["focus"]``
        is the focus node.

        Raises:
            LookupFailed: unknown body or matter; ValueError: neither or both given.
        """
        if (body is None) == (matter is None):
            raise ValueError("give exactly one of body= or matter=")
        g = self.graph
        if matter is not None:
            focus = self.matter_node(matter)
            layers = {focus: 0, **{b: 1 for b in g.predecessors(focus)}}
        else:
            b = body if isinstance(body, Body) else self.resolve_body(str(body)).body
            links = self.matters_of(b, relation)
            if b.kind in (BodyKind.township_role, BodyKind.sub_unit):
                focus = links[0].body_node if links else self._body_nodes(b)[0]
            else:
                focus = self._body_nodes(b)[0]
            layers = {focus: 0}
            for lk in links:
                layers.setdefault(lk.matter_node, 1)
            for lk in links:
                for other in g.predecessors(lk.matter_node):
                    layers.setdefault(other, 2)
        sub = nx.DiGraph()  # built in a fixed order (a subgraph view's order follows set hashing)
        for n in layers:
            sub.add_node(n, **g.nodes[n])
        for n in layers:
            for m in g.successors(n):
                if m in layers:
                    sub.add_edge(n, m, **g.edges[n, m])
        if body is not None:  # keep only the focus's own links and links to its matters
            for u, v in list(sub.edges):
                if v not in layers or layers[v] != 1:
                    sub.remove_edge(u, v)
            if b.kind in (BodyKind.township_role, BodyKind.sub_unit):
                keep = {lk.matter_node for lk in links}
                for m in [n for n, d in layers.items() if d == 1 and n not in keep]:
                    sub.remove_node(m)
        nx.set_node_attributes(sub, {n: d for n, d in layers.items() if n in sub}, "layer")
        sub.graph["focus"] = focus
        return sub

    def node_link(self) -> dict[str, Any]:
        """The whole graph as node-link JSON data (:func:`networkx.node_link_data`, ``edges`` key).

        Tuples become lists; ``graph`` carries ``jurisdictions`` and rulebook ``hashes``.
        """
        g = _exportable(self.graph, self.rulebooks, json_lists=False)
        return nx.node_link_data(g, edges="edges")

    def write_graphml(self, path: str | Path | BinaryIO) -> None:
        """Write the graph as GraphML to a file name or a binary file object.

        List attributes (``clauses``, ``units`` …) are JSON strings; missing values (a basic
        matter's ``role`` when not assigned) are left out.
        """
        target = path if hasattr(path, "write") else str(path)
        nx.write_graphml(_exportable(self.graph, self.rulebooks, json_lists=True), target)


def _exportable(g: nx.DiGraph, rulebooks: Sequence[Rulebook], *, json_lists: bool) -> nx.DiGraph:
    def conv(attrs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in attrs.items():
            if v is None:
                continue
            if isinstance(v, (tuple, list)):
                v = json.dumps(list(v), ensure_ascii=False) if json_lists else list(v)
            out[k] = v
        return out

    h = nx.DiGraph()
    h.graph.update(
        {
            "jurisdictions": json.dumps(g.graph.get("jurisdictions", {}), ensure_ascii=False)
            if json_lists
            else dict(g.graph.get("jurisdictions", {})),
            "hashes": json.dumps({rb.jurisdiction.key: rb.hash for rb in rulebooks})
            if json_lists
            else {rb.jurisdiction.key: rb.hash for rb in rulebooks},
        }
    )
    for n, a in g.nodes(data=True):
        h.add_node(n, **conv(a))
    for u, v, a in g.edges(data=True):
        h.add_edge(u, v, **conv(a))
    return h


# ---------------------------------------------------------------------------------------------
# Pictures

#: Font families tried in order for Chinese labels. SVG keeps text as text and names the whole
#: list (the viewer picks the first it has); PNG needs one of them installed (e.g. Debian's
#: fonts-noto-cjk), else labels fall back to boxes and :func:`draw_neighbourhood` warns.
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "SimHei",
    "Noto Sans CJK JP",
    "Arial Unicode MS",
)

LIST_COLOURS: dict[ListKind, str] = {
    ListKind.basic: "#d8efd0",  # green: the township acts
    ListKind.cooperative: "#d6e6f7",  # blue: a county department leads
    ListKind.reclaimed: "#fbdcc0",  # orange: taken back by the county
}
RELATION_COLOURS: dict[Relation, str] = {
    Relation.acts: "#2e8b3a",
    Relation.leads: "#2464a8",
    Relation.cooperates: "#8a5fb8",
    Relation.receives: "#d9650b",
    Relation.reclaimed_from: "#9a9a9a",
}
_BODY_FILL = {
    BodyKind.township.value: "#fff1a8",
    UNKNOWN_KIND: "#f6b8b8",
    BodyKind.placeholder.value: "#ffffff",
}
_BODY_FILL_DEFAULT = "#ececec"


def available_cjk_fonts() -> list[str]:
    """The families of :data:`CJK_FONTS` that matplotlib can find on this machine, in order."""
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in CJK_FONTS if f in have]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def draw_neighbourhood(
    rg: ResponsibilityGraph,
    path: str | Path,
    *,
    body: str | Body | None = None,
    matter: str | None = None,
    relation: Relation | str | None = None,
    title: str | None = None,
    label_chars: int = 20,
    dpi: int = 150,
) -> Path:
    """Draw the neighbourhood of one body or one matter (see
    :meth:`ResponsibilityGraph.neighbourhood`) to an SVG, PNG or PDF file.

    Layered layout: the focus on the left, its matters (or
    bodies) in the middle, the other bodies of those matters on the right; rows ordered by
    relation, list and 序号, right-hand bodies by the mean row of their matters (fewer crossings).
    Matter boxes are coloured by list, edges by relation; the lead department's edge (牵头) is
    thick; a legend explains both. SVG keeps text as text (``svg.fonttype='none'``) with the
    :data:`CJK_FONTS` family list, so labels stay searchable and sharp.

    Args:
        rg: the graph.
        path: output file; the suffix (``.svg``, ``.png``, ``.pdf``) picks the format.
        body, matter: the focus, exactly one of them (names and ids as for the queries).
        relation: with ``body``, draw only its matters of this relation.
        title: picture title; default names the focus and the township.
        label_chars: longest label in characters; longer titles end with ``…``.
        dpi: resolution of raster output.

    Returns:
        The path written.

    Raises:
        LookupFailed: unknown body or matter. ValueError: neither or both of body/matter given.

    Warns:
        UserWarning: a raster/PDF picture is asked for and no CJK font is installed.
    """
    import logging
    import warnings

    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    path = Path(path)
    sub = rg.neighbourhood(body=body, matter=matter, relation=relation)
    focus = sub.graph["focus"]
    layers: dict[str, int] = nx.get_node_attributes(sub, "layer")
    fonts = available_cjk_fonts()
    if not fonts and path.suffix.lower() != ".svg":
        warnings.warn(
            f"no CJK font found for {path.name}: Chinese labels will not render "
            f"(install one of {', '.join(CJK_FONTS[:4])}, e.g. Debian's fonts-noto-cjk, or write .svg)",
            stacklevel=2,
        )

    # -- row order inside each layer ---------------------------------------------------------
    def matter_key(n: str) -> tuple:
        a = sub.nodes[n]
        rel = None
        if sub.has_edge(focus, n):
            rel = _REL_ORDER[Relation(sub.edges[focus, n]["relation"])]
        return (rel if rel is not None else 99, _LIST_ORDER[ListKind(a["list"])], a["seq"])

    def body_rank(n: str) -> tuple:
        a = sub.nodes[n]
        kind_rank = 1 if a.get("kind") == BodyKind.township.value else 0
        return (kind_rank, a["name"])

    rows: dict[int, list[str]] = defaultdict(list)
    for n, d in layers.items():
        rows[d].append(n)

    def lead_first(n: str) -> tuple:  # bodies of a matter: lead, then list order, township last
        e = sub.edges[n, focus]
        return (not e["lead"], _REL_ORDER[Relation(e["relation"])])  # sort is stable: list order

    def barycentre(n: str, index: dict[str, int]) -> tuple:  # mean row of a body's matters
        ms = [index[m] for m in sub.successors(n) if m in index]
        return (sum(ms) / len(ms) if ms else 0.0, body_rank(n))

    for d in sorted(rows):
        nodes = rows[d]
        if d == 0:
            continue
        if sub.nodes[nodes[0]].get("bipartite") == 0:
            nodes.sort(key=matter_key)
        elif d == 1:
            nodes.sort(key=lead_first)
        else:  # fewer crossings: each body next to the matters it shares
            index = {m: i for i, m in enumerate(rows[1])}
            nodes.sort(key=partial(barycentre, index=index))
    ordered = [n for d in sorted(rows) for n in rows[d]]

    # -- labels --------------------------------------------------------------------------------
    focus_body: Body | None = None
    if body is not None:
        focus_body = body if isinstance(body, Body) else rg.resolve_body(body).body

    def label(n: str) -> str:
        a = sub.nodes[n]
        limit = label_chars * 2 if n == focus else label_chars  # the focus gets room to be read
        if a.get("bipartite") == 0:
            return _short(f"{a['id']} {a['title']}", limit)
        name = _short(a["name"], limit)
        if matter is not None and sub.has_edge(n, focus) and sub.edges[n, focus]["units"]:
            name += f"（{'、'.join(sub.edges[n, focus]['units'])}）"
        if n == focus and focus_body is not None and focus_body.name != a["name"]:
            name += f"（{focus_body.name}）"  # a township office or a sub-unit drawn at its parent
        return name

    def fill(n: str) -> str:
        a = sub.nodes[n]
        if a.get("bipartite") == 0:
            return LIST_COLOURS[ListKind(a["list"])]
        return _BODY_FILL.get(a.get("kind"), _BODY_FILL_DEFAULT)

    if title is None:
        title = _picture_title(rg, sub, focus, rows, body)
    lists_present = sorted(
        {ListKind(sub.nodes[n]["list"]) for n in ordered if sub.nodes[n].get("bipartite") == 0},
        key=_LIST_ORDER.__getitem__,
    )
    rels_present = {Relation(e["relation"]) for _, _, e in sub.edges(data=True)}
    handles: list[Any] = [
        Patch(facecolor=LIST_COLOURS[k], edgecolor="#888888", label=k.label) for k in lists_present
    ]
    handles += [
        Line2D(
            [],
            [],
            color=RELATION_COLOURS[r],
            lw=1.6,
            ls="--" if r is Relation.reclaimed_from else "-",
            label=f"{r.label}（{r.value}）",
        )
        for r in Relation
        if r in rels_present
    ]
    if any(e["lead"] for _, _, e in sub.edges(data=True)):
        handles.append(
            Line2D([], [], color=RELATION_COLOURS[Relation.leads], lw=3.2, label="牵头（首列部门）")
        )

    # -- geometry, in inches ---------------------------------------------------------------------
    font_pt, box_pad = 9, 0.3  # label size; box padding as a fraction of it (matplotlib's boxstyle pad)
    row_h, gap, margin = 0.36, 1.6, 0.35  # row pitch, column gap, page margin (inches)
    pad = 2 * box_pad * font_pt / 72  # a box is this much wider than its text
    legend_cols = 3
    legend_h = 0.27 * -(-len(handles) // legend_cols) + 0.2
    title_h = 0.85
    n_rows = max(len(v) for v in rows.values())

    fm_logger = logging.getLogger("matplotlib.font_manager")
    old_level = fm_logger.level
    fm_logger.setLevel(logging.ERROR)  # the family list names fonts a machine may lack: not news
    rc: dict[str, Any] = {
        "font.family": [*fonts, *[f for f in CJK_FONTS if f not in fonts], "DejaVu Sans", "sans-serif"],
        "svg.fonttype": "none",
        "svg.hashsalt": "dutyroute",
    }
    try:
        with plt.rc_context(rc):  # type: ignore[arg-type]  # matplotlib types rc keys as literals
            fig = plt.figure(figsize=(10, 4))
            renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg canvas
            box_w: dict[str, float] = {}
            for n in ordered:  # measure every label once, in the font that will draw it
                t = fig.text(0, 0, label(n), fontsize=font_pt, weight="bold" if n == focus else "normal")
                box_w[n] = t.get_window_extent(renderer).width / fig.dpi + pad
                t.remove()
            t = fig.text(0, 0, title, fontsize=12, weight="bold")
            title_w = t.get_window_extent(renderer).width / fig.dpi
            t.remove()
            col_w = {d: max(box_w[n] for n in rows[d]) for d in rows}
            left: dict[int, float] = {}
            x = margin
            for d in sorted(rows):
                left[d] = x
                x += col_w[d] + gap
            width_in = max(x - gap + margin, title_w + 2 * margin, 8.5)
            height_in = title_h + n_rows * row_h + legend_h + 0.2
            fig.set_size_inches(width_in, height_in)
            ax = fig.add_axes((0, 0, 1, 1))
            ax.set_xlim(0, width_in)
            ax.set_ylim(-height_in, 0)
            ax.axis("off")

            y_mid = -title_h - (n_rows - 1) * row_h / 2 - row_h / 2
            centre: dict[str, tuple[float, float]] = {}
            for d, nodes in rows.items():
                for i, n in enumerate(nodes):
                    y = y_mid + ((len(nodes) - 1) / 2 - i) * row_h
                    # the focus column is right-aligned, the others left-aligned: edges meet
                    # the boxes along straight lines
                    cx = left[d] + col_w[d] - box_w[n] / 2 if d == 0 else left[d] + box_w[n] / 2
                    centre[n] = (cx, y)

            # edges: from the facing sides of the two boxes (networkx draws them); the focus's
            # own links on top and strong, the links of the other bodies (radius 2) faint
            for own in (False, True):
                anchors = nx.DiGraph()
                anchor_pos: dict[tuple[str, str, str], tuple[float, float]] = {}
                colours, widths, styles = [], [], []
                for u, v, e in sub.edges(data=True):
                    if (focus in (u, v)) != own:
                        continue
                    (xu, yu), (xv, yv) = centre[u], centre[v]
                    side = 1 if xu < xv else -1
                    su, tv = ("s", u, v), ("t", u, v)
                    anchor_pos[su] = (xu + side * box_w[u] / 2, yu)
                    anchor_pos[tv] = (xv - side * box_w[v] / 2, yv)
                    anchors.add_edge(su, tv)
                    rel = Relation(e["relation"])
                    colours.append(RELATION_COLOURS[rel])
                    widths.append((3.4 if e["lead"] else 1.5) if own else (1.9 if e["lead"] else 0.7))
                    styles.append("--" if rel is Relation.reclaimed_from else "-")
                if anchors.number_of_edges():
                    nx.draw_networkx_edges(
                        anchors,
                        anchor_pos,
                        ax=ax,
                        edge_color=colours,
                        width=widths,
                        style=styles,
                        arrows=False,
                        alpha=0.95 if own else 0.5,
                    )

            for n in ordered:
                a = sub.nodes[n]
                ax.text(
                    *centre[n],
                    label(n),
                    fontsize=font_pt,
                    weight="bold" if n == focus else "normal",
                    ha="center",
                    va="center",
                    zorder=3,
                    bbox={
                        "boxstyle": f"round,pad={box_pad}",
                        "facecolor": fill(n),
                        "edgecolor": "#333333" if n == focus else "#8c8c8c",
                        "linewidth": 1.6 if n == focus else 0.8,
                        "linestyle": "--" if a.get("kind") == BodyKind.placeholder.value else "-",
                    },
                )
            ax.text(margin, -0.45, title, fontsize=12, weight="bold", ha="left", va="center")
            ax.legend(
                handles=handles,
                loc="lower left",
                bbox_to_anchor=(margin, -height_in + 0.1),
                bbox_transform=ax.transData,
                ncol=legend_cols,
                fontsize=8.5,
                frameon=False,
                handlelength=2.4,
                columnspacing=1.6,
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            meta = {"Date": None} if path.suffix.lower() == ".svg" else None
            fig.savefig(path, dpi=dpi, metadata=meta)
            plt.close(fig)
    finally:
        fm_logger.setLevel(old_level)
    return path


def _picture_title(
    rg: ResponsibilityGraph, sub: nx.DiGraph, focus: str, rows: dict[int, list[str]], body: str | Body | None
) -> str:
    township = " / ".join(rb.jurisdiction.township for rb in rg.rulebooks)
    fa = sub.nodes[focus]
    if fa.get("bipartite") == 0:
        return f"{fa['id']} {fa['title']}（{ListKind(fa['list']).label}）— 相关主体"
    who = body.name if isinstance(body, Body) else rg.resolve_body(str(body)).body.name
    counts: dict[Relation, int] = defaultdict(int)
    for m in rows.get(1, []):
        counts[Relation(sub.edges[focus, m]["relation"])] += 1
    summary = "，".join(f"{r.label} {counts[r]}" for r in Relation if counts[r])
    return f"{who}：{township}三张清单中的 {sum(counts.values())} 项事项（{summary}）"
