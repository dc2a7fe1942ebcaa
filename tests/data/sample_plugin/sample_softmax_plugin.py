"""A sample plug-in: one NumPy softmax behind the adapter interface."""

from __future__ import annotations

from adapters.base import Adapter, Capabilities


def _ops():
    import numpy as np  # imported when the adapter loads, as a real backend would be

    def softmax(x, axis):
        if x.size == 0:
            return np.array(x, copy=True)
        z = x - np.max(x, axis=axis, keepdims=True)
        e = np.exp(z)
        return e / np.sum(e, axis=axis, keepdims=True)

    return {"softmax": softmax}


def adapters() -> list[Adapter]:
    return [
        Adapter(
            name="sample.stable",
            family="plugin",
            source="sample_softmax_plugin (tests/data/sample_plugin)",
            factory=_ops,
            capabilities=Capabilities(dtypes=frozenset({"float32", "float64"})),
            requires=("sample-softmax-plugin",),
        )
    ]
