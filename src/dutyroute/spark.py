"""Route a Spark DataFrame of incidents (the ``[spark]`` extra: pyspark, pandas, pyarrow).

``route_dataframe(df, text_col="text")`` returns ``df`` with the decision's columns added, computed
with ``mapInPandas``: each executor's Python worker builds one Router (the bundled rulebook, or
``rules``: a rules folder readable on every executor) on its first batch and reuses it for every
later batch and task. A row whose text cannot be routed (null, empty, too long, an unknown fact)
gets ``status = "error"`` and the reason in ``error``; the job never fails on one row.

Added columns (prefix them with ``prefix=`` when ``df`` has a column of the same name):

==============  ==================  ============================================================
column          type                value
==============  ==================  ============================================================
status          string              routed | needs_clarification | unmatched | error
matter          string              matter id (B96, C40, R50); null unless routed
acting          array<string>       acting bodies (canonical names); empty unless routed
cooperating     array<string>       cooperating bodies (cooperative matters)
reclaimed       boolean             true when the county took the matter back
confidence      double              0–1; null on error
basis           string              the list and item (派单依据); null unless routed
clarify_fact    string              the fact to ask (needs_clarification), else null
error           string              why the row was not routed, else null
==============  ==================  ============================================================
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import DutyrouteError, ExtraMissingError, InputError

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame

    from .routing.router import Router

__all__ = ["DECISION_COLUMNS", "route_dataframe", "route_pandas"]

DECISION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("status", "string"),
    ("matter", "string"),
    ("acting", "array<string>"),
    ("cooperating", "array<string>"),
    ("reclaimed", "boolean"),
    ("confidence", "double"),
    ("basis", "string"),
    ("clarify_fact", "string"),
    ("error", "string"),
)
"""The columns :func:`route_dataframe` adds, with their Spark SQL types."""

_routers: dict[str | None, Router] = {}


def _router(rules: str | None) -> Router:
    """One Router per Python process and rules folder (executor workers are reused by Spark)."""
    r = _routers.get(rules)
    if r is None:
        from .routing.router import Router

        r = _routers[rules] = Router.from_dir(rules) if rules is not None else Router.default()
    return r


def _facts_map(facts_cols: Sequence[str] | Mapping[str, str] | None) -> dict[str, str]:
    if facts_cols is None:
        return {}
    if isinstance(facts_cols, Mapping):
        return {str(c): str(f) for c, f in facts_cols.items()}
    return {str(c): str(c) for c in facts_cols}


def route_pandas(
    frame: pd.DataFrame,
    *,
    text_col: str = "text",
    facts_cols: Sequence[str] | Mapping[str, str] | None = None,
    rules: str | None = None,
    prefix: str = "",
) -> pd.DataFrame:
    """Route the rows of one pandas DataFrame (what each ``mapInPandas`` batch runs).

    Args:
        frame: rows with ``text_col`` and the fact columns.
        text_col: the column holding the incident text.
        facts_cols: columns holding deciding facts: a list (column name = fact name, e.g.
            ``road_class``) or a mapping column → fact name; null or empty cells are not facts.
        rules: a rules folder (every executor must read it); None: the bundled rulebook.
        prefix: put before each added column's name.

    Returns:
        ``frame`` with the columns of :data:`DECISION_COLUMNS` added (a copy).
    """
    router = _router(rules)
    fmap = _facts_map(facts_cols)
    out: dict[str, list[Any]] = {name: [] for name, _ in DECISION_COLUMNS}
    texts = frame[text_col].tolist()
    fact_values = {c: frame[c].tolist() for c in fmap}
    for i, text in enumerate(texts):
        facts = {fmap[c]: v for c, vs in fact_values.items() if isinstance(v := vs[i], str) and v}
        row: dict[str, Any]
        try:
            if not isinstance(text, str):
                null = text is None or (isinstance(text, float) and math.isnan(text))
                raise InputError(f"{text_col} is {'null' if null else type(text).__name__}, not a text")
            d = router.route(text, facts=facts or None, limit=0)
            routed = d.status == "routed"
            row = {
                "status": d.status,
                "matter": d.matter if routed else None,
                "acting": list(d.acting),
                "cooperating": list(d.cooperating),
                "reclaimed": bool(d.reclaimed),
                "confidence": float(d.confidence),
                "basis": d.basis if routed else None,
                "clarify_fact": d.clarify.fact if d.clarify is not None else None,
                "error": None,
            }
        except (DutyrouteError, ValueError, TypeError) as exc:
            row = {
                "status": "error",
                "matter": None,
                "acting": [],
                "cooperating": [],
                "reclaimed": False,
                "confidence": None,
                "basis": None,
                "clarify_fact": None,
                "error": str(exc),
            }
        for name, _ in DECISION_COLUMNS:
            out[name].append(row[name])
    result = frame.copy()
    for name, _ in DECISION_COLUMNS:
        result[prefix + name] = out[name]
    return result


def route_dataframe(
    df: DataFrame,
    text_col: str = "text",
    facts_cols: Sequence[str] | Mapping[str, str] | None = None,
    *,
    rules: str | None = None,
    prefix: str = "",
) -> DataFrame:
    """``df`` with the decision's columns (:data:`DECISION_COLUMNS`) added, routed on the executors.

    Args:
        df: a Spark DataFrame with a string column ``text_col``.
        text_col: the incident text column.
        facts_cols: fact columns, as for :func:`route_pandas`.
        rules: a rules folder readable on every executor (None: the bundled rulebook).
        prefix: put before each added column's name (when ``df`` already has ``status`` …).

    Returns:
        A new DataFrame (lazy: nothing runs until an action such as ``write`` or ``count``).

    Raises:
        ExtraMissingError: pyspark, pandas or pyarrow is not installed.
        InputError: ``text_col`` or a fact column is not in ``df``, or an added column would
            replace one of ``df`` (use ``prefix``).
    """
    try:
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
        from pyspark.sql.types import ArrayType, BooleanType, DoubleType, StringType, StructType
    except ImportError as exc:
        raise ExtraMissingError("routing Spark DataFrames", "spark", exc.name or "pyspark") from None
    fmap = _facts_map(facts_cols)
    columns = list(df.columns)
    for c in [text_col, *fmap]:
        if c not in columns:
            raise InputError(f"column {c!r} is not in the DataFrame (columns: {', '.join(columns)})")
    clash = [prefix + n for n, _ in DECISION_COLUMNS if prefix + n in columns]
    if clash:
        raise InputError(
            f"the DataFrame already has column(s) {', '.join(clash)}; pass prefix='route_' (or another) "
            "so the decision's columns do not replace them"
        )
    types = {
        "string": StringType(),
        "array<string>": ArrayType(StringType()),
        "boolean": BooleanType(),
        "double": DoubleType(),
    }
    schema = StructType(list(df.schema.fields))  # a copy: add() appends to the list it was given
    for name, kind in DECISION_COLUMNS:
        schema = schema.add(prefix + name, types[kind], True)

    def batches(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for frame in frames:
            yield route_pandas(frame, text_col=text_col, facts_cols=fmap, rules=rules, prefix=prefix)

    return df.mapInPandas(batches, schema=schema)
