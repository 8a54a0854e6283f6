"""Typed records of a township's official duty lists: bodies, matters, the rulebook.

Shapes (all pydantic v2 models, immutable):

- :class:`Body` — one real body (township, township role, county department …) with aliases.
- :class:`DutyBlock` — one body's clauses within one matter (a cooperative matter's
  上级部门职责 block, or a reclaimed matter's 承接部门 + 履职方式 block).
- :class:`Matter` — one row of one of the three lists (基本 / 配合 / 收回 履职事项清单).
- :class:`Rulebook` — the three lists of one township plus the bodies they name.

Source: the list text under ``seeds/``; every matter keeps its ``source_line`` there.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import re
from collections.abc import Mapping
from datetime import date
from enum import Enum
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ListKind(str, Enum):
    """Which of the three official lists a matter belongs to."""

    basic = "basic"  # 基本履职事项清单: the township acts
    cooperative = "cooperative"  # 配合履职事项清单: a county department leads, the township cooperates
    reclaimed = "reclaimed"  # 上级部门收回事项清单: a county department (承接部门) took it back

    @property
    def letter(self) -> str:
        """Matter id prefix: ``B``, ``C`` or ``R``."""
        return {"basic": "B", "cooperative": "C", "reclaimed": "R"}[self.value]

    @property
    def label(self) -> str:
        """The list's official short name, e.g. ``基本履职事项清单``."""
        return LIST_LABELS[self]


LIST_LABELS: dict[ListKind, str] = {
    ListKind.basic: "基本履职事项清单",
    ListKind.cooperative: "配合履职事项清单",
    ListKind.reclaimed: "上级部门收回事项清单",
}


class BodyKind(str, Enum):
    """What sort of body a :class:`Body` is."""

    township = "township"  # 乡镇人民政府 itself (小京庄乡)
    township_role = "township_role"  # an office of the township: 乡党委, 综合行政执法队, 网格员 …
    county_department = "county_department"  # 县级部门: 县公安局, 县交通运输局 …
    city_department_branch = "city_department_branch"  # 市生态环境局左云分局
    party_organ = "party_organ"  # 县委政法委员会, 县委党史研究室
    peoples_organization = "peoples_organization"  # 县残疾人联合会 …
    state_enterprise = "state_enterprise"  # 国网左云供电公司, 县城投公司
    sub_unit = "sub_unit"  # a unit inside a body: 县交通警察大队 (parent: 县公安局)
    placeholder = "placeholder"  # 其他负有…职责的相关部门: not one body, kept so nothing is dropped


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Body(_Frozen):
    """One real body.

    Attributes:
        id: stable ASCII id, e.g. ``county.public_security``.
        name: canonical name, e.g. ``县公安局`` (the names in ``cases/README.md``).
        kind: see :class:`BodyKind`.
        aliases: other spellings found in lists or speech, e.g. ``县公安局（县交通警察大队）``.
        parent: id of the body this one belongs to (sub-units, township roles), or None.
    """

    id: str
    name: str
    kind: BodyKind
    aliases: tuple[str, ...] = ()
    parent: str | None = None


class DutyBlock(_Frozen):
    """One body's duty clauses (职责) inside one matter.

    Attributes:
        body: canonical body name.
        clauses: the clauses, text kept exactly (HTML stripped, numbering removed, whitespace
            normalised), in list order.
        as_written: the body's name as the list spells it (kept for the record), e.g.
            ``县生态环境局左云分局``.
        unit: canonical name of the sub-unit the list names inside ``body``, e.g. ``县交通警察大队``
            for ``县公安局（县交通警察大队）``; None when the list names the body itself.
    """

    body: str
    clauses: tuple[str, ...] = ()
    as_written: str = ""
    unit: str | None = None


class Matter(_Frozen):
    """One matter (事项): one row of one official list.

    Attributes:
        id: list letter + 序号, e.g. ``B96``, ``C40``, ``R50``.
        list: which list.
        seq: 序号, 1-based.
        category: 事项类别, e.g. ``生态环保`` ("" where a list has no such column).
        title: 事项名称, exactly.
        source_line: 1-based line of the row in the list text.
        listed_departments: cooperative only: canonical names in the 对应上级部门 column, in order
            (the first is the lead department, 牵头).
        departments: cooperative only: each department's duty block (上级部门职责), in list order.
        township_clauses: cooperative: the township's cooperating duties (乡镇配合职责); basic: the
            township's work items where a list has a 具体工作事项 column (empty otherwise).
        receivers: reclaimed only: each receiving department (承接部门) with its 履职方式 clauses.
        role: basic only: id of the township role that acts (from ``rules/<township>/roles.yaml``),
            or None before roles are applied.
    """

    id: str
    list: ListKind
    seq: int = Field(ge=1)
    category: str = ""
    title: str
    source_line: int = Field(ge=1)
    listed_departments: tuple[str, ...] = ()
    departments: tuple[DutyBlock, ...] = ()
    township_clauses: tuple[str, ...] = ()
    receivers: tuple[DutyBlock, ...] = ()
    role: str | None = None

    def clauses(self) -> builtins.list[str]:  # (the field `list` shadows the builtin in this class)
        """Every clause of the matter: departments', township's and receivers', in list order."""
        out: list[str] = []
        for block in self.departments:
            out.extend(block.clauses)
        out.extend(self.township_clauses)
        for block in self.receivers:
            out.extend(block.clauses)
        return out


