"""Loading the schema documents shipped with the package, resolving references, bundling."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any
from urllib.parse import urldefrag, urljoin

#: Every schema document shipped as package data, by short name (file name without ``.json``).
SCHEMA_NAMES: tuple[str, ...] = (
    "common",
    "intelligent_task",
    "export_task",
    "import_task",
    "dataset_version_ref",
    "spec_file",
)

#: The resource type tokens (in a fixed order), each with the short name of its schema.
TYPE_TOKENS: Mapping[str, str] = MappingProxyType(
    {
        "modelarts:IntelligentTask": "intelligent_task",
        "modelarts:ExportTask": "export_task",
        "modelarts:ImportTask": "import_task",
        "modelarts:DatasetVersionRef": "dataset_version_ref",
    }
)
TYPE_SCHEMAS = TYPE_TOKENS

# Name of a resource schema's root inside the bundled spec-file schema.
_BUNDLED_ROOT_NAMES: dict[str, str] = {
    "intelligent_task": "IntelligentTask",
    "export_task": "ExportTask",
    "import_task": "ImportTask",
    "dataset_version_ref": "DatasetVersionRef",
}


def schema_name(name: str) -> str:
    """The short schema name for a short name, a file name or a type token."""
    if name in TYPE_SCHEMAS:
        return TYPE_SCHEMAS[name]
    short = name.removesuffix(".json")
    if short not in SCHEMA_NAMES:
        known = ", ".join([*SCHEMA_NAMES, *TYPE_TOKENS])
        raise ValueError(f"unknown schema {name!r}; known: {known}")
    return short


@functools.cache
def raw_schema(name: str) -> dict[str, Any]:
    """The parsed schema document (shared: never mutate it)."""
    text = resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@functools.cache
def documents_by_id() -> dict[str, dict[str, Any]]:
    """Every shipped schema document by its ``$id``."""
    return {raw_schema(name)["$id"]: raw_schema(name) for name in SCHEMA_NAMES}


def schema_id(name: str) -> str:
    return str(raw_schema(name)["$id"])


def resolve_ref(ref: str, base: str) -> tuple[Any, str]:
    """Resolve a ``$ref`` (relative to ``base``) among the shipped documents.

    Returns the target sub-schema and the base URI in effect there.
    """
    url = urljoin(base, ref)
    document_url, fragment = urldefrag(url)
    if not document_url:
        document_url = base
    node: Any = documents_by_id()[document_url]
    if fragment:
        for token in fragment.split("/")[1:]:
            key = token.replace("~1", "/").replace("~0", "~")
            node = node[int(key)] if isinstance(node, list) else node[key]
    return node, document_url


def bundle_spec_file_schema() -> dict[str, Any]:
    """The spec-file schema with every other document inlined under one ``$defs``.

    All references become local (``#/$defs/Name``), so the result works in editors and tools
    that cannot resolve the other files.
    """
    ids = {schema_id(name): name for name in SCHEMA_NAMES}
    defs: dict[str, Any] = {}

    def local(ref: str, base: str) -> str:
        url = urljoin(base, ref)
        document_url, fragment = urldefrag(url)
        target = ids[document_url or base]
        if not fragment:
            return f"#/$defs/{_BUNDLED_ROOT_NAMES[target]}"
        tokens = fragment.split("/")
        if len(tokens) != 3 or tokens[1] != "$defs":
            raise RuntimeError(f"cannot bundle reference {ref!r} in {base}")
        return f"#/$defs/{tokens[2]}"

    def rewrite(node: Any, base: str) -> Any:
        if isinstance(node, dict):
            return {
                key: local(value, base) if key == "$ref" and isinstance(value, str) else rewrite(value, base)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [rewrite(item, base) for item in node]
        return node

    def add(name: str, node: Any, base: str) -> None:
        if name in defs:
            raise RuntimeError(f"two schema definitions are called {name!r}")
        defs[name] = rewrite(node, base)

    for name in SCHEMA_NAMES:
        document = raw_schema(name)
        base = document["$id"]
        for def_name, definition in document.get("$defs", {}).items():
            add(def_name, definition, base)
        if name in _BUNDLED_ROOT_NAMES:
            root = {k: v for k, v in document.items() if k not in {"$id", "$schema", "$defs"}}
            add(_BUNDLED_ROOT_NAMES[name], root, base)

    spec = raw_schema("spec_file")
    bundled: dict[str, Any] = rewrite({k: v for k, v in spec.items() if k != "$defs"}, spec["$id"])
    bundled["$defs"] = dict(sorted(defs.items()))
    return bundled
