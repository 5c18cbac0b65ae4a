"""``modelarts.IntelligentTask``: start an auto-label, pre-label or auto-grouping task and follow it."""

from __future__ import annotations

from typing import Any, TypedDict

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from pulumi_modelarts.reconcile import intelligent
from pulumi_modelarts.reconcile.accept import AcceptRule, accept_auto_labels
from pulumi_modelarts.resources._provider import (
    RESOURCE_NAME,
    ModelArtsProvider,
    changed_keys,
    echo_outputs,
    recorded_inputs,
)

TYPE_TOKEN = "modelarts:IntelligentTask"
REPLACE_KEYS = ("dataset_id", "dataset_name", *intelligent.API_FIELDS, "adopt_task_id")
UPDATE_KEYS = ("wait", "timeout_seconds", "accept")
STOP_TIMEOUT_SECONDS = 600.0


class AcceptArgs(TypedDict, total=False):
    """Confirm the task's auto-labels once it has succeeded."""

    min_score: float
    skip_hard: bool
    labels: list[str]


class IntelligentTaskProvider(ModelArtsProvider):
    type_token = TYPE_TOKEN

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        _, new_inputs, _ = self.normalize(news)
        old_inputs = recorded_inputs(olds)
        replaces = changed_keys(old_inputs, new_inputs, REPLACE_KEYS)
        updates = changed_keys(old_inputs, new_inputs, UPDATE_KEYS)
        return DiffResult(changes=bool(replaces or updates), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        name, inputs = self.inputs_of(props)
        spec = intelligent.IntelligentTaskSpec(name, inputs)
        live = self.guarded(name, lambda: intelligent.ensure(self.context(), spec))
        return CreateResult(str(live["task_id"]), echo_outputs(name, inputs, live))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only wait/timeout/accept change in place; a changed accept rule is applied now."""
        name, inputs = self.inputs_of(news)
        live = {key: value for key, value in olds.items() if key not in recorded_inputs(olds)}
        accept = inputs.get("accept")
        if accept and accept != recorded_inputs(olds).get("accept") and olds.get("status") == 3:
            ctx = self.context()
            result = self.guarded(
                name, lambda: accept_auto_labels(ctx, str(olds["dataset_id"]), AcceptRule.from_inputs(accept))
            )
            live["accepted_count"] = result.accepted
            live["skipped_counts"] = result.skipped
        return UpdateResult(echo_outputs(name, inputs, live))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        name = str(props.get(RESOURCE_NAME) or "")
        inputs = recorded_inputs(props)
        dataset_id = props.get("dataset_id")
        if not dataset_id:
            return ReadResult(None, {})
        live = self.guarded(name, lambda: intelligent.read(self.context(), str(dataset_id), id_))
        if live is None:
            return ReadResult(None, {})
        for key in ("fingerprint", "accepted_count", "skipped_counts", "adopted"):
            if key in props:
                live[key] = props[key]
        return ReadResult(id_, echo_outputs(name, inputs, live), {**inputs, RESOURCE_NAME: name})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        name = str(props.get(RESOURCE_NAME) or "")
        dataset_id = props.get("dataset_id")
        if dataset_id:
            self.guarded(name, lambda: intelligent.delete(self.context(), str(dataset_id), id_, STOP_TIMEOUT_SECONDS))


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
            "adopt_task_id": adopt_task_id,
            "wait": wait,
            "timeout_seconds": timeout_seconds,
        }
        props: dict[str, Any] = {key: value for key, value in args.items() if value is not None}
        props[RESOURCE_NAME] = resource_name
        for output in OUTPUTS:
            props.setdefault(output, None)
        super().__init__(IntelligentTaskProvider(), resource_name, props, opts)


OUTPUTS = tuple(IntelligentTask.__annotations__)
