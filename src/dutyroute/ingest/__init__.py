"""Official list text → typed matters.

One module per source format; today the tab-separated text export of the three lists
(:mod:`dutyroute.ingest.lists`), with :mod:`dutyroute.ingest.cells` reading the HTML-ish cells.
Use :func:`dutyroute.store.compile.compile_rulebook` to get a :class:`~dutyroute.model.lists.Rulebook`.
"""

from __future__ import annotations

from .cells import clean_text, split_blocks, split_clauses, split_receiver_blocks
from .lists import COLUMNS, ListNote, ParsedLists, parse_lists

__all__ = [
    "COLUMNS",
    "ListNote",
    "ParsedLists",
    "clean_text",
    "parse_lists",
    "split_blocks",
    "split_clauses",
    "split_receiver_blocks",
]
