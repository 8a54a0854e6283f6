"""rules/lexicon.yaml, facts.yaml, routing.yaml: they load, agree with the lists, and fail clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dutyroute import RuleFileError
from dutyroute.model.lists import Rulebook
from dutyroute.routing.router import Router
from dutyroute.store.resources import rules_dir
from dutyroute.store.rules import load_rules
from dutyroute.store.rules_check import check_rules, rule_problems
from dutyroute.text.normalize import normalize


@pytest.fixture(scope="module")
def rulebook(router: Router) -> Rulebook:
    return router.rulebook


def test_every_means_term_is_a_term_of_the_lists(rulebook: Rulebook) -> None:
    """The lexicon maps to the lists' own words: each `means` term occurs verbatim in some matter."""
    texts = [normalize(m.title) for m in rulebook.matters] + [
        normalize(c) for m in rulebook.matters for c in m.clauses()
    ]
    missing = [
        (e.id, t) for e in load_rules().lexicon for t in e.means if not any(normalize(t) in x for x in texts)
    ]
    assert missing == []


def test_every_lexicon_entry_has_a_reason(rulebook: Rulebook) -> None:
    assert all(e.reason.strip() for e in load_rules().lexicon)


def test_the_bundled_rules_check_against_the_bundled_rulebook(rulebook: Rulebook) -> None:
    check_rules(load_rules(), rulebook)


def test_every_fact_value_has_phrases_and_a_question() -> None:
    for f in load_rules().facts:
        assert f.question.endswith("？"), f.name
        assert all(v.say or v.regex for v in f.values), f.name


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    d = tmp_path / "rules"
    d.mkdir()
    for name in ("lexicon.yaml", "facts.yaml", "routing.yaml", "scope.yaml"):
        shutil.copy(rules_dir() / name, d / name)
    return d


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_yaml_syntax_error_names_file_and_line(rules_copy: Path) -> None:
    _edit(rules_copy / "lexicon.yaml", "- {id: weak-party-branch,", "- {id: weak-party-branch, [")
    with pytest.raises(RuleFileError, match=r"lexicon\.yaml:\d+: YAML syntax error"):
        load_rules(rules_copy)


def test_unknown_matter_in_routing_is_named_with_suggestions(rules_copy: Path, rulebook: Rulebook) -> None:
    _edit(rules_copy / "routing.yaml", "    县道: [{matter: C62,", "    县道: [{matter: C620,")
    rules = load_rules(rules_copy)
    with pytest.raises(
        RuleFileError, match=r"routing\.yaml:\d+: contrast 'road-class': unknown matter 'C620'; did you mean"
    ):
        check_rules(rules, rulebook)


def test_body_not_listed_for_the_matter_is_an_error(rules_copy: Path, rulebook: Rulebook) -> None:
    _edit(rules_copy / "routing.yaml", "acting: {C14: [县公安局]}", "acting: {C14: [县应急管理局]}")
    with pytest.raises(RuleFileError, match="'县应急管理局' is not listed for C14"):
        check_rules(load_rules(rules_copy), rulebook)


def test_unknown_lexicon_entry_in_a_condition_is_an_error(rules_copy: Path, rulebook: Rulebook) -> None:
    _edit(rules_copy / "routing.yaml", "entries_any: [bbq-fumes]", "entries_any: [bbq-fume]")
    with pytest.raises(RuleFileError, match="unknown lexicon entry 'bbq-fume'; did you mean 'bbq-fumes'"):
        check_rules(load_rules(rules_copy), rulebook)


def test_problems_lists_every_inconsistency_where_check_stops_at_the_first(
    rules_copy: Path, rulebook: Rulebook
) -> None:
    _edit(rules_copy / "routing.yaml", "    县道: [{matter: C62,", "    县道: [{matter: C620,")
    _edit(rules_copy / "routing.yaml", "acting: {C14: [县公安局]}", "acting: {C14: [县应急管理局]}")
    _edit(rules_copy / "routing.yaml", "entries_any: [bbq-fumes]", "entries_any: [bbq-fume]")
    rules = load_rules(rules_copy)
    found = [str(e) for e in rule_problems(rules, rulebook)]
    assert len(found) == 3, found
    assert any("'C620'" in f for f in found) and any("'县应急管理局'" in f for f in found)
    assert any("'bbq-fume'" in f for f in found)
    with pytest.raises(RuleFileError, match="C620"):
        check_rules(rules, rulebook)
    assert rule_problems(load_rules(), rulebook) == []


