"""The edge-case catalogue: a fixed, deterministic set of inputs, one family per tag.

Every array is built in float64, cast once to the target dtype, and the cast
array is what the case holds, so every value is exactly representable in the
dtype it claims. Each (family, dtype) pair draws from its own
``numpy.random.default_rng`` seed, so ids are stable from run to run and
adding a dtype or a family never changes the other cases.

``catalog(quick=True)`` (``conformance run --quick``) is a subset of the full catalogue
(same ids): of each family, one of the cases ``catalog(core=True)`` keeps, in the same
dtype (the one whose spec ``leads``, else the first); of the families in QUICK_EVERY, each
of them (every layout, each vocabulary length, both long rows), so every family, dtype and
layout comes up (33 cases of 414: a case costs about 0.4 s of CPU over the default
adapters, half of it JAX compiling 11 adapters for its shape and dtype).
``catalog(core=True)`` keeps every core case once, in one dtype each (55 cases).
"""

from __future__ import annotations

from collections.abc import Sequence

from cases.builders.shapes import (
    axis_not_last,
    empty,
    long_row,
    n_d,
    non_contiguous,
    one_d,
    single_element,
    two_d,
    vocab_rows,
)
from cases.builders.spec import Builder, Ctx, Spec
from cases.builders.specials import (
    all_neg_inf_row,
    int_input,
    mixed_batch,
    nan,
    neg_inf,
    pos_inf,
)
from cases.builders.values import (
    huge,
    mixed_scale_rows,
    near_ties,
    subnormal,
    temperature,
    ties,
    tiny,
    wide_spread,
)
from cases.dtypes import FLOAT_DTYPES
from cases.families import FAMILIES, LONG_ROW
from cases.model import Case
from cases.tags import derived_tags, ordered_tags

__all__ = ["FAMILIES", "LONG_ROW", "QUICK_EVERY", "catalog"]

# Families whose core cases are each a thing of their own, all kept by quick=True: the
# layouts, the vocabulary lengths, and the 10^5 row beside float16's 70,000 equal logits.
QUICK_EVERY = ("non-contiguous", "vocab-rows", "long-row")


_BUILDERS: dict[str, Builder] = {
    "huge": huge,
    "tiny": tiny,
    "mixed-scale-rows": mixed_scale_rows,
    "ties": ties,
    "near-ties": near_ties,
    "1-D": one_d,
    "2-D": two_d,
    "N-D": n_d,
    "axis-not-last": axis_not_last,
    "single-element": single_element,
    "empty": empty,
    "pos-inf": pos_inf,
    "neg-inf": neg_inf,
    "all-neg-inf-row": all_neg_inf_row,
    "nan": nan,
    "subnormal": subnormal,
    "long-row": long_row,
    "vocab-rows": vocab_rows,
    "non-contiguous": non_contiguous,
    "wide-spread": wide_spread,
    "mixed-batch": mixed_batch,
    "temperature": temperature,
}


# --------------------------------------------------------------------------- tags


def _to_case(family: str, spec: Spec) -> Case:
    tags = (derived_tags(spec.x, spec.axis) | set(spec.tags)) - {family}
    ordered = ordered_tags(tags)
    return Case(
        family=family, x=spec.x, axis=spec.axis, tags=ordered, origin="catalog", note=spec.note
    )


# --------------------------------------------------------------------------- public


def _check_dtypes(dtypes: object) -> list[str]:
    expected = ", ".join(FLOAT_DTYPES)
    if isinstance(dtypes, (str, bytes)) or not isinstance(dtypes, Sequence):
        raise ValueError(
            f"dtypes={dtypes!r}: expected a sequence of dtype names (a subset of {expected})"
        )
    names = list(dtypes)
    if not names:
        raise ValueError(f"dtypes={names!r}: expected at least one of {expected}")
    unknown = [d for d in names if d not in FLOAT_DTYPES]
    if unknown:
        raise ValueError(
            f"dtypes={names!r} has unknown {', '.join(map(repr, unknown))}: "
            f"expected a subset of {expected}"
        )
    return list(dict.fromkeys(names))


def _quick(built: list[tuple[Spec, str]], dtypes: Sequence[str], turn: int, every: bool
           ) -> list[Spec]:
    """The core subset of one family: each of its core cases once, in one of the dtypes it
    is core in, the dtypes taken by turns across the family's cases and across families
    (``turn``: the family's place), so that every dtype comes up and no case is run in
    every dtype; unless ``every``, only the one of them that ``leads`` (else the first)."""
    per_dtype = {d: [s for s, dd in built if dd == d] for d in dtypes}
    kept: list[Spec] = []
    for j in range(max((len(v) for v in per_dtype.values()), default=0)):
        core = [d for d in dtypes if j < len(per_dtype[d]) and per_dtype[d][j].core]
        if core:
            kept.append(per_dtype[core[(turn + len(kept)) % len(core)]][j])
    if not every and kept:
        kept = [next((s for s in kept if s.leads), kept[0])]
    order = {id(s): i for i, (s, _) in enumerate(built)}
    return sorted(kept, key=lambda s: order[id(s)])


def catalog(*, dtypes: Sequence[str] = FLOAT_DTYPES, quick: bool = False, core: bool = False
            ) -> list[Case]:
    """The edge-case catalogue for the given float dtypes (origin ``catalog``).

    Every family of FAMILIES appears in every requested dtype; ``int-input``
    appears once per integer dtype (int64, int32) whatever ``dtypes`` says.
    ``quick=True`` keeps a subset of the same cases (same ids): each family's leading
    core case (each core case of QUICK_EVERY's), in one dtype each (see ``_quick``); a
    family with no core case in the requested dtypes keeps its first case. ``core=True``
    keeps each core case of every family once, in one dtype each: every mechanism the
    builders single out (the harness's own detection tests and ``bench-gate`` use it).
    """
    names = _check_dtypes(dtypes)
    for name, flag in (("quick", quick), ("core", core)):
        if not isinstance(flag, bool):
            raise ValueError(f"{name}={flag!r}: expected True or False")
    if quick and core:
        raise ValueError("quick=True and core=True: choose one subset")

    cases: list[Case] = []
    for turn, family in enumerate(FAMILIES):
        if family == "int-input":
            cases.extend(_to_case(family, s) for s in int_input())
            continue
        built = [(s, dtype) for dtype in names for s in _BUILDERS[family](Ctx(family, dtype))]
        kept = ([s for s, _ in built] if not (quick or core)
                else _quick(built, names, turn, core or family in QUICK_EVERY)
                or [built[0][0]])
        cases.extend(_to_case(family, s) for s in kept)

    seen: dict[str, Case] = {}
    for case in cases:
        if case.id in seen:
            raise RuntimeError(
                f"catalogue bug: {case.note!r} and {seen[case.id].note!r} share id {case.id}"
            )
        seen[case.id] = case
    return cases
