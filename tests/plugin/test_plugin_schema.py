"""The package schema the plugin serves: valid for Pulumi, and the same resources as the dynamic classes."""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from plugin_host import PluginHost

import pulumi_modelarts as modelarts
from pulumi_modelarts.api.config import SETTINGS_TABLE
from pulumi_modelarts.plugin.schema import package_schema

# Pulumi's package-schema metaschema ships in the Go module github.com/pulumi/pulumi/pkg/v3.
METASCHEMA = "github.com/pulumi/pulumi/pkg/v3@*/codegen/schema/pulumi.json"
RESOURCES = {
    f"modelarts:index:{name}": name for name in ("IntelligentTask", "ExportTask", "ImportTask", "DatasetVersionRef")
}


def _metaschema() -> Path | None:
    roots = [os.environ.get("GOMODCACHE"), str(Path(os.environ.get("GOPATH") or Path.home() / "go") / "pkg" / "mod")]
    for root in filter(None, roots):
        found = sorted(Path(root).glob(METASCHEMA))
        if found:
            return found[-1]
    return None


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    """The schema as the engine gets it: GetSchema from the plugin process."""
    host = PluginHost()
    try:
        return host.get_schema()
    finally:
        host.close()


def test_served_schema_is_the_generated_one(served: dict[str, Any]) -> None:
    assert served == json.loads(json.dumps(package_schema()))
    assert served["name"] == "modelarts" and served["version"] == modelarts.__version__
    assert set(served["resources"]) == set(RESOURCES)
    assert set(served["functions"]) == {"modelarts:index:getDataset", "modelarts:index:getDatasetVersion"}


def test_schema_is_valid_for_pulumi(served: dict[str, Any]) -> None:
    for ref in _refs(served):  # every reference resolves: to a type of this package or Pulumi's Any
        assert ref == "pulumi.json#/Any" or ref.removeprefix("#/types/") in served["types"], ref
    for token in [*served["resources"], *served["functions"], *served["types"]]:
        assert token.startswith("modelarts:index:")
    metaschema = _metaschema()
    if metaschema is None:
        pytest.skip("Pulumi's metaschema (Go module github.com/pulumi/pulumi/pkg/v3) is not in the module cache")
    # Go writes named groups as (?<name>...); Python's re wants (?P<name>...).
    text = metaschema.read_text(encoding="utf-8").replace("(?<", "(?P<")
    validator = jsonschema.Draft202012Validator(json.loads(text))
    errors = [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(served)]
    assert errors == []


@pytest.mark.parametrize("token", sorted(RESOURCES))
def test_resources_match_the_dynamic_classes(served: dict[str, Any], token: str) -> None:
    resource_class = getattr(modelarts, RESOURCES[token])
    parameters = set(inspect.signature(resource_class.__init__).parameters) - {"self", "resource_name", "opts"}
    outputs = set(inspect.get_annotations(resource_class))
    resource = served["resources"][token]
    assert set(resource["inputProperties"]) == parameters
    assert set(resource["properties"]) == parameters | outputs
    for name, spec in resource["inputProperties"].items():
        assert resource["properties"][name] == spec
        assert spec.get("description"), f"{token}.{name} has no description"


def test_config_is_the_settings_table_with_secrets_marked(served: dict[str, Any]) -> None:
    variables = served["config"]["variables"]
    assert set(variables) == {spec.config_key.split(":", 1)[1] for spec in SETTINGS_TABLE}
    secrets = {name for name, variable in variables.items() if variable.get("secret")}
    assert secrets == {"accessKey", "secretKey", "securityToken", "password", "authToken"}
    assert variables["connectTimeout"]["type"] == "number" and variables["insecure"]["type"] == "boolean"
    assert served["provider"]["inputProperties"] == variables


def test_integers_and_objects_keep_their_types(served: dict[str, Any]) -> None:
    export = served["resources"]["modelarts:index:ExportTask"]
    assert export["inputProperties"]["export_type"]["type"] == "integer"
    assert export["inputProperties"]["export_params"]["$ref"] == "#/types/modelarts:index:ExportParams"
    params = served["types"]["modelarts:index:ExportParams"]["properties"]
    assert params["export_dest"] == {**params["export_dest"], "type": "string", "default": "DIR"}
    task = served["resources"]["modelarts:index:IntelligentTask"]
    assert task["requiredInputs"] == ["task_type"]
    assert task["properties"]["skipped_counts"] == {"type": "object", "additionalProperties": {"type": "integer"}}
