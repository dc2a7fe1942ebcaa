"""The mutation corpus: implementations the gate is measured on (`conformance bench-gate`).

Broken ones (each with the cause code the gate must name) and correct ones written in
unusual ways (which the gate must pass), for every op. They are not registered adapters:
``mutant_adapter`` wraps one for the gate.
"""

from __future__ import annotations

from adapters.base import Adapter, Loaded, import_module
from adapters.mutants import broken_other, broken_softmax, correct
from adapters.mutants.base import Mutant

__all__ = ["MUTANTS", "Mutant", "mutant_adapter"]

MUTANTS: tuple[Mutant, ...] = (*broken_softmax.MUTANTS, *broken_other.MUTANTS, *correct.MUTANTS)


def mutant_adapter(mutant: Mutant) -> Adapter:
    """The mutant as an adapter providing its op (NumPy callables get the axis keyword,
    framework ones the axis as the last argument, through the backend's converters)."""

    def load() -> Loaded:
        if mutant.framework == "numpy":
            return Loaded(ops={mutant.op: lambda *a: mutant.fn(*a[:-1], axis=a[-1])})
        to_native, to_numpy = import_module(f"adapters.{mutant.framework}").converters()
        return Loaded(ops={mutant.op: mutant.fn}, to_native=to_native, to_numpy=to_numpy)

    return Adapter(name=f"mutant.{mutant.name}", family="mutant",
                   source=f"adapters/mutants: {mutant.what}", factory=load, ops=(mutant.op,),
                   capabilities=mutant.capabilities,
                   requires=() if mutant.framework == "numpy" else (mutant.framework,),
                   extra=None if mutant.framework == "numpy" else mutant.framework)
