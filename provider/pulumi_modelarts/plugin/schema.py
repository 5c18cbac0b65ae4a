"""The Pulumi package schema of the plugin, generated from the project's JSON Schemas.

Input properties and object types come from the resource documents (``pulumi_modelarts/schema/*.json``),
output names from their ``x-outputs`` and output types from the dynamic resource classes, provider
config from the client's settings table. Nothing here is written twice by hand.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import typing
from collections.abc import Mapping
from typing import Any

from pulumi_modelarts import __version__
from pulumi_modelarts.plugin import bridge
from pulumi_modelarts.reconcile.kinds import Kind
from pulumi_modelarts.schema._documents import raw_schema, resolve_ref, schema_id, schema_name

PACKAGE = "modelarts"
ANY = {"$ref": "pulumi.json#/Any"}
_PRIMITIVES = {"string", "integer", "number", "boolean"}
_PYTHON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


class _Builder:
    """Turns JSON Schema nodes into Pulumi type specs, collecting the named object types."""

    def __init__(self) -> None:
        self.types: dict[str, dict[str, Any]] = {}

    def property(self, node: Mapping[str, Any], base: str, name: str) -> dict[str, Any]:
        """A property spec: the type, plus the description and a primitive default."""
        spec = self.type(node, base, name)
        target, _ = self._deref(node, base)
        description = node.get("description") or target.get("description")
        if description:
            spec["description"] = description
        default = node.get("default", target.get("default"))
        if isinstance(default, (str, bool, int, float)) and spec.get("type") in _PRIMITIVES:
            spec["default"] = default
        return spec

    def _deref(self, node: Mapping[str, Any], base: str) -> tuple[Mapping[str, Any], str]:
        while "$ref" in node:
            node, base = resolve_ref(node["$ref"], base)
        return node, base

    def type(self, node: Mapping[str, Any], base: str, name: str) -> dict[str, Any]:
        if "$ref" in node:
            ref = str(node["$ref"])
            target, target_base = self._deref(node, base)
            if "properties" in target:
                return self._named(ref.rsplit("/", 1)[-1], target, target_base)
            return self.type(target, target_base, name)
        for union in ("anyOf", "oneOf"):
            if union in node and "type" not in node:
                members = [self.type(member, base, name) for member in node[union]]
                unique = [member for i, member in enumerate(members) if member not in members[:i]]
                return unique[0] if len(unique) == 1 else {"oneOf": unique}
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next(item for item in kind if item != "null")
        if kind == "array":
            return {"type": "array", "items": self.type(node.get("items", {}), base, name + "Item")}
        if kind == "object":
            if "properties" in node:
                return self._named(name, node, base)
            extra = node.get("additionalProperties")
            values = self.type(extra, base, name + "Value") if isinstance(extra, Mapping) else ANY
            return {"type": "object", "additionalProperties": values}
        if kind in _PRIMITIVES:
            return {"type": kind}
        return dict(ANY)

    def _named(self, name: str, node: Mapping[str, Any], base: str) -> dict[str, Any]:
        token = f"{PACKAGE}:index:{name[:1].upper()}{name[1:]}"
        if token not in self.types:
            self.types[token] = {}  # reserved first: object types may refer to themselves
            self.types[token] = {
                "type": "object",
                "description": node.get("description", ""),
                "properties": {
                    key: self.property(child, base, _pascal(key)) for key, child in node["properties"].items()
                },
                **({"required": list(node["required"])} if node.get("required") else {}),
            }
        return {"$ref": f"#/types/{token}"}


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("@", "").replace(":", "_").split("_"))


def _python_type(hint: Any) -> dict[str, Any]:
    """The Pulumi type of a ``pulumi.Output[T]`` attribute of a dynamic resource class."""
    inner = hint if typing.get_origin(hint) in (dict, None) else typing.get_args(hint)[0]
    if inner in _PYTHON_TYPES:
        return {"type": _PYTHON_TYPES[inner]}
    if typing.get_origin(inner) is dict:
        _, value = typing.get_args(inner)
        return {"type": "object", "additionalProperties": _python_type(value)}
    return dict(ANY)


def _resource(builder: _Builder, kind: Kind) -> dict[str, Any]:
    name = schema_name(kind.type_token)
    document, base = raw_schema(name), schema_id(name)
    inputs = {key: builder.property(node, base, _pascal(key)) for key, node in document["properties"].items()}
    annotations = bridge.output_annotations(kind)
    outputs = {key: inputs.get(key) or _python_type(annotations[key]) for key in kind.outputs}
    return {
        "description": document.get("description", ""),
        "inputProperties": inputs,
        "requiredInputs": list(document.get("required", [])),
        "properties": {**inputs, **outputs},
        "required": [kind.id_output, "dataset_id"],
    }


def _function(builder: _Builder, function: bridge.Function) -> dict[str, Any]:
    base = schema_id("dataset_version_ref")
    arguments = raw_schema("dataset_version_ref")["properties"]
    return {
        "description": function.description,
        "inputs": {"properties": {key: builder.property(arguments[key], base, _pascal(key)) for key in function.args}},
        "outputs": {"properties": {key: _python_type(hint) for key, hint in function.output_types.items()}},
    }


def _config_variables() -> dict[str, dict[str, Any]]:
    from pulumi_modelarts.api.config import SETTINGS_TABLE, Settings

    kinds = {field.name: str(field.type) for field in dataclasses.fields(Settings)}
    variables: dict[str, dict[str, Any]] = {}
    for spec in SETTINGS_TABLE:
        declared = kinds.get(spec.name, "str")
        kind = "boolean" if "bool" in declared else "integer" if "int" in declared else "number"
        variable: dict[str, Any] = {
            "type": "string" if "str" in declared else kind,
            "description": spec.description,
        }
        if spec.env:
            variable["defaultInfo"] = {"environment": list(spec.env)}
        if spec.secret:
            variable["secret"] = True
        variables[spec.config_key.split(":", 1)[1]] = variable
    return variables


@functools.cache
def package_schema() -> dict[str, Any]:
    builder = _Builder()
    resources = {token: _resource(builder, kind) for token, kind in bridge.KINDS.items()}
    functions = {token: _function(builder, function) for token, function in bridge.FUNCTIONS.items()}
    config = _config_variables()
    return {
        "name": PACKAGE,
        "displayName": "ModelArts",
        "version": __version__,
        "description": "ModelArts dataset operations (Huawei Cloud, Open Telekom Cloud): intelligent tasks,"
        " exports and pinned dataset versions, with the API's own field names.",
        "keywords": ["pulumi", "modelarts", "huaweicloud", "opentelekomcloud", "kind/native"],
        "license": "Apache-2.0",
        "meta": {"moduleFormat": "(.*)"},
        "config": {"variables": config},
        "provider": {"description": "The ModelArts provider.", "inputProperties": config},
        "resources": resources,
        "functions": functions,
        "types": dict(sorted(builder.types.items())),
    }


def package_schema_json() -> str:
    return json.dumps(package_schema(), indent=2, sort_keys=False)
