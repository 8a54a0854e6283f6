"""Shared fixtures: the bundled bodies and the parsed seed (parsed once per session)."""

from __future__ import annotations

import pytest
from listkit import SEED

from dutyroute.ingest import ParsedLists
from dutyroute.model.bodies import BodyRegistry
from dutyroute.store.bodies import load_bodies
from dutyroute.store.seeds import read_lists


@pytest.fixture(scope="session")
def registry() -> BodyRegistry:
    return load_bodies()


@pytest.fixture(scope="session")
def parsed(registry: BodyRegistry) -> ParsedLists:
    return read_lists(SEED, registry=registry)


@pytest.fixture(scope="session")
def matters(parsed: ParsedLists) -> dict:
    return {m.id: m for m in parsed.matters}


@pytest.fixture(scope="session")
def router():  # type: ignore[no-untyped-def]
    """The default router (bundled 小京庄乡 rulebook and rules), built once."""
    from dutyroute.routing.router import Router

    return Router.default()
