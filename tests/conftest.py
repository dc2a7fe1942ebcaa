from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def oracle(tmp_path_factory):
    from conformance.oracle import Oracle

    return Oracle(cache_dir=tmp_path_factory.mktemp("oracle-cache"))


@pytest.fixture(scope="session")
def core_cases():
    from cases import catalog

    return catalog(core=True)


@pytest.fixture(scope="session")
def full_cases():
    """What `conformance run` feeds by default: the catalogue and the generated corpus."""
    from cases import catalog, generated_cases

    return catalog() + generated_cases()


@pytest.fixture(scope="session")
def full_run(oracle, full_cases):
    """Every adapter of the default run on the full catalogue, every op, once per test
    session, in worker processes as `conformance run` runs them (the backends side by side;
    Keras on each backend in that backend's worker)."""
    from adapters import select
    from conformance.execute.executors import Isolated
    from conformance.execute.runner import run
    from conformance.ops import OP_NAMES as OPS

    executor = Isolated(timeout=600.0)
    try:
        outcome = run(select(None), full_cases, oracle=oracle, ops=tuple(OPS),
                      executor=executor)
    finally:
        executor.close()
    return outcome
