"""The seed-golden cases: every input the threads print a softmax of, with what they print.

Each case's input is built the way the thread builds it (a Python list of ints
is int64, of floats float64; float32 where the thread casts), its axis is the
axis the author reduced along (0 for a 1-D input or the column versions, 1 or
-1 for batches of rows: 1 where the code says axis=1, -1 where it reduces the
last axis), and its Golden names the adapter wrapping the code that printed it.

``atol`` is half a unit in the last printed digit. NumPy prints float64 in
fixed notation with 8 decimals and drops trailing zeros (0.8360188 is
0.83601880; a plain 0. or 1. means exactly 0 or 1 to 8 decimals, since a
nonzero value below 1e-4 would have switched the print to e-notation), so such
prints get 5e-9. In e-notation every element has its own last digit and the
largest (coarsest) one is taken. float32 prints are the shortest repr of the
float32 value, so their coarsest printed digit is taken too.

Not here, and why:
- 000 answer 0's first eight prints (softmax of [0, 0, 0, 0], [1000, 2000, 3000,
  6000], ...): the thread does not show their output.
- 000 answer 2's math.exp examples ([10, 20] and [-1, 1]): computed inline with
  math.exp rather than by a softmax function, and printed at full repr
  precision, so a golden would test the last bit of libm, not a variant.
- 002 answer 2's and answer 20's TensorFlow and SciPy outputs: library outputs,
  not thread variants (002 answer 20's SciPy one also has the same input and
  axis as nolanbconaway's, which is kept).
- 002 answers 13 and 15 print softmax(x) but the thread shows no output; answer
  5's [1000, 5] is described ("one will overflow with nan"), not printed.
- 003 answer 3's test1 is [12345, 67890, 99999999] again, printed [0. 0. 1.] as
  by answer 1: it is the same case (see below).

Case.id includes the golden's adapter, so two goldens on the same input and
axis (printed by different variants) are two cases.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from cases.model import Case, Golden

__all__ = ["golden_cases"]

S000 = "000_394393336ca4b904.txt"
S001 = "001_801048ed319702f9.txt"
S002 = "002_040c9415ce321661.txt"
S003 = "003_bbd379d2856bcfab.txt"
S004 = "004_324fb782c6f827a7.txt"

FIXED = 5e-9  # NumPy's fixed-notation float64 print: 8 decimals
ROUND2 = 5e-3  # .round(2) before printing

_SHAPE_TAG = {1: "1-D", 2: "2-D"}


def _case(
    x: np.ndarray,
    axis: int,
    adapter: str,
    printed: tuple,
    atol: float,
    where: str,
    note: str = "",
) -> Case:
    tags = [_SHAPE_TAG.get(x.ndim, "N-D")]
    if axis % x.ndim != x.ndim - 1:
        tags.append("axis-not-last")
    if np.issubdtype(x.dtype, np.integer):
        tags.append("int-input")
    golden = Golden(adapter=adapter, printed=printed, atol=atol, where=where, note=note)
    return Case(
        family="seed-golden",
        x=x,
        axis=axis,
        tags=tuple(tags),
        origin="seed-golden",
        note=f"{where}: {adapter}",
        golden=golden,
    )


def _seed_002() -> list[Case]:
    scores = np.array([3.0, 1.0, 0.2])  # scores = [3.0, 1.0, 0.2], a list of floats
    scores2d = np.array([[1, 2, 3, 6], [2, 4, 5, 6], [3, 8, 7, 6]])
    x1 = np.array([[1, 2, 3, 6]])
    x2 = np.array([[1, 2, 3, 6], [2, 4, 5, 6], [1, 2, 3, 6]])
    # answer 20: np.random.seed(2019); np.random.rand(1, 3, 2).astype(np.float32), drawn
    # from the same legacy generator without touching NumPy's global random state.
    logits_np = np.random.RandomState(2019).rand(1, 3, 2).astype(np.float32)
    return [
        _case(scores, 0, "numpy.global_max", (0.8360188, 0.11314284, 0.05083836),
              FIXED, f"{S002} question (the asker's softmax; answer 1's your_softmax prints "
              "the same)"),
        _case(scores, 0, "numpy.global_max_sum_axis0", (0.8360188, 0.11314284, 0.05083836),
              FIXED, f"{S002} answer 1 (desertnaut's softmax)"),
        _case(scores2d, -1, "numpy.global_max",
              ((4.89907947e-04, 1.33170787e-03, 3.61995731e-03, 7.27087861e-02),
               (1.33170787e-03, 9.84006416e-03, 2.67480676e-02, 7.27087861e-02),
               (3.61995731e-03, 5.37249300e-01, 1.97642972e-01, 7.27087861e-02)),
              5e-10, f"{S002} answer 1 (desertnaut's your_softmax(scores2D))"),
        _case(scores2d, 0, "numpy.global_max_sum_axis0",
              ((0.09003057, 0.00242826, 0.01587624, 0.33333333),
               (0.24472847, 0.01794253, 0.11731043, 0.33333333),
               (0.66524096, 0.97962921, 0.86681333, 0.33333333)),
              FIXED, f"{S002} answer 1 (desertnaut's softmax(scores2D))"),
        _case(x1, -1, "numpy.global_max",
              ((0.00626879, 0.01704033, 0.04632042, 0.93037047),),
              FIXED, f"{S002} answer 2 (your_softmax(x1))"),
        _case(x1, 0, "numpy.global_max_sum_axis0", ((1.0, 1.0, 1.0, 1.0),),
              FIXED, f"{S002} answer 2 (desertnaut_softmax(x1))"),
        _case(x1, 1, "numpy.rows_2d_assert",
              ((0.00626879, 0.01704033, 0.04632042, 0.93037047),),
              FIXED, f"{S002} answer 2 (softmax(x1), the 2-D-only version)"),
        _case(x2, -1, "numpy.global_max",
              ((0.00183535, 0.00498899, 0.01356148, 0.27238963),
               (0.00498899, 0.03686393, 0.10020655, 0.27238963),
               (0.00183535, 0.00498899, 0.01356148, 0.27238963)),
              FIXED, f"{S002} answer 2 (your_softmax(x2))"),
        _case(x2, 0, "numpy.global_max_sum_axis0",
              ((0.21194156, 0.10650698, 0.10650698, 0.33333333),
               (0.57611688, 0.78698604, 0.78698604, 0.33333333),
               (0.21194156, 0.10650698, 0.10650698, 0.33333333)),
              FIXED, f"{S002} answer 2 (desertnaut_softmax(x2))"),
        _case(x2, 1, "numpy.rows_2d_assert",
              ((0.00626879, 0.01704033, 0.04632042, 0.93037047),
               (0.01203764, 0.08894682, 0.24178252, 0.65723302),
               (0.00626879, 0.01704033, 0.04632042, 0.93037047)),
              FIXED, f"{S002} answer 2 (softmax(x2), the 2-D-only version)"),
        _case(np.array([[0.50839931, 0.49767588, 0.51260159]]), 1, "sklearn.extmath",
              ((0.3340521, 0.33048906, 0.33545884),),
              FIXED, f"{S002} answer 4 (sklearn.utils.extmath.softmax)"),
        _case(np.asarray([[-0.0052024, -0.00770216, 0.01360943, -0.008921],
                          [-0.0052024, -0.00770216, 0.01360943, -0.008921]]),
              -1, "numpy.global_max_sum_keepdims",
              ((0.2492037, 0.24858153, 0.25393605, 0.24827873),
               (0.2492037, 0.24858153, 0.25393605, 0.24827873)),
              FIXED, f"{S002} answer 10 (softmax(logits), axis=-1 by default)"),
        _case(np.array([[1, 0, 2, -1], [2, 4, 6, 8], [3, 2, 1, 0]]), 1, "numpy.inplace_shift",
              ((0.24, 0.09, 0.64, 0.03), (0.0, 0.02, 0.12, 0.86), (0.64, 0.24, 0.09, 0.03)),
              ROUND2, f"{S002} answer 16 (softmax(x, axis=1).round(2))"),
        _case(logits_np, -1, "numpy.theta_axis",
              (((0.62490064, 0.37509936), (0.49652317, 0.5034768), (0.64137274, 0.3586273)),),
              5e-8, f"{S002} answer 20 (nolanbconaway's softmax(logits_np, axis=-1), float32)",
              note="float32 printed as its shortest repr: 0.5034768 resolves 1e-7"),
        _case(np.array([13, 31, 5]), 0, "numpy.global_max_sum_axis0",
              (1.52299795e-08, 9.99999985e-01, 5.10908895e-12),
              5e-10, f"{S002} answer 21 (X = [13, 31, 5]; its code is the question's and "
              "desertnaut's, identical on 1-D)",
              note="the answer shows both your_softmax and the 'correct solution' "
              "(sum(axis=0)); on a 1-D input they agree"),
    ]


def _seed_000() -> list[Case]:
    answer0 = f"{S000} answer 0"
    same_code = ("answer 0's softmax is the question of 002 verbatim "
                 "(e_x = np.exp(x - np.max(x)); e_x / e_x.sum()), wrapped as numpy.global_max")
    return [
        _case(np.array([1, 2, 2, 6000]), 0, "numpy.global_max", (0.0, 0.0, 0.0, 1.0),
              FIXED, f"{answer0} (softmax(np.array([1, 2, 2, 6000])))", note=same_code),
        _case(np.array([2, 5, 5, 3]), 0, "numpy.global_max",
              (0.02278457, 0.45764028, 0.45764028, 0.06193488),
              FIXED, f"{answer0} (softmax(np.array([2, 5, 5, 3])))", note=same_code),
        _case(np.array([3, 5, 2, 1]), 0, "numpy.global_max",
              (0.11245721, 0.83095266, 0.0413707, 0.01521943),
              FIXED, f"{answer0} (softmax(np.array([3, 5, 2, 1])))", note=same_code),
        _case(np.asarray([[1, 2, 2, 6000], [2, 5, 5, 3], [3, 5, 2, 1]]), 0,
              "numpy.mean_std_alternative",
              ((0.33313225, 0.33293125, 0.33313217, 0.94909178),
               (0.33333329, 0.33353437, 0.33373566, 0.02546947),
               (0.33353446, 0.33353437, 0.33313217, 0.02543875)),
              FIXED, f"{answer0} (alternative_softmax(batch))",
              note="columns sum to one (e_x.sum(axis=0)); the rows do not"),
    ]


_NOT_AS_SHOWN = (
    "cannot come from the code as shown: the first version sums along axis=1, which "
    "raises AxisError on this 1-D list; the same sum along the only axis (numpy.naive) "
    "prints it"
)


def _seed_001() -> list[Case]:
    post = f"{S001} post"
    return [
        _case(np.array([[2, 3, 4], [3, 5, 7]]), 1, "numpy.naive_partition_axis1",
              ((0.09003057, 0.24472847, 0.66524096), (0.01587624, 0.11731043, 0.86681333)),
              FIXED, f"{post}, first version (softmax([[2, 3,4], [3, 5, 7]]))"),
        _case(np.array([1000, 1000, 100]), 0, "numpy.inplace_asanyarray", (0.5, 0.5, 0.0),
              FIXED, f"{post}, second version (softmax([1000, 1000, 100]))"),
        _case(np.array([1000, 1000, 100]), 0, "numpy.naive", (np.nan, np.nan, 0.0),
              FIXED, f"{post}, first version (softmax([1000, 1000, 100]))",
              note=_NOT_AS_SHOWN),
        _case(np.array([-10000, -1020, 100, -7220]), 0, "numpy.inplace_asanyarray",
              (0.0, 0.0, 1.0, 0.0),
              FIXED, f"{post}, second version (softmax([-10000, -1020, 100, -7220]))"),
        _case(np.array([-10000, -1020, 100, -70220]), 0, "numpy.inplace_asanyarray",
              (0.0, 0.0, 1.0, 0.0),
              FIXED, f"{post}, second version (softmax([-10000, -1020, 100, -70220]))"),
        _case(np.array([-10000, -1020, 100, -70220]), 0, "numpy.naive", (0.0, 0.0, 1.0, 0.0),
              FIXED, f"{post}, first version (softmax([-10000, -1020, 100, -70220]))",
              note=_NOT_AS_SHOWN),
    ]


def _seed_003() -> list[Case]:
    kmario = f"{S003} answer 1 (kmario23)"
    parks = f"{S003} answer 3 (David Parks)"
    return [
        _case(np.array([1, 2, 3, 4, 5]), 0, "numpy.builtin_max",
              (0.01165623, 0.03168492, 0.08612854, 0.23412166, 0.63640865),
              FIXED, f"{kmario}: stable_softmax(np.array([1, 2, 3, 4, 5]))"),
        _case(np.array([12345, 67890, 99999999]), 0, "numpy.builtin_max", (0.0, 0.0, 1.0),
              FIXED, f"{kmario}: stable_softmax(np.array([12345, 67890, 99999999]))"),
        _case(np.array([12345, 67890, 99999999]), 0, "numpy.max_keepdims_last",
              (0.0, 0.0, 1.0), FIXED, f"{parks}: stable_softmax(test1)"),
        _case(np.array([[12345, 67890, 99999999], [123, 678, 88888888]]), -1,
              "numpy.max_keepdims_last", ((0.0, 0.0, 1.0), (0.0, 0.0, 1.0)),
              FIXED, f"{parks}: stable_softmax(test2)"),
        _case(np.array([12345, 67890, 999999999]), 0, "numpy.max_keepdims_last",
              (0.0, 0.0, 1.0), FIXED, f"{parks}: stable_softmax(test3), a list"),
        _case(np.array([[12345, 67890, 999999999]]), -1, "numpy.max_keepdims_last",
              ((0.0, 0.0, 1.0),), FIXED, f"{parks}: stable_softmax(test4), a list"),
    ]


def _seed_004() -> list[Case]:
    return [
        _case(np.array([1, 2, 3]), 0, "numpy.naive", (0.09003057, 0.24472847, 0.66524096),
              FIXED, f"{S004} article (softmax(z), z = np.array([1, 2, 3]))"),
    ]


def golden_cases(*, quick: bool = False) -> list[Case]:
    """The seed-golden cases (origin and family ``seed-golden``), one per printed output.

    Two goldens on the same input and axis differ in ``Golden.adapter``, which
    the case id includes, so every printed output is its own case. ``quick``: the first
    printed output of each variant only (13 of 32), so each still has its print checked,
    run by that variant only (``Case.only``: the other adapters find it in the catalogue's
    small cases; JAX alone compiles 11 adapters per shape).
    """
    cases = [*_seed_002(), *_seed_000(), *_seed_001(), *_seed_003(), *_seed_004()]
    if not quick:
        return cases
    first: dict[str, Case] = {}
    for c in cases:
        assert c.golden is not None
        first.setdefault(c.golden.adapter, replace(c, only=(c.golden.adapter,)))
    return list(first.values())
