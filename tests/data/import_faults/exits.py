"""Ends its process while it is imported: sys.exit(0)."""

import sys

sys.exit(0)


def softmax(x, axis=-1):
    return x
