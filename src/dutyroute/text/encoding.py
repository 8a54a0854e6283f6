"""Telling people what to do with a file that is not UTF-8 (one place for every reader).

Chinese Windows tools often save text as GB18030/GBK; exports from some systems are UTF-16 with a
byte-order mark. dutyroute reads UTF-8 (a UTF-8 byte-order mark is accepted); these helpers name
the likely encoding and give the ``iconv`` command that converts the file.
"""

from __future__ import annotations

import codecs
from pathlib import Path

__all__ = ["convert_hint", "guess_encoding", "wide_bom"]


def guess_encoding(data: bytes) -> str | None:
    """A likely encoding of bytes that are not UTF-8: ``UTF-16``/``UTF-32`` (by byte-order mark),
    ``GB18030/GBK`` (they decode as GB18030), or None."""
    wide = wide_bom(data)
    if wide is not None:
        return wide
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    return "GB18030/GBK"


def wide_bom(data: bytes) -> str | None:
    """``UTF-16`` or ``UTF-32`` when ``data`` starts with that byte-order mark, else None."""
    for bom, name in (
        (codecs.BOM_UTF32_LE, "UTF-32"),
        (codecs.BOM_UTF32_BE, "UTF-32"),
        (codecs.BOM_UTF16_LE, "UTF-16"),
        (codecs.BOM_UTF16_BE, "UTF-16"),
    ):
        if data.startswith(bom):
            return name
    return None


def convert_hint(name: str, encoding: str | None, *, option: str | None = None) -> str:
    """``convert the file to UTF-8: iconv -f gb18030 -t utf-8 in.jsonl > in.utf8.jsonl`` (plus
    ``or read it as it is with --encoding gb18030`` when the command has such an ``option``)."""
    if encoding is None:
        return "convert the file to UTF-8 (e.g. save it as UTF-8 in your editor)"
    src = "gb18030" if encoding.startswith("GB") else encoding.lower()
    shown = name if name != "<stdin>" else "IN"
    p = Path(shown)
    target = p.with_name(p.stem + ".utf8" + p.suffix)
    hint = f"convert the file to UTF-8: iconv -f {src} -t utf-8 {shown} > {target}"
    if option:
        hint += f" (or read it as it is with {option} {src})"
    return hint
