"""The tab-separated text export of the three official lists → typed matters.

Layout of such a file (the seed under ``seeds/`` is one)::

    大同市左云县小京庄乡基本履职事项清单                 ← a title line names the list
    序号<TAB>事项类别<TAB>事项名称                      ← header row (repeated every few rows)
    1<TAB>党的建设<TAB>学习贯彻……                       ← one row per matter
    …
    大同市左云县小京庄乡配合履职事项清单
    序号 事项类别 事项名称 对应上级部门 上级部门职责 乡镇配合职责
    …
    大同市左云县小京庄乡上级部门收回事项清单
    序号 事项类别 事项名称 承接部门及工作方式

Columns are found by the header row, not by position, so lists without 事项类别, or with
承接部门 and 工作方式 as two columns, load too; a header with a column this parser does not know,
or without one it needs, is an error naming both.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ListFormatError
from ..model.bodies import BodyRegistry
from ..model.lists import LIST_LABELS, Body, BodyKind, DutyBlock, Jurisdiction, ListKind, Matter
from .cells import Block, clean_text, split_blocks, split_clauses, split_receiver_blocks

__all__ = ["COLUMNS", "ListNote", "ParsedLists", "parse_lists"]

# column key → header labels that name it (first is the official one)
COLUMNS: dict[str, tuple[str, ...]] = {
    "seq": ("序号",),
    "category": ("事项类别", "类别"),
    "title": ("事项名称", "事项", "名称"),
    # basic lists of some townships add the township's work under the matter: kept as its clauses
    "content": ("具体工作事项", "具体工作内容", "工作内容", "事项内容", "具体内容", "主要内容"),
    "departments": ("对应上级部门", "上级部门", "对应县级部门", "县级部门", "牵头部门", "责任部门"),
    "department_duties": ("上级部门职责", "县级部门职责", "部门职责", "上级部门履职内容"),
    "township_duties": (
        "乡镇配合职责",
        "乡镇(街道)配合职责",
        "乡镇(镇街)配合职责",
        "镇街配合职责",
        "街道配合职责",
        "镇配合职责",
        "乡镇职责",
        "乡镇配合内容",
    ),
    "receivers_and_method": ("承接部门及工作方式", "承接部门及履职方式"),
    "receivers": ("承接部门", "承接单位"),
    "method": ("工作方式", "履职方式"),
}


def _label_key(label: str) -> str:
    """Header label as compared: NFKC (full-width brackets → ASCII), no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", label))


_LABEL_TO_KEY = {_label_key(label): key for key, labels in COLUMNS.items() for label in labels}

# which columns each list needs (alternatives as tuples of column sets)
_REQUIRED: dict[ListKind, tuple[frozenset[str], ...]] = {
    ListKind.basic: (frozenset({"seq", "title"}),),
    ListKind.cooperative: (
        frozenset({"seq", "title", "departments", "department_duties", "township_duties"}),
    ),
    ListKind.reclaimed: (
        frozenset({"seq", "title", "receivers_and_method"}),
        frozenset({"seq", "title", "receivers", "method"}),
    ),
}
_ALLOWED: dict[ListKind, frozenset[str]] = {
    ListKind.basic: frozenset({"seq", "category", "title", "content"}),
    ListKind.cooperative: frozenset(
        {"seq", "category", "title", "departments", "department_duties", "township_duties"}
    ),
    ListKind.reclaimed: frozenset(
        {"seq", "category", "title", "receivers_and_method", "receivers", "method"}
    ),
}
# list title suffixes → kind (longest first); "清单" may be left off in a section heading
_TITLE_SUFFIXES: tuple[tuple[str, ListKind], ...] = (
    ("上级部门收回事项清单", ListKind.reclaimed),
    ("基本履职事项清单", ListKind.basic),
    ("配合履职事项清单", ListKind.cooperative),
    ("收回事项清单", ListKind.reclaimed),
    ("上级部门收回事项", ListKind.reclaimed),
    ("基本履职事项", ListKind.basic),
    ("配合履职事项", ListKind.cooperative),
    ("收回事项", ListKind.reclaimed),
)
# "一、" "（二）" "3." before a section heading; "（111项）" "(试行)" after it
_TITLE_NUMBER = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．])\s*"
)
_TITLE_NOTE = re.compile(r"\s*[（(][^（）()]*[）)]$")
_PLACE = re.compile(
    r"^(?P<province>.+?(?:省|自治区))?(?P<city>.+?(?:市|州|盟|地区))?"
    r"(?P<county>.+?(?:县|区|旗|市))?(?P<township>.+?(?:乡|镇|街道|苏木))$"
)


