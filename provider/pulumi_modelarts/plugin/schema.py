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
from pulumi_modelarts.plugin.names import argument_nodes, camel, camel_text, deref, named_properties
from pulumi_modelarts.reconcile.kinds import Kind
from pulumi_modelarts.schema._documents import raw_schema, schema_id, schema_name

PACKAGE = "modelarts"
# The SDKs are shipped from this repository (sdk/), not from a registry: names that collide with nothing,
# the Python one in particular with this project's own distribution `pulumi-modelarts` (module pulumi_modelarts).
REPOSITORY = "https://github.com/pulumi-modelarts/pulumi-modelarts"
GO_MODULE = "github.com/pulumi-modelarts/pulumi-modelarts/sdk/go"
NPM_PACKAGE = "@pulumi-modelarts/modelarts"
PYTHON_PACKAGE = "pulumi_modelarts_sdk"  # the distribution pulumi-modelarts-sdk
DOTNET_NAMESPACE = "PulumiModelArts"
ANY = {"$ref": "pulumi.json#/Any"}
_PRIMITIVES = {"string", "integer", "number", "boolean"}
_PYTHON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


class _Builder:
    """Turns JSON Schema nodes into Pulumi type specs, collecting the named object types."""

    def __init__(self) -> None:
        self.types: dict[str, dict[str, Any]] = {}

    def properties(self, nodes: Mapping[str, Any], base: str) -> dict[str, dict[str, Any]]:
        """Property specs by camelCase name."""
        return {camel(key): self.property(node, base, _pascal(key)) for key, node in nodes.items()}

    def property(self, node: Mapping[str, Any], base: str, name: str) -> dict[str, Any]:
        """A property spec: the type, plus the description and a primitive default."""
        spec = self.type(node, base, name)
        target, _ = deref(node, base)
        description = node.get("description") or target.get("description")
        if description:
            spec["description"] = camel_text(description)
        default = node.get("default", target.get("default"))
        if isinstance(default, (str, bool, int, float)) and spec.get("type") in _PRIMITIVES:
            spec["default"] = default
        return spec

    def type(self, node: Mapping[str, Any], base: str, name: str) -> dict[str, Any]:
        if "$ref" in node:
            ref = str(node["$ref"])
            target, target_base = deref(node, base)
            if named_properties(target) is not None:
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
            if named_properties(node) is not None:
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
                "description": camel_text(node.get("description", "")),
                "properties": self.properties(node["properties"], base),
                **({"required": [camel(key) for key in node["required"]]} if node.get("required") else {}),
            }
        return {"$ref": f"#/types/{token}"}


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


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
    inputs = builder.properties(document["properties"], base)
    annotations = bridge.output_annotations(kind)
    outputs = {camel(key): inputs.get(camel(key)) or _python_type(annotations[key]) for key in kind.outputs}
    return {
        "description": camel_text(document.get("description", "")),
        "inputProperties": inputs,
        "requiredInputs": [camel(key) for key in document.get("required", [])],
        "properties": {**inputs, **outputs},
        "required": [camel(kind.id_output), camel("dataset_id")],
    }


def _function(builder: _Builder, function: bridge.Function) -> dict[str, Any]:
    return {
        "description": camel_text(function.description),
        "inputs": {"properties": builder.properties(*argument_nodes(function.args))},
        "outputs": {"properties": {camel(key): _python_type(hint) for key, hint in function.output_types.items()}},
    }


def _config_variables() -> dict[str, dict[str, Any]]:
    from pulumi_modelarts.api.config import OTHER_CONFIG_KEYS, SETTINGS_TABLE, Settings

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
    for key, description in OTHER_CONFIG_KEYS.items():
        variables[key] = {"type": "string", "description": description}
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
        " exports and pinned dataset versions.",
        "keywords": ["pulumi", "modelarts", "huaweicloud", "opentelekomcloud", "category/cloud", "kind/native"],
        "homepage": REPOSITORY,
        "repository": REPOSITORY,
        "publisher": "pulumi-modelarts",
        "license": "Apache-2.0",
        "meta": {"moduleFormat": "(.*)", "supportPack": True},
        "language": _languages(),
        "config": {"variables": config},
        "provider": {"description": "The ModelArts provider.", "inputProperties": config},
        "resources": resources,
        "functions": functions,
        "types": dict(sorted(builder.types.items())),
    }


_README = (
    "The SDK of the ModelArts provider plugin `pulumi-resource-modelarts`, generated from its schema. Programs need"
    f" the plugin on PATH: see {REPOSITORY}#readme."
)


def _languages() -> dict[str, dict[str, Any]]:
    return {
        "nodejs": {"packageName": NPM_PACKAGE, "respectSchemaVersion": True, "readme": _README},
        "python": {
            "packageName": PYTHON_PACKAGE,
            "respectSchemaVersion": True,
            "pyproject": {"enabled": True},
            "readme": _README,
        },
        "go": {
            "importBasePath": f"{GO_MODULE}/{PACKAGE}",
            "modulePath": GO_MODULE,
            "respectSchemaVersion": True,
            "generateResourceContainerTypes": True,
        },
        "csharp": {"rootNamespace": DOTNET_NAMESPACE, "respectSchemaVersion": True},
    }


def package_schema_json() -> str:
    return json.dumps(package_schema(), indent=2, sort_keys=False)
