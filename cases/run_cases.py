"""The cases of a run: the catalogue, the generated corpus and the inputs the threads
printed, first of equal ids kept, in that order (``quick``: the catalogue's quick subset,
each generated family the catalogue lacks in one dtype, and each thread variant's first
print, run by that variant); with
``shard=(I, N)`` the I-th of N parts (cases.shard). `conformance run` and the join of a
sharded run build them here, so both get the same list from the same settings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cases.catalog import FAMILIES, catalog
from cases.generated import generated_cases
from cases.golden import golden_cases
from cases.model import Case
from cases.shard import shard as part

__all__ = ["run_cases"]


def run_cases(*, dtypes: Sequence[str], quick: bool, seed: int, examples: int, golden: bool,
              cache_dir: Path | None = None, shard: tuple[int, int] | None = None
              ) -> list[Case]:
    """Every case a run with these settings feeds (ValueError for settings the generated
    corpus refuses)."""
    generated = generated_cases(seed=seed, examples=examples, dtypes=dtypes,
                                cache_dir=cache_dir)
    if quick:  # each generated family in one dtype, the dtypes by turns, where the
        # catalogue has no family of its name (a name both use means the same family)
        families = list(dict.fromkeys(c.family for c in generated))
        generated = [c for c in generated if c.family not in FAMILIES
                     and c.dtype == dtypes[families.index(c.family) % len(dtypes)]]
    unique: dict[str, Case] = {}  # the first of equal ids, in order
    for c in (catalog(dtypes=dtypes, quick=quick) + generated
              + (golden_cases(quick=quick) if golden else [])):
        unique.setdefault(c.id, c)
    cases = list(unique.values())
    return part(cases, *shard) if shard else cases