@dataclass(frozen=True)
class ListNote:
    """Something the parser noticed that the typed matters cannot show by themselves.

    Attributes:
        line: 1-based line in the list text.
        severity: ``"error"``, ``"warning"`` or ``"info"``.
        code: short stable code, e.g. ``"numbering-gap"``.
        message: what was found, what was done with it.
        matter: the matter id concerned, if any.
    """

    line: int
    severity: str
    code: str
    message: str
    matter: str | None = None


@dataclass
class ParsedLists:
    """What :func:`parse_lists` read: matters in file order, titles, jurisdiction, notes."""

    jurisdiction: Jurisdiction
    list_titles: dict[ListKind, str]
    title_lines: dict[ListKind, int]
    matters: list[Matter]
    bodies: list[Body]
    notes: list[ListNote] = field(default_factory=list)
    source: str = ""


@dataclass
class _Section:
    kind: ListKind
    title: str
    line: int
    columns: list[str] | None = None
    header_cells: list[str] | None = None
    last_seq: int = 0


def _title_kind(text: str) -> tuple[ListKind, str] | None:
    """(kind, place prefix) for a list title, or None.

    ``大同市左云县小京庄乡基本履职事项清单`` → (basic, ``大同市左云县小京庄乡``);
    ``二、配合履职事项清单（75项）`` → (cooperative, ``""``).
    """
    core = _TITLE_NOTE.sub("", _TITLE_NUMBER.sub("", text.strip()))
    for suffix, kind in _TITLE_SUFFIXES:
        if core.endswith(suffix):
            return kind, core[: -len(suffix)].strip()
    return None


def _expected(kind: ListKind) -> str:
    return " / ".join("(" + ", ".join(COLUMNS[k][0] for k in _order(cols)) + ")" for cols in _REQUIRED[kind])


def _order(cols: frozenset[str]) -> list[str]:
    return [k for k in COLUMNS if k in cols]


def _parse_header(cells: list[str], section: _Section, *, path: str, line: int) -> list[str]:
    keys: list[str] = []
    for cell in cells:
        key = _LABEL_TO_KEY.get(_label_key(cell))
        if key is None:
            known = "、".join(COLUMNS[k][0] for k in _order(_ALLOWED[section.kind]))
            raise ListFormatError(
                f"unknown column {cell.strip()!r} in the header of {section.title}; known columns: {known}",
                path=path,
                line=line,
            )
        if key not in _ALLOWED[section.kind]:
            raise ListFormatError(
                f"column {cell.strip()!r} does not belong in a {section.kind.label}; "
                f"expected {_expected(section.kind)}",
                path=path,
                line=line,
            )
        if key in keys:
            raise ListFormatError(
                f"column {cell.strip()!r} appears twice in the header", path=path, line=line
            )
        keys.append(key)
    present = set(keys)
    if not any(req <= present for req in _REQUIRED[section.kind]):
        raise ListFormatError(
            f"header of {section.title} has columns ({'、'.join(c.strip() for c in cells)}); "
            f"expected {_expected(section.kind)}",
            path=path,
            line=line,
        )
    return keys


