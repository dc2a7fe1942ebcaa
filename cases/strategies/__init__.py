"""Hypothesis strategies for softmax inputs: shapes, axes, dtypes, value distributions, cases.

Built on ``hypothesis.extra.numpy``. Three layers, each usable on its own:

Shapes and dtypes
    ``shapes``, ``axes``, ``shapes_and_axes``, ``dtypes``.

Element strategies (``SearchStrategy[float]``)
    ``logits``, ``near_overflow``, ``large_negative``, ``subnormals``,
    ``specials``, ``wide_spread``. Each takes the dtype and draws Python floats
    that are exactly representable in it, so they compose with ``|`` and feed
    ``arrays(elements=...)`` or the ``elements=`` of a row strategy::

        arrays(dtype="float16", shape=(3, 5), elements=logits("float16") | near_overflow("float16"))

Row strategies (``SearchStrategy[np.ndarray]``)
    ``ties``, ``near_ties``, ``masks``, ``mixed_scale_rows``, ``long_rows`` and
    the family strategy ``arrays(family=...)``. They shape the rows along
    ``axis`` (a row is a 1-D slice along the reduction axis) and guarantee what
    their name says: a ``ties`` array has a row with two equal values, a
    ``masks`` array has a -inf, and so on (see GENERATED_FAMILIES).

``cases(...)`` draws a whole ``Case`` (origin ``generated``, family and tags as
the catalogue uses them), which is what ``cases.generated`` and the hunt feed
to the runner.

Every argument after the dtype is keyword-only. The arguments of ``arrays``,
``cases``, ``axes`` and the ``dtype`` of every strategy accept a value or a
strategy; numeric bounds are plain values. A bad argument raises
``hypothesis.errors.InvalidArgument`` naming ``name=value`` and what it breaks
(at the call for a value, at the draw for a value drawn from a strategy).

+inf and NaN appear only when asked for (``specials``, ``family="specials"``,
``allow_special=True``). Hypothesis is a dependency: importing this
package without it raises an ImportError that says what to install.

The package's modules split what it draws: ``shapes`` (shapes, axes, dtypes),
``elements`` (element strategies), ``rows`` (row strategies and ``arrays``),
``whole`` (``cases``); ``_support`` holds the argument checks and the
arithmetic of floats in a dtype that they share.
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
except ImportError as exc:  # exercised by a subprocess test
    raise ImportError(
        "cases.strategies needs Hypothesis, which is not installed: "
        "pip install 'softmax-conformance[test]'"
    ) from exc

from cases.families import GENERATED_FAMILIES
from cases.strategies._support import DENSE_LIMIT, overflow_bounds, underflow_threshold
from cases.strategies.elements import (
    large_negative,
    logits,
    near_overflow,
    specials,
    subnormals,
    wide_spread,
)
from cases.strategies.rows import (
    LONG_MAX,
    LONG_MIN,
    arrays,
    long_rows,
    masks,
    mixed_scale_rows,
    near_ties,
    ties,
)
from cases.strategies.shapes import axes, dtypes, shapes, shapes_and_axes
from cases.strategies.whole import case_tags, cases

__all__ = [
    "DENSE_LIMIT",
    "GENERATED_FAMILIES",
    "LONG_MAX",
    "LONG_MIN",
    "arrays",
    "axes",
    "case_tags",
    "cases",
    "dtypes",
    "large_negative",
    "logits",
    "long_rows",
    "masks",
    "mixed_scale_rows",
    "near_overflow",
    "near_ties",
    "overflow_bounds",
    "shapes",
    "shapes_and_axes",
    "specials",
    "subnormals",
    "ties",
    "underflow_threshold",
    "wide_spread",
]
