"""The rulebook commands: compile, export, schema, lint, version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from listkit import RULES, SEED

from dutyroute.cli import main
from dutyroute.store.layout import LIST_FILES
from dutyroute.store.rulebook import load_rulebook


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_export_json_shows_237_matters_and_the_spot_checks(capsys):
    code, out, _ = run(capsys, "export", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (
        data["counts"] == {"basic": 111, "cooperative": 75, "reclaimed": 51} and len(data["matters"]) == 237
    )
    assert data["jurisdiction"]["township"] == "小京庄乡" and data["hash"].startswith("sha256:")
    by_id = {m["id"]: m for m in data["matters"]}
    c40 = by_id["C40"]
    assert (c40["list"], c40["seq"], c40["source_line"]) == ("cooperative", 40, 242)
    assert [d["body"] for d in c40["departments"]] == [
        "县住房和城乡建设管理局",
        "市生态环境局左云分局",
        "县公安局",
    ]
    assert [len(by_id["R18"]["receivers"]), len(by_id["C70"]["departments"])] == [4, 2]
    assert (
        by_id["B96"]["departments"] == []
        and by_id["B96"]["receivers"] == []
        and by_id["B96"]["role_name"] == "综合行政执法队"
    )
    names = {b["name"] for b in data["bodies"]}
    for m in data["matters"]:
        assert {d["body"] for d in m["departments"] + m["receivers"]} <= names


def test_export_to_a_file_and_as_yaml(capsys, tmp_path):
    code, _, err = run(capsys, "export", "-o", str(tmp_path / "rb.json"))
    assert code == 0 and "wrote" in err
    assert len(json.loads((tmp_path / "rb.json").read_text(encoding="utf-8"))["matters"]) == 237
    code, out, _ = run(capsys, "export", "--format", "yaml")
    assert code == 0 and "id: C40" in out


def test_schema_is_a_json_schema_the_rulebook_satisfies(capsys):
    code, out, _ = run(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(load_rulebook().model_dump(mode="json"), schema)
    code, out, _ = run(capsys, "schema", "--model", "matter")
    assert json.loads(out)["title"] == "Matter"


def test_compile_writes_the_rulebook_and_keeps_maintained_metadata(capsys, tmp_path):
    shutil.copytree(RULES, tmp_path / "rules")
    out_dir = tmp_path / "rules" / "xiaojingzhuang"
    for name in LIST_FILES.values():
        (out_dir / name).unlink()
    code, out, err = run(capsys, "compile", str(SEED), "--township", "小京庄乡", "-o", str(out_dir))
    assert code == 0, err
    assert "237 matters (111 basic, 75 cooperative, 51 reclaimed)" in out
    for name in (*LIST_FILES.values(), "rulebook.yaml"):
        assert (out_dir / name).read_bytes() == (RULES / "xiaojingzhuang" / name).read_bytes()


def test_compile_of_another_township_fails_with_one_clear_line(capsys, tmp_path):
    code, _, err = run(capsys, "compile", str(SEED), "--township", "马道头乡", "-o", str(tmp_path / "x"))
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("dutyroute: error: ") and ":3: " in err


def test_compile_of_a_broken_seed_names_file_and_line(capsys, tmp_path):
    bad = tmp_path / "lists.txt"
    lines = SEED.read_text(encoding="utf-8").splitlines()
    lines[241] = lines[241].rsplit("\t", 1)[0]  # C40 loses its 乡镇配合职责 cell
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = run(capsys, "compile", str(bad), "-o", str(tmp_path / "out"))
    assert code == 2 and f"{bad}:242: 配合履职事项清单 row has 5 cells, expected 6" in err


def test_lint_passes_on_the_bundled_rules(capsys):
    code, out, err = run(capsys, "lint")
    assert code == 0
    assert "0 errors, 0 warnings" in err
    for line in out.splitlines():
        path, lineno, rest = line.split(":", 2)
        assert path.endswith(".yaml") and lineno.isdigit() and rest.startswith(" info: ")
    code, out, _ = run(capsys, "lint", "-q")
    assert code == 0 and out == ""


def test_lint_exits_1_on_errors_and_prints_file_line(capsys, tmp_path):
    shutil.copytree(RULES, tmp_path / "rules")
    f = tmp_path / "rules" / "xiaojingzhuang" / "basic.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("  seq: 3\n", "  seq: [3\n", 1), encoding="utf-8")
    code, out, _ = run(capsys, "lint", str(tmp_path / "rules"))
    assert code == 1
    assert "basic.yaml:" in out and ": error: " in out and "YAML syntax error" in out


def test_lint_json_and_strict(capsys, tmp_path):
    shutil.copytree(RULES, tmp_path / "rules")
    roles = tmp_path / "rules" / "xiaojingzhuang" / "roles.yaml"
    roles.write_text(roles.read_text(encoding="utf-8").replace("  B10: {", "  # B10: {"), encoding="utf-8")
    code, out, _ = run(capsys, "lint", str(tmp_path / "rules" / "xiaojingzhuang"), "--json")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert any(r["code"] == "stale-hash" and r["severity"] == "warning" for r in records)
    code, _, _ = run(capsys, "lint", str(tmp_path / "rules" / "xiaojingzhuang"), "--strict")
    assert code == 1


def test_version(capsys):
    from dutyroute import __version__

    code, out, _ = run(capsys, "version")
    assert code == 0 and out.splitlines()[0] == __version__
    assert out.splitlines()[1].startswith("rulebook sha256:") and out.splitlines()[2].startswith(
        "recognizer "
    )


@pytest.mark.parametrize("command", ["compile", "export", "schema", "lint"])
def test_help_of_each_command(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0 and "Usage" in out


def test_readme_starts_with_the_fresh_machine_commands():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    head = readme[:1500]
    assert "python -m venv .venv && .venv/bin/pip install -e . && .venv/bin/dutyroute" in head
    assert (
        "python -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest -q" in head
    )
    ci = Path(__file__).resolve().parents[1] / ".ci" / "run"
    assert ci.stat().st_mode & 0o111, ".ci/run must be executable"
    # .ci/run runs the README line that starts like this, read from README.md itself
    assert "python -m venv \\.venv && \\.venv/bin/pip install -e '\\.\\[test\\]' && " in ci.read_text(
        encoding="utf-8"
    )
    lines = [
        line
        for line in readme.splitlines()
        if line.startswith("python -m venv .venv && .venv/bin/pip install -e '.[test]' && ")
    ]
    assert lines[0].endswith(".venv/bin/python -m pytest -q")


def test_readme_python_examples_run_and_print_what_they_say(capsys):
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks
    for block in blocks:
        if "http://127.0.0.1:8000" in block:
            continue  # the HTTP client example runs against a real server in tests/test_service.py
        exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    for expected in (
        "{'basic': 111, 'cooperative': 75, 'reclaimed': 51}",
        "县公安局 ('对社会噪声污染等违法违规行为进行查处，调解邻里之间因噪声产生的纠纷。',)",
        "《大同市左云县小京庄乡配合履职事项清单》第40项 噪声污染防治",
        "xiaojingzhuang.law_enforcement_team",
        "县农业农村和水务局",
        "县交通警察大队",
    ):
        assert expected in out


# ── schemas integrators validate output with ─────────────────────────────────────────────────
def test_schema_of_the_decision_validates_route_json(capsys):
    code, out, _ = run(capsys, "schema", "--model", "decision")
    assert code == 0
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    for text in ("村西头有人在自家地里烧麦秸", "路面塌下去一块，车过不去", "护照到期了怎么换新的"):
        code, out, _ = run(capsys, "route", text, "--json")
        jsonschema.validate(json.loads(out), schema)


def test_schema_of_a_batch_line_validates_every_batch_output_line(capsys, tmp_path):
    _, out, _ = run(capsys, "schema", "-m", "batch")
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": "a", "text": "村西头有人在自家地里烧麦秸"}\n{"id": "b", "text": "路面塌下去一块，车过不去"}\n'
        '{"id": "c", "text": "护照到期了怎么换新的"}\nnot json\n{"text": 3}\n',
        encoding="utf-8",
    )
    run(capsys, "batch", str(src), "-o", str(tmp_path / "out.jsonl"))
    rows = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["status"] for r in rows} == {"routed", "needs_clarification", "unmatched", "error"}
    for row in rows:
        jsonschema.validate(row, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "x", "line": 1, "status": "routed"}, schema)


# ── compile into a new folder says what it could not know ────────────────────────────────────
def test_compile_into_a_new_folder_warns_about_the_missing_province_and_roles(capsys, tmp_path):
    out_dir = tmp_path / "new" / "xjz"
    code, _, err = run(capsys, "compile", str(SEED), "-o", str(out_dir))
    assert code == 0, err
    assert "warning: no province" in err and "--province" in err
    assert f"warning: no {out_dir / 'roles.yaml'}" in err and "no-role" in err
    code, _, err = run(capsys, "compile", str(SEED), "-o", str(out_dir), "--province", "山西省")
    assert "no province" not in err
    code, _, err = run(capsys, "compile", str(SEED), "-o", str(out_dir))  # kept from rulebook.yaml
    assert "no province" not in err


def test_compile_into_the_bundled_folder_warns_about_nothing(capsys, tmp_path):
    shutil.copytree(RULES, tmp_path / "rules")
    code, _, err = run(capsys, "compile", str(SEED), "-o", str(tmp_path / "rules" / "xiaojingzhuang"))
    assert code == 0 and "warning" not in err


# ── the program itself ───────────────────────────────────────────────────────────────────────
def test_version_option(capsys):
    from dutyroute import __version__

    assert run(capsys, "--version")[:2] == (0, f"dutyroute {__version__}\n")


def test_python_m_dutyroute_is_the_cli():
    import subprocess
    import sys

    from dutyroute import __version__

    r = subprocess.run(
        [sys.executable, "-m", "dutyroute", "--version"], capture_output=True, text=True, check=False
    )
    assert r.returncode == 0 and r.stdout.strip() == f"dutyroute {__version__}"


def test_help_keeps_each_sentence_on_one_line(capsys, monkeypatch):
    """Docstrings are wrapped in the source; help shows each paragraph unbroken (the terminal wraps)."""
    monkeypatch.setenv("COLUMNS", "400")
    code, out, _ = run(capsys, "compile", "--help")
    assert code == 0
    assert "applies (never writes) OUT/roles.yaml. Province and effective date" in out
    from dutyroute.cli import reflow

    assert reflow("First line\n    continues here.\n\n    - item one\n    - item two\n") == (
        "First line continues here.\n\n- item one\n- item two"
    )
    assert reflow("中文句子在这里\n    接着写。") == "中文句子在这里接着写。"
