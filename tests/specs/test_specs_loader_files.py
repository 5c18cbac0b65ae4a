"""Which files of a directory are spec files."""

from __future__ import annotations

from pathlib import Path

from pulumi_modelarts.specs import load_specs

SPEC = """resources:
  ref:
    type: modelarts:DatasetVersionRef
    properties: {dataset_name: flowers, selector: latest}
"""


def test_pulumi_project_and_stack_files_beside_specs_are_not_specs(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  modelarts:region: eu-de\n")
    (tmp_path / "promote.yaml").write_text(SPEC)
    spec_set = load_specs([tmp_path])
    assert list(spec_set.resources) == ["ref"]
    assert [file.name for file in spec_set.files] == ["promote.yaml"]
