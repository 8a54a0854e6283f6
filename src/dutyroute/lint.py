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
- rule files (``lexicon.yaml``, ``facts.yaml``, ``routing.yaml``): ``load`` (error) when the
  router's loader rejects one; ``rules-check`` (error) when a routing rule names a matter, body,
  fact value or lexicon entry the rulebook or rule files lack (warning: a router build warning,
  e.g. a lexicon term found in no matter); ``rules-rulebook`` (warning): ``routing.yaml`` is
  written for a rulebook that is not there.
- ``skipped`` (info): a rulebook did not load, so the checks that need it (unused bodies, the
  routing rules against it) were not run — rather than reporting what only follows from the
  load error.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import DutyrouteError, ListFormatError, RuleFileError
from .models import BodyKind, ListKind, Rulebook

__all__ = ["RULE_FILES", "Finding", "Severity", "lint_bodies", "lint_path", "lint_rulebook"]

RULE_FILES = ("lexicon.yaml", "facts.yaml", "routing.yaml")
"""The router's rule files, read together from one rules directory (:func:`dutyroute.rules.load_rules`)."""

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
    """Where a matter, or a node inside it, is: its YAML block (or the exact ``- item``/``key:``
    line inside it) in a rulebook directory, or its row in a list text."""

    def __init__(self, rb: Rulebook, path: str | Path | None) -> None:
        self.default = _display(path)
        # per matter (by position in rb.matters): shown path, block line, YAML file, index in it
        self.places: list[tuple[str | None, int | None, Path | None, int]] = []
        p = Path(path) if path is not None else None
        if p is not None and p.is_dir():
            from .rulebook import LIST_FILES

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
            from .rulebook import yaml_line

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
    loc = _Locator(rb, path)
    out: list[Finding] = []

    def add(
        severity: Severity,
        code: str,
        message: str,
        k: int,
        body: str | None = None,
        sub: tuple[Any, ...] = (),
    ) -> None:
        where, line = loc.at(k, sub)
        out.append(Finding(where, line, severity, code, message, rb.matters[k].id, body))

    by_name = {b.name: b for b in rb.bodies}
    by_id = {b.id: b for b in rb.bodies}
    township = next((b for b in rb.bodies if b.kind is BodyKind.township), None)
    seen: dict[str, int] = {}
    last_seq: dict[ListKind, int] = {}
    for k, m in enumerate(rb.matters):
        expected = f"{m.list.letter}{m.seq}"
        if m.id != expected:
            add(
                "error",
                "bad-id",
                f"{m.id}: id does not match its list and 序号 (expected {expected})",
                k,
                sub=("id",),
            )
        if m.id in seen:
            first = loc.at(seen[m.id])
            add(
                "error",
                "duplicate-id",
                f"{m.id}: matter id appears twice (first at line {first[1]})",
                k,
                sub=("id",),
            )
        else:
            seen[m.id] = k
        prev = last_seq.get(m.list, 0)
        if m.seq != prev + 1 and m.seq > prev:
            add("warning", "numbering-gap", f"{m.id}: 序号 jumps from {prev} to {m.seq}", k, sub=("seq",))
        last_seq[m.list] = max(prev, m.seq)
        if not m.title.strip():
            add("error", "empty-title", f"{m.id}: empty 事项名称", k, sub=("title",))

        def check_name(name: str, what: str, sub: tuple[Any, ...], k: int = k) -> None:
            if name not in by_name:
                add(
                    "error",
                    "not-canonical",
                    f"{rb.matters[k].id}: {what} {name!r} is not a canonical body name",
                    k,
                    name,
                    sub,
                )

        for j, name in enumerate(m.listed_departments):
            check_name(name, "listed department", ("listed_departments", j))
        for field, key, blocks in (
            ("department", "departments", m.departments),
            ("receiver", "receivers", m.receivers),
        ):
            for j, block in enumerate(blocks):
                check_name(block.body, field, (key, j, "body"))
                if block.unit:
                    check_name(block.unit, f"{field} unit", (key, j, "unit"))
                    unit, parent = by_name.get(block.unit), by_name.get(block.body)
                    if unit and parent and unit.parent != parent.id:
                        add(
                            "error",
                            "unit-parent",
                            f"{m.id}: {block.unit} is not a unit of {block.body}",
                            k,
                            block.body,
                            (key, j, "unit"),
                        )
                if not block.clauses:
                    add(
                        "warning",
                        f"{field}-without-clauses",
                        f"{m.id}: {field} {block.body} has no clauses",
                        k,
                        block.body,
                        (key, j),
                    )
                for c, clause in enumerate(block.clauses):
                    if not clause.strip():
                        add(
                            "error",
                            "empty-clause",
                            f"{m.id}: empty clause #{c + 1} in the block of {block.body}; "
                            "write it or delete the line",
                            k,
                            block.body,
                            (key, j, "clauses", c),
                        )
                body = by_name.get(block.body)
                if body is not None and body.kind is BodyKind.placeholder and len(blocks) > 1:
                    add(
                        "info",
                        "placeholder",
                        f"{m.id}: {field} '{block.body}' is a placeholder, not one body",
                        k,
                        block.body,
                        (key, j, "body"),
                    )
        for c, clause in enumerate(m.township_clauses):
            if not clause.strip():
                add(
                    "error",
                    "empty-clause",
                    f"{m.id}: empty township clause #{c + 1}; write it or delete the line",
                    k,
                    sub=("township_clauses", c),
                )
        if m.list is ListKind.cooperative:
            blocks_of = [b.body for b in m.departments]
            for j, name in enumerate(m.listed_departments):
                if name not in blocks_of:
                    add(
                        "warning",
                        "listed-without-duties",
                        f"{m.id}: {name} is listed in 对应上级部门 but has no duty block",
                        k,
                        name,
                        ("listed_departments", j),
                    )
            for j, name in enumerate(blocks_of):
                if name not in m.listed_departments:
                    add(
                        "warning",
                        "duties-without-listing",
                        f"{m.id}: {name} has a duty block but is not listed in 对应上级部门",
                        k,
                        name,
                        ("departments", j),
                    )
        if m.list is ListKind.basic and roles:
            if m.role is None:
                add(
                    "warning",
                    "no-role",
                    f"{m.id}: no township role acts on this basic matter (roles.yaml)",
                    k,
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
                        k,
                        role.name,
                    )
    out.extend(_graph_findings(rb, loc))
    return _sorted(out)


