"""conformance bench: each adapter's op timed against np.copyto of the same bytes, within a
budget; its results go into the report as a column and a chart."""

from __future__ import annotations

import json
import time

from adapters.base import Adapter
from conformance.cli import main
from conformance.execute.bench import (
    QUICK_SHAPES,
    SHAPES,
    Measurement,
    measure_adapter,
    time_best,
)
from conformance.execute.bench_run import bench

from .conftest import BENCHED


def test_the_default_shapes_are_a_language_models_logits():
    labels = {(s.shape, s.dtype, s.axis) for s in SHAPES}
    assert ((4096, 32000), "float32", -1) in labels and ((4096, 32000), "float32", 0) in labels
    assert ((64, 128256), "bfloat16", -1) in labels and ((64, 128256), "bfloat16", 0) in labels


def test_bench_json_holds_every_adapter_with_a_ratio_to_copy(bench_json):
    data = json.loads(bench_json.read_text())
    assert data["schema"] == "softmax-conformance/bench/1"
    ok = [m for m in data["measurements"] if m["status"] == "ok"]
    assert {m["adapter"] for m in ok} == set(BENCHED)
    for m in ok:
        shape = next(s for s in data["shapes"] if s["label"] == m["shape"])
        assert m["ratio"] == m["seconds"] / shape["copy_seconds"] and m["repeats"] >= 1
    peaks = {m["adapter"]: m["peak_bytes"] for m in ok}
    assert peaks["numpy.reference"] > 0 and peaks["scipy.special"] > 0  # NumPy reports
    assert peaks["torch.softmax"] is None  # torch on CPU reports nothing: left out
    assert any(m["status"] == "unsupported" and m["adapter"] == "sklearn.extmath"
               for m in data["measurements"])  # axis 0 is outside its capabilities


def test_the_report_shows_speed_as_a_column_and_a_chart(bench_report, small_run, bench_json):
    page = bench_report.read_text()
    assert 'data-plot="speed"' in page and "series-torch-softmax" in page
    for name in BENCHED:
        assert f"series-{name.replace('.', '-')}" in page, name
    md = small_run.parent / "with-speed.md"
    assert main(["report", str(small_run / "report.json"), "--bench", str(bench_json),
                 "--out", str(md)]) == 0
    text = md.read_text()
    assert "speed (× copy)" in text and "## Speed" in text
    assert "<th>speed (× copy)</th>" in page


def test_an_untimed_report_has_no_speed_column_and_says_why(small_run):
    """Without --bench the summary has no column of dashes; its lead says the run was not
    timed and how to time it."""
    page = (small_run / "report.html").read_text()
    assert "<th>speed (× copy)</th>" not in page and 'class="speed"' not in page
    assert "this run was not timed (conformance run --bench)" in page


def test_the_budget_stops_new_measurements():
    from adapters import get

    adapters = [get("numpy.reference"), get("scipy.special")]
    out, copy = bench(adapters, QUICK_SHAPES, ops=["softmax"], repeats=3, budget=1e-9)
    assert copy == {}  # past the budget no input is even made
    assert {m.status for m in out} == {"not-reached"} and len(out) == 2 * len(QUICK_SHAPES)


def test_time_best_warms_up_then_keeps_the_best():
    calls = []
    best, n = time_best(lambda: calls.append(1), 4, deadline=float("inf"))
    assert len(calls) == 5 and n == 4 and best >= 0
    calls.clear()
    best, n = time_best(lambda: calls.append(1), 4, deadline=0.0)  # spent in the warm-up
    assert len(calls) == 1 and n == 0 and best >= 0


def test_bad_budget_exits_2(capsys):
    assert main(["bench", "--quick", "--budget", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--budget" in err and "'0'" in err and "\n" not in err


def test_run_bench_puts_the_speed_in_every_report(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--quick", "--no-golden", "--examples", "0", "--isolation", "none",
                 "--adapters", "numpy.reference", "scipy.special", "--ops", "softmax",
                 "--dtypes", "float32", "--bench", "30", "--out", str(out), "--cache-dir",
                 str(tmp_path / "c")]) == 0
    report = json.loads((out / "report.json").read_text())
    bench_file = json.loads((out / "bench.json").read_text())
    assert report["speed"]["rows"] == bench_file["measurements"]
    assert {m["op"] for m in bench_file["measurements"]} == {"softmax"}  # the run's ops
    assert set(report["speed"]["by_adapter"]) == {"numpy.reference", "scipy.special"}
    assert "speed (× copy)" in (out / "report.md").read_text()
    assert 'data-plot="speed"' in (out / "report.html").read_text()


def test_the_bench_shows_a_progress_bar():
    import io

    from adapters import get
    from conformance.execute.progress import Progress

    stream = io.StringIO()
    progress = Progress(2, "conformance bench", stream=stream, enabled=True)
    bench([get("numpy.reference")], QUICK_SHAPES[:2], ops=["softmax"], repeats=1, budget=30,
          progress=progress)
    assert "conformance bench [" in stream.getvalue() and "2/2" in stream.getvalue()


def test_a_slow_implementation_is_killed_at_the_end_of_its_share():
    """numpy.jacobian_vjp builds an n x n Jacobian per row (a second per call here): with
    a 2 s budget and no grace its worker cannot finish, and the bench still ends on time."""
    import time

    from adapters import get

    t0 = time.perf_counter()
    out, _ = bench([get("numpy.jacobian_vjp")], QUICK_SHAPES, ops=["softmax_vjp"],
                   repeats=5, budget=2.0, grace=0.2)
    wall = time.perf_counter() - t0
    assert wall < 2.0 + 0.2 + 3.0, wall  # the budget, the grace, a process's teardown
    assert [m.shape for m in out] == [s.label for s in QUICK_SHAPES]
    assert {m.status for m in out} <= {"ok", "timeout", "not-reached"}
    assert {m.status for m in out} & {"timeout", "not-reached"}
    from conformance.record.files import schema_of
    from conformance.record.jsonschema import validate
    from conformance.record.speed import bench_json

    for status in ("timeout", "not-reached"):  # every status a bench writes, it reads back
        data = bench_json([Measurement("a", "softmax", "s", status)], [], {}, {}, 1.0)
        validate(data, schema_of("bench"))


def test_the_floor_is_one_per_array_whatever_the_axis(bench_json):
    data = json.loads(bench_json.read_text())
    by_bytes = {}
    for s in data["shapes"]:
        by_bytes.setdefault((tuple(s["shape"]), s["dtype"]), set()).add(s["copy_seconds"])
    assert all(len(v) == 1 for v in by_bytes.values())


def test_an_asynchronous_result_is_timed_until_it_is_ready():
    """A backend that dispatches asynchronously (JAX) returns before it has computed: the
    timer waits for block_until_ready, as the copy it is compared with is complete."""

    class Pending:
        def block_until_ready(self) -> Pending:
            time.sleep(0.01)
            return self

    lazy = Adapter(name="plugin.lazy", family="plugin", source="returns at once",
                   factory=lambda: {"softmax": lambda x, axis: Pending()})
    got: list[Measurement] = []
    measure_adapter(lazy, ["softmax"], QUICK_SHAPES[:1], 2, 30.0, got.append)
    assert [m.status for m in got] == ["ok"] and got[0].seconds >= 0.01
