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


# The few tests that take seconds (a Spark session, a child process routing every probe, the whole
# corpus linted or checked for copies) start first, so the xdist workers finish together instead
# of one worker starting a long test when the other has nothing left.
_LONG_FIRST = (
    "test_spark.py",
    "test_determinism.py",
    "test_corpus.py::test_the_bundled_corpus_lints_without_errors",
    "test_no_dev_copies.py",
    "test_cli_route.py::test_batch_workers_write_the_same_bytes_in_input_order",
    "test_service.py::test_a_real_uvicorn_process_serves_and_stops_gracefully",
    "test_examples.py",
    "test_route_probes.py",
    "test_graph_properties.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        where = item.nodeid.split("/")[-1]
        return next((i for i, p in enumerate(_LONG_FIRST) if where.startswith(p)), len(_LONG_FIRST))

    items.sort(key=rank)  # stable: the order within each rank is kept
