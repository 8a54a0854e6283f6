"""Who stands how to a matter, by list — the one definition the graph and the router both use.

- basic matter (基本履职事项清单): the township **acts** (``role`` names its office);
- cooperative matter (配合履职事项清单): every county department the row names **leads** with its
  上级部门职责 clauses (the first in 对应上级部门 is the lead, 牵头); the township **cooperates**
  with its 乡镇配合职责;
- reclaimed matter (上级部门收回事项清单): each receiving department (承接部门) **receives** it
  with its 履职方式; the township is **reclaimed_from** (it no longer acts).

:func:`duties_of` gives these relations as :class:`Duty` records (the graph's edges);
:func:`acting_options` gives the bodies that can act on the matter, grouped as the router chooses
between them: one option for a basic matter (the township), one per department of a
cooperative matter (the lead first; a department acts alone), one per receiver block of a
reclaimed matter (a joint block ``县财政局、县规划和自然资源局…`` acts jointly).

Source: the rulebook's matters (``Matter.departments``, ``township_clauses``, ``receivers``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from .lists import DutyBlock, ListKind, Matter

__all__ = [
    "ACTING_RELATIONS",
    "ALLOWED_RELATIONS",
    "RELATION_LABELS",
    "ActingOption",
    "Duty",
    "Relation",
    "acting_options",
    "duties_of",
]


class Relation(str, Enum):
    """How a body stands to a matter (the edge label)."""

    acts = "acts"  # township → basic matter (基本履职事项)
    leads = "leads"  # county department → cooperative matter (上级部门职责); first listed is 牵头
    cooperates = "cooperates"  # township → cooperative matter (乡镇配合职责)
    receives = "receives"  # receiving department (承接部门) → reclaimed matter (履职方式)
    reclaimed_from = "reclaimed_from"  # township → reclaimed matter: taken away, no longer acts

    @property
    def label(self) -> str:
        """Short Chinese label, e.g. ``承接`` for receives."""
        return RELATION_LABELS[self]


RELATION_LABELS: dict[Relation, str] = {
    Relation.acts: "乡镇履职",
    Relation.leads: "部门职责",
    Relation.cooperates: "乡镇配合",
    Relation.receives: "承接",
    Relation.reclaimed_from: "已收回",
}

#: Relations that make a body answerable for a matter: a matter needs at least one of them.
ACTING_RELATIONS: frozenset[Relation] = frozenset({Relation.acts, Relation.leads, Relation.receives})

#: The relations each list allows (anything else on a matter is a violation).
ALLOWED_RELATIONS: dict[ListKind, frozenset[Relation]] = {
    ListKind.basic: frozenset({Relation.acts}),
    ListKind.cooperative: frozenset({Relation.leads, Relation.cooperates}),
    ListKind.reclaimed: frozenset({Relation.receives, Relation.reclaimed_from}),
}


@dataclass(frozen=True, slots=True)
class Duty:
    """One body's relation to one matter, as the list states it.

    Attributes:
        body: the body's name as the rulebook gives it (canonical after compiling).
        relation: see :class:`Relation`.
        clauses: the clauses that ground it, exactly as in the list (empty for a department named
            in 对应上级部门 without a duty block of its own).
        lead: the lead department (牵头, first listed) of a cooperative matter.
        listed: named in the 对应上级部门 column (a duty block without a listing is kept too).
        unit: the sub-unit the list names inside ``body`` (``县交通警察大队``), or None.
        as_written: the body's spelling in the list.
        role: basic matters: id of the township office that acts (``Matter.role``), or None.
    """

    body: str
    relation: Relation
    clauses: tuple[str, ...] = ()
    lead: bool = False
    listed: bool = True
    unit: str | None = None
    as_written: str = ""
    role: str | None = None


def duties_of(matter: Matter, township: str) -> list[Duty]:
    """Every relation of a body to ``matter``, in list order (see the module docstring).

    Args:
        matter: one matter of a rulebook.
        township: the township's canonical name (``小京庄乡``).

    Returns:
        A list of :class:`Duty`; a body may appear more than once (a listing and its duty block, or
        two spellings), each with its own clauses.
    """
    if matter.list is ListKind.basic:
        return [Duty(township, Relation.acts, role=matter.role)]
    if matter.list is ListKind.reclaimed:
        out = [
            Duty(b.body, Relation.receives, b.clauses, unit=b.unit, as_written=b.as_written or b.body)
            for b in matter.receivers
        ]
        return [*out, Duty(township, Relation.reclaimed_from)]
    listed = matter.listed_departments
    lead = listed[0] if listed else (matter.departments[0].body if matter.departments else None)
    out = [Duty(name, Relation.leads, lead=name == lead) for name in listed]
    out += [
        Duty(
            b.body,
            Relation.leads,
            b.clauses,
            lead=b.body == lead,
            listed=b.body in listed or not listed,
            unit=b.unit,
            as_written=b.as_written or b.body,
        )
        for b in matter.departments
    ]
    if matter.township_clauses:
        out.append(Duty(township, Relation.cooperates, matter.township_clauses))
    return out


@dataclass(frozen=True, slots=True)
class ActingOption:
    """Bodies that may act on a matter together, with the duty blocks that say so.

    Attributes:
        bodies: canonical names that act together (one name except for a joint receiver block).
        blocks: their duty blocks (empty for a department listed without a block).
        lead: the first option of the matter (the lead department, or the only choice).
    """

    bodies: tuple[str, ...]
    blocks: tuple[DutyBlock, ...] = ()
    lead: bool = False


def acting_options(
    matter: Matter, township: str, is_placeholder: Callable[[str], bool] = lambda name: False
) -> tuple[ActingOption, ...]:
    """The choices of who acts on ``matter``, the lead (or only) choice first.

    Args:
        matter: one matter of a rulebook.
        township: the township's canonical name.
        is_placeholder: tells placeholder bodies (``其他负有…职责的相关部门``) — they never act
            while a real body is named beside them.

    Returns:
        One :class:`ActingOption` per choice: basic — the township; cooperative — each department
        block (blocks with identical clauses, from a joint header, are one choice that acts as its
        first department); reclaimed — each receiver block (identical blocks act jointly). A
        cooperative matter without duty blocks acts as its first listed department.
    """
    if matter.list is ListKind.basic:
        return (ActingOption((township,), lead=True),)
    blocks = list(matter.departments if matter.list is ListKind.cooperative else matter.receivers)
    blocks = [b for b in blocks if not is_placeholder(b.body)] or blocks
    if not blocks:
        names = tuple(n for n in matter.listed_departments if not is_placeholder(n))
        return (ActingOption(names[:1], lead=True),) if names else ()
    groups: list[list[DutyBlock]] = []
    for b in blocks:
        for g in groups:
            if g[0].clauses == b.clauses:
                g.append(b)
                break
        else:
            groups.append([b])
    out = []
    for i, g in enumerate(groups):
        if matter.list is ListKind.cooperative:
            bodies: tuple[str, ...] = (g[0].body,)
        else:
            bodies = tuple(dict.fromkeys(b.body for b in g))
        out.append(ActingOption(bodies, tuple(g), lead=i == 0))
    return tuple(out)
