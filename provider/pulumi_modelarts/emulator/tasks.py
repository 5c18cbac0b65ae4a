"""Intelligent tasks (auto-label, pre-label, auto-grouping): start, view, stop, settle."""

from __future__ import annotations

import copy
import re
from typing import Any

from pulumi_modelarts.emulator import datasets, errors, ids, samples
from pulumi_modelarts.emulator.clock import task_time
from pulumi_modelarts.emulator.context import Ctx
from pulumi_modelarts.emulator.exports import check_export_params
from pulumi_modelarts.emulator.state import (
    FAIL_SHARE,
    FAILED,
    STOPPED,
    STOPPING,
    SUCCEEDED,
    TaskTimeline,
)
from pulumi_modelarts.emulator.validate import Fields

Doc = dict[str, Any]

TASK_TYPES = ("auto-label", "pre-label", "auto-grouping")
ALGORITHMS = ("fast", "accurate", "supervisory")
MIN_LABELS = 2
MIN_SAMPLES_PER_LABEL = 5

_CONFIDENCE_RE = re.compile(r"^\d+(\.\d+)?-\d+(\.\d+)?$")
_CONFIG_STRINGS = (
    "annotation_output",
    "description",
    "engine_name",
    "inf_cluster_id",
    "inf_output",
    "infer_result_output_dir",
    "key_sample_output",
    "log_url",
    "manifest_path",
    "model_id",
    "model_name",
    "model_parameter",
    "model_version",
    "output_dir",
    "pool_id",
    "property",
    "req_uri",
    "time",
    "train_data_path",
    "train_url",
)
_MIDDLE_EVENT = {"auto-label": "labeling", "pre-label": "inference", "auto-grouping": "grouping"}
_SUBMITTED = {
    "auto-label": (
        "ModelArts.4914",
        "Submit auto labeling task succeed, waiting for auto labeling task to finish.",
    ),
    "pre-label": (
        "ModelArts.4950",
        "Submit auto inference task succeed, waiting for auto inference task to finish.",
    ),
    "auto-grouping": (
        "ModelArts.4960",
        "Submit auto grouping task succeed, waiting for auto grouping task to finish.",
    ),
}
_ALREADY_RUNNING = {
    "auto-label": (501, "ModelArts.4386", "An auto labeling task is already running on dataset {}."),
    "pre-label": (501, "ModelArts.4387", "A pre-labeling task is already running on dataset {}."),
    "auto-grouping": (
        400,
        "ModelArts.4409",
        "Too many running tasks: an auto grouping task is already running on dataset {}.",
    ),
}
# --grouping-conflict 4964: the documented info code, sent with HTTP 200 and no task_id (NOTES §10.12).
GROUPING_RUNNING = (200, "ModelArts.4964", "Auto grouping task is already running.")
# --echo-defaults yes: what the server fills into an echoed config (the doc examples' config).
CONFIG_DEFAULTS: dict[str, Any] = {
    "ambiguity": False,
    "worker_server_num": 0,
    "collect_sample": True,
    "collect_rule": "all",
    "confidence_scope": "0.00-1.00",
    "image_brightness": False,
    "image_colorfulness": False,
}
AUTO_LABEL_DEFAULTS: dict[str, Any] = {"algorithm_type": "fast"}
# --fields documented: the fields the GET task table and the task list table name (NOTES §1.2, §1.3).
GET_FIELDS = frozenset(
    {
        "task_id",
        "task_name",
        "resource_id",
        "create_time",
        "progress",
        "status",
        "message",
        "code",
        "elapsed_time",
        "error_code",
        "error_msg",
        "error_detail",
        "result",
        "export_type",
        "config",
    }
)
LIST_FIELDS = frozenset(
    {
        "task_id",
        "task_name",
        "dataset_id",
        "type",
        "create_time",
        "status",
        "code",
        "message",
        "error_code",
        "error_msg",
        "error_detail",
        "elapsed_time",
        "progress",
        "result",
        "config",
        "total_sample_count",
        "annotated_sample_count",
        "unconfirmed_sample_count",
        "model_id",
        "model_name",
        "model_version",
    }
)
RESULT_EXTRAS = ("continuity",)  # in seed 001's answer, but not in the documented result table


