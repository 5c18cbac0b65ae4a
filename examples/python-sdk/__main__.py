"""Pin a dataset version that meets the requirements, and export it to a new dataset named after it.

The SDK generated from the provider plugin's schema (sdk/python, module pulumi_modelarts_sdk): the same resources
as the Python classes of pulumi_modelarts, served by the plugin (see README, "The provider plugin").
"""

import pulumi
import pulumi_modelarts_sdk as modelarts

config = pulumi.Config()
dataset_name = config.require("datasetName")

candidate = modelarts.DatasetVersionRef(
    "candidate",
    dataset_name=dataset_name,
    version_name=config.require("versionName"),
    requirements=modelarts.RequirementsArgs(status="ready", min_annotated_samples=20, min_annotated_ratio=0.2),
)
promote = modelarts.ExportTask(
    "promote",
    dataset_id=candidate.dataset_id,
    version_id=candidate.version_id,
    path=f"/demo-bucket/{dataset_name}/output/",
    export_type=0,
    export_params=modelarts.ExportParamsArgs(
        export_dest="NEW_DATASET",
        export_new_dataset_name=candidate.version_name.apply(lambda version: f"{dataset_name}-release-{version}"),
        export_new_dataset_work_path=f"/demo-bucket/{dataset_name}-release/",
    ),
    opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="30m")),
)

pulumi.export("promotedVersion", candidate.version_name)
pulumi.export("promotedVersionId", candidate.version_id)
pulumi.export("exportTaskId", promote.task_id)
pulumi.export("newDatasetId", promote.new_dataset_id)
