"""Canonical bodies: one name per real body, every seed spelling resolves, misses suggest."""

from __future__ import annotations

import re

import pytest
from listkit import RULES

from dutyroute.errors import RuleFileError, UnknownBodyError
from dutyroute.model.bodies import BodyRegistry, looks_like_body, name_key
from dutyroute.model.lists import Body, BodyKind
from dutyroute.store.bodies import load_bodies

# The canonical names the labelled cases use (../shared/cases/README.md).
CANONICAL = [
    "小京庄乡", "县规划和自然资源局", "县公安局", "县农业农村和水务局", "县住房和城乡建设管理局",
    "市生态环境局左云分局", "县民政和人力资源社会保障局", "县交通运输局", "县市场监督管理局", "县应急管理局",
    "县发改工信和科技商务局", "县卫生健康局", "县行政审批服务管理局", "县财政局", "县教育体育局",
    "县文化和旅游局", "县消防救援大队", "县税务局", "县残疾人联合会", "县气象局", "县统计局", "县司法局",
    "县委政法委员会", "县退役军人事务局", "县委党史研究室", "国网左云供电公司", "县城投公司",
]  # fmt: skip


@pytest.mark.parametrize("name", CANONICAL)
def test_canonical_names_are_bodies_of_their_own(registry, name):
    assert registry.resolve(name).name == name


@pytest.mark.parametrize(
    "spelling, canonical",
    [
        ("县农业农村局", "县农业农村和水务局"),
        ("县农业农村局和水务局", "县农业农村和水务局"),
        ("县农业农村局和水利局", "县农业农村和水务局"),
        ("县生态环境局左云分局", "市生态环境局左云分局"),
        ("县住建局", "县住房和城乡建设管理局"),
        ("县残联", "县残疾人联合会"),
        ("其他负有安全生产监督管理局职责的部门", "其他负有安全生产监督管理职责的部门"),
    ],
)
def test_seed_spellings_resolve_to_the_canonical_body(registry, spelling, canonical):
    assert registry.resolve(spelling).name == canonical


def test_traffic_police_is_a_sub_unit_of_public_security(registry):
    unit = registry.resolve("县公安局（县交通警察大队）")
    assert (unit.name, unit.kind) == ("县交通警察大队", BodyKind.sub_unit)
    assert registry.parent_of(unit).name == "县公安局"
    assert registry.resolve("县公安局(县交通警察大队)") is unit  # half-width brackets too


def test_every_spelling_in_the_seed_resolves(parsed, registry):
    for m in parsed.matters:
        for block in (*m.departments, *m.receivers):
            assert registry.resolve(block.body).name == block.body
            if block.as_written:
                body = registry.resolve_many(block.as_written)
                assert block.body in [b.name for b in body] or (
                    block.unit and block.unit in [b.name for b in body]
                )


def test_unknown_name_raises_with_close_suggestions(registry):
    with pytest.raises(UnknownBodyError) as exc:
        registry.resolve("县农业农业局", path="rules/x.yaml", line=7, context="rule straw-01")
    assert exc.value.value == "县农业农业局"
    assert "县农业农村和水务局" in exc.value.suggestions
    assert str(exc.value).startswith(
        "rules/x.yaml:7: unknown body '县农业农业局' in rule straw-01; did you mean"
    )
    assert isinstance(exc.value, LookupError) and isinstance(exc.value, RuleFileError)


def test_joint_names_split_into_their_bodies(registry):
    names = lambda text: [b.name for b in registry.resolve_many(text)]  # noqa: E731
    assert names("县财政局、县规划和自然资源局、县住房和城乡建设管理局") == [
        "县财政局",
        "县规划和自然资源局",
        "县住房和城乡建设管理局",
    ]
    assert names("县应急管理局和其他负有安全生产监督管理局职责的部门") == [
        "县应急管理局",
        "其他负有安全生产监督管理职责的部门",
    ]
    assert names("县应急管理局及相关部门") == ["县应急管理局", "相关部门"]
    assert names("县农业农村和水务局") == ["县农业农村和水务局"]  # 和 inside a name is no join
    assert names("县公安局 县公安局") == ["县公安局"]
    with pytest.raises(UnknownBodyError, match="县农业农业局"):
        registry.resolve_many("县公安局、县农业农业局")