def type_code(ctx: Ctx, task_type: str) -> int:
    return {"auto-label": 0, "pre-label": 1}.get(task_type, ctx.config.auto_grouping_type)


def _check_config(config: Fields) -> None:
    config.string("name", min_len=1, max_len=256)
    config.string("algorithm_type", choices=ALGORITHMS)
    for flag in ("ambiguity", "image_brightness", "image_colorfulness", "collect_sample"):
        config.boolean(flag)
    config.integer("n_clusters", lo=1, hi=1000, numeric_string=True)
    config.integer("result_type", choices=(0, 1))
    config.integer("export_format", choices=(1, 2))
    config.integer("worker_server_num", lo=0, hi=1000)
    config.integer("stop_time", lo=0, hi=100000)
    config.string("collect_rule", choices=("all",))
    config.string("confidence_scope", pattern=_CONFIDENCE_RE, pattern_text='"min-max", for example "0.10-0.90"')
    config.string("version_format", choices=("Default", "CarbonData", "CSV"))
    for name in _CONFIG_STRINGS:
        config.string(name)
    for item in config.objects("inf_config_list"):
        item.string("model_id")
        item.string("specification")
        item.integer("instance_count", lo=1, hi=1000)
        item.integer("weight", lo=0, hi=100)
        item.obj("envs")
    flavor = config.obj("flavor")
    if flavor is not None:
        flavor.string("code")
    for parameter in config.objects("parameters"):
        parameter.string("label")
        parameter.string("value")
    for sample in config.objects("samples"):
        sample.string("sample_id")
        sample.array("labels", items="object")
    params = config.obj("export_params")
    if params is not None:
        check_export_params(params)


def _preconditions(ctx: Ctx, dataset: Doc) -> tuple[str, str] | None:
    """The auto-label preconditions of seed 001, as (error_code, message) when one is not met."""
    labels = [label["name"] for label in dataset["labels"]]
    if len(labels) < MIN_LABELS:
        return (
            "ModelArts.4405",
            f"Auto labeling needs at least {MIN_LABELS} labels; the dataset has {len(labels)}.",
        )
    per_label = dict.fromkeys(labels, 0)
    unlabelled = 0
    for sample in ctx.tx.samples(dataset["dataset_id"]):
        if not sample["labels"]:
            unlabelled += 1
        for name in {label.get("name") for label in sample["labels"]}:
            if name in per_label:
                per_label[name] += 1
    short = [f"{name} ({count})" for name, count in per_label.items() if count < MIN_SAMPLES_PER_LABEL]
    if short:
        return (
            "ModelArts.4406",
            f"Auto labeling needs at least {MIN_SAMPLES_PER_LABEL} labelled samples per label; "
            f"too few for: {', '.join(short)}.",
        )
    if unlabelled == 0:
        return (
            "ModelArts.4407",
            "Auto labeling needs unlabelled samples; every sample of the dataset is labelled.",
        )
    return None


