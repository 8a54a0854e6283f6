"""YAML reading for the files under ``rules/``: PyYAML's C loader for speed, and on failure the
line of the offending node (the same C parser's node tree, which keeps every node's position) so
errors say ``file:line``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import RuleFileError
from .memo import note_read

__all__ = ["plain_validation_message", "read_yaml", "where", "yaml_line"]

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

MAX_YAML_BYTES = 4 * 1024 * 1024
"""Largest rule or rulebook file read (the bundled lexicon is about 0.1 MB): a bigger file is
refused before it is parsed."""


class _DuplicateKey(Exception):
    def __init__(self, key: Any, first: int, again: int) -> None:
        self.key, self.first, self.again = key, first, again


class _Alias(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _Loader(_Base):  # type: ignore[misc]
    """PyYAML's (C) safe loader, stricter: a key twice in one mapping and aliases (``*name``) are
    errors. PyYAML silently keeps the last of two equal keys, and aliases let a few lines expand
    into gigabytes (an "alias bomb"); rule files need neither."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _Alias(node.start_mark.line + 1)
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = (key_node.tag, key_node.value)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise _DuplicateKey(key_node.value, seen[key], line)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _timestamp_as_text(loader: Any, node: Any) -> str:
    """Dates stay text (``2024-03-01``): the files need no date objects, and an impossible date
    (``2024-13-01``) must be a clear error of the field that holds it, not a crash in the parser."""
    return str(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


# ── YAML reading with line numbers on failure ────────────────────────────────────────────────
def read_yaml(path: str | Path) -> tuple[Any, str]:
    """Parse a YAML file with PyYAML's C loader, strictly.

    Returns:
        (data, text): the parsed document and the file's text.

    Raises:
        RuleFileError: the file is missing, larger than :data:`MAX_YAML_BYTES`, not UTF-8 (with the
            line and byte offset), not valid YAML (with the line), holds a key twice in one
            mapping (both lines), or uses an alias (``*name``).
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise RuleFileError(
                f"{size:,} bytes, more than the {MAX_YAML_BYTES:,} a rule file may have; split it or "
                "check it is the file you meant",
                path=path,
            )
        data = path.read_bytes()
        note_read(path, data)
    except FileNotFoundError:
        raise RuleFileError("file not found", path=path) from None
    except OSError as exc:
        raise RuleFileError(f"cannot read: {exc.strerror}", path=path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = data[: exc.start].count(b"\n") + 1
        raise RuleFileError(
            f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} ({exc.reason}); "
            "save the file as UTF-8",
            path=path,
            line=bad_line,
        ) from None
    try:
        return yaml.load(text, Loader=_Loader), text
    except _DuplicateKey as exc:
        raise RuleFileError(
            f"key {str(exc.key)[:60]!r} appears twice in one mapping (first at line {exc.first}); "
            "YAML would silently keep the second: merge them or rename one",
            path=path,
            line=exc.again,
        ) from None
    except _Alias as exc:
        raise RuleFileError(
            "YAML aliases (*name, <<: *name) are not allowed in rule files; write the value out",
            path=path,
            line=exc.line,
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        context = exc.context or ""
        if exc.context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
            context = f"{exc.context} (started at line {exc.context_mark.line + 1})"
        what = " ".join(str(s) for s in (context, exc.problem) if s)[:300]
        raise RuleFileError(
            f"YAML syntax error: {what}; fix the file's syntax", path=path, line=line
        ) from None
    except yaml.YAMLError as exc:
        raise RuleFileError(f"YAML error: {str(exc)[:300]}", path=path) from None


def yaml_line(path: str | Path, keys: tuple[Any, ...]) -> int | None:
    """1-based line of the node reached by ``keys`` (mapping keys / sequence indexes) in a YAML file.

    Slow path only: used to point an error at the offending entry. The file is composed (parsed to
    nodes, not to Python values) by PyYAML's C parser, whose nodes carry their start positions; the
    tree is kept for the file's current size and modification time, so many lookups in one file
    parse it once. Returns the deepest line found (an item's line for a sequence index, a key's
    line for a mapping key), or None if the file cannot be read or parsed.
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return None
    node = _line_tree(str(p.resolve()), st.st_mtime_ns, st.st_size)
    line: int | None = None
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            pair = next(
                ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(key)),
                None,
            )
            if pair is None:
                break
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if not -len(node.value) <= key < len(node.value):
                break
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


@lru_cache(maxsize=8)
def _line_tree(path: str, mtime_ns: int, size: int) -> yaml.Node | None:
    """The composed node tree of a file (cached per path, mtime and size), or None."""
    del mtime_ns, size  # cache key only
    try:
        node: yaml.Node | None = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=_Base)
    except Exception:  # the strict loader already judged the file; never mask the real error
        return None
    return node


def where(keys: tuple[Any, ...]) -> str:
    """A YAML path for people: ``("departments", 0, "clauses", 1)`` → ``departments #1 clauses #2``
    (items counted from 1, as a reader counts the ``-`` lines)."""
    return " ".join(f"#{k + 1}" if isinstance(k, int) else str(k) for k in keys)


_JSON_TYPE = {
    "NoneType": "nothing",
    "str": "text",
    "int": "a number",
    "float": "a number",
    "bool": "true/false",
    "list": "a list",
    "tuple": "a list",
    "dict": "a mapping",
}


def plain_validation_message(err: Mapping[str, Any], fields: tuple[str, ...] = ()) -> str:
    """One pydantic error (``ValidationError.errors()`` item) as a plain sentence with what to do.

    Args:
        err: the error dict (``type``, ``loc``, ``msg``, ``input``, ``ctx``).
        fields: the field names the model accepts, for "unknown field" suggestions.
    """
    kind = err.get("type", "")
    value = err.get("input")
    got = _JSON_TYPE.get(type(value).__name__, type(value).__name__)
    ctx = err.get("ctx") or {}
    loc = _loc_keys(tuple(err.get("loc") or ()))
    last = loc[-1] if loc else ""
    if kind == "missing":
        return f"missing {last!r}; add it"
    if value is None and kind.endswith(("_type", "_parsing")):
        return "empty value (a '-' or 'key:' with nothing after it); write the value or delete the line"
    if kind in ("string_type",):
        return f"expected text, got {got} {value!r}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {got} {value!r}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {value!r}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list (one '- item' per line), got {got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping (key: value lines), got {got}"
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return f"must be at least {bound}, got {value!r}"
    if kind in ("enum", "literal_error"):
        return f"expected one of {ctx.get('expected', '…')}, got {value!r}"
    if kind == "extra_forbidden":
        from rapidfuzz import process

        close = [c for c, score, _ in process.extract(str(last), fields, limit=1) if score >= 60]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = f" (known: {', '.join(fields)})" if fields else ""
        return f"unknown field {last!r}{hint}{known}"
    return str(err.get("msg", "invalid value"))


def _loc_keys(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(k for k in loc if isinstance(k, (int, str)))
