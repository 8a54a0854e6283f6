"""Parsing the official list text: every matter and clause comes out, every trap comes out right."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from listkit import COOP_HEADER, SEED, list_text

from dutyroute.errors import ListFormatError, UnknownBodyError
from dutyroute.ingest import clean_text, parse_lists, split_blocks, split_clauses
from dutyroute.model.lists import ListKind


def parse(text: str, registry):
    return parse_lists(text, registry=registry, path="lists.txt")


# ── the whole seed ───────────────────────────────────────────────────────────────────────────
def test_all_237_matters_come_out_111_75_51(parsed):
    counts = Counter(m.list for m in parsed.matters)
    assert counts == {ListKind.basic: 111, ListKind.cooperative: 75, ListKind.reclaimed: 51}
    assert [m.seq for m in parsed.matters if m.list is ListKind.basic] == list(range(1, 112))
    assert [m.seq for m in parsed.matters if m.list is ListKind.cooperative] == list(range(1, 76))
    assert [m.seq for m in parsed.matters if m.list is ListKind.reclaimed] == list(range(1, 52))


def test_jurisdiction_and_titles_are_read_from_the_title_lines(parsed):
    assert (parsed.jurisdiction.city, parsed.jurisdiction.county, parsed.jurisdiction.township) == (
        "大同市",
        "左云县",
        "小京庄乡",
    )
    assert parsed.jurisdiction.key == "xiaojingzhuang"
    assert parsed.list_titles[ListKind.reclaimed] == "大同市左云县小京庄乡上级部门收回事项清单"


def test_source_line_points_at_the_row(parsed):
    lines = SEED.read_text(encoding="utf-8").splitlines()
    for m in parsed.matters:
        cells = lines[m.source_line - 1].split("\t")
        assert cells[0] == str(m.seq)
        assert m.title.replace(" ", "") in cells[2].replace(" ", "")


def test_every_cooperative_matter_has_departments_and_township_clauses(parsed):
    for m in parsed.matters:
        if m.list is ListKind.cooperative:
            assert m.listed_departments and m.departments and m.township_clauses, m.id
            assert all(b.clauses for b in m.departments), m.id
        if m.list is ListKind.reclaimed:
            assert m.receivers and all(b.clauses for b in m.receivers), m.id


def test_clauses_carry_no_html_numbering_or_stray_whitespace(parsed):
    for m in parsed.matters:
        for clause in m.clauses():
            assert "<" not in clause and ">" not in clause, (m.id, clause)
            assert not re.match(r"^\d+\s*[.．、]", clause), (m.id, clause)
            assert clause == clause.strip() and "  " not in clause and "\n" not in clause, (m.id, clause)
            assert not clause.endswith("；"), (m.id, clause)


def _chars(text: str) -> Counter:
    """The meaningful characters of a text: no tags, spaces, clause numbers or separators."""
    text = re.sub(r"<[^<>]*>", " ", text)
    text = re.sub(r"(?:^|(?<=[\s。；;：:]))\d{1,2}\s*[.．、](?!\d)", " ", text)
    return Counter(c for c in text if not c.isspace() and c not in "；;：:、")


def test_no_text_is_lost_between_cell_and_clauses(parsed):
    """Every character of a duty cell ends up in a header or a clause (nothing silently dropped)."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    for m in parsed.matters:
        cells = lines[m.source_line - 1].split("\t")
        if m.list is ListKind.cooperative:
            kept = _chars(" ".join(c for b in m.departments for c in b.clauses))
            # joint headers copy their clauses to each department: count each text once
            unique = {}
            for b in m.departments:
                unique.setdefault(b.clauses, b)
            kept = _chars(" ".join(c for cl in unique for c in cl))
            written = _chars(cells[4])
            headers = _chars(" ".join(re.findall(r"([^\s：:，。；<>]+)[：:]", clean_text(cells[4]))))
            assert written - headers <= kept, m.id
            assert kept <= written, m.id
            assert _chars(" ".join(m.township_clauses)) == _chars(cells[5]), m.id
        if m.list is ListKind.reclaimed:
            text = re.sub(r"承接部门[：:]|履职方式[：:]", " ", cells[3])
            unique = {}
            for b in m.receivers:
                unique.setdefault(b.clauses, b)
            kept = _chars(" ".join(c for cl in unique for c in cl))
            assert kept <= _chars(text), m.id


