"""Program-level behaviour of the public classes under pulumi.runtime.set_mocks."""

from __future__ import annotations

from pathlib import Path

import pulumi

import pulumi_modelarts as modelarts
from pulumi_modelarts import specs
from support.engine import capture_resources

ROOT = Path(__file__).resolve().parents[2]


def test_resources_register_typed_tokens_and_only_given_inputs() -> None:
    def program() -> list[pulumi.Resource]:
        ref = modelarts.DatasetVersionRef("cand", dataset_name="flowers", selector="latest")
        export = modelarts.ExportTask(
            "exp",
            dataset_id=ref.dataset_id,
            version_id=ref.version_id,
            path="/b/o/",
            export_type=0,
            wait=False,
        )
        task = modelarts.IntelligentTask("auto", dataset_name="flowers", task_type="auto-label")
        return [ref, export, task]

    captured = {resource.name: resource for resource in capture_resources(program)}
    assert captured["cand"].type_token == "pulumi-python:dynamic/modelarts:DatasetVersionRef"
    assert captured["exp"].type_token == "pulumi-python:dynamic/modelarts:ExportTask"
    assert captured["auto"].type_token == "pulumi-python:dynamic/modelarts:IntelligentTask"
    exp = captured["exp"].inputs
    assert exp["resource_name"] == "exp" and exp["wait"] is False
    assert "task_id" not in exp and "status" not in exp  # output placeholders are not sent as inputs
    # Under mocks the ref's outputs echo its inputs; dataset_id was not given, so it is absent.
    assert exp.get("version_id") is None
    assert captured["cand"].inputs["selector"] == "latest"


def test_root_specs_declare_every_resource_in_dependency_order() -> None:
    spec_set = specs.load_specs([ROOT / "specs"])

    def program() -> list[pulumi.Resource]:
        return list(specs.declare(spec_set).values())

    captured = capture_resources(program)
    names = [resource.name for resource in captured]
    assert set(names) == set(spec_set.resources)
    by_name = {resource.name: resource for resource in captured}
    assert by_name["pets-autolabel"].inputs["accept"] == {"min_score": 0.5, "skip_hard": True}
    assert by_name["candidate"].inputs["version_name"] == "V002"
    assert by_name["promote"].inputs["export_params"]["export_dest"] == "NEW_DATASET"
