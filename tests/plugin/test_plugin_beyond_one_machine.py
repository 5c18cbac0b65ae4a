"""The configuration files of README "Beyond one machine" (examples/deployments-etc) and the examples' project files,
checked offline: against Pulumi's own schemas and types where the Go module cache has them, against the plugin's
package schema and the provider's settings table otherwise. tests/e2e/test_e2e_sdks.py runs the Operator's Program
as a Pulumi YAML program under the real engine."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from pulumi_modelarts import __version__
from pulumi_modelarts.api.config import SETTINGS_TABLE
from pulumi_modelarts.plugin.schema import package_schema
from support.go_modules import module_file

REPO = Path(__file__).resolve().parents[2]
FILES = REPO / "examples" / "deployments-etc"
SETTING_KEYS = {spec.config_key for spec in SETTINGS_TABLE}
SETTING_ENV = {name for spec in SETTINGS_TABLE for name in spec.env}
PROJECT_SCHEMA = "github.com/pulumi/pulumi/sdk/v3@*/go/common/workspace/project.json"
PROJECTS = sorted(["Pulumi.yaml", *(str(path.relative_to(REPO)) for path in REPO.glob("examples/*/Pulumi.yaml"))])


def operator_documents() -> dict[str, dict[str, Any]]:
    return {doc["kind"]: doc for doc in yaml.safe_load_all((FILES / "kubernetes-operator.yml").read_text())}


@pytest.mark.parametrize("path", PROJECTS)
def test_project_files_are_valid_pulumi_projects(path: str) -> None:
    schema_file = module_file(PROJECT_SCHEMA)
    if schema_file is None:
        pytest.skip("Pulumi's project schema (Go module github.com/pulumi/pulumi/sdk/v3) is not in the module cache")
    validator = jsonschema.Draft202012Validator(json.loads(schema_file.read_text()))
    assert [error.message for error in validator.iter_errors(yaml.safe_load((REPO / path).read_text()))] == []
    assert list(validator.iter_errors({"name": "x", "runtime": {"name": "yaml", "optionz": {}}})), "it can fail"


def _property_errors(spec: dict[str, Any], values: dict[str, Any], types: dict[str, Any], where: str) -> list[str]:
    """Property names not in the package schema (nested object types included); values are not checked."""
    errors = []
    for key, value in values.items():
        if key not in spec:
            errors.append(f"{where}.{key}")
        elif isinstance(value, dict) and "$ref" in spec[key]:
            nested = types[spec[key]["$ref"].removeprefix("#/types/")]["properties"]
            errors += _property_errors(nested, value, types, f"{where}.{key}")
    return errors


def test_operator_program_uses_the_plugin_s_types_and_names() -> None:
    program = operator_documents()["Program"]
    assert program["apiVersion"] == "pulumi.com/v1"
    body = program["program"]
    assert set(body) <= {"configuration", "resources", "variables", "outputs", "packages"}
    types = {item["type"] for item in body["configuration"].values()}
    assert types <= {"String", "Number", "List<Number>", "List<String>"}
    served = package_schema()
    errors: list[str] = []
    for name, resource in body["resources"].items():
        assert resource["type"] in served["resources"], resource["type"]
        inputs = served["resources"][resource["type"]]["inputProperties"]
        errors += _property_errors(inputs, resource["properties"], served["types"], name)
        assert set(resource.get("options", {})) <= {"customTimeouts", "dependsOn", "protect", "ignoreChanges"}
    assert errors == []
    # Outputs read outputs the resources have.
    for reference in re.findall(r"\$\{(\w+)\.(\w+)\}", yaml.safe_dump(body["outputs"])):
        token = body["resources"][reference[0]]["type"]
        assert reference[1] in served["resources"][token]["properties"], reference


def test_operator_stack_runs_the_program_with_credentials_from_secrets() -> None:
    documents = operator_documents()
    spec = documents["Stack"]["spec"]
    assert documents["Stack"]["apiVersion"] == "pulumi.com/v1"
    assert spec["programRef"]["name"] == documents["Program"]["metadata"]["name"]
    assert re.fullmatch(r"[\w.-]+/[\w.-]+/[\w.-]+", spec["stack"])
    for name, ref in spec["envRefs"].items():
        assert ref["type"] in {"Env", "FS", "Secret", "Literal"} and ref["type"].lower() in ref
        assert name == "PULUMI_ACCESS_TOKEN" or name in SETTING_ENV, name
    provider_keys = {key for key in spec["config"] if key.startswith("modelarts:")}
    assert provider_keys <= SETTING_KEYS
    assert set(spec["config"]) - provider_keys <= set(documents["Program"]["program"]["configuration"])
    assert "image" in spec["workspaceTemplate"]["spec"]


def test_workspace_image_installs_this_version_of_the_plugin_on_path() -> None:
    lines = [line.strip() for line in (FILES / "Dockerfile").read_text().splitlines() if not line.startswith("#")]
    text = " ".join(lines)
    assert lines[0].startswith("FROM pulumi/pulumi-python:")
    assert f"pipx install /tmp/pulumi_modelarts-{__version__}-py3-none-any.whl" in text
    assert re.search(r'ENV PATH="[^"]*\.local/bin:\$\{PATH\}"', text)


def test_esc_environment_sets_only_provider_settings_and_keeps_keys_secret() -> None:
    environment = yaml.safe_load((FILES / "esc-environment.yaml").read_text())
    assert set(environment) <= {"imports", "values"}
    values = environment["values"]
    assert set(values["pulumiConfig"]) <= SETTING_KEYS
    assert set(values["environmentVariables"]) <= SETTING_ENV
    for name in ("accessKey", "secretKey"):
        assert set(values["modelarts"][name]) == {"fn::secret"}, "credentials are ESC secrets"
    references = re.findall(r"\$\{modelarts\.(\w+)\}", yaml.safe_dump(values))
    assert references and set(references) <= set(values["modelarts"])


GO_CHECK = """package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// Decode as `pulumi deployment settings edit` validates a settings payload: unknown fields are errors.
func decode(path string, into any) {
	data, err := os.ReadFile(path)
	if err == nil {
		decoder := json.NewDecoder(bytes.NewReader(data))
		decoder.DisallowUnknownFields()
		err = decoder.Decode(into)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\\n", path, err)
		os.Exit(1)
	}
}

