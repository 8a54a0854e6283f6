"""List versions: effective_from / effective_to, route(..., as_of=day), Decision.rulebook_version, lint."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import pytest

from dutyroute import Router
from dutyroute.errors import InputError, RuleFileError
from dutyroute.store.bundle import Bundle
from dutyroute.store.rulebook import load_rulebook
from dutyroute.tools.lint import lint_path

ROOT = Path(__file__).resolve().parents[1]
PRICE = "超市货架上的价签和结账时的价钱不一样"


def _set_meta(meta: Path, **values: str | None) -> None:
    lines = meta.read_text(encoding="utf-8").splitlines()
    lines = [ln for ln in lines if not any(ln.startswith(f"{k}:") for k in (*values, "effective_date"))]
    lines += [f"{k}: {v if v is not None else 'null'}" for k, v in values.items()]
    meta.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def versioned(tmp_path: Path) -> Path:
    """A rules copy whose township folder holds the 2024 lists and, under versions/2023/, an older
    version in which price enforcement (R3) was still received by 县发改工信和科技商务局."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    town = rules / "xiaojingzhuang"
    old = town / "versions" / "2023"
    old.mkdir(parents=True)
    for f in town.iterdir():
        if f.is_file():
            shutil.copy(f, old / f.name)
    rec = old / "reclaimed.yaml"
    text = rec.read_text(encoding="utf-8")
    head, sep, tail = text.partition("- id: R3\n")
    tail = tail.replace("  - body: 县市场监督管理局\n", "  - body: 县发改工信和科技商务局\n", 1)
    rec.write_text(head + sep + tail, encoding="utf-8")
    meta = (
        (old / "rulebook.yaml")
        .read_text(encoding="utf-8")
        .replace("bodies: ../bodies.yaml", "bodies: ../../../bodies.yaml")
    )
    (old / "rulebook.yaml").write_text(meta, encoding="utf-8")
    _set_meta(old / "rulebook.yaml", effective_from="2023-01-01", effective_to="2023-12-31")
    _set_meta(town / "rulebook.yaml", effective_from="2024-01-01", effective_to=None)
    return rules


def test_route_as_of_uses_the_version_in_force(versioned: Path) -> None:
    router = Router.from_dir(versioned)
    assert [rb.version for rb in router.versions] == ["2023-01-01/2023-12-31", "2024-01-01/.."]
    old = router.route(PRICE, as_of="2023-06-01")
    new = router.route(PRICE, as_of=date(2024, 6, 1))
    assert (old.matter, old.acting, old.rulebook_version) == (
        "R3",
        ("县发改工信和科技商务局",),
        "2023-01-01/2023-12-31",
    )
    assert (new.matter, new.acting, new.rulebook_version) == ("R3", ("县市场监督管理局",), "2024-01-01/..")
    assert router.route(PRICE).rulebook_version == "2024-01-01/.."  # default: the newest
    # a ticket's timestamp is its day (a datetime does not compare with a date by itself)
    stamped = router.route(PRICE, as_of=datetime(2023, 6, 1, 23, 59))
    assert stamped.rulebook_version == "2023-01-01/2023-12-31"
    assert old.rulebook_hash != new.rulebook_hash


def test_no_version_in_force_or_a_bad_date_is_a_clear_error(versioned: Path) -> None:
    router = Router.from_dir(versioned)
    with pytest.raises(InputError, match="no version of the lists is in force on 2022-05-01"):
        router.route(PRICE, as_of="2022-05-01")
    with pytest.raises(InputError, match="not a date; write YYYY-MM-DD"):
        router.route(PRICE, as_of="去年")
    with pytest.raises(TypeError, match="as_of must be a date"):
        router.route(PRICE, as_of=20240101)  # type: ignore[arg-type]


def test_a_rulebook_without_dates_is_in_force_any_day() -> None:
    router = Router.default()
    d = router.route(PRICE, as_of="1999-01-01")
    assert d.rulebook_version == "../.." and d.matter == "R3"


def test_overlapping_versions_are_refused_and_lint_says_why(versioned: Path) -> None:
    _set_meta(
        versioned / "xiaojingzhuang" / "versions" / "2023" / "rulebook.yaml",
        effective_from="2023-01-01",
        effective_to="2024-03-31",
    )
    with pytest.raises(InputError, match="both in force on 2024-01-01"):
        Bundle.from_dir(versioned)
    codes = {f.code for f in lint_path(versioned) if f.severity == "error"}
    assert "version-overlap" in codes


def test_effective_dates_are_checked_when_loading(tmp_path: Path) -> None:
    town = tmp_path / "rules" / "xiaojingzhuang"
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    _set_meta(town / "rulebook.yaml", effective_from="2024-13-01")
    with pytest.raises(RuleFileError, match="effective_from: '2024-13-01' is not a date"):
        load_rulebook(town)


def test_the_bundled_rulebook_hash_is_unchanged_by_the_version_fields() -> None:
    rb = load_rulebook()
    assert rb.effective_to is None and rb.effective_from is None
    assert rb.hash == "sha256:0a15e8e53ceec9b6"
