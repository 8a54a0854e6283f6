"""The rulebook on disk: the checked-in files are what the seed compiles to; loading is lossless
and errors point at file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from listkit import RULES, SEED

import dutyroute
from dutyroute.errors import RuleFileError, UnknownBodyError
from dutyroute.model.lists import BodyKind, DutyBlock, ListKind, Matter, Rulebook
from dutyroute.store.compile import compile_rulebook, dump_rulebook, export_dict
from dutyroute.store.layout import LIST_FILES
from dutyroute.store.rulebook import load_rulebook, stored_hash

BUNDLED = RULES / "xiaojingzhuang"
COMPILED_FILES = ["rulebook.yaml", *LIST_FILES.values()]


@pytest.fixture(scope="module")
def rb() -> Rulebook:
    return load_rulebook()


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of rules/ (bodies.yaml + the 小京庄乡 rulebook)."""
    shutil.copytree(RULES, tmp_path / "rules")
    return tmp_path / "rules" / "xiaojingzhuang"


def test_public_names_are_sorted():
    assert dutyroute.__all__ == sorted(dutyroute.__all__)
    assert all(hasattr(dutyroute, name) for name in dutyroute.__all__)


def test_default_rulebook_needs_no_path(rb):
    assert rb.counts() == {"basic": 111, "cooperative": 75, "reclaimed": 51}
    assert rb.jurisdiction.model_dump() == {
        "province": "山西省",
        "city": "大同市",
        "county": "左云县",
        "township": "小京庄乡",
        "key": "xiaojingzhuang",
    }
    assert rb.effective_date is None
    assert rb.source == "zuoyun-xiaojingzhuang-duty-lists.txt"
    assert rb.hash.startswith("sha256:") and len(rb.hash) == 23
    assert load_rulebook() is rb  # read once per process
    assert load_rulebook(BUNDLED) == rb


def test_basis_names_list_and_item(rb):
    assert rb.basis(rb.matter("C40")) == "《大同市左云县小京庄乡配合履职事项清单》第40项 噪声污染防治"


def test_recompiling_the_seed_reproduces_the_checked_in_files(tmp_path):
    """The checked-in rulebook is exactly what `dutyroute compile` makes of the seed."""
    out = tmp_path / "rules" / "xiaojingzhuang"
    out.mkdir(parents=True)
    shutil.copy(RULES / "bodies.yaml", tmp_path / "rules" / "bodies.yaml")
    shutil.copy(BUNDLED / "roles.yaml", out / "roles.yaml")
    rb = compile_rulebook(SEED, township="小京庄乡", province="山西省", roles=out / "roles.yaml")
    dump_rulebook(rb, out)
    for name in COMPILED_FILES:
        assert (out / name).read_bytes() == (BUNDLED / name).read_bytes(), (
            f"{name} is stale: run dutyroute compile"
        )
    assert (out / "roles.yaml").read_bytes() == (BUNDLED / "roles.yaml").read_bytes()  # never rewritten


def test_stored_hash_is_the_loaded_content_hash(rb):
    assert stored_hash() == rb.hash == export_dict(rb)["hash"]


def test_compile_dump_load_is_lossless(tmp_path):
    rb = compile_rulebook(SEED, township="小京庄乡", province="山西省", roles=BUNDLED / "roles.yaml")
    dump_rulebook(rb, tmp_path / "out")
    loaded = load_rulebook(tmp_path / "out")
    assert loaded == rb and loaded.hash == rb.hash
    assert (tmp_path / "out" / "roles.yaml").exists()  # roles written when there was no roles.yaml


def test_roles_apply_to_every_basic_matter(rb):
    names = {b.id: b for b in rb.bodies}
    for m in rb.matters:
        if m.list is ListKind.basic:
            assert m.role is not None, m.id
            assert names[m.role].kind is BodyKind.township_role and names[m.role].parent == "xiaojingzhuang"
        else:
            assert m.role is None
    role = lambda mid: names[rb.matter(mid).role].name  # noqa: E731
    assert role("B96") == "综合行政执法队"  # by category 行政执法
    assert role("B10") == "乡纪委" and role("B15") == "乡人大主席团" and role("B47") == "便民服务中心"
    assert role("B21") == "人武部" and role("B46") == "退役军人服务站" and role("B51") == "乡人民调解委员会"
    assert role("B1") == "乡党委"


