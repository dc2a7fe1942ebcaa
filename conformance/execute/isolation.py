"""Adapters in worker processes that survive crashes, hangs, exits and stray prints.

One worker per backend family (or per foreign environment), reused across
cases so a backend's import cost is paid once. A worker that dies is
recorded as ``crash`` with its signal, one that does not answer within the
timeout is killed and recorded as ``timeout``; either way it is restarted
(its adapters loaded again) for the next case.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
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

__all__ = ["WorkerPool", "worker_key"]

ROOT = Path(__file__).resolve().parents[2]
BOOT = ("import sys; sys.path.insert(0, {root!r}); "
        "from conformance.execute.worker import main; main()")


class WorkerFailed(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def worker_key(adapter: Adapter, env: str | None = None) -> str:
    """Which worker runs an adapter: one per backend family, per set of environment
    variables it asks for (``keras[KERAS_BACKEND=jax]``), per environment."""
    family = adapter.requires[0] if adapter.requires else "numpy"
    if adapter.worker_env:
        family += "[" + ",".join(f"{k}={v}" for k, v in sorted(adapter.worker_env.items())) + "]"
    return f"{family}@{env}" if env else family


@dataclass
class Worker:
    python: str
    memory_limit: int | None = None
    environ: dict[str, str] = field(default_factory=dict)  # set before the backend's import
    proc: subprocess.Popen | None = None
    stderr: IO[bytes] | None = None
    loaded: dict[str, dict] = field(default_factory=dict)  # adapter name -> load request
    info: dict = field(default_factory=dict)

    def start(self) -> None:
        self.stderr = tempfile.TemporaryFile()
        argv = [self.python, "-c", BOOT.format(root=str(ROOT))]
        if self.memory_limit:
            argv += ["--memory-limit", str(self.memory_limit)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "TF_CPP_MIN_LOG_LEVEL": "3",
               **self.environ}
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, env=env)
        self.info, _ = self.request({"type": "hello", "packages": []}, [], timeout=120)
        if self.info.get("protocol") != PROTOCOL_VERSION:
            raise WorkerFailed("error", f"worker speaks protocol {self.info.get('protocol')}, "
                               f"expected {PROTOCOL_VERSION}")
        for header in list(self.loaded.values()):
            self.request(header, [], timeout=600)

    def _stderr_tail(self) -> str:
        if self.stderr is None:
            return ""
        self.stderr.seek(0)
        text = self.stderr.read().decode(errors="replace").strip().splitlines()
        return " | ".join(text[-3:])

    def stop(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            try:
                assert self.proc.stdin is not None
                write_message(self.proc.stdin, {"type": "exit"})
            except (BrokenPipeError, OSError):
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def request(self, header: dict, arrays: Sequence[np.ndarray], timeout: float):
        if self.proc is None:
            self.start()
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        try:
            write_message(self.proc.stdin, header, list(arrays))
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
            if not ready:
                self.stop(kill=True)
                raise WorkerFailed("timeout", f"no answer within {timeout:g} s; worker killed")
            return read_message(self.proc.stdout)
        except (BrokenPipeError, ProtocolError, OSError) as exc:
            if isinstance(exc, WorkerFailed):
                raise
            code = self.proc.wait(timeout=10) if self.proc else None
            self.proc = None
            if code is not None and code < 0:
                reason = f"worker killed by {signal.Signals(-code).name}"
            else:
                reason = f"worker exited with code {code}"
            tail = self._stderr_tail()
            raise WorkerFailed("crash", reason + (f": {tail}" if tail else "")) from None


@dataclass
class WorkerPool:
    """Workers by key; ``pythons`` maps an environment name to its interpreter."""

    pythons: dict[str, str] = field(default_factory=dict)
    timeout: float = 60.0
    memory_limit: int | None = None
    workers: dict[str, Worker] = field(default_factory=dict)

    def _worker(self, key: str, environ: dict[str, str] | None = None) -> Worker:
        if key not in self.workers:
            env = key.rpartition("@")[2] if "@" in key else ""
            python = self.pythons[env] if env else sys.executable
            self.workers[key] = Worker(python, self.memory_limit, dict(environ or {}))
        return self.workers[key]

    def load(self, adapter: Adapter, name: str, key: str, impl: tuple[str, str] | None = None,
             device: str | None = None) -> tuple[bool, str | None, dict, float, dict]:
        """(available, reason, versions, seconds, worker info)."""
        from adapters.registry import origin

        worker = self._worker(key, dict(adapter.worker_env))
        header: dict = {"type": "load", "adapter": name}
        if device:
            header["device"] = device
        if impl:
            header.update(impl=impl[0], framework=impl[1])
        elif origin(name):
            header["origin"] = origin(name)
        t0 = time.perf_counter()
        try:
            reply, _ = worker.request(header, [], timeout=600)
        except WorkerFailed as exc:
            return False, f"worker failed while loading: {exc.reason}", {}, 0.0, worker.info
        if reply.get("ok"):
            worker.loaded[name] = header
        return (bool(reply.get("ok")), reply.get("reason"), reply.get("versions", {}),
                time.perf_counter() - t0, worker.info)

    def call(self, name: str, key: str, op: str, arrays: Sequence[np.ndarray], axis: int) -> Call:
        worker = self._worker(key)
        try:
            reply, out = worker.request({"type": "call", "adapter": name, "op": op,
                                         "axis": axis}, arrays, timeout=self.timeout)
        except WorkerFailed as exc:
            return Call(None, exc.reason, 0.0, (), "", False, exc.status)
        return Call(out[0] if out else None, reply.get("error"), reply.get("seconds", 0.0),
                    tuple(reply.get("warnings", ())), reply.get("stdout", ""),
                    bool(reply.get("mutated")), reply.get("status", "error"))

    def close(self) -> None:
        for worker in self.workers.values():
            worker.stop()
        self.workers.clear()
