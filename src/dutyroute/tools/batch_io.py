"""Streaming input and safe output for batch runs.

Input is read a line at a time (memory does not grow with the file): JSON Lines, or CSV with a
header row (hotline archives often come as CSV). Every line becomes a :class:`JsonLine` — a value,
or the reason it has none — so one bad line never stops a run. JSON is read strictly: ``NaN``,
``Infinity`` and numbers that overflow to infinity are refused (strict JSON parsers reject them),
and so are integers longer than :data:`MAX_INT_DIGITS` digits.

Output goes to a temporary file beside the target, renamed into place only when the run ends
well (:class:`SafeOutput`); an interrupted run (SIGINT / SIGTERM) stops at a line boundary and
leaves ``OUT.partial``; a failed write (disk full) names the file and stops at once.
"""

from __future__ import annotations

import codecs
import collections
import csv
import io
import json
import math
import os
import signal
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, Any

from ..errors import CaseFormatError, InputError
from ..text.encoding import convert_hint, guess_encoding, wide_bom

__all__ = [
    "MAX_INT_DIGITS",
    "JsonLine",
    "SafeOutput",
    "Stop",
    "count_lines",
    "iter_csv",
    "iter_jsonl",
    "loads_strict",
]

MAX_INT_DIGITS = 100
"""Longest integer accepted in an input line (ids and numbers are never longer in practice;
Python's own limit, 4,300 digits, would otherwise stop the run with a ValueError)."""
_BOM = "\ufeff"


class JsonLine:
    """One input line: its parsed JSON value, or why it has none.

    Attributes:
        line: 1-based line number in the file (for CSV: the record's first line).
        value: the parsed value (any JSON type), None when ``error`` is set.
        error: why the line cannot be used (blank, not UTF-8, not JSON, a CSV row without the text
            column …), or None.
    """

    __slots__ = ("error", "line", "value")

    def __init__(self, line: int, value: Any = None, error: str | None = None) -> None:
        self.line = line
        self.value = value
        self.error = error

    def __repr__(self) -> str:
        return f"JsonLine({self.line}, value={self.value!r}, error={self.error!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JsonLine) and (self.line, self.value, self.error) == (
            other.line,
            other.value,
            other.error,
        )


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (strict JSON has no NaN or Infinity)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]}… overflows to infinity")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits (at most {MAX_INT_DIGITS} are read)")
    return int(text)


def loads_strict(text: str) -> Any:
    """``json.loads`` that refuses NaN, Infinity, overflowing floats and huge integers.

    Raises:
        ValueError: the text is not strict JSON (``json.JSONDecodeError`` is a ValueError).
        RecursionError: nested too deeply.
    """
    return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float, parse_int=_bounded_int)


def _binary(source: str | Path | bytes | IO[bytes], shown: str) -> IO[bytes]:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise CaseFormatError("no such file; check the path", path=shown) from None
        except IsADirectoryError:
            raise CaseFormatError("is a directory; give a JSON Lines or CSV file", path=shown) from None
        except PermissionError:
            raise CaseFormatError("permission denied; check the file's permissions", path=shown) from None
        except OSError as exc:
            raise CaseFormatError(f"cannot read: {exc.strerror or exc}", path=shown) from None
    return source


