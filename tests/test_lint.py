"""Lint: findings as data, each pointing at the file and line to fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from listkit import RULES, SEED, list_text

from dutyroute.model.lists import DutyBlock
from dutyroute.store.rulebook import load_rulebook
from dutyroute.tools.lint import Finding, lint_path, lint_rulebook

BUNDLED = RULES / "xiaojingzhuang"


def codes(findings: list[Finding], severity: str | None = None) -> set[str]:
    return {f.code for f in findings if severity is None or f.severity == severity}


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    shutil.copytree(RULES, tmp_path / "rules")
    return tmp_path / "rules" / "xiaojingzhuang"


def test_bundled_rules_have_no_errors_or_warnings():
    findings = lint_path()
    assert codes(findings, "error") == set() and codes(findings, "warning") == set()
    # the placeholders (其他…相关部门) are true remarks about the source
    assert {f.matter for f in findings if f.code == "placeholder"} >= {"C74", "R30", "R37", "R41"}


def test_a_rules_folder_without_a_rulebook_is_an_error(rules_copy: Path) -> None:
    """Lint fails where routing would: Router.from_dir refuses a folder with no rulebook."""
    shutil.rmtree(rules_copy)  # the rulebook folder; bodies.yaml and the rule files stay
    findings = lint_path(rules_copy.parent)
    assert "no-rulebook" in codes(findings, "error")


def test_seed_lints_clean_with_the_parsers_notes():
    findings = lint_path(SEED)
    assert codes(findings, "error") == set() and codes(findings, "warning") == set()
    r20 = [f for f in findings if f.matter == "R20"]
    assert r20 and all(f.line == 349 and f.path.endswith("zuoyun-xiaojingzhuang-duty-lists.txt") for f in r20)


def test_findings_print_as_file_line_severity_message():
    f = Finding(
        "rules/x/cooperative.yaml", 12, "error", "not-canonical", "C1: listed department '县甲局' …", "C1"
    )
    assert str(f) == "rules/x/cooperative.yaml:12: error: C1: listed department '县甲局' … [not-canonical]"
    assert f.to_dict()["line"] == 12


def _edit(rb, mid: str, **update):
    matters = tuple(m.model_copy(update=update) if m.id == mid else m for m in rb.matters)
    return rb.model_copy(update={"matters": matters})


def test_department_listed_without_duties_and_duties_without_listing_are_warnings():
    rb = load_rulebook()
    c40 = rb.matter("C40")
    edited = _edit(rb, "C40", listed_departments=(*c40.listed_departments[:2], "县交通运输局"))
    found = {(f.code, f.body) for f in lint_rulebook(edited)}
    assert ("listed-without-duties", "县交通运输局") in found
    assert ("duties-without-listing", "县公安局") in found


def test_cooperative_matter_without_township_clause_is_an_error():
    findings = lint_rulebook(_edit(load_rulebook(), "C40", township_clauses=()))
    assert any(f.severity == "error" and f.matter == "C40" for f in findings)


def test_matter_without_acting_body_is_an_error():
    findings = lint_rulebook(_edit(load_rulebook(), "R7", receivers=()))
    assert any(f.severity == "error" and f.matter == "R7" for f in findings)


def test_empty_clause_non_canonical_name_and_duplicate_id_are_errors():
    rb = load_rulebook()
    rb2 = _edit(
        rb, "C1", departments=(DutyBlock(body="县发改局", clauses=(" ",)), *rb.matter("C1").departments[1:])
    )
    found = codes(lint_rulebook(rb2), "error")
    assert {"empty-clause", "not-canonical"} <= found
    dup = rb.model_copy(update={"matters": (*rb.matters, rb.matter("B1"))})
    assert "duplicate-id" in codes(lint_rulebook(dup), "error")


def test_findings_on_a_rulebook_directory_point_at_the_matters_block(rules_copy):
    f = rules_copy / "roles.yaml"
    f.write_text(
        f.read_text(encoding="utf-8").replace(
            "  行政执法: {role: 综合行政执法队", "  行政执法x: {role: 综合行政执法队"
        ),
        encoding="utf-8",
    )
    findings = lint_path(rules_copy)
    no_role = [x for x in findings if x.code == "no-role"]
    assert {x.matter for x in no_role} == {f"B{n}" for n in range(96, 104)}
    basic = (rules_copy / "basic.yaml").read_text(encoding="utf-8").splitlines()
    for x in no_role:
        assert x.path.endswith("basic.yaml") and basic[x.line - 1] == f"- id: {x.matter}"
    assert "stale-hash" in codes(findings, "warning")  # roles changed since compile


def test_unloadable_rulebook_gives_one_error_with_the_loaders_line(rules_copy):
    f = rules_copy / "reclaimed.yaml"
    f.write_text(
        f.read_text(encoding="utf-8").replace("  - body: 县司法局\n", "  - body: 县司法厅\n", 1),
        encoding="utf-8",
    )
    (finding,) = lint_path(rules_copy)
    assert finding.severity == "error" and finding.path.endswith("reclaimed.yaml") and finding.line
    assert "县司法厅" in finding.message and "县司法局" in finding.message


def test_bad_seed_gives_a_list_format_error(tmp_path):
    bad = tmp_path / "lists.txt"
    bad.write_text(list_text(["1\t类\t甲\t多一格"]), encoding="utf-8")
    (finding,) = lint_path(bad)
    assert (finding.code, finding.line, finding.severity) == ("list-format", 6, "error")


def test_header_that_is_not_recognised_shows_up_as_listed_without_duties(tmp_path):
    row = (
        "1\t类\t名\t县公安局 县交通运输局\t<p>县公安局： 查处。</p> <p>县交通局运输： 管理道路。</p>\t宣传。"
    )
    seed = tmp_path / "lists.txt"
    seed.write_text(list_text(coop=[row]), encoding="utf-8")
    findings = lint_path(seed)
    assert ("listed-without-duties", "县交通运输局", 6) in {(f.code, f.body, f.line) for f in findings}


def test_bodies_file_and_missing_path():
    assert codes(lint_path(RULES / "bodies.yaml"), "error") == set()
    (missing,) = lint_path(RULES / "nowhere")
    assert missing.severity == "error"


def test_bodies_file_errors(tmp_path):
    f = tmp_path / "bodies.yaml"
    f.write_text("bodies:\n- id: Bad-Id\n  name: 乡甲办\n  kind: township_role\n", encoding="utf-8")
    found = {(x.code, x.line) for x in lint_path(f)}
    assert ("body-id", 2) in found and ("body-parent", 2) in found


def test_seed_of_a_township_missing_from_bodies(tmp_path):
    seed = tmp_path / "lists.txt"
    seed.write_text(list_text(["1\t类\t甲"]).replace("小京庄乡", "马道头乡"), encoding="utf-8")
    assert "unknown-township" in codes(lint_path(seed), "error")


# ── the router's rule files are linted with the router's own loader ──────────────────────────
def _replace(f: Path, old: str, new: str) -> int:
    """Replace the first ``old`` in ``f``; returns the 1-based line it was on."""
    text = f.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def _first_matter_ref(routing: Path) -> tuple[str, str]:
    """The first ``prefer: [X…`` of routing.yaml and the same with an unknown matter id."""
    import re

    m = re.search(r"prefer: \[([BCR]\d+)", routing.read_text(encoding="utf-8"))
    assert m is not None
    return m.group(0), m.group(0).replace(m.group(1), "B999")


@pytest.mark.parametrize("target", ["rules", "routing.yaml", "rulebook"])
def test_an_unknown_matter_in_routing_yaml_is_a_lint_error_with_file_line(rules_copy, target):
    """lint fails where `dutyroute route` would: the routing rules are checked against the rulebook."""
    routing = rules_copy.parent / "routing.yaml"
    _replace(routing, *_first_matter_ref(routing))
    path = {"rules": rules_copy.parent, "routing.yaml": routing, "rulebook": rules_copy}[target]
    errors = [f for f in lint_path(path) if f.severity == "error"]
    assert [f.code for f in errors] == ["rules-check"]
    assert errors[0].path.endswith("routing.yaml") and errors[0].line
    assert "unknown matter 'B999'" in errors[0].message and "did you mean" in errors[0].message


def test_a_rule_file_the_loader_rejects_is_one_error_with_its_line(rules_copy):
    lexicon = rules_copy.parent / "lexicon.yaml"
    text = lexicon.read_text(encoding="utf-8")
    lexicon.write_text(text + "\n  - id: [unclosed\n", encoding="utf-8")
    errors = [f for f in lint_path(rules_copy.parent) if f.severity == "error"]
    assert len(errors) == 1 and errors[0].code == "load"
    assert errors[0].path.endswith("lexicon.yaml") and errors[0].line is not None


def test_a_missing_rule_file_is_named(rules_copy):
    (rules_copy.parent / "facts.yaml").unlink()
    errors = [f for f in lint_path(rules_copy.parent) if f.severity == "error"]
    assert [(Path(f.path).name, f.code) for f in errors] == [("facts.yaml", "load")]
    assert "reads lexicon.yaml, facts.yaml, routing.yaml together" in errors[0].message


def test_after_a_rulebook_fails_to_load_its_dependent_checks_are_skipped(rules_copy):
    """One load error, one note that checks were skipped; no 'no rulebook names this body' noise."""
    _replace(rules_copy / "cooperative.yaml", "- id: C2\n", "- id: C1\n")
    findings = lint_path(rules_copy.parent)
    assert [f.code for f in findings if f.severity == "error"] == ["load"]
    assert "unused-body" not in codes(findings)
    assert "skipped" in codes(findings, "info")


def test_an_empty_clause_points_at_the_clause_not_the_matter(rules_copy):
    f = rules_copy / "cooperative.yaml"
    lines = f.read_text(encoding="utf-8").splitlines()
    start = lines.index("- id: C1")
    township = lines.index("  township_clauses:", start)
    dept = next(i for i in range(start, township) if lines[i] == "    clauses:")
    lines[township + 2] = "  - ''"
    lines[dept + 2] = "    - ' '"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    empty = sorted((x.line, x.message) for x in lint_path(rules_copy) if x.code == "empty-clause")
    assert [line for line, _ in empty] == [dept + 3, township + 3]
    assert "clause #2" in empty[0][1] and "township clause #2" in empty[1][1]
