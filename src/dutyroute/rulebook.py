"""The rulebook on disk: compile it from a list text, dump it as YAML, load it fast.

Layout of a rulebook directory (``rules/<township key>/``)::

    rulebook.yaml      metadata: jurisdiction, list titles, effective date, source file and its
                       sha256, the bodies file, the content hash, matter counts
    basic.yaml         基本履职事项清单: one block per matter       ┐ written by
    cooperative.yaml   配合履职事项清单: departments' and township   │ `dutyroute compile`;
                       clauses per matter                           │ edit the seed and
    reclaimed.yaml     上级部门收回事项清单: receivers per matter    ┘ recompile
    roles.yaml         which township role acts on each basic matter (maintained by hand)

Body names in these files are canonical names from ``bodies.yaml`` (the file ``rulebook.yaml``
points at, by default ``../bodies.yaml``). ``load_rulebook()`` reads the bundled rulebook of
小京庄乡 with PyYAML's C loader; when something is wrong it re-reads the file with ruamel.yaml's
line-tracking loader so the error says ``file:line``.

Example::

    >>> from dutyroute.rulebook import load_rulebook
    >>> rb = load_rulebook()
    >>> rb.counts()
    {'basic': 111, 'cooperative': 75, 'reclaimed': 51}
    >>> [b.body for b in rb.matter("C40").departments]
    ['县住房和城乡建设管理局', '市生态环境局左云分局', '县公安局']
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .bodies import BodyRegistry, load_bodies
from .errors import ListFormatError, RuleFileError, UnknownBodyError
from .models import Body, BodyKind, DutyBlock, Jurisdiction, ListKind, Matter, Rulebook

__all__ = [
    "FORMAT_VERSION",
    "LIST_FILES",
    "RoleTable",
    "compile_rulebook",
    "dump_rulebook",
    "export_dict",
    "load_roles",
    "load_rulebook",
    "read_yaml",
    "suggest_matters",
    "yaml_line",
]

FORMAT_VERSION = 1
LIST_FILES: dict[ListKind, str] = {
    ListKind.basic: "basic.yaml",
    ListKind.cooperative: "cooperative.yaml",
    ListKind.reclaimed: "reclaimed.yaml",
}
META_FILE = "rulebook.yaml"
ROLES_FILE = "roles.yaml"

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


# ── roles ────────────────────────────────────────────────────────────────────────────────────
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


# ── compile ──────────────────────────────────────────────────────────────────────────────────
def _referenced_bodies(
    matters: list[Matter], registry: BodyRegistry, township: Body | None
) -> tuple[Body, ...]:
    """Bodies of a rulebook, in bodies.yaml order: the township and all its roles, every body and
    unit the matters name, and their parents."""
    ids: set[str] = set()
    if township is not None:
        ids.add(township.id)
        ids.update(b.id for b in registry if b.parent == township.id)
    for m in matters:
        for name in (*m.listed_departments, *(b.body for b in m.departments), *(b.body for b in m.receivers)):
            body = registry.get(name)
            if body is not None:
                ids.add(body.id)
        for block in (*m.departments, *m.receivers):
            if block.unit:
                unit = registry.get(block.unit)
                if unit is not None:
                    ids.add(unit.id)
        if m.role:
            ids.add(m.role)
    for body_id in list(ids):
        parent = registry.by_id(body_id).parent
        while parent:
            ids.add(parent)
            parent = registry.by_id(parent).parent
    return tuple(b for b in registry if b.id in ids)


def compile_rulebook(
    seed_path: str | Path,
    *,
    township: str | None = None,
    province: str | None = None,
    effective_date: str | None = None,
    bodies: BodyRegistry | str | Path | None = None,
    roles: str | Path | None = None,
) -> Rulebook:
    """Compile an official list text into a rulebook.

    Args:
        seed_path: the list text (tab-separated export of the three lists).
        township: the township the lists must belong to, e.g. ``小京庄乡``; checked against the
            list titles (None: take it from the titles).
        province: province name (the titles name only city, county and township), e.g. ``山西省``.
        effective_date: ISO date the lists took effect, if known.
        bodies: a registry or a ``bodies.yaml`` path (default: the bundled one).
        roles: a ``roles.yaml`` to apply to the basic matters, if any.

    Returns:
        Rulebook with every matter of the three lists, in list order.

    Raises:
        ListFormatError: the text cannot be parsed (see :func:`dutyroute.ingest.parse_lists`), or its
            titles name another township.
        UnknownBodyError: a name in the lists or in ``roles`` resolves to no body.
        RuleFileError: ``bodies`` or ``roles`` is malformed.
    """
    from .ingest import read_lists

    registry = bodies if isinstance(bodies, BodyRegistry) else load_bodies(bodies)
    parsed = read_lists(seed_path, registry=registry, township=township)
    jur = parsed.jurisdiction
    if township is not None and township != jur.township:
        first = min(parsed.title_lines.values())
        raise ListFormatError(
            f"the list titles name {jur.township!r}, not {township!r}; pass --township {jur.township}",
            path=seed_path,
            line=first,
        )
    town = registry.get(jur.township)
    if town is None or town.kind is not BodyKind.township:
        raise UnknownBodyError(
            jur.township,
            registry.suggest(jur.township),
            path=registry.path,
            context="the township of the list titles (add it to bodies.yaml with kind: township)",
        )
    if province is not None:
        jur = jur.model_copy(update={"province": province})
    matters = parsed.matters
    if roles is not None:
        matters = load_roles(roles, registry).apply(matters)
    seed_bytes = Path(seed_path).read_bytes()
    return Rulebook(
        jurisdiction=jur,
        list_titles=parsed.list_titles,
        effective_date=effective_date,
        source=parsed.source,
        source_sha256=hashlib.sha256(seed_bytes).hexdigest(),
        bodies=_referenced_bodies(matters, registry, town),
        matters=tuple(matters),
    )


# ── dump ─────────────────────────────────────────────────────────────────────────────────────
def _dump(data: Any) -> str:
    return yaml.dump(
        data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000, default_flow_style=False
    )


def _block_dict(block: DutyBlock) -> dict[str, Any]:
    out: dict[str, Any] = {"body": block.body}
    if block.unit:
        out["unit"] = block.unit
    if block.as_written:
        out["as_written"] = block.as_written
    out["clauses"] = list(block.clauses)
    return out


def _matter_dict(m: Matter) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": m.id,
        "seq": m.seq,
        "category": m.category,
        "title": m.title,
        "source_line": m.source_line,
    }
    if m.list is ListKind.cooperative:
        out["listed_departments"] = list(m.listed_departments)
        out["departments"] = [_block_dict(b) for b in m.departments]
        out["township_clauses"] = list(m.township_clauses)
    elif m.list is ListKind.reclaimed:
        out["receivers"] = [_block_dict(b) for b in m.receivers]
    else:  # fields that do not apply to a basic matter are written only if someone set them
        if m.listed_departments:
            out["listed_departments"] = list(m.listed_departments)
        if m.departments:
            out["departments"] = [_block_dict(b) for b in m.departments]
        if m.township_clauses:
            out["township_clauses"] = list(m.township_clauses)
        if m.receivers:
            out["receivers"] = [_block_dict(b) for b in m.receivers]
    return out


def _list_file_text(rb: Rulebook, kind: ListKind) -> str:
    title = rb.list_titles.get(kind, "")
    head = (
        f"# {title or kind.label}\n"
        f"# Compiled by `dutyroute compile` from seeds/{rb.source}:\n"
        "# edit the seed (or bodies.yaml) and recompile, not this file.\n"
        "# One block per matter; source_line is the row's line in the seed.\n"
    )
    parts = [head, _dump({"list": kind.value, "title": title}), "matters:\n"]
    for m in rb.matters:
        if m.list is kind:
            parts.append("\n" + _dump([_matter_dict(m)]))
    return "".join(parts)


def _meta_text(rb: Rulebook, bodies_ref: str) -> str:
    meta = {
        "format": FORMAT_VERSION,
        "jurisdiction": rb.jurisdiction.model_dump(mode="json"),
        "list_titles": {k.value: rb.list_titles[k] for k in ListKind if k in rb.list_titles},
        "effective_date": rb.effective_date,
        "source": {"file": rb.source, "sha256": rb.source_sha256 or None},
        "bodies": bodies_ref,
        "hash": rb.hash,
        "counts": rb.counts(),
    }
    head = (
        f"# Rulebook of {rb.jurisdiction.city}{rb.jurisdiction.county}{rb.jurisdiction.township}: metadata.\n"
        "# hash: content hash of the rulebook as loaded (lists + roles + bodies);\n"
        "# every decision reports it.\n"
        "# Written by `dutyroute compile`; province and effective_date are kept across recompiles.\n"
    )
    return head + _dump(meta)


def _roles_text(rb: Rulebook) -> str:
    entries = {m.id: {"role": m.role, "reason": "as dumped"} for m in rb.matters if m.role}
    head = "# Township role acting on each basic matter (written by dump_rulebook; add reasons).\n"
    return head + _dump({"township": rb.jurisdiction.township, "matters": entries})


def _bodies_ref(out: Path, bodies: str | Path | None) -> str:
    """How rulebook.yaml in ``out`` refers to its bodies file: relative when possible."""
    import os

    if bodies is None:
        if (out.parent / "bodies.yaml").exists():
            return "../bodies.yaml"
        from ._resources import rules_dir

        bodies = rules_dir() / "bodies.yaml"
    target = Path(bodies).resolve()
    try:
        return Path(os.path.relpath(target, out.resolve())).as_posix()
    except ValueError:  # another drive (Windows)
        return target.as_posix()


def dump_rulebook(rb: Rulebook, out_dir: str | Path, *, bodies: str | Path | None = None) -> list[Path]:
    """Write a rulebook as reviewable YAML: ``rulebook.yaml`` + one file per list.

    Output is stable: the same rulebook always gives the same bytes (list order, fixed key order,
    one matter per block). A ``roles.yaml`` already in ``out_dir`` is maintained by hand and never
    overwritten; if there is none and the matters carry roles, one is written so nothing is lost.

    Args:
        rb: the rulebook.
        out_dir: the rulebook directory (created if missing).
        bodies: the bodies file the rulebook's names come from, recorded in ``rulebook.yaml`` as
            a path relative to ``out_dir``; default ``out_dir/../bodies.yaml`` if it exists, else
            the bundled ``rules/bodies.yaml``.

    Returns:
        The files written.

    Raises:
        RuleFileError: an existing ``roles.yaml`` in ``out_dir`` assigns different roles than ``rb``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bodies_ref = _bodies_ref(out, bodies)
    written: list[Path] = []
    roles_path = out / ROLES_FILE
    if roles_path.exists():
        registry = load_bodies((out / bodies_ref).resolve())
        table = load_roles(roles_path, registry)
        for m in rb.matters:
            want = table.role_for(m) if m.list is ListKind.basic else None
            if want != m.role:
                raise RuleFileError(
                    f"{m.id}: the rulebook's role is {m.role!r} but roles.yaml gives {want!r}; "
                    "compile with roles= this roles.yaml, or edit it",
                    path=roles_path,
                    line=table.lines.get(("matter", m.id)) or table.lines.get(("category", m.category)),
                )
    elif any(m.role for m in rb.matters):
        roles_path.write_text(_roles_text(rb), encoding="utf-8")
        written.append(roles_path)
    for kind, name in LIST_FILES.items():
        if kind in rb.list_titles or any(m.list is kind for m in rb.matters):
            path = out / name
            path.write_text(_list_file_text(rb, kind), encoding="utf-8")
            written.append(path)
    meta = out / META_FILE
    meta.write_text(_meta_text(rb, bodies_ref), encoding="utf-8")
    written.append(meta)
    return written