def _codec(encoding: str, shown: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise CaseFormatError(
            f"unknown encoding {encoding!r}; use utf-8, gb18030, gbk, big5 …", path=shown
        ) from None


def _decoded_lines(
    source: str | Path | bytes | IO[bytes], encoding: str, shown: str
) -> Iterator[tuple[int, str | None, str | None]]:
    """(line number, text, error) per line, streamed."""
    codec = _codec(encoding, shown)
    fh = _binary(source, shown)
    try:
        head = fh.read(4)
        if codec.startswith(("utf-16", "utf-32")):  # wide encodings: decode as a stream
            rest = io.TextIOWrapper(io.BufferedReader(_Prefixed(head, fh)), encoding=encoding, newline="")
            try:
                for n, line in enumerate(rest, 1):
                    yield n, line.rstrip("\r\n"), None
            except UnicodeDecodeError as exc:
                raise CaseFormatError(f"not {encoding} text ({exc.reason})", path=shown) from None
            return
        wide = wide_bom(head)
        if wide is not None:
            raise CaseFormatError(
                f"the file is {wide}-encoded (it starts with a {wide} byte-order mark); "
                + convert_hint(shown, wide, option="--encoding"),
                path=shown,
            )
        stream = io.BufferedReader(_Prefixed(head, fh))
        for n, raw in enumerate(stream, 1):
            raw = raw.rstrip(b"\n")
            try:
                yield n, raw.decode(encoding), None
            except UnicodeDecodeError as exc:
                guess = guess_encoding(raw) if codec == "utf-8" else None
                where = f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"
                if guess:
                    why = f"not UTF-8 text ({where}; the file looks {guess}-encoded): " + convert_hint(
                        shown, guess, option="--encoding"
                    )
                else:
                    why = f"not {encoding} text ({where}); " + convert_hint(shown, None)
                yield n, None, why
    finally:
        if isinstance(source, (str, Path)):
            fh.close()


class _Prefixed(io.RawIOBase):
    """A raw stream that first returns ``head``, then the rest of ``fh`` (the bytes sniffed for a BOM)."""

    def __init__(self, head: bytes, fh: IO[bytes]) -> None:
        self._head = head
        self._fh = fh

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._fh.read(len(b))
        b[: len(data)] = data
        return len(data)


def iter_jsonl(
    source: str | Path | bytes | IO[bytes], *, encoding: str = "utf-8", name: str | None = None
) -> Iterator[JsonLine]:
    """Stream a JSON Lines file: one :class:`JsonLine` per line, none dropped.

    Args:
        source: a path, the bytes, or a binary stream (standard input).
        encoding: the text encoding (UTF-8 accepts a byte-order mark).
        name: how to name the source in messages (default: the path or ``<stdin>``).

    Raises:
        CaseFormatError: the file cannot be opened, is UTF-16/32 while UTF-8 was asked for, or
            ``encoding`` is unknown. Bad lines never raise: they carry ``error``.
    """
    shown = name or (str(source) if isinstance(source, (str, Path)) else "<stdin>")
    for n, text, error in _decoded_lines(source, encoding, shown):
        if error is not None or text is None:
            yield JsonLine(n, error=error)
            continue
        text = text.removesuffix("\r").lstrip(_BOM)
        if not text.strip():
            yield JsonLine(n, error="blank line; expected one JSON object per line")
            continue
        try:
            yield JsonLine(n, value=loads_strict(text))
        except json.JSONDecodeError as exc:
            yield JsonLine(n, error=f"not JSON: {exc.msg} (column {exc.colno})")
        except ValueError as exc:
            yield JsonLine(n, error=f"not strict JSON: {exc}")
        except RecursionError:
            yield JsonLine(n, error="not JSON this reader accepts: nested too deeply")


def iter_csv(
    source: str | Path | bytes | IO[bytes],
    *,
    text_cols: Sequence[str] = (),
    id_col: str | None = None,
    encoding: str = "utf-8",
    name: str | None = None,
) -> Iterator[JsonLine]:
    """Stream a CSV file with a header row as ``{"id", "text"}`` records.

    Args:
        source: a path, the bytes, or a binary stream.
        text_cols: the column(s) holding the incident; several (a title and a body) are joined
            with ``。``. Default: ``text``, else the title and body columns of a hotline export
            (``留言主题`` + ``留言详情``, ``title`` + ``body``).
        id_col: the id column (default ``id``, else ``留言编号``; none: ids are null and warned).
        encoding, name: as for :func:`iter_jsonl`.

    Raises:
        CaseFormatError: the file cannot be opened, has no header, names a column twice in it, or a
            text column named is not in it (the message lists the columns). A row without text is
            that row's error.
    """
    shown = name or (str(source) if isinstance(source, (str, Path)) else "<stdin>")
    lines = _decoded_lines(source, encoding, shown)
    numbers: list[int] = []
    bad: dict[int, str] = {}

    def text_lines() -> Iterator[str]:
        for n, text, error in lines:
            numbers.append(n)
            if error is not None:
                bad[n] = error
                yield "\n"
            else:
                yield (text or "").lstrip(_BOM) + "\n"

    # strict: a stray quote is an error of its row, never a quoted field silently running on
    # through the rows after it to the end of the file
    reader = csv.reader(text_lines(), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CaseFormatError("empty file; expected a CSV header row", path=shown) from None
    except csv.Error as exc:
        raise CaseFormatError(f"not CSV: {exc}", path=shown) from None
    cols = [h.strip() for h in header]
    where, id_at = _csv_columns(cols, text_cols, id_col, shown)
    while True:
        start = len(numbers) + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            first = numbers[start - 1] if start - 1 < len(numbers) else start
            yield JsonLine(first, error=_csv_error(exc, first, numbers[-1] if numbers else first))
            continue
        first = numbers[start - 1] if start - 1 < len(numbers) else start
        if first in bad:
            yield JsonLine(first, error=bad[first])
            continue
        if not any(cell.strip() for cell in row):
            yield JsonLine(first, error="blank row; expected one incident per row")
            continue
        if len(row) != len(cols):
            yield JsonLine(first, error=f"row has {len(row)} cells, the header {len(cols)}")
            continue
        text = "。".join(row[i].strip() for i in where if row[i].strip())
        value: dict[str, Any] = {"text": text}
        if id_at is not None:
            value["id"] = row[id_at]
        yield JsonLine(first, value=value)


def _csv_columns(
    cols: list[str], text_cols: Sequence[str], id_col: str | None, shown: str
) -> tuple[list[int], int | None]:
    """Where the text column(s) and the id column are in a CSV header (see :func:`iter_csv`).

    Raises:
        CaseFormatError: a column named twice, a text or id column named that is not there, or
            no text column to be found (the message lists the columns).
    """
    twice = sorted(c for c, n in collections.Counter(cols).items() if c and n > 1)  # linear in the columns
    if twice:  # which of the two would hold the text (or the id) is anyone's guess
        raise CaseFormatError(
            f"column {', '.join(map(repr, twice))} appears twice in the header; rename one",
            path=shown,
            line=1,
        )
    chosen = list(text_cols) or _default_text_cols(cols)
    missing = [c for c in chosen if c not in cols]
    if not chosen or missing:
        what = f"no column {', '.join(map(repr, missing))}" if missing else "no text column"
        raise CaseFormatError(
            f"{what}; columns: {', '.join(cols)}; name the text column(s) with --text-col", path=shown, line=1
        )
    ids = id_col if id_col is not None else next((c for c in ("id", "留言编号") if c in cols), None)
    if id_col is not None and id_col not in cols:
        raise CaseFormatError(f"no id column {id_col!r}; columns: {', '.join(cols)}", path=shown, line=1)
    return [cols.index(c) for c in chosen], (cols.index(ids) if ids is not None else None)


def _csv_error(exc: csv.Error, first: int, last: int) -> str:
    """A row's CSV error as a sentence with what to do (``first``, ``last``: the lines read for it)."""
    if "unexpected end of data" in str(exc):
        return (
            f"a quoted field opened on line {first} is never closed, so lines {first}–{last} would be "
            'one row: close the quote ("…") or remove the stray one'
        )
    return f"not CSV: {exc}; quote a cell that holds quotes or commas"


def _default_text_cols(cols: list[str]) -> list[str]:
    if "text" in cols:
        return ["text"]
    for pair in (("留言主题", "留言详情"), ("title", "body"), ("主题", "内容")):
        if all(c in cols for c in pair):
            return list(pair)
    return []


def count_lines(path: Path) -> int | None:
    """Lines in a file, counted in 1 MB chunks (constant memory); None when it cannot be read."""
    try:
        with path.open("rb") as fh:
            n, last = 0, b"\n"
            while chunk := fh.read(1 << 20):
                n += chunk.count(b"\n")
                last = chunk[-1:]
            return n + (last != b"\n")
    except OSError:
        return None


class Stop:
    """Set by SIGINT or SIGTERM while a run is going: the run stops at the next line boundary."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._old: dict[int, Any] = {}

    def __enter__(self) -> Stop:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: no signal handling
                pass
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signal = signum

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def __bool__(self) -> bool:
        return self.signal is not None


class SafeOutput:
    """A text file written through a temporary file beside it.

    ``commit()`` renames the temporary file onto ``path`` (the previous file is replaced only
    then); ``abandon()`` renames it to ``path`` + ``.partial`` and returns that name. Standard
    output (``-``) is written directly.

    Raises:
        InputError: (from write) the file cannot be written — disk full, I/O error — naming the
            file and how many lines were written; the run must stop.
    """

    def __init__(self, path: Path, *, option: str = "-o") -> None:
        self.path = path
        self.option = option
        self.lines = 0
        self.stdout = str(path) == "-"
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp") if not self.stdout else None
        self._fh: IO[str] | None = None

    def open(self) -> SafeOutput:
        if self.stdout:
            import sys

            self._fh = sys.stdout
            return self
        assert self.tmp is not None
        try:
            self._fh = self.tmp.open("w", encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{self.option} {self.path}: cannot write ({exc.strerror or exc})") from None
        return self

    def write_line(self, line: str) -> None:
        assert self._fh is not None
        try:
            self._fh.write(line + "\n")
        except OSError as exc:
            raise InputError(
                f"{self.option} {self.path}: writing failed after {self.lines} lines "
                f"({exc.strerror or exc}); nothing was renamed into place, the previous file is unchanged"
            ) from None
        self.lines += 1

    def _close(self) -> None:
        if self._fh is not None and not self.stdout:
            try:
                self._fh.close()
            except OSError as exc:
                raise InputError(
                    f"{self.option} {self.path}: writing failed ({exc.strerror or exc}) "
                    f"after {self.lines} lines"
                ) from None
        elif self._fh is not None:
            self._fh.flush()
        self._fh = None

    def commit(self) -> None:
        """Finish: the output replaces ``path``."""
        self._close()
        if self.tmp is not None:
            os.replace(self.tmp, self.path)

    def abandon(self) -> Path | None:
        """Stop early: keep what was written as ``path.partial`` (None for standard output)."""
        self._close()
        if self.tmp is None:
            return None
        partial = self.path.with_name(self.path.name + ".partial")
        os.replace(self.tmp, partial)
        return partial

    def discard(self) -> None:
        """A failure: remove the temporary file, leave ``path`` as it was."""
        try:
            self._close()
        except InputError:
            pass
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)