class _Parser:
    def __init__(self, registry: BodyRegistry, path: str) -> None:
        self.registry = registry
        self.path = path
        self.notes: list[ListNote] = []
        self.used: dict[str, Body] = {}

    def note(self, line: int, severity: str, code: str, message: str, matter: str | None = None) -> None:
        self.notes.append(ListNote(line, severity, code, message, matter))

    def use(self, body: Body) -> Body:
        self.used.setdefault(body.id, body)
        if body.parent:
            parent = self.registry.by_id(body.parent)
            self.used.setdefault(parent.id, parent)
        return body

    # ── one body reference → (canonical name, unit name, spelling to keep) ──────────────────
    def _names(self, spelling: str, body: Body) -> tuple[str, str | None, str]:
        self.use(body)
        if body.kind is BodyKind.sub_unit and body.parent:
            parent = self.registry.by_id(body.parent)
            return parent.name, body.name, "" if spelling == parent.name else spelling
        return body.name, None, "" if spelling == body.name else spelling

    def cooperative(self, mid: str, row: dict[str, str], line: int) -> dict[str, object]:
        ctx = f"{mid} 对应上级部门"
        listed: list[str] = []
        for spelling, body in self.registry.resolve_parts(
            row["departments"], path=self.path, line=line, context=ctx
        ):
            name, _unit, _ = self._names(spelling, body)
            if name in listed:
                self.note(
                    line, "warning", "listed-twice", f"{mid}: {name} is listed twice in 对应上级部门", mid
                )
                continue
            listed.append(name)
        blocks = split_blocks(
            row["department_duties"], self.registry, path=self.path, line=line, context=f"{mid} 上级部门职责"
        )
        duty_blocks: list[DutyBlock] = []
        for block in blocks:
            duty_blocks.extend(self._duty_blocks(mid, block, listed, line))
        duty_blocks = self._merge(mid, duty_blocks, line)
        township = split_clauses(clean_text(row["township_duties"]))
        return {
            "listed_departments": tuple(listed),
            "departments": tuple(duty_blocks),
            "township_clauses": tuple(township),
        }

    def _duty_blocks(self, mid: str, block: Block, listed: list[str], line: int) -> list[DutyBlock]:
        if not block.bodies:
            if len(listed) == 1:
                self.note(
                    line,
                    "info",
                    "no-header",
                    f"{mid}: duty text has no department header; "
                    f"given to the only listed department {listed[0]}",
                    mid,
                )
                return [DutyBlock(body=listed[0], clauses=tuple(block.clauses))]
            raise ListFormatError(
                f"{mid}: duty text before any department header ({block.clauses[0][:30]!r}…) and "
                f"{len(listed)} departments listed: cannot tell whose duty it is; "
                "expected '<department>：' before each department's clauses",
                path=self.path,
                line=line,
            )
        out = []
        parts = [p for p in block.header.split("、") if p]
        for spelling, body in zip(parts, block.bodies, strict=True):
            name, unit, as_written = self._names(spelling, body)
            out.append(DutyBlock(body=name, clauses=tuple(block.clauses), as_written=as_written, unit=unit))
        return out

    def _merge(self, mid: str, blocks: list[DutyBlock], line: int) -> list[DutyBlock]:
        """One block per body: a body with two headers in one cell gets its clauses joined."""
        merged: dict[str, DutyBlock] = {}
        for block in blocks:
            seen = merged.get(block.body)
            if seen is None:
                merged[block.body] = block
                continue
            self.note(
                line,
                "warning",
                "header-twice",
                f"{mid}: {block.body} has two duty blocks; clauses joined",
                mid,
            )
            merged[block.body] = seen.model_copy(update={"clauses": seen.clauses + block.clauses})
        return list(merged.values())

    def reclaimed(self, mid: str, row: dict[str, str], line: int) -> dict[str, object]:
        ctx = f"{mid} 承接部门"
        blocks: list[DutyBlock] = []
        if "receivers_and_method" in row:
            for rb in split_receiver_blocks(
                row["receivers_and_method"], self.registry, path=self.path, line=line, context=ctx
            ):
                if not rb.labelled:
                    self.note(
                        line,
                        "info",
                        "no-method-label",
                        f"{mid}: block for {rb.names} has no '履职方式：' label; "
                        "the text after the name is its clauses",
                        mid,
                    )
                for spelling, body in self.registry.resolve_parts(
                    rb.names, path=self.path, line=line, context=ctx
                ):
                    name, unit, as_written = self._names(spelling, body)
                    blocks.append(
                        DutyBlock(body=name, clauses=tuple(rb.clauses), as_written=as_written, unit=unit)
                    )
        else:
            parts = self.registry.resolve_parts(row["receivers"], path=self.path, line=line, context=ctx)
            receivers = [self._names(spelling, body) for spelling, body in parts]
            duty = split_blocks(
                row["method"], self.registry, path=self.path, line=line, context=f"{mid} 工作方式"
            )
            if len(duty) == 1 and not duty[0].bodies:  # one text shared by every receiver
                for name, unit, as_written in receivers:
                    blocks.append(
                        DutyBlock(body=name, clauses=tuple(duty[0].clauses), as_written=as_written, unit=unit)
                    )
            else:
                for block in duty:
                    blocks.extend(self._duty_blocks(mid, block, [r[0] for r in receivers], line))
                named = {b.body for b in blocks}
                for name, unit, as_written in receivers:
                    if name not in named:
                        blocks.append(DutyBlock(body=name, clauses=(), as_written=as_written, unit=unit))
        return {"receivers": tuple(self._merge(mid, blocks, line))}


