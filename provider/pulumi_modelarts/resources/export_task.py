"""``modelarts.ExportTask``: export a dataset, or one of its versions, to OBS or to a new dataset."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource

from pulumi_modelarts.resources._provider import ModelArtsProvider, resource_props

TYPE_TOKEN = "modelarts:ExportTask"


class ExportTaskProvider(ModelArtsProvider):
    """Deleting an export forgets the task: the exported data (OBS files, a new dataset) stays."""

    type_token = TYPE_TOKEN


class ExportTask(Resource, module="modelarts", name="ExportTask"):
    """A dataset export task (seed 002): to an OBS path (``export_dest: DIR``) or to a new dataset.

    Identity is the request itself: re-running finds the export with the same request and adopts it.
    Any change to the request replaces it (a new export); deleting it forgets the task and keeps the data.
    """

    task_id: pulumi.Output[str]
    dataset_id: pulumi.Output[str]
    status: pulumi.Output[str]
    status_name: pulumi.Output[str]
    progress: pulumi.Output[float]
    total_sample_count: pulumi.Output[int]
    finished_sample_count: pulumi.Output[int]
    new_dataset_id: pulumi.Output[str]
    create_time: pulumi.Output[int]
    update_time: pulumi.Output[int]
    error_code: pulumi.Output[str]
    error_msg: pulumi.Output[str]
    fingerprint: pulumi.Output[str]
    adopted: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        *,
        dataset_id: pulumi.Input[str] | None = None,
        dataset_name: pulumi.Input[str] | None = None,
        path: pulumi.Input[str] | None = None,
        export_type: pulumi.Input[int] | None = None,
        export_format: pulumi.Input[int] | None = None,
        export_params: pulumi.Input[dict[str, Any]] | None = None,
        version_id: pulumi.Input[str] | None = None,
        version_format: pulumi.Input[str] | None = None,
        annotation_format: pulumi.Input[str] | None = None,
        sample_state: pulumi.Input[str] | None = None,
        samples: pulumi.Input[list[str]] | None = None,
        search_conditions: pulumi.Input[list[dict[str, Any]]] | None = None,
        source_type_header: pulumi.Input[str] | None = None,
        with_column_header: pulumi.Input[bool] | None = None,
        dataset_type: pulumi.Input[int] | None = None,
        adopt_task_id: pulumi.Input[str] | None = None,
        wait: pulumi.Input[bool] | None = None,
        timeout_seconds: pulumi.Input[int] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """
        :param path: the OBS output path (``/bucket/dir/``); the source path for a NEW_DATASET export.
        :param export_type: 0 labeled, 1 unlabeled, 2 all, 3 conditional search.
        :param export_params: ExportParams: ``export_dest`` (``DIR``/``NEW_DATASET``),
            ``export_new_dataset_name``, ``export_new_dataset_work_path``, ``sample_state``, ...
        :param version_id: export this dataset version instead of the working data.
        :param adopt_task_id: adopt this existing export task instead of starting one.
        :param wait: follow the export to the end (default true); ``timeout_seconds`` bounds it.
        """
        args = {
            "dataset_id": dataset_id,
            "dataset_name": dataset_name,
            "path": path,
            "export_type": export_type,
            "export_format": export_format,
            "export_params": export_params,
            "version_id": version_id,
            "version_format": version_format,
            "annotation_format": annotation_format,
            "sample_state": sample_state,
            "samples": samples,
            "search_conditions": search_conditions,
            "source_type_header": source_type_header,
            "with_column_header": with_column_header,
            "dataset_type": dataset_type,
            "adopt_task_id": adopt_task_id,
            "wait": wait,
            "timeout_seconds": timeout_seconds,
        }
        props = resource_props(resource_name, args, ExportTask.__annotations__)
        super().__init__(ExportTaskProvider(), resource_name, props, opts)
