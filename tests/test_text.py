"""Normalisation and phrase finding."""

from __future__ import annotations

import pytest

from dutyroute.text.normalize import char_ngrams, normalize
from dutyroute.text.phrases import MAX_GAP, PhraseMatcher, split_phrase


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("地 里 烧 秸 秆！！！", "地里烧秸秆"),  # spaces between CJK, trailing punctuation
        ("我們村裡的馬路壞了，請處理。", "我们村里的马路坏了，请处理"),  # traditional → simplified
        ("<p>有人&nbsp;烧垃圾</p>", "有人烧垃圾"),  # HTML tags and entities
        ("ＡＢＣ１２３，路上塌了个坑。。。", "ABC123，路上塌了个坑"),  # full-width forms
        ("县公安局（县交通警察大队）：1. 负责", "县公安局县交通警察大队，1. 负责"),  # brackets dropped
        ("补偿3.5万元，涨了15%", "补偿3.5万元，涨了15%"),  # numbers keep . and %
        ("😀烧秸秆😀", "烧秸秆"),  # emoji are separators
        ("a , b。 ，c", "a，b。c"),  # runs of separators collapse, the stronger wins
        ("\u200b烧\u200b秸秆", "烧秸秆"),  # zero-width characters removed
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_rejects_non_strings() -> None:
    with pytest.raises(TypeError, match="must be str"):
        normalize(None)  # type: ignore[arg-type]


def test_ngrams_never_cross_separators() -> None:
    assert char_ngrams("烧秸秆，路坏") == ["烧秸", "秸秆", "路坏"]
    assert char_ngrams("烧") == ["烧"]


def test_plain_and_gapped_phrases() -> None:
    m = PhraseMatcher([("straw", "烧…秸秆"), ("road", "村道"), ("pit", "路…塌…坑")])
    hits = {h.key: h.said for h in m.find(normalize("有人烧了一地的秸秆，村道上路面塌了个坑"))}
    assert hits == {"straw": "烧了一地的秸秆", "road": "村道", "pit": "路面塌了个坑"}


def test_gaps_stay_within_a_clause_and_their_length() -> None:
    m = PhraseMatcher([("straw", "烧…秸秆")])
    assert m.find("烧，秸秆") == []  # a separator breaks the gap
    assert m.find("烧" + "的" * (MAX_GAP + 1) + "秸秆") == []
    assert m.find("烧" + "的" * MAX_GAP + "秸秆") != []


def test_a_phrase_that_normalises_to_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty part"):
        split_phrase("…秸秆")


def test_the_folding_table_is_idempotent() -> None:
    # normalize() skips a second folding pass when OpenCC leaves a text unchanged; that is exact
    # only while folding a folded character changes nothing
    from dutyroute.text.normalize import _table

    table = _table()
    assert all(v.translate(table) == v for v in table.values())


def test_the_pinyin_table_is_what_pypinyin_generates() -> None:
    """src/dutyroute/text/pinyin_table.txt is generated (python -m dutyroute.text.pinyin), not hand-edited."""
    pytest.importorskip("pypinyin")
    from dutyroute.text.pinyin import TABLE, generate_table

    assert TABLE.read_text(encoding="utf-8") == generate_table()
