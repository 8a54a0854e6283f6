"""The trained recognizer: a county's tickets change a route, training is deterministic, and the
shipped artifact is exactly what corpus/ builds (its hash in Decision and `dutyroute version`)."""

from __future__ import annotations

import collections
import importlib.util
import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dutyroute.cli import app
from dutyroute.routing.recognizer import (
    SUBJECT_MAX_CHARS,
    SUBJECT_WEIGHT,
    Recognizer,
    bundled_artifact_dir,
    features,
    subject_line,
)
from dutyroute.store.resources import corpus_dir
from dutyroute.store.rulebook import load_rulebook
from dutyroute.text.normalize import normalize
from dutyroute.tools.train import TrainSettings, corpus_files, corpus_hash, select_vocabulary

# the train extra: looked up, not imported, so collecting this module does not pay for importing
# scikit-learn (about 0.7 s on every xdist worker); the tests that train import it when they run
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("sklearn") is None, reason="training needs the train extra (scikit-learn)"
)

ROOT = Path(__file__).resolve().parents[1]
TICKETS = ROOT / "examples" / "county-tickets.jsonl"
SHED = "村口又起了好几间蓝板房，地都给占了"  # 蓝板房: a county's own word, in no list and no lexicon
runner = CliRunner()


@pytest.fixture(scope="module")
def county_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model") / "county"
    r = runner.invoke(app, ["train", "--only", "--corpus", str(TICKETS), "-o", str(out), "--folds", "3"])
    assert r.exit_code == 0, r.output
    return out


