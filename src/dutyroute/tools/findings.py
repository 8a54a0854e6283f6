"""The record every lint check returns: :class:`Finding` (file, line, severity, code, message)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from ..errors import ListFormatError

__all__ = ["Finding", "Severity"]

Severity = Literal["error", "warning", "info"]
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


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


def _load_finding(exc: Exception, fallback: Path, code: str | None = None) -> Finding:
    """A file that does not load, as one error finding at the loader's own file:line."""
    path = getattr(exc, "path", None) or fallback
    line = getattr(exc, "line", None)
    reason = getattr(exc, "reason", None) or str(exc)
    code = code or ("list-format" if isinstance(exc, ListFormatError) else "load")
    return Finding(_display(path), line, "error", code, reason)
