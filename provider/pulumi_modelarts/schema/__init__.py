"""JSON Schemas (draft 2020-12) of the resource inputs and of spec files, and input validation.

Shipped documents (package data, loaded with ``importlib.resources``):

* ``common.json``: objects shared by several types (ExportParams, SearchCondition, ...);
* ``intelligent_task.json``, ``export_task.json``, ``import_task.json``, ``dataset_version_ref.json``: the input
  properties of each resource type, with ``x-outputs`` (output names) and ``x-api-fields``
  (the inputs that are sent to the API);
* ``spec_file.json``: a YAML spec file (``resources: {name: {type, properties, options}}``);
* ``plan.json``: the plan document of the CLI (``plan --format json``, ``plan --out``), on its own:
  :func:`plan_schema`.

They refer to each other by ``$id``; :func:`spec_file_schema` returns one self-contained
document for editors. Extra keywords: ``x-expected`` (wording of what a value must be),
``x-message`` (message of a rule), ``x-normalize`` (``integer-string``, ``ratio-string``).

:func:`validate_inputs` is the single source of truth for valid inputs, used by spec files,
the CLI and the providers' ``check``.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from pulumi_modelarts.schema._documents import (
    _BUNDLED_ROOT_NAMES,
    SCHEMA_NAMES,
    TYPE_TOKENS,
    bundle_spec_file_schema,
    raw_schema,
    schema_name,
)
from pulumi_modelarts.schema._validation import (
    UnknownString,
    Violation,
    format_path,
    registry,
    validate_inputs,
    validator_for,
)

__all__ = [
    "SCHEMA_NAMES",
    "TYPE_TOKENS",
    "UnknownString",
    "Violation",
    "api_fields_of",
    "format_path",
    "inputs_of",
    "load_schema",
    "outputs_of",
    "plan_schema",
    "registry",
    "spec_file_schema",
    "type_schema",
    "validate_inputs",
    "validator_for",
]


def load_schema(name: str) -> dict[str, Any]:
    """A shipped schema document, by short name (``export_task``), file name or type token.

    The documents are read once and cached; each call returns a copy the caller may change.
    """
    return copy.deepcopy(raw_schema(schema_name(name)))


#: A property value that refers to outputs (``${name.output}``, whole or inside a longer string).
REFERENCE = {
    "type": "string",
    "pattern": "\\$\\{",
    "description": "A reference to another resource's output, ${name.output}, or a string with one inside.",
}
# Keywords whose value is the schema of a property value (or a map / list of them).
_VALUE_SCHEMA = ("additionalProperties", "items")
_VALUE_SCHEMAS = ("properties", "patternProperties")


@functools.cache
def _bundled() -> dict[str, Any]:
    bundled = bundle_spec_file_schema()
    skeleton = set(raw_schema("spec_file")["$defs"])  # the file's own shape: names, types, options
    defs = bundled["$defs"]
    for name in list(defs):
        if name not in skeleton:  # the resources' inputs and what they share, wherever it nests
            defs[name] = _accepting_references(defs[name])
    defs["Reference"] = dict(REFERENCE)
    return bundled


def _accepting_references(node: Any) -> Any:
    """``node`` with every property value's schema also accepting a ``${...}`` reference string.

    Spec files may put a reference wherever a value goes; ``validate`` checks such a value once the
    reference is resolved, so an editor must not flag it.
    """
    if isinstance(node, list):
        return [_accepting_references(item) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _VALUE_SCHEMAS and isinstance(value, dict):
            result[key] = {name: _or_reference(_accepting_references(sub)) for name, sub in value.items()}
        elif key in _VALUE_SCHEMA and isinstance(value, dict):
            result[key] = _or_reference(_accepting_references(value))
        else:
            result[key] = _accepting_references(value)
    return result


def _or_reference(node: Any) -> Any:
    """A reference, or else ``node`` (if/else rather than anyOf: a wrong value gets ``node``'s own message)."""
    if not isinstance(node, dict) or not node:
        return node
    return {"if": {"$ref": "#/$defs/Reference"}, "else": node}


def spec_file_schema() -> dict[str, Any]:
    """The JSON Schema of a spec file for editors: self-contained (every ``$ref`` is local, nothing is
    fetched) and accepting ``${name.output}`` references wherever a property value goes."""
    return copy.deepcopy(_bundled())


def type_schema(type_token: str) -> dict[str, Any]:
    """The self-contained JSON Schema of one resource type's inputs (``pulumi-modelarts schema --type``)."""
    name = schema_name(type_token)
    bundled = bundle_spec_file_schema()
    root = bundled["$defs"][_BUNDLED_ROOT_NAMES[name]]
    document = {"$schema": bundled["$schema"], "title": f"{type_token} inputs", **root}
    document["$defs"] = bundled["$defs"]
    return copy.deepcopy(document)


def plan_schema() -> dict[str, Any]:
    """The JSON Schema of the CLI's plan document (``pulumi-modelarts schema --plan``), self-contained."""
    return copy.deepcopy(raw_schema("plan"))


def _resource_schema(type_token: str) -> dict[str, Any]:
    if type_token not in TYPE_TOKENS:
        raise ValueError(f"unknown resource type {type_token!r}; known: {', '.join(TYPE_TOKENS)}")
    return raw_schema(schema_name(type_token))


def outputs_of(type_token: str) -> list[str]:
    """Names of the outputs a resource computes (``x-outputs``); its inputs are echoed too."""
    return list(_resource_schema(type_token)["x-outputs"])


def api_fields_of(type_token: str) -> list[str]:
    """Top-level inputs that are sent to the API (``x-api-fields``); the rest are control options."""
    return list(_resource_schema(type_token)["x-api-fields"])


def inputs_of(type_token: str) -> list[str]:
    """Names of a resource's input properties."""
    return list(_resource_schema(type_token)["properties"])


def defaulted_inputs_of(type_token: str) -> list[str]:
    """Names of the inputs the schema fills with a default when a resource does not set them."""
    properties = _resource_schema(type_token)["properties"]
    return [name for name, node in properties.items() if isinstance(node, dict) and "default" in node]
