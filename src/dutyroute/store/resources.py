"""Where the bundled data lives: ``rules/`` (inside the wheel as ``dutyroute/rules``; in a source
checkout, the repository's top-level ``rules/``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["corpus_dir", "rules_dir"]


def rules_dir() -> Path:
    """The bundled ``rules/`` directory.

    Raises:
        FileNotFoundError: neither the packaged copy nor a source checkout's ``rules/`` exists.
    """
    package = Path(__file__).resolve().parents[1]  # src/dutyroute (or site-packages/dutyroute)
    packaged = package / "rules"
    if packaged.is_dir():
        return packaged
    checkout = package.parents[1] / "rules"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"no bundled rules/ found (looked in {packaged} and {checkout}); reinstall dutyroute"
    )


def corpus_dir() -> Path:
    """The bundled labeled corpus (``corpus/``: inside the wheel as ``dutyroute/corpus``).

    Raises:
        FileNotFoundError: neither the packaged copy nor a source checkout's ``corpus/`` exists.
    """
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "corpus", package.parents[1] / "corpus"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no bundled corpus/ found (looked in {package / 'corpus'}); reinstall dutyroute")
