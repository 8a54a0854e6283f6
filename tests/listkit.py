"""Test helpers for the rulebook tests: paths of the seed and rules/, a small list-text builder."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "zuoyun-xiaojingzhuang-duty-lists.txt"
RULES = ROOT / "rules"

BASIC_HEADER = "序号\t事项类别\t事项名称"
COOP_HEADER = "序号\t事项类别\t事项名称\t对应上级部门\t上级部门职责\t乡镇配合职责"
RECLAIMED_HEADER = "序号\t事项类别\t事项名称\t承接部门及工作方式"
PLACE = "大同市左云县小京庄乡"


def list_text(
    basic: list[str] | None = None,
    coop: list[str] | None = None,
    reclaimed: list[str] | None = None,
    *,
    basic_header: str = BASIC_HEADER,
    coop_header: str = COOP_HEADER,
    reclaimed_header: str = RECLAIMED_HEADER,
) -> str:
    """A small list text in the seed's layout, with the given rows (tab-separated strings)."""
    parts: list[str] = ["", ""]
    if basic is not None:
        parts += [f"{PLACE}基本履职事项清单", "", basic_header, *basic, ""]
    if coop is not None:
        parts += [f"{PLACE}配合履职事项清单", "", coop_header, *coop, ""]
    if reclaimed is not None:
        parts += [f"{PLACE}上级部门收回事项清单", "", reclaimed_header, *reclaimed, ""]
    return "\n".join(parts) + "\n"


BATCH_FIELDS = frozenset(
    {"status", "matter", "acting", "cooperating", "reclaimed", "confidence", "basis", "clarify"}
    | {"alternatives"}
)
"""Fields every decision line must carry (../shared/cases/README.md, "Batch output")."""
