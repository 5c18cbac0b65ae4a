"""``modelarts.IntelligentTask``: start an auto-label, pre-label or auto-grouping task and follow it."""

from __future__ import annotations

from typing import Any, TypedDict

import pulumi
from pulumi.dynamic import Resource

from pulumi_modelarts.resources._provider import ModelArtsProvider, resource_props

TYPE_TOKEN = "modelarts:IntelligentTask"


class AcceptArgs(TypedDict, total=False):
    """Confirm the task's auto-labels once it has succeeded."""

    min_score: float
    skip_hard: bool
    labels: list[str]


class IntelligentTaskProvider(ModelArtsProvider):
    type_token = TYPE_TOKEN


class IntelligentTask(Resource, module="modelarts", name="IntelligentTask"):
    """An intelligent task on a dataset (NOTES §1): auto-label, pre-label or auto-grouping.

    Creating it starts the task, unless this resource's own task already exists (it is adopted, so a
    retried or crashed run never starts a second copy), then follows it to the end (``wait``). A
    change to anything sent to the API replaces it with a new task; deleting a running task stops it.
    """

    task_id: pulumi.Output[str]
    task_name: pulumi.Output[str]
    dataset_id: pulumi.Output[str]
    status: pulumi.Output[int]
    status_name: pulumi.Output[str]
    progress: pulumi.Output[float]
    message: pulumi.Output[str]
    code: pulumi.Output[str]
    error_code: pulumi.Output[str]
    error_msg: pulumi.Output[str]
    total_sample_count: pulumi.Output[int]
    annotated_sample_count: pulumi.Output[int]
    unconfirmed_sample_count: pulumi.Output[int]
    version_id: pulumi.Output[str]
    train_job_id: pulumi.Output[str]
    create_time: pulumi.Output[str]
    elapsed_time: pulumi.Output[int]
    fingerprint: pulumi.Output[str]
    accepted_count: pulumi.Output[int]
    skipped_counts: pulumi.Output[dict[str, int]]
    adopted: pulumi.Output[bool]

    def __init__(
        self,
        resource_name: str,
        *,
        task_type: pulumi.Input[str],
        dataset_id: pulumi.Input[str] | None = None,
        dataset_name: pulumi.Input[str] | None = None,
        collect_key_sample: pulumi.Input[bool] | None = None,
        model_id: pulumi.Input[str] | None = None,
        config: pulumi.Input[dict[str, Any]] | None = None,
        accept: pulumi.Input[AcceptArgs] | None = None,
        triggers: pulumi.Input[list[Any]] | None = None,
        adopt_task_id: pulumi.Input[str] | None = None,
        wait: pulumi.Input[bool] | None = None,
        timeout_seconds: pulumi.Input[int] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """
        :param task_type: ``auto-label`` (active learning), ``pre-label`` or ``auto-grouping``.
        :param dataset_id: the dataset's id; or give ``dataset_name`` instead.
        :param config: the SmartTaskConfig body, with the API's field names (``algorithm_type``, ...).
        :param accept: confirm auto-labels after success: ``min_score``, ``skip_hard``, ``labels``.
        :param triggers: any values; a change starts a new task (a replace), e.g. ``[intake.task_id]`` re-runs
            auto-labeling after each new import.
        :param adopt_task_id: adopt this existing task instead of starting one (stand-in for import).
        :param wait: follow the task to a terminal state (default true).
        :param timeout_seconds: how long to wait (default 3600); the task keeps running after that.
        """
        args = {
            "task_type": task_type,
            "dataset_id": dataset_id,
            "dataset_name": dataset_name,
            "collect_key_sample": collect_key_sample,
            "model_id": model_id,
            "config": config,
            "accept": accept,
            "triggers": triggers,
            "adopt_task_id": adopt_task_id,
            "wait": wait,
            "timeout_seconds": timeout_seconds,
        }
        props = resource_props(resource_name, args, IntelligentTask.__annotations__)
        super().__init__(IntelligentTaskProvider(), resource_name, props, opts)