def parse_lists(
    text: str,
    *,
    registry: BodyRegistry,
    path: str | Path = "<text>",
    township: str | None = None,
) -> ParsedLists:
    """Parse the text export of a township's official lists.

    Args:
        text: the whole file, decoded.
        registry: the bodies every name must resolve to.
        path: where the text came from (for messages and ``ParsedLists.source``).
        township: the township, for files whose titles do not name it (``二、配合履职事项清单``);
            when the titles do name one, it must be this one.

    Returns:
        ParsedLists: matters in file order (ids ``B1``…, ``C1``…, ``R1``…), the title of each list,
        the jurisdiction read from the titles, the bodies named, and notes.

    Raises:
        ListFormatError: a line cannot be read as a title, header or row (line number and the
            columns expected are in the message); an unknown list title; a list given twice; rows
            numbered out of order; titles naming different townships.
        UnknownBodyError: a department or receiver name that ``registry`` does not know.
    """
    reader = _Reader(registry, str(path))
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if "\t" not in line:
            reader.title(number, line.strip())
            continue
        cells = line.split("\t")
        if reader.section is None:
            raise ListFormatError(
                "a table row before any list title; expected a title such as "
                f"'…{LIST_LABELS[ListKind.basic]}' first",
                path=reader.path,
                line=number,
            )
        if cells[0].strip() == "序号":
            reader.header(number, cells)
        else:
            reader.row(number, cells)
    return reader.finish(township)


