"""Cell contents of the official lists → clauses and per-body duty blocks.

A cell is a fragment of the original web table: ``<p>``, ``<ol style=…>`` (often unclosed),
numbered clauses (``1. …； 2. …``, also ``1、``), unnumbered ``<ol>`` items separated by ``； ``,
and per-body blocks introduced by a header (``县市场监督管理局：``, joint
``县规划和自然资源局、县农业农村和水务局：``). Clause texts are kept exactly as written except:
HTML tags and entities removed, numbering removed, whitespace runs collapsed to one space, and the
separator ``；`` at a clause's end dropped.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from ..errors import ListFormatError
from ..model.bodies import BodyRegistry, looks_like_body
from ..model.lists import Body

__all__ = ["Block", "clean_text", "split_blocks", "split_clauses", "split_receiver_blocks"]

BOUNDARY = "\n"  # what a tag becomes: a paragraph / list-item boundary

_TAG = re.compile(r"<[^<>]*>")
_UNCLOSED_TAG = re.compile(r"<[a-zA-Z/][^<>]*$")
_HSPACE = re.compile(r"[ \t\r\f\v\u00a0\u3000\u2002\u2003\u2009\u200b]+")
_ANY_SPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\s*\n\s*")
# A header: a name ending in "：", at the start of the text or of a paragraph, or after a space or
# a sentence end. The name has no sentence punctuation (it may have "、" between joint names).
_HEADER = re.compile(r"(?:^|(?<=[\s。；;]))([^\s：:，,。；;<>]{2,80})[：:]")
# A clause number: "1." "1．" "1、" "1）" at the start or after a space, sentence end or label.
_NUMBER = re.compile(r"(?:^|(?<=[\s。；;：:]))(\d{1,2})\s*[.．、)）](?!\d)\s*")
_ITEM_SEP = re.compile(r"[；;](?=\s|$)|\n")
_TRAILING_SEP = re.compile(r"[\s；;]+$")


def clean_text(cell: str) -> str:
    """Cell text with tags turned into line boundaries, entities decoded, spaces collapsed.

    Removing a tag or decoding an entity can form a new one (``<<p>>`` → ``<\n>``,
    ``&amp;lt;p&amp;gt;`` → ``&lt;p&gt;``), so the steps repeat until the text no longer changes:
    cleaning is idempotent (``clean_text(clean_text(s)) == clean_text(s)``). A round that changes
    the text shortens it or only turns odd spaces into plain ones, so this ends.

    Returns:
        The text, each paragraph or list item on its own line, no blank lines, no edge spaces.
    """
    text = cell
    while True:
        step = _TAG.sub(BOUNDARY, text)
        step = _UNCLOSED_TAG.sub(BOUNDARY, step)  # a tag cut off at the end of a cell
        step = html.unescape(step)
        step = _HSPACE.sub(" ", step)
        step = _BLANK_LINES.sub(BOUNDARY, step).strip()
        if step == text:
            return step
        text = step


def _squash(text: str) -> str:
    return _ANY_SPACE.sub(" ", text).strip()


def _numbered_spans(text: str) -> list[tuple[int, int]]:
    """(marker start, clause start) of each clause number 1, 2, 3 … in sequence, or [] if none.

    Numbers must run 1, 2, 3 …; a digit that is not the next expected number is clause text
    ("第3条", "24小时"). A "1." after the list has started begins a new run only at a line start.
    """
    spans: list[tuple[int, int]] = []
    expected = 1
    for m in _NUMBER.finditer(text):
        n = int(m.group(1))
        if n == expected:
            spans.append((m.start(), m.end()))
            expected += 1
        elif n == 1 and spans and (m.start() == 0 or text[m.start() - 1] == BOUNDARY):
            spans.append((m.start(), m.end()))
            expected = 2
    return spans


def split_clauses(text: str) -> list[str]:
    """Clauses of a block body (already :func:`clean_text`-ed, header removed).

    Numbered text (``1. …； 2. …``) splits at the numbers only, so a ``；`` inside a numbered
    clause stays in it. Unnumbered text splits at paragraph/list-item boundaries and at a ``；``
    followed by a space (how the export joined ``<li>`` items); a ``；`` directly followed by text
    stays inside its clause.

    Returns:
        Non-empty clause texts in order, whitespace collapsed, trailing ``；`` removed.
    """
    spans = _numbered_spans(text)
    pieces: list[str] = []
    if spans:
        head = text[: spans[0][0]]
        if head.strip():
            pieces.extend(_ITEM_SEP.split(head))
        for i, (_, start) in enumerate(spans):
            end = spans[i + 1][0] if i + 1 < len(spans) else len(text)
            pieces.append(text[start:end])
    else:
        pieces = _ITEM_SEP.split(text)
    out = []
    for piece in pieces:
        clause = _TRAILING_SEP.sub("", _squash(piece))
        if clause:
            out.append(clause)
    return out


@dataclass
class Block:
    """One header and the clauses under it.

    Attributes:
        bodies: the bodies the header names (several for a joint header); [] for text before any
            header.
        header: the header as written (without the colon).
        clauses: the clauses under it.
    """

    bodies: list[Body]
    header: str
    clauses: list[str] = field(default_factory=list)


def _header_bodies(
    name: str, registry: BodyRegistry, *, path: str, line: int, context: str
) -> list[Body] | None:
    """Bodies a header candidate names, None if it is a clause label, error if it is a misspelt body."""
    parts = [p for p in name.split("、") if p]
    found = [registry.get(p) for p in parts]
    if parts and all(b is not None for b in found):
        return [b for b in found if b is not None]
    if any(looks_like_body(p) for p in parts):
        # Reads like a body but is not one: a misspelling, or a body missing from bodies.yaml.
        bad = next(p for p, b in zip(parts, found, strict=True) if b is None)
        registry.resolve(bad, path=path, line=line, context=context)
    return None


def split_blocks(cell: str, registry: BodyRegistry, *, path: str, line: int, context: str) -> list[Block]:
    """Split a duty cell into blocks, one per body header, in order.

    A header is a known body name (or several joined by ``、``) followed by ``：`` at the start of a
    paragraph or after a sentence end. A label that is not a body (C70's ``建立指挥体系：``) stays
    clause text. Text before the first header comes back as a block with ``bodies == []``.

    Raises:
        UnknownBodyError: a header reads like a body name (``县农业局：``) but resolves to none.
    """
    text = clean_text(cell)
    headers: list[tuple[int, int, str, list[Body]]] = []
    for m in _HEADER.finditer(text):
        bodies = _header_bodies(m.group(1), registry, path=path, line=line, context=context)
        if bodies is not None:
            headers.append((m.start(), m.end(), m.group(1), bodies))
    blocks: list[Block] = []
    first = headers[0][0] if headers else len(text)
    if text[:first].strip():
        blocks.append(Block([], "", split_clauses(text[:first])))
    for i, (_, body_start, name, bodies) in enumerate(headers):
        end = headers[i + 1][0] if i + 1 < len(headers) else len(text)
        blocks.append(Block(bodies, name, split_clauses(text[body_start:end])))
    return blocks


_RECEIVER_LABEL = re.compile(r"承接(?:部门|单位)\s*[：:]")
_METHOD_LABEL = re.compile(r"(?:履职|工作)方式\s*[：:]")


@dataclass
class ReceiverBlock:
    """One ``承接部门：… 履职方式：…`` block of a reclaimed matter.

    Attributes:
        names: the receiver text as written (may name several bodies).
        bodies: the bodies it names.
        clauses: the 履职方式 clauses (shared by all ``bodies``).
        labelled: False when the block has no ``履职方式：`` label (R20); the text after the names
            is then taken as the clauses.
    """

    names: str
    bodies: list[Body]
    clauses: list[str]
    labelled: bool = True


def split_receiver_blocks(
    cell: str, registry: BodyRegistry, *, path: str, line: int, context: str
) -> list[ReceiverBlock]:
    """Split a ``承接部门及工作方式`` cell into receiver blocks.

    Each block starts with ``承接部门：<names>``; ``<names>`` ends at ``履职方式：`` (or ``工作方式：``)
    or, when that label is missing, at the first space or paragraph end.

    Raises:
        ListFormatError: no ``承接部门：`` label, or text before the first one.
        UnknownBodyError: a receiver name resolves to no body.
    """
    text = clean_text(cell)
    labels = list(_RECEIVER_LABEL.finditer(text))
    if not labels:
        raise ListFormatError(
            f"{context}: expected '承接部门：<department> 履职方式：<clauses>' in the cell, "
            f"found {_preview(text)!r}",
            path=path,
            line=line,
        )
    if text[: labels[0].start()].strip():
        raise ListFormatError(
            f"{context}: text before the first '承接部门：': {_preview(text[: labels[0].start()])!r}",
            path=path,
            line=line,
        )
    out: list[ReceiverBlock] = []
    for i, label in enumerate(labels):
        end = labels[i + 1].start() if i + 1 < len(labels) else len(text)
        chunk = text[label.end() : end].strip()
        method = _METHOD_LABEL.search(chunk)
        if method:
            names, rest, labelled = chunk[: method.start()].strip(), chunk[method.end() :], True
        else:
            m = re.match(r"(\S+)\s*(.*)$", chunk, re.S)
            names, rest, labelled = (m.group(1), m.group(2), False) if m else ("", "", False)
        if not names:
            raise ListFormatError(
                f"{context}: '承接部门：' block #{i + 1} names no department", path=path, line=line
            )
        bodies = registry.resolve_many(names, path=path, line=line, context=context)
        out.append(ReceiverBlock(names, bodies, split_clauses(rest), labelled))
    return out


def _preview(text: str, limit: int = 40) -> str:
    text = _squash(text)
    return text if len(text) <= limit else text[:limit] + "…"
