"""Checks of a rulebook, a list text (seed) or a bodies file, returned as data.

Every check yields :class:`Finding` records; nothing is printed, nothing raised. ``dutyroute lint``
prints them as ``file:line: severity: message`` and exits 1 when any is an error.

Checks (code → severity):

- ``load`` (error): the file cannot be read or parsed at all (YAML syntax, schema, unknown body…);
  the finding carries the loader's own ``file:line``.
- ``list-format`` (error): the list text cannot be parsed (truncated row, wrong cell count,
  unknown list title …).
- ``bad-id`` / ``duplicate-id`` (error): a matter id that is not list letter + 序号, or twice.
- ``numbering-gap`` (warning): 序号 skip a number.
- ``empty-title`` / ``empty-clause`` (error): a matter without 事项名称, a clause with no text.
- ``not-canonical`` (error): a body name in the rulebook that is no canonical name of its bodies
  (an alias or an unknown name); ``unit-parent`` (error): a sub-unit under the wrong body.
- ``listed-without-duties`` / ``duties-without-listing`` (warning): a department in 对应上级部门
  with no duty block, or a duty block for a department not in that column (both kept as written).
- ``receiver-without-clauses`` / ``department-without-clauses`` (warning): a block with no clause.
- ``placeholder`` (info): a placeholder (``其他…相关部门``) named beside real bodies.
- ``no-role`` (warning) / ``role-not-township`` (error): a basic matter without a township role, or
  with a role that is not a township role of this township.
- ``stale-hash`` (warning): ``rulebook.yaml`` records another hash than its content has.
- ``seed-changed`` (warning): the seed next to the rulebook differs from the one it was compiled from.
- ``body-id`` / ``body-parent`` (error), ``unused-body`` (info): bodies-file checks.
- graph invariants (codes of :class:`dutyroute.graph.Violation`, e.g. ``orphan-matter``,
  ``cooperative-township``, ``reclaimed-township-acts``): from :func:`dutyroute.graph.check_graph`.
- ingest notes (``no-header``, ``no-method-label``, ``listed-twice`` …): what the list parser
  noticed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import DutyrouteError, ListFormatError, RuleFileError
from .models import BodyKind, ListKind, Rulebook

__all__ = ["Finding", "Severity", "lint_bodies", "lint_path", "lint_rulebook"]

Severity = Literal["error", "warning", "info"]
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
_ID = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$")


@dataclass(frozen=True)
class Finding:
    """One problem (or remark) found by lint.

    Attributes:
        path: the file it is in (as given or relative to the working directory), or None.
        line: 1-based line in that file, or None.
        severity: ``error`` (must be fixed; lint exits 1), ``warning`` (true and worth a look),
            ``info`` (a remark).
        code: stable kebab-case code (see the module docstring).
        message: one line for people, naming the matter and body.
        matter: matter id (``C40``) it is about, or None.
        body: body name it is about, or None.
    """

    path: str | None
    line: int | None
    severity: Severity
    code: str
    message: str
    matter: str | None = None
    body: str | None = None

    def __str__(self) -> str:
        where = (
            f"{self.path}:{self.line}: " if self.path and self.line else f"{self.path}: " if self.path else ""
        )
        return f"{where}{self.severity}: {self.message} [{self.code}]"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def _display(path: str | Path | None) -> str | None:
    if path is None:
        return None
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _sorted(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for f in sorted(findings, key=lambda f: (f.path or "", f.line or 0, _SEVERITY_ORDER[f.severity])):
        key = (f.path, f.line, f.code, f.matter, f.body, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


class _Locator:
    """Where a matter is: the YAML file and line of its block, or its line in the seed."""

    def __init__(self, rb: Rulebook, path: str | Path | None) -> None:
        self.rb = rb
        self.lines: dict[str, tuple[str | None, int | None]] = {}
        self.default = _display(path)
        p = Path(path) if path is not None else None
        if p is not None and p.is_dir():
            from .rulebook import LIST_FILES

            for kind, name in LIST_FILES.items():
                f = p / name
                if not f.exists():
                    continue
                shown = _display(f)
                for number, raw in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
                    if raw.startswith("- id: "):
                        self.lines.setdefault(raw[6:].strip().strip("'\""), (shown, number))
                del kind
        else:  # a seed (or no file): matters point at their row in the list text
            for m in rb.matters:
                self.lines[m.id] = (self.default, m.source_line)

    def at(self, matter_id: str | None) -> tuple[str | None, int | None]:
        if matter_id is None:
            return self.default, None
        return self.lines.get(matter_id, (self.default, None))


def lint_rulebook(rb: Rulebook, *, path: str | Path | None = None, roles: bool = True) -> list[Finding]:
    """Check a rulebook's content.

    Args:
        rb: the rulebook.
        path: where it came from — a rulebook directory (findings point at the matter's block in
            basic/cooperative/reclaimed.yaml) or a list text (findings point at the matter's row);
            None to report without locations.
        roles: check that every basic matter has a township role (False for a bare seed).

    Returns:
        Findings, errors first within each matter, in matter order. Empty when all is well.
    """
    loc = _Locator(rb, path)
    out: list[Finding] = []

    def add(
        severity: Severity, code: str, message: str, matter: str | None = None, body: str | None = None
    ) -> None:
        where, line = loc.at(matter)
        out.append(Finding(where, line, severity, code, message, matter, body))

    by_name = {b.name: b for b in rb.bodies}
    by_id = {b.id: b for b in rb.bodies}
    township = next((b for b in rb.bodies if b.kind is BodyKind.township), None)
    seen: dict[str, int] = {}
    last_seq: dict[ListKind, int] = {}
    for m in rb.matters:
        expected = f"{m.list.letter}{m.seq}"
        if m.id != expected:
            add("error", "bad-id", f"{m.id}: id does not match its list and 序号 (expected {expected})", m.id)
        if m.id in seen:
            add("error", "duplicate-id", f"{m.id}: matter id appears twice", m.id)
        seen[m.id] = seen.get(m.id, 0) + 1
        prev = last_seq.get(m.list, 0)
        if m.seq != prev + 1 and m.seq > prev:
            add("warning", "numbering-gap", f"{m.id}: 序号 jumps from {prev} to {m.seq}", m.id)
        last_seq[m.list] = max(prev, m.seq)
        if not m.title.strip():
            add("error", "empty-title", f"{m.id}: empty 事项名称", m.id)

        def check_name(name: str, what: str, matter_id: str = m.id) -> None:
            if name not in by_name:
                add(
                    "error",
                    "not-canonical",
                    f"{matter_id}: {what} {name!r} is not a canonical body name",
                    matter_id,
                    name,
                )

        for name in m.listed_departments:
            check_name(name, "listed department")
        for field, blocks in (("department", m.departments), ("receiver", m.receivers)):
            for block in blocks:
                check_name(block.body, field)
                if block.unit:
                    check_name(block.unit, f"{field} unit")
                    unit, parent = by_name.get(block.unit), by_name.get(block.body)
                    if unit and parent and unit.parent != parent.id:
                        add(
                            "error",
                            "unit-parent",
                            f"{m.id}: {block.unit} is not a unit of {block.body}",
                            m.id,
                            block.body,
                        )
                if not block.clauses:
                    add(
                        "warning",
                        f"{field}-without-clauses",
                        f"{m.id}: {field} {block.body} has no clauses",
                        m.id,
                        block.body,
                    )
                for clause in block.clauses:
                    if not clause.strip():
                        add(
                            "error",
                            "empty-clause",
                            f"{m.id}: empty clause in the block of {block.body}",
                            m.id,
                            block.body,
                        )
                body = by_name.get(block.body)
                if body is not None and body.kind is BodyKind.placeholder and len(blocks) > 1:
                    add(
                        "info",
                        "placeholder",
                        f"{m.id}: {field} '{block.body}' is a placeholder, not one body",
                        m.id,
                        block.body,
                    )
        for clause in m.township_clauses:
            if not clause.strip():
                add("error", "empty-clause", f"{m.id}: empty township clause", m.id)
        if m.list is ListKind.cooperative:
            blocks_of = [b.body for b in m.departments]
            for name in m.listed_departments:
                if name not in blocks_of:
                    add(
                        "warning",
                        "listed-without-duties",
                        f"{m.id}: {name} is listed in 对应上级部门 but has no duty block",
                        m.id,
                        name,
                    )
            for name in blocks_of:
                if name not in m.listed_departments:
                    add(
                        "warning",
                        "duties-without-listing",
                        f"{m.id}: {name} has a duty block but is not listed in 对应上级部门",
                        m.id,
                        name,
                    )
        if m.list is ListKind.basic and roles:
            if m.role is None:
                add(
                    "warning",
                    "no-role",
                    f"{m.id}: no township role acts on this basic matter (roles.yaml)",
                    m.id,
                )
            else:
                role = by_id.get(m.role)
                if role is not None and (
                    role.kind is not BodyKind.township_role
                    or (township is not None and role.parent != township.id)
                ):
                    add(
                        "error",
                        "role-not-township",
                        f"{m.id}: role {role.name} is not a township role of {rb.jurisdiction.township}",
                        m.id,
                        role.name,
                    )
    out.extend(_graph_findings(rb, loc))
    return _sorted(out)


def _graph_findings(rb: Rulebook, loc: _Locator) -> list[Finding]:
    """The responsibility graph's invariants (dutyroute.graph), as findings."""
    from .graph import build_graph, check_graph

    out = []
    for v in check_graph(build_graph(rb), [rb]):
        where, line = loc.at(v.matter)
        hint = f"; did you mean {' / '.join(v.suggestions)}?" if v.suggestions else ""
        out.append(Finding(where, line, v.severity, v.code, v.message + hint, v.matter, v.body))
    return out


def lint_bodies(path: str | Path | None = None, *, used: set[str] | None = None) -> list[Finding]:
    """Check a bodies file (default: the bundled ``rules/bodies.yaml``).

    Args:
        path: the file.
        used: names of bodies some rulebook uses; others are reported as ``unused-body`` (info).

    Returns:
        Findings; a file that does not load gives one ``load`` error with the loader's line.
    """
    from ._resources import rules_dir
    from .bodies import load_bodies

    p = Path(path) if path is not None else rules_dir() / "bodies.yaml"
    shown = _display(p)
    try:
        registry = load_bodies(p)
    except DutyrouteError as exc:
        return [_load_finding(exc, p)]
    out: list[Finding] = []
    for body in registry:
        line = registry.line_of(body.id)
        if not _ID.match(body.id):
            out.append(
                Finding(
                    shown,
                    line,
                    "error",
                    "body-id",
                    f"body id {body.id!r} is not a lowercase ASCII dotted id",
                    body=body.name,
                )
            )
        if body.kind in (BodyKind.township_role, BodyKind.sub_unit) and body.parent is None:
            out.append(
                Finding(
                    shown,
                    line,
                    "error",
                    "body-parent",
                    f"{body.name}: a {body.kind.value} needs a parent",
                    body=body.name,
                )
            )
        if used is not None and body.name not in used and body.kind is not BodyKind.township_role:
            out.append(
                Finding(
                    shown,
                    line,
                    "info",
                    "unused-body",
                    f"{body.name}: no rulebook names this body",
                    body=body.name,
                )
            )
    return out


def _load_finding(exc: Exception, fallback: Path) -> Finding:
    path = getattr(exc, "path", None) or fallback
    line = getattr(exc, "line", None)
    reason = getattr(exc, "reason", None) or str(exc)
    code = "list-format" if isinstance(exc, ListFormatError) else "load"
    return Finding(_display(path), line, "error", code, reason)


def _lint_rulebook_dir(directory: Path) -> tuple[list[Finding], set[str]]:
    from .rulebook import META_FILE, load_rulebook, stored_hash

    try:
        rb = load_rulebook(directory)
    except DutyrouteError as exc:
        return [_load_finding(exc, directory / META_FILE)], set()
    out = lint_rulebook(rb, path=directory)
    meta = _display(directory / META_FILE)
    stored = stored_hash(directory)
    if stored != rb.hash:
        out.append(
            Finding(
                meta,
                None,
                "warning",
                "stale-hash",
                f"hash: {stored} recorded, but the rulebook's content hashes to {rb.hash} "
                "(lists, roles.yaml or bodies.yaml changed): run `dutyroute compile` to refresh",
            )
        )
    if rb.source and rb.source_sha256:
        seed = directory.parent.parent / "seeds" / rb.source
        if seed.exists():
            import hashlib

            if hashlib.sha256(seed.read_bytes()).hexdigest() != rb.source_sha256:
                out.append(
                    Finding(
                        meta,
                        None,
                        "warning",
                        "seed-changed",
                        f"seeds/{rb.source} changed since this rulebook was compiled: "
                        "run `dutyroute compile`",
                    )
                )
    used = {b.name for b in rb.bodies}
    return out, used


def _lint_seed(path: Path) -> list[Finding]:
    from .bodies import load_bodies
    from .ingest import read_lists
    from .models import Jurisdiction

    try:
        registry = load_bodies()
        parsed = read_lists(path, registry=registry)
    except DutyrouteError as exc:
        return [_load_finding(exc, path)]
    shown = _display(path)
    out = [Finding(shown, n.line, n.severity, n.code, n.message, n.matter) for n in parsed.notes]  # type: ignore[arg-type]
    town = registry.get(parsed.jurisdiction.township)
    if town is None or town.kind is not BodyKind.township:
        out.append(
            Finding(
                shown,
                min(parsed.title_lines.values()),
                "error",
                "unknown-township",
                f"township {parsed.jurisdiction.township!r} is not in bodies.yaml (kind: township)",
            )
        )
    jur = (
        parsed.jurisdiction
        if parsed.jurisdiction.key
        else Jurisdiction(**{**parsed.jurisdiction.model_dump(), "key": "unknown"})
    )
    from .rulebook import _referenced_bodies

    rb = Rulebook(
        jurisdiction=jur,
        list_titles=parsed.list_titles,
        source=parsed.source,
        bodies=_referenced_bodies(parsed.matters, registry, town),
        matters=tuple(parsed.matters),
    )
    for kind in ListKind:
        if kind not in parsed.list_titles:
            out.append(Finding(shown, None, "warning", "missing-list", f"no {kind.label} in this file"))
    out.extend(lint_rulebook(rb, path=path, roles=False))
    return out


def lint_path(path: str | Path | None = None) -> list[Finding]:
    """Check whatever is at ``path``.

    Args:
        path: a rulebook directory (or its ``rulebook.yaml``), a ``rules/`` directory holding
            several rulebooks and ``bodies.yaml``, a ``bodies.yaml``, or a list text (seed).
            None: the bundled ``rules/``.

    Returns:
        Findings, in a stable order. A path that does not exist gives one ``load`` error.
    """
    from ._resources import rules_dir
    from .rulebook import META_FILE

    p = Path(path) if path is not None else rules_dir()
    if not p.exists():
        return [Finding(_display(p), None, "error", "load", "no such file or directory")]
    if p.is_file() and p.name == META_FILE:
        p = p.parent
    findings: list[Finding] = []
    if p.is_dir():
        if (p / META_FILE).exists():
            found, _used = _lint_rulebook_dir(p)
            findings.extend(found)
        else:
            books = sorted(d for d in p.iterdir() if (d / META_FILE).exists())
            used: set[str] = set()
            for d in books:
                found, names = _lint_rulebook_dir(d)
                findings.extend(found)
                used |= names
            if (p / "bodies.yaml").exists():
                findings[:0] = lint_bodies(p / "bodies.yaml", used=used if books else None)
            if not books and not (p / "bodies.yaml").exists():
                findings.append(
                    Finding(
                        _display(p), None, "error", "load", f"no rulebook ({META_FILE}) or bodies.yaml here"
                    )
                )
    elif p.suffix in (".yaml", ".yml"):
        if p.name == "bodies.yaml":
            findings.extend(lint_bodies(p))
        else:
            try:
                from .rulebook import read_yaml

                read_yaml(p)
            except RuleFileError as exc:
                return [_load_finding(exc, p)]
            findings.append(
                Finding(
                    _display(p),
                    None,
                    "error",
                    "load",
                    "lint checks a rulebook directory, bodies.yaml or a list text; "
                    "pass the directory holding this file",
                )
            )
    else:
        findings.extend(_lint_seed(p))
    return _sorted(findings)
