"""The recognizer speaks the matter ids of the version it routes: a county revision that drops a row
and renumbers the rest moves what was learned to the new ids (never onto the neighbour that took
the old number), and the diff's routing impact counts a renumbered row's incidents as unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from listkit import SEED, Lists
from typer.testing import CliRunner

from dutyroute import Router
from dutyroute.cli import app
from dutyroute.model.lists import Rulebook
from dutyroute.routing.recognizer import OUT_OF_SCOPE, Recognizer
from dutyroute.store.compile import compile_rulebook
from dutyroute.store.rulebook import load_rulebook
from dutyroute.text.normalize import normalize

STRAW = "有人在地里烧秸秆，烟大得很"


@pytest.fixture(scope="module")
def bundled() -> Recognizer:
    rec = Recognizer.bundled()
    if rec is None or not rec.meta.get("rulebook", {}).get("rows"):
        pytest.skip("no bundled recognizer recording its rows")
    return rec


@pytest.fixture(scope="module")
def renumbered(tmp_path_factory: pytest.TempPathFactory) -> Rulebook:
    """B5 dropped, B6…B111 renumbered B5…B110, and a new B111: every old id still exists."""
    lists = Lists()
    lists.drop("basic", 5, renumber=True)
    lists.append("basic", ["111", "综合政务", "负责本乡镇网格化服务管理平台的日常运行和事件流转"])
    return compile_rulebook(lists.write(tmp_path_factory.mktemp("v2") / "new.txt"))


def test_the_same_version_keeps_the_recognizer_as_it_is(bundled: Recognizer) -> None:
    assert bundled.for_rulebook(load_rulebook()) is bundled


def test_a_renumbered_row_keeps_what_was_learned_under_its_new_id(
    bundled: Recognizer, renumbered: Rulebook
) -> None:
    fitted = bundled.for_rulebook(renumbered)
    assert fitted is not None and fitted is not bundled
    assert fitted.hash == bundled.hash and fitted.meta["mapped_to"] == renumbered.hash
    old = load_rulebook()
    assert renumbered.matter("B95").title == old.matter("B96").title  # the straw-burning row
    norm = normalize(STRAW)
    assert fitted.scores(norm)["B95"] == pytest.approx(bundled.scores(norm)["B96"])
    assert "B5" in fitted.classes and "B111" not in fitted.classes  # old B5 removed, new B111 unlearned
    assert len(fitted.classes) == len(bundled.classes) - 1 and OUT_OF_SCOPE in fitted.classes
    assert list(fitted.classes) == sorted(fitted.classes)


def test_the_router_on_a_renumbered_version_routes_to_the_moved_row(
    renumbered: Rulebook, bundled: Recognizer
) -> None:
    d = Router(renumbered).route(STRAW)
    assert d.status == "routed" and d.matter == "B95"
    assert {p.matter for p in d.precedents} == {"B95"}


def test_another_townships_recognizer_is_not_applied(bundled: Recognizer) -> None:
    rb = load_rulebook()
    other = rb.model_copy(update={"jurisdiction": rb.jurisdiction.model_copy(update={"key": "elsewhere"})})
    assert bundled.for_rulebook(other) is None


def test_the_diff_impact_counts_a_renumbered_rows_incidents_as_unchanged(
    tmp_path: Path, bundled: Recognizer
) -> None:
    lists = Lists()
    lists.drop("basic", 5, renumber=True)
    new = lists.write(tmp_path / "new.txt")
    inc = tmp_path / "inc.jsonl"
    inc.write_text(json.dumps({"id": "straw", "text": STRAW}, ensure_ascii=False) + "\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["diff", str(SEED), str(new), "--json", "--incidents", str(inc)])
    assert r.exit_code == 0, r.output
    impact = json.loads(r.output)["impact"]
    assert impact["routed"] == 1 and impact["changed"] == []