def test_duplicate_lexicon_id_is_an_error(rules_copy: Path) -> None:
    _edit(rules_copy / "lexicon.yaml", "- {id: party-member,", "- {id: weak-party-branch,")
    with pytest.raises(RuleFileError, match=r"lexicon\.yaml:\d+: duplicate lexicon id 'weak-party-branch'"):
        load_rules(rules_copy)


def test_unknown_key_is_an_error(rules_copy: Path) -> None:
    _edit(rules_copy / "routing.yaml", "  prefer: [C36]\n", "  prefr: [C36]\n")
    with pytest.raises(RuleFileError, match="unknown key\\(s\\) prefr"):
        load_rules(rules_copy)


def test_routing_for_another_township_is_left_out_with_a_warning(
    rules_copy: Path, rulebook: Rulebook
) -> None:
    _edit(rules_copy / "routing.yaml", "rulebook: xiaojingzhuang", "rulebook: someothertownship")
    r = Router(rulebook, load_rules(rules_copy))
    assert any("someothertownship" in w for w in r.warnings)
    assert r.route("村西头有人在自家地里烧麦秸").matter == "B96"  # lexicon and facts still apply


@pytest.mark.parametrize("name", ["lexicon.yaml", "facts.yaml", "routing.yaml"])
def test_rule_files_have_no_duplicate_keys(name: str) -> None:
    """Plain PyYAML keeps the last of two equal keys silently; the rule files' strict loader refuses
    them (a key twice in one mapping is a RuleFileError naming both lines)."""
    from dutyroute.store.yamlio import read_yaml

    data, _ = read_yaml(rules_dir() / name)
    assert data


# ── scope screens (rules/scope.yaml) ────────────────────────────────────────────────────────
_SCREENS = load_rules().screens
_SCREEN_EXAMPLES = [(sc.id, ex) for sc in _SCREENS for ex in sc.examples]


def test_every_screen_has_a_reason_and_examples() -> None:
    assert _SCREENS, "rules/scope.yaml has no screens"
    for sc in _SCREENS:
        assert sc.reason.strip() and sc.say
        if sc.id != "lexicon-outside":
            assert sc.examples, f"screen {sc.id!r} has no examples"


@pytest.mark.parametrize(
    ("screen", "example"), _SCREEN_EXAMPLES, ids=[f"{s}:{e.text[:10]}" for s, e in _SCREEN_EXAMPLES]
)
def test_screen_example(screen: str, example) -> None:  # type: ignore[no-untyped-def]
    d = Router.default().route(example.text)
    got = d.matter if d.status == "routed" else d.status
    if example.expect is not None:
        if example.expect == "unmatched":
            assert d.status == "unmatched", (got, d.trace.rules)
        elif d.status == "needs_clarification":
            assert any(o.matter == example.expect for o in d.clarify.options), d.clarify
        else:
            assert got == example.expect, (got, d.trace.rules)
    if example.not_ is not None:
        assert got != example.not_


def test_a_strict_screen_names_itself_in_the_trace() -> None:
    d = Router.default().route("欠了信用卡两万多，催收的人天天给我爸妈打电话骂人")
    assert d.status == "unmatched" and "bank-credit" in d.trace.note
    assert any(r.rule == "bank-credit" for r in d.trace.rules)


def test_unknown_key_in_a_screen_is_an_error(rules_copy: Path) -> None:
    _edit(rules_copy / "scope.yaml", "- id: carriers\n", "- id: carriers\n  sayy: [x]\n")
    with pytest.raises(RuleFileError, match=r"scope\.yaml:\d+: scope screen 'carriers': unknown key"):
        load_rules(rules_copy)