# ── spot checks named in the issue ──────────────────────────────────────────────────────────
def test_c40_has_three_departments_each_with_its_own_noise(matters):
    c40 = matters["C40"]
    assert c40.listed_departments == ("县住房和城乡建设管理局", "市生态环境局左云分局", "县公安局")
    blocks = {b.body: " ".join(b.clauses) for b in c40.departments}
    assert list(blocks) == list(c40.listed_departments)
    assert "建筑工地的噪声" in blocks["县住房和城乡建设管理局"]
    assert "经营性娱乐场所的噪声" in blocks["县住房和城乡建设管理局"]
    assert "企业噪声" in blocks["市生态环境局左云分局"]
    assert "社会噪声" in blocks["县公安局"] and "邻里之间因噪声产生的纠纷" in blocks["县公安局"]
    assert "企业噪声" not in blocks["县公安局"] and "社会噪声" not in blocks["市生态环境局左云分局"]


def test_c61_township_clauses_include_reporting_damaged_village_roads(matters):
    assert "上报乡村道路破损、桥梁、涵洞存在安全隐患的问题" in matters["C61"].township_clauses
    assert len(matters["C61"].township_clauses) == 7


def test_r18_has_four_receiving_departments(matters):
    assert [b.body for b in matters["R18"].receivers] == [
        "市生态环境局左云分局",
        "县交通运输局",
        "县住房和城乡建设管理局",
        "县农业农村和水务局",
    ]


def test_c70_has_exactly_two_departments_and_keeps_its_clause_labels(matters):
    c70 = matters["C70"]
    assert [b.body for b in c70.departments] == ["县应急管理局", "县规划和自然资源局"]
    emergency, planning = c70.departments
    assert len(emergency.clauses) == 4
    assert emergency.clauses[2].startswith("建立指挥体系：迅速成立现场应急指挥机构")
    assert [c.split("：")[0] for c in planning.clauses] == ["发布预警信息", "实时监测灾害"]


# ── traps ────────────────────────────────────────────────────────────────────────────────────
def test_joint_header_gives_the_clauses_to_each_department(matters):
    c48 = matters["C48"]
    assert [b.body for b in c48.departments] == ["县规划和自然资源局", "县农业农村和水务局", "县公安局"]
    assert c48.departments[0].clauses == c48.departments[1].clauses
    assert len(c48.departments[0].clauses) == 2
    c66 = matters["C66"]  # three departments in one header
    joint = [b for b in c66.departments if b.body != "县应急管理局"]
    assert [b.body for b in joint] == ["县交通运输局", "县住房和城乡建设管理局", "县农业农村和水务局"]
    assert len({b.clauses for b in joint}) == 1


def test_ol_items_without_numbers_or_header_split_at_item_boundaries(matters):
    c3 = matters["C3"]  # township cell is a bare, unclosed <ol> of unnumbered items
    assert len(c3.township_clauses) == 5
    assert c3.township_clauses[0] == "开展食品安全知识普及宣传工作"
    c50 = matters["C50"]  # "；" directly followed by text stays inside its item
    assert (
        c50.township_clauses[0] == "陪同县级主管部门检查验收退耕还林管护工作；开展退耕还林和植树造林宣传工作"
    )


def test_numbered_clause_keeps_its_inner_semicolon(matters):
    first = matters["C51"].departments[0].clauses[0]
    assert first.startswith("对卫片图斑进行对比甄别") and "；对违法行为进行查处" in first