# ── export ───────────────────────────────────────────────────────────────────────────────────
def export_dict(rb: Rulebook) -> dict[str, Any]:
    """The whole rulebook as JSON-ready data (what ``dutyroute export --format json`` prints).

    Shape::

        {"jurisdiction": {"province", "city", "county", "township", "key"},
         "hash": "sha256:…", "list_titles": {"basic": …}, "effective_date": null | "YYYY-MM-DD",
         "source": {"file", "sha256"}, "counts": {"basic": 111, "cooperative": 75, "reclaimed": 51},
         "bodies": [{"id", "name", "kind", "aliases", "parent"}],
         "matters": [{"id": "C40", "list": "cooperative", "seq": 40, "category", "title",
                      "basis": "《…配合履职事项清单》第40项 噪声污染防治",
                      "listed_departments": [name, …],
                      "departments": [{"body": name, "unit": name | null, "as_written", "clauses": […]}],
                      "township_clauses": […],
                      "receivers": [{"body", "unit", "as_written", "clauses"}],
                      "role": body id | null, "role_name": name | null,
                      "source_line": 242}]}

    Every list field is present on every matter (empty where it does not apply); body names are
    canonical.
    """
    names = {b.id: b.name for b in rb.bodies}

    def block(b: DutyBlock) -> dict[str, Any]:
        return {
            "body": b.body,
            "unit": b.unit,
            "as_written": b.as_written or b.body,
            "clauses": list(b.clauses),
        }

    return {
        "jurisdiction": rb.jurisdiction.model_dump(mode="json"),
        "hash": rb.hash,
        "list_titles": {k.value: v for k, v in rb.list_titles.items()},
        "effective_date": rb.effective_date,
        "source": {"file": rb.source, "sha256": rb.source_sha256 or None},
        "counts": rb.counts(),
        "bodies": [
            {"id": b.id, "name": b.name, "kind": b.kind.value, "aliases": list(b.aliases), "parent": b.parent}
            for b in rb.bodies
        ],
        "matters": [
            {
                "id": m.id,
                "list": m.list.value,
                "seq": m.seq,
                "category": m.category,
                "title": m.title,
                "basis": rb.basis(m),
                "listed_departments": list(m.listed_departments),
                "departments": [block(b) for b in m.departments],
                "township_clauses": list(m.township_clauses),
                "receivers": [block(b) for b in m.receivers],
                "role": m.role,
                "role_name": names.get(m.role) if m.role else None,
                "source_line": m.source_line,
            }
            for m in rb.matters
        ],
    }


