"""The labeled corpus as data: near-duplicate search, acting checks and `dutyroute lint` on corpus files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from dutyroute.store.rulebook import load_rulebook
from dutyroute.tools.corpus import acting_sets, lint_corpus, near_copies_of, near_duplicates, sharing_spans
from dutyroute.tools.lint import lint_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rulebook():  # type: ignore[no-untyped-def]
    return load_rulebook()


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _case(cid: str, text: str, *routes: tuple[str, list[str]], **extra: object) -> dict:
    accept = [
        {
            "matter": m,
            "acting": a,
            "cooperating": ["小京庄乡"] if m[0] == "C" else [],
            "reclaimed": m[0] == "R",
        }
        for m, a in routes
    ]
    return {
        "id": cid,
        "text": text,
        "accept": accept,
        "clarify": None,
        "writer": "T1",
        "style": "villager",
    } | extra


def test_near_duplicates_find_reworded_copies_but_not_different_incidents() -> None:
    texts = [
        "村东头老王家天天晚上在院子里烧垃圾，烟大得很，熏得人睡不着觉",
        "县道上有个大坑，昨天晚上一辆三轮车翻进去了，人受了伤",
        "村东头老王家天天晚上在院子里烧垃圾，烟大得很，熏得人睡不着觉啊！",  # a copy with a tail
        "俺家的低保今年突然停了，也没人来说一声，到底为啥",
    ]
    found = near_duplicates(texts)
    assert [(d.later, d.earlier) for d in found] == [(2, 0)]
    assert found[0].similarity >= 0.8


def test_near_duplicates_is_linear_on_many_texts_sharing_one_formula() -> None:
    """Thousands of letters opening with the same greeting do not make every pair a candidate."""
    texts = [
        f"尊敬的领导您好我是小京庄乡某村村民，第{i}件事是邻居家的牛{i}次跑进了我家地里" for i in range(3000)
    ]
    found = near_duplicates(texts)
    assert all(d.similarity >= 0.8 for d in found)


def test_sharing_spans_and_near_copies_of_measured_texts() -> None:
    measured = ["来电人反映村北砖厂夜里偷偷排黑水进河沟，鱼都死了"]
    texts = [
        "我听说村北砖厂夜里偷偷排黑水进河沟，太缺德了",  # 12+ characters in a row from it
        "尊敬的领导我是小京庄乡某村村民，想问问低保的事",  # only a common formula
    ]
    assert sharing_spans(texts, measured) == {0}
    assert near_copies_of(["来电人反映：村北砖厂夜里偷偷排黑水进河沟，鱼都死了！"], measured) == {0}
    assert near_copies_of(texts[1:], measured) == set()


def test_acting_sets_follow_the_lists(rulebook) -> None:  # type: ignore[no-untyped-def]
    sets = acting_sets(rulebook)
    assert sets["B96"] == [frozenset({"小京庄乡"})]
    assert frozenset({"县应急管理局"}) in sets["C66"]
    assert all(len(s) >= 1 for opts in sets.values() for s in opts)
    joint = [s for s in sets["R26"] if len(s) > 1]
    assert joint, "R26's identical receiver blocks act jointly"


def test_lint_corpus_reports_each_kind_of_fault(tmp_path: Path, rulebook) -> None:  # type: ignore[no-untyped-def]
    f = _write(
        tmp_path / "T1.jsonl",
        [
            _case("T1-1", "村里有人在麦地里烧秸秆，烟大得很", ("B96", ["小京庄乡"])),
            _case("T1-2", "村口小卖部卖过期的方便面给娃娃吃", ("C999", ["县市场监督管理局"])),
            _case("T1-3", "建筑工地晚上十二点还在打桩，吵得睡不着", ("C40", ["县财政局"])),
            _case("T1-1", "另一件事：邻居家的狗天天半夜叫个不停", ("B51", ["小京庄乡"])),
            _case("T1-5", "村里有人在麦地里烧秸秆！烟大得很。", ("B96", ["小京庄乡"])),
            _case("T1-6", "土地流转的钱三年没给，找谁也不管", ("R26", ["小京庄乡"])),
            {"id": "T1-7", "text": "没有写谁写的", "accept": [], "clarify": None},
            "not an object",
        ],
    )
    found = lint_corpus([f], rulebook)
    codes = {(x.line, x.code) for x in found}
    assert (2, "corpus-label") in codes  # unknown matter C999, with did-you-mean
    assert (3, "corpus-acting") in codes  # 县财政局 does not act on C40
    assert (4, "duplicate-id") in codes
    assert (5, "duplicate-text") in codes  # same text, punctuation aside
    assert (6, "corpus-acting") in codes
    assert (7, "corpus-field") in codes  # no writer / style
    assert (8, "corpus-load") in codes
    assert not [x for x in found if x.line == 1]
    assert all(x.path and x.path.endswith("T1.jsonl") for x in found)


def test_lint_corpus_flags_reclaimed_on_the_wrong_list(tmp_path: Path, rulebook) -> None:  # type: ignore[no-untyped-def]
    row = _case("T1-1", "县道上塌了个大坑，车过不去", ("C62", ["县交通运输局"]))
    row["accept"][0]["reclaimed"] = True
    found = lint_corpus([_write(tmp_path / "T1.jsonl", [row])], rulebook)
    assert [x.code for x in found] == ["corpus-reclaimed"]


def test_dutyroute_lint_takes_a_corpus_folder_or_file(tmp_path: Path) -> None:
    d = tmp_path / "corpus"
    d.mkdir()
    _write(d / "T1.jsonl", [_case("T1-1", "村里有人在麦地里烧秸秆，烟大得很", ("B96", ["小京庄乡"]))])
    _write(d / "T2.jsonl", [_case("T2-1", "村里有人在麦地里烧秸秆，烟大得很", ("B96", ["小京庄乡"]))])
    assert [x.code for x in lint_path(d)] == ["duplicate-text"]  # across files
    assert lint_path(d / "T1.jsonl") == []


def test_the_bundled_corpus_lints_without_errors() -> None:
    files = sorted((ROOT / "corpus").glob("*.jsonl"))
    if not files:
        pytest.skip("corpus/ holds no *.jsonl yet")
    errors = [str(x) for x in lint_path(ROOT / "corpus") if x.severity == "error"]
    assert not errors, "\n".join(errors[:20])


@settings(max_examples=examples(300), deadline=None)
@given(
    texts=st.lists(st.text(alphabet="村民反映砖厂", max_size=30), max_size=5),
    others=st.lists(st.text(alphabet="村民反映砖厂", max_size=30), max_size=5),
    span=st.integers(min_value=2, max_value=9),
)
def test_sharing_spans_finds_exactly_the_texts_a_brute_force_search_finds(
    texts: list[str], others: list[str], span: int
) -> None:
    """The sampled-window index misses no shared run and invents none (squash leaves these as they are)."""
    expect = {
        i
        for i, t in enumerate(texts)
        if any(t[j : j + span] in o for o in others for j in range(len(t) - span + 1))
    }
    assert sharing_spans(texts, others, span) == expect


def test_sharing_spans_refuses_a_span_below_two() -> None:
    with pytest.raises(ValueError, match="span=1"):
        sharing_spans(["村民"], ["村民"], 1)


@settings(max_examples=examples(200), deadline=None)
@given(
    text=st.text(
        alphabet="村民反映砖厂烧垃圾河道大坑低保补贴工资拖欠噪音油烟道路塌陷养殖场", min_size=30, max_size=600
    ),
    edits=st.lists(st.tuples(st.integers(min_value=0), st.sampled_from("的了是我你他在有")), max_size=15),
    others=st.lists(st.text(alphabet="村民反映砖厂", max_size=60), max_size=5),
)
def test_near_duplicates_finds_a_lightly_edited_copy_among_other_texts(
    text: str, edits: list[tuple[int, str]], others: list[str]
) -> None:
    """A copy with one character in forty replaced is found, whatever else the corpus holds: the
    span sketch is content-defined, so both texts keep the same spans of what they share."""
    chars = list(text)
    for pos, ch in edits[: max(1, len(chars) // 40)]:
        chars[pos % len(chars)] = ch
    copy = "".join(chars)
    texts = [text, *others, copy]
    found = {d.later: d for d in near_duplicates(texts)}
    a, b = set(), set()
    for t, g in ((text, a), (copy, b)):
        g.update(t[i : i + 4] for i in range(max(1, len(t) - 3)))
    if len(a & b) / len(a | b) >= 0.85:
        assert len(texts) - 1 in found
    assert all(d.similarity >= 0.8 for d in found.values())
