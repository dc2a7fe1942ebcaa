"""The case families: the catalogue's (each also a tag) and the generated corpus's, by name,
with what each holds. Names shared by both mean the same."""

from __future__ import annotations

__all__ = ["EQUAL_ROW", "FAMILIES", "GENERATED_FAMILIES", "LONG_ROW", "VOCAB_LENGTHS"]

# Vocabulary sizes of language models (32k, Llama 3's 128256, Qwen's 151936, 262144).
VOCAB_LENGTHS = (32000, 128256, 151936, 262144)
# Equal logits whose softmax denominator passes float16's largest finite value, 65504.
EQUAL_ROW = 70_000

LONG_ROW = 100_000  # elements in the long-row family's row

FAMILIES: dict[str, str] = {
    "huge": "values near and beyond the dtype's exp overflow threshold, up to its max",
    "tiny": "values ~1e-3 of eps, and rows so negative that every exp underflows",
    "mixed-scale-rows": "rows of very different scale: one global max underflows a whole row",
    "ties": "rows with exactly equal values, including equal maxima",
    "near-ties": "rows whose values are a few ulps apart in the dtype",
    "1-D": "one-dimensional input",
    "2-D": "two-dimensional input, along either axis",
    "N-D": "three- and four-dimensional input, along several axes",
    "axis-not-last": "reduction along an axis other than the last (positive and negative axis)",
    "single-element": "reduction axis of length one: the output is exactly one",
    "empty": "zero-size input: the output is empty",
    "pos-inf": "+inf in a row (no single right answer: a convention)",
    "neg-inf": "partial -inf mask: masked entries get exactly zero",
    "all-neg-inf-row": "a fully masked (all -inf) row beside ordinary rows (a convention)",
    "nan": "NaN in a row (a convention)",
    "subnormal": "subnormal inputs, and inputs whose softmax outputs are subnormal",
    "long-row": "one row of at least 10^5 elements: summation error grows with n; 70,000 "
    "equal logits, whose denominator passes float16's 65504",
    "vocab-rows": "rows of vocabulary size (32000 to 262144) of language-model logits, N(0, 3) "
    "with spikes at +20 to +40, alone and in batches",
    "int-input": "integer input (int64, int32): if accepted, a distribution in a float dtype",
    "non-contiguous": "Fortran order, transposed views, negative strides, slices with gaps and "
    "read-only 0-stride broadcast views, delivered to the implementation as declared",
    "wide-spread": "one row spanning thousands: [-1e4 .. 0], [0, -700, -745, ...]",
    "mixed-batch": "a NaN, a +inf or a fully masked row among 8 and more ordinary rows, which "
    "must stay exact",
    "temperature": "logits divided by a small and a large temperature",
}

GENERATED_FAMILIES: dict[str, str] = {
    "logits": "ordinary logits in [-10, 10]; shapes 1-D to 5-D, zero-size axes included",
    "huge": "values near and beyond the dtype's exp overflow threshold; at least one beyond",
    "large-negative": "large negative values; at least one row whose every exp underflows",
    "subnormal": "subnormal inputs beside zeros and small values; rows with subnormal outputs",
    "ties": "rows drawn from a pool of a few values; a row with two equal values, often its max",
    "near-ties": "rows whose values are a few ulps apart; a row with two different values",
    "masks": "-inf masks over logits: at least one -inf, sometimes a fully masked row",
    "specials": "+inf and NaN (and -inf) beside ordinary logits (a convention)",
    "wide-spread": "values 0 down to -1e4 at random magnitudes; a row spanning past underflow",
    "mixed-scale-rows": "rows whose scales differ by 100x and more, up to 2x the underflow range",
    "long-rows": "one or two rows of 1000 to 4096 normal values (1-D, or 2-D along either axis)",
}