def test_plain_text_cells_with_inline_headers(matters):
    c17 = matters["C17"]  # no HTML at all; eight headers inline
    assert len(c17.departments) == 8
    assert c17.departments[0].clauses[-1] == "负责校车安全监管工作。"
    assert matters["C53"].township_clauses[0] == "开展日常巡查和宣传教育工作"  # "1、" numbering


def test_alias_spellings_resolve_and_are_kept_as_written(matters):
    c28 = matters["C28"]
    assert c28.listed_departments[0] == "县农业农村和水务局"
    assert c28.departments[0].body == "县农业农村和水务局"
    assert c28.departments[0].as_written == "县农业农村局和水务局"
    c38 = matters["C38"].departments[0]
    assert (c38.body, c38.as_written) == ("市生态环境局左云分局", "县生态环境局左云分局")
    assert matters["C30"].listed_departments[1] == "县农业农村和水务局"  # 县农业农村局和水利局


def test_sub_unit_reported_beside_its_parent(matters):
    police = matters["C22"].departments[1]
    assert (police.body, police.unit, police.as_written) == (
        "县公安局",
        "县交通警察大队",
        "县公安局（县交通警察大队）",
    )
    assert matters["C22"].listed_departments == ("县农业农村和水务局", "县公安局")


@pytest.mark.parametrize(
    "mid, count", [("R16", 2), ("R18", 4), ("R20", 3), ("R33", 2), ("R34", 2), ("R35", 4)]
)
def test_reclaimed_rows_with_several_receiver_blocks(matters, mid, count):
    receivers = matters[mid].receivers
    assert len(receivers) == count
    assert len({b.body for b in receivers}) == count
    assert all(b.clauses for b in receivers)


def test_r20_blocks_without_method_label_keep_their_text_and_are_noted(matters, parsed):
    r20 = matters["R20"]
    assert [b.body for b in r20.receivers] == ["县发改工信和科技商务局", "县规划和自然资源局", "县财政局"]
    assert r20.receivers[2].clauses == ("负责争取国家资金支持，监督管理采煤沉陷区综合治理资金使用情况。",)
    assert {n.code for n in parsed.notes if n.matter == "R20"} == {"no-method-label"}


def test_r26_three_receivers_in_one_line_share_the_clause(matters):
    r26 = matters["R26"]
    assert [b.body for b in r26.receivers] == ["县财政局", "县规划和自然资源局", "县住房和城乡建设管理局"]
    assert len({b.clauses for b in r26.receivers}) == 1


@pytest.mark.parametrize(
    "mid, placeholder, as_written",
    [
        ("R30", "其他负有安全生产监督管理职责的部门", "其他负有安全生产监督管理局职责的部门"),
        ("R37", "相关部门", ""),
        ("R41", "其他各行各业主管部门", ""),
    ],
)
def test_body_joined_to_other_departments_becomes_body_plus_placeholder(
    matters, mid, placeholder, as_written
):
    bodies = [b.body for b in matters[mid].receivers]
    assert placeholder in bodies
    if mid != "R41":
        assert bodies == ["县应急管理局", placeholder]
    block = next(b for b in matters[mid].receivers if b.body == placeholder)
    assert block.as_written == as_written


def test_placeholder_department_in_the_column_is_kept(matters):
    assert (
        matters["C74"].listed_departments[-1] == "其他负有雨雪冰冻等灾害防范应对和灾害救助工作职责的相关部门"
    )
    assert len(matters["C74"].departments) == 3


# ── synthetic inputs: column handling, reporting, errors ────────────────────────────────────
COOP_ROW = "\t".join(
    [
        "1",
        "生态环保",
        "噪声污染防治",
        "县公安局 县交通运输局",
        "<p>县公安局： 1. 查处噪声；</p> <p>县交通运输局： 管理道路。</p>",
        "<p>1. 宣传； 2. 上报。</p>",
    ]
)


