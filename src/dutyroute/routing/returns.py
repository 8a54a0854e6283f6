"""Is a returned order (退单) justified, and who must act instead: :func:`check_return`.

The verdict is read off the lists through the graph: the decision for the incident gives the
matter and the acting bodies (with the clauses that matched); the returning body's own relation to
that matter (acts / leads / cooperates / receives / reclaimed_from / none) and its clauses decide
the kind (see :data:`dutyroute.model.returns.ReturnKind`). Where the route hinges on a fact the
text does not say, each answer is judged on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError
from ..graph.records import Link
from ..model.decision import Clarification, Decision
from ..model.duties import Relation
from ..model.lists import BodyKind
from ..model.returns import DecidingClause, ReturnFact, ReturnKind, ReturnOption, ReturnRoute, ReturnVerdict

if TYPE_CHECKING:
    from ..graph.query import ResponsibilityGraph
    from ..model.lists import Rulebook

__all__ = ["RETURN_REASONS", "check_return"]

RETURN_REASONS = ("属地不符", "职能不符", "权属不清", "职能交叉")
"""The reasons a hotline centre's returned orders usually give (others are echoed as written)."""

ALSO_ACTS_MIN = 0.15
"""Least confidence of an alternative route for it to be shown in ``also_acts_in``."""


def _who(graph: ResponsibilityGraph, rulebook: Rulebook, returned_by: str) -> tuple[str, str]:
    """The body a return is judged for (canonical name), and a note when the name was interpreted."""
    match = graph.resolve_body(returned_by)
    body = match.body
    note = f"（“{returned_by}”按“{body.name}”理解）" if match.how == "fuzzy" else ""
    town = rulebook.jurisdiction.township
    if body.kind is BodyKind.township_role:
        return town, note + f"（{body.name}是{town}的内设机构，按{town}判断）"
    if body.kind is BodyKind.sub_unit and body.parent:
        parent = next((b.name for b in rulebook.bodies if b.id == body.parent), None)
        if parent:
            return parent, note + f"（{body.name}属{parent}，按{parent}判断）"
    if body.kind is BodyKind.placeholder:
        raise NotFoundError("body (a placeholder is not one body)", returned_by, [])
    return body.name, note


def _clauses(
    links: Sequence[Link], body: str, matter: str, matched: Mapping[str, list[str]], relations: set[Relation]
) -> list[DecidingClause]:
    """``body``'s clauses in ``matter`` of the given relations: the ones the text matched when there
    are, else all of them (a basic matter's clause is its title)."""
    out: list[DecidingClause] = []
    for lk in links:
        if lk.body != body or lk.relation not in relations:
            continue
        texts = [c for c in lk.clauses if c in matched.get(body, ())] or list(lk.clauses)
        if not texts and lk.relation is Relation.acts:
            texts = [lk.title]
        out += [DecidingClause(matter=matter, body=body, relation=lk.relation.value, text=t) for t in texts]
    return out


def _judge(
    graph: ResponsibilityGraph, body: str, route: ReturnRoute, matched: Mapping[str, list[str]]
) -> tuple[bool, ReturnKind, list[DecidingClause]]:
    links = graph.bodies_of(route.matter)
    mine = {lk.relation for lk in links if lk.body == body}
    acting_rel = {Relation.acts, Relation.leads, Relation.receives}
    acting_clauses = [c for a in route.acting for c in _clauses(links, a, route.matter, matched, acting_rel)]
    if body in route.acting:
        return False, "not_justified", _clauses(links, body, route.matter, matched, acting_rel)
    if route.reclaimed:
        return True, "reclaimed", acting_clauses
    if Relation.cooperates in mine or body in route.cooperating:
        own = _clauses(links, body, route.matter, matched, {Relation.cooperates})
        return True, "only_cooperates", acting_clauses + own
    if mine & {Relation.leads, Relation.receives}:
        own = _clauses(links, body, route.matter, {}, {Relation.leads, Relation.receives})
        return True, "another_department_acts", acting_clauses + own
    return True, "not_named", acting_clauses


def _names(names: Sequence[str]) -> str:
    return "、".join(names) or "（无）"


def _explain(
    kind: ReturnKind, body: str, route: ReturnRoute | None, clauses: Sequence[DecidingClause]
) -> str:
    if kind == "outside_lists" or route is None:
        return "退单成立：三张清单均未列此事项（不属乡镇及县级部门清单职责），请按其他渠道转办。"
    first = next((c.text for c in clauses if c.body in route.acting), "")
    own = next((c.text for c in clauses if c.body == body), "")
    quote = f"，职责“{first[:60]}”" if first else ""
    if kind == "not_justified":
        return f"退单不成立：{route.basis}，{body}的职责“{own[:60]}”覆盖此事，应由{body}办理。"
    if kind == "reclaimed":
        return f"退单成立：{route.basis}已由上级部门收回，由承接部门{_names(route.acting)}办理{quote}。"
    if kind == "only_cooperates":
        coop = f"，{body}负责配合：“{own[:60]}”" if own else f"，{body}负责配合"
        return f"退单成立（不牵头，仍须配合）：{route.basis}由{_names(route.acting)}办理{quote}{coop}。"
    if kind == "another_department_acts":
        duty = f"的职责“{first[:60]}”" if first else "的职责"
        return f"退单成立：{body}虽列入{route.basis}，但此事属{_names(route.acting)}{duty}，应由其办理。"
    return f"退单成立：{route.basis}未列{body}，应由{_names(route.acting)}办理{quote}。"