func main() {
	var settings apitype.DeploymentSettings
	var drift apitype.CreateScheduledDriftDeploymentRequest
	decode(os.Args[1], &settings)
	decode(os.Args[2], &drift)
	out, _ := json.Marshal(map[string]any{"settings": settings, "drift": drift})
	fmt.Println(string(out))
}
"""


def _go_check(work: Path) -> Path:
    """GO_CHECK built against the SDK module, once per source, go.sum and Go version (cached under ~/.cache, like the
    engine): building it costs seconds, mostly linking."""
    go_mod = "module check\n\ngo 1.25\n\nrequire github.com/pulumi/pulumi/sdk/v3 v3.274.1\n"
    go_sum = (REPO / "examples" / "go" / "go.sum").read_text()
    version = subprocess.run(["go", "version"], capture_output=True, text=True, check=True).stdout
    key = hashlib.sha256("\0".join((GO_CHECK, go_mod, go_sum, version)).encode()).hexdigest()[:16]
    binary = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pulumi-modelarts" / "go-check" / key
    if binary.is_file():
        return binary
    (work / "main.go").write_text(GO_CHECK)
    (work / "go.mod").write_text(go_mod)
    (work / "go.sum").write_text(go_sum)
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    built = subprocess.run(
        ["go", "build", "-o", str(work / "check"), "."], cwd=work, env=env, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    binary.parent.mkdir(parents=True, exist_ok=True)
    os.replace(shutil.copy(work / "check", binary.with_suffix(f".{os.getpid()}")), binary)  # whole, or not at all
    return binary


def test_deployment_settings_and_drift_schedule_decode_as_pulumi_s_own_types(tmp_path: Path) -> None:
    sdk = module_file("github.com/pulumi/pulumi/sdk/v3@v3.274.1/go.mod")
    if shutil.which("go") is None or sdk is None:
        pytest.skip("needs go and the Go module github.com/pulumi/pulumi/sdk/v3 (scripts/pulumi-engine.sh fetches it)")
    check = str(_go_check(tmp_path))
    files = [str(FILES / "deployment-settings.json"), str(FILES / "drift-schedule.json")]
    done = subprocess.run([check, *files], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    decoded = json.loads(done.stdout)
    operation = decoded["settings"]["operationContext"]
    assert any("pipx install" in command for command in operation["preRunCommands"])
    assert set(operation["environmentVariables"]) <= SETTING_ENV
    assert decoded["settings"]["sourceContext"]["git"]["repoDir"] == "examples/pulumi-yaml"
    assert decoded["drift"] == {"scheduleCron": "0 */6 * * *", "autoRemediate": False}

    (tmp_path / "typo.json").write_text(json.dumps({"operationContext": {"preRunCommand": []}}))
    typo = subprocess.run([check, str(tmp_path / "typo.json"), files[1]], capture_output=True, text=True)
    assert typo.returncode == 1 and 'unknown field "preRunCommand"' in typo.stderr