# ── lookups ──────────────────────────────────────────────────────────────────────────────────
_ID_SHAPE = re.compile(r"^[A-Za-z]?\d*$")


def suggest_matters(rb: Rulebook, value: str, limit: int = 3) -> list[str]:
    """Matters close to what a caller typed, as ``"C40 噪声污染防治"`` strings, best first.

    An id-like value (``C999``, ``c4``) is compared with the matter ids; anything else
    (``噪声污染防治``, ``烧秸秆``) with the titles (rapidfuzz WRatio, 0–100, at least 60).

    Returns:
        Up to ``limit`` suggestions; empty when nothing is close.
    """
    from rapidfuzz import fuzz, process

    by_id = {m.id: m for m in rb.matters}
    value = value.strip()
    if _ID_SHAPE.match(value):
        same_list = [i for i in by_id if value[:1].isalpha() and i[0] == value[0].upper()]
        hits = process.extract(
            value.upper(), same_list or list(by_id), scorer=fuzz.ratio, limit=limit, score_cutoff=50
        )
        ids = [c for c, _s, _i in hits]
    else:
        titles = {m.id: m.title for m in rb.matters}
        hits = process.extract(value, titles, scorer=fuzz.WRatio, limit=limit, score_cutoff=60)
        ids = [str(key) for _title, _s, key in hits]
    return [f"{i} {_short(by_id[i].title)}" for i in ids]


