"""The editor JSON Schema (`pulumi-modelarts schema`): self-contained, offline, accepting every spec `validate` does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from pulumi_modelarts import schema
from support import cli

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILES = sorted(
    path
    for folder in ("specs", "examples")
    for path in (ROOT / folder).rglob("*.yaml")
    if path.name != "Pulumi.yaml" and "resources:" in path.read_text()
)


def _cli_schema(*args: str) -> dict[str, Any]:
    result = cli.run("schema", *args)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _offline_validator(document: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A standard draft 2020-12 validator that cannot fetch anything: every $ref must resolve inside."""
    from referencing import Registry

    def refuse(uri: str) -> Any:
        raise AssertionError(f"the schema needs {uri}, which is not inside it")

    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document, registry=Registry(retrieve=refuse))  # type: ignore[call-arg]


def _documents() -> list[tuple[str, Any]]:
    return [
        (f"{path.relative_to(ROOT)}#{index}", doc)
        for path in SPEC_FILES
        for index, doc in enumerate(yaml.safe_load_all(path.read_text()))
    ]


def test_the_project_has_specs_to_check() -> None:
    names = {path.name for path in SPEC_FILES}
    assert {"promotion.yaml", "autolabel.yaml", "pipeline.yaml", "follow-latest.yaml"} <= names


@pytest.mark.parametrize(("where", "document"), _documents())
def test_editor_schema_accepts_every_shipped_spec_offline(where: str, document: Any) -> None:
    validator = _offline_validator(_cli_schema())
    errors = [f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(document)]
    assert errors == [], where


def test_editor_schema_accepts_references_and_interpolations_but_not_anything() -> None:
    validator = _offline_validator(schema.spec_file_schema())
    spec: dict[str, Any] = {
        "resources": {
            "promote": {
                "type": "modelarts:ExportTask",
                "properties": {
                    "dataset_id": "${candidate.dataset_id}",
                    "path": "/bucket/out/",
                    "export_type": "${candidate.export_type}",
                    "export_params": {
                        "export_dest": "NEW_DATASET",
                        "export_new_dataset_name": "flowers-release-${candidate.version_name}",
                        "export_new_dataset_work_path": "/bucket/${candidate.version_name}/",
                    },
                },
            }
        }
    }
    assert validator.is_valid(spec)
    spec["resources"]["promote"]["properties"]["export_params"]["export_new_dataset_name"] = "has spaces"
    errors = list(validator.iter_errors(spec))
    assert len(errors) == 1 and "does not match" in errors[0].message  # the field's own message


@pytest.mark.slow
def test_every_ref_is_local_and_every_document_resolves_offline() -> None:
    documents = [_cli_schema()] + [_cli_schema("--type", token) for token in schema.TYPE_TOKENS]
    for document in documents:
        for ref in set(_refs(document)):
            assert ref.startswith("#/$defs/") and ref.removeprefix("#/$defs/") in document["$defs"], ref
        _offline_validator(document).is_valid({"resources": {}})


@pytest.mark.parametrize("token", list(schema.TYPE_TOKENS))
def test_type_schema_validates_real_inputs(token: str) -> None:
    validator = _offline_validator(_cli_schema("--type", token))
    good = {
        "modelarts:IntelligentTask": {"dataset_name": "flowers", "task_type": "auto-label"},
        "modelarts:ExportTask": {"dataset_id": "d", "path": "/b/"},
        "modelarts:ImportTask": {"dataset_name": "pets-detection", "import_path": "s3://b/raw/"},
        "modelarts:DatasetVersionRef": {"dataset_name": "flowers", "selector": "latest"},
    }[token]
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "no_such_field": 1})


def test_shipped_schema_file_is_what_the_command_prints() -> None:
    shipped = json.loads((ROOT / "modelarts.schema.json").read_text())
    assert shipped == _cli_schema(), "regenerate: pulumi-modelarts schema > modelarts.schema.json"
    for path in SPEC_FILES:
        first = path.read_text().splitlines()[0]
        target = (path.parent / first.split("$schema=", 1)[1]).resolve()
        assert target == ROOT / "modelarts.schema.json", path