def _graph_findings(rb: Rulebook, loc: _Locator) -> list[Finding]:
    """The responsibility graph's invariants (dutyroute.graph), as findings."""
    from .graph import build_graph, check_graph

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


def _load_finding(exc: Exception, fallback: Path, code: str | None = None) -> Finding:
    path = getattr(exc, "path", None) or fallback
    line = getattr(exc, "line", None)
    reason = getattr(exc, "reason", None) or str(exc)
    code = code or ("list-format" if isinstance(exc, ListFormatError) else "load")
    return Finding(_display(path), line, "error", code, reason)


def _lint_rule_files(directory: Path, books: list[Rulebook]) -> list[Finding]:
    """Load ``lexicon.yaml``, ``facts.yaml`` and ``routing.yaml`` with the router's own loader
    (:func:`dutyroute.rules.load_rules`) and check them against each rulebook they are written
    for (:meth:`dutyroute.rules.RuleSet.check`, then the router's build warnings).

    The loader and the check stop at the first problem (they raise); that problem becomes one
    finding with its ``file:line``, so lint and ``dutyroute route`` fail on the same thing.
    """
    from .rules import load_rules

    present = [f for f in RULE_FILES if (directory / f).exists()]
    if not present:
        return []
    if len(present) < len(RULE_FILES):
        return [
            Finding(
                _display(directory / f),
                None,
                "error",
                "load",
                f"{f} is missing: the router reads {', '.join(RULE_FILES)} together",
            )
            for f in RULE_FILES
            if f not in present
        ]
    routing = directory / "routing.yaml"
    try:
        rules = load_rules(directory)
    except DutyrouteError as exc:
        return [_load_finding(exc, routing)]
    out: list[Finding] = []
    keys = {rb.jurisdiction.key for rb in books}
    if rules.rulebook_key and books and rules.rulebook_key not in keys:
        out.append(
            Finding(
                _display(routing),
                None,
                "warning",
                "rules-rulebook",
                f"routing.yaml is written for rulebook {rules.rulebook_key!r}, which is not here "
                f"({', '.join(sorted(keys))}): its contrasts and rules apply to none of them",
            )
        )
    for rb in books:
        if rules.rulebook_key and rules.rulebook_key != rb.jurisdiction.key:
            continue
        problems = [_load_finding(exc, routing, "rules-check") for exc in rules.problems(rb)]
        if problems:  # every problem, not only the first
            out.extend(problems)
            continue
        from .router import Router

        try:
            router = Router(rb, rules)
        except DutyrouteError as exc:
            out.append(_load_finding(exc, routing, "rules-check"))
            continue
        out.extend(
            Finding(_display(directory / "lexicon.yaml"), None, "warning", "rules-check", w)
            for w in router.warnings
        )
    return out


