"""``--impl MODULE:CALLABLE``: an external implementation as an adapter.

MODULE is an importable module path or a path to a .py file. With the
default ``numpy`` framework the callable takes the op's NumPy arrays and an
``axis`` keyword and returns an array; with ``torch``, ``tensorflow`` or
``jax`` it takes and returns that framework's tensors, with the axis as the
last positional argument (``torch.softmax(t, dim)``, ``tf.nn.softmax(t,
axis)``), and the harness converts outside the timed call with the backend
module's own converters (adapters/torch.py, tensorflow.py, jax.py).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from adapters.base import Adapter, Capabilities, Loaded

__all__ = ["FRAMEWORKS", "ImplError", "ImplSpec", "parse_impl"]

# jax-x64: JAX with 64-bit types on (jax_enable_x64), so float64 stays float64
FRAMEWORKS = ("numpy", "torch", "tensorflow", "jax", "jax-x64")
_X64 = "jax-x64"


class ImplError(ValueError):
    """--impl names nothing callable; the message says what is wrong."""


@dataclass(frozen=True)
class ImplSpec:
    text: str
    module: str
    attr: str
    path: Path | None
    framework: str

    def resolve(self) -> Callable[..., Any]:
        if self.path is not None:
            spec = importlib.util.spec_from_file_location(self.path.stem, self.path)
            if spec is None or spec.loader is None:
                raise ImplError(f"--impl {self.text}: cannot load {self.path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules.setdefault(self.path.stem, module)
            try:
                spec.loader.exec_module(module)
            except Exception as exc:
                raise ImplError(
                    f"--impl {self.text}: importing {self.path} raised {type(exc).__name__}: {exc}"
                ) from None
        else:
            try:
                module = importlib.import_module(self.module)
            except ImportError as exc:
                raise ImplError(
                    f"--impl {self.text}: module {self.module!r} not found ({exc})"
                ) from None
            except Exception as exc:
                raise ImplError(f"--impl {self.text}: importing {self.module} raised "
                                f"{type(exc).__name__}: {exc}") from None
        obj: Any = module
        for part in self.attr.split("."):
            if not hasattr(obj, part):
                raise ImplError(f"--impl {self.text}: {self.module} has no attribute {self.attr!r}")
            obj = getattr(obj, part)
        if not callable(obj):
            raise ImplError(
                f"--impl {self.text}: {self.attr} is a {type(obj).__name__}, not callable"
            )
        return obj

    def adapter(self, op: str = "softmax", capabilities: Capabilities | None = None) -> Adapter:
        """The callable as an adapter providing ``op``, called with the op's arrays and the
        axis: ``f(x, axis=axis)``, ``f(x, g, axis=axis)``, ``f(logits, labels, axis=axis)``;
        framework callables take the axis positionally."""
        caps = capabilities or Capabilities()
        requires = (
            ()
            if self.framework == "numpy"
            else ({"tensorflow": "tensorflow-cpu"}.get(self.framework, _module(self.framework)),)
        )
        return Adapter(
            name=self.text,
            family="external",
            source=f"--impl {self.text}",
            factory=functools.partial(self._load, op),
            ops=(op,),
            capabilities=caps,
            requires=requires,
        )

    def _load(self, op: str = "softmax") -> Loaded:
        fn = self.resolve()
        if self.framework == "numpy":
            return Loaded(ops={op: lambda *arrays: fn(*arrays[:-1], axis=arrays[-1])})
        to_native, to_numpy = _converters(self.framework)
        return Loaded(ops={op: fn}, to_native=to_native, to_numpy=to_numpy)

    def import_lines(self) -> list[str]:
        if self.path is not None:
            return [
                "import importlib.util",
                f"spec = importlib.util.spec_from_file_location('impl', {str(self.path)!r})",
                "mod = importlib.util.module_from_spec(spec)",
                "spec.loader.exec_module(mod)",
                f"f = mod.{self.attr}",
            ]
        return [f"import {self.module}", f"f = {self.module}.{self.attr}"]

    def call_lines(self, axis: int, args: Sequence[str] = ("x",)) -> list[str]:
        """Lines that call ``f`` on the arrays named ``args`` (NumPy) and leave NumPy ``y``."""
        if self.framework == "numpy":
            return [f"y = f({', '.join(args)}, axis={axis})"]
        x64 = ["import jax", 'jax.config.update("jax_enable_x64", True)'] if (
            self.framework == _X64) else []
        return [
            *x64,
            f"from adapters.{_module(self.framework)} import converters",
            "to_native, to_numpy = converters()",
            f"y = to_numpy(f({', '.join(f'to_native({a})' for a in args)}, {axis}))",
        ]


def _module(framework: str) -> str:
    """The adapters module of a framework (jax-x64 is JAX's)."""
    return "jax" if framework == _X64 else framework


def _converters(framework: str) -> tuple[Callable[[np.ndarray], Any], Callable[[Any], np.ndarray]]:
    """The backend module's own converters (bfloat16 by bit pattern where it needs that);
    jax-x64 turns JAX's 64-bit types on first."""
    if framework == _X64:
        importlib.import_module("jax").config.update("jax_enable_x64", True)
    module = importlib.import_module(f"adapters.{_module(framework)}")
    return module.converters()  # type: ignore[no-any-return]


def parse_impl(text: str, framework: str = "numpy") -> ImplSpec:
    """Parse ``MODULE:CALLABLE`` (MODULE a dotted path or a .py file); ImplError if malformed."""
    if framework not in FRAMEWORKS:
        raise ImplError(f"--framework {framework}: choose from {', '.join(FRAMEWORKS)}")
    module, sep, attr = text.rpartition(":")
    if not sep or not module or not attr:
        raise ImplError(f"--impl {text}: expected MODULE:CALLABLE, e.g. mylib.ops:softmax")
    path = None
    if module.endswith(".py") or "/" in module or Path(module).is_file():
        path = Path(module).expanduser().resolve()
        if not path.is_file():
            raise ImplError(f"--impl {text}: no file {path}")
    return ImplSpec(text=text, module=module, attr=attr, path=path, framework=framework)
