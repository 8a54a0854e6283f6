"""Test helpers for the rulebook tests: paths of the seed and rules/, a small list-text builder, and
the seed changed one row at a time the way a county revision would (Lists)."""

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


TITLES = {"basic": "基本履职事项清单", "cooperative": "配合履职事项清单", "reclaimed": "上级部门收回事项清单"}


class Lists:
    """The seed's lines, with helpers that change one row the way a county revision would."""

    def __init__(self) -> None:
        self.lines = Path(SEED).read_text(encoding="utf-8").splitlines()

    def _list_of(self, i: int) -> str:
        kind = "basic"
        for line in self.lines[: i + 1]:
            for k, title in TITLES.items():
                if line.strip().endswith(title):
                    kind = k
        return kind

    def row(self, kind: str, seq: int) -> int:
        for i, line in enumerate(self.lines):
            if line.split("\t", 1)[0] == str(seq) and self._list_of(i) == kind:
                return i
        raise KeyError((kind, seq))

    def cells(self, kind: str, seq: int) -> list[str]:
        return self.lines[self.row(kind, seq)].split("\t")

    def set_cells(self, kind: str, seq: int, cells: list[str]) -> None:
        self.lines[self.row(kind, seq)] = "\t".join(cells)

    def drop(self, kind: str, seq: int, renumber: bool) -> None:
        i = self.row(kind, seq)
        del self.lines[i]
        if renumber:
            for j in range(i, len(self.lines)):
                head, sep, rest = self.lines[j].partition("\t")
                if head.isdigit() and self._list_of(j) == kind:
                    self.lines[j] = f"{int(head) - 1}{sep}{rest}"

    def append(self, kind: str, cells: list[str]) -> None:
        last = max(
            i
            for i, line in enumerate(self.lines)
            if line.split("\t", 1)[0].isdigit() and self._list_of(i) == kind
        )
        self.lines.insert(last + 1, "\t".join(cells))

    def write(self, path: Path) -> Path:
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        return path
