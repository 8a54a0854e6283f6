"""Canonical bodies (主体): one name per real body, every spelling resolved, "did you mean" on misses.

The registry is read from ``rules/bodies.yaml`` by :func:`dutyroute.store.bodies.load_bodies` (see the
comment at the file's top for the format). Lookup
keys are normalised (NFKC, so full-width and half-width brackets match; whitespace removed), so
``县公安局（县交通警察大队）`` and ``县公安局(县交通警察大队)`` are the same alias.

Example::

    >>> from dutyroute.store.bodies import load_bodies
    >>> reg = load_bodies()
    >>> reg.resolve("县农业农村局和水利局").name
    '县农业农村和水务局'
    >>> [b.name for b in reg.resolve_many("县应急管理局及相关部门")]
    ['县应急管理局', '相关部门']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import RuleFileError, UnknownBodyError
from .lists import Body, BodyKind

__all__ = ["BodyRegistry", "looks_like_body", "name_key"]

_SPACE = re.compile(r"\s+")

# A name that reads like a body: starts like an administrative name and ends with an organ suffix.
# Used to tell a misspelt department header ("县农业局：") from a clause label ("建立指挥体系：").
_BODYLIKE = re.compile(
    r"^(?:县|市|省|乡|镇|国网|中共|大同|左云|其他|其它|各)"
    r".*(?:局|分局|厅|委员会|委|大队|中队|公司|联合会|研究室|部门|中心|站|所|办公室|办|院|队)(?:）|\))?$"
)

# "县应急管理局和其他负有…职责的部门", "县应急管理局及相关部门": a body joined to a placeholder.
_CONJOINED = re.compile(r"^(?P<head>.+?)(?:和|及|以及|与)(?P<tail>(?:其他|其它|相关|有关).+)$")
_LIST_SEPARATORS = re.compile(r"[、，,；;\s]+")


def name_key(name: str) -> str:
    """Lookup key of a body name: NFKC-normalised (full-width → half-width), whitespace removed."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name))


def looks_like_body(name: str) -> bool:
    """True if ``name`` reads like an organ name (``县农业局``), not a clause label (``建立指挥体系``)."""
    return bool(_BODYLIKE.match(name_key(name)))