def test_list_without_category_column_loads(registry):
    text = list_text(["1\t开展耕地保护相关工作"], basic_header="序号\t事项名称")
    (m,) = parse(text, registry).matters
    assert (m.id, m.category, m.title) == ("B1", "", "开展耕地保护相关工作")


def test_reclaimed_list_with_receiver_and_method_in_two_columns(registry):
    text = list_text(
        reclaimed=[
            "1\t城乡建设\t土地征收\t县财政局、县规划和自然资源局\t1. 拟定方案； 2. 开展调查。",
            "2\t行政执法\t处罚\t县公安局 县交通运输局\t县公安局： 查处。 县交通运输局： 检查车辆。",
        ],
        reclaimed_header="序号\t事项类别\t事项名称\t承接部门\t工作方式",
    )
    r1, r2 = parse(text, registry).matters
    assert [(b.body, b.clauses) for b in r1.receivers] == [
        ("县财政局", ("拟定方案", "开展调查。")),
        ("县规划和自然资源局", ("拟定方案", "开展调查。")),
    ]
    assert [(b.body, b.clauses) for b in r2.receivers] == [
        ("县公安局", ("查处。",)),
        ("县交通运输局", ("检查车辆。",)),
    ]


def test_unknown_column_is_an_error_naming_it(registry):
    text = list_text(["1\t经济\t招商\t备注"], basic_header="序号\t事项类别\t事项名称\t备注栏")
    with pytest.raises(ListFormatError, match=r"lists.txt:5: unknown column '备注栏'") as exc:
        parse(text, registry)
    assert exc.value.line == 5


def test_missing_required_column_is_an_error_naming_the_expected_ones(registry):
    text = list_text(
        coop=["1\t类\t名\t县公安局\t县公安局： 查处。"],
        coop_header="序号\t事项类别\t事项名称\t对应上级部门\t上级部门职责",
    )
    with pytest.raises(ListFormatError, match="乡镇配合职责"):
        parse(text, registry)


def test_truncated_row_is_an_error_with_line_and_expected_columns(registry):
    text = list_text(coop=[COOP_ROW[:40]])
    with pytest.raises(ListFormatError) as exc:
        parse(text, registry)
    assert exc.value.line == 6
    assert re.search(r"row has [1-5] cells, expected 6", str(exc.value))
    assert "序号、事项类别、事项名称、对应上级部门、上级部门职责、乡镇配合职责" in str(exc.value)


def test_row_cut_in_two_lines_is_an_error_on_the_second_line(registry):
    head, tail = COOP_ROW.split("</p> <p>县交通运输局")
    text = list_text(coop=[head, "县交通运输局" + tail])
    with pytest.raises(ListFormatError) as exc:
        parse(text, registry)
    assert exc.value.line in (6, 7)


def test_wrong_cell_count_is_an_error(registry):
    text = list_text(["1\t经济发展\t招商\t多余的一格"])
    with pytest.raises(ListFormatError, match=r"lists.txt:6: .*row has 4 cells, expected 3"):
        parse(text, registry)


def test_unknown_list_title_is_an_error(registry):
    text = list_text(["1\t经济发展\t招商"]).replace("基本履职事项清单", "权力事项清单")
    with pytest.raises(
        ListFormatError, match=r"lists.txt:3: unknown list title '大同市左云县小京庄乡权力事项清单'"
    ):
        parse(text, registry)


def test_rows_out_of_order_are_an_error_and_gaps_a_note(registry):
    with pytest.raises(ListFormatError, match="序号 1 after 2"):
        parse(list_text(["1\t类\t甲", "2\t类\t乙", "1\t类\t丙"]), registry)
    notes = parse(list_text(["1\t类\t甲", "3\t类\t丙"]), registry).notes
    assert [(n.code, n.matter, n.line) for n in notes] == [("numbering-gap", "B3", 7)]


