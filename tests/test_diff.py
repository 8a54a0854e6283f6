"""The semantic diff of two list versions: changed list texts built from the seed give exact change sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from listkit import SEED, Lists
from typer.testing import CliRunner

from dutyroute.cli import app
from dutyroute.store.compile import compile_rulebook
from dutyroute.tools.diff import char_diff, diff_rulebooks


@pytest.fixture(scope="module")
def seed_rb():  # type: ignore[no-untyped-def]
    return compile_rulebook(SEED)


def _changes(seed_rb, lists: Lists, tmp_path: Path) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    new = compile_rulebook(lists.write(tmp_path / "new.txt"))
    return {(c.matter, c.kind) for c in diff_rulebooks(seed_rb, new)}


def test_the_same_lists_give_no_changes(seed_rb) -> None:  # type: ignore[no-untyped-def]
    assert diff_rulebooks(seed_rb, compile_rulebook(SEED)) == []


def test_a_dropped_row_is_removed_and_the_rows_after_it_renumbered(seed_rb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lists = Lists()
    lists.drop("basic", 5, renumber=True)
    expected = {("B5", "removed")} | {(f"B{i}", "renumbered") for i in range(5, 111)}
    assert _changes(seed_rb, lists, tmp_path) == expected


def test_a_dropped_row_without_renumbering_is_only_removed(seed_rb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lists = Lists()
    lists.drop("reclaimed", 7, renumber=False)
    assert _changes(seed_rb, lists, tmp_path) == {("R7", "removed")}


def test_a_retitled_matter(seed_rb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lists = Lists()
    cells = lists.cells("cooperative", 62)
    cells[2] = "道路及其附属设施的安全管理和养护"
    lists.set_cells("cooperative", 62, cells)
    new = compile_rulebook(lists.write(tmp_path / "new.txt"))
    (change,) = diff_rulebooks(seed_rb, new)
    assert (change.matter, change.kind) == ("C62", "retitled")
    assert change.detail["diff"] == "道路及其附属设施{+的+}安全管理{+和养护+}"


def test_a_changed_receiver(seed_rb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lists = Lists()
    cells = lists.cells("reclaimed", 3)
    cells[3] = cells[3].replace("承接部门：县市场监督管理局", "承接部门：县发改工信和科技商务局")
    lists.set_cells("reclaimed", 3, cells)
    new = compile_rulebook(lists.write(tmp_path / "new.txt"))
    (change,) = diff_rulebooks(seed_rb, new)
    assert (change.matter, change.kind) == ("R3", "receivers_changed")
    assert change.detail["added"] == ["县发改工信和科技商务局"] and change.detail["removed"] == [
        "县市场监督管理局"
    ]


def test_a_moved_matter_is_one_change_not_removed_plus_added(seed_rb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lists = Lists()
    cells = lists.cells("cooperative", 62)
    lists.drop("cooperative", 62, renumber=False)
    lists.append("basic", ["112", cells[1], cells[2]])  # the township takes the road matter over
    new = compile_rulebook(lists.write(tmp_path / "new.txt"))
    changes = diff_rulebooks(seed_rb, new)
    assert [(c.matter, c.kind) for c in changes] == [("B112", "moved")]
    assert changes[0].detail == {"old": "C62", "new": "B112", "from": "cooperative", "to": "basic"}


def test_changed_clauses_departments_category_and_an_added_matter(seed_rb, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lists = Lists()
    c40 = lists.cells("cooperative", 40)
    c40[4] = c40[4].replace("对建筑工地的噪声污染进行监督管理", "对建筑工地和装修施工的噪声污染进行监督管理")
    lists.set_cells("cooperative", 40, c40)
    c3 = lists.cells("cooperative", 3)
    c3[3] = c3[3].replace(" 县公安局", "")
    lists.set_cells("cooperative", 3, c3)
    b2 = lists.cells("basic", 2)
    b2[1] = "全面深化改革"
    lists.set_cells("basic", 2, b2)
    lists.append("basic", ["112", "综合政务", "负责本乡镇网格化服务管理平台的日常运行和事件流转"])
    new = compile_rulebook(lists.write(tmp_path / "new.txt"))
    changes = diff_rulebooks(seed_rb, new)
    assert {(c.matter, c.kind) for c in changes} == {
        ("C40", "clauses_changed"),
        ("C3", "departments_changed"),
        ("B2", "category_changed"),
        ("B112", "added"),
    }
    c = next(c for c in changes if c.kind == "clauses_changed")
    assert c.detail["body"] == "县住房和城乡建设管理局" and "{+和装修施工+}" in c.detail["diff"]
    d = next(c for c in changes if c.kind == "departments_changed")
    assert d.detail["removed"] == ["县公安局"] and d.detail["added"] == []


def test_char_diff_marks_removed_and_added_runs() -> None:
    assert char_diff("县道乡道", "县道村道") == "县道[-乡-]{+村+}道"
    assert char_diff("abc", "abc") == "abc"


def test_cli_diff_json_has_the_changes_and_the_routing_impact(tmp_path: Path) -> None:
    lists = Lists()
    cells = lists.cells("cooperative", 62)
    lists.drop("cooperative", 62, renumber=False)
    lists.append("basic", ["112", cells[1], cells[2]])
    new = lists.write(tmp_path / "new.txt")
    inc = tmp_path / "inc.jsonl"
    inc.write_text(
        "\n".join(
            json.dumps({"id": i, "text": t}, ensure_ascii=False)
            for i, t in enumerate(["县道上塌了个大坑，车过不去", "有人在地里烧秸秆"])
        ),
        encoding="utf-8",
    )
    r = CliRunner().invoke(app, ["diff", str(SEED), str(new), "--json", "--incidents", str(inc)])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["changes"] == [
        {"matter": "B112", "kind": "moved", "old": "C62", "new": "B112", "from": "cooperative", "to": "basic"}
    ]
    assert data["impact"]["routed"] == 2
    (moved,) = data["impact"]["changed"]  # the pothole changes route; the straw fire does not
    assert moved["id"] == "inc.jsonl:0"
    assert moved["before"]["matter"] == "C62" and moved["after"]["matter"] != "C62"
    # the routing rules naming C62 no longer fit the new version: set aside and named
    assert "road-class" in data["impact"]["rules_set_aside"]
    r = CliRunner().invoke(app, ["diff", str(SEED), "rules/xiaojingzhuang", "--no-impact"])
    assert r.exit_code == 0 and "no changes" in r.output
