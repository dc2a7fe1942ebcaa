"""The generated corpus: cases drawn from ``cases.strategies`` with a fixed seed.

``generated_cases(seed=0)`` runs Hypothesis once per (family, dtype), seeded
from ``(seed, family, dtype)``, with no example database and no shrinking, and
keeps the ``examples`` distinct cases it drew (origin ``generated``). So:

- the same seed gives the same cases (the same ids) in any process, whatever
  PYTHONHASHSEED, with the same Hypothesis version (record it with the report:
  a different Hypothesis may draw differently);
- what else is imported does not matter: Hypothesis's pool of constants mined
  from local modules is emptied for the corpus's runs (_without_local_constants);
- nothing is written to disk (no example database, no constants cache);
- a different seed gives different cases;
- asking for fewer dtypes or families never changes the cases of the others.

Hypothesis always tries the simplest input first; that draw (the same for
every seed) is dropped, so that a small corpus is all random draws. The
simplest inputs are the hunt's business.

This module imports without Hypothesis (GENERATED_FAMILIES is plain data);
``generated_cases`` needs it and says what to install.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from cases.corpus_cache import cached_draw
from cases.dtypes import FLOAT_DTYPES
from cases.families import GENERATED_FAMILIES
from cases.model import Case

__all__ = ["DEFAULT_EXAMPLES", "GENERATED_FAMILIES", "generated_cases"]


DEFAULT_EXAMPLES = 5  # per family and dtype


def _check(seed: object, examples: object, dtypes: object, families: object) -> tuple:
    def is_int(v: object) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    if not is_int(seed) or seed < 0:  # type: ignore[operator]
        raise ValueError(f"seed={seed!r} must be an integer >= 0")
    if not is_int(examples) or examples < 0:  # type: ignore[operator]
        raise ValueError(f"examples={examples!r} must be an integer >= 0")
    if isinstance(dtypes, (str, bytes)) or not isinstance(dtypes, Sequence) or not dtypes:
        raise ValueError(
            f"dtypes={dtypes!r} must be a non-empty sequence of {', '.join(FLOAT_DTYPES)}"
        )
    bad = [d for d in dtypes if d not in FLOAT_DTYPES]
    if bad:
        raise ValueError(
            f"dtypes={list(dtypes)!r} has unknown {', '.join(map(repr, bad))}: "
            f"expected a subset of {', '.join(FLOAT_DTYPES)}"
        )
    if families is None:
        families = list(GENERATED_FAMILIES)
    if isinstance(families, (str, bytes)) or not isinstance(families, Sequence):
        raise ValueError(f"families={families!r} must be a sequence of family names or None")
    bad = [f for f in families if f not in GENERATED_FAMILIES]
    if bad:
        raise ValueError(
            f"families={list(families)!r} has unknown {', '.join(map(repr, bad))}: "
            f"expected a subset of {', '.join(GENERATED_FAMILIES)}"
        )
    return list(dict.fromkeys(dtypes)), list(dict.fromkeys(families))


def run_seed(seed: int, family: str, dtype: str) -> int:
    """The Hypothesis seed of one (family, dtype) run: stable, independent of hashing."""
    return zlib.crc32(f"{seed}|{family}|{dtype}".encode())


@contextmanager
def _without_local_constants() -> Iterator[None]:
    """Hypothesis from 6.131 on mixes literal constants of every *local* module in
    sys.modules (anything outside site-packages: this project, a user's --impl module)
    into its draws, so what happens to be imported would change the corpus. Empty
    that pool for the corpus's runs, and drop the cache built from it before and after.
    A Hypothesis without the pool has nothing to empty.
    """
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if original is None:
        yield
        return
    empty = Constants()

    def clear() -> None:
        if cache is not None:
            cache.cache.clear()

    providers._get_local_constants = lambda: empty
    clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        clear()


def _draw(family: str, dtype: str, seed: int, examples: int) -> list[Case]:
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as hseed

    from cases.strategies import cases

    strategy = cases(family=family, dtype=dtype, allow_special=True)
    drawn: list[Case] = []
    options: dict[str, Any] = dict(
        max_examples=examples + 1,  # + the simplest draw, dropped below
        derandomize=False,
        database=None,
        deadline=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
        print_blob=False,
        report_multiple_bugs=False,
    )
    try:  # another backend (crosshair ...) from a user's profile would not be seeded
        config = settings(**options, backend="hypothesis")
    except TypeError:  # Hypothesis before backends existed
        config = settings(**options)

    @config
    @hseed(run_seed(seed, family, dtype))
    @given(strategy)
    def collect(case: Case) -> None:
        drawn.append(case)

    collect()
    unique: dict[str, Case] = {}
    for case in drawn[1:]:
        unique.setdefault(case.id, case)
    return list(unique.values())[:examples]


def generated_cases(
    *,
    seed: int = 0,
    examples: int = DEFAULT_EXAMPLES,
    dtypes: Sequence[str] = FLOAT_DTYPES,
    families: Sequence[str] | None = None,
    cache_dir: Path | None = None,
) -> list[Case]:
    """Up to ``examples`` distinct cases per family of GENERATED_FAMILIES and per dtype.

    Deterministic: the same arguments give the same cases, with the same ids, in
    any process. ``families=None`` is every family (``specials`` included: its
    cases carry the pos-inf / nan tags and are reported as conventions). Each
    case's note says how to draw it again. ``cache_dir``: where draws are kept
    (cases.corpus_cache); None draws every time.
    """
    names, fams = _check(seed, examples, dtypes, families)
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise ImportError(
            "generated_cases needs Hypothesis, which is not installed: "
            "pip install 'softmax-conformance[test]'"
        ) from None
    if examples == 0:
        return []
    out: list[Case] = []
    with _without_local_constants():
        for family in fams:
            for dtype in names:
                drawn = cached_draw(cache_dir, f"{family}-{dtype}-{seed}-{examples}",
                                    partial(_draw, family, dtype, seed, examples))
                for i, case in enumerate(drawn):
                    note = (
                        f"{case.note} (generated_cases(seed={seed}, examples={examples}): "
                        f"{family} {dtype} #{i})"
                    )
                    out.append(replace(case, note=note))
    return out