def test_non_numeric_seq_and_row_before_header_are_errors(registry):
    with pytest.raises(ListFormatError, match="序号 'A1'"):
        parse(list_text(["A1\t类\t甲"]), registry)
    with pytest.raises(ListFormatError, match="before the header row"):
        parse(f"{'大同市左云县小京庄乡基本履职事项清单'}\n1\t类\t甲\n", registry)
    with pytest.raises(ListFormatError, match="before any list title"):
        parse("序号\t事项类别\t事项名称\n", registry)


def test_unknown_department_in_the_column_is_an_error_with_suggestions(registry):
    row = COOP_ROW.replace("县公安局 县交通运输局", "县公安局 县交通运输厅")
    with pytest.raises(UnknownBodyError) as exc:
        parse(list_text(coop=[row]), registry)
    assert exc.value.value == "县交通运输厅" and exc.value.line == 6
    assert exc.value.suggestions[0] == "县交通运输局"


def test_misspelt_department_header_is_an_error_not_clause_text(registry):
    row = COOP_ROW.replace("<p>县交通运输局：", "<p>县交通运输厅：")
    with pytest.raises(UnknownBodyError, match="县交通运输厅"):
        parse(list_text(coop=[row]), registry)


def test_duty_text_without_header_goes_to_the_only_department_and_is_noted(registry):
    row = "1\t类\t名\t县公安局\t<ol> 查处噪声； 调解纠纷。\t宣传。"
    result = parse(list_text(coop=[row]), registry)
    (m,) = result.matters
    assert m.departments[0].body == "县公安局" and m.departments[0].clauses == ("查处噪声", "调解纠纷。")
    assert [n.code for n in result.notes] == ["no-header"]


def test_duty_text_without_header_and_several_departments_is_an_error(registry):
    row = "1\t类\t名\t县公安局 县交通运输局\t查处噪声。\t宣传。"
    with pytest.raises(ListFormatError, match="cannot tell whose duty"):
        parse(list_text(coop=[row]), registry)


def test_department_listed_without_block_or_block_without_listing_is_kept(registry):
    row = "1\t类\t名\t县公安局 县交通运输局\t县公安局： 查处。 县卫生健康局： 救治。\t宣传。"
    (m,) = parse(list_text(coop=[row]), registry).matters
    assert m.listed_departments == ("县公安局", "县交通运输局")
    assert [b.body for b in m.departments] == [
        "县公安局",
        "县卫生健康局",
    ]  # nothing dropped; lint reports both


def test_titles_naming_two_townships_are_an_error(registry):
    text = list_text(["1\t类\t甲"], reclaimed=["1\t类\t乙\t承接部门：县公安局 履职方式：查处。"])
    text = text.replace("大同市左云县小京庄乡上级部门", "大同市左云县马道头乡上级部门")
    with pytest.raises(ListFormatError, match="one file holds one township"):
        parse(text, registry)


def test_reclaimed_cell_without_receiver_label_is_an_error(registry):
    with pytest.raises(ListFormatError, match="承接部门：<department>"):
        parse(list_text(reclaimed=["1\t类\t乙\t县公安局负责查处。"]), registry)


def test_empty_file_is_an_error(registry):
    with pytest.raises(ListFormatError, match="no list title"):
        parse("\n\n", registry)


def test_not_utf8_file_is_an_error_with_line(tmp_path, registry):
    from dutyroute.store.seeds import read_lists

    bad = tmp_path / "gbk.txt"
    bad.write_bytes(b"\n\n" + list_text(["1\t类\t甲"]).encode("gbk"))
    with pytest.raises(ListFormatError, match="not UTF-8") as exc:
        read_lists(bad, registry=registry)
    assert exc.value.line == 5  # the title line, the first with non-ASCII bytes


