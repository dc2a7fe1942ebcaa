from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def oracle(tmp_path_factory):
    from conformance.oracle import Oracle

    return Oracle(cache_dir=tmp_path_factory.mktemp("oracle-cache"))


@pytest.fixture(scope="session")
def quick_cases():
    from cases import catalog

    return catalog(quick=True)


@pytest.fixture(scope="session")
def full_cases():
    """What `conformance run` feeds by default: the catalogue and the generated corpus."""
    from cases import catalog, generated_cases

    return catalog() + generated_cases()


@pytest.fixture(scope="session")
def full_run(oracle, full_cases):
    """Every registered adapter on the full catalogue, every op, once per test session."""
    from adapters import all_adapters
    from conformance.execute.runner import run
    from conformance.ops import OP_NAMES as OPS

    return run(all_adapters(), full_cases, oracle=oracle, ops=tuple(OPS))
