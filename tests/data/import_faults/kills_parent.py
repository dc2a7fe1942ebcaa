"""Kills its parent process while it is imported."""

import os
import signal

os.kill(os.getppid(), signal.SIGKILL)


def softmax(x, axis=-1):
    return x
