"""The package schema the plugin serves: valid for Pulumi, and the same resources as the dynamic classes."""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

import jsonschema
import pytest

import pulumi_modelarts as modelarts
from pulumi_modelarts.api.config import OTHER_CONFIG_KEYS, SETTINGS_TABLE
from pulumi_modelarts.plugin.names import camel
from pulumi_modelarts.plugin.schema import package_schema
from support.go_modules import module_file
from support.plugin_host import PluginHost

# Pulumi's package-schema metaschema ships in the Go module github.com/pulumi/pulumi/pkg/v3.
METASCHEMA = "github.com/pulumi/pulumi/pkg/v3@*/codegen/schema/pulumi.json"
RESOURCES = {
    f"modelarts:index:{name}": name for name in ("IntelligentTask", "ExportTask", "ImportTask", "DatasetVersionRef")
}


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
    metaschema = module_file(METASCHEMA)
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
    assert set(resource["inputProperties"]) == {camel(name) for name in parameters}
    assert set(resource["properties"]) == {camel(name) for name in parameters | outputs}
    for name, spec in resource["inputProperties"].items():
        assert resource["properties"][name] == spec
        assert spec.get("description"), f"{token}.{name} has no description"


def test_config_is_the_settings_table_with_secrets_marked(served: dict[str, Any]) -> None:
    variables = served["config"]["variables"]
    assert set(variables) == {spec.config_key.split(":", 1)[1] for spec in SETTINGS_TABLE} | set(OTHER_CONFIG_KEYS)
    secrets = {name for name, variable in variables.items() if variable.get("secret")}
    assert secrets == {"accessKey", "secretKey", "securityToken", "password", "authToken"}
    assert variables["connectTimeout"]["type"] == "number" and variables["insecure"]["type"] == "boolean"
    assert served["provider"]["inputProperties"] == variables


def test_integers_and_objects_keep_their_types(served: dict[str, Any]) -> None:
    export = served["resources"]["modelarts:index:ExportTask"]
    assert export["inputProperties"]["exportType"]["type"] == "integer"
    assert export["inputProperties"]["exportParams"]["$ref"] == "#/types/modelarts:index:ExportParams"
    params = served["types"]["modelarts:index:ExportParams"]["properties"]
    assert params["exportDest"] == {**params["exportDest"], "type": "string", "default": "DIR"}
    task = served["resources"]["modelarts:index:IntelligentTask"]
    assert task["requiredInputs"] == ["taskType"]
    assert task["required"] == ["taskId", "datasetId"]
    assert task["properties"]["skippedCounts"] == {"type": "object", "additionalProperties": {"type": "integer"}}


def _property_names(node: Any) -> list[str]:
    """Every property name declared anywhere in the schema (resources, types, functions)."""
    if isinstance(node, dict):
        own = [key for key in node.get("properties", {}) if isinstance(node.get("properties"), dict)]
        own += list(node["inputProperties"]) if isinstance(node.get("inputProperties"), dict) else []
        return own + [name for key, value in node.items() if key != "config" for name in _property_names(value)]
    if isinstance(node, list):
        return [name for value in node for name in _property_names(value)]
    return []


def test_every_property_name_is_camel_case_and_api_named_bags_are_maps(served: dict[str, Any]) -> None:
    names = _property_names({key: served[key] for key in ("resources", "types", "functions")})
    assert len(names) > 200
    assert [name for name in names if not re.fullmatch(r"[a-z][a-zA-Z0-9]*", name)] == []
    # A label's `@modelarts:` attributes are no property names in any language: the bag is a free-form map.
    label = served["types"]["modelarts:index:SampleLabel"]["properties"]["property"]
    assert label["type"] == "object" and label["additionalProperties"] == {"$ref": "pulumi.json#/Any"}
    assert "modelarts:index:SampleLabelProperty" not in served["types"]
    # Descriptions name properties as the SDKs do.
    path = served["resources"]["modelarts:index:ExportTask"]["inputProperties"]["path"]["description"]
    assert "exportParams.exportDest" in path and "export_dest" not in path


def test_sdk_names_collide_with_nothing_and_carry_the_version(served: dict[str, Any]) -> None:
    language = served["language"]
    # This project's own distribution is pulumi-modelarts (module pulumi_modelarts): the SDK is installed beside it.
    assert language["python"]["packageName"] == "pulumi_modelarts_sdk"
    assert language["nodejs"]["packageName"] == "@pulumi-modelarts/modelarts"
    assert language["go"]["importBasePath"] == "github.com/pulumi-modelarts/pulumi-modelarts/sdk/go/modelarts"
    assert language["csharp"]["rootNamespace"] == "PulumiModelArts"
    assert all(language[name]["respectSchemaVersion"] for name in ("python", "nodejs", "go", "csharp"))
    assert served["version"] == modelarts.__version__ and served["meta"]["supportPack"] is True
    assert {"publisher", "repository", "license", "keywords"} <= set(served)