class Jurisdiction(_Frozen):
    """Where a rulebook applies: 山西省 / 大同市 / 左云县 / 小京庄乡, plus an ASCII key for ids."""

    province: str = ""
    city: str
    county: str
    township: str
    key: str = Field(description="ASCII key used to namespace graph nodes, e.g. 'xiaojingzhuang'")


class Rulebook(_Frozen):
    """The three official lists of one township, as typed data.

    Attributes:
        jurisdiction: where it applies.
        list_titles: the title line of each list as published, by list kind.
        effective_date: ISO date the lists took effect (``effective_from`` in ``rulebook.yaml``), if
            known; None: in force since an unknown date.
        effective_to: ISO date of the last day the lists are in force, or None (still in force).
        source: file name of the list text it was compiled from (under ``seeds/``).
        source_sha256: sha256 (hex) of that file's bytes, "" if unknown.
        bodies: every body the lists (or rules) name, canonical.
        matters: every matter of the three lists, in list order (basic, cooperative, reclaimed).
    """

    jurisdiction: Jurisdiction
    list_titles: dict[ListKind, str]
    effective_date: str | None = None
    effective_to: str | None = None
    source: str = ""
    source_sha256: str = ""
    bodies: tuple[Body, ...] = ()
    matters: tuple[Matter, ...] = ()

    @property
    def effective_from(self) -> str | None:
        """ISO date the lists took effect (the same as :attr:`effective_date`), or None."""
        return self.effective_date

    @property
    def version(self) -> str:
        """The version as an ISO 8601 interval of the days in force: ``2024-03-01/2025-02-28``;
        an open end is ``..`` (``2024-03-01/..``; ``../..`` when no date is known)."""
        return f"{self.effective_date or '..'}/{self.effective_to or '..'}"

    def in_force(self, day: date) -> bool:
        """True when ``day`` is within ``effective_from`` … ``effective_to`` (both inclusive; an
        unknown end is open)."""
        start = date.fromisoformat(self.effective_date) if self.effective_date else date.min
        end = date.fromisoformat(self.effective_to) if self.effective_to else date.max
        return start <= day <= end

    @cached_property
    def hash(self) -> str:
        """Content hash: ``sha256:`` + 16 hex digits over the canonical JSON of the rulebook.

        Computed once per (immutable) rulebook; covers jurisdiction, titles, bodies and matters
        (roles included), so any change to the lists, ``bodies.yaml`` or ``roles.yaml`` changes it.
        """
        data = self.model_dump(mode="json")
        if data.get("effective_to") is None:  # absent as before versions existed: the hash stays
            data.pop("effective_to", None)
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True)
        return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Rulebook:
        """A copy, as pydantic's ``model_copy``; the cached :attr:`hash` is dropped so it is recomputed."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("hash", None)
        return copy

    def matter(self, matter_id: str) -> Matter:
        """The matter with this id (``C40``).

        Raises:
            LookupFailed: no such matter; the message suggests close ids.
        """
        for m in self.matters:
            if m.id == matter_id:
                return m
        from rapidfuzz import process

        from ..errors import NotFoundError

        ids = [m.id for m in self.matters]
        close = [c for c, _, _ in process.extract(matter_id, ids, limit=3)]
        raise NotFoundError("matter", matter_id, close)

    def counts(self) -> dict[str, int]:
        """Matters per list, e.g. ``{"basic": 111, "cooperative": 75, "reclaimed": 51}``."""
        out = {k.value: 0 for k in ListKind}
        for m in self.matters:
            out[m.list.value] += 1
        return out

    def basis(self, matter: Matter) -> str:
        """Dispatch basis text: ``《大同市左云县小京庄乡配合履职事项清单》第40项 噪声污染防治``."""
        title = self.list_titles.get(matter.list) or f"{self.jurisdiction.township}{matter.list.label}"
        return f"《{title}》第{matter.seq}项 {matter.title}"


_ID_SHAPE = re.compile(r"^[A-Za-z]?\d*$")


def suggest_matters(rb: Rulebook, value: str, limit: int = 3) -> list[str]:
    """Matters close to what a caller typed, as ``"C40 噪声污染防治"`` strings, best first.

    An id-like value (``C999``, ``c4``) is compared with the matter ids; anything else
    (``噪声污染防治``, ``烧秸秆``) with the titles (rapidfuzz WRatio, 0–100, at least 60).

    Returns:
        Up to ``limit`` suggestions; empty when nothing is close.
    """
    from rapidfuzz import fuzz, process

    by_id = {m.id: m for m in rb.matters}
    value = value.strip()
    if _ID_SHAPE.match(value):
        same_list = [i for i in by_id if value[:1].isalpha() and i[0] == value[0].upper()]
        hits = process.extract(
            value.upper(), same_list or list(by_id), scorer=fuzz.ratio, limit=limit, score_cutoff=50
        )
        ids = [c for c, _s, _i in hits]
    else:
        titles = {m.id: m.title for m in rb.matters}
        hits = process.extract(value, titles, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
        ids = [str(key) for _title, _s, key in hits]
    return [f"{i} {_short(by_id[i].title)}" for i in ids]


def _short(title: str, most: int = 24) -> str:
    return title if len(title) <= most else title[: most - 1] + "…"
