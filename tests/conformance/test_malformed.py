"""Every malformed input gets exit 2 and one line (issue 12).

CORPUS holds malformed files and arguments, each run against the command that reads it,
in a subprocess (``python -m conformance ...`` from this checkout, in a fresh folder):
the command must exit 2, print exactly one line on stderr, naming the file or flag, and
no traceback anywhere. Files a command reads are made in that folder from text, bytes,
a directory where a file belongs, or a copy of a real report (one small ``conformance
run`` per module) with fields removed or of the wrong type.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import sys
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
ENV.pop("GITHUB_STEP_SUMMARY", None)


# -- what a malformed file is made of ---------------------------------------------------


class Dir:
    """A directory where a file is expected (the tests run as root: chmod 000 does not
    make a file unreadable, a directory in its place does)."""


DIR = Dir()


@dataclass(frozen=True)
class Real:
    """A copy of the real run's report.json (``name``: or another file of that run),
    with ``change`` applied to the parsed report before it is written back."""

    change: Callable[[dict[str, Any]], Any] | None = None
    name: str = "report.json"


@dataclass(frozen=True)
class Made:
    """Bytes made by a function (an npz, a large file)."""

    make: Callable[[], bytes]


Spec = str | bytes | Dir | Real | Made


def _npz(**arrays: Any) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def _pickled_npz() -> bytes:
    return _npz(**{"numpy.reference|x": np.array([{"a": 1}, None], dtype=object)})


def _zip_not_npz() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not an array")
    return buf.getvalue()


def _details_npz(text: bytes) -> Callable[[], bytes]:
    return lambda: _npz(__details__=np.frombuffer(text, dtype=np.uint8))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set report[a][b]... (``path`` "a.b.0.c") to ``value``."""

    def change(report: dict[str, Any]) -> None:
        *head, last = [int(k) if k.lstrip("-").isdigit() else k for k in path.split(".")]
        target: Any = report
        for key in head:
            target = target[key]
        target[last] = value

    return change


def _del(path: str) -> Callable[[dict[str, Any]], None]:
    def change(report: dict[str, Any]) -> None:
        *head, last = [int(k) if k.isdigit() else k for k in path.split(".")]
        target: Any = report
        for key in head:
            target = target[key]
        del target[last]

    return change


