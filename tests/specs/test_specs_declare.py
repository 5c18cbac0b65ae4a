"""declare(): Pulumi resources in dependency order, with references as Outputs (Pulumi mocks)."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pulumi
import pytest

from pulumi_modelarts.specs import declare, load_specs

VALID = Path(__file__).parent / "valid"


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        outputs.update(
            dataset_id=f"{args.name}-ds",
            version_id=f"{args.name}-vid",
            version_name=f"{args.name.upper()}-V1",
        )
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


Call = tuple[str, str, dict[str, Any], pulumi.ResourceOptions]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[Call]:
    """Stand-in resource classes (the real ones live in pulumi_modelarts.resources)."""
    recorded: list[Call] = []

    def make(token: str) -> type:
        class Fake(pulumi.CustomResource):
            def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> None:
                assert opts is not None
                recorded.append((token, name, kwargs, opts))
                outputs = {"dataset_id": None, "version_id": None, "version_name": None}
                super().__init__(token, name, {**kwargs, **outputs}, opts)

        return Fake

    module = types.ModuleType("pulumi_modelarts.resources")
    module.IntelligentTask = make("modelarts:index:IntelligentTask")  # type: ignore[attr-defined]
    module.ExportTask = make("modelarts:index:ExportTask")  # type: ignore[attr-defined]
    module.DatasetVersionRef = make("modelarts:index:DatasetVersionRef")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pulumi_modelarts.resources", module)
    pulumi.runtime.set_mocks(Mocks(), preview=False)
    return recorded


def test_declare_creates_resources_in_order_with_outputs(calls: list[Call]) -> None:
    seen: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> pulumi.Output[Any]:
        resources = declare(load_specs([VALID]))
        seen["resources"] = resources
        by_name = {name: kwargs for _, name, kwargs, _ in calls}
        export = by_name["export-prod"]
        promoted = by_name["promoted"]
        return pulumi.Output.all(
            export["version_id"],
            export["path"],
            export["export_params"]["search_conditions"][0]["sample_dir"],
            promoted["dataset_id"],
            promoted["version_name"],
        ).apply(lambda values: seen.setdefault("values", values))

    program()
    assert [name for _, name, _, _ in calls] == ["cand", "promoted", "label", "grouping", "export-prod"]
    assert list(seen["resources"]) == ["cand", "promoted", "label", "grouping", "export-prod"]
    assert seen["values"] == [
        "promoted-vid",
        "/bucket/export/PROMOTED-V1/",
        "/bucket/in/CAND-V1/",
        "cand-ds",
        "prod-CAND-V1",
    ]

    by_name = {name: (kwargs, opts) for _, name, kwargs, opts in calls}
    # options: wait/timeout only when set; dependsOn, protect, retainOnDelete as ResourceOptions
    cand_kwargs, _ = by_name["cand"]
    assert cand_kwargs["wait"] is True and cand_kwargs["timeout_seconds"] == 600
    label_kwargs, label_opts = by_name["label"]
    assert "wait" not in label_kwargs and "timeout_seconds" not in label_kwargs
    assert label_opts.protect is True
    assert label_opts.depends_on == [seen["resources"]["cand"]]
    export_kwargs, export_opts = by_name["export-prod"]
    assert export_opts.retain_on_delete is True
    assert export_opts.depends_on == [seen["resources"]["label"]]
    # plain values pass through; escapes are undone
    assert export_kwargs["export_params"]["search_conditions"][0]["sample_name"] == "literal ${not_a_ref}"
    assert by_name["grouping"][0]["config"] == {
        "n_clusters": "2",
        "ambiguity": False,
        "image_brightness": False,
        "image_colorfulness": False,
        "property": "size",
        "result_type": 1,
    }


def test_declare_loads_paths_and_applies_parent(calls: list[Call]) -> None:
    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> None:
        parent = pulumi.ComponentResource("test:index:Group", "group")
        declare(paths=[VALID / "10_versions.yaml"], opts=pulumi.ResourceOptions(parent=parent))
        assert [name for _, name, _, _ in calls] == ["cand", "promoted", "label"]
        for _, _, _, opts in calls:
            assert opts.parent is parent

    program()
