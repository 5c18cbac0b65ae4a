"""JSON Schemas (draft 2020-12) of the resource inputs and of spec files, and input validation.

Shipped documents (package data, loaded with ``importlib.resources``):

* ``common.json``: objects shared by several types (ExportParams, SearchCondition, ...);
* ``intelligent_task.json``, ``export_task.json``, ``dataset_version_ref.json``: the input
  properties of each resource type, with ``x-outputs`` (output names) and ``x-api-fields``
  (the inputs that are sent to the API);
* ``spec_file.json``: a YAML spec file (``resources: {name: {type, properties, options}}``).

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
    "registry",
    "spec_file_schema",
    "validate_inputs",
    "validator_for",
]


def load_schema(name: str) -> dict[str, Any]:
    """A shipped schema document, by short name (``export_task``), file name or type token.

    The documents are read once and cached; each call returns a copy the caller may change.
    """
    return copy.deepcopy(raw_schema(schema_name(name)))


@functools.cache
def _bundled() -> dict[str, Any]:
    return bundle_spec_file_schema()


def spec_file_schema() -> dict[str, Any]:
    """The spec-file schema with all other documents inlined (local ``#/$defs/...`` references)."""
    return copy.deepcopy(_bundled())


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
