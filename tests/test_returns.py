"""Returned orders (退单): Router.check_return on a table covering each kind, and dutyroute check-return."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dutyroute.cli import app
from dutyroute.errors import InputError, NotFoundError

# text, returned by, facts → justified, kind, the matter, who should take it instead
TABLE = [
    # the returning body's own clauses cover it: refused, its clauses shown
    ("县道上塌了个大坑，晚上骑车摔了", "县交通运输局", None, False, "not_justified", "C62", None),
    ("有人在地里烧秸秆，烟呛得人睡不着", "小京庄乡", None, False, "not_justified", "B96", None),
    ("有人在地里烧秸秆，烟呛得人睡不着", "综合行政执法队", None, False, "not_justified", "B96", None),
    # the township only cooperates on a cooperative matter
    ("县道上塌了个大坑，晚上骑车摔了", "小京庄乡", None, True, "only_cooperates", "C62", ("县交通运输局",)),
    # named in the matter, but this incident is another department's clause
    (
        "工地半夜还在打桩，吵得睡不着",
        "县公安局",
        None,
        True,
        "another_department_acts",
        "C40",
        ("县住房和城乡建设管理局",),
    ),
    # not named in the matter at all
    ("县道上塌了个大坑，晚上骑车摔了", "县公安局", None, True, "not_named", "C62", ("县交通运输局",)),
    ("有人在地里烧秸秆，烟呛得人睡不着", "县规划和自然资源局", None, True, "not_named", "B96", ("小京庄乡",)),
    # reclaimed by a county department: the township no longer acts
    (
        "超市货架上的价签和结账时的价钱不一样",
        "小京庄乡",
        None,
        True,
        "reclaimed",
        "R3",
        ("县市场监督管理局",),
    ),
    # outside every list
    ("我的信用卡被人盗刷了，银行不给处理", "县公安局", None, True, "outside_lists", None, None),
    # a deciding fact given: the verdict follows it
    ("路上有个大坑没人修", "县交通运输局", {"road_class": "村道"}, True, "not_named", "B82", ("小京庄乡",)),
    ("路上有个大坑没人修", "县交通运输局", {"road_class": "县道"}, False, "not_justified", "C62", None),
]


@pytest.mark.parametrize(("text", "body", "facts", "justified", "kind", "matter", "instead"), TABLE)
def test_check_return_table(router, text, body, facts, justified, kind, matter, instead) -> None:  # type: ignore[no-untyped-def]
    v = router.check_return(text, body, facts=facts)
    assert (v.justified, v.kind, v.matter) == (justified, kind, matter), v.explanation
    if instead is None:
        assert v.instead == ()
    else:
        assert [r.acting for r in v.instead] == [instead]
        assert all(r.basis for r in v.instead)
    assert v.explanation.startswith("退单成立" if justified else "退单不成立")


def test_a_refused_return_cites_the_returning_bodys_own_clauses(router) -> None:  # type: ignore[no-untyped-def]
    v = router.check_return("县道上塌了个大坑，晚上骑车摔了", "县交通运输局")
    own = [c for c in v.clauses if c.body == "县交通运输局"]
    assert own and any("县道" in c.text for c in own)
    assert "县交通运输局的职责" in v.explanation


def test_only_cooperates_names_what_the_township_still_must_do(router) -> None:  # type: ignore[no-untyped-def]
    v = router.check_return("县道上塌了个大坑，晚上骑车摔了", "小京庄乡")
    assert any(c.body == "小京庄乡" and c.relation == "cooperates" for c in v.clauses)
    assert "仍须配合" in v.explanation


def test_missing_fact_gives_the_verdict_under_each_answer(router) -> None:  # type: ignore[no-untyped-def]
    v = router.check_return("路上有个大坑没人修", "县交通运输局")
    assert v.kind == "depends_on_fact" and v.justified is None
    assert v.depends_on is not None and v.depends_on.fact == "road_class"
    by_value = {o.value: (o.justified, o.route.matter) for o in v.depends_on.options}
    assert by_value["村道"] == (True, "B82") and by_value["县道"] == (False, "C62")
    assert [r.matter for r in v.instead] == ["B82"]


def test_body_names_go_through_aliases_sub_units_and_did_you_mean(router) -> None:  # type: ignore[no-untyped-def]
    assert router.check_return("县道上塌了个大坑", "县交通局").returned_by == "县交通运输局"
    police = router.check_return("有人在县道上飙车，还不戴头盔", "县交通警察大队")
    assert police.returned_by == "县公安局" and "县交通警察大队属县公安局" in police.explanation
    with pytest.raises(NotFoundError, match="火星局"):
        router.check_return("县道上塌了个大坑", "火星局")
    # a name that fits many bodies equally (every 县…局) names none of them: no verdict on a guess
    with pytest.raises(NotFoundError, match=r"no body '县'.*did you mean"):
        router.check_return("县道上塌了个大坑", "县")
    with pytest.raises(TypeError, match="body name must be a string"):
        router.check_return("县道上塌了个大坑", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="reason must be a string"):
        router.check_return("县道上塌了个大坑", "县交通局", reason=5)  # type: ignore[arg-type]


def test_a_decision_can_be_judged_without_routing_again(router) -> None:  # type: ignore[no-untyped-def]
    d = router.route("工地半夜还在打桩，吵得睡不着")
    assert router.check_return(d, "县公安局") == router.check_return(
        "工地半夜还在打桩，吵得睡不着", "县公安局"
    )
    # facts change the route of a text; a Decision was routed already, so they are refused, not dropped
    with pytest.raises(InputError, match="facts apply when a text is routed"):
        router.check_return(d, "县公安局", facts={"noise_source": "建筑工地"})


def test_reasons_are_echoed_and_place_disputes_say_what_the_lists_cannot_judge(router) -> None:  # type: ignore[no-untyped-def]
    v = router.check_return("县道上塌了个大坑", "县交通运输局", reason="属地不符")
    assert v.reason == "属地不符" and "不判断地点" in v.explanation


def test_every_acting_body_of_every_routed_probe_is_refused(router) -> None:  # type: ignore[no-untyped-def]
    """For any routed decision the acting bodies' returns are not justified, and a body with no
    link to the matter is told who acts instead — the invariant behind the table."""
    texts = [
        "县道上塌了个大坑",
        "有人在地里烧秸秆",
        "饭馆油烟直往屋里灌",
        "老板拖欠工钱半年了",
        "死猪扔在路边发臭",
    ]
    for t in texts:
        d = router.route(t)
        if d.status != "routed":
            continue
        for b in d.acting:
            assert router.check_return(d, b).kind == "not_justified"
        linked = {lk.body for lk in router.graph.bodies_of(d.matter)}
        stranger = next(
            b.name
            for b in router.rulebook.bodies
            if b.name not in linked and b.kind.value == "county_department"
        )
        v = router.check_return(d, stranger)
        assert v.justified and v.kind == "not_named" and v.instead[0].acting == d.acting


def test_cli_check_return_prints_and_answers_json() -> None:
    runner = CliRunner()
    r = runner.invoke(
        app,
        ["check-return", "工地半夜还在打桩，吵得睡不着", "--returned-by", "县公安局", "--reason", "职能不符"],
    )
    assert r.exit_code == 0 and "退单成立" in r.output and "县住房和城乡建设管理局" in r.output
    r = runner.invoke(
        app,
        [
            "check-return",
            "路上有个大坑",
            "--returned-by",
            "县交通运输局",
            "--facts",
            "road_class=县道",
            "--json",
        ],
    )
    assert r.exit_code == 0
    v = json.loads(r.output)
    assert v["justified"] is False and v["kind"] == "not_justified"
    r = runner.invoke(app, ["check-return", "路上有个大坑", "--returned-by", "火星局"])
    assert r.exit_code != 0
