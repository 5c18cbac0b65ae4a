"""Datasets: creation (with synthesised samples), lookup, the API view, running tasks, deletion."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from pulumi_modelarts.emulator import errors, samples
from pulumi_modelarts.emulator.context import Ctx
from pulumi_modelarts.emulator.state import TaskTimeline, version_status

Doc = dict[str, Any]

DATASET_TYPES = (0, 1, 3, 100, 101, 102, 200, 201, 202, 400, 600, 900)
# dataset ``running_task_type`` codes (NOTES §4.1)
RUNNING_AUTO_LABEL, RUNNING_PRE_LABEL, RUNNING_EXPORT, RUNNING_PUBLISH, RUNNING_GROUPING = 0, 1, 2, 6, 7
RUNNING_IMPORT = 5  # "manifest import"; directory imports are listed with it too (NOTES §11)
_TASK_RUNNING_TYPES = {"auto-label": RUNNING_AUTO_LABEL, "pre-label": RUNNING_PRE_LABEL, "auto-grouping": 7}


def with_slash(path: str) -> str:
    return path if path.endswith("/") else path + "/"


def new_dataset(
    *,
    dataset_id: str,
    name: str,
    dataset_type: int,
    work_path: str,
    data_sources: list[Doc],
    labels: list[Doc],
    created_ms: int,
    description: str = "",
    work_path_type: int = 0,
    import_data: bool = False,
) -> Doc:
    return {
        "dataset_id": dataset_id,
        "dataset_name": name,
        "dataset_type": dataset_type,
        "description": description,
        "work_path": work_path,
        "work_path_type": work_path_type,
        "inner_work_path": f"{with_slash(work_path)}dataset-{name}-{dataset_id}/",
        "data_sources": data_sources,
        "labels": labels,
        "import_data": import_data,
        "create_time": created_ms,
        "update_time": created_ms,
        "data_update_time": created_ms,
        "next_version_num": 1,
        "current_version_id": None,
        "current_version_name": None,
        "last_release_ms": None,
    }


def data_path_of(dataset: Doc) -> str:
    for source in dataset.get("data_sources") or []:
        if isinstance(source, dict) and isinstance(source.get("data_path"), str) and source["data_path"]:
            return with_slash(str(source["data_path"]))
    return str(dataset["inner_work_path"]) + "data/"


def synthesise_samples(dataset: Doc, count: int, created_ms: int, start: int = 0) -> list[Doc]:
    path = data_path_of(dataset)
    return [
        samples.make_sample(dataset["dataset_id"], index, dataset["dataset_type"], path, created_ms)
        for index in range(start, start + count)
    ]


def insert(ctx: Ctx, dataset: Doc, sample_docs: Sequence[Doc]) -> None:
    """Store a new dataset; with --lifecycle async it is creating (status 0) for a while."""
    delay = lifecycle_ms(ctx)
    if delay:
        dataset["_ready"] = dataset["create_time"] + delay
    save(ctx, dataset)
    ctx.tx.add_samples(dataset["dataset_id"], sample_docs)


def save(ctx: Ctx, dataset: Doc) -> None:
    dataset_id = dataset["dataset_id"]
    due = dataset.get("_delete_at")
    ctx.tx.put("dataset", dataset_id, dataset, dataset_id=dataset_id, created_ms=dataset["create_time"], due_ms=due)


def settle(ctx: Ctx, dataset: Doc) -> None:
    """A deletion that has run its time removes the dataset and everything in it."""
    ctx.tx.delete_dataset_objects(dataset["dataset_id"])


# dataset ``status`` values (NOTES §4.1)
CREATING, NORMAL, DELETING, RELEASING, IMPORTING = 0, 1, 2, 6, 8


def releasing(ctx: Ctx, dataset_id: str) -> bool:
    """Whether a version release (a "publish") is running on the dataset."""
    return any(
        version_status(version["_ready"], ctx.now_ms) == 0 and not version.get("_delete_at")
        for version in ctx.tx.objects("version", dataset_id)
    )


def importing(ctx: Ctx, dataset_id: str) -> bool:
    """Whether an import task runs on the dataset."""
    return any(TaskTimeline.of(task).end > ctx.now_ms for task in ctx.tx.objects("import", dataset_id))


def status(ctx: Ctx, dataset: Doc) -> int:
    """1 (normal); with --lifecycle async also 0 (creating), 2 (deleting), 6 (releasing) and 8 (importing)."""
    if ctx.config.lifecycle != "async":
        return NORMAL
    if dataset.get("_delete_at") is not None:
        return DELETING
    if ctx.now_ms < dataset.get("_ready", 0):
        return CREATING
    if releasing(ctx, dataset["dataset_id"]):
        return RELEASING
    return IMPORTING if importing(ctx, dataset["dataset_id"]) else NORMAL


def lifecycle_ms(ctx: Ctx) -> int:
    """How long a dataset create or delete (and a version delete) takes: 0 unless --lifecycle async."""
    return int(ctx.config.dataset_seconds * 1000) if ctx.config.lifecycle == "async" else 0


def get(ctx: Ctx, dataset_id: str) -> Doc:
    dataset = ctx.tx.get("dataset", dataset_id)
    if dataset is None:
        raise errors.dataset_missing(dataset_id)
    return dataset


def find_by_name(ctx: Ctx, name: str) -> Doc | None:
    for dataset in ctx.tx.objects("dataset"):
        if dataset["dataset_name"] == name:
            return dataset
    return None


def running_tasks(ctx: Ctx, dataset_id: str) -> list[tuple[int, str]]:
    """(running_task_type, id) of every unfinished task, export, release and import on the dataset."""
    found: list[tuple[int, str]] = []
    for task in ctx.tx.objects("task", dataset_id):
        if TaskTimeline.of(task).end > ctx.now_ms:
            found.append((_TASK_RUNNING_TYPES[task["task_type"]], task["task_id"]))
    for export in ctx.tx.objects("export", dataset_id):
        if export["_start"] + export["_duration"] > ctx.now_ms:
            found.append((RUNNING_EXPORT, export["task_id"]))
    for version in ctx.tx.objects("version", dataset_id):
        if version_status(version["_ready"], ctx.now_ms) == 0:
            found.append((RUNNING_PUBLISH, version["version_id"]))
    for task in ctx.tx.objects("import", dataset_id):
        if TaskTimeline.of(task).end > ctx.now_ms:
            found.append((RUNNING_IMPORT, task["task_id"]))
    return found


def view(
    ctx: Ctx,
    dataset: Doc,
    *,
    check_running: bool = False,
    running_task_type: int | None = None,
    with_labels: bool = True,
    versions: list[Doc] | None = None,
) -> Doc:
    dataset_id = dataset["dataset_id"]
    total, labelled, unconfirmed = ctx.tx.sample_counts(dataset_id)
    inner = dataset["inner_work_path"]
    result: Doc = {
        "dataset_id": dataset_id,
        "dataset_name": dataset["dataset_name"],
        "dataset_type": dataset["dataset_type"],
        "dataset_format": 1 if dataset["dataset_type"] == 400 else 0,
        "data_format": "Default",
        "description": dataset["description"],
        "status": status(ctx, dataset),
        "dataset_version_count": ctx.tx.count("version", dataset_id),
        "next_version_num": dataset["next_version_num"],
        "work_path": dataset["work_path"],
        "work_path_type": dataset["work_path_type"],
        "inner_work_path": inner,
        "inner_annotation_path": inner + "annotation/",
        "inner_data_path": inner + "data/",
        "inner_log_path": inner + "logs/",
        "inner_temp_path": inner + "temp/",
        "inner_task_path": inner + "task/",
        "data_sources": copy.deepcopy(dataset["data_sources"]),
        "create_time": dataset["create_time"],
        "update_time": dataset["update_time"],
        "data_update_time": dataset["data_update_time"],
        "total_sample_count": total,
        "annotated_sample_count": labelled,
        "unconfirmed_sample_count": unconfirmed,
        "deleted_sample_count": 0,
        "loading_sample_count": 0,
        "total_sub_sample_count": 0,
        "annotated_sub_sample_count": 0,
        "exist_workforce_task": False,
        "workforce_task_count": 0,
        "label_task_count": 0,
        "workspace_id": "0",
        "enterprise_project_id": "0",
        "feature_supports": ["0"],
        "managed": False,
        "import_data": dataset["import_data"],
    }
    if dataset.get("current_version_id"):
        result["current_version_id"] = dataset["current_version_id"]
        result["current_version_name"] = dataset["current_version_name"]
    if with_labels:
        result["labels"] = copy.deepcopy(dataset["labels"])
    if check_running:
        running = running_tasks(ctx, dataset_id)
        if running_task_type is not None:
            running = [item for item in running if item[0] == running_task_type]
        result["exist_running_task"] = bool(running)
        result["running_tasks_id"] = [task_id for _, task_id in running]
    if versions is not None:
        result["versions"] = versions
    return result


def delete(ctx: Ctx, dataset: Doc) -> None:
    """Delete now, or with --lifecycle async mark it deleting (status 2) until the deletion is due."""
    delay = lifecycle_ms(ctx)
    if not delay:
        ctx.tx.delete_dataset_objects(dataset["dataset_id"])
    elif dataset.get("_delete_at") is None:
        dataset["_delete_at"] = ctx.now_ms + delay
        save(ctx, dataset)


def unfinished_tasks(ctx: Ctx, dataset_id: str, task_type: str) -> list[Doc]:
    return [
        task
        for task in ctx.tx.objects("task", dataset_id)
        if task["task_type"] == task_type and TaskTimeline.of(task).end > ctx.now_ms
    ]
