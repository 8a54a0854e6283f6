"""Compile a list text into a rulebook, write it as YAML files, export it as one JSON document.

:func:`compile_rulebook` parses the official list text (:mod:`dutyroute.ingest`), resolves every
body through ``bodies.yaml`` and applies ``roles.yaml``; :func:`dump_rulebook` writes the
rulebook folder (``rulebook.yaml`` + one file per list, stable order); :func:`export_dict` gives
the whole rulebook as plain data (``dutyroute export``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from ..errors import ListFormatError, RuleFileError, UnknownBodyError
from ..model.bodies import BodyRegistry
from ..model.lists import BodyKind, DutyBlock, ListKind, Matter, Rulebook
from .bodies import load_bodies
from .layout import FORMAT_VERSION, LIST_FILES, META_FILE
from .roles import ROLES_FILE, load_roles
from .rulebook import _referenced_bodies
from .yamlio import _Dumper

__all__ = ["compile_rulebook", "dump_rulebook", "export_dict"]


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
    from .seeds import read_lists

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
    return str(
        yaml.dump(
            data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000, default_flow_style=False
        )
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
        from .resources import rules_dir

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