def _short(title: str, most: int = 24) -> str:
    return title if len(title) <= most else title[: most - 1] + "…"


# ── load ─────────────────────────────────────────────────────────────────────────────────────
def _resolve_rulebook_dir(path: str | Path | None) -> Path:
    if path is None:
        from ._resources import DEFAULT_TOWNSHIP, rules_dir

        return rules_dir() / DEFAULT_TOWNSHIP
    p = Path(path)
    if p.is_file() and p.name == META_FILE:
        return p.parent
    if p.is_dir():
        if not (p / META_FILE).exists():
            subs = sorted(d.name for d in p.iterdir() if (d / META_FILE).exists())
            hint = f"; rulebooks inside: {', '.join(subs)}" if subs else ""
            raise RuleFileError(f"not a rulebook directory (no {META_FILE}){hint}", path=p)
        return p
    if p.suffix == ".txt":
        raise RuleFileError(
            "this is a list text, not a compiled rulebook; run `dutyroute compile` on it first "
            "(or use compile_rulebook())",
            path=p,
        )
    raise RuleFileError(f"no rulebook here (expected a directory holding {META_FILE})", path=p)


def _validation_error(exc: Exception, path: Path, keys: tuple[Any, ...], what: str) -> RuleFileError:
    """The first pydantic error as ``file:line: <what>: <field path>: <plain message>``, pointing at
    the offending node (the item or key itself, not its enclosing block)."""
    from pydantic import ValidationError

    assert isinstance(exc, ValidationError)
    # a misspelt key shows up twice (unknown 'titel', missing 'title'): name the misspelling first
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    err = errors[0]
    loc = _loc_keys(tuple(err["loc"]))
    line = yaml_line(path, keys + loc)
    if err["type"] == "missing":
        line = yaml_line(path, keys + loc[:-1]) or line
    fields = _model_fields(exc.title)
    field = where(loc[:-1] if err["type"] in ("missing", "extra_forbidden") else loc)
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    prefix = f"{what}: {field}: " if field else f"{what}: "
    return RuleFileError(
        f"{prefix}{plain_validation_message(err, _fields_at(fields, loc))}{more}",
        path=path,
        line=line,
    )


