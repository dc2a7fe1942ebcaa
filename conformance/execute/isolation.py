"""Adapters in worker processes that survive crashes, hangs, exits and stray prints.

One worker per backend family (or per foreign environment), reused across
cases so a backend's import cost is paid once. A worker that dies is
recorded as ``crash`` with its signal or exit status, one that does not answer
within the timeout is killed and recorded as ``timeout``; either way it is
restarted (its adapters loaded again) for the next case.

What the code under test may do to the harness, and why it cannot:

- The worker runs under a *shield* (conformance.execute.shield), a small parent
  process of its own, in a new session: ``os.kill(os.getppid(), ...)`` reaches
  the shield, not the harness; the worker asks the shield whether it is still
  there after every call, so the kill fails the call that did it. The shield
  passes on the worker's exit status, and dies of the signal that killed it.
- Everything the worker starts is in the session's process group, killed with
  the worker when it stops or fails (a callable that forks leaves nothing).
- A descendant that keeps the result pipe open cannot turn a crash into a
  timeout: the harness waits for an answer in short slices and checks between
  them whether the worker is still alive.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from adapters.base import Adapter
from adapters.calling import Call
from conformance.execute.protocol import (
    PROTOCOL_VERSION,
    ProtocolError,
    read_message,
    write_message,
)

__all__ = ["BatchCall", "Loading", "WorkerFailed", "WorkerPool", "ended_how", "worker_key"]

ROOT = Path(__file__).resolve().parents[2]
BOOT = ("import sys; sys.path.insert(0, {root!r}); "
        "from conformance.execute.worker import main; main()")
SHIELD = Path(__file__).with_name("shield.py")  # the worker's parent process
POLL_SECONDS = 0.05  # how often a waiting harness checks that the worker is alive


class WorkerFailed(Exception):
    """The worker ended or did not answer: ``status`` is crash or timeout."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def ended_how(code: int | None) -> str:
    """A process's end in words: 'killed by SIGSEGV', 'exited with status 0'."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


# OpenMP's threads (torch's) wait for work asleep between calls, not spinning, unless the
# user's environment says otherwise: workers compute side by side, and a spinning pool took
# the CPU another worker needed (torch's worker: 5.8 -> 4.0 s of CPU in run --quick). What
# a call computes is the same; conformance bench times in processes of its own, unaffected.
IDLE_THREADS_SLEEP = {"OMP_WAIT_POLICY": "PASSIVE"}


def worker_key(adapter: Adapter, env: str | None = None) -> str:
    """Which worker runs an adapter: one per backend family (the distribution it requires
    first: Keras on torch shares torch's worker), per environment. WorkerPool.load gives an
    adapter whose ``worker_env`` clashes with the worker's a worker of its own."""
    family = adapter.requires[0] if adapter.requires else "numpy"
    return f"{family}@{env}" if env else family


def stderr_summary(text: str) -> str:
    """A crashed worker's stderr in one line: ``Fatal Python error: Segmentation fault in
    string_at (.../ctypes/__init__.py:519) < softmax (impl.py:10)`` (faulthandler's two
    innermost frames), or its last lines."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    fatal = next((i for i, line in enumerate(lines) if line.startswith("Fatal Python error")),
                 None)
    if fatal is None:
        return " | ".join(lines[-3:])
    frames = [f"{m[3]} ({m[1]}:{m[2]})" for m in
              (re.match(r'File "(.*)", line (\d+) in (.*)', line) for line in lines[fatal:]) if m]
    return lines[fatal] + (f" in {' < '.join(frames[:2])}" if frames else "")


@dataclass
class Worker:
    python: str
    memory_limit: int | None = None
    environ: dict[str, str] = field(default_factory=dict)  # set before the backend's import
    proc: subprocess.Popen | None = None
    stderr: IO[bytes] | None = None
    loaded: dict[str, dict] = field(default_factory=dict)  # adapter name -> load request
    info: dict = field(default_factory=dict)

    def start(self, timeout: float = 600.0) -> None:
        self.stderr = tempfile.TemporaryFile()
        argv = [self.python, "-S", str(SHIELD), "-c", BOOT.format(root=str(ROOT))]
        if self.memory_limit:
            argv += ["--memory-limit", str(self.memory_limit)]
        env = {**IDLE_THREADS_SLEEP, **os.environ, "PYTHONUNBUFFERED": "1",
               "TF_CPP_MIN_LOG_LEVEL": "3", **self.environ}
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, env=env, start_new_session=True)
        self.info, _ = self.request({"type": "hello", "packages": []}, [],
                                    timeout=max(timeout, 60.0))
        if self.info.get("protocol") != PROTOCOL_VERSION:
            raise WorkerFailed("crash", f"worker speaks protocol {self.info.get('protocol')}, "
                               f"expected {PROTOCOL_VERSION}")
        for header in list(self.loaded.values()):
            self.request(header, [], timeout=timeout)

    def _stderr_tail(self) -> str:
        """What the worker's stderr says about its end: faulthandler's error and the
        innermost frame of a fatal error, else its last lines."""
        if self.stderr is None:
            return ""
        self.stderr.seek(0)
        return stderr_summary(self.stderr.read().decode(errors="replace"))

    def stop(self, kill: bool = False) -> int | None:
        """End the worker and everything it started; its exit code (None if not running)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if not kill:
            try:
                assert proc.stdin is not None
                write_message(proc.stdin, {"type": "exit"})
            except (BrokenPipeError, OSError):
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the worker's session: its descendants too
        code = proc.wait()
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        return code

    def _wait_readable(self, proc: subprocess.Popen, timeout: float) -> None:
        """Until the answer starts; WorkerFailed when the worker ends or the time is up."""
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([proc.stdout], [], [], max(min(POLL_SECONDS, left), 0))
            if ready:
                return
            if proc.poll() is not None:
                raise ProtocolError("worker ended")
            if left <= 0:
                self.stop(kill=True)
                raise WorkerFailed("timeout", f"no answer within {timeout:g} s; worker killed")

    def request(self, header: dict, arrays: Sequence[np.ndarray], timeout: float):
        """Send one request and read its one reply."""
        return next(self.replies(header, arrays, 1, timeout))

    def replies(self, header: dict, arrays: Sequence[np.ndarray], count: int,
                timeout: float) -> Iterator[tuple[dict, list[np.ndarray]]]:
        """Send one request and read its ``count`` replies as they come, each within
        ``timeout``; WorkerFailed (after the replies that came) when the worker ends or
        does not answer."""
        if self.proc is None:
            self.start(timeout)
        proc = self.proc
        assert proc is not None and proc.stdin and proc.stdout
        # unbuffered: a buffer that read ahead would hold replies select() cannot see
        stream = getattr(proc.stdout, "raw", proc.stdout)
        try:
            write_message(proc.stdin, header, list(arrays))
            for _ in range(count):
                self._wait_readable(proc, timeout)
                reply = read_message(stream)
                if reply[0].get("parent_gone") or proc.poll() is not None:
                    # it answered, but its parent (the shield) is gone: the call killed it
                    code = self.stop(kill=True)
                    raise WorkerFailed("crash", f"the call killed the worker's parent process "
                                       f"({ended_how(code)})")
                yield reply
        except (BrokenPipeError, ProtocolError, OSError):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=2)  # the exit status, if it is ending on its own
            alive = proc.poll() is None
            code = self.stop(kill=True)
            how = ("closed its result stream and was killed" if alive else ended_how(code))
            tail = self._stderr_tail()
            raise WorkerFailed("crash", f"worker {how}" + (f": {tail}" if tail else "")) from None


