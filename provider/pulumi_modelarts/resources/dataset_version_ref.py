"""``modelarts.DatasetVersionRef``: resolve and pin a dataset version, optionally releasing it, with checks."""

from __future__ import annotations

from typing import TypedDict

import pulumi
from pulumi.dynamic import Resource

from pulumi_modelarts.resources._provider import ModelArtsProvider, resource_props

TYPE_TOKEN = "modelarts:DatasetVersionRef"


class Requirements(TypedDict, total=False):
    """Conditions the pinned version must meet, or the update fails saying what was found."""

    status: str
    min_total_samples: int
    min_annotated_samples: int
    min_annotated_ratio: float


class ReleaseArgs(TypedDict, total=False):
    """Body fields of the version release (POST versions) used when the named version is missing."""

    description: str
    train_evaluate_sample_ratio: str
    clear_hard_property: bool
    remove_sample_usage: bool
    export_images: bool
    version_format: str
    with_column_header: bool


class DatasetVersionRefProvider(ModelArtsProvider):
    """A reference owns nothing: deleting it leaves the version in place."""

    type_token = TYPE_TOKEN


class DatasetVersionRef(Resource, module="modelarts", name="DatasetVersionRef"):
    """A pinned dataset version, resolved by ``version_id``, ``version_name`` or ``selector``.

    With ``selector: latest`` (or ``current``) each ``pulumi up`` resolves again and, when the answer
    changed, replaces the reference, so everything that uses its outputs follows. With ``release``
    and a ``version_name`` that does not exist yet, the version is released (once; the name is its
    identity). ``requirements`` gate promotion: an unmet requirement fails the update and says what
    was found.
    """

    version_id: pulumi.Output[str]
    version_name: pulumi.Output[str]
    dataset_id: pulumi.Output[str]
    status: pulumi.Output[int]
    status_name: pulumi.Output[str]
    manifest_path: pulumi.Output[str]
    data_path: pulumi.Output[str]
    total_sample_count: pulumi.Output[int]
    annotated_sample_count: pulumi.Output[int]
    annotated_ratio: pulumi.Output[float]
    is_current: pulumi.Output[bool]
    create_time: pulumi.Output[int]
    released: pulumi.Output[bool]
    fingerprint: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        dataset_id: pulumi.Input[str] | None = None,
        dataset_name: pulumi.Input[str] | None = None,
        version_id: pulumi.Input[str] | None = None,
        version_name: pulumi.Input[str] | None = None,
        selector: pulumi.Input[str] | None = None,
        requirements: pulumi.Input[Requirements] | None = None,
        release: pulumi.Input[ReleaseArgs] | None = None,
        wait: pulumi.Input[bool] | None = None,
        timeout_seconds: pulumi.Input[int] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """
        :param version_id: pin this version id; or ``version_name``; or ``selector`` (``current``/``latest``).
        :param requirements: ``status`` (``ready``), ``min_total_samples``, ``min_annotated_samples``,
            ``min_annotated_ratio``.
        :param release: release ``version_name`` with these body fields when it does not exist.
        """
        args = {
            "dataset_id": dataset_id,
            "dataset_name": dataset_name,
            "version_id": version_id,
            "version_name": version_name,
            "selector": selector,
            "requirements": requirements,
            "release": release,
            "wait": wait,
            "timeout_seconds": timeout_seconds,
        }
        props = resource_props(resource_name, args, DatasetVersionRef.__annotations__)
        super().__init__(DatasetVersionRefProvider(), resource_name, props, opts)
