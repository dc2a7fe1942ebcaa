"""Runs every adapter on every case: results, agreement counts, conventions, timing.

The loop is case-major: the reference is computed once per case, every
adapter's output for that case is held only while the pairwise agreement is
counted, then dropped. An adapter that raises never stops the run. With
``isolation="process"`` every call goes to a worker process (see
conformance.execute.isolation) that survives crashes, hangs and exits; adapters may
also run in other Python environments, named ``adapter@env``; the workers start on the
cases while the others still load, and work ahead of the slowest by up to MAX_IN_FLIGHT
small cases. Ctrl-C or SIGTERM ends the loop with the cases finished so far and
``interrupted`` set (those under way are dropped), and ``resume`` continues a partial run
from its journal (conformance.record.journal).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from adapters.base import Adapter
from cases.model import Case
from conformance.execute.case_run import CaseRecord, Clock, Started, finish_case, start_case
from conformance.execute.executors import AdapterStatus, Executor, InProcess, Target
from conformance.execute.heap import Heap
from conformance.execute.progress import Progress
from conformance.measure.records import Result
from conformance.ops import get_op
from conformance.oracle import Oracle

__all__ = ["RunOutcome", "has_room", "run"]

# Cases under way at once. Each worker computes its calls of the cases in order at its own
# pace, so one that loaded first, or is faster, runs ahead of the slowest by up to
# MAX_IN_FLIGHT cases (in this process: two, the next one started before the one before is
# measured), as long as the inputs of the small ones stay under IN_FLIGHT_BYTES together:
# every adapter's output of a case is held until it is measured (equal outputs as one array:
# executors.Isolated). A case with more input than that is large (a float64 vocabulary row:
# about 70 outputs of 2 MiB, 45 MiB distinct), so one large case at most is under way, and
# the small ones go on around it (no worker waits for the slowest to reach it). 1 MiB, not
# 256 KiB: with 256 KiB the two long rows and two vocabulary rows of --quick (140 to 250 KB
# each) could not be under way together, and every worker drained to the slowest before
# each of them (with executors.Slots letting a worker keep its slot between batches:
# --quick 19.2 -> 16.6 s, median of 4 alternated runs each).
MAX_IN_FLIGHT = 128
IN_FLIGHT_BYTES = 1 << 20


def has_room(window: Sequence[Case], case: Case, most: int) -> bool:
    """May ``case`` start while the cases of ``window`` are under way?"""
    if len(window) >= most:
        return False
    small = [c.x.nbytes for c in window if c.x.nbytes <= IN_FLIGHT_BYTES]
    if case.x.nbytes > IN_FLIGHT_BYTES:
        return len(small) == len(window)  # no other large case
    return case.x.nbytes + sum(small) <= IN_FLIGHT_BYTES


@dataclass
class RunOutcome:
    statuses: list[AdapterStatus]
    cases: list[Case]
    results: list[Result]
    # op -> (adapter a, adapter b), a < b -> cases on which both ran / on which they agree
    agree: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    common: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    conventions: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    timing: dict[str, float] = field(default_factory=dict)
    completed: list[str] = field(default_factory=list)  # case ids every adapter has run
    interrupted: bool = False
    isolation: str = "none"
    # adapter -> case id -> output of the ops whose output is a distribution, for cases of at
    # most KEEP_OUTPUTS elements (merge uses them)
    outputs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)



def run(
    adapters: Sequence[Adapter | Target],
    cases: Sequence[Case] | Callable[[], Sequence[Case]],
    *,
    oracle: Oracle,
    ops: Sequence[str] = ("softmax",),
    progress: Progress | None = None,
    executor: Executor | None = None,
    resume: Sequence[CaseRecord] = (),
    on_case: Callable[[CaseRecord], None] | None = None,
) -> RunOutcome:
    """Run every target on every case, for each op it provides. Ctrl-C (KeyboardInterrupt)
    ends the loop between cases and returns what was finished, with ``interrupted`` set.
    ``cases`` may be a function that builds them: it runs while the adapters load.
    ``resume`` holds cases finished before (a journal's records): they are counted, not
    run again. ``on_case`` sees each case as it finishes, before it counts as done (the
    journal writes it to disk there)."""
    wall0 = time.perf_counter()
    executor = executor or InProcess()
    records = [get_op(name) for name in ops]
    targets = [t if isinstance(t, Target) else Target(t) for t in adapters]
    loading = executor.load_all(targets)
    if callable(cases):
        cases = cases()
        if progress is not None:
            progress.total = max(len(cases), 1)
    statuses: list[AdapterStatus] | None = None
    if executor.concurrent:  # planned as if every adapter loads: see finish_oldest
        available = [AdapterStatus(t.adapter, None, None, {}, 0.0, t.name, t.env, True)
                     for t in targets]
    else:
        statuses = loading()
        available = [s for s in statuses if s.available]
    outcome = RunOutcome(statuses=statuses or [], cases=list(cases), results=[],
                         isolation=executor.isolation)
    conventions: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    agree: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    common: dict[str, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    clock = Clock()

    def absorb(record: CaseRecord, *, new: bool = True) -> None:
        # a case counts once every adapter has run it
        if new and on_case is not None:
            on_case(record)
        outcome.results += record.results
        for name, kind, label in record.labels:
            conventions[name][kind].add(label)
        for op_name, a, b, agreed in record.agreement:
            common[op_name][a, b] += 1
            agree[op_name][a, b] += agreed
        for name, y in record.outputs.items():
            outcome.outputs.setdefault(name, {})[record.case] = y
        outcome.completed.append(record.case)
        if new and progress is not None:
            progress.advance(record.case)

    wanted = {c.id for c in cases}
    for record in resume:
        if record.case in wanted:
            absorb(record, new=False)
    done = set(outcome.completed)
    todo = [c for c in cases if c.id not in done]
    if progress is not None and len(todo) < len(cases):
        progress.advance("resumed", len(cases) - len(todo))
    unavailable: set[str] = set()

    def loaded() -> list[AdapterStatus]:
        """Every adapter's status, once each worker has loaded (or failed to)."""
        nonlocal statuses
        if statuses is None:
            statuses = outcome.statuses = loading()
            unavailable.update(s.label for s in statuses if not s.available)
        return statuses

    try:
        window: deque[Started] = deque()  # the cases under way, oldest first
        most = MAX_IN_FLIGHT if executor.concurrent else 2
        heap = Heap()  # this process gives back what a large case's measuring freed

        def finish_oldest() -> None:
            loaded()  # the cases under way leave out an adapter that failed to load
            absorb(finish_case(window.popleft(), clock, unavailable))
            heap.after_case()

        for case in todo:
            while window and not has_room([s.case for s in window], case, most):
                finish_oldest()
            window.append(start_case(case, records, available, executor, oracle, clock))
        while window:
            finish_oldest()
    except KeyboardInterrupt:
        outcome.interrupted = True
    finally:
        if progress is not None:
            progress.close()
    statuses = loaded()  # also when interrupted before a case finished
    outcome.agree = {o: dict(c) for o, c in agree.items()}
    outcome.common = {o: dict(c) for o, c in common.items()}
    outcome.conventions = {a: dict(k) for a, k in conventions.items()}
    outcome.timing = {
        "wall": time.perf_counter() - wall0,
        "imports": sum(s.import_seconds for s in statuses),
        "in_adapters": clock.in_adapters,
        "oracle": clock.oracle,
        "isolation_overhead": getattr(executor, "overhead", 0.0),
    }
    return outcome