# ── clause splitting, as properties ─────────────────────────────────────────────────────────
_CJK = st.text(
    alphabet=st.sampled_from("开展巡查上报宣传配合县乡村道路噪声污染，（）“”"), min_size=1, max_size=30
)
clause_lists = st.lists(_CJK, min_size=1, max_size=8)


@given(clause_lists, st.sampled_from([". ", "．", "、", ".", " . "]))
def test_numbered_clauses_round_trip(clauses, dot):
    text = " ".join(f"{i}{dot}{c}；" for i, c in enumerate(clauses, start=1))
    assert split_clauses(clean_text(text)) == clauses


@given(clause_lists)
def test_ol_items_round_trip(clauses):
    cell = '<ol style="list-style-type: none"> ' + " ".join(f"{c}；" for c in clauses)
    assert split_clauses(clean_text(cell)) == clauses


@given(clause_lists)
def test_paragraph_clauses_round_trip(clauses):
    cell = " ".join(f"<p>{c}</p>" for c in clauses)
    assert split_clauses(clean_text(cell)) == clauses


@given(st.lists(_CJK, min_size=1, max_size=4), st.lists(_CJK, min_size=1, max_size=4))
def test_blocks_round_trip(first, second):
    from dutyroute.store.bodies import load_bodies

    reg = load_bodies()
    cell = (
        "<p>县公安局：</p> <ol> "
        + " ".join(f"{i}. {c}；" for i, c in enumerate(first, 1))
        + " <p>县应急管理局：</p> <ol> "
        + " ".join(f"{c}；" for c in second)
    )
    blocks = split_blocks(cell, reg, path="x", line=1, context="t")
    assert [(b.header, b.clauses) for b in blocks] == [("县公安局", first), ("县应急管理局", second)]


@given(st.text(max_size=200))
def test_clean_text_is_idempotent_and_split_never_yields_blanks(text):
    once = clean_text(text)
    assert clean_text(once) == once
    assert all(c.strip() for c in split_clauses(once))


def test_digits_that_are_not_clause_numbers_stay_in_the_text():
    assert split_clauses("落实24小时值班制度； 核查方式参照第3条") == [
        "落实24小时值班制度",
        "核查方式参照第3条",
    ]
    assert split_clauses("1. 甲 3. 不是编号； 2. 乙") == ["甲 3. 不是编号", "乙"]


def test_section_headings_without_place_take_the_township_given(registry):
    text = "\n".join(
        [
            "一、基本履职事项清单（1项）",
            "序号\t事项名称\t具体工作事项",
            "1\t耕地保护\t1. 开展巡查； 2. 发现问题及时上报。",
            "二、配合履职事项",
            "序号\t事项名称\t对应上级部门\t上级部门职责\t乡镇(镇街)配合职责",
            "1\t噪声污染防治\t县公安局\t县公安局： 查处。\t宣传。",
            "(三)上级部门收回事项",
            "序号\t事项名称\t承接部门\t工作方式",
            "1\t公益林管护\t县规划和自然资源局\t负责公益林管护。",
        ]
    )
    with pytest.raises(ListFormatError, match="name no township"):
        parse(text, registry)
    result = parse_lists(text, registry=registry, path="lists.txt", township="小京庄乡")
    b1, c1, r1 = result.matters
    assert result.jurisdiction.township == "小京庄乡" and result.jurisdiction.key == "xiaojingzhuang"
    assert b1.township_clauses == ("开展巡查", "发现问题及时上报。")  # 具体工作事项 kept as clauses
    assert c1.township_clauses == ("宣传。",) and r1.receivers[0].body == "县规划和自然资源局"


def test_section_heading_without_place_after_a_full_title_keeps_the_first_place(registry):
    text = list_text(["1\t类\t甲"]) + "二、配合履职事项清单\n" + COOP_HEADER + "\n" + COOP_ROW + "\n"
    result = parse(text, registry)
    assert result.jurisdiction.township == "小京庄乡" and len(result.matters) == 2
