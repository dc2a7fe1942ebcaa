"""A small JSON Schema validator: the subset report.schema.json uses, no dependency.

Supported keywords: ``type`` (a name or a list of names), ``enum``, ``const``,
``properties``, ``required``, ``additionalProperties`` (false or a schema),
``items``, ``minItems``, ``maxItems``, ``minimum``, ``maximum``, ``maxLength``,
``anyOf`` and ``$ref`` to ``#/$defs/NAME``. Errors name the JSON path of the
first offending value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["SchemaError", "validate"]

_TYPES: Mapping[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


class SchemaError(ValueError):
    """The instance does not match the schema; the message names where and why."""


def _is(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate(instance: Any, schema: Mapping[str, Any], root: Mapping[str, Any] | None = None,
             path: str = "$") -> None:
    """Raise SchemaError where ``instance`` breaks ``schema``."""
    root = schema if root is None else root
    if "$ref" in schema:
        name = str(schema["$ref"]).removeprefix("#/$defs/")
        validate(instance, root["$defs"][name], root, path)
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_is(instance, n) for n in names):
            raise SchemaError(f"{path}: expected {' or '.join(names)}, got "
                              f"{type(instance).__name__} {_describe(instance)}")
    if "const" in schema and instance != schema["const"]:
        raise SchemaError(f"{path}: expected {schema['const']!r}, got {_describe(instance)}")
    if "enum" in schema and instance not in schema["enum"]:
        raise SchemaError(f"{path}: {_describe(instance)} is not one of "
                          f"{', '.join(map(repr, schema['enum']))}")
    if "anyOf" in schema:
        errors = []
        for option in schema["anyOf"]:
            try:
                validate(instance, option, root, path)
                break
            except SchemaError as exc:
                errors.append(str(exc))
        else:
            raise SchemaError(errors[0] if len(errors) == 1 else
                              f"{path}: {_describe(instance)} matches none of "
                              f"{len(errors)} allowed forms ({errors[0]})")
    if isinstance(instance, bool):
        return
    if isinstance(instance, (int, float)):
        if "minimum" in schema and instance < schema["minimum"]:
            raise SchemaError(f"{path}: {instance} is below {schema['minimum']}")
        if "maximum" in schema and instance > schema["maximum"]:
            raise SchemaError(f"{path}: {instance} is above {schema['maximum']}")
    if isinstance(instance, str) and "maxLength" in schema and len(instance) > schema["maxLength"]:
        raise SchemaError(f"{path}: a string of {len(instance)} characters, at most "
                          f"{schema['maxLength']} allowed")
    if isinstance(instance, dict):
        for key in schema.get("required", ()):
            if key not in instance:
                raise SchemaError(f"{path}: missing {key!r}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, value in instance.items():
            where = f"{path}.{key}"
            if key in props:
                validate(value, props[key], root, where)
            elif extra is False:
                raise SchemaError(f"{path}: unexpected key {key!r}")
            elif isinstance(extra, Mapping):
                validate(value, extra, root, where)
    if isinstance(instance, list):
        if "minItems" in schema and len(instance) < schema["minItems"]:
            raise SchemaError(f"{path}: {len(instance)} items, at least {schema['minItems']}")
        if "maxItems" in schema and len(instance) > schema["maxItems"]:
            raise SchemaError(f"{path}: {len(instance)} items, at most {schema['maxItems']}")
        items = schema.get("items")
        if isinstance(items, Mapping):
            for i, value in enumerate(instance):
                validate(value, items, root, f"{path}[{i}]")