def test_bodies_file_is_consistent(registry):
    ids = [b.id for b in registry]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*", i) for i in ids)
    for body in registry:
        if body.kind in (BodyKind.township_role, BodyKind.sub_unit):
            assert body.parent and registry.has_id(body.parent), body.name
        if body.kind is BodyKind.township_role:
            assert registry.by_id(body.parent).kind is BodyKind.township


@pytest.mark.parametrize(
    "role",
    [
        "乡党委",
        "乡纪委",
        "乡人大主席团",
        "人武部",
        "便民服务中心",
        "退役军人服务站",
        "综合行政执法队",
        "乡人民调解委员会",
        "网格员",
    ],
)
def test_township_roles_named_in_the_issue_exist(registry, role):
    body = registry.resolve(role)
    assert body.kind is BodyKind.township_role and body.parent == "xiaojingzhuang"


def test_name_key_ignores_width_and_spaces():
    assert name_key("县公安局（县交通警察大队）") == name_key("县公安局 (县交通警察大队)")


def test_looks_like_body_tells_bodies_from_clause_labels():
    assert looks_like_body("县农业局") and looks_like_body("其他相关部门") and looks_like_body("县交通运输厅")
    assert not looks_like_body("建立指挥体系") and not looks_like_body("发布预警信息")