def test_bodies_of_the_rulebook_cover_every_name_it_uses(rb):
    names = {b.name for b in rb.bodies}
    for m in rb.matters:
        for block in (*m.departments, *m.receivers):
            assert block.body in names and (block.unit is None or block.unit in names)
        assert set(m.listed_departments) <= names
    assert "网格员" in names and "小京庄乡" in names


def test_export_has_the_documented_shape(rb):
    data = export_dict(rb)
    assert {"jurisdiction", "hash", "bodies", "matters"} <= set(data)
    assert {"id", "name", "kind", "aliases"} <= set(data["bodies"][0])
    assert len(data["matters"]) == 237
    for m in data["matters"]:
        assert {
            "id",
            "list",
            "seq",
            "category",
            "title",
            "departments",
            "township_clauses",
            "receivers",
            "source_line",
        } <= set(m)
        assert isinstance(m["departments"], list) and isinstance(m["receivers"], list)
    r18 = next(m for m in data["matters"] if m["id"] == "R18")
    assert r18["departments"] == [] and r18["township_clauses"] == [] and len(r18["receivers"]) == 4


# ── errors point at file and line ───────────────────────────────────────────────────────────
def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_unknown_body_in_rules_is_an_error_with_file_line_and_suggestion(rules_copy):
    f = rules_copy / "cooperative.yaml"
    text = f.read_text(encoding="utf-8")
    line = _line_of(f, "  - body: 县统计局")
    f.write_text(text.replace("  - body: 县统计局\n", "  - body: 县统计厅\n", 1), encoding="utf-8")
    with pytest.raises(UnknownBodyError) as exc:
        load_rulebook(rules_copy)
    assert exc.value.line == line and exc.value.path == f
    assert exc.value.suggestions[0] == "县统计局"
    assert f"cooperative.yaml:{line}: unknown body '县统计厅' in C1 departments" in str(exc.value)


def test_yaml_syntax_error_is_reported_with_its_line(rules_copy):
    f = rules_copy / "basic.yaml"
    line = _line_of(f, "  seq: 3")
    f.write_text(f.read_text(encoding="utf-8").replace("  seq: 3\n", "  seq: [3\n", 1), encoding="utf-8")
    with pytest.raises(RuleFileError, match="YAML syntax error") as exc:
        load_rulebook(rules_copy)
    assert exc.value.path == f and exc.value.line in (line, line + 1)
    assert f"started at line {line}" in str(exc.value) or exc.value.line == line


def test_schema_violation_is_reported_at_the_matters_line(rules_copy):
    f = rules_copy / "reclaimed.yaml"
    line = _line_of(f, "  seq: 7")
    f.write_text(f.read_text(encoding="utf-8").replace("  seq: 7\n", "  seq: seven\n", 1), encoding="utf-8")
    with pytest.raises(RuleFileError, match="matter R7: seq") as exc:
        load_rulebook(rules_copy)
    assert exc.value.line == line


def test_role_that_is_not_a_body_is_an_error_with_line(rules_copy):
    f = rules_copy / "roles.yaml"
    line = _line_of(f, "  B10:")
    f.write_text(
        f.read_text(encoding="utf-8").replace("{role: 乡纪委,", "{role: 乡纪检委,", 1), encoding="utf-8"
    )
    with pytest.raises(UnknownBodyError, match="乡纪检委") as exc:
        load_rulebook(rules_copy)
    assert exc.value.line == line and "乡纪委" in exc.value.suggestions


