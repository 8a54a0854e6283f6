"""dutyroute route / batch / eval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from listkit import BATCH_FIELDS
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
    r = runner.invoke(app, ["route", "--recognizer", "none", "路面塌下去一块，车过不去"])
    assert r.exit_code == 0 and "needs_clarification" in r.output and "县道" in r.output
    assert "承办 acting" not in r.output and "派单依据 basis" not in r.output  # nothing routed yet
    r = runner.invoke(app, ["route", "--recognizer", "none", "路面塌下去一块，车过不去", "--json"])
    d = json.loads(r.output)
    assert d["matter"] is None and d["acting"] == [] and d["basis"] is None and d["clarify"]["options"]
    r = runner.invoke(
        app,
        ["route", "--recognizer", "none", "路面塌下去一块，车过不去", "--facts", "road_class=县道", "--json"],
    )
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
    r = runner.invoke(app, ["batch", "--recognizer", "none", str(src), "-o", str(out)])
    assert r.exit_code == 1
    assert "in.jsonl:2:" in r.output and "in.jsonl:3:" in r.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in rows] == ["a", None, "c", "d", "e"]
    assert [x["line"] for x in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["matter"] == "B96" and rows[0]["acting"] == ["小京庄乡"] and rows[0]["status"] == "routed"
    assert rows[1]["status"] == "error" and rows[1]["error"].startswith("not JSON")
    assert rows[2]["status"] == "error"
    assert rows[3]["status"] == "needs_clarification" and rows[3]["clarify"]["options"]
    assert rows[4]["status"] == "unmatched" and rows[4]["matter"] is None and rows[4]["acting"] == []
    for row in (rows[0], rows[3], rows[4]):
        assert BATCH_FIELDS <= set(row)


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
            "text": "对门那户每晚十二点后开着音箱唱歌",
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
    r = runner.invoke(app, ["eval", "--recognizer", "none", str(cases), "--json"])
    assert r.exit_code == 0, r.output
    m = json.loads(r.output)["metrics"]
    assert m["routes_right"] == [3, 4]
    assert m["out_of_scope_recognised"] == [1, 1] and m["wrongly_unmatched"] == 0
    assert [x["id"] for x in json.loads(r.output)["misses"]] == ["4"]
    r = runner.invoke(app, ["eval", "--recognizer", "none", str(cases)])
    assert "route accuracy" in r.output and "3/4" in r.output and "misses" in r.output


# ── batch: one output line per input line, whatever the input holds ──────────────────────────
def _batch_file(tmp_path: Path, raw: bytes) -> Path:
    src = tmp_path / "in.jsonl"
    src.write_bytes(raw)
    return src


def test_batch_writes_a_line_for_every_input_line_and_counts_each_status(tmp_path: Path) -> None:
    """Blank, BOM-prefixed, non-object, text-less and badly typed lines each get an error line in
    place; the summary counts routed, needs_clarification, unmatched and error separately."""
    bom = "\ufeff"
    lines = [
        bom + json.dumps({"id": "a", "text": "村西头有人在自家地里烧麦秸"}, ensure_ascii=False),
        bom + json.dumps({"id": "b", "text": "路面塌下去一块，车过不去"}, ensure_ascii=False),  # cat a b
        "",
        "[1, 2]",
        json.dumps({"id": "c"}),
        json.dumps({"id": "d", "text": 42}),
        json.dumps({"id": "e", "text": "护照到期了怎么换新的"}, ensure_ascii=False),
    ]
    src = _batch_file(tmp_path, ("\n".join(lines) + "\n").encode("utf-8"))
    out = tmp_path / "out.jsonl"
    r = runner.invoke(app, ["batch", "--recognizer", "none", str(src), "-o", str(out)])
    assert r.exit_code == 1
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["line"] for x in rows] == list(range(1, 8))
    assert [x["id"] for x in rows] == ["a", "b", None, None, "c", "d", "e"]
    assert [x["status"] for x in rows] == [
        "routed",
        "needs_clarification",
        "error",
        "error",
        "error",
        "error",
        "unmatched",
    ]
    assert "blank line" in rows[2]["error"]
    assert "got array" in rows[3]["error"]
    assert "no 'text'" in rows[4]["error"]
    assert "'text' must be a string, got number" in rows[5]["error"]
    for n in (3, 4, 5, 6):
        assert f"in.jsonl:{n}:" in r.output
    assert "7 lines: 1 routed, 1 needs_clarification, 1 unmatched, 4 errors" in r.output


def test_batch_warns_about_missing_null_and_duplicate_ids_and_never_invents_one(tmp_path: Path) -> None:
    lines = [
        {"text": "村西头有人在自家地里烧麦秸"},
        {"id": None, "text": "村西头有人在自家地里烧麦秸"},
        {"id": "x", "text": "村西头有人在自家地里烧麦秸"},
        {"id": "x", "text": "村西头有人在自家地里烧麦秸"},
    ]
    src = _batch_file(tmp_path, "\n".join(json.dumps(x, ensure_ascii=False) for x in lines).encode())
    out = tmp_path / "out.jsonl"
    r = runner.invoke(app, ["batch", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in rows] == [None, None, "x", "x"]
    assert all(x["status"] == "routed" for x in rows)
    assert "in.jsonl:1: warning: no 'id'" in r.output
    assert "in.jsonl:2: warning: 'id' is null" in r.output
    assert "in.jsonl:4: warning: duplicate id 'x' (first on line 3)" in r.output


def test_batch_reads_standard_input_and_writes_standard_output() -> None:
    text = json.dumps({"id": "a", "text": "村西头有人在自家地里烧麦秸"}, ensure_ascii=False) + "\n"
    r = runner.invoke(app, ["batch", "-", "-o", "-"], input=text.encode("utf-8"))
    assert r.exit_code == 0, r.output
    row = json.loads(next(x for x in r.output.splitlines() if x.startswith("{")))
    assert row["id"] == "a" and row["matter"] == "B96"


def test_batch_gbk_file_is_reported_per_line_with_the_way_out_and_read_with_encoding(tmp_path: Path) -> None:
    src = _batch_file(
        tmp_path,
        json.dumps({"id": "a", "text": "村西头有人在自家地里烧麦秸"}, ensure_ascii=False).encode("gbk"),
    )
    out = tmp_path / "out.jsonl"
    r = runner.invoke(app, ["batch", str(src), "-o", str(out)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["status"] == "error" and row["line"] == 1
    assert "GB18030/GBK" in row["error"] and "iconv -f gb18030 -t utf-8" in row["error"]
    r = runner.invoke(app, ["batch", str(src), "-o", str(out), "--encoding", "gb18030"])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text(encoding="utf-8"))["matter"] == "B96"


def test_batch_utf16_file_fails_cleanly_naming_the_encoding(tmp_path: Path, capsys) -> None:
    from dutyroute.cli import main

    src = _batch_file(
        tmp_path, json.dumps({"id": "a", "text": "烧秸秆"}, ensure_ascii=False).encode("utf-16")
    )
    assert main(["batch", str(src), "-o", str(tmp_path / "o.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "UTF-16" in err and "iconv -f utf-16" in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["batch", "{src}", "-o", "{tmp}/no/such/folder/out.jsonl"], ["-o", "does not exist", "mkdir -p"]),
        (["batch", "{src}", "-o", "{tmp}"], ["-o", "is a directory"]),
        (["batch", "{tmp}", "-o", "{tmp}/out.jsonl"], ["is a directory", "JSON Lines file"]),
        (["batch", "{tmp}/missing.jsonl", "-o", "{tmp}/out.jsonl"], ["missing.jsonl", "no such file"]),
        (["eval", "{tmp}"], ["is a directory"]),
        (["eval", "{tmp}/missing.jsonl"], ["no such file"]),
        (["eval", "{gbk}"], ["GB18030/GBK", "iconv -f gb18030 -t utf-8", "gbk.jsonl:1"]),
        (["export", "-o", "{tmp}/no/such/folder/x.json"], ["-o", "does not exist", "mkdir -p"]),
        (["export", "-o", "{tmp}"], ["-o", "is a directory"]),
        (["graph", "export", "-o", "{tmp}/no/x.json"], ["--output", "does not exist", "mkdir -p"]),
        (["graph", "draw", "-m", "C40", "-o", "{tmp}/no/x.svg"], ["--output", "does not exist"]),
        (["compile", "{gbk}", "-o", "{tmp}/rb"], ["gbk.jsonl:1", "GB18030/GBK", "iconv -f gb18030 -t utf-8"]),
        (["compile", "{tmp}", "-o", "{tmp}/rb"], ["cannot read the list file"]),
    ],
)
def test_file_problems_are_one_clean_line_naming_the_value_and_a_way_out(
    tmp_path: Path, capsys, args: list[str], words: list[str]
) -> None:
    from dutyroute.cli import main

    src = _batch_file(tmp_path, b'{"id": "a", "text": "x"}\n')
    gbk = tmp_path / "gbk.jsonl"
    gbk.write_bytes(json.dumps({"id": "a", "text": "烧秸秆", "accept": []}, ensure_ascii=False).encode("gbk"))
    argv = [a.format(src=src, tmp=tmp_path, gbk=gbk) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("dutyroute: error: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err


def test_eval_of_a_file_without_cases_is_an_error_not_a_zero_report(tmp_path: Path, capsys) -> None:
    from dutyroute.cli import main

    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    assert main(["eval", str(empty)]) == 2
    assert "no labeled case in it" in capsys.readouterr().err


def test_eval_labels_with_unknown_matters_or_bodies_are_errors_with_did_you_mean(
    tmp_path: Path, capsys
) -> None:
    from dutyroute.cli import main

    route = {"matter": "C40", "acting": ["县公安局"], "cooperating": ["小京庄乡"], "reclaimed": False}
    rows = [
        {"id": "1", "text": "楼上邻居半夜放音响", "accept": [route], "clarify": None},
        {"id": "2", "text": "楼上邻居半夜放音响", "accept": [{**route, "matter": "C999"}], "clarify": None},
        {
            "id": "3",
            "text": "楼上邻居半夜放音响",
            "accept": [{**route, "acting": ["县公安厅"]}],
            "clarify": None,
        },
        {"id": "4", "text": "x", "accept": [{**route, "acting": ["公安局"]}], "clarify": None},
        {"id": "5", "text": "\u0000", "accept": [route], "clarify": None},
    ]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in rows), encoding="utf-8")
    assert main(["eval", str(cases)]) == 2
    err = capsys.readouterr().err
    assert "cases.jsonl:2: accept #1: unknown matter 'C999'; did you mean 'C9 " in err
    assert "cases.jsonl:3: accept #1: acting: unknown body '县公安厅'; did you mean '县公安局'" in err
    assert "cases.jsonl:4: accept #1: acting '公安局' is another name of '县公安局'" in err
    # a text the router refuses is a label error with its line, not the end of the whole run
    assert "cases.jsonl:5: text: incident text is empty after normalisation" in err
    assert "cases.jsonl:1:" not in err


# ── route: stdin, facts ──────────────────────────────────────────────────────────────────────
def test_route_dash_reads_the_incident_from_standard_input() -> None:
    r = runner.invoke(app, ["route", "-", "--json"], input="村西头有人在自家地里烧麦秸\n".encode())
    assert r.exit_code == 0, r.output
    assert json.loads(r.output[r.output.index("{") :])["matter"] == "B96"


@pytest.mark.parametrize("facts", ["road_class=县道", "road_class＝县道，", "road_class = 县道 ；"])
def test_facts_accept_full_width_separators(facts: str) -> None:
    r = runner.invoke(app, ["route", "路面塌下去一块，车过不去", "--facts", facts, "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["matter"] == "C62"


def test_route_help_lists_the_fact_names_and_values_of_the_facts_file() -> None:
    from dutyroute.store.rules import load_rules

    r = runner.invoke(app, ["route", "--help"])
    assert r.exit_code == 0
    flat = " ".join(r.output.split())
    for spec in load_rules().facts:
        assert spec.name in flat
        for v in spec.values:
            assert v.value in flat


# ── --rules: one rules directory supplies the rulebook and the rule files ────────────────────
@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    import shutil

    from listkit import RULES

    shutil.copytree(RULES, tmp_path / "rules")
    return tmp_path / "rules"


def _break_routing(rules: Path) -> None:
    import re

    routing = rules / "routing.yaml"
    text = routing.read_text(encoding="utf-8")
    m = re.search(r"prefer: \[([BCR]\d+)", text)
    assert m is not None
    routing.write_text(text.replace(m.group(0), m.group(0).replace(m.group(1), "B999"), 1), encoding="utf-8")


@pytest.mark.parametrize("which", ["rules dir", "rulebook dir"])
def test_rules_option_routes_with_the_rule_files_of_that_directory(
    rules_copy: Path, capsys, which: str
) -> None:
    """An edited copy of rules/ is what routes: its routing.yaml is read (here: and rejected)."""
    from dutyroute.cli import main

    target = rules_copy if which == "rules dir" else rules_copy / "xiaojingzhuang"
    assert main(["route", "村西头有人在自家地里烧麦秸", "--json", "--rules", str(target)]) == 0
    assert json.loads(capsys.readouterr().out)["matter"] == "B96"
    _break_routing(rules_copy)
    assert main(["route", "村西头有人在自家地里烧麦秸", "--rules", str(target)]) == 2
    err = capsys.readouterr().err
    assert "routing.yaml:" in err and "unknown matter 'B999'" in err


def test_rules_option_without_rule_files_routes_with_the_bundled_ones_and_says_so(
    tmp_path: Path, rules_copy: Path, capsys
) -> None:
    from dutyroute.cli import main

    for name in ("lexicon.yaml", "facts.yaml", "routing.yaml"):
        (rules_copy / name).unlink()
    assert main(["route", "村西头有人在自家地里烧麦秸", "--json", "--rules", str(rules_copy)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["matter"] == "B96"
    assert "routing with the bundled rule files" in captured.err


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        ("missing", "no such directory"),
        ("partial", "but not facts.yaml"),
        ("empty", "no rulebook here"),
    ],
)
def test_rules_option_problems_are_one_line(tmp_path: Path, rules_copy: Path, capsys, setup: str, words: str):
    from dutyroute.cli import main

    target = {"missing": tmp_path / "nowhere", "partial": rules_copy, "empty": tmp_path / "empty"}[setup]
    if setup == "partial":
        (rules_copy / "facts.yaml").unlink()
    if setup == "empty":
        target.mkdir()
    assert main(["route", "烧秸秆", "--rules", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dutyroute: error: --rules ") and err.count("\n") == 1 and words in err


@pytest.mark.parametrize("command", [["export"], ["who", "县公安局", "--json"], ["matter", "C40", "--json"]])
def test_every_command_takes_the_same_rules_directory(rules_copy: Path, capsys, command: list[str]) -> None:
    from dutyroute.cli import main

    assert main([*command, "--rules", str(rules_copy)]) == 0
    assert capsys.readouterr().out.lstrip().startswith("{")


def test_route_dash_with_gbk_input_is_one_line_with_the_way_out(capsys, monkeypatch) -> None:
    import io
    import sys

    from dutyroute.cli import main

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("地里烧秸秆".encode("gbk"))))
    assert main(["route", "-"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "GB18030/GBK" in err and "iconv -f gb18030 -t utf-8" in err


def test_batch_workers_write_the_same_bytes_in_input_order(tmp_path: Path) -> None:
    """`--workers 2` (a process pool) gives byte for byte the output of one process: same order,
    same error lines, same duplicate-id warnings (ids are checked in the parent process)."""
    texts = [
        "村西头有人在自家地里烧麦秸",
        "路面塌下去一块，车过不去",
        "护照到期了怎么换新的",
        "工地半夜还在打桩",
    ]
    lines = []
    for i in range(300):
        if i % 97 == 5:
            lines.append("[1, 2]")
        elif i % 53 == 7:
            lines.append(json.dumps({"id": 7, "text": ""}))
        else:
            lines.append(json.dumps({"id": i, "text": f"{texts[i % 4]}，第{i}次"}, ensure_ascii=False))
    src = _batch_file(tmp_path, ("\n".join(lines) + "\n").encode("utf-8"))
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    r1 = runner.invoke(app, ["batch", str(src), "-o", str(one)])
    r2 = runner.invoke(app, ["batch", str(src), "-o", str(two), "--workers", "2"])
    assert r1.exit_code == r2.exit_code == 1  # some lines are bad in both
    assert one.read_bytes() == two.read_bytes()
    # the same per-line errors, warnings and summary, in the same order
    assert r1.output.replace("one.jsonl", "OUT") == r2.output.replace("two.jsonl", "OUT")
    assert len(one.read_text(encoding="utf-8").splitlines()) == 300
