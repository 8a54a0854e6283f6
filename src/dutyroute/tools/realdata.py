"""Labels of real citizen messages kept by reference, joined with the messages at evaluation time.

The messages (``../shared/realdata``, public competition data) may not be redistributed, so the
repository holds only labels: one JSON object per line with ``source_file``, ``message_id``,
``accept``, ``clarify`` and ``note`` (``eval/realdata-labels.jsonl``). :func:`read_labeled_messages`
reads the labels and the CSV files they name and gives ordinary labeled cases whose text is the
message's title and body (``留言主题`` and ``留言详情``, one line each).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ..errors import CaseFormatError, InputError
from .evaluate import LabeledCase

__all__ = ["message_text", "read_labeled_messages"]


def message_text(row: dict[str, str]) -> str:
    """The routed text of a message row: its title, then its body."""
    title = (row.get("留言主题") or "").strip()
    body = (row.get("留言详情") or "").strip()
    return f"{title}\n{body}" if title else body


def read_labeled_messages(labels: str | Path, messages: str | Path) -> list[LabeledCase]:
    """Join label lines with the messages they reference.

    Args:
        labels: the labels file (JSON Lines, see the module docstring).
        messages: the folder holding the CSV files (``../shared/realdata``).

    Returns:
        One case per label line (id ``<file stem>:<message id>``), in file order.

    Raises:
        InputError: the messages folder or a CSV it names is missing.
        CaseFormatError: a label line is malformed, or names a message the CSV does not hold.
    """
    labels, messages = Path(labels), Path(messages)
    if not messages.is_dir():
        raise InputError(
            f"messages folder {messages}: not found; the real messages are read from ../shared/realdata"
        )
    rows: dict[str, dict[str, dict[str, str]]] = {}
    out = []
    for n, line in enumerate(labels.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            src, mid = str(rec["source_file"]), str(rec["message_id"])
            accept = rec["accept"]
        except (ValueError, KeyError, TypeError) as exc:
            raise CaseFormatError(f"not a label line ({exc})", path=labels, line=n) from None
        if src not in rows:
            path = messages / src
            if not path.is_file():
                raise InputError(f"{labels}:{n}: {path} not found")
            with path.open(encoding="utf-8", newline="") as fh:
                rows[src] = {r["留言编号"]: r for r in csv.DictReader(fh)}
        row = rows[src].get(mid)
        if row is None:
            raise CaseFormatError(f"message {mid} is not in {src}", path=labels, line=n)
        out.append(
            LabeledCase(
                id=f"{Path(src).stem}:{mid}",
                text=message_text(row),
                accept=tuple(accept),
                clarify=rec.get("clarify"),
                note=str(rec.get("note", "")),
                line=n,
                style="real message",
                source=src,
            )
        )
    return out