def _lint_rulebook_dir(directory: Path) -> tuple[list[Finding], set[str], Rulebook | None]:
    from .rulebook import META_FILE, load_rulebook, stored_hash

    try:
        rb = load_rulebook(directory)
    except DutyrouteError as exc:
        return [_load_finding(exc, directory / META_FILE)], set(), None
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
    return out, used, rb


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
        path: a rulebook directory (or its ``rulebook.yaml``; the rule files in its parent are
            checked against it too), a ``rules/`` directory holding rulebooks, ``bodies.yaml``
            and the rule files ``lexicon.yaml``/``facts.yaml``/``routing.yaml`` (or one of those
            files: its directory is checked), a ``bodies.yaml``, or a list text (seed).
            None: the bundled ``rules/``.

    Returns:
        Findings, in a stable order. A path that does not exist gives one ``load`` error.
    """
    from ._resources import rules_dir
    from .rulebook import META_FILE

    p = Path(path) if path is not None else rules_dir()
    if not p.exists():
        return [Finding(_display(p), None, "error", "load", "no such file or directory")]
    if p.is_file() and (p.name == META_FILE or p.name in RULE_FILES):
        p = p.parent
    findings: list[Finding] = []
    if p.is_dir():
        if (p / META_FILE).exists():
            found, _used, rb = _lint_rulebook_dir(p)
            findings.extend(found)
            if rb is not None:  # the rule files beside it are the ones `--rules` pairs with it
                findings.extend(_lint_rule_files(p.parent, [rb]))
        else:
            book_dirs = sorted(d for d in p.iterdir() if (d / META_FILE).exists())
            used: set[str] = set()
            loaded: list[Rulebook] = []
            for d in book_dirs:
                found, names, rb = _lint_rulebook_dir(d)
                findings.extend(found)
                used |= names
                if rb is not None:
                    loaded.append(rb)
            failed = len(loaded) < len(book_dirs)
            if failed:  # checks that need every rulebook would only echo the load error
                findings.append(
                    Finding(
                        _display(p),
                        None,
                        "info",
                        "skipped",
                        "a rulebook did not load (see its load error): unused-body checks and "
                        "checks of the routing rules against it are skipped until it loads",
                    )
                )
            if (p / "bodies.yaml").exists():
                findings[:0] = lint_bodies(p / "bodies.yaml", used=used if book_dirs and not failed else None)
            findings.extend(_lint_rule_files(p, loaded))
            if (
                not book_dirs
                and not (p / "bodies.yaml").exists()
                and not any((p / f).exists() for f in RULE_FILES)
            ):
                findings.append(
                    Finding(
                        _display(p),
                        None,
                        "error",
                        "load",
                        f"no rulebook ({META_FILE}), bodies.yaml or rule files "
                        f"({', '.join(RULE_FILES)}) here",
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