def create(ctx: Ctx, dataset: Doc, body: Doc) -> str:
    fields = Fields(body)
    task_type = fields.string("task_type", choices=TASK_TYPES) or "auto-label"
    collect_key_sample = fields.boolean("collect_key_sample")
    model_id = fields.string("model_id")
    config_fields = fields.obj("config")
    config: Doc = dict(config_fields.data) if config_fields is not None else {}
    if config_fields is not None:
        _check_config(config_fields)
    if task_type == "pre-label" and not (model_id or config.get("model_id")):
        raise errors.invalid("model_id", "is required for a pre-label task")
    dataset_id = dataset["dataset_id"]
    requested = config.get("name")
    name = requested if requested and not ctx.config.strict("config_name") else ids.new_id()
    existing = ctx.tx.objects("task", dataset_id)
    if any(task["task_name"] == name for task in existing):
        raise errors.modelarts(400, "ModelArts.4391", f"Task name {name} is already used in dataset {dataset_id}.")
    if datasets.unfinished_tasks(ctx, dataset_id, task_type):
        status, code, message = _ALREADY_RUNNING[task_type]
        if task_type == "auto-grouping" and ctx.config.strict("grouping_conflict"):
            status, code, message = GROUPING_RUNNING
        raise errors.modelarts(status, code, message.format(dataset_id))
    labelling = task_type in ("auto-label", "pre-label")  # "auto labeling" covers both (seed 000)
    if labelling and ctx.config.strict("release_locks") and datasets.releasing(ctx, dataset_id):
        raise errors.modelarts(
            403, "ModelArts.4821", f"Task is publishing, the operation is forbidden (dataset {dataset_id})."
        )
    failure = _preconditions(ctx, dataset) if task_type == "auto-label" else None
    if failure is not None and ctx.config.preconditions == "reject":
        raise errors.modelarts(400, *failure)
    duration = int(ctx.config.task_seconds * 1000)
    total, labelled, _ = ctx.tx.sample_counts(dataset_id)
    task_id = ids.new_id()
    config["name"] = name
    doc: Doc = {
        "task_id": task_id,
        "task_name": name,
        "dataset_id": dataset_id,
        "task_type": task_type,
        "config": config,
        "collect_key_sample": bool(collect_key_sample),
        "model_id": model_id or config.get("model_id"),
        "_start": ctx.now_ms,
        "_duration": duration,
        "_stop": None,
        "_fail_at": ctx.now_ms + int(duration * FAIL_SHARE) if failure else None,
        "_fail": {"error_code": failure[0], "error_msg": failure[1]} if failure else None,
        "_counts": {"total": total, "annotated": labelled, "unconfirmed": 0},
        "_final": None,
    }
    _save(ctx, doc)
    return task_id


def _save(ctx: Ctx, doc: Doc) -> None:
    due = None if doc["_final"] is not None else TaskTimeline.of(doc).end
    ctx.tx.put("task", doc["task_id"], doc, dataset_id=doc["dataset_id"], created_ms=doc["_start"], due_ms=due)


def get(ctx: Ctx, dataset_id: str, task_id: str) -> Doc:
    task = ctx.tx.get("task", task_id)
    if task is None or task["dataset_id"] != dataset_id:
        raise errors.task_missing(task_id, ctx.config.missing_task_status)
    return task


def stop(ctx: Ctx, task: Doc) -> None:
    """Stop a task; stopping one that is already stopping or stopped is accepted again (204)."""
    timeline = TaskTimeline.of(task)
    status = timeline.status(ctx.now_ms)
    if status in (STOPPING, STOPPED):
        return
    if status in (SUCCEEDED, FAILED):
        word = "succeeded" if status == SUCCEEDED else "failed"
        raise errors.modelarts(
            400,
            "ModelArts.4393",
            f"Task {task['task_id']} has already {word}; only a running task can be stopped.",
        )
    task["_stop"] = ctx.now_ms
    _save(ctx, task)


def settle(ctx: Ctx, task: Doc) -> None:
    """Apply the task's end exactly once: a successful labelling task proposes labels."""
    timeline = TaskTimeline.of(task)
    status = timeline.status(timeline.end)
    if status == SUCCEEDED and task["task_type"] in ("auto-label", "pre-label"):
        dataset = ctx.tx.get("dataset", task["dataset_id"])
        if dataset is not None:
            targets = [s for s in ctx.tx.samples(task["dataset_id"]) if not s["labels"]]
            for sample in targets:
                samples.auto_annotate(sample, dataset["labels"], dataset["dataset_type"])
            ctx.tx.save_samples(task["dataset_id"], targets)
            task["_counts"]["unconfirmed"] = sum(1 for s in targets if s["auto_labels"])
    task["_final"] = {"status": status, "at": timeline.end}
    _save(ctx, task)


