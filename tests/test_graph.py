"""The responsibility graph on a small hand-built rulebook: structure, queries, violations."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from dutyroute.errors import NotFoundError
from dutyroute.graph import Relation, ResponsibilityGraph, build_graph, check_graph
from dutyroute.model.lists import Body, BodyKind, DutyBlock, Jurisdiction, ListKind, Matter, Rulebook

J = Jurisdiction(province="山西省", city="大同市", county="左云县", township="小京庄乡", key="xiaojingzhuang")

BODIES = (
    Body(id="township", name="小京庄乡", kind=BodyKind.township),
    Body(id="role.enforcement", name="综合行政执法队", kind=BodyKind.township_role, parent="township"),
    Body(id="role.party", name="乡党委", kind=BodyKind.township_role, parent="township"),
    Body(id="county.public_security", name="县公安局", kind=BodyKind.county_department),
    Body(
        id="county.traffic_police",
        name="县交通警察大队",
        kind=BodyKind.sub_unit,
        parent="county.public_security",
    ),
    Body(id="county.emergency", name="县应急管理局", kind=BodyKind.county_department, aliases=("应急局",)),
    Body(id="county.housing", name="县住房和城乡建设管理局", kind=BodyKind.county_department),
    Body(
        id="city.ecology_zuoyun",
        name="市生态环境局左云分局",
        kind=BodyKind.city_department_branch,
        aliases=("县生态环境局左云分局",),
    ),
    Body(id="county.transport", name="县交通运输局", kind=BodyKind.county_department),
    Body(id="placeholder.others", name="其他相关部门", kind=BodyKind.placeholder),
)


def coop(
    seq: int, title: str, depts: list[tuple[str, tuple[str, ...]]], township=("配合开展工作",), **kw
) -> Matter:
    return Matter(
        id=f"C{seq}",
        list=ListKind.cooperative,
        seq=seq,
        category="生态环保",
        title=title,
        source_line=100 + seq,
        listed_departments=tuple(kw.pop("listed", [d for d, _ in depts])),
        departments=tuple(DutyBlock(body=d, clauses=c, as_written=d, unit=kw.get("unit")) for d, c in depts),
        township_clauses=tuple(township),
    )


MATTERS = (
    Matter(
        id="B1",
        list=ListKind.basic,
        seq=1,
        category="党的建设",
        title="党建",
        source_line=5,
        role="role.party",
    ),
    Matter(
        id="B2",
        list=ListKind.basic,
        seq=2,
        category="行政执法",
        title="执法",
        source_line=6,
        role="role.enforcement",
    ),
    coop(
        40,
        "噪声污染防治",
        [
            ("县住房和城乡建设管理局", ("对建筑工地的噪声污染进行监督管理",)),
            ("市生态环境局左云分局", ("对企业噪声污染进行监督管理",)),
            ("县公安局", ("对社会噪声污染等违法违规行为进行查处",)),
        ],
    ),
    Matter(
        id="C61",
        list=ListKind.cooperative,
        seq=61,
        category="交通运输",
        title="道路交通安全",
        source_line=161,
        listed_departments=("县交通运输局", "县公安局"),
        departments=(
            DutyBlock(body="县交通运输局", clauses=("公路养护",), as_written="县交通运输局"),
            DutyBlock(
                body="县公安局",
                clauses=("查处交通违法",),
                as_written="县公安局（县交通警察大队）",
                unit="县交通警察大队",
            ),
        ),
        township_clauses=("及时上报村道损毁",),
    ),
    coop(74, "灾害性天气", [("县应急管理局", ("应急指挥",)), ("其他相关部门", ("各自职责",))]),
    Matter(
        id="R18",
        list=ListKind.reclaimed,
        seq=18,
        category="行政执法",
        title="安全生产处罚",
        source_line=218,
        receivers=(
            DutyBlock(body="县应急管理局", clauses=("负责处罚",), as_written="县应急管理局"),
            DutyBlock(body="县公安局", clauses=("负责查处",), as_written="县公安局"),
        ),
    ),
)

RB = Rulebook(
    jurisdiction=J,
    list_titles={k: f"大同市左云县小京庄乡{k.label}" for k in ListKind},
    bodies=BODIES,
    matters=MATTERS,
)


@pytest.fixture()
def rg() -> ResponsibilityGraph:
    return ResponsibilityGraph(RB)


def test_nodes_are_namespaced_matters_by_township_departments_by_county(rg):
    g = rg.graph
    assert "xiaojingzhuang:C40" in g
    assert (
        g.nodes["xiaojingzhuang:C40"].items()
        >= {
            "bipartite": 0,
            "id": "C40",
            "list": "cooperative",
            "category": "生态环保",
            "title": "噪声污染防治",
        }.items()
    )
    assert g.nodes["左云县:county.public_security"]["bipartite"] == 1
    assert g.nodes["左云县:county.public_security"]["kind"] == "county_department"
    assert g.nodes["xiaojingzhuang:township"]["name"] == "小京庄乡"
    assert nx.is_bipartite(g)


def test_two_townships_of_one_county_share_county_department_nodes():
    other = RB.model_copy(
        update={"jurisdiction": J.model_copy(update={"township": "小京庄乡", "key": "other"})}
    )
    g = build_graph(RB, other)
    assert "xiaojingzhuang:C40" in g and "other:C40" in g
    assert set(g.successors("左云县:county.public_security")) >= {"xiaojingzhuang:C40", "other:C40"}
    assert "xiaojingzhuang:township" in g and "other:township" in g


def test_cooperative_matter_first_listed_department_is_the_lead_with_its_own_clauses(rg):
    links = rg.bodies_of("C40", Relation.leads)
    assert [lk.body for lk in links] == ["县住房和城乡建设管理局", "市生态环境局左云分局", "县公安局"]
    assert [lk.lead for lk in links] == [True, False, False]
    assert links[2].clauses == ("对社会噪声污染等违法违规行为进行查处",)
    (coop_link,) = rg.bodies_of("C40", "cooperates")
    assert coop_link.body == "小京庄乡" and coop_link.clauses == ("配合开展工作",)


def test_alias_spelling_in_a_duty_block_resolves_to_the_canonical_body():
    m = MATTERS[2].model_copy(
        update={
            "departments": (DutyBlock(body="县生态环境局左云分局", clauses=("x",)),),
            "listed_departments": (),
        }
    )
    rb = RB.model_copy(update={"matters": (m,)})
    rg = ResponsibilityGraph(rb)
    assert [lk.body for lk in rg.bodies_of("C40")] == ["市生态环境局左云分局", "小京庄乡"]
    assert rg.check() == []


def test_sub_unit_is_folded_into_its_parent_and_named_on_the_link(rg):
    (police,) = [lk for lk in rg.bodies_of("C61") if lk.body == "县公安局"]
    assert police.units == ("县交通警察大队",)
    assert "县公安局（县交通警察大队）" in police.as_written
    assert [lk.matter for lk in rg.matters_of("县交通警察大队")] == ["C61"]
    assert "县交通警察大队" in rg.graph.nodes["左云县:county.public_security"]["units"]


def test_basic_matter_township_acts_with_its_role(rg):
    (lk,) = rg.bodies_of("B2")
    assert (lk.body, lk.relation, lk.role) == ("小京庄乡", Relation.acts, "综合行政执法队")
    assert [lk.matter for lk in rg.matters_of("综合行政执法队")] == ["B2"]


def test_reclaimed_matter_has_receivers_and_township_reclaimed_from(rg):
    rels = {(lk.body, lk.relation) for lk in rg.bodies_of("R18")}
    assert rels == {
        ("县应急管理局", Relation.receives),
        ("县公安局", Relation.receives),
        ("小京庄乡", Relation.reclaimed_from),
    }


def test_matters_of_a_body_by_relation_in_list_order(rg):
    links = rg.matters_of("县公安局")
    assert [(lk.relation.value, lk.matter) for lk in links] == [
        ("leads", "C40"),
        ("leads", "C61"),
        ("receives", "R18"),
    ]
    assert [lk.matter for lk in rg.matters_of("县公安局", "receives")] == ["R18"]


def test_resolve_body_exact_alias_fuzzy_and_unknown(rg):
    assert rg.resolve_body("县应急管理局").how == "exact"
    assert rg.resolve_body("应急局").how == "alias"
    m = rg.resolve_body("县应急管理")
    assert (m.how, m.body.name) == ("fuzzy", "县应急管理局")
    with pytest.raises(NotFoundError) as err:
        rg.resolve_body("火星探测局")
    assert "火星探测局" in str(err.value)


def test_unknown_matter_id_suggests_close_ids(rg):
    assert rg.matter_node("c40") == "xiaojingzhuang:C40"
    with pytest.raises(NotFoundError) as err:
        rg.matter_node("C41")
    assert "C40" in err.value.suggestions


def test_shared_matters_of_two_bodies(rg):
    pairs = rg.shared("县公安局", "县应急管理局")
    assert [(a.matter, a.relation.value, b.relation.value) for a, b in pairs] == [
        ("R18", "receives", "receives")
    ]


def test_workload_counts_each_relation(rg):
    rows = {w.body: w for w in rg.workload()}
    assert (rows["县公安局"].leads, rows["县公安局"].receives, rows["县公安局"].lead_first) == (2, 1, 0)
    assert rows["县交通运输局"].lead_first == 1
    t = rows["小京庄乡"]
    assert (t.acts, t.cooperates, t.reclaimed_from) == (2, 3, 1)
    assert rows["综合行政执法队"].acts == 1
    assert rows["乡党委"].acts == 1


def test_sound_rulebook_has_no_violations(rg):
    assert rg.check() == []


def _codes(rb: Rulebook) -> set[tuple[str, str | None, str | None]]:
    return {(v.code, v.matter, v.body) for v in ResponsibilityGraph(rb).check()}


def test_cooperative_matter_stripped_of_departments_is_reported():
    m = MATTERS[2].model_copy(update={"departments": (), "listed_departments": ()})
    rb = RB.model_copy(update={"matters": (*MATTERS[:2], m, *MATTERS[3:])})
    assert _codes(rb) == {("orphan-matter", "C40", None), ("cooperative-without-lead", "C40", None)}


def test_cooperative_matter_without_township_clauses_is_reported():
    m = MATTERS[2].model_copy(update={"township_clauses": ()})
    rb = RB.model_copy(update={"matters": (m,)})
    assert _codes(rb) == {("cooperative-township", "C40", None)}


def test_reclaimed_matter_without_receivers_is_reported():
    m = MATTERS[-1].model_copy(update={"receivers": ()})
    rb = RB.model_copy(update={"matters": (m,)})
    assert _codes(rb) == {("orphan-matter", "R18", None), ("reclaimed-without-receiver", "R18", None)}


def test_receiver_renamed_to_unknown_body_is_reported_with_suggestions():
    m = MATTERS[-1]
    m = m.model_copy(
        update={"receivers": (m.receivers[0].model_copy(update={"body": "县应急管里局"}), m.receivers[1])}
    )
    rb = RB.model_copy(update={"matters": (m,)})
    (v,) = ResponsibilityGraph(rb).check()
    assert (v.code, v.matter, v.body, v.source_line) == ("unknown-body", "R18", "县应急管里局", 218)
    assert v.suggestions[0] == "县应急管理局"


def test_township_acting_on_reclaimed_matter_is_reported(rg):
    rg.graph.add_edge(
        "xiaojingzhuang:township", "xiaojingzhuang:R18", relation="acts", clauses=(), lead=False
    )
    codes = {(v.code, v.matter) for v in check_graph(rg.graph)}
    assert codes == {("reclaimed-township-acts", "R18"), ("relation-not-allowed", "R18")}


def test_edge_between_two_bodies_is_not_bipartite(rg):
    rg.graph.add_edge("左云县:county.public_security", "左云县:county.emergency", relation="leads")
    assert [v.code for v in check_graph(rg.graph)] == ["not-bipartite"]


def test_placeholder_only_matter_is_a_warning():
    m = coop(74, "灾害性天气", [("其他相关部门", ("各自职责",))])
    rb = RB.model_copy(update={"matters": (m,)})
    (v,) = ResponsibilityGraph(rb).check()
    assert (v.code, v.severity, v.matter) == ("placeholder-only", "warning", "C74")


def test_unresolved_role_is_reported():
    m = MATTERS[0].model_copy(update={"role": "role.nobody"})
    rb = RB.model_copy(update={"matters": (m,)})
    (v,) = ResponsibilityGraph(rb).check()
    assert (v.code, v.matter, v.body) == ("unresolved-name", "B1", "role.nobody")


def test_neighbourhood_of_a_body_has_its_matters_and_their_other_bodies(rg):
    sub = rg.neighbourhood(body="县公安局")
    layers = nx.get_node_attributes(sub, "layer")
    assert sub.graph["focus"] == "左云县:county.public_security"
    assert {n for n, d in layers.items() if d == 1} == {
        "xiaojingzhuang:C40",
        "xiaojingzhuang:C61",
        "xiaojingzhuang:R18",
    }
    assert "xiaojingzhuang:township" in sub and "左云县:county.emergency" in sub
    assert "xiaojingzhuang:B1" not in sub


def test_neighbourhood_of_a_matter_is_its_bodies(rg):
    sub = rg.neighbourhood(matter="C40")
    assert sub.number_of_nodes() == 5 and sub.number_of_edges() == 4


def test_node_link_json_and_graphml_round_trip(rg, tmp_path):
    data = json.loads(json.dumps(rg.node_link(), ensure_ascii=False))
    assert sum(1 for n in data["nodes"] if n["bipartite"] == 0) == len(MATTERS)
    assert data["graph"]["hashes"] == {"xiaojingzhuang": RB.hash}
    g = nx.node_link_graph(data, edges="edges")
    assert nx.is_bipartite(g)
    path = tmp_path / "g.graphml"
    rg.write_graphml(path)
    h = nx.read_graphml(path)
    assert h.number_of_nodes() == rg.graph.number_of_nodes()
    edge = h.edges["左云县:county.public_security", "xiaojingzhuang:C40"]
    assert json.loads(edge["clauses"]) == ["对社会噪声污染等违法违规行为进行查处"]


# ── the bundled rulebook ─────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def bundled() -> ResponsibilityGraph:
    from dutyroute.store.rulebook import load_rulebook

    return ResponsibilityGraph(load_rulebook())


def test_bundled_graph_has_237_matter_nodes_and_is_bipartite(bundled):
    g = bundled.graph
    sides = nx.get_node_attributes(g, "bipartite")
    assert sum(1 for s in sides.values() if s == 0) == 237
    assert set(sides.values()) == {0, 1}
    assert nx.is_bipartite(g)
    assert all(sides[u] == 1 and sides[v] == 0 for u, v in g.edges)


def test_bundled_graph_has_no_orphans_and_the_township_never_acts_on_a_reclaimed_matter(bundled):
    g = bundled.graph
    for n, a in g.nodes(data=True):
        if a["bipartite"] != 0:
            continue
        rels = {Relation(g.edges[b, n]["relation"]) for b in g.predecessors(n)}
        assert rels & {Relation.acts, Relation.leads, Relation.receives}, n
        if a["list"] == "reclaimed":
            township_rels = {lk.relation for lk in bundled.bodies_of(n) if lk.body == "小京庄乡"}
            assert township_rels == {Relation.reclaimed_from}
    assert bundled.check() == []


def test_bundled_public_security_leads_cooperative_and_receives_reclaimed_matters(bundled):
    leads = {lk.matter for lk in bundled.matters_of("县公安局", Relation.leads)}
    assert {"C16", "C40", "C61", "C72"} <= leads
    assert {lk.matter[0] for lk in bundled.matters_of("县公安局", Relation.receives)} == {"R"}
    assert bundled.bodies_of("C16", Relation.leads)[0].lead is True


def test_bundled_every_basic_matter_names_the_office_that_acts(bundled):
    acts = next(w for w in bundled.workload() if w.body == "小京庄乡").acts
    assert acts == 111
    roles = sum(w.acts for w in bundled.workload() if w.kind == "township_role")
    assert roles == 111  # every basic matter is carried by exactly one office


def test_lint_reports_the_graph_violations(bundled):
    """One implementation, two front ends: `dutyroute lint` shows what ResponsibilityGraph.check finds."""
    from dutyroute.tools.lint import lint_rulebook

    rb = bundled.rulebooks[0]
    c40 = rb.matter("C40")
    r18 = rb.matter("R18")
    broken_r18 = r18.model_copy(
        update={
            "receivers": (r18.receivers[0].model_copy(update={"body": "县应急管里局"}), *r18.receivers[1:])
        }
    )
    matters = tuple(
        c40.model_copy(update={"departments": (), "listed_departments": ()})
        if m.id == "C40"
        else broken_r18
        if m.id == "R18"
        else m
        for m in rb.matters
    )
    broken = Rulebook(
        jurisdiction=rb.jurisdiction, list_titles=rb.list_titles, bodies=rb.bodies, matters=matters
    )
    violations = {(v.code, v.matter) for v in ResponsibilityGraph(broken).check()}
    assert violations == {
        ("orphan-matter", "C40"),
        ("cooperative-without-lead", "C40"),
        ("unknown-body", "R18"),
    }
    findings = {(f.code, f.matter) for f in lint_rulebook(broken)}
    assert violations <= findings
    (unknown,) = [f for f in lint_rulebook(broken) if f.code == "unknown-body"]
    assert "县应急管理局" in unknown.message  # the suggestion reaches the lint line
