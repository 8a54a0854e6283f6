"""Tables kept by row as their nonzero entries (row ``r``'s entries are ``starts[r]:starts[r + 1]``):
where the entries of some rows are. BM25 scoring (:mod:`dutyroute.routing.retrieve`) and the
precedent pools (:mod:`dutyroute.routing.precedents`) both sum such rows with one ``np.bincount``."""

from __future__ import annotations

import numpy as np

__all__ = ["row_entries"]


def row_entries(starts: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the entries of ``rows`` are, and how many each row has.

    Args:
        starts: int, 1-D, one more than the table's rows: row ``r``'s entries are
            ``starts[r]:starts[r + 1]``.
        rows: int, 1-D, the rows wanted (in the order their entries should come).

    Returns:
        (positions, lengths): int64 positions of every entry of ``rows``, row after row and in
        table order within a row; and, per row of ``rows``, its number of entries. Time is the
        number of those entries.
    """
    lo = starts[rows]
    lengths = starts[rows + 1] - lo
    total = int(lengths.sum())
    positions = np.arange(total, dtype=np.int64) + np.repeat(lo - np.cumsum(lengths) + lengths, lengths)
    return positions, lengths
