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
小京庄乡 with PyYAML's C loader; when something is wrong it re-reads the file as a node tree (the
same C parser, which keeps each node's line) so the error says ``file:line``.

Example::

    >>> from dutyroute.store.rulebook import load_rulebook
    >>> rb = load_rulebook()
    >>> rb.counts()
    {'basic': 111, 'cooperative': 75, 'reclaimed': 51}
    >>> [b.body for b in rb.matter("C40").departments]
    ['县住房和城乡建设管理局', '市生态环境局左云分局', '县公安局']
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import RuleFileError, UnknownBodyError
from ..model.bodies import BodyRegistry
from ..model.lists import Body, DutyBlock, Jurisdiction, ListKind, Matter, Rulebook
from .bodies import load_bodies
from .layout import FORMAT_VERSION, LIST_FILES, META_FILE, VERSIONS_DIR, pick_rulebook
from .memo import memoized
from .resources import rules_dir
from .roles import ROLES_FILE, load_roles
from .yamlio import _JSON_TYPE, _loc_keys, plain_validation_message, read_yaml, where, yaml_line

__all__ = ["load_rulebook", "stored_hash"]


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


def _resolve_rulebook_dir(path: str | Path | None) -> Path:
    if path is None:
        home = rules_dir()
        return pick_rulebook(home, f"bundled rules directory {home}")
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


@memoized
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
    if not isinstance(bodies_ref, str):
        raise RuleFileError(
            f"bodies: must be a path string, got {bodies_ref!r}",
            path=meta_path,
            line=yaml_line(meta_path, ("bodies",)),
        )
    bodies_path = (directory / bodies_ref).resolve()
    home = directory.resolve().parent
    if home.name == VERSIONS_DIR and (home.parent / META_FILE).exists():
        home = home.parent.parent  # rules/<township>/versions/<v>/: the rules folder is three up
    if not bodies_path.is_relative_to(home) and not _is_bundled(bodies_path):
        raise RuleFileError(
            f"bodies: {bodies_ref!r} reaches outside the rules folder {home} (to {bodies_path}); a rulebook "
            "reads only files of its own rules folder: put bodies.yaml there (../bodies.yaml)",
            path=meta_path,
            line=yaml_line(meta_path, ("bodies",)),
        )
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
        effective_date=_iso_date(meta, meta_path, "effective_from", "effective_date"),
        effective_to=_iso_date(meta, meta_path, "effective_to"),
        source=str(source.get("file") or "") if isinstance(source, dict) else str(source),
        source_sha256=str(source.get("sha256") or "") if isinstance(source, dict) else "",
        bodies=_referenced_bodies(matters, registry, town),
        matters=tuple(matters),
    )


def _iso_date(meta: dict[str, Any], path: Path, *keys: str) -> str | None:
    """The first of ``keys`` present in ``meta``, checked to be an ISO date (YYYY-MM-DD) or null."""
    from datetime import date

    for key in keys:
        if key not in meta:
            continue
        value = meta[key]
        if value is None:
            return None
        text = value.isoformat() if isinstance(value, date) else value
        try:
            if not isinstance(text, str):
                raise ValueError
            date.fromisoformat(text)
        except ValueError:
            raise RuleFileError(
                f"{key}: {value!r} is not a date; write it as YYYY-MM-DD (e.g. 2024-03-01) or null",
                path=path,
                line=yaml_line(path, (key,)),
            ) from None
        return str(text)
    return None


def _is_bundled(bodies_path: Path) -> bool:
    try:
        return bodies_path == (rules_dir() / "bodies.yaml").resolve()
    except FileNotFoundError:
        return False


def stored_hash(path: str | Path | None = None) -> str | None:
    """The ``hash:`` recorded in a rulebook directory's ``rulebook.yaml`` (None if absent)."""
    meta, _ = read_yaml(_resolve_rulebook_dir(path) / META_FILE)
    return meta.get("hash") if isinstance(meta, dict) else None