def _route(*args: str) -> dict:
    r = runner.invoke(app, ["route", SHED, "--json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_a_countys_own_tickets_change_a_route(county_model: Path) -> None:
    """Trained on the county's tickets, 蓝板房 on farmland routes to R38 (the reclaimed matter of
    building on farmland); with the rules alone the word means nothing."""
    with_model = _route("--recognizer", str(county_model))
    without = _route("--recognizer", "none")
    assert (with_model["status"], with_model["matter"], with_model["acting"]) == (
        "routed",
        "R38",
        ["县规划和自然资源局"],
    )
    assert with_model["reclaimed"] is True and "第38项" in with_model["basis"]
    assert without["matter"] != "R38"
    assert with_model["model_hash"] == Recognizer.load(county_model).hash
    assert without["model_hash"] is None


def test_training_gives_identical_bytes(county_model: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    r = runner.invoke(app, ["train", "--only", "--corpus", str(TICKETS), "-o", str(again), "--folds", "3"])
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in county_model.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    for name in names:
        assert (county_model / name).read_bytes() == (again / name).read_bytes(), name


def test_the_artifact_records_its_corpus_rulebook_and_cross_validation(county_model: Path) -> None:
    meta = json.loads((county_model / "meta.json").read_text(encoding="utf-8"))
    assert meta["corpus"]["hash"] == corpus_hash(corpus_files([TICKETS]))
    assert meta["corpus"]["writers"] == 3 and meta["cv"]["grouped_by"] == "writer"
    assert meta["rulebook"]["hash"] == load_rulebook().hash
    assert 0.0 <= meta["fusion"]["auto_dispatch"] <= 1.0


def test_precedents_are_the_nearest_training_examples(county_model: Path) -> None:
    d = _route("--recognizer", str(county_model))
    assert 1 <= len(d["precedents"]) <= 3
    for p in d["precedents"]:
        assert p["id"].startswith("county-") and p["matter"] == "R38" and 0.0 < p["similarity"] <= 1.0
        assert "蓝板房" in p["excerpt"]


def test_stored_precedent_counts_give_the_precedents_of_the_texts(county_model: Path) -> None:
    """The artifact stores each precedent's n-gram counts (so no process re-reads the examples);
    precedents found from them are those found by counting the examples' texts again."""
    import numpy as np

    from dutyroute.routing.recognizer import NgramCounts
    from dutyroute.text.normalize import normalize

    stored = Recognizer.load(county_model)
    rows = [
        json.loads(x) for x in (county_model / "precedents.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    tickets = [json.loads(x) for x in TICKETS.read_text(encoding="utf-8").splitlines() if x.strip()]
    texts = {r["id"]: r["text"] for r in tickets}
    assert all(len(r["excerpt"]) <= 80 for r in rows)
    recount = NgramCounts.of(
        [stored.ngram_counts(normalize(texts.get(r["id"], ""))) for r in rows], len(stored.idf)
    )
    counts = stored._precedent_counts()
    county = [i for i, r in enumerate(rows) if r["id"] in texts]
    assert county, "the county's tickets are among the precedents"
    for i in county:
        assert all(np.array_equal(a, b) for a, b in zip(counts[i], recount[i], strict=True))
    text = normalize(SHED)
    assert stored.precedents(text, "R38")[0].id.startswith("county-")


def test_ngram_counts_round_trip_through_the_stored_arrays_beyond_65536_features() -> None:
    import numpy as np

    from dutyroute.routing.recognizer import NgramCounts

    per_text = [
        (np.array([3, 70000, 131071], dtype=np.int64), np.array([1, 300, 2], dtype=np.int64)),
        (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)),
        (np.array([65535, 65536], dtype=np.int64), np.array([4, 5], dtype=np.int64)),
    ]
    counts = NgramCounts.of(per_text, 131072)
    low, c, sizes = counts.to_arrays()
    assert low.dtype == np.uint16 and c.dtype == np.uint16 and sizes.shape == (3, 2)
    back = NgramCounts.from_arrays(low, c, sizes)
    for i, (f, n) in enumerate(per_text):
        assert np.array_equal(back[i][0], f) and np.array_equal(back[i][1], n)
    with pytest.raises(ValueError, match="do not fit"):
        NgramCounts.from_arrays(low[:-1], c, sizes)


def test_a_missing_artifact_folder_is_one_clear_error(tmp_path: Path) -> None:
    r = runner.invoke(app, ["route", SHED, "--recognizer", str(tmp_path / "nothing")])
    assert r.exit_code != 0


SHIPPED = bundled_artifact_dir()


@pytest.mark.skipif(not (SHIPPED / "meta.json").exists(), reason="no recognizer shipped yet")
def test_the_shipped_artifact_is_what_the_corpus_builds() -> None:
    """The hash of corpus/ recorded in the artifact is the hash of corpus/ now, and the rulebook
    it was trained for is the bundled one (`dutyroute train --check` in .ci/run rebuilds it byte
    for byte)."""
    meta = json.loads((SHIPPED / "meta.json").read_text(encoding="utf-8"))
    assert meta["corpus"]["hash"] == corpus_hash(corpus_files([corpus_dir()])), "retrain: dutyroute train"
    assert meta["rulebook"]["hash"] == load_rulebook().hash


@pytest.mark.skipif(not (SHIPPED / "meta.json").exists(), reason="no recognizer shipped yet")
def test_the_shipped_model_hash_is_in_decisions_and_version(fused) -> None:  # type: ignore[no-untyped-def]
    meta = json.loads((SHIPPED / "meta.json").read_text(encoding="utf-8"))
    assert fused.route("县道上塌了个大坑").model_hash == meta["hash"]
    r = runner.invoke(app, ["version"])
    assert meta["hash"] in r.output


@settings(max_examples=examples(60), deadline=None)
@given(
    st.lists(st.text(alphabet="村道坑路烧秸秆，", min_size=1, max_size=12), min_size=2, max_size=12),
    st.integers(min_value=1, max_value=30),
    st.randoms(use_true_random=False),
)
def test_the_vocabulary_cut_breaks_ties_by_the_feature_not_by_the_sort(
    texts: list[str], limit: int, rnd: random.Random
) -> None:
    """The max_features cut keeps the most frequent features and, among features tied at the cut,
    the first in order — whatever order the texts come in (scikit-learn's own cut depends on the
    CPU's sort instructions, which gave another vocabulary on another machine)."""
    s = TrainSettings(max_features=limit, min_df=1)
    vocab = select_vocabulary(texts, s)
    shuffled = texts[:]
    rnd.shuffle(shuffled)
    assert select_vocabulary(shuffled, s) == vocab == sorted(vocab)
    counts = collections.Counter(g for t in texts for g in features(t, s.max_n))
    expected = sorted(counts, key=lambda g: (-counts[g], g))[:limit]
    assert vocab == sorted(expected)


def test_an_acting_body_picked_among_several_departments_is_a_confidence_feature(router) -> None:  # type: ignore[no-untyped-def]
    """The confidence model knows when the acting department was picked among several by their
    clauses or as the lead (the route can then be wrong in its department while right in its
    matter), and not when the list, a rule or a fact gave it."""
    from dutyroute.routing.acting import BY_CLAUSES, BY_LEAD, chosen_among_several
    from dutyroute.routing.fusion import CALIBRATION_FEATURES
    from dutyroute.routing.intake import checked_text
    from dutyroute.tools.crossval import _cal_inputs

    assert chosen_among_several(BY_CLAUSES) and chosen_among_several(BY_LEAD)
    assert not any(map(chosen_among_several, ("rule", "basic list: the township acts", "joint receivers")))
    where = CALIBRATION_FEATURES.index("acting_open")
    picked = router.route("移民搬迁的安置房漏水了")  # C59: 发改, 住建 and 自然资源 each have clauses
    given = router.route("村西头有人在自家地里烧麦秸")  # B96: the basic list names the township
    assert picked.trace.note.removeprefix("acting: ") in (BY_CLAUSES, BY_LEAD)
    for text, d in (("移民搬迁的安置房漏水了", picked), ("村西头有人在自家地里烧麦秸", given)):
        norm = checked_text(text)
        w = router._analyse(norm, router._evidence.prepare(norm), {}, ())[0]
        _, matter = router.graph.matter(d.matter)
        assert router._acting.picks_among_several(matter, w) == chosen_among_several(
            d.trace.note.removeprefix("acting: ")
        )
    view = router.engine_view("移民搬迁的安置房漏水了")[0]
    assert _cal_inputs(picked, view)[where] == 1.0
    assert _cal_inputs(given, router.engine_view("村西头有人在自家地里烧麦秸")[0])[where] == 0.0


def test_a_subject_line_is_the_short_first_line_of_a_longer_text() -> None:
    subject = "关于村口饭店油烟扰民的投诉"
    assert subject_line(subject + "\n尊敬的领导：我家就在饭店楼上") == subject
    assert subject_line("  主题：路灯坏了  \n\n村里那条路晚上黑漆漆的") != ""
    assert subject_line("村口饭店的油烟太大了") == ""  # one line: the text is its own subject
    assert subject_line("村口饭店的油烟太大了\n   ") == ""  # nothing follows it
    assert subject_line("饭" * (SUBJECT_MAX_CHARS + 1) + "\n后面的话") == ""  # too long: the body itself


@pytest.mark.skipif(not (SHIPPED / "meta.json").exists(), reason="no recognizer shipped yet")
def test_the_subject_line_counts_again_at_the_weight_the_artifact_records() -> None:
    rec = Recognizer.load(SHIPPED)
    meta = json.loads((SHIPPED / "meta.json").read_text(encoding="utf-8"))
    assert meta["features"]["subject_weight"] == SUBJECT_WEIGHT
    text = "关于村口饭店油烟扰民的投诉\n尊敬的领导：我家就在饭店楼上，窗户都不敢开"
    norm, subject = normalize(text), subject_line(text)
    with_subject, without = rec.decision(norm, subject=subject), rec.decision(norm)
    again = rec.decision(subject) - rec.decision("")  # the subject's own scores, intercept taken off
    assert np.allclose(with_subject - without, SUBJECT_WEIGHT * again, atol=1e-4)


def test_an_artifact_trained_without_a_subject_weight_applies_none(tmp_path: Path) -> None:
    old = tmp_path / "recognizer"
    shutil.copytree(SHIPPED, old)
    meta = json.loads((old / "meta.json").read_text(encoding="utf-8"))
    del meta["features"]["subject_weight"]
    (old / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    rec = Recognizer.load(old)
    norm = normalize("尊敬的领导：我家就在饭店楼上，窗户都不敢开")
    assert np.array_equal(rec.decision(norm, subject="关于村口饭店油烟扰民的投诉"), rec.decision(norm))
