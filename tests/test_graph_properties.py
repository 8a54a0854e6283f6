"""Property tests: the graph's invariants hold on every valid rulebook we can make from the real
lists, and the check names exactly the matter or body we broke.

Valid rulebooks: random subsets and reorderings of the 237 real matters, new matters assembled from
real clauses and real bodies, alias spellings swapped in for canonical names. Broken ones: one
matter stripped of its departments / receivers / township clauses, one receiver or department
renamed to a body nobody knows, one basic matter given a role that does not exist, the township
made to act on a reclaimed matter.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import pytest
from budget import examples
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dutyroute.graph import ACTING_RELATIONS, Relation, ResponsibilityGraph
from dutyroute.model.bodies import BodyRegistry
from dutyroute.model.lists import BodyKind, DutyBlock, ListKind, Matter, Rulebook
from dutyroute.store.rulebook import load_rulebook

RB = load_rulebook()
REGISTRY = BodyRegistry(RB.bodies)
FULL = ResponsibilityGraph(RB)

BY_LIST = {k: [m for m in RB.matters if m.list is k] for k in ListKind}
DEPARTMENTS = [
    b.name
    for b in RB.bodies
    if b.kind
    in (
        BodyKind.county_department,
        BodyKind.city_department_branch,
        BodyKind.party_organ,
        BodyKind.peoples_organization,
        BodyKind.state_enterprise,
    )
]
ROLES = [b.id for b in RB.bodies if b.kind is BodyKind.township_role]
DEPT_CLAUSES = sorted({c for m in RB.matters for b in (*m.departments, *m.receivers) for c in b.clauses})
TOWNSHIP_CLAUSES = sorted({c for m in RB.matters for c in m.township_clauses})
CATEGORIES = sorted({m.category for m in RB.matters})

PROFILE = settings(
    max_examples=examples(50),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def rulebook(matters: Sequence[Matter]) -> Rulebook:
    """A rulebook like the bundled one with other matters (built anew: no cached hash carried over)."""
    return Rulebook(
        jurisdiction=RB.jurisdiction,
        list_titles=RB.list_titles,
        effective_date=RB.effective_date,
        source=RB.source,
        bodies=RB.bodies,
        matters=tuple(matters),
    )


def errors(rg: ResponsibilityGraph):
    return [v for v in rg.check() if v.severity == "error"]


def edge_view(rg: ResponsibilityGraph) -> set[tuple]:
    """Every link as a hashable record, independent of insertion order."""
    return {
        (lk.body_node, lk.matter_node, lk.relation, lk.clauses, lk.lead, lk.listed, lk.role, lk.units)
        for n, a in rg.graph.nodes(data=True)
        if a.get("bipartite") == 0
        for lk in rg.bodies_of(n)
    }


# ── strategies ──────────────────────────────────────────────────────────────────────────────


@st.composite
def real_subsets(draw, min_size: int = 1) -> list[Matter]:
    """A random subset of the real matters, in random order: a few, or about half of all 237."""
    n = len(RB.matters)
    few = st.sets(st.sampled_from(range(n)), min_size=min_size, max_size=20)
    half = st.lists(st.booleans(), min_size=n, max_size=n).map(
        lambda mask: {i for i, keep in enumerate(mask) if keep}
    )
    picked = draw(st.one_of(few, half).filter(lambda s: len(s) >= min_size))
    return draw(st.permutations([RB.matters[i] for i in sorted(picked)]))


def _blocks(draw, names: list[str]) -> tuple[DutyBlock, ...]:
    return tuple(
        DutyBlock(
            body=n,
            clauses=tuple(draw(st.lists(st.sampled_from(DEPT_CLAUSES), min_size=1, max_size=4, unique=True))),
        )
        for n in names
    )


@st.composite
def new_matters(draw, seq: int) -> Matter:
    """A new matter (序号 ≥ 500) of a random list, assembled from real bodies and real clauses."""
    kind = draw(st.sampled_from(list(ListKind)))
    common = {
        "id": f"{kind.letter}{seq}",
        "list": kind,
        "seq": seq,
        "category": draw(st.sampled_from(CATEGORIES)),
        "title": draw(st.sampled_from([m.title for m in BY_LIST[kind]])) + "（新增）",
        "source_line": 9000 + seq,
    }
    if kind is ListKind.basic:
        return Matter(**common, role=draw(st.sampled_from(ROLES)))
    names = draw(st.lists(st.sampled_from(DEPARTMENTS), min_size=1, max_size=4, unique=True))
    if kind is ListKind.cooperative:
        township = draw(st.lists(st.sampled_from(TOWNSHIP_CLAUSES), min_size=1, max_size=5, unique=True))
        return Matter(
            **common,
            listed_departments=tuple(names),
            departments=_blocks(draw, names),
            township_clauses=tuple(township),
        )
    return Matter(**common, receivers=_blocks(draw, names))


def _aliases(name: str) -> list[str]:
    """Spellings of a body that resolve to that same body (not to one of its sub-units)."""
    body = REGISTRY.get(name)
    return [name] + [a for a in body.aliases if REGISTRY.get(a) == body] if body else [name]


@st.composite
def alias_spelt(draw, m: Matter) -> Matter:
    """The same matter with random aliases written where the canonical names stood."""

    def swap(block: DutyBlock) -> DutyBlock:
        return block.model_copy(update={"body": draw(st.sampled_from(_aliases(block.body)))})

    return m.model_copy(
        update={
            "listed_departments": tuple(draw(st.sampled_from(_aliases(n))) for n in m.listed_departments),
            "departments": tuple(swap(b) for b in m.departments),
            "receivers": tuple(swap(b) for b in m.receivers),
        }
    )


unknown_names = (
    st.text(alphabet="东南西北中甲乙丙丁星月山河林草风云", min_size=2, max_size=6)
    .map(lambda s: f"县{s}局")
    .filter(lambda n: REGISTRY.get(n) is None)
)


# ── valid rulebooks: the invariants hold ─────────────────────────────────────────────────────


def assert_invariants(rg: ResponsibilityGraph, matters: Sequence[Matter]) -> None:
    g = rg.graph
    assert nx.is_bipartite(g)
    matter_nodes = [n for n, a in g.nodes(data=True) if a["bipartite"] == 0]
    assert sorted(g.nodes[n]["id"] for n in matter_nodes) == sorted(m.id for m in matters)
    for n in matter_nodes:
        links = rg.bodies_of(n)
        kind = ListKind(g.nodes[n]["list"])
        assert any(lk.relation in ACTING_RELATIONS for lk in links), n
        assert all(lk.known for lk in links)
        township = [lk for lk in links if REGISTRY.get(lk.body).kind is BodyKind.township]
        if kind is ListKind.cooperative:
            assert any(lk.relation is Relation.leads for lk in links)
            assert [lk.relation for lk in township] == [Relation.cooperates]
            assert [lk.body for lk in links if lk.relation is Relation.cooperates] == ["小京庄乡"]
            assert sum(lk.lead for lk in links) == 1
        elif kind is ListKind.reclaimed:
            assert [lk.relation for lk in township] == [Relation.reclaimed_from]
            assert any(lk.relation is Relation.receives for lk in links)
        else:
            assert [lk.relation for lk in links] == [Relation.acts]
    assert errors(rg) == []


def test_the_bundled_rulebook_is_sound():
    assert_invariants(FULL, RB.matters)
    assert FULL.check() == []


@PROFILE
@given(real_subsets())
def test_any_subset_in_any_order_keeps_the_invariants_and_each_matters_links(matters):
    rg = ResponsibilityGraph(rulebook(matters))
    assert_invariants(rg, matters)
    # a matter's links do not depend on which other matters are loaded, nor on their order
    full = {e for e in edge_view(FULL) if FULL.graph.nodes[e[1]]["id"] in {m.id for m in matters}}
    assert edge_view(rg) == full


@PROFILE
@given(st.data())
def test_new_matters_built_from_real_clauses_keep_the_invariants(data):
    base = data.draw(real_subsets())
    extra = [data.draw(new_matters(500 + i)) for i in range(data.draw(st.integers(1, 5)))]
    matters = data.draw(st.permutations([*base, *extra]))
    rg = ResponsibilityGraph(rulebook(matters))
    assert_invariants(rg, matters)
    for m in extra:
        links = rg.bodies_of(m.id)
        if m.list is ListKind.cooperative:
            leads = [lk for lk in links if lk.relation is Relation.leads]
            assert [lk.body for lk in leads] == list(m.listed_departments)
            assert [lk.lead for lk in leads] == [True] + [False] * (len(leads) - 1)
            assert [lk.clauses for lk in leads] == [b.clauses for b in m.departments]
        elif m.list is ListKind.reclaimed:
            got = [(lk.body, lk.clauses) for lk in links if lk.relation is Relation.receives]
            assert got == [(b.body, b.clauses) for b in m.receivers]
        else:
            assert links[0].role == REGISTRY.by_id(m.role).name


@PROFILE
@given(st.data())
def test_alias_spellings_build_the_same_graph(data):
    matters = data.draw(real_subsets())
    spelt = [data.draw(alias_spelt(m)) for m in matters]
    rg = ResponsibilityGraph(rulebook(spelt))
    assert_invariants(rg, spelt)
    assert edge_view(rg) == edge_view(ResponsibilityGraph(rulebook(matters)))


# ── broken rulebooks: the check names exactly what was broken ────────────────────────────────


def broken(matters: list[Matter], index: int, victim: Matter) -> ResponsibilityGraph:
    return ResponsibilityGraph(rulebook([*matters[:index], victim, *matters[index + 1 :]]))


def only_about(rg: ResponsibilityGraph, matter: str) -> set[str]:
    errs = errors(rg)
    assert errs, "the check found nothing"
    assert {v.matter for v in errs} == {matter}, [v.message for v in errs]
    return {v.code for v in errs}


@PROFILE
@given(st.data())
def test_a_cooperative_matter_stripped_of_its_departments_is_reported_alone(data):
    matters = data.draw(real_subsets())
    victim = data.draw(st.sampled_from(BY_LIST[ListKind.cooperative]))
    i = data.draw(st.integers(0, len(matters)))
    matters = [m for m in matters if m.id != victim.id]
    matters.insert(min(i, len(matters)), victim)
    i = matters.index(victim)
    rg = broken(matters, i, victim.model_copy(update={"departments": (), "listed_departments": ()}))
    assert only_about(rg, victim.id) == {"orphan-matter", "cooperative-without-lead"}


@PROFILE
@given(st.data())
def test_a_reclaimed_matter_stripped_of_its_receivers_is_reported_alone(data):
    matters = [m for m in data.draw(real_subsets()) if m.list is not ListKind.reclaimed]
    victim = data.draw(st.sampled_from(BY_LIST[ListKind.reclaimed]))
    matters.insert(data.draw(st.integers(0, len(matters))), victim)
    i = matters.index(victim)
    rg = broken(matters, i, victim.model_copy(update={"receivers": ()}))
    assert only_about(rg, victim.id) == {"orphan-matter", "reclaimed-without-receiver"}


@PROFILE
@given(st.data())
def test_a_cooperative_matter_without_township_clauses_is_reported_alone(data):
    matters = [m for m in data.draw(real_subsets()) if m.list is not ListKind.cooperative]
    victim = data.draw(st.sampled_from(BY_LIST[ListKind.cooperative]))
    matters.insert(data.draw(st.integers(0, len(matters))), victim)
    rg = broken(matters, matters.index(victim), victim.model_copy(update={"township_clauses": ()}))
    assert only_about(rg, victim.id) == {"cooperative-township"}


@PROFILE
@given(st.data(), unknown_names)
def test_a_body_renamed_to_an_unknown_name_is_reported_alone(data, name):
    kind = data.draw(st.sampled_from([ListKind.cooperative, ListKind.reclaimed]))
    matters = [m for m in data.draw(real_subsets()) if m.list is not kind]
    victim = data.draw(st.sampled_from(BY_LIST[kind]))
    field = "departments" if kind is ListKind.cooperative else "receivers"
    blocks = list(getattr(victim, field))
    j = data.draw(st.integers(0, len(blocks) - 1))
    old = blocks[j].body
    blocks[j] = blocks[j].model_copy(update={"body": name})
    update = {field: tuple(blocks)}
    if kind is ListKind.cooperative:  # the 对应上级部门 column spells it the same way
        update["listed_departments"] = tuple(name if n == old else n for n in victim.listed_departments)
    matters.insert(data.draw(st.integers(0, len(matters))), victim)
    rg = broken(matters, matters.index(victim), victim.model_copy(update=update))
    errs = errors(rg)
    assert [(v.code, v.matter, v.body) for v in errs] == [("unknown-body", victim.id, name)]
    assert errs[0].source_line == victim.source_line


@PROFILE
@given(st.data())
def test_a_basic_matter_with_an_unknown_role_is_reported_alone(data):
    matters = [m for m in data.draw(real_subsets()) if m.list is not ListKind.basic]
    victim = data.draw(st.sampled_from(BY_LIST[ListKind.basic]))
    matters.insert(data.draw(st.integers(0, len(matters))), victim)
    rg = broken(
        matters, matters.index(victim), victim.model_copy(update={"role": "xiaojingzhuang.no_such_office"})
    )
    errs = errors(rg)
    assert [(v.code, v.matter, v.body) for v in errs] == [
        ("unresolved-name", victim.id, "xiaojingzhuang.no_such_office")
    ]


@PROFILE
@given(st.data())
def test_the_township_acting_on_a_reclaimed_matter_is_reported_alone(data):
    matters = data.draw(real_subsets())
    rg = ResponsibilityGraph(rulebook(matters))
    reclaimed = [n for n, a in rg.graph.nodes(data=True) if a.get("list") == "reclaimed"]
    assume(reclaimed)
    target = data.draw(st.sampled_from(reclaimed))
    relation = data.draw(st.sampled_from(["acts", "receives"]))
    township = next(n for n, a in rg.graph.nodes(data=True) if a.get("kind") == "township")
    rg.graph.remove_edge(township, target)
    rg.graph.add_edge(township, target, relation=relation, clauses=(), lead=False, listed=True, units=())
    codes = only_about(rg, rg.graph.nodes[target]["id"])
    assert "reclaimed-township-acts" in codes


@pytest.mark.parametrize("kind", list(ListKind))
def test_every_list_has_matters_to_draw_from(kind):
    # guards the strategies above: a list without matters would make sampled_from fail
    assert BY_LIST[kind]
