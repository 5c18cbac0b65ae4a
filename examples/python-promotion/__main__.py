"""The promotion flow of specs/promotion.yaml, written in Python.

Pin a gated candidate version, export it to a new dataset named after it, and auto-label the
source dataset. Run with `pulumi up` in this directory (see README.md).
"""

import pulumi

import pulumi_modelarts as modelarts

config = pulumi.Config()
dataset = config.get("dataset") or "flowers"
version = config.get("version") or "V002"

candidate = modelarts.DatasetVersionRef(
    "candidate",
    dataset_name=dataset,
    version_name=version,
    requirements={"status": "ready", "min_annotated_samples": 40, "min_annotated_ratio": 0.3},
)

promote = modelarts.ExportTask(
    "promote",
    dataset_id=candidate.dataset_id,
    version_id=candidate.version_id,
    path=f"/demo-bucket/{dataset}/output/",
    export_type=0,
    export_params={
        "export_dest": "NEW_DATASET",
        "export_new_dataset_name": candidate.version_name.apply(lambda name: f"{dataset}-release-{name}"),
        "export_new_dataset_work_path": f"/demo-bucket/{dataset}-release/",
    },
    timeout_seconds=1800,
)

pulumi.export("candidate_version_id", candidate.version_id)
pulumi.export("promoted_dataset_id", promote.new_dataset_id)
