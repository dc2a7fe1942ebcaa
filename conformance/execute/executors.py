"""Where adapters are loaded and called: in this process, or in worker processes.

``InProcess`` loads and calls adapters here: fastest, with no protection. ``Isolated``
puts them in worker processes (conformance.execute.isolation), one per backend family
and environment, that survive crashes, hangs and exits; the workers of different
backends import and compute at the same time (one thread per worker here, at most
``jobs`` computing at once), and a case travels to each worker once with every call it
has for it.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from adapters.base import Adapter, Loaded, Unavailable
from adapters.calling import Call, call_op
from conformance.measure.agreement import output_key
from conformance.ops import OpCase

__all__ = [
    "AdapterStatus",
    "Call",
    "Executor",
    "InProcess",
    "Isolated",
    "Target",
    "call_adapter",
    "load_adapters",
]


@dataclass(frozen=True)
class Target:
    """An adapter to run, in this environment (env None) or another one, on a device (None:
    the backend's default). Its column is ``adapter[@device][@env]``."""

    adapter: Adapter
    env: str | None = None
    device: str | None = None

    @property
    def name(self) -> str:
        return "@".join(p for p in (self.adapter.name, self.device, self.env) if p)


@dataclass(frozen=True)
class AdapterStatus:
    adapter: Adapter
    loaded: Loaded | None
    reason: str | None
    versions: dict[str, str]
    import_seconds: float
    name: str = ""
    env: str | None = None
    available_in_worker: bool | None = None
    environment: dict[str, Any] = field(default_factory=dict)
    # why a worker could not load it: unavailable, usage, crash or timeout (execute.isolation)
    failure: str | None = None

    @property
    def available(self) -> bool:
        if self.available_in_worker is not None:
            return self.available_in_worker
        return self.loaded is not None

    @property
    def label(self) -> str:
        return self.name or self.adapter.name


def load_adapters(adapters: Sequence[Adapter]) -> list[AdapterStatus]:
    """Each adapter loaded here, or in a worker of its own where it asks for one
    (``worker_env``: a backend set up at import, like Keras's)."""
    isolated = Isolated() if any(a.worker_env for a in adapters) else None
    try:
        return [(isolated if a.worker_env and isolated else InProcess()).load(Target(a))
                for a in adapters]
    finally:
        if isolated is not None:
            isolated.close()


class Executor(Protocol):
    isolation: str
    # do calls run elsewhere while this process goes on? Then they may be started before
    # load_all's loading is over (they wait for it, in order), and many cases at once
    concurrent: bool

    def load(self, target: Target) -> AdapterStatus: ...

    def load_all(self, targets: Sequence[Target]) -> Callable[[], list[AdapterStatus]]:
        """Start loading; the function returned waits and gives the statuses in order."""
        ...

    def call(self, status: AdapterStatus, prepared: OpCase) -> Call: ...

    def call_all(self, calls: Sequence[tuple[AdapterStatus, OpCase]]
                 ) -> Callable[[], list[Call]]:
        """Start the calls; the function returned waits for them and gives their Calls."""
        ...

    def close(self) -> None: ...


class InProcess:
    """Adapters loaded and called in this process: fastest, and no protection."""

    isolation = "none"
    concurrent = False

    def load(self, target: Target) -> AdapterStatus:
        if target.env:
            return AdapterStatus(target.adapter, None, "other environments need "
                                 "--isolation process", {}, 0.0, target.name, target.env)
        t0 = time.perf_counter()
        try:
            loaded, reason = target.adapter.load(device=target.device), None
        except Unavailable as exc:
            loaded, reason = None, str(exc)
        return AdapterStatus(target.adapter, loaded, reason, target.adapter.versions(),
                             time.perf_counter() - t0, target.name)

    def call(self, status: AdapterStatus, prepared: OpCase) -> Call:
        assert status.loaded is not None
        return call_adapter(status.loaded, prepared)

    def call_all(self, calls: Sequence[tuple[AdapterStatus, OpCase]]
                 ) -> Callable[[], list[Call]]:
        return lambda: [self.call(s, p) for s, p in calls]  # one after another, when asked

    def load_all(self, targets: Sequence[Target]) -> Callable[[], list[AdapterStatus]]:
        return lambda: [self.load(t) for t in targets]

    def close(self) -> None:
        pass


class Slots:
    """At most ``n`` workers computing at once. A free slot goes to the waiting worker with
    the most work ahead of it (``acquire``'s ``ahead``, asked when a slot frees or a worker
    asks), so that the longest lane never queues behind short ones; a worker's loading goes
    first of all, since every case waits for the worker that loads last. A worker done with
    a batch keeps its slot for its next one while no waiter has more ahead (``release``'s
    ``keep``). The slot is handed over where the choice is made, so no change of the
    estimates between two waiters' looks can leave a slot free with workers waiting."""

    def __init__(self, n: int) -> None:
        self._free = n
        self._waiting: dict[int, Callable[[], float]] = {}
        self._granted: set[int] = set()
        self._tickets = itertools.count()
        self._changed = threading.Condition()

    def _grant(self) -> None:
        while self._free > 0 and self._waiting:
            first = max(self._waiting, key=lambda t: (self._waiting[t](), -t))
            del self._waiting[first]
            self._granted.add(first)
            self._free -= 1
        self._changed.notify_all()

    def acquire(self, ahead: Callable[[], float]) -> None:
        """Wait for a slot; ``ahead``: the seconds of work the asker has ahead of it."""
        with self._changed:
            me = next(self._tickets)
            self._waiting[me] = ahead
            self._grant()
            self._changed.wait_for(lambda: me in self._granted)
            self._granted.discard(me)

    def release(self, keep: Callable[[], float] | None = None) -> bool:
        """Give the slot back; or keep it, when ``keep`` (the work the releaser still has
        ahead: it asks again at once) is more than nothing and no waiter has more: True,
        and the releaser's next ``acquire`` must be skipped. Otherwise a worker that has
        just finished a batch would lose its turn to whoever waits, however short."""
        with self._changed:
            if keep is not None:
                mine = keep()
                if mine > 0 and all(ahead() <= mine for ahead in self._waiting.values()):
                    return True
            self._free += 1
            self._grant()
            return False


class Isolated:
    """Adapters in worker processes (conformance.execute.isolation), one per backend and
    environment."""

    isolation = "process"
    concurrent = True  # a worker's calls queue behind its loading, on its lane

    def __init__(self, *, pythons: Mapping[str, str] | None = None, timeout: float = 60.0,
                 memory_limit: int | None = None,
                 impls: Mapping[str, tuple[str, str, str]] | None = None,
                 jobs: int | None = None) -> None:
        """``impls``: adapter name -> the --impl (text, framework, op) the worker resolves,
        so that the harness never imports the code under test. ``jobs``: how many workers
        compute at once (default: the CPUs this process may use)."""
        from conformance.execute.isolation import WorkerPool

        self.pool = WorkerPool(dict(pythons or {}), timeout, memory_limit)
        self.impls = dict(impls or {})
        self.keys: dict[str, str] = {}  # adapter label -> its worker, once loaded there
        self.overhead = 0.0  # seconds of round trips beyond the time inside the adapters
        self.jobs = max(1, jobs or len(os.sched_getaffinity(0)))
        self._lanes: dict[str, ThreadPoolExecutor] = {}  # one thread per worker: its order
        self._computing = Slots(self.jobs)
        self._lock = threading.Lock()
        self._queued: dict[str, int] = {}  # lane -> its batches not yet done
        self._spent: dict[str, tuple[float, int]] = {}  # lane -> (seconds, batches) done
        self._held: set[str] = set()  # lanes that kept their slot for their next batch

    def load(self, target: Target) -> AdapterStatus:
        from conformance.execute.isolation import worker_key

        if target.env and target.env not in self.pool.pythons:
            return AdapterStatus(target.adapter, None, f"no environment named {target.env!r}",
                                 {}, 0.0, target.name, target.env, False)
        got = self.pool.load(target.adapter, worker_key(target.adapter, target.env),
                             self.impls.get(target.adapter.name), target.device, target.name)
        if got.ok:
            self.keys[target.name] = got.key
        environment = {"python": got.info.get("python"),
                       "executable": got.info.get("executable"),
                       "packages": got.info.get("versions", {})}
        return AdapterStatus(target.adapter, None, got.reason, got.versions, got.seconds,
                             target.name, target.env, got.ok, environment, got.failure)

    def load_all(self, targets: Sequence[Target]) -> Callable[[], list[AdapterStatus]]:
        """Each worker imports its backends while the others import theirs (and while
        this process builds the cases)."""
        from conformance.execute.isolation import worker_key

        groups: dict[str, list[int]] = {}
        for i, t in enumerate(targets):
            groups.setdefault(worker_key(t.adapter, t.env), []).append(i)

        def load_group(key: str, where: list[int]) -> list[AdapterStatus]:
            self._computing.acquire(lambda: math.inf)
            try:
                return [self.load(targets[i]) for i in where]
            finally:
                if self._computing.release(keep=lambda: self._ahead(key)):
                    with self._lock:
                        self._held.add(key)

        futures = [(where, self._lane(key).submit(load_group, key, where))
                   for key, where in groups.items()]

        def wait() -> list[AdapterStatus]:
            got: dict[int, AdapterStatus] = {}
            for where, future in futures:
                got.update(zip(where, future.result(), strict=True))
            return [got[i] for i in range(len(targets))]

        return wait

    def _lane(self, key: str) -> ThreadPoolExecutor:
        """The one thread that talks to the worker ``key``: its requests stay in order."""
        with self._lock:
            if key not in self._lanes:
                self._lanes[key] = ThreadPoolExecutor(1, thread_name_prefix=f"worker {key}")
            return self._lanes[key]

    def call(self, status: AdapterStatus, prepared: OpCase) -> Call:
        return self.call_all([(status, prepared)])()[0]

    def call_all(self, calls: Sequence[tuple[AdapterStatus, OpCase]]
                 ) -> Callable[[], list[Call]]:
        """One batch per worker (the case's arrays travel once), the workers computing at
        the same time, up to ``jobs`` of them. A batch goes to its worker's lane, so it may
        be started while the worker still loads: it runs after that."""
        from conformance.execute.isolation import BatchCall, worker_key

        batches: dict[str, tuple[list[int], list[BatchCall], list[np.ndarray]]] = {}
        for i, (status, prepared) in enumerate(calls):
            lane = worker_key(status.adapter, status.env)
            where, batch, arrays = batches.setdefault(lane, ([], [], []))
            args = []
            for a in (prepared.case.x, *prepared.extras):
                at = next((j for j, b in enumerate(arrays) if b is a), None)
                if at is None:
                    arrays.append(a)
                    at = len(arrays) - 1
                args.append(at)
            where.append(i)
            batch.append(BatchCall(status.label, prepared.op.name, prepared.case.axis,
                                   tuple(args)))
        with self._lock:
            for lane in batches:
                self._queued[lane] = self._queued.get(lane, 0) + 1
        seen: dict[tuple[Any, ...], np.ndarray] = {}  # the case's outputs, one of each
        futures = {lane: self._lane(lane).submit(self._batch, lane, batch, arrays, seen)
                   for lane, (_, batch, arrays) in batches.items()}

        def wait() -> list[Call]:
            got: list[Call | None] = [None] * len(calls)
            for lane, future in futures.items():
                for i, call in zip(batches[lane][0], future.result(), strict=True):
                    got[i] = call
            futures.clear()  # the caller holds the outputs now, and may let them go
            batches.clear()
            return [c for c in got if c is not None]

        return wait

    def _ahead(self, lane: str, running: int = 0) -> float:
        """Seconds of work queued on a lane (less the ``running`` batch), at the pace of its
        batches so far (a lane with none done yet: at the pace of all the lanes' batches)."""
        with self._lock:
            seconds, done = self._spent.get(lane, (0.0, 0))
            if not done:
                seconds = sum(s for s, _ in self._spent.values())
                done = sum(n for _, n in self._spent.values())
            return (self._queued.get(lane, 0) - running) * (seconds / done if done else 1.0)

    def _batch(self, lane: str, batch: list, arrays: list[np.ndarray],
               seen: dict[tuple[Any, ...], np.ndarray]) -> list[Call]:
        """One lane's calls of a case, by the worker each adapter was loaded in (one, unless
        a clash of worker_env gave one its own); an adapter that did not load gets a Call
        with status ``unavailable``, which the runner leaves out. An output equal to one
        the case already gave (``seen``) is let go and that one's array given instead."""
        calls: list[Call | None] = [None] * len(batch)
        by_worker: dict[str, list[int]] = {}
        for i, c in enumerate(batch):
            key = self.keys.get(c.adapter)
            if key is None:
                calls[i] = Call(None, "not loaded", 0.0, (), "", False, "unavailable")
            else:
                by_worker.setdefault(key, []).append(i)
        # the lane's thread alone runs its batches: its slot, kept from the batch before
        # (Slots.release), passes from one to the next here
        with self._lock:
            held = lane in self._held
            self._held.discard(lane)
        try:
            for n, (key, where) in enumerate(by_worker.items()):
                if not held:
                    self._computing.acquire(lambda: self._ahead(lane))
                t0 = time.perf_counter()
                try:
                    got = self.pool.call_batch(key, [batch[i] for i in where], arrays)
                finally:
                    last = n == len(by_worker) - 1
                    held = self._computing.release(
                        keep=(lambda: self._ahead(lane, running=1)) if last else None)
                with self._lock:
                    seconds = time.perf_counter() - t0
                    self.overhead += seconds - sum(c.total_seconds for c in got)
                    spent, done = self._spent.get(lane, (0.0, 0))
                    self._spent[lane] = (spent + seconds, done + 1)
                for i, call in zip(where, got, strict=True):
                    calls[i] = self._shared(call, seen)
        finally:
            if held and not by_worker:
                held = self._computing.release(keep=lambda: self._ahead(lane, running=1))
            with self._lock:
                if held:
                    self._held.add(lane)
                self._queued[lane] -= 1
        return [c for c in calls if c is not None]

    def _shared(self, call: Call, seen: dict[tuple[Any, ...], np.ndarray]) -> Call:
        """``call`` with the case's first array of its output's dtype, shape and bits: the
        outputs of a case are held until its last worker is done, and many adapters return
        the same bits (a float64 vocabulary row's: 103 MiB of outputs, 45 MiB distinct).
        The array shared is made read-only, so that no one can change it for the others."""
        if call.y is None:
            return call
        key = output_key(call.y)
        with self._lock:
            first = seen.setdefault(key, call.y)
        if first is call.y:
            return call
        first.flags.writeable = False
        return dataclasses.replace(call, y=first)

    def close(self) -> None:
        for lane in self._lanes.values():
            lane.shutdown(cancel_futures=True)
        self._lanes.clear()
        self.pool.close()


def call_adapter(loaded: Loaded, prepared: OpCase) -> Call:
    """Call one op on fresh copies of its arrays (the input keeps the case's memory layout)."""
    return call_op(loaded, prepared.op.name, prepared.arrays(), prepared.case.axis)


