"""The Python example programs run as Pulumi programs (under mocks) and declare what their README says."""

from __future__ import annotations

import runpy
from pathlib import Path

import pulumi

from support.engine import capture_resources

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_python_promotion_example_declares_a_gated_ref_and_an_export() -> None:
    def program() -> list[pulumi.Resource]:
        namespace = runpy.run_path(str(EXAMPLES / "python-promotion" / "__main__.py"))
        return [namespace["candidate"], namespace["promote"]]

    captured = {resource.name: resource for resource in capture_resources(program)}
    assert captured["candidate"].inputs["version_name"] == "V002"
    assert captured["candidate"].inputs["requirements"]["min_annotated_ratio"] == 0.3
    params = captured["promote"].inputs["export_params"]
    assert params["export_dest"] == "NEW_DATASET"
    assert params["export_new_dataset_work_path"] == "/demo-bucket/flowers-release/"
