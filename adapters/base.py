"""The adapter interface: one implementation, described as data.

An adapter never imports its backend at start-up: ``load()`` does, and a
missing backend makes the adapter unavailable with the reason and the extra
to install.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.metadata
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "AXIS_MODES",
    "DEFECTS",
    "DEVICE",
    "Adapter",
    "Capabilities",
    "Loaded",
    "Unavailable",
]

# How an implementation treats the axis it reduces along.
AXIS_MODES = {
    "any": "takes an axis argument and reduces along it",
    "last": "reduces along the last axis only",
    "first": "reduces along axis 0 only",
    "rows-2d": "2-D input only, reduces along each row (axis 1)",
    "whole-array": "normalises over the whole array (one row)",
    "first-non-singleton": "reduces along the first axis whose length is not 1",
    "coerce-2d": "coerces the input to 2-D at axis and reduces over every axis from axis on "
    "(ONNX Softmax before opset 13): a different definition, the same as a reduction along "
    "axis only where the axes after it have length 1",
}

# A device name as --device takes it: a kind, optionally with an index (cuda:1).
DEVICE = re.compile(r"^(?P<kind>[a-z][a-z0-9_]*)(?::(?P<index>\d+))?$")

# The defects an adapter may be known to have. Each is detected by
# conformance.contract.defects from the metrics of a run; the tests prove that every
# declared defect is detected and that no conforming adapter is flagged.
DEFECTS = {
    "overflow": "exp overflows on large finite inputs (no max subtracted): NaN or inf output",
    "underflow": "exp of unshifted inputs underflows: 0/0 (NaN) when a whole row does, "
    "precision lost in subnormals otherwise",
    "denominator-overflow": "the sum of the max-shifted exps (each at most 1) overflows "
    "the dtype: the denominator is kept in (or converted to) the input's narrow type "
    "(70,000 equal float16 logits sum past 65504)",
    "global-max": "one max for the whole array: rows of different scale underflow (to 0/0, "
    "or into subnormals)",
    "wrong-shift": "exp(x - c) with c the row's min or mean, not its max: rows spread wider "
    "than exp's range overflow",
    "wrong-axis": "reduces over the wrong axis or the whole array: rows do not sum to one",
    "nan-output": "NaN or inf output where the exact softmax is finite, for another reason "
    "(0/0 from a zero std, a partial -inf mask, a division by another row's sum)",
    "nan-leak": "a NaN, +inf or fully masked row spreads NaN into rows whose answer is "
    "defined (one max or one sum taken over more than the row)",
    "flush-to-zero": "outputs in or near the subnormal range (below 16x the smallest normal) "
    "returned as zero (FTZ/DAZ), every other element within the bound",
    "inaccurate": "finite, normalised output, but beyond the accuracy bound",
    "log-of-zero": "log_softmax or cross-entropy as log(softmax(x)): -inf where the exact "
    "value is finite, because the probability underflowed to 0",
    "diagonal-only-jacobian": "softmax gradient as s * (1 - s): the off-diagonal -s_i s_j "
    "terms of the Jacobian are missing",
    "wrong-jacobian": "softmax gradient from diag(s(1-s)) + s s^T: the off-diagonal terms "
    "have the wrong sign",
    "mutates-input": "modifies the caller's array",
    "dtype-changed": "returns a different dtype than the input's",
    "shape-changed": "returns a different shape than the input's",
    "raises": "raises on inputs its capabilities say it accepts",
}


class Unavailable(Exception):
    """The adapter's backend cannot be loaded; the message says how to fix it."""


@dataclass(frozen=True)
class Capabilities:
    """What an implementation accepts. Read by the runner and the checks, never by name."""

    dtypes: frozenset[str] | None = None  # None: every float dtype the harness feeds
    axis: str = "any"
    ndims: frozenset[int] | None = None  # None: any number of dimensions
    accepts_int: bool = True
    devices: tuple[str, ...] = ("cpu",)
    # inputs of more elements are outside what it is meant for (a Python loop per element)
    max_elements: int | None = None
    # The output dtype by input dtype, where the implementation documents another one than
    # the input's (torch.nn.functional.softmax(x, dim, dtype=torch.float32) on 16-bit input):
    # measured in the input's dtype, reported as declared, not as a changed dtype.
    out_dtypes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.axis not in AXIS_MODES:
            raise ValueError(f"axis={self.axis!r} must be one of {sorted(AXIS_MODES)}")

    def unsupported_reason(self, shape: tuple[int, ...], axis: int, dtype: str) -> str | None:
        """Why a case with this shape, axis and dtype is outside the capabilities, or None."""
        ndim = len(shape)
        axis = axis % ndim
        is_int = dtype.startswith(("int", "uint"))
        if is_int and not self.accepts_int:
            return f"integer input ({dtype}) not accepted"
        if not is_int and self.dtypes is not None and dtype not in self.dtypes:
            return f"dtype {dtype} not accepted (accepts {', '.join(sorted(self.dtypes))})"
        size = int(np.prod(shape))
        if self.max_elements is not None and size > self.max_elements:
            return f"{size} elements, more than the {self.max_elements} it is declared for"
        if self.ndims is not None and ndim not in self.ndims:
            return f"{ndim}-D input not accepted (accepts {sorted(self.ndims)}-D)"
        if self.axis == "last" and axis != ndim - 1:
            return f"reduces along the last axis only (case axis {axis})"
        if self.axis == "first" and axis != 0:
            return f"reduces along axis 0 only (case axis {axis})"
        if self.axis == "rows-2d" and (ndim != 2 or axis != 1):
            return "2-D rows (axis 1) only"
        if self.axis == "first-non-singleton":
            first = next((i for i, n in enumerate(shape) if n != 1), 0)
            if axis != first:
                return f"reduces along the first non-singleton axis ({first}) only"
        if self.axis == "coerce-2d" and any(n != 1 for n in shape[axis + 1 :]):
            return (f"a different definition: coerces the input to 2-D at axis {axis} and "
                    f"normalises over axes {axis}..{ndim - 1} together (shape {shape})")
        return None

    def device_problem(self, device: str) -> str | None:
        """Why the adapter cannot run on ``device`` (``cpu``, ``cuda:1``), or None."""
        m = DEVICE.match(device)
        if m is None:
            return f"device {device!r}: expected a name like cpu, cuda, cuda:1 or mps"
        if m["kind"] not in self.devices:
            return f"runs on {', '.join(self.devices)} only, not {device}"
        return None


