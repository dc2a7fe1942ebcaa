"""What `conformance run --quick` feeds: issue 15's floor (every family, dtype and op at
least once, each vocabulary length once) at about 0.4 s of CPU a case."""

from __future__ import annotations

from collections import Counter

from cases.dtypes import FLOAT_DTYPES
from cases.families import FAMILIES, GENERATED_FAMILIES, VOCAB_LENGTHS
from cases.run_cases import run_cases
from conformance.ops import OPS


def _quick():
    return run_cases(dtypes=list(FLOAT_DTYPES), quick=True, seed=0, examples=1, golden=True)


def test_quick_has_every_family_and_dtype_and_each_vocabulary_length_once():
    cases = _quick()
    assert {c.family for c in cases} == set(FAMILIES) | set(GENERATED_FAMILIES) | {
        "seed-golden"}
    assert {c.dtype for c in cases} >= set(FLOAT_DTYPES)
    vocab = Counter(c.shape[-1] for c in cases if c.family == "vocab-rows")
    assert vocab == Counter(VOCAB_LENGTHS)


def test_quick_runs_a_generated_family_only_where_the_catalogue_lacks_it():
    generated = [c for c in _quick() if c.origin == "generated"]
    assert sorted(c.family for c in generated) == sorted(set(GENERATED_FAMILIES) - set(FAMILIES))


def test_every_op_has_cases_in_quick():
    cases = _quick()
    for op in OPS.values():
        assert any(op.applies(c) is None for c in cases), op.name