def _result(ctx: Ctx, task: Doc, timeline: TaskTimeline) -> Doc:
    counts = task["_counts"]
    task_type = task["task_type"]
    dataset_id, task_id = task["dataset_id"], task["task_id"]
    result: Doc = {
        "total_sample_count": counts["total"],
        "annotated_sample_count": counts["annotated"],
        "unconfirmed_sample_count": counts["unconfirmed"],
        "events": timeline.events(ctx.now_ms, _MIDDLE_EVENT[task_type]),
        "workspace_id": "0",
        "continuity": False,
    }
    if task_type == "auto-label":
        result["train_job_id"] = ids.derived_digits(6, task_id, "train")
        result["train_job_name"] = f"AUTO_TRAINING_cls_{dataset_id}_{task_id[:10]}"
        result["version_id"] = ids.derived_digits(7, task_id, "version")
    elif task_type == "pre-label":
        result["service_id"] = ids.derived_hex32(task_id, "service")
        result["service_name"] = f"AUTO_INFERENCE_{dataset_id}_{task_id[:10]}"
        if task.get("model_id"):
            result["model_id"] = task["model_id"]
    return result


def _config(ctx: Ctx, task: Doc) -> Doc:
    config: Doc = copy.deepcopy(task["config"])
    if ctx.config.strict("echo_defaults"):
        defaults = {**CONFIG_DEFAULTS, **(AUTO_LABEL_DEFAULTS if task["task_type"] == "auto-label" else {})}
        config = {**defaults, **config}
    return config


def view(ctx: Ctx, task: Doc, *, listed: bool = False) -> Doc:
    """A task as GET answers it (``listed``: as an item of the task list)."""
    timeline = TaskTimeline.of(task)
    now = ctx.now_ms
    status = timeline.status(now)
    counts = task["_counts"]
    if status == FAILED and task.get("_fail"):
        code, message = task["_fail"]["error_code"], task["_fail"]["error_msg"]
    elif status == SUCCEEDED:
        code, message = "ModelArts.4996", "Task executed successfully."
    elif status == STOPPING:
        code, message = "ModelArts.4393", "The task is being stopped."
    elif status == STOPPED:
        code, message = "ModelArts.4393", "The task has been stopped."
    else:
        code, message = _SUBMITTED[task["task_type"]]
    result: Doc = {
        "task_id": task["task_id"],
        "task_name": "" if ctx.config.strict("task_name") else task["task_name"],
        "resource_id": task["dataset_id"],
        "dataset_id": task["dataset_id"],
        "type": type_code(ctx, task["task_type"]),
        "create_time": task_time(task["_start"], ctx.config.task_time_zone),
        "progress": timeline.progress(now),
        "status": status,
        "message": message,
        "code": code,
        "elapsed_time": timeline.elapsed_seconds(now) * (1000 if ctx.config.strict("elapsed_time_unit") else 1),
        "result": _result(ctx, task, timeline),
        "export_type": 0,
        "config": _config(ctx, task),
        "collect_key_sample": task["collect_key_sample"],
        "total_sample_count": counts["total"],
        "annotated_sample_count": counts["annotated"],
        "unconfirmed_sample_count": counts["unconfirmed"],
    }
    if task.get("model_id"):
        result["model_id"] = task["model_id"]
    if status == FAILED and task.get("_fail"):
        result["error_code"] = code
        result["error_msg"] = message
        result["error_detail"] = message
    if ctx.config.strict("fields"):
        wanted = LIST_FIELDS if listed else GET_FIELDS
        result = {key: value for key, value in result.items() if key in wanted}
        for key in RESULT_EXTRAS:
            result["result"].pop(key, None)
    return result


def listing(ctx: Ctx, dataset_id: str, task_type: str | None, task_name: str | None) -> list[Doc]:
    """Tasks of the dataset, newest first; without a type only auto-label and pre-label tasks."""
    wanted = (task_type,) if task_type else ("auto-label", "pre-label")
    return [
        task
        for task in ctx.tx.objects("task", dataset_id)
        if task["task_type"] in wanted and (task_name is None or task["task_name"] == task_name)
    ]
