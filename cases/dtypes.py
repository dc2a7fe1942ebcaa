"""The floating-point formats the catalogue feeds, described as data.

bfloat16 comes from ml_dtypes (the same type TensorFlow and JAX use).
Every format here is a binary IEEE-style format: ``precision`` significand
bits (implicit bit included), normal exponents ``emin..emax``, subnormals.
"""

from __future__ import annotations

from dataclasses import dataclass

import ml_dtypes
import numpy as np

__all__ = ["FLOAT_DTYPES", "Format", "dtype_name", "float_format", "np_dtype", "result_dtype"]


@dataclass(frozen=True)
class Format:
    """A binary floating-point format."""

    name: str
    precision: int  # significand bits, implicit bit included
    emin: int  # exponent of the smallest normal number
    emax: int  # exponent of the largest finite number

    @property
    def eps(self) -> float:
        """Distance from 1.0 to the next larger number."""
        return 2.0 ** (1 - self.precision)

    @property
    def tiny(self) -> float:
        """Smallest positive normal number."""
        return 2.0**self.emin

    @property
    def smallest_subnormal(self) -> float:
        return 2.0 ** (self.emin - self.precision + 1)

    @property
    def max(self) -> float:
        return float((2 - 2.0 ** (1 - self.precision)) * 2.0**self.emax)

    @property
    def exp_overflow(self) -> float:
        """The x above which exp(x) overflows this format."""
        return float(np.log(self.max))


_FORMATS = {
    "float16": Format("float16", 11, -14, 15),
    "bfloat16": Format("bfloat16", 8, -126, 127),
    "float32": Format("float32", 24, -126, 127),
    "float64": Format("float64", 53, -1022, 1023),
}

FLOAT_DTYPES: tuple[str, ...] = tuple(_FORMATS)

_NP = {
    "float16": np.dtype(np.float16),
    "bfloat16": np.dtype(ml_dtypes.bfloat16),
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
}


def np_dtype(name: str) -> np.dtype:
    """The NumPy dtype for a dtype name (``bfloat16`` included)."""
    try:
        return _NP[name]
    except KeyError:
        return np.dtype(name)


def dtype_name(dtype: np.dtype | type) -> str:
    """The catalogue's name for a NumPy dtype: ``float32``, ``bfloat16``, ``int64`` ..."""
    dt = np.dtype(dtype)
    if dt == _NP["bfloat16"]:
        return "bfloat16"
    return dt.name


def float_format(name: str) -> Format:
    """The format of a float dtype name; ValueError for anything else."""
    try:
        return _FORMATS[name]
    except KeyError:
        raise ValueError(
            f"dtype={name!r} is not a float format; expected one of {', '.join(FLOAT_DTYPES)}"
        ) from None


def result_dtype(input_dtype: str) -> str:
    """The dtype a conforming softmax returns: the input's if it is a float, else float64."""
    return input_dtype if input_dtype in _FORMATS else "float64"
