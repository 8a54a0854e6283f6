"""No labeled dev sentence (or a near copy) is in the repository's rules, tests, examples, README, corpus.

The labeled incidents in ``../shared/cases/dev.jsonl`` measure the router; rules and example
sentences written from them would make that measure (and the held-out one) meaningless. This test
fails when any 10-character span of a dev text — punctuation and spaces removed on both sides —
occurs in ``rules/`` (the official lists under ``rules/xiaojingzhuang/`` excepted), ``tests/``,
``examples/`` or ``README.md``. It is skipped where the shared folder is absent (a clean clone).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "cases" / "dev.jsonl"
SPAN = 10
_DROP = re.compile(r"[\W_]+", re.UNICODE)  # punctuation, symbols and whitespace of any width


def _squash(text: str) -> str:
    return _DROP.sub("", text)


def _repo_files() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder in ("rules", "tests", "examples"):
        for p in sorted((ROOT / folder).rglob("*")):
            if not p.is_file() or "__pycache__" in p.parts or p.suffix in {".pyc", ".png", ".svg"}:
                continue
            if folder == "rules" and "xiaojingzhuang" in p.relative_to(ROOT / "rules").parts:
                continue  # the official lists themselves
            files.append(p)
    return [p for p in files if p.exists()]


@pytest.mark.skipif(not DEV.exists(), reason="../shared/cases/dev.jsonl is not next to the repository")
def test_no_dev_sentence_span_in_the_repository() -> None:
    dev = [json.loads(line)["text"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    spans: dict[str, str] = {}
    for text in dev:
        t = _squash(text)
        for i in range(len(t) - SPAN + 1):
            spans.setdefault(t[i : i + SPAN], text)
    found = []
    for path in _repo_files():
        try:
            body = _squash(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            continue
        for i in range(len(body) - SPAN + 1):
            span = body[i : i + SPAN]
            if span in spans:
                found.append(f"{path.relative_to(ROOT)}: {span!r} from dev text {spans[span][:40]!r}")
                break
    assert not found, "dev sentences copied into the repository (reword them):\n" + "\n".join(found)


REALDATA = ROOT.parent / "shared" / "realdata"


def _corpus_texts() -> list[tuple[str, str]]:
    out = []
    for f in sorted((ROOT / "corpus").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                out.append((f"{f.name}:{r['id']}", r["text"]))
    return out


def _real_messages() -> list[str]:
    import csv

    csv.field_size_limit(10**7)
    rows = []
    for f in sorted(REALDATA.glob("*.csv")):
        with f.open(encoding="utf-8", errors="replace", newline="") as fh:
            rows += ["".join(row) for row in csv.reader(fh)]
    return rows


@pytest.mark.skipif(not DEV.exists(), reason="../shared/cases/dev.jsonl is not next to the repository")
def test_corpus_holds_no_copy_of_dev_eval_or_real_messages() -> None:
    """corpus/ shares no 12-character run with dev or eval/, no 16-character run with a real message,
    and nearly copies no dev or eval/ text (4-gram Jaccard ≥ 0.5) — what scripts/build_corpus.py applies."""
    from dutyroute.tools.corpus import REAL_COPY_SPAN, near_copies_of, sharing_spans

    corpus = _corpus_texts()
    if not corpus:
        pytest.skip("corpus/ holds no *.jsonl yet")
    texts = [t for _, t in corpus]
    measured = [json.loads(x)["text"] for x in DEV.read_text(encoding="utf-8").splitlines() if x.strip()]
    for f in sorted((ROOT / "eval").glob("*.jsonl")):
        rows = [json.loads(x) for x in f.read_text(encoding="utf-8").splitlines() if x.strip()]
        measured += [r["text"] for r in rows if "text" in r]  # realdata-labels.jsonl holds references only
    real = _real_messages() if REALDATA.exists() else []
    copies = sharing_spans(texts, measured) | sharing_spans(texts, real, REAL_COPY_SPAN)
    bad = sorted(copies | near_copies_of(texts, measured))
    assert not bad, "corpus texts copying measured or real texts:\n" + "\n".join(
        corpus[i][0] for i in bad[:20]
    )


@pytest.mark.skipif(not REALDATA.exists(), reason="../shared/realdata is not next to the repository")
def test_real_message_labels_hold_no_message_text() -> None:
    """eval/realdata-labels.jsonl keeps messages by reference only: no field shares a 12-character
    run with a real message (the licence forbids redistributing their text)."""
    from dutyroute.tools.corpus import sharing_spans

    labels = ROOT / "eval" / "realdata-labels.jsonl"
    lines = [x for x in labels.read_text(encoding="utf-8").splitlines() if x.strip()]
    fields = [
        json.dumps(
            {k: v for k, v in json.loads(x).items() if k not in ("source_file", "message_id")},
            ensure_ascii=False,
        )
        for x in lines
    ]
    assert not sharing_spans(fields, _real_messages(), 12)