def test_role_that_is_a_county_department_is_an_error(rules_copy):
    f = rules_copy / "roles.yaml"
    f.write_text(
        f.read_text(encoding="utf-8").replace("{role: 乡纪委,", "{role: 县公安局,", 1), encoding="utf-8"
    )
    with pytest.raises(RuleFileError, match="not a township role"):
        load_rulebook(rules_copy)


def test_role_override_for_a_matter_that_is_not_basic_is_an_error(rules_copy):
    f = rules_copy / "roles.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("  B10: {", "  C10: {", 1), encoding="utf-8")
    with pytest.raises(RuleFileError, match="'C10', which is not a basic matter"):
        load_rulebook(rules_copy)


def test_role_without_reason_is_an_error(rules_copy):
    f = rules_copy / "roles.yaml"
    f.write_text(
        f.read_text(encoding="utf-8").replace("matters:\n", "matters:\n  B11: {role: 乡党委}\n"),
        encoding="utf-8",
    )
    with pytest.raises(RuleFileError, match="every role needs a reason"):
        load_rulebook(rules_copy)


def test_missing_and_wrong_paths_say_what_to_do(tmp_path):
    with pytest.raises(RuleFileError, match=r"no rulebook here|not a rulebook directory"):
        load_rulebook(tmp_path / "nothing")
    with pytest.raises(RuleFileError, match="run `dutyroute compile`"):
        load_rulebook(SEED)
    with pytest.raises(RuleFileError, match="rulebooks inside: xiaojingzhuang"):
        load_rulebook(RULES)


def test_wrong_format_version_asks_for_a_recompile(rules_copy):
    f = rules_copy / "rulebook.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("format: 1", "format: 9"), encoding="utf-8")
    with pytest.raises(RuleFileError, match="recompile"):
        load_rulebook(rules_copy)


def test_alias_in_rules_is_loaded_as_its_canonical_name(rules_copy):
    f = rules_copy / "cooperative.yaml"
    f.write_text(
        f.read_text(encoding="utf-8").replace("  - body: 县统计局\n", "  - body: 左云县统计局\n", 1),
        encoding="utf-8",
    )
    assert load_rulebook(rules_copy).matter("C1").departments[1].body == "县统计局"


def test_compile_checks_the_township(tmp_path):
    from dutyroute.errors import ListFormatError

    with pytest.raises(ListFormatError, match="not '马道头乡'") as exc:
        compile_rulebook(SEED, township="马道头乡")
    assert exc.value.line == 3


# ── dump → load is lossless for any rulebook ────────────────────────────────────────────────
_text = (
    st.text(
        alphabet=st.sampled_from(
            [*"开展巡查上报宣传配合县乡村道路噪声污染，。；：（）“”-#'\"!&* ab12", "\\"]
        ),
        min_size=1,
        max_size=25,
    )
    .map(str.strip)
    .filter(bool)
)
_names = st.sampled_from(["县公安局", "县交通运输局", "市生态环境局左云分局", "相关部门", "县财政局"])
_blocks = st.lists(
    st.builds(DutyBlock, body=_names, clauses=st.lists(_text, max_size=3).map(tuple)),
    min_size=1,
    max_size=3,
    unique_by=lambda b: b.body,
).map(tuple)


@st.composite
def rulebooks(draw) -> Rulebook:
    base = load_rulebook()
    matters = []
    for kind in ListKind:
        for seq in range(1, draw(st.integers(1, 3)) + 1):
            fields: dict = {}
            if kind is ListKind.cooperative:
                blocks = draw(_blocks)
                fields = {
                    "listed_departments": tuple(b.body for b in blocks),
                    "departments": blocks,
                    "township_clauses": tuple(draw(st.lists(_text, min_size=1, max_size=3))),
                }
            elif kind is ListKind.reclaimed:
                fields = {"receivers": draw(_blocks)}
            matters.append(
                Matter(
                    id=f"{kind.letter}{seq}",
                    list=kind,
                    seq=seq,
                    category=draw(_text),
                    title=draw(_text),
                    source_line=draw(st.integers(1, 9999)),
                    **fields,
                )
            )
    return base.model_copy(update={"matters": tuple(matters)})


@settings(
    max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rulebooks())
def test_dump_then_load_gives_the_same_rulebook(tmp_path_factory, rb):
    out = tmp_path_factory.mktemp("rb") / "book"
    dump_rulebook(rb, out)
    loaded = load_rulebook(out)
    assert loaded.matters == rb.matters
    assert loaded.jurisdiction == rb.jurisdiction and loaded.list_titles == rb.list_titles


def test_hash_of_a_copy_is_recomputed_not_carried_over():
    """A rulebook copied with changes reports the hash of its own content, not the original's."""
    from dutyroute import load_rulebook

    rb = load_rulebook()
    original = rb.hash
    smaller = rb.model_copy(update={"matters": rb.matters[:3]})
    assert smaller.hash != original
    assert rb.model_copy().hash == original


# ── every loader error points at the offending node, in plain words ─────────────────────────
def _set_line(f, number: int, text: str) -> None:
    lines = f.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = text
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _c_lines(f) -> dict[str, int]:
    """1-based lines of interest in the C1/C2 blocks of cooperative.yaml."""
    lines = f.read_text(encoding="utf-8").splitlines()
    c1, c2 = lines.index("- id: C1"), lines.index("- id: C2")
    township = lines.index("  township_clauses:", c1)
    dept_clauses = lines.index("    clauses:", c1)
    return {
        "c1": c1 + 1,
        "c2": c2 + 1,
        "c2_seq": lines.index("  seq: 2", c2) + 1,
        "seq": lines.index("  seq: 1", c1) + 1,
        "title": next(i for i in range(c1, c2) if lines[i].startswith("  title:")) + 1,
        "body": lines.index("  departments:", c1) + 2,
        "listed": lines.index("  listed_departments:", c1) + 2,
        "dept_clause2": dept_clauses + 3,
        "township_clause2": township + 3,
    }


def test_id_that_does_not_match_its_seq_points_at_the_id_line(rules_copy):
    f = rules_copy / "cooperative.yaml"
    at = _c_lines(f)
    _set_line(f, at["c2"], "- id: C1")
    with pytest.raises(RuleFileError) as exc:
        load_rulebook(rules_copy)
    assert exc.value.line == at["c2"] and "expected 'C2'" in str(exc.value)


def test_duplicate_matter_id_points_at_the_second_and_names_the_first(rules_copy):
    f = rules_copy / "cooperative.yaml"
    at = _c_lines(f)
    _set_line(f, at["c2"], "- id: C1")
    _set_line(f, at["c2_seq"], "  seq: 1")
    with pytest.raises(RuleFileError) as exc:
        load_rulebook(rules_copy)
    assert exc.value.line == at["c2"]
    assert f"duplicate matter id 'C1' (first at line {at['c1']})" in str(exc.value)


@pytest.mark.parametrize(
    ("key", "text", "words"),
    [
        ("dept_clause2", "    -", "departments #1 clauses #2: empty value"),
        ("township_clause2", "  -", "township_clauses #2: empty value"),
        ("seq", "  seq:", "seq: empty value"),
        ("seq", "  seq: abc", "seq: expected a whole number, got text 'abc'"),
        ("body", "  - body:", "departments #1 body: expected a body name, got nothing"),
        ("listed", "  -", "listed_departments #1: expected a body name, got nothing"),
        ("title", "  titel: 固定资产", "unknown field 'titel'; did you mean 'title'?"),
    ],
)
def test_malformed_entries_give_a_plain_message_at_the_offending_line(rules_copy, key, text, words):
    f = rules_copy / "cooperative.yaml"
    at = _c_lines(f)
    _set_line(f, at[key], text)
    with pytest.raises(RuleFileError) as exc:
        load_rulebook(rules_copy)
    assert exc.value.line == at[key], str(exc.value)
    assert words in str(exc.value) and "Input should be" not in str(exc.value)