def _reason_note(reason: str | None) -> str:
    if reason == "属地不符":
        return "（属地不符：清单只判断职责，不判断地点；请核实事发地是否在本乡镇辖区。）"
    if reason == "权属不清":
        return "（权属不清：清单按事项定职责；权属本身的争议另按确权程序处理。）"
    return ""


def check_return(
    graph: ResponsibilityGraph,
    rulebook: Rulebook,
    d: Decision,
    returned_by: str,
    reason: str | None = None,
) -> ReturnVerdict:
    """Judge a returned order: is ``returned_by``'s "not ours" right, and who must act instead.

    Args:
        graph: the responsibility graph of ``rulebook`` (who stands how to each matter).
        rulebook: the lists the decision was made with.
        d: the decision for the incident (:meth:`Router.route`).
        returned_by: the body that returned it: canonical name, alias or close spelling; a township
            office (综合行政执法队) counts as the township, a sub-unit (县交通警察大队) as its parent.
        reason: the stated reason (属地不符, 职能不符, 权属不清, 职能交叉 or free text), echoed.

    Returns:
        A :class:`~dutyroute.model.returns.ReturnVerdict`.

    Raises:
        NotFoundError: ``returned_by`` names no body of the rulebook (with suggestions).
    """
    body, note = _who(graph, rulebook, returned_by)
    matched: dict[str, list[str]] = {}
    for c in d.basis_clauses:
        matched.setdefault(c.body, []).append(c.text)
    rb_hash = d.rulebook_hash

    def verdict(**fields: Any) -> ReturnVerdict:
        return ReturnVerdict(
            returned_by=body, returned_by_as_given=returned_by, reason=reason, rulebook_hash=rb_hash, **fields
        )

    extra = note + _reason_note(reason)
    if d.status == "unmatched":
        return verdict(
            justified=True,
            kind="outside_lists",
            explanation=_explain("outside_lists", body, None, []) + extra,
        )
    if d.status == "needs_clarification" and d.clarify is not None:
        return verdict(**_depends_on_fact(graph, body, d.clarify, matched, extra))
    assert d.matter is not None
    route = ReturnRoute(
        matter=d.matter,
        acting=d.acting,
        cooperating=d.cooperating,
        reclaimed=d.reclaimed,
        basis=d.basis or "",
    )
    justified, kind, clauses = _judge(graph, body, route, matched)
    also = _also_acts_in(graph, rulebook, body, d)
    return verdict(
        justified=justified,
        kind=kind,
        matter=d.matter,
        basis=d.basis,
        instead=() if not justified else (route,),
        clauses=tuple(clauses),
        also_acts_in=also,
        explanation=_explain(kind, body, route, clauses) + extra,
    )


def _depends_on_fact(
    graph: ResponsibilityGraph, body: str, clarify: Clarification, matched: dict[str, list[str]], extra: str
) -> dict[str, Any]:
    """The verdict's fields when the decision asks a deciding fact: the return is judged under each
    value of the fact (justified is None when the values disagree)."""
    options = []
    for o in clarify.options:
        r = ReturnRoute(
            matter=o.matter, acting=o.acting, cooperating=o.cooperating, reclaimed=o.reclaimed, basis=o.basis
        )
        ok, kind, _ = _judge(graph, body, r, matched)
        options.append(ReturnOption(value=o.value, label=o.label, route=r, justified=ok, kind=kind))
    verdicts = {o.justified for o in options}
    parts = "；".join(
        f"{o.label or o.value}：{'成立' if o.justified else '不成立'}"
        f"（{o.route.matter} {_names(o.route.acting)}）"
        for o in options
    )
    return {
        "justified": verdicts.pop() if len(verdicts) == 1 else None,
        "kind": "depends_on_fact",
        "instead": tuple(dict.fromkeys(o.route for o in options if o.justified)),
        "depends_on": ReturnFact(fact=clarify.fact, question=clarify.question, options=tuple(options)),
        "explanation": f"是否成立取决于：{clarify.question} {parts}{extra}",
    }


def _also_acts_in(
    graph: ResponsibilityGraph, rulebook: Rulebook, body: str, d: Decision
) -> tuple[ReturnRoute, ...]:
    """The decision's alternatives (confidence ≥ ALSO_ACTS_MIN) on which ``body`` itself acts."""
    return tuple(
        ReturnRoute(
            matter=a.matter,
            acting=a.acting,
            cooperating=a.cooperating,
            reclaimed=a.reclaimed,
            basis=rulebook.basis(graph.matter(a.matter)[1]),
        )
        for a in d.alternatives
        if body in a.acting and a.confidence >= ALSO_ACTS_MIN
    )
