"""Reading an official list text (seed) from a file: bytes → UTF-8 text →
:func:`dutyroute.ingest.parse_lists`."""

from __future__ import annotations

from pathlib import Path

from ..errors import ListFormatError
from ..ingest.lists import ParsedLists, parse_lists
from ..model.bodies import BodyRegistry
from ..text.encoding import convert_hint, guess_encoding
from .bodies import load_bodies

__all__ = ["read_lists"]


def read_lists(
    path: str | Path, *, registry: BodyRegistry | None = None, township: str | None = None
) -> ParsedLists:
    """Read and parse a list file (UTF-8, BOM allowed).

    Raises:
        ListFormatError: the file cannot be read or decoded (with the line of the bad bytes), or
            any error of :func:`parse_lists`.
        UnknownBodyError: see :func:`parse_lists`.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ListFormatError(f"cannot read the list file: {exc.strerror}", path=path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        guess = guess_encoding(data)
        looks = f"; the file looks {guess}-encoded" if guess else ""
        raise ListFormatError(
            f"not UTF-8 (byte {data[exc.start]:#04x}){looks}: {convert_hint(str(path), guess)}",
            path=path,
            line=line,
        ) from None
    return parse_lists(text, registry=registry or load_bodies(), path=path, township=township)
