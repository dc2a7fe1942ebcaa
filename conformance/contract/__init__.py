"""The contract a gate enforces: checks, the gate, the hunt, defects and their diagnosis.

- ``checks``: one plain function per property, result checks and probe checks;
- ``probe``: calling the implementation on a case a check built;
- ``gate``: every check on one implementation, per dtype, with diagnoses;
- ``hunt``: Hypothesis searching for and shrinking counterexamples;
- ``defects``: which known defects a run's results show;
- ``diagnosis``: the cause and fix of a failed check, in words;
- ``reproducer``: lines of Python that rebuild a case and call the implementation;
- ``golden``: whether the threads' code reproduces what they printed;
- ``config``: policies and expected failures read from files.

Modules are imported by name; this package imports nothing itself.
"""
