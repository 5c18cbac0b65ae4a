"""``modelarts.ImportTask``: import samples (and their labels) from an OBS folder or manifest into a dataset."""

from __future__ import annotations

from typing import Any, TypedDict

import pulumi
from pulumi.dynamic import Resource

from pulumi_modelarts.resources._provider import ModelArtsProvider, resource_props

TYPE_TOKEN = "modelarts:ImportTask"


class LabelArgs(TypedDict, total=False):
    """A label of ``included_labels``/``excluded_labels`` (a plain name works too)."""

    name: str
    type: int
    property: dict[str, Any]
    attributes: list[dict[str, Any]]


class LabelFormatArgs(TypedDict, total=False):
    """How labels are written in text files (text datasets only)."""

    label_type: str
    text_label_separator: str
    text_sample_separator: str


class DataSourceArgs(TypedDict, total=False):
    """Where table data comes from."""

    data_type: int
    data_path: str
    with_column_header: bool
    schema_maps: list[dict[str, str]]


class ImportTaskProvider(ModelArtsProvider):
    """Deleting an import forgets the task: the imported samples stay in the dataset."""

    type_token = TYPE_TOKEN


class ImportTask(Resource, module="modelarts", name="ImportTask"):
    """A dataset import task: the files of an OBS folder, or those a manifest lists (with their labels).

    Identity is the request as the API echoes it: re-running finds the import of the same path and adopts
    it, so a batch is imported once. Any change to the request replaces it (a new import; the samples of
    the old one stay); deleting it forgets the task. A failed import is an error quoting the API's message.
    """

    task_id: pulumi.Output[str]
    dataset_id: pulumi.Output[str]
    status: pulumi.Output[str]
    status_name: pulumi.Output[str]
    progress: pulumi.Output[float]
    total_sample_count: pulumi.Output[int]
    imported_sample_count: pulumi.Output[int]
    annotated_sample_count: pulumi.Output[int]
    unconfirmed_sample_count: pulumi.Output[int]
    create_time: pulumi.Output[int]
    elapsed_time: pulumi.Output[int]
    error_code: pulumi.Output[str]
    error_msg: pulumi.Output[str]
    fingerprint: pulumi.Output[str]
    adopted: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        *,
        import_path: pulumi.Input[str],
        dataset_id: pulumi.Input[str] | None = None,
        dataset_name: pulumi.Input[str] | None = None,
        import_type: pulumi.Input[str] | None = None,
        import_annotations: pulumi.Input[bool] | None = None,
        import_samples: pulumi.Input[bool] | None = None,
        import_folder: pulumi.Input[str] | None = None,
        final_annotation: pulumi.Input[bool] | None = None,
        difficult_only: pulumi.Input[bool] | None = None,
        included_labels: pulumi.Input[list[str | LabelArgs]] | None = None,
        excluded_labels: pulumi.Input[list[str | LabelArgs]] | None = None,
        label_format: pulumi.Input[LabelFormatArgs] | None = None,
        data_source: pulumi.Input[DataSourceArgs] | None = None,
        import_origin: pulumi.Input[str] | None = None,
        with_column_header: pulumi.Input[bool] | None = None,
        adopt_task_id: pulumi.Input[str] | None = None,
        wait: pulumi.Input[bool] | None = None,
        timeout_seconds: pulumi.Input[int] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """
        :param import_path: the OBS folder (``/bucket/dir/``) or manifest (``.../x.manifest``) to import;
            ``s3://`` and ``obs://`` spellings name the same path.
        :param import_type: ``dir`` or ``manifest``; omitted, ``manifest`` for a path ending in ``.manifest``.
        :param import_annotations: import the labels too (default true).
        :param final_annotation: labels arrive confirmed (default true); false: to be confirmed.
        :param included_labels: import only samples with one of these labels (names or Label objects).
        :param adopt_task_id: adopt this existing import task (of the declared request) instead of starting one.
        :param wait: follow the import to the end (default true); ``timeout_seconds`` bounds it.
        """
        args = {
            "dataset_id": dataset_id,
            "dataset_name": dataset_name,
            "import_path": import_path,
            "import_type": import_type,
            "import_annotations": import_annotations,
            "import_samples": import_samples,
            "import_folder": import_folder,
            "final_annotation": final_annotation,
            "difficult_only": difficult_only,
            "included_labels": included_labels,
            "excluded_labels": excluded_labels,
            "label_format": label_format,
            "data_source": data_source,
            "import_origin": import_origin,
            "with_column_header": with_column_header,
            "adopt_task_id": adopt_task_id,
            "wait": wait,
            "timeout_seconds": timeout_seconds,
        }
        props = resource_props(resource_name, args, ImportTask.__annotations__)
        super().__init__(ImportTaskProvider(), resource_name, props, opts)
