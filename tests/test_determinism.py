"""Routing is deterministic across processes, not only within one.

Python salts ``str`` hashes per process (PYTHONHASHSEED), so anything that iterates a set of
strings while summing floats, or sorts on scores that tie, can give a different decision — or the
same matter with clauses in another order — in another process. A dispatcher replaying a case must
get the identical decision, so the whole ``model_dump(mode="json")`` is compared between two
processes with different hash seeds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from budget import THOROUGH

PROBES = Path(__file__).parent / "data" / "route_probes.tsv"

_SCRIPT = r"""
import json, sys
from dutyroute import Router
router = Router.default()
texts = json.loads(sys.stdin.read())
print(json.dumps([router.route(t).model_dump(mode="json") for t in texts],
           ensure_ascii=False, sort_keys=True))
"""


def _probe_texts(every: int = 1) -> list[str]:
    lines = [ln for ln in PROBES.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    return [ln.split("\t", 1)[1] for ln in lines[::every]]


def _decisions_under_seed(seed: str, texts: list[str]) -> list[dict]:
    env = dict(os.environ, PYTHONHASHSEED=seed)
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        input=json.dumps(texts, ensure_ascii=False),
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=True,
    )
    return json.loads(out.stdout)


def _another_seed() -> str:
    """A hash seed other than this process's: its own when PYTHONHASHSEED is unset is random."""
    mine = os.environ.get("PYTHONHASHSEED", "")
    return str(int(mine) + 1) if mine.isdigit() else "1"


def test_the_same_text_gives_the_identical_decision_in_processes_with_different_hash_seeds(fused):  # type: ignore[no-untyped-def]
    """Every field of every decision — matter, bodies, clause order, scores, trace — is identical
    between this process and a child with another hash seed (one child, not two: this process is
    the other side, which halves the test's cost). The suite compares every third probe (a spread
    over the three lists: the file is ordered by matter); ``DUTYROUTE_THOROUGH=1`` compares them all."""
    texts = _probe_texts(every=1 if THOROUGH else 3)
    assert len(texts) > 200
    with ThreadPoolExecutor(1) as pool:  # the child routes while this process does
        child = pool.submit(_decisions_under_seed, _another_seed(), texts)
        # through JSON as the child's decisions came (tuples become lists)
        here = [json.loads(json.dumps(fused.route(t).model_dump(mode="json"))) for t in texts]
        there = child.result()
    differing = [t for t, a, b in zip(texts, here, there, strict=True) if a != b]
    assert differing == []
