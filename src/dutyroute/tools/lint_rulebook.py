"""Lint checks of one rulebook's content and of a bodies file (see :mod:`dutyroute.tools.lint`
for the codes)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import DutyrouteError
from ..graph import build_graph, check_graph
from ..model.lists import BodyKind, DutyBlock, ListKind, Matter, Rulebook
from ..store.bodies import load_bodies
from ..store.layout import LIST_FILES
from ..store.resources import rules_dir
from ..store.yamlio import yaml_line
from .findings import Finding, Severity, _display, _load_finding, _sorted

__all__ = ["lint_bodies", "lint_rulebook"]

_ID = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$")


class _Locator:
    """Where a matter, or a node inside it, is: its YAML block (or the exact ``- item``/``key:``
    line inside it) in a rulebook directory, or its row in a list text."""

    def __init__(self, rb: Rulebook, path: str | Path | None) -> None:
        self.default = _display(path)
        # per matter (by position in rb.matters): shown path, block line, YAML file, index in it
        self.places: list[tuple[str | None, int | None, Path | None, int]] = []
        p = Path(path) if path is not None else None
        if p is not None and p.is_dir():
            starts: dict[ListKind, list[int]] = {}
            for kind, name in LIST_FILES.items():
                f = p / name
                if f.exists():
                    text = f.read_text(encoding="utf-8")
                    starts[kind] = [
                        n for n, raw in enumerate(text.splitlines(), start=1) if raw.startswith("- id:")
                    ]
            seen: dict[ListKind, int] = {}
            for m in rb.matters:
                i = seen.get(m.list, 0)
                seen[m.list] = i + 1
                lines = starts.get(m.list, [])
                f = p / LIST_FILES[m.list]
                self.places.append((_display(f), lines[i] if i < len(lines) else None, f, i))
        else:  # a seed (or no file): matters point at their row in the list text
            self.places = [(self.default, m.source_line, None, 0) for m in rb.matters]
        self.first: dict[str, int] = {}
        for k, m in enumerate(rb.matters):
            self.first.setdefault(m.id, k)

    def at(self, k: int | None, sub: tuple[Any, ...] = ()) -> tuple[str | None, int | None]:
        """File and line of the ``k``-th matter, or of the node ``sub`` inside its block."""
        if k is None or k >= len(self.places):
            return self.default, None
        shown, line, f, i = self.places[k]
        if sub and f is not None:
            line = yaml_line(f, ("matters", i, *sub)) or line
        return shown, line

    def of(self, matter_id: str | None) -> tuple[str | None, int | None]:
        """File and line of the matter with this id (its first occurrence)."""
        return self.at(self.first.get(matter_id) if matter_id is not None else None)


def lint_rulebook(rb: Rulebook, *, path: str | Path | None = None, roles: bool = True) -> list[Finding]:
    """Check a rulebook's content.

    Args:
        rb: the rulebook.
        path: where it came from — a rulebook directory (findings point at the offending node:
            the clause, the body name, the ``id:`` line … in basic/cooperative/reclaimed.yaml) or
            a list text (findings point at the matter's row); None to report without locations.
        roles: check that every basic matter has a township role (False for a bare seed).

    Returns:
        Findings, errors first within each matter, in matter order. Empty when all is well.
    """
    check = _RulebookChecks(rb, _Locator(rb, path), roles)
    for k, m in enumerate(rb.matters):
        check.numbering(k, m)
        check.names(k, m)
        check.blocks(k, m)
        check.listing(k, m)
        check.role(k, m)
    return _sorted(check.out + _graph_findings(rb, check.loc))


class _RulebookChecks:
    """The per-matter checks of :func:`lint_rulebook`, collecting findings in ``out``."""

    def __init__(self, rb: Rulebook, loc: _Locator, roles: bool) -> None:
        self.rb = rb
        self.loc = loc
        self.roles = roles
        self.out: list[Finding] = []
        self.by_name = {b.name: b for b in rb.bodies}
        self.by_id = {b.id: b for b in rb.bodies}
        self.township = next((b for b in rb.bodies if b.kind is BodyKind.township), None)
        self.seen: dict[str, int] = {}
        self.last_seq: dict[ListKind, int] = {}

    def add(
        self,
        severity: Severity,
        code: str,
        message: str,
        k: int,
        body: str | None = None,
        sub: tuple[Any, ...] = (),
    ) -> None:
        where, line = self.loc.at(k, sub)
        self.out.append(Finding(where, line, severity, code, message, self.rb.matters[k].id, body))

    def numbering(self, k: int, m: Matter) -> None:
        expected = f"{m.list.letter}{m.seq}"
        if m.id != expected:
            self.add(
                "error",
                "bad-id",
                f"{m.id}: id does not match its list and 序号 (expected {expected})",
                k,
                sub=("id",),
            )
        if m.id in self.seen:
            first = self.loc.at(self.seen[m.id])
            self.add(
                "error",
                "duplicate-id",
                f"{m.id}: matter id appears twice (first at line {first[1]})",
                k,
                sub=("id",),
            )
        else:
            self.seen[m.id] = k
        prev = self.last_seq.get(m.list, 0)
        if m.seq != prev + 1 and m.seq > prev:
            self.add(
                "warning", "numbering-gap", f"{m.id}: 序号 jumps from {prev} to {m.seq}", k, sub=("seq",)
            )
        self.last_seq[m.list] = max(prev, m.seq)
        if not m.title.strip():
            self.add("error", "empty-title", f"{m.id}: empty 事项名称", k, sub=("title",))
        for c, clause in enumerate(m.township_clauses):
            if not clause.strip():
                self.add(
                    "error",
                    "empty-clause",
                    f"{m.id}: empty township clause #{c + 1}; write it or delete the line",
                    k,
                    sub=("township_clauses", c),
                )

    def name(self, k: int, name: str, what: str, sub: tuple[Any, ...]) -> None:
        if name not in self.by_name:
            self.add(
                "error",
                "not-canonical",
                f"{self.rb.matters[k].id}: {what} {name!r} is not a canonical body name",
                k,
                name,
                sub,
            )

    def names(self, k: int, m: Matter) -> None:
        for j, name in enumerate(m.listed_departments):
            self.name(k, name, "listed department", ("listed_departments", j))

    def blocks(self, k: int, m: Matter) -> None:
        for field, key, blocks in (
            ("department", "departments", m.departments),
            ("receiver", "receivers", m.receivers),
        ):
            for j, block in enumerate(blocks):
                self.block(k, m, field, key, j, block, several=len(blocks) > 1)

    def block(
        self, k: int, m: Matter, field: str, key: str, j: int, block: DutyBlock, *, several: bool
    ) -> None:
        self.name(k, block.body, field, (key, j, "body"))
        if block.unit:
            self.name(k, block.unit, f"{field} unit", (key, j, "unit"))
            unit, parent = self.by_name.get(block.unit), self.by_name.get(block.body)
            if unit and parent and unit.parent != parent.id:
                msg = f"{m.id}: {block.unit} is not a unit of {block.body}"
                self.add("error", "unit-parent", msg, k, block.body, (key, j, "unit"))
        if not block.clauses:
            msg = f"{m.id}: {field} {block.body} has no clauses"
            self.add("warning", f"{field}-without-clauses", msg, k, block.body, (key, j))
        for c, clause in enumerate(block.clauses):
            if not clause.strip():
                msg = (
                    f"{m.id}: empty clause #{c + 1} in the block of {block.body}; write it or delete the line"
                )
                self.add("error", "empty-clause", msg, k, block.body, (key, j, "clauses", c))
        body = self.by_name.get(block.body)
        if body is not None and body.kind is BodyKind.placeholder and several:
            msg = f"{m.id}: {field} '{block.body}' is a placeholder, not one body"
            self.add("info", "placeholder", msg, k, block.body, (key, j, "body"))

    def listing(self, k: int, m: Matter) -> None:
        if m.list is not ListKind.cooperative:
            return
        blocks_of = [b.body for b in m.departments]
        for j, name in enumerate(m.listed_departments):
            if name not in blocks_of:
                msg = f"{m.id}: {name} is listed in 对应上级部门 but has no duty block"
                self.add("warning", "listed-without-duties", msg, k, name, ("listed_departments", j))
        for j, name in enumerate(blocks_of):
            if name not in m.listed_departments:
                msg = f"{m.id}: {name} has a duty block but is not listed in 对应上级部门"
                self.add("warning", "duties-without-listing", msg, k, name, ("departments", j))

    def role(self, k: int, m: Matter) -> None:
        if m.list is not ListKind.basic or not self.roles:
            return
        if m.role is None:
            self.add(
                "warning", "no-role", f"{m.id}: no township role acts on this basic matter (roles.yaml)", k
            )
            return
        role = self.by_id.get(m.role)
        if role is not None and (
            role.kind is not BodyKind.township_role
            or (self.township is not None and role.parent != self.township.id)
        ):
            msg = f"{m.id}: role {role.name} is not a township role of {self.rb.jurisdiction.township}"
            self.add("error", "role-not-township", msg, k, role.name)


def _graph_findings(rb: Rulebook, loc: _Locator) -> list[Finding]:
    """The responsibility graph's invariants (dutyroute.graph), as findings."""
    out = []
    for v in check_graph(build_graph(rb), [rb]):
        where, line = loc.of(v.matter)
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
