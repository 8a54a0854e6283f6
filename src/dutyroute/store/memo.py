"""Loaded rule data shared within a process while the files it was read from are unchanged.

Loading the bundled rulebook and rule files parses about 1 MB of YAML (~0.5 s). A service that
reloads its folder, a CLI test runner, or a program that builds several routers over the same folder
would pay that on every load. :func:`memoized` wraps a loader ``fn(path) -> value`` so that a second
call with the same path returns the first call's (immutable) value, as long as every file the first
call read through :func:`dutyroute.store.yamlio.read_yaml` still has the same bytes and the folders
those files sit in still list the same names (a ``roles.yaml`` or ``scope.yaml`` added or removed
changes the result, so it is a miss). Nothing is cached on disk; a loader that raises caches nothing.

A hit costs reading and hashing the files again (~2 ms for the bundled rules), not parsing them.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["memoized", "note_read"]

T = TypeVar("T")

MAX_ENTRIES = 16
"""Loads kept per loader (least recently used dropped first)."""

_reads: ContextVar[list[tuple[Path, str]] | None] = ContextVar("dutyroute_reads", default=None)


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def note_read(path: Path, data: bytes) -> None:
    """Record that the loader running now read ``data`` from ``path`` (no-op outside a loader)."""
    reads = _reads.get()
    if reads is not None:
        reads.append((path.resolve(), _digest(data)))


def _listing(folder: Path) -> tuple[str, ...] | None:
    try:
        return tuple(sorted(p.name for p in folder.iterdir()))
    except OSError:
        return None


@dataclass(frozen=True)
class _Entry:
    value: Any
    reads: tuple[tuple[Path, str], ...]
    listings: tuple[tuple[Path, tuple[str, ...] | None], ...]

    def still_valid(self) -> bool:
        for path, digest in self.reads:
            try:
                if _digest(path.read_bytes()) != digest:
                    return False
            except OSError:
                return False
        return all(_listing(folder) == names for folder, names in self.listings)


def memoized(fn: Callable[[Path], T]) -> Callable[[Path], T]:
    """Wrap a loader of one path so repeated loads of unchanged files share the first result.

    The loader's value must be immutable (rulebooks, rule sets and body registries are). The key is
    the path as given (with the working directory when it is relative: values keep the paths they
    were loaded with, for messages); the entry is checked against the bytes of every file the load
    read.
    """
    entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
    lock = threading.Lock()

    @wraps(fn)
    def load(path: Path) -> T:
        given = Path(path)
        key = (os.fspath(given), "" if given.is_absolute() else os.getcwd())
        with lock:
            entry = entries.get(key)
        if entry is not None and entry.still_valid():
            with lock:
                if key in entries:
                    entries.move_to_end(key)
            outer = _reads.get()
            if outer is not None:  # a memoized load inside another: the outer one read these too
                outer.extend(entry.reads)
            return entry.value  # type: ignore[no-any-return]
        reads: list[tuple[Path, str]] = []
        token = _reads.set(reads)
        try:
            value = fn(path)
        finally:
            _reads.reset(token)
        outer = _reads.get()
        if outer is not None:
            outer.extend(reads)
        folders = sorted({p.parent for p, _ in reads})
        new = _Entry(value, tuple(reads), tuple((f, _listing(f)) for f in folders))
        with lock:
            entries[key] = new
            entries.move_to_end(key)
            while len(entries) > MAX_ENTRIES:
                entries.popitem(last=False)
        return value

    load.cache_clear = entries.clear  # type: ignore[attr-defined]
    return load