@dataclass(frozen=True)
class BatchCall:
    """One call of a batch: the adapter's op on the batch's arrays at ``args``."""

    adapter: str
    op: str
    axis: int
    args: tuple[int, ...]


def _call_of(reply: dict, out: list[np.ndarray]) -> Call:
    return Call(out[0] if out else None, reply.get("error"), reply.get("seconds", 0.0),
                tuple(reply.get("warnings", ())), reply.get("stdout", ""),
                bool(reply.get("mutated")), reply.get("status", "error"),
                reply.get("total_seconds", 0.0))


@dataclass(frozen=True)
class Loading:
    """What loading an adapter in its worker gave. ``failure``: None when loaded, else
    unavailable (its library is missing), usage (an --impl that names nothing importable),
    crash or timeout (the import ended the worker or hung)."""

    failure: str | None
    reason: str | None
    versions: dict
    seconds: float
    info: dict
    key: str = ""  # the worker it is in

    @property
    def ok(self) -> bool:
        return self.failure is None


@dataclass
class WorkerPool:
    """Workers by key; ``pythons`` maps an environment name to its interpreter."""

    pythons: dict[str, str] = field(default_factory=dict)
    timeout: float = 60.0
    memory_limit: int | None = None
    workers: dict[str, Worker] = field(default_factory=dict)
    restarts: int = 0  # workers started again because they outgrew their caches

    def _worker(self, key: str) -> Worker:
        if key not in self.workers:
            base = key.partition("[")[0]  # family@env, then [K=V,...] for a clash
            env = base.rpartition("@")[2] if "@" in base else ""
            python = self.pythons[env] if env else sys.executable
            self.workers[key] = Worker(python, self.memory_limit)
        return self.workers[key]

    def load(self, adapter: Adapter, key: str, impl: tuple[str, str, str] | None = None,
             device: str | None = None, label: str | None = None) -> Loading:
        """Load ``adapter`` (or the --impl ``(text, framework, op)`` it wraps) in the worker
        ``key``, on ``device``, as ``label`` (what calls name it by; the adapter's name by
        default); an import that ends the worker or hangs is a failure, not a hang."""
        from adapters.registry import origin

        name = adapter.name
        label = label or name
        wanted = dict(adapter.worker_env)
        shared = self.workers.get(key)
        if shared is not None and any(shared.environ.get(k, v) != v for k, v in wanted.items()):
            key += "[" + ",".join(f"{k}={v}" for k, v in sorted(wanted.items())) + "]"
        worker = self._worker(key)
        worker.environ.update(wanted)  # a restart starts with them set
        header: dict = {"type": "load", "adapter": name, "label": label, "environ": wanted}
        if device:
            header["device"] = device
        if impl:
            header.update(impl=impl[0], framework=impl[1], op=impl[2])
        elif origin(name):
            header["origin"] = origin(name)
        t0 = time.perf_counter()
        try:
            reply, _ = worker.request(header, [], timeout=self.timeout)
        except WorkerFailed as exc:
            return Loading(exc.status, f"the worker failed while loading: {exc.reason}", {},
                           time.perf_counter() - t0, worker.info, key)
        if reply.get("ok"):
            worker.loaded[label] = header
            failure = None
        else:
            failure = "usage" if reply.get("usage") else "unavailable"
        return Loading(failure, reply.get("reason"), reply.get("versions", {}),
                       time.perf_counter() - t0, worker.info, key)

    def call_batch(self, key: str, calls: Sequence[BatchCall],
                   arrays: Sequence[np.ndarray]) -> list[Call]:
        """Every call of one case in the worker ``key``: the arrays travel once, the replies
        come one by one. A call that crashes or hangs is recorded as such, the worker is
        restarted and the calls after it are sent again."""
        worker = self._worker(key)
        done: list[Call] = []
        while len(done) < len(calls):
            rest = calls[len(done):]
            header = {"type": "calls", "calls": [
                {"adapter": c.adapter, "op": c.op, "axis": c.axis, "args": list(c.args)}
                for c in rest]}
            outgrown = False
            try:
                for reply, out in worker.replies(header, arrays, len(rest), self.timeout):
                    done.append(_call_of(reply, out))
                    outgrown = bool(reply.get("restart"))  # its caches (execute.heap)
            except WorkerFailed as exc:
                done.append(Call(None, exc.reason, 0.0, (), "", False, exc.status))
            if outgrown:
                worker.stop()  # the next request starts it again, its adapters loaded
                self.restarts += 1
        return done

    def close(self) -> None:
        """Stop every worker, all at once."""
        workers = list(self.workers.values())
        self.workers.clear()
        if workers:
            with ThreadPoolExecutor(len(workers)) as stopping:
                list(stopping.map(Worker.stop, workers))
