"""The plugin's property names: camelCase at its boundary, the API's own names inside it.

Pulumi packages name properties in camelCase, and each SDK maps them to its language (Python
``dataset_id``, TypeScript ``datasetId``, Go ``DatasetId``). The JSON Schemas, ``bridge`` and the
ModelArts API use the API's snake_case names. The mapping follows the JSON Schemas: the keys of an
object whose properties are closed and named like identifiers are renamed, at every depth. Anything
else passes unchanged: free-form maps (``skipped_counts``, a label's ``@modelarts:`` attributes,
``envs``), scalars, and keys the schema does not know (the bridge's own outputs ``resource_name`` and
``spec``, or a misspelt property, which validation then reports).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_modelarts.schema import outputs_of
from pulumi_modelarts.schema._documents import SCHEMA_NAMES, raw_schema, resolve_ref, schema_id, schema_name

IDENTIFIER = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*\Z")
_SNAKE_WORD = re.compile(r"(?<![\w@:])[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_FUNCTION_ARGUMENTS = "dataset_version_ref"  # the functions' arguments are typed as DatasetVersionRef's inputs


def camel(name: str) -> str:
    """``dataset_id`` -> ``datasetId``; a name without ``_`` stays as it is."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def named_properties(node: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The properties of a JSON Schema object that SDKs can name (closed, identifier keys), else None.

    Such an object becomes an object type of the package and its keys are renamed; any other object
    is a free-form map whose keys pass unchanged (``@modelarts:content`` is no property name in Go).
    """
    properties = node.get("properties")
    if not isinstance(properties, Mapping) or node.get("additionalProperties") is not False:
        return None
    if not all(IDENTIFIER.match(key) for key in properties):
        return None
    if len({camel(key) for key in properties}) != len(properties):
        raise ValueError(f"two properties have the same camelCase name: {', '.join(properties)}")
    return properties


def deref(node: Mapping[str, Any], base: str) -> tuple[Mapping[str, Any], str]:
    while "$ref" in node:
        node, base = resolve_ref(node["$ref"], base)
    return node, base


class Shape:
    """Where the keys of one value are renamed: an object's fields (by API name) and an array's items.

    Built from a JSON Schema node lazily, so a type may refer to itself.
    """

    def __init__(self, node: Mapping[str, Any], base: str) -> None:
        self._node, self._base = node, base

    def _alternatives(self) -> Iterator[tuple[Mapping[str, Any], str]]:
        node, base = deref(self._node, self._base)
        yield node, base
        for member in (*node.get("anyOf", ()), *node.get("oneOf", ())):
            yield deref(member, base)

    @functools.cached_property
    def fields(self) -> dict[str, Shape]:
        fields: dict[str, Shape] = {}
        for node, base in self._alternatives():
            for key, child in (named_properties(node) or {}).items():
                fields.setdefault(key, Shape(child, base))
        return fields

    @functools.cached_property
    def by_camel(self) -> dict[str, str]:
        return {camel(key): key for key in self.fields}

    @functools.cached_property
    def items(self) -> Shape | None:
        for node, base in self._alternatives():
            if isinstance(node.get("items"), Mapping):
                return Shape(node["items"], base)
        return None

    # --- values ---

    def to_api(self, value: Any) -> Any:
        """A value with camelCase keys (from the engine) in the API's names."""
        if isinstance(value, Mapping) and self.fields:
            api = self.by_camel
            return {api.get(key, key): self.fields[api[key]].to_api(v) if key in api else v for key, v in value.items()}
        if isinstance(value, list) and self.items is not None:
            return [self.items.to_api(item) for item in value]
        return value

    def to_camel(self, value: Any) -> Any:
        """A value in the API's names with camelCase keys (for the engine)."""
        if isinstance(value, Mapping) and self.fields:
            return {camel(key) if key in self.fields else key: self._child(key).to_camel(v) for key, v in value.items()}
        if isinstance(value, list) and self.items is not None:
            return [self.items.to_camel(item) for item in value]
        return value

    def _child(self, key: str) -> Shape:
        return self.fields.get(key) or _FREE

    def misnamed(self, value: Any, path: str = "") -> list[tuple[str, str]]:
        """Keys written in the API's spelling where camelCase is expected, as (path, message)."""
        found: list[tuple[str, str]] = []
        if isinstance(value, Mapping) and self.fields:
            for key, item in value.items():
                if key in self.by_camel:
                    found += self.fields[self.by_camel[key]].misnamed(item, _join(path, key))
                elif key in self.fields and camel(key) != key:
                    found.append((_join(path, key), f"unknown property '{key}'; its name here is '{camel(key)}'"))
        elif isinstance(value, list) and self.items is not None:
            for index, item in enumerate(value):
                found += self.items.misnamed(item, f"{path}[{index}]")
        return found

    def camel_path(self, path: str) -> str:
        """A property path in the API's names (``export_params.search_conditions[0].hard``) in camelCase."""
        shape: Shape = self
        parts: list[str] = []
        for match in _PATH_PART.finditer(path):
            name, index = match.groups()
            if index is not None:
                parts.append(f"[{index}]")
                shape = shape.items or _FREE
            else:
                parts.append(("." if parts else "") + (camel(name) if name in shape.fields else name))
                shape = shape._child(name)
        return "".join(parts)


_FREE = Shape({}, "")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _object(properties: Mapping[str, Any], base: str) -> Shape:
    return Shape({"type": "object", "properties": dict(properties), "additionalProperties": False}, base)


@functools.cache
def resource(spec_token: str) -> Shape:
    """The names of a resource's properties: its inputs (nested objects included) and its outputs."""
    name = schema_name(spec_token)
    inputs = raw_schema(name)["properties"]
    return _object({**{key: {} for key in outputs_of(spec_token)}, **inputs}, schema_id(name))


def argument_nodes(arguments: Iterable[str]) -> tuple[dict[str, Any], str]:
    """The JSON Schema nodes of the functions' arguments (typed as DatasetVersionRef's inputs), and their base."""
    properties = raw_schema(_FUNCTION_ARGUMENTS)["properties"]
    return {key: properties[key] for key in arguments}, schema_id(_FUNCTION_ARGUMENTS)


@functools.cache
def function(arguments: tuple[str, ...], results: tuple[str, ...]) -> Shape:
    """The names of a function's arguments and results (one shape: the names never clash)."""
    nodes, base = argument_nodes(arguments)
    return _object({**{key: {} for key in results}, **nodes}, base)


@functools.cache
def _api_names() -> frozenset[str]:
    names: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, Mapping):
            names.update(key for key in (node.get("properties") or {}) if IDENTIFIER.match(str(key)))
            names.update(node.get("x-outputs") or ())
            for child in node.values():
                collect(child)
        elif isinstance(node, list):
            for child in node:
                collect(child)

    for name in SCHEMA_NAMES:
        collect(raw_schema(name))
    return frozenset(name for name in names if "_" in name)


def camel_text(text: str) -> str:
    """A message or description with the API's property names (``export_params.export_dest``) in camelCase."""
    return _SNAKE_WORD.sub(lambda match: camel(match[0]) if match[0] in _api_names() else match[0], text)