def _model_fields(title: str) -> tuple[str, ...]:
    from pydantic import BaseModel

    models: dict[str, type[BaseModel]] = {
        "Matter": Matter,
        "Body": Body,
        "Jurisdiction": Jurisdiction,
        "DutyBlock": DutyBlock,
    }
    model = models.get(title)
    return tuple(model.model_fields) if model is not None else ()


def _fields_at(fields: tuple[str, ...], loc: tuple[Any, ...]) -> tuple[str, ...]:
    """The field names accepted where ``loc`` points (a duty block's inside a matter's blocks)."""
    if len(loc) >= 3 and loc[0] in ("departments", "receivers"):
        return tuple(DutyBlock.model_fields)
    return fields


def _canonical(name: Any, registry: BodyRegistry, path: Path, keys: tuple[Any, ...], context: str) -> str:
    if not isinstance(name, str) or not name.strip():
        shown = "nothing" if name is None or name == "" else f"{_JSON_TYPE.get(type(name).__name__, '?')}"
        raise RuleFileError(
            f"matter {context}: {where(keys[2:])}: expected a body name, got {shown}; "
            "write the body's canonical name (rules/bodies.yaml)",
            path=path,
            line=yaml_line(path, keys),
        )
    body = registry.get(name)
    if body is None:
        raise UnknownBodyError(
            name,
            registry.suggest(name),
            path=path,
            line=yaml_line(path, keys),
            context=f"{context} {keys[2]}" if len(keys) > 2 else context,
        )
    return body.name


def _load_list(path: Path, kind: ListKind, registry: BodyRegistry) -> tuple[str, list[Matter]]:
    from pydantic import ValidationError

    data, _text = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("matters"), list):
        raise RuleFileError(
            "expected a mapping with 'list:', 'title:' and a 'matters:' list", path=path, line=1
        )
    if data.get("list") != kind.value:
        raise RuleFileError(
            f"list: {data.get('list')!r}, expected {kind.value!r} for {path.name}",
            path=path,
            line=yaml_line(path, ("list",)),
        )
    out: list[Matter] = []
    for i, entry in enumerate(data["matters"]):
        keys: tuple[Any, ...] = ("matters", i)
        if not isinstance(entry, dict):
            raise RuleFileError(f"matter #{i + 1} is not a mapping", path=path, line=yaml_line(path, keys))
        entry = dict(entry)
        mid = entry.get("id", f"#{i + 1}")
        entry["list"] = kind.value
        if "listed_departments" in entry and isinstance(entry["listed_departments"], list):
            entry["listed_departments"] = tuple(
                _canonical(n, registry, path, (*keys, "listed_departments", j), f"{mid}")
                for j, n in enumerate(entry["listed_departments"])
            )
        for field in ("departments", "receivers"):
            blocks = entry.get(field)
            if isinstance(blocks, list):
                fixed = []
                for j, block in enumerate(blocks):
                    if isinstance(block, dict) and "body" in block:
                        block = dict(block)
                        block["body"] = _canonical(
                            block["body"], registry, path, (*keys, field, j, "body"), f"{mid}"
                        )
                        if block.get("unit") is not None:
                            block["unit"] = _canonical(
                                block["unit"], registry, path, (*keys, field, j, "unit"), f"{mid}"
                            )
                        if isinstance(block.get("clauses"), list):
                            block["clauses"] = tuple(block["clauses"])
                    fixed.append(block)
                entry[field] = tuple(fixed)
        if isinstance(entry.get("township_clauses"), list):
            entry["township_clauses"] = tuple(entry["township_clauses"])
        try:
            out.append(Matter.model_validate(entry))
        except ValidationError as exc:
            raise _validation_error(exc, path, keys, f"matter {mid}") from None
    return str(data.get("title") or ""), out


def _check_ids(matters: list[Matter], path: Path, seen: dict[str, tuple[Path, int]]) -> None:
    """Each matter of one list file: id = list letter + 序号, and no id twice across the lists.

    Raises:
        RuleFileError: at the offending ``id:`` line, naming the first occurrence of a duplicate.
    """
    for i, m in enumerate(matters):
        expected = f"{m.list.letter}{m.seq}"
        if m.id != expected:
            raise RuleFileError(
                f"matter id {m.id!r} does not match its list and 序号 (seq {m.seq}, so expected "
                f"{expected!r}); fix the id or the seq",
                path=path,
                line=yaml_line(path, ("matters", i, "id")),
            )
        if m.id in seen:
            first_path, first_index = seen[m.id]
            first_line = yaml_line(first_path, ("matters", first_index, "id"))
            first = f"{first_path.name}:{first_line}" if first_path != path else f"line {first_line}"
            raise RuleFileError(
                f"duplicate matter id {m.id!r} (first at {first}); each 序号 appears once in its list",
                path=path,
                line=yaml_line(path, ("matters", i, "id")),  # the slow line-tracking parse: errors only
            )
        seen[m.id] = (path, i)


