"""A worker process: loads adapters and calls them for the harness (conformance.execute.protocol).

Started as ``python -c "...; from conformance.execute.worker import main; main()"``
with the project root on sys.path, possibly in another Python environment. It
imports only NumPy, the adapters package and what a load request names. What C
code prints to file descriptor 1 goes to stderr, so it cannot corrupt the
protocol stream.
"""

from __future__ import annotations

import functools
import gc
import importlib.metadata
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["main"]


# Reported by ``hello`` when the harness names no packages: the environment's numeric stack.
ENVIRONMENT_PACKAGES = ("numpy", "scipy", "mxnet", "torch", "tensorflow", "tensorflow-cpu",
                        "ml_dtypes", "scikit-learn")


def _versions(names: list[str]) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _environment_versions(names: list[str]) -> dict[str, str]:
    """The versions of the named packages, or of ENVIRONMENT_PACKAGES that are installed."""
    if names:
        return _versions(names)
    return {k: v for k, v in _versions(list(ENVIRONMENT_PACKAGES)).items()
            if v != "not installed"}


def _set_memory_limit(limit: int | None) -> None:
    if limit:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def shield() -> bool:
    """Is the worker's parent (conformance.execute.shield) still there? True when the
    worker runs without one."""
    fds = os.environ.get("CONFORMANCE_SHIELD_FDS")
    if not fds:
        return True
    ping, echo = (int(fd) for fd in fds.split(","))
    try:
        os.write(ping, b"?")
        return os.read(echo, 1) == b"?"
    except OSError:
        return False


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    limit = int(args[args.index("--memory-limit") + 1]) if "--memory-limit" in args else None
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # C-level prints to stdout land on stderr
    sys.stdout = sys.stderr
    inp = sys.stdin.buffer

    from cases.layout import copy_layout
    from conformance.execute.heap import Heap
    from conformance.execute.protocol import (
        PROTOCOL_VERSION,
        ProtocolError,
        read_message,
        write_message,
    )

    _set_memory_limit(limit)
    import faulthandler

    faulthandler.enable()  # a segfault or an abort leaves its Python stack on stderr
    loaded: dict[str, Any] = {}
    heap = Heap()
    while True:
        try:
            header, arrays = read_message(inp)
        except ProtocolError:
            return
        kind = header.get("type")
        if kind == "exit":  # at once: a backend's own teardown (TensorFlow's takes seconds)
            sys.stdout.flush()  # has nothing the harness needs
            sys.stderr.flush()
            os._exit(0)
        if kind == "hello":
            write_message(out, {"protocol": PROTOCOL_VERSION, "python": platform.python_version(),
                                "executable": sys.executable,
                                "versions": _environment_versions(header.get("packages") or [])})
        elif kind == "load":
            reply = _load(header, loaded)
            gc.freeze()  # what the imports made lives on: later collections skip it
            heap.loaded()
            if not shield():
                return  # the import killed the worker's parent: the harness sees it gone
            write_message(out, reply)
        elif kind == "calls":  # one case, every (adapter, op) of this worker: one reply each
            fresh: list[Any] = []
            calls = header["calls"]
            for k, one in enumerate(calls):
                fresh = [copy_layout(arrays[i]) for i in one["args"]]  # a call may write
                # before the last reply: has this worker outgrown what it may keep?
                last = functools.partial(_outgrown, heap, loaded) if k == len(calls) - 1 else None
                if not _answer(out, loaded, one, fresh, last):
                    break
            del arrays, fresh
        else:
            write_message(out, {"status": "error", "error": f"unknown request {kind!r}"})


def _outgrown(heap: Any, loaded: dict[str, Any]) -> dict[str, Any]:
    """What the last reply to a case adds: ``restart`` when the worker is still too large
    after trimming and dropping its backends' caches (conformance.execute.heap)."""
    releases = {id(e.release): e.release for e in loaded.values() if e.release}
    return {"restart": True} if heap.after_case(releases.values()) else {}


def _answer(out: Any, loaded: dict[str, Any], request: dict[str, Any],
            arrays: list[Any], more: Callable[[], dict[str, Any]] | None = None) -> bool:
    """Call one adapter's op and write the reply (with what ``more`` adds); False when the
    call killed the worker's parent (the reply says so, and the harness ends this worker)."""
    from adapters.calling import call_op
    from conformance.execute.protocol import write_message

    entry = loaded.get(request["adapter"])
    if entry is None:
        write_message(out, {"status": "error", "error": "adapter not loaded",
                            **(more() if more else {})})
        return True
    call = call_op(entry, request["op"], arrays, request["axis"])
    reply = {"status": call.status, "error": call.error, "seconds": call.seconds,
             "total_seconds": call.total_seconds, "warnings": list(call.warnings),
             "stdout": call.stdout, "mutated": call.mutated}
    if not shield():
        write_message(out, {**reply, "parent_gone": True})
        return False
    if more is not None:
        reply.update(more())
    write_message(out, reply, [call.y] if call.y is not None else [])
    return True


def _from_origin(origin: str, name: str) -> Any:
    """The adapter called ``name`` that the entry point ``module:attr`` gives: only that module
    is imported (in another environment this project need not be installed)."""
    from importlib.metadata import EntryPoint

    from adapters.plugins import GROUP, load_entry_points

    for adapter, _ in load_entry_points([EntryPoint(name=name, value=origin, group=GROUP)]):
        if adapter.name == name:
            return adapter
    raise KeyError(f"{origin} gives no adapter named {name!r}")


def _load(header: dict[str, Any], loaded: dict[str, Any]) -> dict[str, Any]:
    from adapters.base import Unavailable
    from adapters.external import ImplError

    t0 = time.perf_counter()
    name = header["adapter"]
    os.environ.update(header.get("environ") or {})  # what its backend reads at import
    try:
        if header.get("impl"):
            from adapters.external import parse_impl

            adapter = parse_impl(header["impl"], header.get("framework", "numpy")).adapter(
                op=header.get("op", "softmax"))
        elif header.get("origin"):
            adapter = _from_origin(header["origin"], name)
        else:
            from adapters.registry import get

            adapter = get(name)
        loaded[header.get("label", name)] = adapter.load(device=header.get("device"))
        reason = None
    except ImplError as exc:  # names nothing importable: the user's mistake, not a finding
        return {"ok": False, "usage": True, "reason": str(exc), "versions": {},
                "seconds": time.perf_counter() - t0}
    except (Unavailable, KeyError, ValueError) as exc:
        reason = str(exc.args[0] if isinstance(exc, KeyError) else exc)
        adapter = None
    except Exception as exc:  # a factory that breaks: the adapter is unavailable, not the run
        reason = f"loading raised {type(exc).__name__}: {exc}"
        adapter = None
    versions = adapter.versions() if adapter is not None else {}
    return {"ok": reason is None, "reason": reason, "versions": versions,
            "seconds": time.perf_counter() - t0}


if __name__ == "__main__":
    main()
