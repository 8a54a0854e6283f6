"""Records the graph queries return: links, workloads, violations, body matches."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from ..model.duties import Relation
from ..model.lists import Body, ListKind

UNKNOWN_KIND = "unknown"


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


def who_record(match: BodyMatch, links: list[Link]) -> dict[str, Any]:
    """The JSON record of "who is this body and what is it answerable for" (``dutyroute who --json``,
    ``GET /v1/bodies/{name}``): the query, the body, how its name was resolved, counts per relation
    and every link."""
    from ..model.duties import Relation

    return {
        "query": match.query,
        "body": {
            "id": match.body.id,
            "name": match.body.name,
            "kind": match.body.kind.value,
            "parent": match.body.parent,
        },
        "resolved_by": match.how,
        "score": match.score,
        "counts": {r.value: sum(1 for lk in links if lk.relation is r) for r in Relation},
        "links": [lk.to_dict() for lk in links],
    }