def load_rulebook(path: str | Path | None = None) -> Rulebook:
    """Load a compiled rulebook (default: the bundled one of 大同市左云县小京庄乡).

    Args:
        path: a rulebook directory (or its ``rulebook.yaml``); None for the bundled rulebook,
            which is read once per process and then shared (rulebooks are immutable).

    Returns:
        Rulebook: every matter of the three lists with canonical body names, roles applied from
        ``roles.yaml``, and the bodies it names.

    Raises:
        RuleFileError: a file is missing, not valid YAML, or an entry is malformed — the message
            gives ``file:line``.
        UnknownBodyError: a body name that ``bodies.yaml`` does not know (``file:line`` and the
            closest known names).
    """
    if path is None:
        return _bundled_rulebook()
    return _load(_resolve_rulebook_dir(path))


@lru_cache(maxsize=1)
def _bundled_rulebook() -> Rulebook:
    return _load(_resolve_rulebook_dir(None))


def _load(directory: Path) -> Rulebook:
    from pydantic import ValidationError

    meta_path = directory / META_FILE
    meta, _ = read_yaml(meta_path)
    if not isinstance(meta, dict):
        raise RuleFileError("expected a mapping of rulebook metadata", path=meta_path, line=1)
    version = meta.get("format")
    if version != FORMAT_VERSION:
        raise RuleFileError(
            f"format: {version!r}; this dutyroute reads format {FORMAT_VERSION}: recompile the rulebook",
            path=meta_path,
            line=yaml_line(meta_path, ("format",)),
        )
    bodies_ref = meta.get("bodies") or "../bodies.yaml"
    bodies_path = (directory / str(bodies_ref)).resolve()
    registry = load_bodies(bodies_path) if not _is_bundled(bodies_path) else load_bodies()
    try:
        jur = Jurisdiction.model_validate(meta.get("jurisdiction"))
    except ValidationError as exc:
        raise _validation_error(exc, meta_path, ("jurisdiction",), "jurisdiction") from None
    titles_raw = meta.get("list_titles") or {}
    titles: dict[ListKind, str] = {}
    for key, value in titles_raw.items():
        try:
            titles[ListKind(key)] = str(value)
        except ValueError:
            raise RuleFileError(
                f"list_titles: unknown list {key!r}; expected basic, cooperative, reclaimed",
                path=meta_path,
                line=yaml_line(meta_path, ("list_titles", key)),
            ) from None
    matters: list[Matter] = []
    seen: dict[str, tuple[Path, int]] = {}
    for kind, name in LIST_FILES.items():
        list_path = directory / name
        if kind not in titles and not list_path.exists():
            continue
        title, loaded = _load_list(list_path, kind, registry)
        _check_ids(loaded, list_path, seen)
        if kind not in titles and title:
            titles[kind] = title
        matters.extend(loaded)
    roles_path = directory / ROLES_FILE
    if roles_path.exists():
        matters = load_roles(roles_path, registry).apply(matters)
    source = meta.get("source") or {}
    town = registry.get(jur.township)
    return Rulebook(
        jurisdiction=jur,
        list_titles={k: titles[k] for k in ListKind if k in titles},
        effective_date=meta.get("effective_date"),
        source=str(source.get("file") or "") if isinstance(source, dict) else str(source),
        source_sha256=str(source.get("sha256") or "") if isinstance(source, dict) else "",
        bodies=_referenced_bodies(matters, registry, town),
        matters=tuple(matters),
    )


def _is_bundled(bodies_path: Path) -> bool:
    from ._resources import rules_dir

    try:
        return bodies_path == (rules_dir() / "bodies.yaml").resolve()
    except FileNotFoundError:
        return False


def stored_hash(path: str | Path | None = None) -> str | None:
    """The ``hash:`` recorded in a rulebook directory's ``rulebook.yaml`` (None if absent)."""
    meta, _ = read_yaml(_resolve_rulebook_dir(path) / META_FILE)
    return meta.get("hash") if isinstance(meta, dict) else None
