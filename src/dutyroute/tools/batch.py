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

import codecs
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import DutyrouteError
from ..text.encoding import convert_hint, guess_encoding, wide_bom

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
]

_BOM = "\ufeff"


class CaseFormatError(DutyrouteError, ValueError):
    """A labeled-cases or batch file, or one of its lines, is not valid (``file:line: what``).

    Attributes:
        reason: what is wrong and what to do.
        path: the file (``<stdin>`` for standard input), or None.
        line: 1-based line, or None when the whole file is at fault.
    """

    def __init__(self, reason: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        self.reason = reason
        self.path = path
        self.line = line
        if path is not None and line is not None:
            where = f"{path}:{line}: "
        elif path is not None:
            where = f"{path}: "
        else:
            where = ""
        super().__init__(f"{where}{reason}")


@dataclass(frozen=True, slots=True)
class JsonLine:
    """One input line: its parsed JSON value, or why it has none.

    Attributes:
        line: 1-based line number in the file.
        value: the parsed JSON value (any JSON type), None when ``error`` is set.
        error: why the line cannot be used (blank line, not UTF-8, not JSON), or None.
    """

    line: int
    value: Any = None
    error: str | None = None


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


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CaseFormatError("no such file; check the path", path=path) from None
    except IsADirectoryError:
        raise CaseFormatError(
            "is a directory; give a JSON Lines file (one JSON object per line)", path=path
        ) from None
    except PermissionError:
        raise CaseFormatError("permission denied; check the file's permissions", path=path) from None
    except OSError as exc:
        raise CaseFormatError(f"cannot read: {exc.strerror or exc}", path=path) from None


def read_jsonl(
    source: str | Path | bytes, *, encoding: str = "utf-8", name: str | None = None
) -> list[JsonLine]:
    """Read a JSON Lines file (or its bytes), one :class:`JsonLine` per line, none dropped.

    Args:
        source: a file path, or the file's bytes (e.g. standard input).
        encoding: the file's text encoding; ``utf-8`` (the default) also accepts a byte-order mark.
            A line that is not valid in this encoding becomes a ``JsonLine`` with an ``error``
            naming the likely encoding and how to convert the file (``iconv``).
        name: how to name the source in messages (default: the path, or ``<stdin>`` for bytes).

    Returns:
        One entry per line (a final line break ends the last line; it does not start a new one).
        Blank lines, lines that do not decode and lines that are not JSON carry ``error``.

    Raises:
        CaseFormatError: the file is missing, a directory, unreadable, UTF-16/32 encoded while
            UTF-8 was asked for, or ``encoding`` is not an encoding Python knows.
    """
    if isinstance(source, bytes):
        data, shown = source, name or "<stdin>"
    else:
        path = Path(source)
        data, shown = _read_bytes(path), name or str(path)
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise CaseFormatError(
            f"unknown encoding {encoding!r}; use utf-8, gb18030, gbk, big5 …", path=shown
        ) from None
    if codec.startswith(("utf-16", "utf-32")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise CaseFormatError(f"not {encoding} text ({exc.reason})", path=shown) from None
        raw_lines: list[bytes | str] = list(text.split("\n"))
    else:
        wide = wide_bom(data)
        if wide is not None:
            raise CaseFormatError(
                f"the file is {wide}-encoded (it starts with a {wide} byte-order mark); "
                + convert_hint(shown, wide, option="--encoding"),
                path=shown,
            )
        raw_lines = list(data.split(b"\n"))
    if raw_lines and raw_lines[-1] in (b"", ""):
        raw_lines.pop()  # the final line break ends the last line
    out: list[JsonLine] = []
    for n, raw in enumerate(raw_lines, 1):
        if isinstance(raw, bytes):
            try:
                text_line = raw.decode(encoding)
            except UnicodeDecodeError as exc:
                guess = guess_encoding(raw) if codec == "utf-8" else None
                where = f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
                if guess:
                    why = f"not UTF-8 text ({where}; the file looks {guess}-encoded): " + convert_hint(
                        shown, guess, option="--encoding"
                    )
                else:
                    why = f"not {encoding} text ({where}); " + convert_hint(shown, None)
                out.append(JsonLine(n, error=why))
                continue
        else:
            text_line = raw
        text_line = text_line.removesuffix("\r").lstrip(_BOM)
        if not text_line.strip():
            out.append(JsonLine(n, error="blank line; expected one JSON object per line"))
            continue
        try:
            out.append(JsonLine(n, value=json.loads(text_line)))
        except json.JSONDecodeError as exc:
            out.append(JsonLine(n, error=f"not JSON: {exc.msg} (column {exc.colno})"))
        except RecursionError:
            out.append(JsonLine(n, error="not JSON this reader accepts: nested too deeply"))
    return out


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
        n = item.line
        if item.error is not None:
            yield _error(n, None, item.error)
            continue
        obj = item.value
        if not isinstance(obj, dict):
            yield _error(
                n,
                None,
                f'expected a JSON object like {{"id": "a1", "text": "…"}}, got {json_type(obj)}',
            )
            continue
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
            yield _error(n, case_id, 'no \'text\' field; each line needs {"id": …, "text": "…"}', warnings)
            continue
        if not isinstance(text, str):
            yield _error(n, case_id, f"'text' must be a string, got {json_type(text)}", warnings)
            continue
        facts = obj.get("facts")
        if facts is not None and not isinstance(facts, dict):
            yield _error(
                n,
                case_id,
                f'\'facts\' must be an object like {{"road_class": "县道"}}, got {json_type(facts)}',
                warnings,
            )
            continue
        if facts and not all(isinstance(v, str) for v in facts.values()):
            bad = next(k for k, v in facts.items() if not isinstance(v, str))
            yield _error(n, case_id, f"fact {bad!r} must be a string, got {json_type(facts[bad])}", warnings)
            continue
        try:
            d = router.route(text, facts=facts or None, limit=limit)
        except (DutyrouteError, ValueError, TypeError) as exc:
            yield _error(n, case_id, str(exc), warnings)
            continue
        record: dict[str, Any] = {"id": case_id, "line": n}
        record.update(d.to_batch())
        yield BatchOutcome(n, d.status, record, None, tuple(warnings))


def _error(n: int, case_id: Any, message: str, warnings: Iterable[str] = ()) -> BatchOutcome:
    record = {"id": case_id, "line": n, "status": "error", "error": message}
    return BatchOutcome(n, "error", record, message, tuple(warnings))


def dumps_line(record: Mapping[str, Any]) -> str:
    """One output line: compact JSON with Chinese as is (escaped only where it cannot be UTF-8)."""
    text = json.dumps(record, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from the input: keep the line valid UTF-8
        text = json.dumps(record, ensure_ascii=True)
    return text
