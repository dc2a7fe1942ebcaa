from __future__ import annotations

import json

import pytest

ADAPTERS = ["numpy.reference", "numpy.naive", "numpy.log_of_softmax", "scipy.special",
            "torch.softmax", "torch.log_softmax", "sklearn.extmath"]


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """A quick run of a few adapters (a reference, a library, two threads' variants), every
    op they provide: its directory, with report.json, report.md, report.html, outputs.npz."""
    from conformance.cli import main

    out = tmp_path_factory.mktemp("reports") / "run"
    code = main(["run", "--quick", "--no-golden", "--examples", "1", "--isolation", "none",
                 "--dtypes", "float16", "bfloat16", "float32", "--adapters", *ADAPTERS,
                 "--out", str(out), "--cache-dir", str(tmp_path_factory.mktemp("oracle"))])
    assert code == 0
    return out


@pytest.fixture(scope="session")
def small_report(small_run):
    return json.loads((small_run / "report.json").read_text())


BENCHED = ["numpy.reference", "torch.softmax", "tensorflow.nn", "scipy.special",
           "sklearn.extmath"]


@pytest.fixture(scope="session")
def bench_json(small_run):
    """conformance bench --quick on the five the speed chart must show, as JSON."""
    from conformance.cli import main

    out = small_run.parent / "bench.json"
    assert main(["bench", "--quick", "--budget", "60", "--repeats", "2", "--ops", "softmax",
                 "--adapters", *BENCHED, "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def bench_report(small_run, bench_json):
    """report.html re-rendered with the bench's speed (conformance report --bench)."""
    from conformance.cli import main

    out = small_run.parent / "with-speed.html"
    assert main(["report", str(small_run / "report.json"), "--bench", str(bench_json),
                 "--format", "html", "--out", str(out)]) == 0
    return out
