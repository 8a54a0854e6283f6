"""The query API over the responsibility graph: :class:`ResponsibilityGraph`."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, BinaryIO

import networkx as nx

from ..errors import NotFoundError
from ..model.duties import ActingOption, Relation, acting_options
from ..model.lists import Body, BodyKind, ListKind, Matter, Rulebook
from .build import _Bodies, body_node_id, build_graph, matter_node_id
from .check import check_graph
from .export import _exportable
from .records import BodyMatch, Link, Violation, Workload

# ---------------------------------------------------------------------------------------------
# The query API


_LIST_ORDER = {ListKind.basic: 0, ListKind.cooperative: 1, ListKind.reclaimed: 2}
_REL_ORDER = {r: i for i, r in enumerate(Relation)}

FUZZY_MARGIN = 5.0
"""A close spelling names a body only when it scores at least this much (rapidfuzz WRatio, 0–100)
above every other body: ``县`` or ``乡`` fit dozens of names equally well and name none of them."""


class ResponsibilityGraph:
    """Typed queries over the responsibility graph of one or more rulebooks.

    Build with ``ResponsibilityGraph(rulebook)`` (or several, one per township); the networkx
    graph is ``.graph``. Queries take matter ids (``C40``, or ``xiaojingzhuang:C40`` when several
    townships are loaded) and body names (canonical, alias, or — with a "did you mean" — close
    spellings); they return :class:`Link`, :class:`Workload` and :class:`Violation` records.

    Raises (from queries):
        NotFoundError: an unknown matter id or body name; carries suggestions.
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
        self._by_node: dict[str, tuple[Rulebook, Matter]] = {}
        self._acting: dict[str, tuple[ActingOption, ...]] = {}
        for rb in self.rulebooks:
            placeholders = {b.name for b in rb.bodies if b.kind is BodyKind.placeholder}
            for m in rb.matters:
                node = matter_node_id(rb.jurisdiction, m.id)
                self._by_node[node] = (rb, m)
                self._acting[node] = acting_options(m, rb.jurisdiction.township, placeholders.__contains__)

    def __repr__(self) -> str:
        keys = ", ".join(rb.jurisdiction.key for rb in self.rulebooks)
        m = sum(1 for _, a in self.graph.nodes(data=True) if a.get("bipartite") == 0)
        b = self.graph.number_of_nodes() - m
        return f"<ResponsibilityGraph {keys}: {m} matters, {b} bodies, {self.graph.number_of_edges()} links>"

    # -- lookups -------------------------------------------------------------------------------

    def matter_node(self, matter_id: str) -> str:
        """Graph node id of a matter (``C40``, ``c40`` or ``xiaojingzhuang:C40``).

        Raises:
            NotFoundError: no such matter, or the bare id is in several townships' rulebooks.
        """
        q = matter_id.strip()
        if q in self.graph and self.graph.nodes[q].get("bipartite") == 0:
            return q
        nodes = self._matter_nodes.get(q.upper(), [])
        if len(nodes) == 1:
            return nodes[0]
        if len(nodes) > 1:
            raise NotFoundError("unambiguous matter", matter_id, nodes)
        from rapidfuzz import process

        close = [c for c, _, _ in process.extract(q.upper(), list(self._matter_nodes), limit=3)]
        raise NotFoundError("matter", matter_id, close)

    def matter(self, matter_id: str) -> tuple[Rulebook, Matter]:
        """The rulebook and :class:`Matter` of a matter id.

        Raises:
            NotFoundError: as :meth:`matter_node`.
        """
        return self._by_node[self.matter_node(matter_id)]

    def acting_options(self, matter_id: str) -> tuple[ActingOption, ...]:
        """Who can act on a matter, the lead (or only) choice first (see
        :func:`dutyroute.model.duties.acting_options`, the one definition of who acts by list).

        Raises:
            NotFoundError: as :meth:`matter_node`.
        """
        return self._acting[self.matter_node(matter_id)]

    def resolve_body(self, name: str, *, min_score: float = 70.0) -> BodyMatch:
        """Find the body a caller means: canonical name or id, alias, or closest spelling.

        Args:
            name: as typed, e.g. ``县应急管理局``, ``县农业农村局`` (alias), ``县应急管理``.
            min_score: least rapidfuzz WRatio (0–100) for a fuzzy match to be accepted.

        Returns:
            :class:`BodyMatch`; ``how == "fuzzy"`` means the caller should be told "did you mean".

        Raises:
            NotFoundError: nothing close enough, or several bodies about as close (within
                :data:`FUZZY_MARGIN`); ``suggestions`` has the closest names.
            TypeError: ``name`` is not a string.
        """
        if not isinstance(name, str):
            raise TypeError(f"a body name must be a string such as '县公安局', got {type(name).__name__}")
        for bodies in self._bodies:
            body, how = bodies.resolve(name)
            if body is not None:
                return BodyMatch(name, body, "exact" if how == "exact" else "alias")
        suggestions: list[str] = []
        scores: dict[str, tuple[float, Body]] = {}  # body id → its best score (first one on ties)
        for bodies in self._bodies:
            for cand, score in bodies.suggest(name):
                if cand not in suggestions:
                    suggestions.append(cand)
                found = bodies.registry.resolve(cand)
                if found.id not in scores or score > scores[found.id][0]:
                    scores[found.id] = (score, found)
        ranked = sorted(scores.values(), key=lambda sb: -sb[0])  # stable: ties keep the first seen
        if ranked and ranked[0][0] >= min_score:
            runner_up = ranked[1][0] if len(ranked) > 1 else 0.0  # a tie names no body
            if ranked[0][0] - runner_up >= FUZZY_MARGIN:
                return BodyMatch(name, ranked[0][1], "fuzzy", ranked[0][0])
        raise NotFoundError("body", name, suggestions[:3])

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

    def _matter_key(self, node: str) -> tuple[Any, ...]:
        a = self.graph.nodes[node]
        return (a["jurisdiction"], _LIST_ORDER[ListKind(a["list"])], a["seq"])

    def bodies_of(self, matter_id: str, relation: Relation | str | None = None) -> list[Link]:
        """The bodies linked to a matter, optionally of one relation.

        Returns:
            Links ordered: leading department first, then the list's order of departments, then
            the township; each with the clauses that ground it.

        Raises:
            NotFoundError: unknown matter id.
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
            NotFoundError: unknown body name.
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
            NotFoundError: either body name is unknown.
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
            NotFoundError: unknown body or matter; ValueError: neither or both given.
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
        data: dict[str, Any] = nx.node_link_data(g, edges="edges")
        return data

    def write_graphml(self, path: str | Path | BinaryIO) -> None:
        """Write the graph as GraphML to a file name or a binary file object.

        List attributes (``clauses``, ``units`` …) are JSON strings; missing values (a basic
        matter's ``role`` when not assigned) are left out.
        """
        target = path if hasattr(path, "write") else str(path)
        nx.write_graphml(_exportable(self.graph, self.rulebooks, json_lists=True), target)
