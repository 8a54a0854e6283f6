"""Which township office (role) acts on each basic matter: ``rules/<township>/roles.yaml``.

Roles are assigned by 事项类别 with per-matter overrides, each override with its reason; the file is
maintained by hand (the lists name no offices).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..errors import RuleFileError, UnknownBodyError
from ..model.bodies import BodyRegistry
from ..model.lists import BodyKind, ListKind, Matter
from .yamlio import read_yaml, yaml_line

__all__ = ["ROLES_FILE", "RoleTable", "load_roles"]

ROLES_FILE = "roles.yaml"


class RoleTable:
    """Which township role acts on each basic matter: ``roles.yaml`` of a rulebook.

    File shape::

        by_category:            # 事项类别 → role (canonical name, alias or id of a township_role body)
          党的建设: {role: 乡党委, reason: "…"}
        matters:                # explicit overrides, each with its reason
          B10: {role: 乡纪委, reason: "监督执纪问责、监察调查处置 is the discipline commission's work"}

    Attributes:
        by_category: category → role body id.
        by_matter: matter id → role body id.
        lines: where each entry is (``("category", name)`` / ``("matter", id)`` → line).
    """

    def __init__(
        self,
        by_category: Mapping[str, str],
        by_matter: Mapping[str, str],
        *,
        path: Path | None = None,
        lines: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        self.by_category = dict(by_category)
        self.by_matter = dict(by_matter)
        self.path = path
        self.lines = dict(lines or {})

    def role_for(self, matter: Matter) -> str | None:
        """Role body id for a basic matter: its override, else its category's role, else None."""
        return self.by_matter.get(matter.id) or self.by_category.get(matter.category)

    def apply(self, matters: list[Matter] | tuple[Matter, ...]) -> list[Matter]:
        """Matters with ``role`` set on every basic matter this table covers.

        Raises:
            RuleFileError: an override names a matter that is not a basic matter of the rulebook.
        """
        basic = {m.id for m in matters if m.list is ListKind.basic}
        for mid in self.by_matter:
            if mid not in basic:
                raise RuleFileError(
                    f"role override for {mid!r}, which is not a basic matter of this rulebook "
                    f"(basic matters are B1…B{len(basic)})",
                    path=self.path,
                    line=self.lines.get(("matter", mid)),
                )
        out = []
        for m in matters:
            role = self.role_for(m) if m.list is ListKind.basic else None
            out.append(m if role == m.role else m.model_copy(update={"role": role}))
        return out


def load_roles(path: str | Path, registry: BodyRegistry) -> RoleTable:
    """Read a ``roles.yaml``.

    Raises:
        RuleFileError: YAML syntax, a malformed entry, an entry without a reason (with line).
        UnknownBodyError: a role that is no body, or a body that is not a township role (with line).
    """
    path = Path(path)
    data, text = read_yaml(path)
    if not isinstance(data, dict):
        raise RuleFileError("expected a mapping with 'by_category:' and 'matters:'", path=path, line=1)
    entry_lines = _entry_lines(text)
    unknown = set(data) - {"township", "by_category", "matters", "notes"}
    if unknown:
        key = sorted(unknown)[0]
        raise RuleFileError(
            f"unknown key {key!r}; expected township, by_category, matters, notes",
            path=path,
            line=yaml_line(path, (key,)),
        )
    tables: dict[str, dict[str, str]] = {"by_category": {}, "matters": {}}
    lines: dict[tuple[str, str], int] = {}
    for section in ("by_category", "matters"):
        entries = data.get(section) or {}
        if not isinstance(entries, dict):
            raise RuleFileError(
                f"'{section}:' must be a mapping", path=path, line=yaml_line(path, (section,))
            )
        for key, entry in entries.items():
            where = (section, key)
            if (
                not isinstance(entry, dict)
                or not entry.get("role")
                or not str(entry.get("reason", "")).strip()
            ):
                raise RuleFileError(
                    f"{section}.{key}: expected {{role: <township role>, reason: <why>}}; "
                    "every role needs a reason",
                    path=path,
                    line=yaml_line(path, where),
                )
            role = str(entry["role"])
            body = registry.get(role) or (registry.by_id(role) if registry.has_id(role) else None)
            if body is None:
                raise UnknownBodyError(
                    role,
                    registry.suggest(role),
                    path=path,
                    line=yaml_line(path, where),
                    context=f"{section}.{key}",
                )
            if body.kind is not BodyKind.township_role:
                raise RuleFileError(
                    f"{section}.{key}: {role!r} is a {body.kind.value}, not a township role",
                    path=path,
                    line=yaml_line(path, where),
                )
            tables[section][str(key)] = body.id
            line = entry_lines.get((section, str(key)))
            if line is not None:
                lines[("category" if section == "by_category" else "matter", str(key))] = line
    return RoleTable(tables["by_category"], tables["matters"], path=path, lines=lines)


def _entry_lines(text: str) -> dict[tuple[str, str], int]:
    """Line of each ``  key:`` entry under a top-level ``section:`` (cheap scan, block style)."""
    out: dict[tuple[str, str], int] = {}
    section = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if not raw[0].isspace():
            section = raw.split(":", 1)[0].strip()
        elif raw.startswith("  ") and not raw[2].isspace() and ":" in raw:
            key = raw[2:].split(":", 1)[0].strip().strip("'\"")
            out.setdefault((section, key), number)
    return out
