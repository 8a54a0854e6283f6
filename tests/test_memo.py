"""Loads of unchanged rule files are shared within a process; any change to what a load read is seen."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from listkit import RULES

from dutyroute.routing.retrieve import MatterIndex
from dutyroute.store.bundle import Bundle
from dutyroute.store.rulebook import load_rulebook
from dutyroute.store.rules import load_rules


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    shutil.copytree(RULES, tmp_path / "rules")
    return tmp_path / "rules"


def test_a_second_load_of_unchanged_files_is_the_same_object(rules_copy: Path) -> None:
    first = Bundle.from_dir(rules_copy)
    again = Bundle.from_dir(rules_copy)
    assert again.rules is first.rules and again.rulebook is first.rulebook


def test_an_edited_rule_file_is_read_again(rules_copy: Path) -> None:
    before = load_rules(rules_copy)
    routing = rules_copy / "routing.yaml"
    text = routing.read_text(encoding="utf-8")
    assert "reason: " in text
    routing.write_text(text.replace("reason: ", "reason: 改过 ", 1), encoding="utf-8")
    after = load_rules(rules_copy)
    assert after is not before
    assert any("改过" in r.reason for r in after.rules) or any("改过" in c.reason for c in after.contrasts)


def test_an_edited_list_changes_the_rulebook_and_its_hash(rules_copy: Path) -> None:
    book = next(p for p in rules_copy.iterdir() if (p / "rulebook.yaml").exists())
    before = load_rulebook(book)
    basic = book / "basic.yaml"
    text = basic.read_text(encoding="utf-8")
    first_title = next(ln for ln in text.splitlines() if ln.startswith("  title:"))
    basic.write_text(text.replace(first_title, first_title + "（改）", 1), encoding="utf-8")
    after = load_rulebook(book)
    assert after is not before and after.hash != before.hash
    assert after.matters[0].title.endswith("（改）")


def test_a_file_added_next_to_the_ones_read_is_a_new_load(rules_copy: Path) -> None:
    """scope.yaml is optional: adding one changes what load_rules returns, though no file it read changed."""
    scope = rules_copy / "scope.yaml"
    kept = scope.read_text(encoding="utf-8")
    scope.unlink()
    without = load_rules(rules_copy)
    scope.write_text(kept, encoding="utf-8")
    with_scope = load_rules(rules_copy)
    assert with_scope is not without
    assert len(with_scope.screens) > len(without.screens)


def test_a_deleted_file_is_the_loaders_error_not_the_old_value(rules_copy: Path) -> None:
    from dutyroute.errors import RuleFileError

    load_rules(rules_copy)
    (rules_copy / "facts.yaml").unlink()
    with pytest.raises(RuleFileError, match=r"facts\.yaml"):
        load_rules(rules_copy)


def test_routers_over_equal_rulebooks_share_one_index(rules_copy: Path) -> None:
    from dutyroute.routing.router import Router

    a = Bundle.from_dir(None)
    b = Bundle.from_dir(rules_copy)
    assert b.rulebook.hash == a.rulebook.hash
    ra = Router(a.rulebook, a.rules, recognizer=None)
    rb = Router(b.rulebook, b.rules, recognizer=None)
    assert ra._index is rb._index
    concepts = {e.id: (e.weight, e.means) for e in a.rules.lexicon}
    assert MatterIndex.shared(a.rulebook, concepts) is ra._index
    fewer = dict(list(concepts.items())[1:])
    assert MatterIndex.shared(a.rulebook, fewer) is not ra._index
