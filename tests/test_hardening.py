"""Hostile input: linear cost, numbers are not words, one bad line never kills a batch, rule files
that the loader accepts are safe, argument errors are the documented ones.

Each test fails on the router of d77295f (before the hardening issue)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest
from budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dutyroute import IncidentTextError, RuleFileError
from dutyroute.cli import main
from dutyroute.errors import CaseFormatError, NotFoundError
from dutyroute.model.decision import Decision, RouteFailure
from dutyroute.routing.router import MAX_RAW_CHARS, MAX_TEXT_CHARS
from dutyroute.store.resources import rules_dir
from dutyroute.store.rules import load_rules
from dutyroute.text.normalize import normalize


@pytest.mark.parametrize("text", ["……", "...", "110", "12345", "￥%……&*（）", "1，2。3"])
def test_a_text_without_a_word_is_refused_not_routed(router, text: str) -> None:
    """Digits, punctuation and symbols alone describe no incident: dispatching one would send a
    ticket to a body for nothing (an ellipsis routed to the service centre, say)."""
    with pytest.raises(IncidentTextError, match="has no word in it"):
        router.route(text)
    # a number beside words is part of an incident, and stays in the text that was read
    assert router.route("打了110没人来，村口有人打架").trace.text.startswith("打了110")


# ── linear cost, counted in Python line events (not seconds) ───────────────────────────────


def _line_events(fn, *args) -> int:  # type: ignore[no-untyped-def]
    count = 0

    def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal count
        if event == "line":
            count += 1
        return tracer

    sys.settrace(tracer)
    try:
        fn(*args)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize(
    "unit",
    [
        "承包地里倒垃圾，",  # a setting noun and a lexicon phrase: the span code was cubic here
        "家里情况不好烧秸秆，",  # a background marker beside a lexicon phrase
        "想申请低保，",  # request markers
        "烧秸秆",  # one phrase, glued
    ],
)
def test_routing_work_grows_linearly_with_the_text(router, unit):
    """Four times the text costs at most ~4.5 times the Python work (cubic code cost ~64 times)."""
    short = (unit * 400)[:1000]
    long = (unit * 1600)[:4000]
    router.route(short)  # warm caches
    ratio = _line_events(router.route, long) / _line_events(router.route, short)
    assert ratio < 4.5, ratio


def test_a_text_too_long_before_normalising_is_refused_naming_both_lengths(router):
    text = "，" * 100_000 + "地里烧秸秆"
    with pytest.raises(IncidentTextError) as info:
        router.route(text)
    msg = str(info.value)
    assert str(len(text)) in msg and str(MAX_RAW_CHARS) in msg and str(MAX_TEXT_CHARS) in msg
    assert info.value.length == len(text) and info.value.limit == MAX_RAW_CHARS


def test_runs_of_separators_fold_to_one(router):
    assert normalize("，" * 19_990 + "地里烧秸秆") == "地里烧秸秆"
    assert normalize("你好 ， 。 ，世界") == "你好。世界"


# ── numbers and Latin words are tokens ───────────────────────────────────────────────────────


def test_a_phone_number_containing_12345_is_not_the_hotline(router):
    d = router.route("县道上塌了一个大坑，车都过不去，联系电话13812345678")
    assert d.matter == "C62"
    assert router.route("打了12345也没人回复我").matter == "B111"


def test_latin_words_match_whole(router):
    assert router.route("村口KTV每天半夜唱歌太吵").acting == ("县住房和城乡建设管理局",)
    # "KTVS" is no KTV: the noise source is not read from inside a longer Latin word
    d = router.route("村口KTVS每天半夜唱歌太吵")
    assert "noise_source" not in d.trace.facts or d.trace.facts["noise_source"].value != "娱乐场所"


def test_spaces_between_single_characters_are_removed_but_words_are_kept(router):
    assert normalize("K T V 天天半夜唱歌") == "KTV 天天半夜唱歌"
    assert normalize("打 1 2 3 4 5") == "打 12345"
    assert normalize("open the door") == "open the door"
    assert (
        router.route("村口 K T V 每天半夜唱歌太吵").matter == router.route("村口KTV每天半夜唱歌太吵").matter
    )


# ── argument errors are the documented ones ──────────────────────────────────────────────────


def test_argument_errors_are_documented(router):
    with pytest.raises(TypeError, match="road_class"):
        router.route("村里的路坏了", facts={"road_class": None})
    with pytest.raises(NotFoundError):
        router.route("村里的路坏了", facts={"road_class": "月球道"})
    with pytest.raises(TypeError, match="limit"):
        router.route("村里的路坏了", limit="x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="limit"):
        router.route("村里的路坏了", limit=float("inf"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit"):
        router.route("村里的路坏了", limit=-1)


def test_route_many_can_return_an_error_item_in_place(router):
    out = router.route_many(["地里烧秸秆", "   ", "县道塌了个坑", 5], errors="return")  # type: ignore[list-item]
    assert [type(x) for x in out] == [Decision, RouteFailure, Decision, RouteFailure]
    assert out[1].index == 1 and out[1].error == "IncidentTextError"
    assert out[3].error == "TypeError"
    with pytest.raises(IncidentTextError, match="text 1"):
        router.route_many(["地里烧秸秆", "   "])


# ── batch: one bad line never kills the run ──────────────────────────────────────────────────


def test_batch_bad_numbers_and_ids_are_line_errors_and_the_rest_is_routed(tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [
        '{"id": "a", "text": "地里烧秸秆"}',
        '{"id": ' + "9" * 5000 + ', "text": "县道塌了个坑"}',
        '{"id": NaN, "text": "县道塌了个坑"}',
        '{"id": 1e400, "text": "县道塌了个坑"}',
        '{"id": "b", "text": "县道塌了个坑"}',
    ]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["batch", str(src), "-o", str(out)]) == 1

    def strict(name: str) -> None:
        raise AssertionError(f"output holds the non-JSON constant {name}")

    rows = [json.loads(x, parse_constant=strict) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in rows] == ["routed", "error", "error", "error", "routed"]
    assert "digits" in rows[1]["error"] and "NaN" in rows[2]["error"] and "infinity" in rows[3]["error"]


def test_batch_reads_csv_with_a_title_and_body(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(
        '留言编号,留言主题,留言详情\n7,县道塌了,"路中间一个大坑,车过不去"\n8,,\n', encoding="utf-8"
    )
    out = tmp_path / "out.jsonl"
    assert main(["batch", str(src), "-o", str(out)]) == 1
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["id"] == "7" and rows[0]["matter"] == "C62"
    assert rows[1]["status"] == "error"
    src2 = tmp_path / "in2.csv"
    src2.write_text("编号,内容\n1,地里烧秸秆\n", encoding="utf-8")
    assert main(["batch", str(src2), "-o", str(out), "--text-col", "内容", "--id-col", "编号"]) == 0


def test_a_stray_quote_in_csv_is_an_error_not_rows_run_together(tmp_path):
    """An unclosed quote must not swallow the rows after it into one incident (routed silently)."""
    from dutyroute.tools.batch_io import iter_csv

    src = tmp_path / "in.csv"
    src.write_text('id,text\n1,地里烧秸秆\n2,"县道塌了个坑\n3,地里烧秸秆\n', encoding="utf-8")
    got = list(iter_csv(src))
    assert got[0].value == {"id": "1", "text": "地里烧秸秆"}
    assert got[1].value is None and "opened on line 3 is never closed" in (got[1].error or "")
    src.write_text('id,text\n1,"县道"塌了\n2,地里烧秸秆\n', encoding="utf-8")
    got = list(iter_csv(src))
    assert got[0].line == 2 and "not CSV" in (got[0].error or "")
    assert got[1].value == {"id": "2", "text": "地里烧秸秆"}  # the next row is read as it is
    src.write_text("id,text,text\n1,地里烧秸秆,县道塌了\n", encoding="utf-8")
    with pytest.raises(CaseFormatError, match="column 'text' appears twice"):
        list(iter_csv(src))


def test_route_many_refuses_one_string_and_facts_that_are_no_mapping(router) -> None:
    """One string would be routed character by character; a list of facts would be dropped."""
    with pytest.raises(TypeError, match="got one string"):
        router.route_many("县道塌了个坑")
    with pytest.raises(TypeError, match="facts must be a mapping"):
        router.route("县道塌了个坑", facts=[])  # type: ignore[arg-type]


def test_batch_input_is_streamed(tmp_path):
    """The first record is yielded before the rest of the input is read."""
    from dutyroute.tools.batch_io import iter_jsonl

    class Counting:
        def __init__(self) -> None:
            self.reads = 0
            self.data = ('{"id": 1, "text": "x"}\n' * 100_000).encode()
            self.pos = 0

        def read(self, n: int = -1) -> bytes:
            self.reads += 1
            n = len(self.data) - self.pos if n < 0 else n
            chunk = self.data[self.pos : self.pos + n]
            self.pos += len(chunk)
            return chunk

    stream = Counting()
    it = iter_jsonl(stream)  # type: ignore[arg-type]
    assert next(it).value == {"id": 1, "text": "x"}
    assert stream.pos < len(stream.data) // 10


def test_an_interrupted_batch_keeps_a_partial_file_and_exits_130(tmp_path, monkeypatch):
    from dutyroute.tools import batch as batch_mod

    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": i, "text": "地里烧秸秆"}) + "\n" for i in range(20)), encoding="utf-8"
    )
    out = tmp_path / "out.jsonl"
    out.write_text("previous run\n", encoding="utf-8")
    real = batch_mod.route_lines

    def interrupting(router, lines, limit=5):  # type: ignore[no-untyped-def]
        for i, outcome in enumerate(real(router, lines, limit=limit)):
            if i == 5:
                os.kill(os.getpid(), signal.SIGTERM)
            yield outcome

    monkeypatch.setattr(batch_mod, "route_lines", interrupting)
    assert main(["batch", str(src), "-o", str(out)]) == 130
    assert out.read_text(encoding="utf-8") == "previous run\n"  # untouched
    partial = tmp_path / "out.jsonl.partial"
    assert len(partial.read_text(encoding="utf-8").splitlines()) == 6
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_write_error_names_the_file_and_stops_at_once(tmp_path, monkeypatch, capsys):
    from dutyroute.tools import batch_io

    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"id": i, "text": "地里烧秸秆"}) + "\n" for i in range(50)), encoding="utf-8"
    )
    out = tmp_path / "out.jsonl"
    real_open = batch_io.SafeOutput.open

    class Full:  # a disk that fills up after three lines
        def __init__(self, fh):  # type: ignore[no-untyped-def]
            self.fh, self.n = fh, 0

        def write(self, text):  # type: ignore[no-untyped-def]
            self.n += 1
            if self.n > 3:
                raise OSError(28, "No space left on device")
            return self.fh.write(text)

        def close(self):  # type: ignore[no-untyped-def]
            self.fh.close()

    def opening(self):  # type: ignore[no-untyped-def]
        real_open(self)
        self._fh = Full(self._fh)
        return self

    monkeypatch.setattr(batch_io.SafeOutput, "open", opening)
    assert main(["batch", str(src), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(out) in err and "after 3 lines" in err and "No space left" in err
    assert not out.exists()


def test_eval_scores_the_good_lines_and_reports_the_bad(tmp_path, capsys):
    cases = tmp_path / "cases.jsonl"
    good = {"id": "x", "text": "地里烧秸秆", "accept": [{"matter": "B96", "acting": ["小京庄乡"]}]}
    cases.write_text(json.dumps(good, ensure_ascii=False) + '\n{"id": NaN}\n[1]\n', encoding="utf-8")
    assert main(["eval", str(cases), "--json"]) == 1
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert payload["metrics"]["cases"] == 1 and len(payload["bad_lines"]) == 2


# ── rule files the loader accepts are safe ───────────────────────────────────────────────────


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "rules"
    shutil.copytree(rules_dir(), dst)
    return dst


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_duplicate_key_names_both_lines(rules_copy):
    _edit(rules_copy / "scope.yaml", "version: 1", "version: 1\nversion: 1")
    with pytest.raises(RuleFileError, match=r"appears twice.*first at line"):
        load_rules(rules_copy)


def test_a_quoted_false_is_not_false(rules_copy):
    text = (rules_copy / "scope.yaml").read_text(encoding="utf-8")
    assert "strict: false" in text
    (rules_copy / "scope.yaml").write_text(
        text.replace("strict: false", "strict: 'false'", 1), encoding="utf-8"
    )
    with pytest.raises(RuleFileError, match="true or false"):
        load_rules(rules_copy)


def test_a_regex_that_backtracks_catastrophically_is_refused(rules_copy):
    facts = rules_copy / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    marker = "regex: ['(?<![A-Za-z0-9])G"
    assert marker in text
    facts.write_text(text.replace(marker, "regex: ['(村+)+$', '(?<![A-Za-z0-9])G", 1), encoding="utf-8")
    with pytest.raises(RuleFileError, match="backtrack catastrophically"):
        load_rules(rules_copy)


@pytest.mark.parametrize("rx", ["", "(村)?", "[0-9]*"])
def test_a_regex_that_matches_the_empty_text_is_refused(rules_copy, rx):
    """It would read its value in every incident (a road class for every text, say)."""
    facts = rules_copy / "facts.yaml"
    text = facts.read_text(encoding="utf-8")
    marker = "regex: ['(?<![A-Za-z0-9])G"
    facts.write_text(text.replace(marker, f"regex: ['{rx}', '(?<![A-Za-z0-9])G", 1), encoding="utf-8")
    with pytest.raises(RuleFileError, match="matches the empty text"):
        load_rules(rules_copy)


def test_yaml_aliases_are_refused(rules_copy):
    bomb = "x: &a [烧秸秆, 烧秸秆]\ny: &b [*a, *a, *a, *a]\n"
    (rules_copy / "scope.yaml").write_text(bomb + (rules_copy / "scope.yaml").read_text(encoding="utf-8"))
    with pytest.raises(RuleFileError, match="aliases"):
        load_rules(rules_copy)


def test_an_oversized_rule_file_is_refused_before_parsing(rules_copy):
    big = rules_copy / "scope.yaml"
    big.write_text(big.read_text(encoding="utf-8") + "# " + "x" * (5 * 1024 * 1024) + "\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match="bytes, more than"):
        load_rules(rules_copy)


def test_non_utf8_names_the_line_and_byte(rules_copy):
    f = rules_copy / "scope.yaml"
    data = f.read_bytes()
    f.write_bytes(data + "reason: 烧秸秆\n".encode("gbk"))
    line = data.count(b"\n") + 1
    with pytest.raises(RuleFileError, match=rf":{line}: not UTF-8: byte 0x.. at offset {len(data) + 8}"):
        load_rules(rules_copy)


def test_a_bodies_path_outside_the_rules_folder_is_refused(rules_copy, tmp_path):
    outside = tmp_path / "elsewhere.yaml"
    shutil.copy(rules_copy / "bodies.yaml", outside)
    meta = rules_copy / "xiaojingzhuang" / "rulebook.yaml"
    text = meta.read_text(encoding="utf-8")
    meta.write_text(text.replace("bodies: ../bodies.yaml", "bodies: ../../elsewhere.yaml"), encoding="utf-8")
    from dutyroute.store.rulebook import load_rulebook

    with pytest.raises(RuleFileError, match="reaches outside the rules folder"):
        load_rulebook(rules_copy / "xiaojingzhuang")


# ── a few thousand hostile texts ─────────────────────────────────────────────────────────────

_hostile = st.one_of(
    st.text(max_size=400),
    st.text(
        alphabet=st.sampled_from(list("，。 ,.!&<>;KTV12345烧秸秆承包地倒垃圾家里情况申请")), max_size=3000
    ),
    st.lists(
        st.sampled_from(["<p>", "&amp;", "，", "K", " ", "1", "烧秸秆", "\u200b", "\ud800"]), max_size=600
    ).map("".join),
)


@settings(
    max_examples=examples(2500),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(text=_hostile)
def test_any_text_gives_a_decision_or_a_documented_error(router, text):
    try:
        d = router.route(text)
    except IncidentTextError:
        return
    assert d.status in ("routed", "needs_clarification", "unmatched")
    json.dumps(d.to_batch(), allow_nan=False)
