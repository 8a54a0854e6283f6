"""How many examples the property tests draw: the suite's budget, or all of them.

The suite (README's test command) draws a quarter of each property test's examples, so it stays
short on 2 cores; ``DUTYROUTE_THOROUGH=1`` draws them all — run it before a release and after a
change to the text pipeline, the graph builder or the rule loader::

    DUTYROUTE_THOROUGH=1 .venv/bin/python -m pytest -q tests/test_graph_properties.py tests/test_hardening.py

Hypothesis keeps the failures it finds in ``.hypothesis/`` and replays them first, so a fault
found once is retried on every later run, whatever the budget.
"""

from __future__ import annotations

import os

THOROUGH = os.environ.get("DUTYROUTE_THOROUGH", "").strip() not in ("", "0")


def examples(full: int) -> int:
    """``full`` under ``DUTYROUTE_THOROUGH=1``, else a quarter of it (at least 10)."""
    return full if THOROUGH else max(10, full // 4)
