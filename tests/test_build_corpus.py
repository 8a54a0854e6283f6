"""build_corpus.py --relabel: a policy ruling changes a corpus label only when a second reader agrees."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("build_corpus", ROOT / "scripts" / "build_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _oos(rid: str, text: str) -> dict[str, Any]:
    return {
        "id": rid, "text": text, "accept": [], "clarify": None, "tags": ["out_of_scope", "oos:city"],
        "note": "city setting", "source": "team", "style": "online", "writer": "T1", "review": "agree",
    }  # fmt: skip


def _write(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> int:
    argv = ["build_corpus.py", "--relabel", "setting-test", "--rulings", str(tmp_path / "rulings"),
            "--checks", str(tmp_path / "checks"), "--out", str(tmp_path / "corpus"),
            "--report", str(tmp_path / "corpus" / "REVIEW.md")]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    return int(_script().main())


def test_an_agreed_policy_ruling_relabels_and_a_disputed_one_leaves_the_label(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rows = [
        _oos("T1-0001", "A3区某小区楼下烧烤店油烟熏人"),
        _oos("T1-0002", "A3区某小区楼下KTV唱到半夜"),
        _oos("T1-0003", "小区物业费又涨了"),
    ]
    _write(tmp_path / "corpus" / "T1.jsonl", rows)
    (tmp_path / "corpus" / "REVIEW.json").write_text('{"batches": []}\n', encoding="utf-8")
    _write(tmp_path / "rulings" / "a.jsonl", [
        {"id": "T1-0001", "decision": "own", "accept": [{"matter": "C36", "acting": ["县市场监督管理局"]}],
         "clarify": None, "reason": "BBQ fumes: C36"},
        {"id": "T1-0002", "decision": "own", "reason": "KTV noise: C40",
         "accept": [{"matter": "C40", "acting": ["县住房和城乡建设管理局"]}]},
        {"id": "T1-0003", "decision": "keep", "reason": "estate fees"},
    ])  # fmt: skip
    _write(tmp_path / "checks" / "a.jsonl", [
        {"id": "T1-0001", "verdict": "agree"},
        {"id": "T1-0002", "verdict": "disagree", "reason": "unclear source"},
    ])  # fmt: skip
    assert _run(monkeypatch, tmp_path) == 0
    out = [json.loads(line) for line in (tmp_path / "corpus" / "T1.jsonl").read_text("utf-8").splitlines()]
    assert out[0]["accept"] == [
        {"matter": "C36", "acting": ["县市场监督管理局"], "cooperating": ["小京庄乡"], "reclaimed": False}
    ]
    assert out[0]["review"] == "policy:setting-test" and out[0]["note"] == "BBQ fumes: C36"
    assert "out_of_scope" not in out[0]["tags"] and "oos:city" not in out[0]["tags"]
    assert out[1] == rows[1] and out[2] == rows[2]  # disputed and kept: as they were
    report = (tmp_path / "corpus" / "REVIEW.md").read_text("utf-8")
    assert "3 re-read, 1 kept their label, 1 relabeled" in report and "1 disputed" in report


def test_a_ruling_on_an_id_not_in_the_corpus_stops_with_the_id(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _write(tmp_path / "corpus" / "T1.jsonl", [_oos("T1-0001", "某区的事")])
    (tmp_path / "corpus" / "REVIEW.json").write_text('{"batches": []}\n', encoding="utf-8")
    _write(tmp_path / "rulings" / "a.jsonl", [{"id": "T9-0404", "decision": "keep", "reason": "x"}])
    _write(tmp_path / "checks" / "a.jsonl", [])
    with pytest.raises(SystemExit, match="T9-0404"):
        _run(monkeypatch, tmp_path)
