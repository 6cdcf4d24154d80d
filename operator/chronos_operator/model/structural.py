"""pydantic JSON Schema -> a Kubernetes structural schema (a CRD's openAPIV3Schema).

pydantic writes JSON Schema 2020-12; the API server takes a restricted OpenAPI v3.0 dialect. The
rewrite rules (tooling.md §5.2): inline every ``$ref``; ``Optional[X]`` becomes X; ``const`` becomes
``enum``; ``int | str`` becomes ``x-kubernetes-int-or-string``; ``Any`` and ``dict[str, Any]`` keep
unknown fields; no ``additionalProperties`` next to ``properties``; no ``title``, ``examples``,
``default``, ``uniqueItems``; numeric ``exclusiveMinimum`` becomes OpenAPI's boolean form;
``prefixItems`` (tuples) becomes ``items``. Anything else unsupported raises, so a model change
that the API server would refuse fails the generator, not the cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Dropped everywhere. Defaults in particular: pydantic and the operator's settings are the only
# source of defaults; the API server writing them into stored objects would freeze today's
# values (epsilon, the image) into every object and show GitOps tools a drift.
_DROPPED = frozenset(
    {
        "title",
        "examples",
        "default",
        "uniqueItems",
        "discriminator",
        "readOnly",
        "writeOnly",
        "deprecated",
        "$schema",
        "$id",
        "$comment",
        "$defs",
    }
)
# Formats the API server knows; pydantic's others (uri, email, ...) are dropped.
_FORMATS = frozenset({"int32", "int64", "float", "double", "byte", "date", "date-time", "password"})
_NULL = {"type": "null"}
_PRESERVE = "x-kubernetes-preserve-unknown-fields"


class UnsupportedSchema(ValueError):
    """A pydantic construct with no structural-schema equivalent."""


def to_structural_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The structural form of a pydantic ``model_json_schema(by_alias=True, mode="validation")``."""
    definitions = schema.get("$defs", {})
    return _rewrite(schema, definitions, (), "")


def _rewrite(
    node: Mapping[str, Any],
    defs: Mapping[str, Any],
    seen: tuple[str, ...],
    path: str,
    *,
    partial: bool = False,
) -> dict[str, Any]:
    """``partial``: the keys around a $ref or a union, merged into the real schema by the caller."""
    node = dict(node)
    if "$ref" in node:
        name = str(node.pop("$ref")).rsplit("/", 1)[-1]
        if name in seen:
            # A recursive model cannot be inlined: keep whatever is there, untyped.
            target: dict[str, Any] = {"type": "object", _PRESERVE: True}
        else:
            target = _rewrite(defs[name], defs, (*seen, name), path)
        # Keys next to the $ref (the field's description, its validations) win over the model's.
        return {**target, **_rewrite(node, defs, seen, path, partial=True)}
    for junctor in ("anyOf", "oneOf"):
        if junctor in node:
            return _merge_union(node, node.pop(junctor), defs, seen, path)
    if "allOf" in node:
        parts = node.pop("allOf")
        if len(parts) != 1:
            raise UnsupportedSchema(f"{path or '<root>'}: allOf with {len(parts)} parts")
        return {**_rewrite(parts[0], defs, seen, path), **_rewrite(node, defs, seen, path, partial=True)}

    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED:
            continue
        if key == "const":
            result["enum"] = [value]
        elif key == "format":
            if value in _FORMATS:
                result[key] = value
        elif key == "description":
            result[key] = " ".join(str(value).split())  # docstrings carry newlines and indentation
        elif key == "properties":
            result[key] = {name: _rewrite(sub, defs, seen, f"{path}.{name}") for name, sub in value.items()}
        elif key == "items":
            result[key] = _rewrite(value, defs, seen, f"{path}[]")
        elif key == "prefixItems":
            result["items"] = _merge_items(value, defs, seen, path)
        elif key == "additionalProperties":
            if value is True or value == {}:
                result[_PRESERVE] = True
            elif isinstance(value, Mapping):
                result[key] = _rewrite(value, defs, seen, f"{path}{{}}")
            # False (extra="forbid") is dropped: the API server prunes or refuses unknown fields anyway.
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            result["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            result[key] = True
        else:
            result[key] = value
    if "properties" in result:
        result.pop("additionalProperties", None)
    untyped = not result.get("type") and not result.get("x-kubernetes-int-or-string")
    if untyped and not partial:
        # Any: a value of any type, kept as written.
        result[_PRESERVE] = True
    return result


def _merge_union(
    node: dict[str, Any],
    branches: list[Mapping[str, Any]],
    defs: Mapping[str, Any],
    seen: tuple[str, ...],
    path: str,
) -> dict[str, Any]:
    """``X | None`` -> X; ``int | str`` -> int-or-string. A null branch only makes the field optional:
    the API server prunes a null value of a non-nullable field, so null and absent mean the same,
    as None does in the model, and CEL's has() stays exact."""
    rest = [branch for branch in branches if dict(branch) != _NULL]
    outer = _rewrite(node, defs, seen, path, partial=True)
    if len(rest) == 1:
        inner = _rewrite(rest[0], defs, seen, path)
        return {**inner, **outer}
    types = {branch.get("type") for branch in rest}
    if types == {"integer", "string"} and all(set(branch) == {"type"} for branch in rest):
        return {**outer, "x-kubernetes-int-or-string": True}
    raise UnsupportedSchema(
        f"{path or '<root>'}: a union of {sorted(map(str, types))} has no structural form"
    )


def _merge_items(
    items: list[Mapping[str, Any]], defs: Mapping[str, Any], seen: tuple[str, ...], path: str
) -> dict[str, Any]:
    """A tuple's items as one schema: allowed only when every position has the same type."""
    rewritten = [_rewrite(item, defs, seen, f"{path}[]") for item in items]
    types = {item.get("type") for item in rewritten}
    if len(types) != 1 or None in types:
        raise UnsupportedSchema(f"{path or '<root>'}: a tuple of mixed types {sorted(map(str, types))}")
    return {"type": types.pop()}