class BodyRegistry:
    """Every known body, looked up by id, canonical name or alias.

    Args:
        bodies: the bodies; ids, names and aliases must be unique across all of them.
        path: the file they came from, for error messages.
        lines: 1-based line of each body's entry in ``path`` (by id), for error messages.

    Raises:
        RuleFileError: a duplicate id, a name or alias claimed by two bodies, a parent that does
            not exist, or a body that is its own ancestor (a cycle of parents).
    """

    def __init__(
        self,
        bodies: Iterable[Body],
        *,
        path: str | Path | None = None,
        lines: dict[str, int] | None = None,
    ) -> None:
        self.path = path
        self._lines = lines or {}
        self._bodies: tuple[Body, ...] = tuple(bodies)
        self._by_id: dict[str, Body] = {}
        self._by_key: dict[str, Body] = {}
        for body in self._bodies:
            line = self._lines.get(body.id)
            if body.id in self._by_id:
                raise RuleFileError(f"duplicate body id {body.id!r}", path=path, line=line)
            self._by_id[body.id] = body
            for spelling in (body.name, *body.aliases):
                key = name_key(spelling)
                other = self._by_key.get(key)
                if other is not None and other.id != body.id:
                    raise RuleFileError(
                        f"name {spelling!r} of body {body.id!r} is already used by {other.id!r} "
                        f"({other.name}); an alias must belong to exactly one body",
                        path=path,
                        line=line,
                    )
                self._by_key[key] = body
        for body in self._bodies:
            if body.parent is not None and body.parent not in self._by_id:
                raise RuleFileError(
                    f"body {body.id!r} has parent {body.parent!r}, which is not a body id",
                    path=path,
                    line=self._lines.get(body.id),
                )
        self._check_parents_form_a_tree()
        self._names = [b.name for b in self._bodies]
        self._prefixes = _place_prefixes(self._bodies)

    def _check_parents_form_a_tree(self) -> None:
        """Every chain of parents ends (no body is its own ancestor); linear in the bodies: each
        body is walked at most once, the chains already known to end are not walked again."""
        ends: set[str] = set()
        for body in self._bodies:
            chain: list[str] = []
            on_chain: set[str] = set()
            cur: Body | None = body
            while cur is not None and cur.id not in ends:
                if cur.id in on_chain:
                    loop = [*chain[chain.index(cur.id) :], cur.id]
                    raise RuleFileError(
                        f"body {cur.id!r} is its own ancestor ({' → '.join(loop)}): a parent chain "
                        "must end at a body without a parent; fix the 'parent:' of one of them",
                        path=self.path,
                        line=self._lines.get(cur.id),
                    )
                chain.append(cur.id)
                on_chain.add(cur.id)
                cur = self._by_id.get(cur.parent) if cur.parent else None
            ends.update(chain)

    # ── lookups ──────────────────────────────────────────────────────────────────────────────
    def __iter__(self) -> Iterator[Body]:
        return iter(self._bodies)

    def __len__(self) -> int:
        return len(self._bodies)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    @property
    def bodies(self) -> tuple[Body, ...]:
        """All bodies, in file order."""
        return self._bodies

    def get(self, name: str) -> Body | None:
        """The body whose canonical name or alias is ``name`` (normalised), or None.

        Besides the exact spellings, two everyday forms of a county-level name resolve, both read
        from the file's own names (nothing is hard-coded):

        - with the place written out: ``左云县住建局`` → ``县住建局``, because aliases such as
          ``左云县公安局`` (of ``县公安局``) show that ``左云县`` stands for ``县`` here;
        - without the level: ``住建局`` → ``县住建局``, ``生态环境局`` → ``县生态环境局``, as dispatchers
          write them (the ``县``/``市`` form must itself be a name or alias).
        """
        key = name_key(name)
        body = self._by_key.get(key)
        if body is not None or not key:
            return body
        for prefix, level in self._prefixes:
            if key.startswith(prefix) and len(key) > len(prefix):
                body = self._by_key.get(level + key[len(prefix) :])
                if body is not None:
                    return body
        if key[0] not in _LEVELS:
            for level in _LEVELS[:2]:
                body = self._by_key.get(level + key)
                if body is not None:
                    return body
        return None

    def by_id(self, body_id: str) -> Body:
        """The body with this id.

        Raises:
            UnknownBodyError: no such id; suggests close ids.
        """
        try:
            return self._by_id[body_id]
        except KeyError:
            raise UnknownBodyError(
                body_id, self._suggest(body_id, list(self._by_id)), path=self.path
            ) from None

    def has_id(self, body_id: str) -> bool:
        """True if a body has this id."""
        return body_id in self._by_id

    def line_of(self, body_id: str) -> int | None:
        """1-based line of the body's entry in ``bodies.yaml``, if known."""
        return self._lines.get(body_id)

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Up to ``limit`` canonical names closest to ``name`` (rapidfuzz WRatio), best first."""
        return self._suggest(name, self._names, limit)

    @staticmethod
    def _suggest(value: str, choices: list[str], limit: int = 3) -> list[str]:
        from rapidfuzz import fuzz, process

        hits = process.extract(value, choices, scorer=fuzz.WRatio, limit=limit, score_cutoff=50)
        return [choice for choice, _score, _index in hits]

    def resolve(
        self,
        name: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        context: str = "",
    ) -> Body:
        """The body ``name`` (canonical or alias) stands for.

        Args:
            name: a body name as written.
            path, line, context: where the name came from, for the error message.

        Raises:
            UnknownBodyError: nothing resolves it; ``suggestions`` holds the closest known names.
        """
        body = self.get(name)
        if body is None:
            raise UnknownBodyError(name, self.suggest(name), path=path, line=line, context=context)
        return body

    def resolve_many(
        self,
        text: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        context: str = "",
    ) -> list[Body]:
        """Every body a joint name names, in order, without repeats (see :meth:`resolve_parts`).

        Raises:
            UnknownBodyError: a part resolves to no body.
        """
        out: list[Body] = []
        for _spelling, body in self.resolve_parts(text, path=path, line=line, context=context):
            if body not in out:
                out.append(body)
        return out

    def resolve_parts(
        self,
        text: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        context: str = "",
    ) -> list[tuple[str, Body]]:
        """Each part of a joint name with the body it names: ``[(spelling, body), …]`` in order.

        Handles lists joined by ``、``/``，``/whitespace (``县财政局、县规划和自然资源局``) and a body
        joined to a placeholder (``县应急管理局和其他负有…职责的部门``, ``县应急管理局及相关部门``).
        A whole name that is itself known (``县农业农村和水务局`` contains 和) is never split.

        Raises:
            UnknownBodyError: a part resolves to no body, or ``text`` is blank.
        """
        whole = self.get(text)
        if whole is not None:
            return [(text.strip(), whole)]
        out: list[tuple[str, Body]] = []
        for part in (p for p in _LIST_SEPARATORS.split(text.strip()) if p):
            found = self.get(part)
            if found is not None:
                out.append((part, found))
                continue
            m = _CONJOINED.match(part)
            head = self.get(m["head"]) if m else None
            tail = self.get(m["tail"]) if m else None
            if m is None or head is None or tail is None:
                raise UnknownBodyError(part, self.suggest(part), path=path, line=line, context=context)
            out.extend([(m["head"], head), (m["tail"], tail)])
        if not out:
            raise UnknownBodyError(text, [], path=path, line=line, context=context)
        return out

    def parent_of(self, body: Body) -> Body | None:
        """The body ``body`` belongs to, or None."""
        return self._by_id.get(body.parent) if body.parent else None

    def of_kind(self, *kinds: BodyKind) -> list[Body]:
        """Bodies of the given kinds, in file order."""
        return [b for b in self._bodies if b.kind in kinds]


_LEVELS = "县市乡镇"


def _place_prefixes(bodies: Iterable[Body]) -> list[tuple[str, str]]:
    """``(place prefix, level)`` pairs the names imply, longest first: an alias ``左云县公安局`` of
    ``县公安局`` gives ``("左云县", "县")``; ``大同市生态环境局左云分局`` of ``市生态环境局左云分局``
    gives ``("大同市", "市")``."""
    found: set[tuple[str, str]] = set()
    for body in bodies:
        name = name_key(body.name)
        if len(name) < 3 or name[0] not in _LEVELS[:2]:
            continue
        for alias in body.aliases:
            key = name_key(alias)
            if key.endswith(name[1:]) and len(key) > len(name):
                prefix = key[: len(key) - len(name) + 1]
                if prefix.endswith(name[0]) and 2 <= len(prefix) <= 6:
                    found.add((prefix, name[0]))
    return sorted(found, key=lambda p: (-len(p[0]), p))