Op = Callable[..., Any]


def _identity(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Loaded:
    """A loaded adapter: its ops, and the conversions the runner keeps outside the timer.

    ``to_native`` turns the NumPy input into what the ops take (a tensor),
    ``to_numpy`` turns what they return back into NumPy. NumPy adapters keep
    the identity for both.
    """

    ops: Mapping[str, Op]
    to_native: Callable[[np.ndarray], Any] = _identity
    to_numpy: Callable[[Any], np.ndarray] = _identity
    # The ops compile on their first call for a shape (jax.jit, XLA, torch.compile): each
    # call is made once untimed first, so ``seconds`` measures the compiled code.
    warm_up: bool = False
    # Drops what the backend keeps between calls (compiled code per shape): a worker calls it
    # when its memory has grown (conformance.execute.worker), and compiles again on demand.
    release: Callable[[], None] | None = None


@dataclass(frozen=True)
class Adapter:
    """One implementation behind the common interface.

    ``factory`` imports the backend and returns the ops: a mapping of op name
    (conformance.ops) to NumPy-in, NumPy-out callables taking the op's arrays and
    then the axis (``softmax(x, axis)``, ``softmax_vjp(x, g, axis)``,
    ``cross_entropy(logits, labels, axis)``), or a ``Loaded`` whose ops take and
    return tensors. An adapter that declares devices beyond ``cpu`` takes the device as
    ``factory(device="cuda:0")`` and raises Unavailable, with the reason, when it is absent.
    """

    name: str
    family: str  # "thread", "library" or "reference"
    source: str
    factory: Callable[..., Mapping[str, Op] | Loaded] = field(repr=False, compare=False)
    ops: tuple[str, ...] = ("softmax",)
    capabilities: Capabilities = Capabilities()
    expected: tuple[str, ...] = ()  # () means conforming
    # Defects that hold for some releases only: defect -> requirement on a distribution
    # ("ml_dtypes<0.7"), checked against the versions installed where the adapter runs. A
    # newer library that behaves differently is then a finding the report states.
    expected_when: Mapping[str, str] = field(default_factory=dict)
    requires: tuple[str, ...] = ()  # distributions whose versions the report records
    # Modules its backend imports beyond the top-level ones of ``requires``, where those
    # leave them out: Keras's backend module for torch or JAX, which KERAS_BACKEND chooses
    # at import (`conformance bench-harness` counts them in importing the backends)
    imports: tuple[str, ...] = ()
    extra: str | None = None  # pip extra that installs the backend
    notes: str = ""
    # Checks of the gate (``check`` or ``check[dtype]``) this implementation is known to
    # fail under the default policy, with the reason and the measured figure.
    known_failures: Mapping[str, str] = field(default_factory=dict)
    # Environment variables the backend reads at import (KERAS_BACKEND): the adapter runs in a
    # worker process of its own started with them. In-process the factory honours them or
    # raises Unavailable saying why it cannot.
    worker_env: Mapping[str, str] = field(default_factory=dict)
    # False: outside the default run (too slow to compile there, like torch.compile); a
    # pattern that names it (--adapters, check --adapter) runs it.
    default: bool = True

    def __post_init__(self) -> None:
        # the op names are conformance.ops's; the registry's users check them
        unknown = (set(self.expected) | set(self.expected_when)) - set(DEFECTS)
        if unknown:
            raise ValueError(f"{self.name}: unknown defects {sorted(unknown)}")
        for defect, spec in self.expected_when.items():
            _requirement(spec, f"{self.name}: expected_when[{defect!r}]")

    @property
    def conforming(self) -> bool:
        return not self.expected and not self.expected_when

    def expected_defects(self, versions: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """The defects declared for these versions (``versions()`` of this environment by
        default): ``expected``, and each of ``expected_when`` whose requirement they meet."""
        versions = self.versions() if versions is None else versions
        return self.expected + tuple(d for d, spec in self.expected_when.items()
                                     if requirement_holds(spec, versions))

    def version_notes(self, versions: Mapping[str, str]) -> list[str]:
        """For each release-dependent defect, what these versions make of it."""
        notes = []
        for defect, spec in self.expected_when.items():
            req = _requirement(spec, self.name)
            have = versions.get(req.name, "not installed")
            holds = requirement_holds(spec, versions)
            notes.append(f"{defect}: declared for {spec}; {req.name} {have} here, so "
                         f"{'expected' if holds else 'not expected (behaviour changed)'}")
        return notes

    def load(self, device: str | None = None) -> Loaded:
        """Import the backend and return the ops (on ``device``, the backend's default when
        None); Unavailable with a fix if the backend or the device is missing."""
        factory = self.factory
        if device is not None:
            problem = self.capabilities.device_problem(device)
            if problem:
                raise Unavailable(problem)
            if self.capabilities.devices != ("cpu",):
                factory = functools.partial(self.factory, device=device)
        try:
            loaded = factory()
        except ImportError as exc:
            hint = f"; install it with: pip install 'softmax-conformance[{self.extra}]'"
            raise Unavailable(f"{exc}{hint if self.extra else ''}") from exc
        return loaded if isinstance(loaded, Loaded) else Loaded(ops=loaded)

    def versions(self) -> dict[str, str]:
        """Installed versions of ``requires`` and of what ``expected_when`` names."""
        out = {}
        named = [_requirement(s, self.name).name for s in self.expected_when.values()]
        for dist in dict.fromkeys([*self.requires, *named]):
            try:
                out[dist] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                out[dist] = "not installed"
        return out

    def describe(self) -> dict[str, Any]:
        caps = self.capabilities
        return {
            "name": self.name,
            "family": self.family,
            "source": self.source,
            "ops": list(self.ops),
            "capabilities": {
                "dtypes": None if caps.dtypes is None else sorted(caps.dtypes),
                "axis": caps.axis,
                "ndims": None if caps.ndims is None else sorted(caps.ndims),
                "accepts_int": caps.accepts_int,
                "devices": list(caps.devices),
                "max_elements": caps.max_elements,
                "out_dtypes": dict(caps.out_dtypes),
            },
            "expected": list(self.expected) or ("conforming" if self.conforming else []),
            "expected_when": dict(self.expected_when),
            "known_failures": dict(self.known_failures),
            "worker_env": dict(self.worker_env),
            "default": self.default,
            "notes": self.notes,
        }


def _requirement(spec: str, where: str) -> Any:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(spec)
    except InvalidRequirement as exc:
        raise ValueError(f"{where}: {spec!r} is not a requirement like 'numpy<2' ({exc})") from None


def requirement_holds(spec: str, versions: Mapping[str, str]) -> bool:
    """Does the installed version (``versions[name]``, else this environment's) meet
    ``spec`` (``"ml_dtypes<0.7"``)? A distribution that is not installed does not."""
    req = _requirement(spec, "requirement")
    version = versions.get(req.name)
    if version is None:
        try:
            version = importlib.metadata.version(req.name)
        except importlib.metadata.PackageNotFoundError:
            return False
    if version == "not installed":
        return False
    return bool(req.specifier.contains(version, prereleases=True))


def cache_dir(name: str) -> str:
    """``$XDG_CACHE_HOME/softmax-conformance/NAME``: where a backend keeps what it compiled
    (JAX's and XLA's persistent compilation caches), shared by workers and runs."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "softmax-conformance", name)


def import_module(name: str) -> Any:
    """importlib.import_module, here so adapters share one lazy-import path."""
    return importlib.import_module(name)


# What Keras imports at its own import only if it is installed, for features no op here
# touches: JAX (a shim in its Orbax checkpoint callback, on every backend) and scikit-learn
# (its scikit-learn wrappers). `import tensorflow` imports Keras too. In torch's worker they
# cost 171 MB of memory (PSS 477 MB -> 306 MB) and 1.7 s of import (KERAS_BACKEND=torch
# python -c "import torch, keras", with and without), so Keras (and TensorFlow) are
# imported as if they were not installed, except JAX where it is Keras's backend. They
# stay importable afterwards.
KERAS_OPTIONAL_IMPORTS = ("jax", "sklearn")


@contextlib.contextmanager
def as_if_absent(modules: tuple[str, ...]) -> Iterator[None]:
    """``import m`` raises ImportError inside the block for each of ``modules`` not imported
    yet (what an optional import sees when the package is not installed)."""
    hidden = [m for m in modules if m not in sys.modules]
    for m in hidden:
        sys.modules[m] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for m in hidden:
            if m in sys.modules and sys.modules[m] is None:
                del sys.modules[m]