class _Reader:
    """The state of one pass of :func:`parse_lists` over a list text: the sections seen, the
    current one, the matters read, and the place the titles name."""

    def __init__(self, registry: BodyRegistry, path: str) -> None:
        self.registry = registry
        self.path = path
        self.p = _Parser(registry, path)
        self.sections: dict[ListKind, _Section] = {}
        self.section: _Section | None = None
        self.matters: list[Matter] = []
        self.place: tuple[str, int] | None = None

    def fail(self, reason: str, line: int | None) -> ListFormatError:
        return ListFormatError(reason, path=self.path, line=line)

    def title(self, number: int, title: str) -> None:
        """A line without tabs: a list title (``大同市左云县小京庄乡基本履职事项清单``)."""
        found = _title_kind(title)
        section = self.section
        if found is None:
            if title.endswith("清单"):
                raise self.fail(
                    f"unknown list title {title!r}; expected a title ending in "
                    + " / ".join(LIST_LABELS[k] for k in ListKind),
                    number,
                )
            expected = (
                f"a row of {len(section.columns)} tab-separated cells "
                f"({'、'.join(COLUMNS[k][0] for k in section.columns)})"
                if section and section.columns
                else "a list title ending in 清单 or a header row"
            )
            raise self.fail(
                f"cannot read line {title[:40]!r}: expected {expected} (a row cut in two?)", number
            )
        kind, prefix = found
        if kind in self.sections:
            raise self.fail(f"{kind.label} appears twice (first at line {self.sections[kind].line})", number)
        if not prefix:
            pass  # a section heading without a place ("二、配合履职事项清单")
        elif self.place is None:
            self.place = (prefix, number)
        elif prefix != self.place[0]:
            raise self.fail(
                f"title names {prefix!r} but the title at line {self.place[1]} names {self.place[0]!r}; "
                "one file holds one township's lists",
                number,
            )
        self.section = self.sections[kind] = _Section(kind, title, number)

    def header(self, number: int, cells: list[str]) -> None:
        """A header row (``序号<TAB>事项类别<TAB>事项名称…``): the columns of the rows below."""
        section = self.section
        assert section is not None
        keys = _parse_header(cells, section, path=self.path, line=number)
        if section.columns is not None and keys != section.columns:
            raise self.fail(
                f"header differs from the first header of {section.title} (line {section.line}): "
                f"{'、'.join(c.strip() for c in cells)}",
                number,
            )
        section.columns, section.header_cells = keys, cells

    def row(self, number: int, cells: list[str]) -> None:
        """A matter's row: its cells by the section's columns → one :class:`Matter`."""
        section = self.section
        assert section is not None
        if section.columns is None:
            raise self.fail(
                f"a row before the header row of {section.title}; expected '序号<TAB>事项类别<TAB>事项名称…'",
                number,
            )
        columns = section.columns
        while len(cells) > len(columns) and not cells[-1].strip():
            cells.pop()  # trailing empty cells (a trailing tab) carry nothing
        if len(cells) != len(columns):
            names = "、".join(COLUMNS[k][0] for k in columns)
            raise self.fail(
                f"{section.kind.label} row has {len(cells)} cells, expected {len(columns)} ({names}); "
                "a row cut short, or a tab inside a cell?",
                number,
            )
        row = {key: cell for key, cell in zip(columns, cells, strict=True)}
        seq = self.seq(number, row["seq"].strip())
        mid = f"{section.kind.letter}{seq}"
        title = re.sub(r"\s+", " ", clean_text(row["title"])).strip()
        if not title:
            raise self.fail(f"{mid}: empty 事项名称", number)
        fields: dict[str, object] = {}
        if section.kind is ListKind.basic and "content" in row:
            fields = {"township_clauses": tuple(split_clauses(clean_text(row["content"])))}
        elif section.kind is ListKind.cooperative:
            fields = self.p.cooperative(mid, row, number)
        elif section.kind is ListKind.reclaimed:
            fields = self.p.reclaimed(mid, row, number)
        self.matters.append(
            Matter(
                id=mid,
                list=section.kind,
                seq=seq,
                category=re.sub(r"\s+", " ", clean_text(row.get("category", ""))).strip(),
                title=title,
                source_line=number,
                **fields,  # type: ignore[arg-type]
            )
        )

    def seq(self, number: int, seq_text: str) -> int:
        """The row's 序号: a positive whole number after the previous one (a gap is a note)."""
        section = self.section
        assert section is not None
        if not seq_text.isdigit() or int(seq_text) < 1:
            raise self.fail(
                f"序号 {seq_text!r} is not a positive whole number; expected a row starting with its 序号",
                number,
            )
        seq = int(seq_text)
        mid = f"{section.kind.letter}{seq}"
        if seq <= section.last_seq:
            raise self.fail(
                f"{mid}: 序号 {seq} after {section.last_seq} (duplicate or out of order); "
                f"expected {section.last_seq + 1}",
                number,
            )
        if seq != section.last_seq + 1:
            self.p.note(
                number,
                "warning",
                "numbering-gap",
                f"{mid}: 序号 jumps from {section.last_seq} to {seq}; "
                f"items {section.last_seq + 1}–{seq - 1} are missing",
                mid,
            )
        section.last_seq = seq
        return seq

    def finish(self, township: str | None) -> ParsedLists:
        """Check that every list has rows and the titles name a township; the result."""
        sections = self.sections
        if not sections:
            raise self.fail(
                "no list title found; expected lines such as "
                + " / ".join(f"'…{LIST_LABELS[k]}'" for k in ListKind),
                None,
            )
        for sec in sections.values():
            if sec.columns is None or sec.last_seq == 0:
                raise self.fail(f"{sec.title} has no rows", sec.line)
        first_title = min(s.line for s in sections.values())
        place = self.place
        if place is None:
            if not township:
                raise self.fail(
                    "the list titles name no township; pass the township (--township) it belongs to",
                    first_title,
                )
            place = (township, first_title)
        jurisdiction = _jurisdiction(place[0], self.registry, path=self.path, line=place[1])
        town = self.registry.get(jurisdiction.township)
        if town is not None:
            self.p.use(town)
        order = {k: i for i, k in enumerate(ListKind)}
        self.matters.sort(key=lambda m: (order[m.list], m.seq))
        return ParsedLists(
            jurisdiction=jurisdiction,
            list_titles={k: s.title for k, s in sorted(sections.items(), key=lambda kv: order[kv[0]])},
            title_lines={k: s.line for k, s in sections.items()},
            matters=self.matters,
            bodies=list(self.p.used.values()),
            notes=self.p.notes,
            source=Path(self.path).name,
        )


def _jurisdiction(prefix: str, registry: BodyRegistry, *, path: str, line: int) -> Jurisdiction:
    m = _PLACE.match(prefix)
    if m is None or not m["township"]:
        raise ListFormatError(
            f"cannot read a township from the list title prefix {prefix!r}; "
            "expected e.g. '大同市左云县小京庄乡'",
            path=path,
            line=line,
        )
    township = registry.get(m["township"])
    key = township.id if township is not None and township.kind is BodyKind.township else ""
    return Jurisdiction(
        province=m["province"] or "",
        city=m["city"] or "",
        county=m["county"] or "",
        township=m["township"],
        key=key,
    )
