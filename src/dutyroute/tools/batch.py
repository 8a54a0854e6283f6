"""The batch format of ``../shared/cases/README.md``: JSON Lines of incidents in, one line out per line in.

Input: one JSON object per line with at least ``id`` and ``text`` (optionally ``facts``), UTF-8
(a byte-order mark is accepted, also at the start of a later line, as ``cat a.jsonl b.jsonl``
leaves it). :func:`read_jsonl` never drops a line: each input line becomes a :class:`JsonLine`
holding its value or the reason it cannot be read (blank, not UTF-8, not JSON).

Output: :func:`route_lines` gives exactly one :class:`BatchOutcome` per input line, in order.
Its ``record`` is the output line:

- routed / needs_clarification / unmatched (:class:`BatchResult`)::

    {"id": "d001", "line": 1, "status": "routed", "matter": "C40", "acting": ["县公安局"],
     "cooperating": ["小京庄乡"], "reclaimed": false, "confidence": 0.87, "basis": "《…》第40项 …",
     "clarify": null, "alternatives": [...], "township_role": null}

- a line that cannot be routed (:class:`BatchError`)::

    {"id": "d002" | null, "line": 2, "status": "error", "error": "'text' must be a string, got number"}

``id`` is copied as given (null when the line has none: it is never invented) and ``line`` is
the 1-based input line number, so output and input always line up. :func:`batch_line_schema` is
the JSON Schema an integrator can validate output lines with (``dutyroute schema --model batch``).
"""

from __future__ import annotations

import collections
import json
import multiprocessing
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import CaseFormatError, DutyrouteError
from .batch_io import JsonLine, iter_jsonl

if TYPE_CHECKING:
    from ..routing.router import Router

__all__ = [
    "BatchError",
    "BatchOutcome",
    "BatchResult",
    "CaseFormatError",
    "JsonLine",
    "batch_line_schema",
    "dumps_line",
    "json_type",
    "read_jsonl",
    "route_lines",
    "route_lines_parallel",
]

_BOM = "\ufeff"


def json_type(value: Any) -> str:
    """JSON name of a value's type: ``string``, ``number``, ``boolean``, ``null``, ``array``, ``object``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def read_jsonl(
    source: str | Path | bytes, *, encoding: str = "utf-8", name: str | None = None
) -> list[JsonLine]:
    """Read a whole JSON Lines file (or its bytes), one :class:`JsonLine` per line, none dropped.

    The list form of :func:`~dutyroute.tools.batch_io.iter_jsonl` (which streams); see there for
    the arguments. Raises CaseFormatError as it does.
    """
    return list(iter_jsonl(source, encoding=encoding, name=name))


# ── output line models (the schema integrators validate batch output with) ──────────────────
class _Line(BaseModel):
    model_config = ConfigDict(extra="allow")


class BatchOption(_Line):
    """One answer of a clarifying question and the route it leads to."""

    value: str
    matter: str
    acting: list[str]
    cooperating: list[str]
    reclaimed: bool


class BatchClarify(_Line):
    """The clarifying question of a ``needs_clarification`` line."""

    fact: str = Field(description="the deciding fact, e.g. road_class (rules/facts.yaml)")
    question: str = Field(description="the question to read aloud")
    options: list[BatchOption]


class BatchAlternative(_Line):
    """A ranked alternative route."""

    matter: str
    acting: list[str]
    cooperating: list[str]
    reclaimed: bool
    confidence: float = Field(ge=0.0, le=1.0)


class BatchResult(_Line):
    """An output line for a routed input line (status routed, needs_clarification or unmatched)."""

    id: Any = Field(description="the input line's id as given; null when it had none")
    line: int = Field(ge=1, description="1-based input line number")
    status: Literal["routed", "needs_clarification", "unmatched"]
    matter: str | None = Field(description="matter id (B96, C40, R50); null when unmatched")
    acting: list[str] = Field(description="canonical names of the acting bodies")
    cooperating: list[str] = Field(description="canonical names of the cooperating bodies")
    reclaimed: bool = Field(description="true when the county reclaimed the matter (上级部门收回)")
    confidence: float = Field(ge=0.0, le=1.0)
    basis: str | None = Field(description="《list title》第N项 title; null when unmatched")
    clarify: BatchClarify | None
    alternatives: list[BatchAlternative]
    township_role: str | None = Field(
        default=None, description="the township office acting on a basic matter"
    )


class BatchError(_Line):
    """An output line for an input line that could not be routed."""

    id: Any = Field(description="the input line's id if it could be read, else null")
    line: int = Field(ge=1, description="1-based input line number")
    status: Literal["error"]
    error: str = Field(description="what is wrong with the input line")


def batch_line_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one ``dutyroute batch`` output line (result or error)."""
    from pydantic import TypeAdapter

    schema = TypeAdapter(BatchResult | BatchError).json_schema(mode="serialization")
    schema["title"] = "dutyroute batch output line"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