def test_alias_claimed_by_two_bodies_is_an_error_with_line(tmp_path):
    f = tmp_path / "bodies.yaml"
    f.write_text(
        "bodies:\n"
        "- id: a\n  name: 县甲局\n  kind: county_department\n  aliases: [甲局]\n"
        "- id: b\n  name: 县乙局\n  kind: county_department\n  aliases: [甲局]\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError, match="already used by 'a'") as exc:
        load_bodies(f)
    assert exc.value.line == 6


def test_bodies_file_errors_carry_file_and_line(tmp_path):
    f = tmp_path / "bodies.yaml"
    f.write_text("bodies:\n- id: a\n  name: 县甲局\n  kind: county_agency\n", encoding="utf-8")
    with pytest.raises(
        RuleFileError, match=r"bodies.yaml:4: body entry #1 \(县甲局\): kind: expected one of"
    ) as exc:
        load_bodies(f)
    assert exc.value.line == 4  # the offending key, not the entry
    f.write_text("bodies:\n- id: a\n  name: [县甲局\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match="YAML syntax error") as exc:
        load_bodies(f)
    assert exc.value.line == 4 or exc.value.line == 3
    f.write_text("bodies:\n- id: a\n  name: 县甲局\n  kind: sub_unit\n  parent: nobody\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match="parent 'nobody'") as exc:
        load_bodies(f)
    assert exc.value.line == 2


def test_a_cycle_of_parents_is_an_error_naming_the_loop(tmp_path):
    """A body that is its own ancestor would make every walk up the parents endless."""
    f = tmp_path / "bodies.yaml"
    f.write_text(
        "bodies:\n- id: a\n  name: 县甲局\n  kind: sub_unit\n  parent: b\n"
        "- id: b\n  name: 县乙局\n  kind: sub_unit\n  parent: a\n"
        "- id: c\n  name: 县丙局\n  kind: sub_unit\n  parent: c\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError, match=r"'a' is its own ancestor \(a → b → a\)") as exc:
        load_bodies(f)
    assert exc.value.line == 2


def test_registry_from_code():
    reg = BodyRegistry([Body(id="x", name="县甲局", kind=BodyKind.county_department, aliases=("甲局",))])
    assert reg.get("甲局").id == "x" and "县甲局" in reg and len(reg) == 1
    with pytest.raises(UnknownBodyError):
        reg.by_id("y")


def test_bundled_bodies_file_is_the_one_in_rules():
    assert load_bodies().path == RULES / "bodies.yaml" or str(load_bodies().path).endswith(
        "rules/bodies.yaml"
    )


# Short and former names every county's dispatchers use, with and without 县, with the place
# written out: each resolves to the one body that does that work in 左云县.
SHORT_NAMES = {
    "住建局": "县住房和城乡建设管理局",
    "住建委": "县住房和城乡建设管理局",
    "人社局": "县民政和人力资源社会保障局",
    "劳动局": "县民政和人力资源社会保障局",
    "社保局": "县民政和人力资源社会保障局",
    "民政局": "县民政和人力资源社会保障局",
    "派出所": "县公安局",
    "公安局": "县公安局",
    "公安": "县公安局",
    "交警": "县交通警察大队",
    "交警队": "县交通警察大队",
    "应急局": "县应急管理局",
    "安监局": "县应急管理局",
    "自然资源局": "县规划和自然资源局",
    "国土局": "县规划和自然资源局",
    "规划局": "县规划和自然资源局",
    "农业农村局": "县农业农村和水务局",
    "农业局": "县农业农村和水务局",
    "水利局": "县农业农村和水务局",
    "水务局": "县农业农村和水务局",
    "交通局": "县交通运输局",
    "市场监管局": "县市场监督管理局",
    "工商局": "县市场监督管理局",
    "食药监局": "县市场监督管理局",
    "质监局": "县市场监督管理局",
    "环保局": "市生态环境局左云分局",
    "生态环境局": "市生态环境局左云分局",
    "卫健局": "县卫生健康局",
    "卫健委": "县卫生健康局",
    "卫生局": "县卫生健康局",
    "司法局": "县司法局",
    "教育局": "县教育体育局",
    "体育局": "县教育体育局",
    "财政局": "县财政局",
    "统计局": "县统计局",
    "税务局": "县税务局",
    "气象局": "县气象局",
    "残联": "县残疾人联合会",
    "文旅局": "县文化和旅游局",
    "文化局": "县文化和旅游局",
    "旅游局": "县文化和旅游局",
    "退役军人局": "县退役军人事务局",
    "消防大队": "县消防救援大队",
    "消防队": "县消防救援大队",
    "审批局": "县行政审批服务管理局",
    "发改局": "县发改工信和科技商务局",
    "发改委": "县发改工信和科技商务局",
    "工信局": "县发改工信和科技商务局",
    "商务局": "县发改工信和科技商务局",
    "科技局": "县发改工信和科技商务局",
    "政法委": "县委政法委员会",
    "党史办": "县委党史研究室",
    "供电公司": "国网左云供电公司",
    "供电局": "国网左云供电公司",
    "城投公司": "县城投公司",
    "左云县住建局": "县住房和城乡建设管理局",
    "左云县应急局": "县应急管理局",
    "大同市生态环境局左云分局": "市生态环境局左云分局",
}


@pytest.mark.parametrize(("short", "canonical"), sorted(SHORT_NAMES.items()))
def test_dispatchers_short_names_resolve_to_their_body(registry, short, canonical):
    assert registry.resolve(short).name == canonical


def test_every_county_department_has_a_short_name_without_its_level(registry):
    """Every county-level body resolves without 县 (公安局, 司法局 …) — the way people write it."""
    for body in registry.of_kind(BodyKind.county_department, BodyKind.city_department_branch):
        if body.name.startswith("县"):
            assert registry.get(body.name[1:]) is body, body.name


def test_place_prefixes_come_from_the_files_own_aliases():
    """``某县X`` resolves only because an alias shows that 某县 stands for 县 there."""
    reg = BodyRegistry(
        [
            Body(id="a", name="县甲局", kind=BodyKind.county_department, aliases=("某某县甲局",)),
            Body(id="b", name="县乙局", kind=BodyKind.county_department, aliases=("县乙办",)),
        ]
    )
    assert reg.resolve("某某县乙办").id == "b" and reg.resolve("乙办").id == "b"
    assert reg.get("别的县乙局") is None
