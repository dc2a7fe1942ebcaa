"""Measuring one output: records, bounds, metrics, agreement, conventions, mechanisms.

- ``records``: the frozen records (Result, Metrics, Worst, Finding) and their JSON form;
- ``bounds``: the policies, the numbers a verdict is measured against;
- ``rows``: the 1-D slices along the axis and the ulp every metric shares;
- ``softmax_metrics``, ``op_metrics``: each op's metrics against the reference;
- ``agreement``: whether two implementations' outputs agree, by an op's rule;
- ``conventions``: what an output does where there is no single right answer;
- ``mechanisms``: which wrong computation reproduces an output (the defects' causes).

Modules are imported by name (``from conformance.measure.records import Result``);
this package imports nothing itself.
"""
