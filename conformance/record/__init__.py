"""The record of a run: the report model, its schema, files, merge, diff and outputs.

- ``model``: report.json's content from a run (every number a report shows is computed
  here; the renderers in ``reports/`` never recompute);
- ``types``: TypedDicts of report.json's parts; ``report.schema.json`` and
  ``check.schema.json``: their JSON Schemas, ``jsonschema``: the validator;
- ``files``: reading a report back, validated;
- ``merge``, ``diff``: several reports into one; regressions between two;
- ``outputs``: outputs.npz beside report.json; ``environment``: the machine and versions.

Modules are imported by name; this package imports nothing itself.
"""
