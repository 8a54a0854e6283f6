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
    """The rule engine: the bundled 小京庄乡 rulebook and rule files, without the trained recognizer.

    Most tests specify what the rules do (rule examples, probes, questions, acting, scope), so they
    run on the rules alone; the fused router (``fused``) is measured by ``dutyroute eval`` and has
    its own tests (tests/test_recognizer.py, the probe floor in tests/test_route_probes.py).
    """
    from dutyroute.routing.router import Router
    from dutyroute.store.bundle import Bundle

    b = Bundle.from_dir(None)
    return Router(b.rulebook, b.rules, recognizer=None)


@pytest.fixture(scope="session")
def fused():  # type: ignore[no-untyped-def]
    """The default router as shipped: the rules fused with the bundled recognizer (when there is one)."""
    from dutyroute.routing.router import Router

    return Router.default()
