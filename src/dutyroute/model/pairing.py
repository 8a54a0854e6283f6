"""Which row of one version of the lists is which row of another: matters paired by content.

A county that drops a row renumbers every row after it (B51 becomes B50 …), so two versions are
compared by what a row says, not by its number. The one pairing rule serves the semantic diff
(:mod:`dutyroute.tools.diff`) and the recognizer, whose classes are the matter ids of the version it
was trained on (:meth:`dutyroute.routing.recognizer.Recognizer.for_rulebook`). In order:

1. same list, same title (事项名称) — the 序号 may differ (renumbered);
2. same title on another list (moved);
3. same list and 序号 with a similar title (character similarity ≥ :data:`RETITLE_SIMILARITY`), or
   the same duty clauses when the caller can tell (retitled);
4. the rest have no partner (removed from the old version, added in the new one).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Protocol

from .lists import ListKind

__all__ = ["RETITLE_SIMILARITY", "Row", "pair_rows"]

RETITLE_SIMILARITY = 0.6
"""Least difflib ratio of two titles at the same list position for one to be the other retitled."""


class Row(Protocol):
    """What pairing reads of a matter (:class:`~dutyroute.model.lists.Matter` has it all)."""

    @property
    def id(self) -> str: ...
    @property
    def list(self) -> ListKind: ...
    @property
    def seq(self) -> int: ...
    @property
    def title(self) -> str: ...


def pair_rows(
    olds: Sequence[Row], news: Sequence[Row], same_clauses: Callable[[Row, Row], bool] | None = None
) -> dict[str, str]:
    """Pair the rows of two versions by content (module docstring).

    Args:
        olds: the old version's matters, in list order.
        news: the new version's matters, in list order.
        same_clauses: optional test that two rows at the same list position hold the same duty
            clauses (a retitled row); without it only title similarity pairs them at step 3.

    Returns:
        new id → old id, for every new row that has an old partner (each old row used once).
    """
    pair: dict[str, str] = {}
    used: set[str] = set()

    def take(n: Row, o: Row) -> None:
        pair[n.id] = o.id
        used.add(o.id)

    by_list_title = {(o.list, o.title): o for o in olds}
    for n in news:
        o = by_list_title.get((n.list, n.title))
        if o is not None and o.id not in used:
            take(n, o)
    by_title: dict[str, list[Row]] = {}
    for o in olds:
        if o.id not in used:
            by_title.setdefault(o.title, []).append(o)
    for n in news:
        if n.id in pair:
            continue
        cands = [o for o in by_title.get(n.title, []) if o.id not in used]
        if cands:
            take(n, cands[0])
    by_pos = {(o.list, o.seq): o for o in olds}
    for n in news:
        if n.id in pair:
            continue
        o = by_pos.get((n.list, n.seq))
        if o is None or o.id in used:
            continue
        similar = (
            difflib.SequenceMatcher(None, o.title, n.title, autojunk=False).ratio() >= RETITLE_SIMILARITY
        )
        if similar or (same_clauses is not None and same_clauses(o, n)):
            take(n, o)
    return pair
