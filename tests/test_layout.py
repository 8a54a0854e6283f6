"""The package's layout: no import cycle (lazy imports inside functions included), no module
over the size a reader can hold, and the public names import from the top."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dutyroute"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every dutyroute module ``path`` imports, at module level or inside a function."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            if not mod.startswith("dutyroute"):
                continue
            for alias in node.names:  # `from . import errors` imports a module
                sub = f"{mod}.{alias.name}"
                out.add(sub if (PACKAGE.parent / (sub.replace(".", "/") + ".py")).exists() else mod)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("dutyroute"))
    out.discard(name)
    return out


def _graph() -> nx.DiGraph:
    g = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        src = _module_name(path)
        g.add_node(src)
        for dst in _imports(path):
            # a package's __init__ is imported with any of its modules; the edge that counts is
            # to the module named, which is what _imports records
            g.add_edge(src, dst)
    return g


def test_no_import_cycle_lazy_imports_included():
    """A cycle through a package __init__ that only re-exports is still a cycle: none is allowed."""
    cycles = list(nx.simple_cycles(_graph()))
    assert cycles == [], "import cycles: " + "; ".join(" → ".join([*c, c[0]]) for c in cycles[:5])


def test_no_module_is_longer_than_a_reader_can_hold():
    long = {
        _module_name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_longer_than_a_screen_or_two():
    """A function over MAX_FUNCTION_LINES is split where a reader would want it split."""
    long = {}
    for p in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long[f"{_module_name(p)}.{node.name}"] = n
    assert long == {}


def test_the_stages_import_downwards_only():
    """model ← ingest ← store ← graph ← routing ← tools ← cli: a lower stage never imports a higher one."""
    order = ["errors", "model", "text", "ingest", "store", "graph", "routing", "tools", "cli"]
    rank = {stage: i for i, stage in enumerate(order)}
    bad = []
    for src, dst in _graph().edges:
        s, d = (m.split(".")[1] if "." in m else "" for m in (src, dst))
        if s in rank and d in rank and rank[d] > rank[s]:
            bad.append(f"{src} → {dst}")
    assert bad == []