# ── routing a file ───────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """What became of one input line.

    Attributes:
        line: 1-based input line number.
        status: ``routed``, ``needs_clarification``, ``unmatched`` or ``error``.
        record: the output line (see the module docstring).
        error: why the line could not be routed (``status == "error"``), else None.
        warnings: remarks on a line that was still routed: no id, null id, a duplicate id.
    """

    line: int
    status: str
    record: dict[str, Any]
    error: str | None = None
    warnings: tuple[str, ...] = ()


def _id_key(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True, slots=True)
class _Job:
    """A line that passed the checks: what to route (picklable, for worker processes)."""

    line: int
    case_id: Any
    text: str
    facts: dict[str, str] | None
    warnings: tuple[str, ...]


def _prepare(item: JsonLine, first_line: dict[str, int]) -> BatchOutcome | _Job:
    """Check one input line: its error outcome, or the job of routing it (ids tracked in ``first_line``)."""
    n = item.line
    if item.error is not None:
        return _error(n, None, item.error)
    obj = item.value
    if not isinstance(obj, dict):
        return _error(
            n, None, f'expected a JSON object like {{"id": "a1", "text": "…"}}, got {json_type(obj)}'
        )
    warnings: list[str] = []
    case_id = obj.get("id")
    if "id" not in obj:
        warnings.append(f"no 'id': the output line has id null and line {n}")
    elif case_id is None:
        warnings.append(f"'id' is null: the output line has id null and line {n}")
    elif isinstance(case_id, (dict, list, bool)):
        warnings.append(f"'id' is {json_type(case_id)}; ids are usually strings or numbers")
    if case_id is not None:
        key = _id_key(case_id)
        if key in first_line:
            warnings.append(f"duplicate id {case_id!r} (first on line {first_line[key]})")
        else:
            first_line[key] = n
    text = obj.get("text")
    if "text" not in obj:
        return _error(n, case_id, 'no \'text\' field; each line needs {"id": …, "text": "…"}', warnings)
    if not isinstance(text, str):
        return _error(n, case_id, f"'text' must be a string, got {json_type(text)}", warnings)
    facts = obj.get("facts")
    if facts is not None and not isinstance(facts, dict):
        return _error(
            n,
            case_id,
            f'\'facts\' must be an object like {{"road_class": "县道"}}, got {json_type(facts)}',
            warnings,
        )
    if facts and not all(isinstance(v, str) for v in facts.values()):
        bad = next(k for k, v in facts.items() if not isinstance(v, str))
        return _error(n, case_id, f"fact {bad!r} must be a string, got {json_type(facts[bad])}", warnings)
    return _Job(n, case_id, text, facts or None, tuple(warnings))


def _route_job(router: Router, job: _Job, limit: int) -> BatchOutcome:
    n, case_id, warnings = job.line, job.case_id, job.warnings
    try:
        d = router.route(job.text, facts=job.facts, limit=limit)
    except (DutyrouteError, ValueError, TypeError) as exc:
        return _error(n, case_id, str(exc), warnings)
    except Exception as exc:  # a bug of ours must not cost the rest of the file its routes
        return _error(n, case_id, f"internal error ({type(exc).__name__}: {exc}); please report it", warnings)
    record: dict[str, Any] = {"id": case_id, "line": n}
    record.update(d.to_batch())
    return BatchOutcome(n, d.status, record, None, warnings)


def route_lines(router: Router, lines: Iterable[JsonLine], *, limit: int = 5) -> Iterator[BatchOutcome]:
    """Route every input line; yields exactly one outcome per line, in order.

    A line is an error (and the rest still routed) when it is not a JSON object, has no ``text``
    or a ``text`` that is not a string, has ``facts`` that are not an object, or its text or
    facts are rejected by the router (empty or too long text, unknown fact). Missing, null and
    duplicate ids are routed and warned about; ids are never invented.

    Args:
        router: the router.
        lines: :func:`read_jsonl` output.
        limit: most alternatives per line.
    """
    first_line: dict[str, int] = {}
    for item in lines:
        prepared = _prepare(item, first_line)
        yield prepared if isinstance(prepared, BatchOutcome) else _route_job(router, prepared, limit)


# ── worker processes ─────────────────────────────────────────────────────────────────────────
_worker_router: Router | None = None


def _worker_init(rules: str | None, recognizer: str | None = None) -> None:
    global _worker_router
    import os

    from ..routing.recognizer import RECOGNIZER_ENV
    from ..routing.router import Router

    if recognizer is not None:  # the workers' default recognizer is the one the run names
        os.environ[RECOGNIZER_ENV] = recognizer

    _worker_router = Router.from_dir(rules) if rules is not None else Router.default()


def _worker_chunk(jobs: list[_Job], limit: int) -> list[BatchOutcome]:
    assert _worker_router is not None, "worker not initialised"
    return [_route_job(_worker_router, job, limit) for job in jobs]


def route_lines_parallel(
    lines: Iterable[JsonLine],
    *,
    workers: int,
    rules: str | Path | None = None,
    limit: int = 5,
    chunk: int = 64,
    recognizer: str | None = None,
) -> Iterator[BatchOutcome]:
    """:func:`route_lines` on ``workers`` processes: the same outcomes, in input order.

    Lines are checked in this process (duplicate ids need the whole stream); the routing goes to
    a process pool in chunks of ``chunk`` lines, with at most ``2 × workers`` chunks in flight, so
    memory stays independent of the input's length. Each worker builds its own Router from
    ``rules`` (a rules folder; None: the bundled rulebook).

    Args:
        lines: :func:`read_jsonl` (or ``iter_csv``) output.
        workers: worker processes (≥ 1).
        rules: as ``--rules``.
        limit: most alternatives per line.
        chunk: lines per task (≥ 1).
        recognizer: an artifact folder, or ``none``, as ``--recognizer`` (None: the default).

    Raises:
        ValueError: ``workers`` or ``chunk`` below 1.
    """
    if workers < 1 or chunk < 1:
        raise ValueError(f"workers and chunk must be ≥ 1, got workers={workers}, chunk={chunk}")
    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding threads (progress bar)
    first_line: dict[str, int] = {}
    rules_arg = str(rules) if rules is not None else None
    with ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_worker_init, initargs=(rules_arg, recognizer)
    ) as pool:
        pending: collections.deque[tuple[list[BatchOutcome | _Job], Future[list[BatchOutcome]] | None]] = (
            collections.deque()
        )

        def submit(block: list[BatchOutcome | _Job]) -> None:
            jobs = [x for x in block if isinstance(x, _Job)]
            pending.append((block, pool.submit(_worker_chunk, jobs, limit) if jobs else None))

        def drain_one() -> Iterator[BatchOutcome]:
            block, future = pending.popleft()
            routed = iter(future.result() if future is not None else ())
            for x in block:
                yield next(routed) if isinstance(x, _Job) else x

        block: list[BatchOutcome | _Job] = []
        for item in lines:
            block.append(_prepare(item, first_line))
            if len(block) >= chunk:
                submit(block)
                block = []
                while len(pending) > 2 * workers:
                    yield from drain_one()
        if block:
            submit(block)
        while pending:
            yield from drain_one()


def _error(n: int, case_id: Any, message: str, warnings: Iterable[str] = ()) -> BatchOutcome:
    record = {"id": case_id, "line": n, "status": "error", "error": message}
    return BatchOutcome(n, "error", record, message, tuple(warnings))


def dumps_line(record: Mapping[str, Any]) -> str:
    """One output line: strict, compact JSON with Chinese as is (escaped only where it cannot be
    UTF-8). Never writes NaN or Infinity (``allow_nan=False``: such a value raises ValueError)."""
    text = json.dumps(record, ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from the input: keep the line valid UTF-8
        text = json.dumps(record, ensure_ascii=True, allow_nan=False)
    return text
