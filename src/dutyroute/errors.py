"""The whole exception tree of dutyroute.

Catch by intent::

    DutyrouteError                      root of everything dutyroute raises on purpose
    ├── ListFormatError (ValueError)    an official list text (seed) cannot be parsed: file, line,
    │                                   what was expected
    ├── RuleFileError (ValueError)      a file under rules/ is malformed or inconsistent: file, line,
    │   │                               what is wrong
    │   └── UnknownBodyError (+LookupError)  a body name that no rules/bodies.yaml entry or alias resolves
    ├── CaseFormatError (ValueError)    a labeled-cases or batch file, or one of its lines, is not valid
    ├── InputError (ValueError)         a file, folder or option value a caller gave cannot be used
    ├── NotFoundError (LookupError)     a matter id or body name asked for by a caller does not exist
    ├── IncidentTextError (ValueError)  an incident text is empty or too long to route
    ├── ExtraMissingError (ImportError) an optional feature's extra is not installed
    └── UnroutedError                   Decision.raise_for_unrouted(): the decision asks a question
                                        or is unmatched

Every name ends in ``Error``. Every error carries its data as attributes (``path``, ``line``,
``value``, ``suggestions`` …) and a message of the form ``file:line: what is wrong; what to do``.

Deprecated names (0.1.0), kept for one release with a :class:`DeprecationWarning`:
``LookupFailed`` → :class:`NotFoundError`, ``IncidentUnrouted`` → :class:`UnroutedError`,
``CliInputError`` → :class:`InputError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "CaseFormatError",
    "DutyrouteError",
    "ExtraMissingError",
    "IncidentTextError",
    "InputError",
    "ListFormatError",
    "NotFoundError",
    "RuleFileError",
    "UnknownBodyError",
    "UnroutedError",
]


def _where(path: str | Path | None, line: int | None) -> str:
    if path is None:
        return ""
    name = str(path)
    return f"{name}:{line}: " if line is not None else f"{name}: "


class DutyrouteError(Exception):
    """Root of the exceptions dutyroute raises on purpose."""


class ListFormatError(DutyrouteError, ValueError):
    """An official duty-list text cannot be parsed.

    Attributes:
        path: the list file (or ``"<text>"`` for a string).
        line: 1-based line number in that file, or None when the whole file is at fault.
        reason: what was found and what was expected.
    """

    def __init__(self, reason: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        self.reason = reason
        self.path = path
        self.line = line
        super().__init__(f"{_where(path, line)}{reason}")


class RuleFileError(DutyrouteError, ValueError):
    """A file under ``rules/`` is malformed (YAML syntax, schema) or inconsistent with the rulebook.

    Attributes:
        path: the rule file.
        line: 1-based line of the offending entry, or None.
        reason: what is wrong and how to fix it.
    """

    def __init__(self, reason: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        self.reason = reason
        self.path = path
        self.line = line
        super().__init__(f"{_where(path, line)}{reason}")


class UnknownBodyError(RuleFileError, LookupError):
    """A body name that neither a canonical name nor an alias in ``rules/bodies.yaml`` resolves.

    Attributes:
        value: the name as written.
        suggestions: up to 3 closest known names (rapidfuzz), best first.
    """

    def __init__(
        self,
        value: str,
        suggestions: Sequence[str] = (),
        *,
        path: str | Path | None = None,
        line: int | None = None,
        context: str = "",
    ) -> None:
        self.value = value
        self.suggestions = list(suggestions)
        hint = f"; did you mean {' / '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        where = f" in {context}" if context else ""
        reason = (
            f"unknown body {value!r}{where}{hint} "
            "(add it, or an alias of an existing body, to rules/bodies.yaml)"
        )
        super().__init__(reason, path=path, line=line)


class CaseFormatError(DutyrouteError, ValueError):
    """A labeled-cases or batch file, or one of its lines, is not valid (``file:line: what``).

    Attributes:
        reason: what is wrong and what to do.
        path: the file (``<stdin>`` for standard input), or None.
        line: 1-based line, or None when the whole file is at fault.
    """

    def __init__(self, reason: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        self.reason = reason
        self.path = path
        self.line = line
        super().__init__(f"{_where(path, line)}{reason}")


class InputError(DutyrouteError, ValueError):
    """A file, folder or option value a caller gave cannot be used (missing, a directory, not
    readable, another encoding, a folder without a rulebook …); the message names the value, where
    it came from and what to do."""


class NotFoundError(DutyrouteError, LookupError):
    """A matter id or body name asked for by a caller does not exist in the rulebook.

    Attributes:
        value: what was asked for.
        suggestions: closest existing ids or names, best first.
    """

    def __init__(self, what: str, value: str, suggestions: Sequence[str] = ()) -> None:
        self.value = value
        self.suggestions = list(suggestions)
        hint = f"; did you mean {' / '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"no {what} {value!r} in the rulebook{hint}")


class IncidentTextError(DutyrouteError, ValueError):
    """An incident text cannot be routed: it is empty, or longer than the limit, after normalisation.

    Attributes:
        length: characters after normalisation.
        limit: the most characters accepted.
    """

    def __init__(self, reason: str, *, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(reason)


class ExtraMissingError(DutyrouteError, ImportError):
    """An optional feature needs a package of one of dutyroute's extras, and it is not installed.

    Attributes:
        feature: what was asked for (``drawing pictures``).
        extra: the extra that installs it (``draw``).
        package: the missing package (``matplotlib``).
    """

    def __init__(self, feature: str, extra: str, package: str) -> None:
        self.feature = feature
        self.extra = extra
        self.package = package
        super().__init__(
            f"{feature} needs {package}, which is not installed; install the extra: "
            f"pip install 'dutyroute[{extra}]'"
        )


class UnroutedError(DutyrouteError):
    """Raised by ``Decision.raise_for_unrouted()`` when a decision is not ``routed``.

    Attributes:
        decision: the :class:`~dutyroute.model.decision.Decision` (status ``needs_clarification`` — its
            ``clarify`` holds the question and the route per answer — or ``unmatched``).
    """

    def __init__(self, reason: str, *, decision: object) -> None:
        self.decision = decision
        super().__init__(reason)


_DEPRECATED = {"LookupFailed": NotFoundError, "IncidentUnrouted": UnroutedError, "CliInputError": InputError}


def __getattr__(name: str) -> Any:
    new = _DEPRECATED.get(name)
    if new is None:
        raise AttributeError(f"module 'dutyroute.errors' has no attribute {name!r}")
    warnings.warn(
        f"dutyroute.errors.{name} is deprecated since 0.2.0 and will be removed in 0.3.0; use {new.__name__}",
        DeprecationWarning,
        stacklevel=2,
    )
    return new
