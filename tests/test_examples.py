"""Every routing script in examples/ runs and prints the decision it documents.

The scripts run in one child interpreter, one after the other as ``__main__`` (``runpy``), each
from the examples folder as its working directory: a fresh process like a user's, with one cold
start for all of them instead of one each.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

EXPECTED: dict[str, list[str]] = {
    "straw_burning.py": [
        "matter:      B96",
        "acting:      小京庄乡（综合行政执法队）",
        "matter:      R42",
        "acting:      县规划和自然资源局",
        "reclaimed:   True",
    ],
    "collapsed_road.py": [
        "matter:      B82",
        "matter:      C62",
        "status:      needs_clarification",
        "answer 村道: B82 acting 小京庄乡",
        "answer 县道: C62 acting 县交通运输局",
    ],
    "reclaimed_matter.py": [
        "matter:      R7",
        "acting:      县市场监督管理局",
        "reclaimed:   True",
        "cooperating: —",
    ],
    "noise_sources.py": [
        "matter: C40  acting: 县住房和城乡建设管理局",
        "matter: C40  acting: 市生态环境局左云分局",
        "matter: C40  acting: 县公安局",
        "status: needs_clarification",
    ],
    "hotline_batch.py": [
        "h1 routed               C42",
        "h2 routed               B32",
        "h3 routed               B102",
        "h4 routed               C14",
        "h5 routed               C34",
        "h6 unmatched",
        '"id": "h1"',
    ],
}


def test_every_routing_example_is_checked() -> None:
    scripts = {p.name for p in EXAMPLES.glob("*.py")} - {"graph_pictures.py"}
    assert scripts == set(EXPECTED)


_SEPARATOR = "\x1e-- example done --\x1e"

_DRIVER = r"""
import os, runpy, sys, traceback
separator, *paths = sys.argv[1:]
for path in paths:
    os.chdir(os.path.dirname(path))
    sys.argv = [path]
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            print(f"exit status {exc.code!r}")
    except Exception:
        traceback.print_exc(file=sys.stdout)
    sys.stdout.write(separator)
    sys.stdout.flush()
"""


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    """What each example printed, by script name."""
    scripts = sorted(EXPECTED)
    out = subprocess.run(
        [sys.executable, "-c", _DRIVER, _SEPARATOR, *(str(EXAMPLES / s) for s in scripts)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
        check=True,
    ).stdout
    parts = out.split(_SEPARATOR)
    assert len(parts) == len(scripts) + 1, out
    return dict(zip(scripts, parts, strict=False))


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_prints_its_decision(script: str, outputs: dict[str, str]) -> None:
    out = outputs[script]
    assert "Traceback" not in out and "exit status" not in out, f"{script} failed:\n{out}"
    for line in EXPECTED[script]:
        assert line in out, f"{script}: missing {line!r} in:\n{out}"
