"""Segfaults while it is imported."""

import ctypes

ctypes.string_at(0)


def softmax(x, axis=-1):
    return x
