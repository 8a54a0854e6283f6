"""YAML reading for the files under ``rules/``: PyYAML's C loader for speed, and on failure the
line of the offending node (ruamel.yaml's line-tracking loader) so errors say ``file:line``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import RuleFileError

__all__ = ["plain_validation_message", "read_yaml", "where", "yaml_line"]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


# ── YAML reading with line numbers on failure ────────────────────────────────────────────────
def read_yaml(path: str | Path) -> tuple[Any, str]:
    """Parse a YAML file with PyYAML's C loader.

    Returns:
        (data, text): the parsed document and the file's text.

    Raises:
        RuleFileError: the file is missing, not UTF-8, or not valid YAML (with the line).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleFileError("file not found", path=path) from None
    except UnicodeDecodeError as exc:
        raise RuleFileError(f"not UTF-8 ({exc.reason})", path=path) from None
    except OSError as exc:
        raise RuleFileError(f"cannot read: {exc.strerror}", path=path) from None
    try:
        return yaml.load(text, Loader=_Loader), text
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        context = exc.context or ""
        if exc.context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
            context = f"{exc.context} (started at line {exc.context_mark.line + 1})"
        what = " ".join(str(s) for s in (context, exc.problem) if s)
        raise RuleFileError(
            f"YAML syntax error: {what}; fix the file's syntax", path=path, line=line
        ) from None
    except yaml.YAMLError as exc:
        raise RuleFileError(f"YAML error: {exc}", path=path) from None


def yaml_line(path: str | Path, keys: tuple[Any, ...]) -> int | None:
    """1-based line of the node reached by ``keys`` (mapping keys / sequence indexes) in a YAML file.

    Slow path only (ruamel.yaml round-trip loader, which tracks lines): used to point an error at
    the offending entry. The parsed tree is kept for the file's current size and modification
    time, so many lookups in one file parse it once. Returns the deepest line found (an item's
    line for a sequence index, a key's line for a mapping key), or None if the file cannot be read.
    """
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return None
    node = _line_tree(str(p.resolve()), st.st_mtime_ns, st.st_size)
    if node is None:
        return None
    line: int | None = None
    for key in keys:
        lc = getattr(node, "lc", None)
        try:
            if lc is not None:
                if isinstance(key, int):
                    line = lc.item(key)[0] + 1
                else:
                    line = lc.key(key)[0] + 1
            node = node[key]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


@lru_cache(maxsize=8)
def _line_tree(path: str, mtime_ns: int, size: int) -> Any:
    """The ruamel round-trip tree of a file (cached per path, mtime and size), or None."""
    from ruamel.yaml import YAML

    del mtime_ns, size  # cache key only
    try:
        return YAML(typ="rt").load(Path(path).read_text(encoding="utf-8"))
    except Exception:  # the fast loader already accepted the file; never mask the real error
        return None


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
