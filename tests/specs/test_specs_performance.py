"""Many resources with references load, check and order correctly (their speed is measured by
tests/benchmarks/bench.py, never asserted in the test suite)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_modelarts.specs import SpecError, load_specs

TEMPLATES = [
    """\
  v{i}:
    type: modelarts:DatasetVersionRef
    properties:
      dataset_name: dataset{d}
      version_name: release-{i}
      release:
        description: nightly {i}
        train_evaluate_sample_ratio: 0.8
""",
    """\
  t{i}:
    type: modelarts:IntelligentTask
    properties:
      dataset_id: ${{v{p}.dataset_id}}
      task_type: auto-grouping
      config:
        n_clusters: "{n}"
        ambiguity: false
        property: size
        result_type: 1
    options:
      timeoutSeconds: 600
""",
    """\
  e{i}:
    type: modelarts:ExportTask
    properties:
      dataset_name: dataset{d}
      version_id: ${{v{p}.version_id}}
      path: /bucket/export/${{v{p}.version_name}}/
      export_type: 3
      export_params:
        sample_state: ""
        export_dest: DIR
        search_conditions:
          - hard: "1"
    options:
      dependsOn: [t{q}]
""",
]


def test_500_resources_load_validate_and_order(tmp_path: Path) -> None:
    for file_number in range(5):
        parts = ["resources:\n"]
        for k in range(100):
            i = file_number * 100 + k
            kind = i % 3
            previous_version = i - kind  # v{i - kind} is declared just before
            parts.append(TEMPLATES[kind].format(i=i, d=i % 7, p=previous_version, q=i - 1, n=i % 9 + 1))
        (tmp_path / f"{file_number:02d}.yaml").write_text("".join(parts), encoding="utf-8")
    spec_set = load_specs([tmp_path])
    assert len(spec_set) == 500
    assert spec_set.order.index("v0") < spec_set.order.index("t1") < spec_set.order.index("e2")
    assert spec_set.resources["e2"].dependencies == {"v0", "t1"}


@pytest.mark.slow
def test_a_document_past_100000_values_loads_whole(tmp_path: Path) -> None:
    # Issue 18: one file of 15,000 resources raised KeyError: ('resources', ...) in the loader: past 100,000
    # values in one document the YAML reader stopped building values and positions, meant as a guard against
    # aliases that expand without end. Only values that aliases add count now. (The benchmark loads 15,000
    # resources in one file; here one resource with 120,000 values and one after it make the same document.)
    samples = ", ".join(f"s{i}" for i in range(120_000))
    (tmp_path / "big.yaml").write_text(
        "resources:\n"
        f"  many:\n    type: modelarts:ExportTask\n    properties:\n      dataset_name: flowers\n"
        f"      path: /bucket/some/\n      export_type: 2\n      samples: [{samples}]\n"
        "  after:\n    type: modelarts:DatasetVersionRef\n    properties: {dataset_name: flowers, selector: latest}\n",
        encoding="utf-8",
    )
    spec_set = load_specs([tmp_path])
    assert len(spec_set.resources["many"].properties["samples"]) == 120_000
    after = spec_set.resources["after"]
    assert after.location.line == 9
    assert after.property_locations["selector"].line == 11


ALIAS_BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}' if previous else 'x'] * 10)}]\n"
    for previous, name in zip(["", "a", "b", "c", "d", "e"], ["a", "b", "c", "d", "e", "f"], strict=True)
)


def test_aliases_that_expand_too_far_are_one_problem_and_the_resources_after_them_are_still_read(
    tmp_path: Path,
) -> None:
    (tmp_path / "bomb.yaml").write_text(
        ALIAS_BOMB
        + "resources:\n"
        + "  v:\n    type: modelarts:DatasetVersionRef\n    properties: {dataset_name: flowers, selector: bad}\n",
        encoding="utf-8",
    )
    with pytest.raises(SpecError) as caught:
        load_specs([tmp_path])
    texts = [problem.text for problem in caught.value.problems]
    assert texts.count("document is too large (aliases expand to too many values)") == 1
    assert any(text.startswith("resource 'v', property selector: must be one of") for text in texts), texts
