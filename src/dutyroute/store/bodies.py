"""Reading ``rules/bodies.yaml`` into a :class:`~dutyroute.model.bodies.BodyRegistry`.

Example::

    >>> from dutyroute.store.bodies import load_bodies
    >>> load_bodies().resolve("县农业农村局和水利局").name
    '县农业农村和水务局'
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import RuleFileError
from ..model.bodies import BodyRegistry
from ..model.lists import Body
from .memo import memoized
from .resources import rules_dir
from .yamlio import plain_validation_message, read_yaml, where, yaml_line

__all__ = ["load_bodies"]


def _parse_bodies(data: Any, path: Path, lines: dict[str, int]) -> list[Body]:
    if not isinstance(data, dict) or not isinstance(data.get("bodies"), list):
        raise RuleFileError("expected a mapping with a 'bodies:' list at the top", path=path, line=1)
    out: list[Body] = []
    for index, entry in enumerate(data["bodies"]):
        try:
            if isinstance(entry, dict) and isinstance(entry.get("aliases"), list):
                entry = {**entry, "aliases": tuple(entry["aliases"])}
            out.append(Body.model_validate(entry))
        except ValidationError as exc:
            errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
            err = errors[0]
            loc = tuple(k for k in err["loc"] if isinstance(k, (int, str)))
            at = loc[:-1] if err["type"] in ("missing", "extra_forbidden") else loc
            line = yaml_line(path, ("bodies", index, *at)) or yaml_line(path, ("bodies", index))
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            field = f"{where(at)}: " if at else ""
            name = entry.get("name") if isinstance(entry, dict) else None
            what = f"body entry #{index + 1}" + (f" ({name})" if isinstance(name, str) else "")
            message = plain_validation_message(err, tuple(Body.model_fields))
            raise RuleFileError(f"{what}: {field}{message}{more}", path=path, line=line) from None
    return out


def _body_lines(text: str) -> dict[str, int]:
    """Line of each ``- id: X`` entry: a cheap scan, exact for files in this module's format."""
    out: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("- id:"):
            out.setdefault(stripped[5:].split("#", 1)[0].strip().strip("'\""), number)
    return out


def load_bodies(path: str | Path | None = None) -> BodyRegistry:
    """Read a bodies file (default: the bundled ``rules/bodies.yaml``).

    Args:
        path: a ``bodies.yaml`` file; None for the bundled one (read once, then cached).

    Returns:
        BodyRegistry over every body in the file.

    Raises:
        RuleFileError: the file is missing, is not valid YAML (with its line), or an entry is
            malformed or duplicates another's id, name or alias (with the entry's line).
    """
    if path is None:
        return _bundled_bodies()
    return _load_bodies(Path(path))


@lru_cache(maxsize=1)
def _bundled_bodies() -> BodyRegistry:
    return _load_bodies(rules_dir() / "bodies.yaml")


@memoized
def _load_bodies(path: Path) -> BodyRegistry:
    data, text = read_yaml(path)
    lines = _body_lines(text)
    return BodyRegistry(_parse_bodies(data, path, lines), path=path, lines=lines)