def _all(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def change(report: dict[str, Any]) -> None:
        for c in changes:
            c(report)

    return change


NESTED = "[" * 100_000 + "]" * 100_000
NESTED_OBJ = '{"a":' * 100_000 + "1" + "}" * 100_000
# nested just below what json reads, deeper than Python code that recurses can follow
DEEP, DEEP_TEXT = "@deep@", "[" * 900 + "]" * 900
REPORT = "softmax-conformance/report/2"

# Files that are not a report (or not a readable file at all): every command that reads a
# report.json, check JSON or bench JSON gets each of them.
NOT_A_REPORT: dict[str, Spec] = {
    "not-json": "this is not JSON {",
    "empty": "",
    "binary": b"\xff\xfe\x00\x81garbage",
    "nested-lists": NESTED,
    "nested-objects": NESTED_OBJ,
    "a-list": "[]",
    "null": "null",
    "not-a-report": '{"hello": 1}',
    "schema-not-a-string": '{"schema": 2}',
    "huge-integer": '{"schema": "' + REPORT + '", "seed": 1' + "0" * 5000 + "}",
    "a-directory": DIR,
    "older-version": Real(_set("schema", "softmax-conformance/report/1")),
    "newer-version": Real(_set("schema", "softmax-conformance/report/99")),
}

# Reports of the right schema with fields missing or of the wrong type.
BROKEN_REPORT: dict[str, Callable[[dict[str, Any]], None]] = {
    "no-results": _del("results"),
    "no-adapters": _del("adapters"),
    "no-summaries": _del("summaries"),
    "no-config": _del("config"),
    "no-verdict": _del("verdict"),
    "results-a-string": _set("results", "x"),
    "rows-not-lists": _set("results.rows", [1, 2]),
    "row-category-out-of-range": _set("results.rows.0.0", 999),
    "row-category-negative": _set("results.rows.0.1", -1),
    "row-category-a-string": _set("results.rows.0.2", "softmax"),
    "row-too-long": _set("results.rows.0", [0] * 40),
    "columns-missing": _set("results.columns", []),
    "categories-missing": _set("results.categories", {}),
    "adapter-not-an-object": _set("adapters.0", 1),
    "adapter-name-a-number": _set("adapters.0.name", 5),
    "case-shape-a-string": _set("cases.0.shape", "3x4"),
    "summary-per-op-a-list": _set("summaries.0.per_op", []),
    "summary-verdict-a-number": _set("summaries.0.verdict", 3),
    "timing-wall-a-string": _set("timing.wall", "slow"),
    "config-a-list": _set("config", []),
    "config-empty": _set("config", {}),
    "config-dtypes-a-number": _set("config.dtypes", 5),
    "agreement-adapters-a-number": _set("agreement.softmax.adapters", 1),
    "agreement-matrix-ragged": _set("agreement.softmax.matrix", [[1.0, 2.0], []]),
    "verdict-status-unknown": _set("verdict.status", "maybe"),
    "interrupted-a-string": _set("interrupted", "yes"),
    "counterexamples-empty-objects": _set("counterexamples", [{}]),
    "environment-version-a-number": _set("environment.versions.numpy", 2),
    "deep-inside-config": _set("config.extra", DEEP),
    "summaries-of-unknown-adapter": _set("summaries.0.adapter", "no.such"),
}

# An outputs.npz beside a good report.json: merge and run --resume read it.
BAD_NPZ: dict[str, Spec] = {
    "pickled": Made(_pickled_npz),
    "not-a-zip": "not an npz",
    "empty": "",
    "zip-of-text": Made(_zip_not_npz),
    "a-directory": DIR,
    "details-not-json": Made(_details_npz(b"{not json")),
    "details-wrong-shape": Made(_details_npz(b'{"a|b|c": 5}')),
}


# -- the corpus ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Malformed:
    """One malformed invocation: ``argv`` (after ``conformance``; run in a fresh folder
    holding ``files``) must exit 2 with one line on stderr containing ``fragment``.
    ``pending``: why it does not yet, where the fix belongs to code changed elsewhere (an
    expected failure, strict: it fails once the fix lands, to be removed then); ``slow``:
    not run while pending (it would run a whole ``conformance run`` first)."""

    id: str
    argv: tuple[str, ...]
    fragment: str
    files: dict[str, Spec] = field(default_factory=dict)
    pending: str = ""
    slow: bool = False


CORPUS: list[Malformed] = []


def bad(id: str, argv: str, fragment: str, *, pending: str = "", slow: bool = False,
        **files: Spec) -> None:
    """Add an entry; ``files`` maps a path (``__`` for ``/``) to what it holds."""
    CORPUS.append(Malformed(id, tuple(shlex.split(argv)), fragment,
                            {k.replace("__", "/"): v for k, v in files.items()}, pending,
                            slow))


# a folder no file can be made in, even by root (the tests may run as root)
NOWHERE = "/proc/conformance-malformed"
GOOD = {"good__report.json": Real(), "good__outputs.npz": Real(name="outputs.npz")}
PYPROJECT = "pyproject.toml"
REPORT_READERS = {
    # command line with {f} the malformed file -> the files it needs besides it
    "report": ("report {f}", {}),
    "report-html": ("report --format html {f}", {}),
    "report-bench": ("report good/report.json --bench {f}", GOOD),
    "diff-old": ("diff {f} good/report.json", GOOD),
    "diff-new": ("diff good/report.json {f}", GOOD),
    "diff-exact": ("diff --exact good/report.json {f}", GOOD),
    "merge": ("merge {f} good --out merged", GOOD),
    "hunt-out": ("hunt --adapters numpy.reference --dtypes float32 --max-examples 1 "
                 "--out bad", {}),
}

# a sample of the files against the readers that read them as report and diff-new do
SAMPLE_FILES = ("not-json", "nested-lists", "a-directory", "not-a-report", "older-version")


for _name, _spec in NOT_A_REPORT.items():
    for _cmd, (_argv, _files) in REPORT_READERS.items():
        if _cmd in ("report-html", "diff-old", "diff-exact") and _name not in SAMPLE_FILES:
            continue  # the same command and reading as report and diff-new: a sample
        bad(f"{_cmd}:{_name}", _argv.format(f="bad/report.json"), "bad/report.json",
            **{"bad__report.json": _spec}, **_files)

for _cmd, (_argv, _files) in REPORT_READERS.items():
    if _cmd != "hunt-out":  # it reads a report only where there is one
        bad(f"{_cmd}:missing", _argv.format(f="bad/report.json"), "bad/report.json",
            **_files)

for _name, _change in BROKEN_REPORT.items():
    for _cmd in ("report", "report-html", "diff-new", "merge", "hunt-out"):
        _argv, _files = REPORT_READERS[_cmd]
        bad(f"{_cmd}:{_name}", _argv.format(f="bad/report.json"), "bad/report.json",
            **{"bad__report.json": Real(_change)}, **_files)

for _name, _spec in BAD_NPZ.items():
    bad(f"merge:npz-{_name}", "merge good bad --out merged", "bad/outputs.npz",
        **{"bad__outputs.npz": _spec, "bad__report.json": Real()}, **GOOD)

# run --resume reads the run's journal (conformance.record.journal): a damaged first line
# is no journal; a damaged later line is run again (tests/conformance/test_resume.py)
for _name, _text in (("not-json", "this is not JSON {"), ("empty", ""),
                     ("header-tampered", '{"journal": 1, "run": {"golden": true}, '
                      '"hash": "0"}\n'), ("a-list", "[1, 2]\n"), ("a-directory", DIR)):
    bad(f"run-resume:journal-{_name}", "run --resume bad", "--resume bad",
        **{"bad__journal.jsonl": _text})

# report: where the output goes
bad("report:out-a-directory", "report good/report.json --out outdir", "outdir",
    outdir=DIR, **GOOD)
bad("report:out-under-a-file", "report good/report.json --out afile/x.md", "afile/x.md",
    afile="", **GOOD)
bad("report:out-unwritable", f"report good/report.json --out {NOWHERE}/x.md",
    f"{NOWHERE}/x.md", **GOOD)
bad("report:format", "report good/report.json --format pdf", "--format", **GOOD)

# diff: the factor
for _v in ("-1", "0", "nan", "inf", "abc", "1e999"):
    bad(f"diff:factor={_v}", f"diff good/report.json good/report.json --factor {_v}",
        "--factor", **GOOD)

# merge: the output folder and the labels
bad("merge:out-a-file", "merge good --out afile", "afile", afile="", **GOOD)
bad("merge:out-unwritable", f"merge good --out {NOWHERE}/m", f"{NOWHERE}/m", **GOOD)
bad("merge:labels-too-few", "merge good good --out m --label a", "--label", **GOOD)
bad("merge:label-bad", "merge good --out m --label 'a b'", "--label", **GOOD)
bad("merge:label-empty", "merge good --out m --label ''", "--label", **GOOD)

# check: the implementation, the policy table, the outputs, the numbers
CHECK = "check --adapter numpy.reference --dtypes float32 --isolation none"
bad("check:impl-no-colon", "check --impl nosuchmodule --dtypes float32", "--impl")
bad("check:impl-missing-module", "check --impl nosuch_module_xyz:f --dtypes float32 "
    "--isolation none", "nosuch_module_xyz")
bad("check:impl-missing-file", "check --impl missing.py:f --dtypes float32", "missing.py")
bad("check:impl-a-directory", "check --impl pkgdir.py:f --dtypes float32", "pkgdir.py",
    **{"pkgdir.py": DIR})
bad("check:impl-syntax-error", "check --impl broken.py:f --dtypes float32 --isolation none",
    "broken.py", **{"broken.py": "def f(:\n"})
bad("check:impl-not-callable", "check --impl mod.py:f --dtypes float32 --isolation none",
    "f", **{"mod.py": "f = 3\n"})
bad("check:neither", "check --dtypes float32", "--impl")
bad("check:adapter-unknown", "check --adapter no.such", "no.such")
bad("check:framework", "check --impl a:b --framework fortran", "fortran")
bad("check:op", f"{CHECK} --op softmin", "--op")
bad("check:axis", "check --impl a:b --axis diagonal", "--axis")
bad("check:ndim-zero", "check --impl a:b --ndim 0", "--ndim")
bad("check:ndim-text", "check --impl a:b --ndim two", "--ndim")
bad("check:device", "check --adapter numpy.reference --device '??'", "--device")
bad("check:dtypes-empty", "check --adapter numpy.reference --dtypes ''", "--dtypes")
bad("check:dtypes-unknown", "check --adapter numpy.reference --dtypes float8", "--dtypes")
bad("check:policy-unknown", f"{CHECK} --policy lenient", "--policy lenient")
for _v in ("-1", "nan", "inf", "0", "abc", "1e999"):
    bad(f"check:timeout={_v}", f"{CHECK} --timeout {_v}", "--timeout")
for _v in ("1", "abc", "-5G", "infG", "nanM", "99999T", "''"):
    bad(f"check:memory-limit={_v}", f"check --adapter numpy.reference --dtypes float32 "
        f"--memory-limit {_v}", "--memory-limit")
for _v in ("-1", "10000000000000000000000", "abc", "1000000000"):
    bad(f"check:hunt={_v}", f"{CHECK} --hunt {_v}", "--hunt")
bad("check:json-a-directory", f"{CHECK} --json outdir", "outdir", outdir=DIR)
bad("check:json-under-a-file", f"{CHECK} --json afile/x.json", "afile/x.json", afile="")
bad("check:json-unwritable", f"{CHECK} --json {NOWHERE}/x.json", f"{NOWHERE}/x.json")
bad("check:junit-a-directory", f"{CHECK} --junit outdir", "outdir", outdir=DIR)
bad("check:junit-under-a-file", f"{CHECK} --junit afile/x.xml", "afile/x.xml", afile="")
bad("check:xfail-missing", f"{CHECK} --xfail nosuch.json", "nosuch.json")
bad("check:xfail-not-json", f"{CHECK} --xfail x.json", "x.json", **{"x.json": "{"})
bad("check:xfail-a-list", f"{CHECK} --xfail x.json", "x.json", **{"x.json": "[1]"})
bad("check:xfail-nested", f"{CHECK} --xfail x.json", "x.json", **{"x.json": NESTED})
bad("check:xfail-a-directory", f"{CHECK} --xfail x.toml", "x.toml", **{"x.toml": DIR})
bad("check:cache-dir-a-file", f"{CHECK} --cache-dir afile", "afile", afile="")
bad("check:memory-limit-in-process", f"{CHECK} --memory-limit lots", "--memory-limit")

POLICY_TABLES = {
    "not-toml": "[tool.conformance\n",
    "binary": "\udcff",
    "tool-not-a-table": "tool = 3\n",
    "policies-not-a-table": "[tool.conformance]\npolicies = 3\n",
    "policy-not-a-table": "[tool.conformance.policies]\nmine = 3\n",
    "accuracy-inf": "[tool.conformance.policies.mine]\naccuracy = inf\n",
    "accuracy-nan": "[tool.conformance.policies.mine]\naccuracy = nan\n",
    "accuracy-zero": "[tool.conformance.policies.mine]\naccuracy = 0\n",
    "accuracy-negative": "[tool.conformance.policies.mine]\naccuracy = -3\n",
    "accuracy-huge": "[tool.conformance.policies.mine]\naccuracy = 1e300\n",
    "accuracy-dtype-inf": "[tool.conformance.policies.mine.accuracy]\nfloat32 = inf\n",
    "row-sum-negative": "[tool.conformance.policies.mine]\nrow_sum_base = -1\n",
    "row-sum-nan": "[tool.conformance.policies.mine]\nrow_sum_per_log2 = nan\n",
    "unknown-key": "[tool.conformance.policies.mine]\naccuracyy = 3\n",
}
for _name, _text in POLICY_TABLES.items():
    _spec: Spec = b"\xff\xfe[tool" if _name == "binary" else _text
    bad(f"check:pyproject-{_name}", f"{CHECK} --policy mine", PYPROJECT,
        **{PYPROJECT: _spec})
for _name in ("accuracy-inf",):  # the policy is read as check reads it
    bad(f"hunt:pyproject-{_name}", "hunt --adapters numpy.reference --dtypes float32 "
        "--max-examples 1 --policy mine", PYPROJECT, **{PYPROJECT: POLICY_TABLES[_name]})
bad("check:pyproject-a-directory", f"{CHECK} --policy mine", PYPROJECT, **{PYPROJECT: DIR})
bad("check:pyproject-flag-a-directory", f"{CHECK} --pyproject cfg --policy mine", "cfg",
    cfg=DIR)

# hunt: its numbers, its output folder
HUNT = "hunt --adapters numpy.reference --dtypes float32"
for _flag, _values in (("--max-examples", ("-1", "0", "10000000000000000000000", "abc")),
                       ("--seed", ("-1", "10000000000000000000000")),
                       ("--budget", ("-5", "0", "nan", "inf"))):
    for _v in _values:
        bad(f"hunt:{_flag[2:]}={_v}", f"{HUNT} --max-examples 1 {_flag} {_v}", _flag)
bad("hunt:checks", f"{HUNT} --checks nosuch", "--checks")
bad("hunt:dtypes-empty", f"{HUNT} --dtypes ''", "--dtypes")
bad("hunt:op", f"{HUNT} --op softmin", "--op")
bad("hunt:adapters", "hunt --adapters no.such", "no.such")
bad("hunt:adapters-empty", "hunt --adapters ''", "--adapters")
bad("hunt:out-a-file", f"{HUNT} --max-examples 1 --out afile", "afile", afile="")
bad("hunt:out-unwritable", f"{HUNT} --max-examples 1 --out {NOWHERE}/h", f"{NOWHERE}/h")
bad("hunt:database-a-file", f"{HUNT} --max-examples 1 --database afile", "afile", afile="")
bad("hunt:impl-missing", "hunt --impl nosuch_module_xyz:f --dtypes float32", "nosuch_module_xyz")

# run: its arguments only (a real run is not started)
RUN = "run --adapters numpy.reference --quick --no-golden --examples 0"
bad("run:dtypes-empty", f"{RUN} --dtypes ''", "--dtypes")
bad("run:dtypes-unknown", f"{RUN} --dtypes float8", "--dtypes")
bad("run:ops-empty", f"{RUN} --ops ''", "--ops")
for _v in ("-1", "nan", "inf", "0", "abc"):
    bad(f"run:timeout={_v}", f"{RUN} --timeout {_v}", "--timeout")
for _v in ("10000000000000000000000", "-1", "abc"):
    bad(f"run:seed={_v}", f"{RUN} --seed {_v}", "--seed")
for _v in ("1000000000", "-1"):
    bad(f"run:examples={_v}", f"run --examples {_v}", "--examples")
bad("run:memory-limit", f"{RUN} --memory-limit 12", "--memory-limit")
bad("run:device", f"{RUN} --device '??'", "--device")
bad("run:env-malformed", f"{RUN} --env novalue", "--env")
bad("run:env-missing-python", f"{RUN} --env x=/no/such/python", "/no/such/python")
bad("run:adapters-unknown-env", "run --adapters 'numpy.reference@nowhere'", "nowhere")
bad("run:out-a-file", f"{RUN} --dtypes float32 --ops softmax --isolation none --out afile",
    "afile", afile="")
bad("run:adapters-empty", "run --adapters ''", "--adapters")
bad("run:memory-limit-empty", f"{RUN} --memory-limit ''", "--memory-limit")
bad("run:cache-dir-a-file", f"{RUN} --dtypes float32 --ops softmax --cache-dir afile",
    "afile", afile="")
bad("run:resume-no-run", "run --resume emptydir", "emptydir", emptydir=DIR)
bad("run:resume-a-file", "run --resume afile", "afile", afile="")
bad("run:resume-missing", "run --resume nosuchdir", "nosuchdir")
bad("run:pyproject-a-directory", f"{RUN}", PYPROJECT, **{PYPROJECT: DIR})
bad("run:pyproject-not-toml", f"{RUN}", PYPROJECT, **{PYPROJECT: "[tool.conformance\n"})
bad("run:pyproject-environments-not-a-table", f"{RUN}", PYPROJECT,
    **{PYPROJECT: "[tool.conformance]\nenvironments = 3\n"})
bad("run:pyproject-environment-not-a-path", f"{RUN}", PYPROJECT,
    **{PYPROJECT: "[tool.conformance.environments]\nx = 3\n"})
for _v in ("-1", "nan"):
    bad(f"run:bench={_v}", f"{RUN} --bench {_v}", "--bench")

# env
bad("env:registry-not-toml", "env list", "environments.toml",
    **{"cache/softmax-conformance/environments.toml": "[environments\n"})
bad("env:registry-a-directory", "env list", "environments.toml",
    **{"cache/softmax-conformance/environments.toml": DIR})
bad("env:registry-not-a-table", "env list", "environments.toml",
    **{"cache/softmax-conformance/environments.toml": "environments = 3\n"})
bad("env:create-bad-name", "env create '../x' --packages numpy", "../x")
bad("env:create-no-python", "env create x --packages numpy --python /no/such/python",
    "/no/such/python")
bad("env:create-dir-a-file", "env create x --packages numpy --dir afile", "afile", afile="")

# bench, bench-oracle, bench-gate, bench-harness, list
BENCH = "bench --adapters numpy.reference --quick"
for _v in ("-5", "0", "nan", "inf"):
    bad(f"bench:budget={_v}", f"{BENCH} --budget {_v}", "--budget")
for _v in ("0", "-1", "10000000000000000000000"):
    bad(f"bench:repeats={_v}", f"{BENCH} --repeats {_v}", "--repeats")
bad("bench:ops", f"{BENCH} --ops softmin", "--ops")
bad("bench:adapters", "bench --adapters no.such", "no.such")
bad("bench:adapters-empty", "bench --adapters ''", "--adapters")
bad("bench:out-a-directory", f"{BENCH} --budget 1 --out outdir", "outdir", outdir=DIR)
bad("bench:out-under-a-file", f"{BENCH} --budget 1 --out afile/b.json", "afile/b.json",
    afile="")
for _flag, _v in (("--n", "0"), ("--n", "10000000000000000000000"), ("--n", "-1"),
                  ("--mp-values", "10000000000000000000000"), ("--repeat", "0"),
                  ("--repeat", "10000000000000000000000"), ("--seed", "-1"),
                  ("--seed", "10000000000000000000000"), ("--dtype", "float8"),
                  ("--op", "softmin")):
    bad(f"bench-oracle:{_flag[2:]}={_v}", f"bench-oracle {_flag} {_v}", _flag)
bad("bench-gate:mutants", "bench-gate --mutants no.such", "--mutants")
bad("bench-gate:dtypes", "bench-gate --dtypes float8", "--dtypes")
bad("bench-gate:cache-dir-a-file", "bench-gate --mutants ok.stable --cache-dir afile", "afile",
    afile="")
for _v in ("0", "abc", "10000000000000000000000"):
    bad(f"bench-harness:repeat={_v}", f"bench-harness --repeat {_v}", "--repeat")
bad("bench-harness:json-a-directory", "bench-harness --json outdir", "outdir", outdir=DIR)
bad("list:adapters", "list --adapters no.such", "no.such")
bad("list:adapters-empty", "list --adapters ''", "--adapters")
bad("unknown-command", "frobnicate", "frobnicate")


# -- running it ---------------------------------------------------------------------------


def _materialize(root: Path, files: dict[str, Spec], real: Path) -> None:
    for rel, spec in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, Dir):
            path.mkdir(exist_ok=True)
        elif isinstance(spec, str):
            path.write_text(spec, encoding="utf-8", errors="surrogateescape")
        elif isinstance(spec, bytes):
            path.write_bytes(spec)
        elif isinstance(spec, Made):
            path.write_bytes(spec.make())
        elif spec.change is None:
            path.write_bytes((real / spec.name).read_bytes())
        else:
            report = json.loads((real / spec.name).read_text())
            spec.change(report)
            path.write_text(json.dumps(report).replace(f'"{DEEP}"', DEEP_TEXT))


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def _run(entry: Malformed, root: Path, real: Path) -> Outcome:
    root.mkdir(parents=True)
    _materialize(root, entry.files, real)
    env = {**ENV, "XDG_CACHE_HOME": str(root / "cache")}
    try:
        proc = subprocess.run([sys.executable, "-m", "conformance", *entry.argv], cwd=root,
                              env=env, capture_output=True, text=True, errors="replace",
                              timeout=120, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        return Outcome(-1, str(exc.stdout), f"timed out after 120 s: {exc.stderr!r}")
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> Path:
    """A real report.json and outputs.npz, from the smallest run that writes them."""
    out = tmp_path_factory.mktemp("real") / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--quick", "--adapters",
         "numpy.reference", "--no-golden", "--examples", "0", "--dtypes", "float32",
         "--ops", "softmax", "log_softmax", "--isolation", "none", "--out", str(out),
         "--cache-dir", str(out.parent / "cache")],
        cwd=out.parent, env=ENV, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def outcomes(request, real_run, tmp_path_factory) -> dict[str, Any]:
    """The selected entries, run in a small thread pool (each a subprocess)."""
    selected = [item.callspec.params["entry"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")
                and "entry" in item.callspec.params
                and not (item.callspec.params["entry"].pending
                         and item.callspec.params["entry"].slow)]
    root = tmp_path_factory.mktemp("malformed")
    # two per core: a subprocess spends part of its short life waiting on the disk
    with ThreadPoolExecutor(max_workers=min(8, 2 * (os.cpu_count() or 1))) as pool:
        futures = {e.id: pool.submit(_run, e, root / f"{i:04d}", real_run)
                   for i, e in enumerate(selected)}
        return {k: f.result() for k, f in futures.items()}


def _param(entry: Malformed) -> Any:
    marks = [pytest.mark.xfail(reason=entry.pending, strict=True, run=not entry.slow)
             ] if entry.pending else []
    return pytest.param(entry, marks=marks, id=entry.id)


@pytest.mark.parametrize("entry", [_param(e) for e in CORPUS])
def test_malformed_input_exits_2_with_one_line(entry, outcomes):
    got = outcomes[entry.id]
    shown = f"conformance {shlex.join(entry.argv)}\nexit {got.code}\nstderr:\n{got.stderr}"
    assert "Traceback" not in got.stderr + got.stdout, shown
    assert got.code == 2, shown
    lines = got.stderr.rstrip("\n").split("\n")
    assert len(lines) == 1 and lines[0].strip(), shown
    assert entry.fragment in lines[0], shown


def test_corpus_ids_are_unique():
    ids = [e.id for e in CORPUS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("argv", [["list", "--adapters", "numpy.reference"], ["--help"],
                                  ["run", "--help"]])
def test_closed_stdout_gives_no_traceback(argv, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "conformance", *argv], cwd=tmp_path,
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader went away before anything was written (| head -c0)
    err = proc.stderr.read().decode(errors="replace")
    code = proc.wait(timeout=60)
    assert "Traceback" not in err and "Exception" not in err and "Error" not in err, err
    assert code in (0, 1, 141, -13, 120), (code, err)
