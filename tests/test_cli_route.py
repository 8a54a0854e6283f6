"""dutyroute route / batch / eval."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dutyroute.cli import app

runner = CliRunner()


def test_route_prints_a_readable_decision() -> None:
    r = runner.invoke(app, ["route", "村西头有人在自家地里烧麦秸"])
    assert r.exit_code == 0, r.output
    for words in ("routed", "B96", "小京庄乡", "综合行政执法队", "基本履职事项清单》第96项"):
        assert words in r.output


def test_route_json_is_the_decision() -> None:
    r = runner.invoke(app, ["route", "楼下饭馆的油烟天天往我家窗户里灌", "--json"])
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["matter"] == "C36" and d["cooperating"] == ["小京庄乡"]
    assert d["cooperating_bodies"][0]["clauses"]


def test_route_shows_the_question_and_facts_answer_it() -> None:
    r = runner.invoke(app, ["route", "路面塌下去一块，车过不去"])
    assert r.exit_code == 0 and "needs_clarification" in r.output and "县道" in r.output
    r = runner.invoke(app, ["route", "路面塌下去一块，车过不去", "--facts", "road_class=县道", "--json"])
    assert json.loads(r.output)["matter"] == "C62"


def test_route_bad_facts_is_one_clean_line() -> None:
    r = runner.invoke(app, ["route", "路面塌了", "--facts", "road_clas=县道"])
    assert r.exit_code != 0
    r = runner.invoke(app, ["route", "路面塌了", "--facts", "nonsense"])
    assert r.exit_code == 2 and "NAME=VALUE" in r.output


def test_route_empty_text_exits_2_with_the_reason() -> None:
    from dutyroute.cli import main

    assert main(["route", "   "]) == 2


def test_batch_writes_one_line_per_input_and_reports_bad_lines(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [
        {"id": "a", "text": "村西头有人在自家地里烧麦秸"},
        "this is not json",
        {"id": "c", "text": "   "},
        {"id": "d", "text": "路面塌下去一块，车过不去"},
        {"id": "e", "text": "护照到期了怎么换新的"},
    ]
    src.write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    r = runner.invoke(app, ["batch", str(src), "-o", str(out)])
    assert r.exit_code == 1
    assert "in.jsonl:2:" in r.output and "in.jsonl:3:" in r.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in rows] == ["a", "c", "d", "e"]
    assert rows[0]["matter"] == "B96" and rows[0]["acting"] == ["小京庄乡"] and rows[0]["status"] == "routed"
    assert rows[1]["status"] == "error"
    assert rows[2]["status"] == "needs_clarification" and rows[2]["clarify"]["options"]
    assert rows[3]["status"] == "unmatched" and rows[3]["matter"] is None and rows[3]["acting"] == []
    for row in (rows[0], rows[2], rows[3]):
        assert {
            "status",
            "matter",
            "acting",
            "cooperating",
            "reclaimed",
            "confidence",
            "basis",
            "clarify",
            "alternatives",
        } <= set(row)


def test_eval_scores_a_labeled_file(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    rows = [
        {
            "id": "1",
            "text": "村西头有人在自家地里烧麦秸",
            "accept": [{"matter": "B96", "acting": ["小京庄乡"], "cooperating": [], "reclaimed": False}],
            "clarify": None,
        },
        {
            "id": "2",
            "text": "路面塌下去一块，车过不去",
            "accept": [
                {"matter": "B82", "acting": ["小京庄乡"], "cooperating": [], "reclaimed": False},
                {
                    "matter": "C62",
                    "acting": ["县交通运输局"],
                    "cooperating": ["小京庄乡"],
                    "reclaimed": False,
                },
            ],
            "clarify": {"fact": "road_class", "options": {"村道": 0, "县道": 1}},
        },
        {"id": "3", "text": "护照到期了怎么换新的", "accept": [], "clarify": None},
        {
            "id": "4",
            "text": "楼上邻居天天半夜放音响",
            "accept": [
                {
                    "matter": "C40",
                    "acting": ["县住房和城乡建设管理局"],
                    "cooperating": ["小京庄乡"],
                    "reclaimed": False,
                }
            ],
            "clarify": None,
        },
    ]
    cases.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in rows), encoding="utf-8")
    r = runner.invoke(app, ["eval", str(cases), "--json"])
    assert r.exit_code == 0, r.output
    m = json.loads(r.output)["metrics"]
    assert m["routes_right"] == [3, 4]
    assert m["out_of_scope_recognised"] == [1, 1] and m["wrongly_unmatched"] == 0
    assert [x["id"] for x in json.loads(r.output)["misses"]] == ["4"]
    r = runner.invoke(app, ["eval", str(cases)])
    assert "route accuracy" in r.output and "3/4" in r.output and "misses" in r.output
