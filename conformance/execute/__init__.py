"""Running adapters: the runner, worker processes, their protocol, environments, progress.

- ``runner``: every adapter on every case, for each op, in this process or in workers;
- ``isolation``: the worker processes that survive crashes, hangs and exits;
- ``worker``, ``protocol``: what runs in a worker, and how it talks to the harness (NumPy
  only: a worker may run in another Python environment);
- ``environments``: named Python environments for adapters that cannot share this one;
- ``progress``: the progress bar.

This package imports nothing itself, so that a worker importing ``protocol`` loads no
more than it needs.
"""
