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
- corpus files (``corpus/``, any ``*.jsonl``): ``corpus-load``, ``corpus-label``, ``corpus-acting``,
  ``corpus-reclaimed``, ``corpus-field``, ``duplicate-id``, ``duplicate-text``, ``near-duplicate``
  (see :mod:`dutyroute.tools.corpus`).
- ``skipped`` (info): a rulebook did not load, so the checks that need it (unused bodies, the
  routing rules against it) were not run — rather than reporting what only follows from the
  load error.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import DutyrouteError, RuleFileError
from ..model.lists import BodyKind, Jurisdiction, ListKind, Rulebook
from ..routing.router import Router
from ..store.bodies import load_bodies
from ..store.layout import META_FILE
from ..store.resources import rules_dir
from ..store.rulebook import _referenced_bodies, load_rulebook, stored_hash
from ..store.rules import load_rules
from ..store.rules_check import rule_problems
from ..store.seeds import read_lists
from ..store.yamlio import read_yaml
from .corpus import lint_corpus
from .findings import Finding, Severity, _display, _load_finding, _sorted
from .lint_rulebook import lint_bodies, lint_rulebook

__all__ = ["RULE_FILES", "Finding", "Severity", "lint_bodies", "lint_path", "lint_rulebook"]

RULE_FILES = ("lexicon.yaml", "facts.yaml", "routing.yaml")
"""The router's rule files, read together from one rules directory
(:func:`dutyroute.store.rules.load_rules`)."""

_ID = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*$")


def _lint_rule_files(directory: Path, books: list[Rulebook]) -> list[Finding]:
    """Load ``lexicon.yaml``, ``facts.yaml`` and ``routing.yaml`` with the router's own loader
    (:func:`dutyroute.store.rules.load_rules`) and check them against each rulebook they are written
    for (:meth:`dutyroute.store.rules_check.check_rules`, then the router's build warnings).

    The loader and the check stop at the first problem (they raise); that problem becomes one
    finding with its ``file:line``, so lint and ``dutyroute route`` fail on the same thing.
    """
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
        problems = [_load_finding(exc, routing, "rules-check") for exc in rule_problems(rules, rb)]
        if problems:  # every problem, not only the first
            out.extend(problems)
            continue
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
    out.extend(_lint_versions(directory))
    return out, used, rb


def _lint_versions(directory: Path) -> list[Finding]:
    """The versions under ``versions/``: each loads and lints, and no two are in force on one day."""
    from ..store.layout import version_dirs
    from ..store.versions import version_problems

    others = version_dirs(directory)[1:]
    if not others:
        return []
    out: list[Finding] = []
    books = [load_rulebook(directory)]
    for d in others:
        try:
            rb = load_rulebook(d)
        except DutyrouteError as exc:
            out.append(_load_finding(exc, d / META_FILE))
            continue
        out.extend(lint_rulebook(rb, path=d))
        books.append(rb)
    books.sort(key=lambda rb: (rb.effective_date or "", rb.effective_to or "9999"))
    meta = _display(directory / META_FILE)
    out += [Finding(meta, None, "error", p.code, p.message) for p in version_problems(tuple(books))]
    return out


def _lint_seed(path: Path) -> list[Finding]:
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


def _is_corpus_dir(p: Path) -> bool:
    """A folder of labeled JSONL files with no rulebook, bodies file or rule file in it."""
    if (p / META_FILE).exists() or (p / "bodies.yaml").exists() or any((p / f).exists() for f in RULE_FILES):
        return False
    return any(p.rglob("*.jsonl")) and not any((d / META_FILE).exists() for d in p.iterdir() if d.is_dir())


def lint_path(path: str | Path | None = None) -> list[Finding]:
    """Check whatever is at ``path``.

    Args:
        path: a rulebook directory (or its ``rulebook.yaml``; the rule files in its parent are
            checked against it too), a ``rules/`` directory holding rulebooks, ``bodies.yaml``
            and the rule files ``lexicon.yaml``/``facts.yaml``/``routing.yaml`` (or one of those
            files: its directory is checked), a ``bodies.yaml``, a list text (seed), or a labeled
            corpus (a ``*.jsonl`` file or a folder of them, checked against the bundled rulebook:
            :mod:`dutyroute.tools.corpus`).
            None: the bundled ``rules/``.

    Returns:
        Findings, in a stable order. A path that does not exist gives one ``load`` error.
    """
    p = Path(path) if path is not None else rules_dir()
    if not p.exists():
        return [Finding(_display(p), None, "error", "load", "no such file or directory")]
    if p.is_file() and (p.name == META_FILE or p.name in RULE_FILES):
        p = p.parent
    if (p.is_file() and p.suffix == ".jsonl") or (p.is_dir() and _is_corpus_dir(p)):
        files = [p] if p.is_file() else sorted(p.rglob("*.jsonl"))
        return lint_corpus(files, load_rulebook())
    if p.is_dir():
        findings = _lint_rulebook_and_rules(p) if (p / META_FILE).exists() else _lint_rules_dir(p)
    elif p.suffix in (".yaml", ".yml"):
        findings = _lint_yaml_file(p)
    else:
        findings = _lint_seed(p)
    return _sorted(findings)


def _lint_rulebook_and_rules(p: Path) -> list[Finding]:
    """A rulebook directory, and the rule files beside it (the ones ``--rules`` pairs with it)."""
    findings, _used, rb = _lint_rulebook_dir(p)
    if rb is not None:
        findings = [*findings, *_lint_rule_files(p.parent, [rb])]
    return findings


def _lint_rules_dir(p: Path) -> list[Finding]:
    """A ``rules/`` directory: its rulebooks, ``bodies.yaml`` and rule files, checked together."""
    findings: list[Finding] = []
    book_dirs = sorted(d for d in p.iterdir() if (d / META_FILE).exists())
    if not book_dirs:  # nothing to route with: Router.from_dir and `route --rules` refuse it
        findings.append(
            Finding(
                _display(p),
                None,
                "error",
                "no-rulebook",
                f"no rulebook here: neither {META_FILE} nor a folder holding one; compile one with: "
                f"dutyroute compile SEED --township 乡名 -o {_display(p)}/<township>/",
            )
        )
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
    if not book_dirs and not (p / "bodies.yaml").exists() and not any((p / f).exists() for f in RULE_FILES):
        findings.append(
            Finding(
                _display(p),
                None,
                "error",
                "load",
                f"no rulebook ({META_FILE}), bodies.yaml or rule files ({', '.join(RULE_FILES)}) here",
            )
        )
    return findings


def _lint_yaml_file(p: Path) -> list[Finding]:
    """A single YAML file: ``bodies.yaml`` is checked; any other is pointed to its directory."""
    if p.name == "bodies.yaml":
        return lint_bodies(p)
    try:
        read_yaml(p)
    except RuleFileError as exc:
        return [_load_finding(exc, p)]
    return [
        Finding(
            _display(p),
            None,
            "error",
            "load",
            "lint checks a rulebook directory, bodies.yaml or a list text; "
            "pass the directory holding this file",
        )
    ]
