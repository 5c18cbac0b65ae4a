"""Many resources with references load, check and order correctly (their speed is measured by
tests/benchmarks/bench.py, never asserted in the test suite)."""

from __future__ import annotations

from pathlib import Path

from pulumi_modelarts.specs import load_specs

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
