"""The shipped schema documents: well-formed, consistent, bundled, and their helper functions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema
import pytest

from pulumi_modelarts.schema import (
    SCHEMA_NAMES,
    TYPE_TOKENS,
    api_fields_of,
    inputs_of,
    load_schema,
    outputs_of,
    registry,
    spec_file_schema,
)

# Objects whose keys are free (maps) or only partly documented.
OPEN_OBJECTS = {"SampleLabelProperty", "SampleMetadata", "StringListMap", "envs", "properties"}

EXPECTED_OUTPUTS = {
    "modelarts:IntelligentTask": {
        "dataset_id",
        "task_id",
        "task_name",
        "status",
        "status_name",
        "progress",
        "message",
        "code",
        "error_code",
        "error_msg",
        "total_sample_count",
        "annotated_sample_count",
        "unconfirmed_sample_count",
        "version_id",
        "train_job_id",
        "create_time",
        "elapsed_time",
        "fingerprint",
        "accepted_count",
        "skipped_counts",
        "adopted",
    },
    "modelarts:ExportTask": {
        "dataset_id",
        "task_id",
        "status",
        "status_name",
        "progress",
        "total_sample_count",
        "finished_sample_count",
        "new_dataset_id",
        "create_time",
        "update_time",
        "fingerprint",
        "adopted",
        "error_code",
        "error_msg",
    },
    "modelarts:ImportTask": {
        "dataset_id",
        "task_id",
        "status",
        "status_name",
        "progress",
        "total_sample_count",
        "imported_sample_count",
        "annotated_sample_count",
        "unconfirmed_sample_count",
        "create_time",
        "elapsed_time",
        "error_code",
        "error_msg",
        "fingerprint",
        "adopted",
    },
    "modelarts:DatasetVersionRef": {
        "dataset_id",
        "version_id",
        "version_name",
        "status",
        "status_name",
        "manifest_path",
        "data_path",
        "total_sample_count",
        "annotated_sample_count",
        "annotated_ratio",
        "is_current",
        "create_time",
        "released",
        "fingerprint",
    },
}


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_documents_are_valid_draft_2020_12(name: str) -> None:
    document = load_schema(name)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"].endswith(f"/{name}.json")
    jsonschema.Draft202012Validator.check_schema(document)


def test_documents_are_package_data() -> None:
    files = {entry.name for entry in resources.files("pulumi_modelarts.schema").iterdir()}
    assert {f"{name}.json" for name in SCHEMA_NAMES} <= files


def _objects(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield where, node
        for key, value in node.items():
            yield from _objects(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from _objects(item, where)


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_documented_objects_reject_unknown_properties(name: str) -> None:
    for where, node in _objects(load_schema(name), name):
        if where in OPEN_OBJECTS:
            continue
        if "properties" not in node:  # a map: its values are typed by additionalProperties
            assert isinstance(node.get("additionalProperties"), dict), where
            continue
        assert node.get("additionalProperties") is False, f"{name}: {where} accepts unknown properties"


def test_load_schema_accepts_names_files_and_tokens_and_returns_copies() -> None:
    a = load_schema("export_task")
    b = load_schema("export_task.json")
    c = load_schema("modelarts:ExportTask")
    assert a == b == c
    a["properties"].clear()
    assert load_schema("export_task")["properties"]
    with pytest.raises(ValueError, match="unknown schema"):
        load_schema("nope")


@pytest.mark.parametrize("type_token", list(TYPE_TOKENS))
def test_outputs_and_api_fields(type_token: str) -> None:
    assert set(outputs_of(type_token)) == EXPECTED_OUTPUTS[type_token]
    assert len(outputs_of(type_token)) == len(EXPECTED_OUTPUTS[type_token])
    inputs = inputs_of(type_token)
    assert set(api_fields_of(type_token)) <= set(inputs)
    for control in ("wait", "timeout_seconds", "dataset_id", "dataset_name", "adopt_task_id", "accept"):
        assert control not in api_fields_of(type_token)
    assert {"wait", "timeout_seconds", "dataset_id", "dataset_name"} <= set(inputs)


def test_api_fields_are_the_request_bodies() -> None:
    assert api_fields_of("modelarts:IntelligentTask") == [
        "task_type",
        "collect_key_sample",
        "model_id",
        "config",
    ]
    assert "export_params" in api_fields_of("modelarts:ExportTask")
    assert api_fields_of("modelarts:DatasetVersionRef") == ["version_name", "release"]
    assert api_fields_of("modelarts:ImportTask")[:2] == ["import_path", "import_type"]


def test_unknown_type_tokens_are_refused() -> None:
    for function in (outputs_of, api_fields_of, inputs_of):
        with pytest.raises(ValueError, match="unknown resource type"):
            function("modelarts:Nope")


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_bundled_spec_file_schema_is_self_contained() -> None:
    bundled = spec_file_schema()
    jsonschema.Draft202012Validator.check_schema(bundled)
    refs = list(_refs(bundled))
    assert refs
    for ref in refs:
        assert ref.startswith("#/$defs/"), ref
        assert ref.removeprefix("#/$defs/") in bundled["$defs"], ref
    assert json.loads(json.dumps(bundled)) == bundled
    bundled["$defs"].clear()
    assert spec_file_schema()["$defs"]  # a copy each time


SPEC_DOCUMENTS: list[tuple[dict[str, Any], bool]] = [
    (
        {
            "$schema": "./modelarts-spec.schema.json",
            "name": "promote",
            "resources": {
                "cand": {
                    "type": "modelarts:DatasetVersionRef",
                    "properties": {"dataset_name": "flowers", "selector": "latest"},
                    "options": {"timeoutSeconds": 600},
                },
                "label": {
                    "type": "modelarts:IntelligentTask",
                    "properties": {
                        "dataset_name": "flowers",
                        "task_type": "auto-grouping",
                        "config": {"n_clusters": "2"},
                    },
                    "options": {"dependsOn": ["cand"], "protect": True, "wait": False},
                },
                "export-prod": {
                    "type": "modelarts:ExportTask",
                    "properties": {
                        "dataset_id": "d",
                        "path": "/bucket/out/",
                        "export_params": {"train_sample_ratio": 0.8},
                    },
                    "options": {"dependsOn": ["${label}"], "retainOnDelete": True},
                },
            },
        },
        True,
    ),
    ({"resources": {}}, True),
    ({"name": "no resources"}, False),
    (
        {"resources": {"9bad": {"type": "modelarts:ExportTask", "properties": {"dataset_id": "d", "path": "/b/"}}}},
        False,
    ),
    ({"resources": {"x": {"type": "modelarts:Nope", "properties": {}}}}, False),
    (
        {
            "resources": {
                "x": {
                    "type": "modelarts:ExportTask",
                    "properties": {"dataset_id": "d", "path": "/b/"},
                    "x": 1,
                }
            }
        },
        False,
    ),
    (
        {
            "resources": {
                "x": {
                    "type": "modelarts:ExportTask",
                    "properties": {"dataset_id": "d", "path": "/b/", "wait": True},
                }
            }
        },
        False,
    ),
    (
        {
            "resources": {
                "x": {
                    "type": "modelarts:ExportTask",
                    "properties": {"dataset_id": "d", "path": "/b/"},
                    "options": {"timeout_seconds": 5},
                }
            }
        },
        False,
    ),
    (
        {
            "resources": {
                "x": {
                    "type": "modelarts:IntelligentTask",
                    "properties": {"dataset_id": "d", "task_type": "x"},
                }
            }
        },
        False,
    ),
    ({"resources": {"x": {"type": "modelarts:DatasetVersionRef", "properties": {"dataset_id": "d"}}}}, False),
    ({"resources": {}, "outputs": {}}, False),
]


@pytest.mark.parametrize(("document", "valid"), SPEC_DOCUMENTS)
def test_spec_file_schema_with_registry_and_bundled_agree(document: dict[str, Any], valid: bool) -> None:
    with_registry = jsonschema.Draft202012Validator(load_schema("spec_file"), registry=registry())
    bundled = jsonschema.Draft202012Validator(spec_file_schema())
    assert with_registry.is_valid(document) is valid
    assert bundled.is_valid(document) is valid
    assert sorted(e.message for e in with_registry.iter_errors(document)) == sorted(
        e.message for e in bundled.iter_errors(document)
    )
