"""Dataset versions: release (with the ModelArts.4343/4370/4371 rules), view, listing, deletion."""

from __future__ import annotations

import copy
import json
from typing import Any

from pulumi_modelarts.emulator import datasets, errors, ids, samples
from pulumi_modelarts.emulator.context import Ctx
from pulumi_modelarts.emulator.state import version_status
from pulumi_modelarts.emulator.validate import Fields, check_description, check_name, check_ratio

Doc = dict[str, Any]

VERSION_FORMATS = ("Default", "CarbonData", "CSV")
_TAGS = {
    0: ["Image", "Image classification"],
    1: ["Image", "Object detection"],
    100: ["Text", "Text classification"],
}


def _labels_key(labels: list[Doc]) -> str:
    return json.dumps(sorted(json.dumps(label, sort_keys=True) for label in labels))


def _auto_name(dataset: Doc, taken: set[str]) -> tuple[str, int]:
    number = dataset["next_version_num"]
    while f"V{number:03d}" in taken:
        number += 1
    return f"V{number:03d}", number


def snapshot(dataset: Doc, current: list[Doc], previous: Doc | None) -> Doc:
    """The counts, label statistics and per-sample labels a release records."""
    labelled = {s["sample_id"]: s["labels"] for s in current if s["labels"]}
    ids_now = [s["sample_id"] for s in current]
    previous_ids = set(previous["_ids"]) if previous else set()
    previous_labels: dict[str, list[Doc]] = previous["_labels"] if previous else {}
    added = [sample_id for sample_id in ids_now if sample_id not in previous_ids]
    modified = [
        sample_id
        for sample_id in ids_now
        if sample_id in previous_ids
        and _labels_key(labelled.get(sample_id, [])) != _labels_key(previous_labels.get(sample_id, []))
    ]
    multi = any(len({label.get("name") for label in labels}) > 1 for labels in labelled.values())
    return {
        "total_sample_count": len(ids_now),
        "annotated_sample_count": len(labelled),
        "add_sample_count": len(added),
        "modified_sample_count": len(modified),
        "deleted_sample_count": len(previous_ids - set(ids_now)),
        "previous_total_sample_count": previous["total_sample_count"] if previous else 0,
        "previous_annotated_sample_count": previous["annotated_sample_count"] if previous else 0,
        "label_stats": samples.label_stats(dataset["labels"], labelled.values()),
        "label_type": "multi" if multi else "single",
        "_ids": ids_now,
        "_labels": labelled,
    }


def build(
    ctx: Ctx,
    dataset: Doc,
    *,
    version_id: str,
    name: str,
    created_ms: int,
    ready_ms: int,
    options: Doc,
    current: list[Doc] | None = None,
) -> Doc:
    """A version document; ``current`` are the samples to snapshot (default: the dataset's now)."""
    previous_id = dataset.get("current_version_id")
    previous = ctx.tx.get("version", previous_id) if previous_id else None
    folder = f"{dataset['inner_work_path']}annotation/{name}/"
    doc: Doc = {
        "version_id": version_id,
        "dataset_id": dataset["dataset_id"],
        "version_name": name,
        "version_format": options.get("version_format") or "Default",
        "create_time": created_ms,
        "description": options.get("description") or "",
        "train_evaluate_sample_ratio": options.get("train_evaluate_sample_ratio") or "1.00",
        "remove_sample_usage": options.get("remove_sample_usage", True),
        "export_images": options.get("export_images", False),
        "clear_hard_property": options.get("clear_hard_property", True),
        "with_column_header": options.get("with_column_header", True),
        "manifest_path": f"{folder}{name}.manifest",
        "data_path": f"{folder}data/",
        "task_type": dataset["dataset_type"],
        "_ready": ready_ms,
        "_final": False,
    }
    if previous is not None:
        doc["previous_version_id"] = previous["version_id"]
    if current is None:
        current = ctx.tx.samples(dataset["dataset_id"])
    doc.update(snapshot(dataset, current, previous))
    return doc


DELETING = 2


def status_of(ctx: Ctx, version: Doc) -> int:
    """0 creating, 1 ready, 2 deleting (--lifecycle async, until the deletion is due)."""
    return DELETING if version.get("_delete_at") is not None else version_status(version["_ready"], ctx.now_ms)


def save(ctx: Ctx, doc: Doc) -> None:
    due = doc.get("_delete_at")
    if due is None:
        due = None if doc["_final"] else doc["_ready"]
    ctx.tx.put(
        "version",
        doc["version_id"],
        doc,
        dataset_id=doc["dataset_id"],
        created_ms=doc["create_time"],
        due_ms=due,
    )


def create(ctx: Ctx, dataset: Doc, body: Doc) -> str:
    fields = Fields(body)
    name = check_name(fields, "version_name", max_len=32)
    version_format = fields.string("version_format", choices=VERSION_FORMATS)
    if version_format == "CarbonData" and dataset["dataset_type"] != 400:
        raise fields.fail("version_format", "CarbonData is supported only by table datasets (dataset_type 400)")
    options: Doc = {
        "version_format": version_format,
        "train_evaluate_sample_ratio": check_ratio(fields, "train_evaluate_sample_ratio"),
        "description": check_description(fields),
    }
    for flag in ("clear_hard_property", "remove_sample_usage", "export_images", "with_column_header"):
        value = fields.boolean(flag)
        if value is not None:
            options[flag] = value
    dataset_id = dataset["dataset_id"]
    existing = ctx.tx.objects("version", dataset_id)
    taken = {version["version_name"] for version in existing}
    if name is not None and name in taken:
        raise errors.modelarts(400, "ModelArts.4371", f"Version name {name} already exists in dataset {dataset_id}.")
    if datasets.releasing(ctx, dataset_id):
        raise errors.modelarts(400, errors.RELEASE_RUNNING, f"Dataset {dataset_id} is already publishing a version.")
    last = dataset.get("last_release_ms")
    interval_ms = int(ctx.config.release_interval_seconds * 1000)
    if last is not None and ctx.now_ms - last < interval_ms:
        wait = (interval_ms - (ctx.now_ms - last) + 999) // 1000
        raise errors.modelarts(
            400,
            "ModelArts.4370",
            f"Only one version can be released per minute on a dataset; try again in {wait} s.",
        )
    if name is None:
        name, number = _auto_name(dataset, taken)
        dataset["next_version_num"] = number + 1
    else:
        dataset["next_version_num"] += 1
    version_id = ids.new_id()
    ready = ctx.now_ms + int(ctx.config.version_seconds * 1000)
    doc = build(ctx, dataset, version_id=version_id, name=name, created_ms=ctx.now_ms, ready_ms=ready, options=options)
    dataset["last_release_ms"] = ctx.now_ms
    dataset["update_time"] = ctx.now_ms
    datasets.save(ctx, dataset)
    save(ctx, doc)
    return version_id


def settle(ctx: Ctx, version: Doc) -> None:
    """A finished release becomes the dataset's current version; a finished deletion removes it."""
    if version.get("_delete_at") is not None:
        ctx.tx.delete("version", version["version_id"])
        return
    dataset = ctx.tx.get("dataset", version["dataset_id"])
    if dataset is not None:
        dataset["current_version_id"] = version["version_id"]
        dataset["current_version_name"] = version["version_name"]
        dataset["update_time"] = version["_ready"]
        datasets.save(ctx, dataset)
    version["_final"] = True
    save(ctx, version)


def get(ctx: Ctx, dataset_id: str, version_id: str) -> Doc:
    version = ctx.tx.get("version", version_id)
    if version is None or version["dataset_id"] != dataset_id:
        raise errors.version_missing(version_id)
    return version


def view(ctx: Ctx, version: Doc, dataset: Doc) -> Doc:
    status = status_of(ctx, version)
    result = {key: copy.deepcopy(value) for key, value in version.items() if not key.startswith("_")}
    if ctx.config.strict("fields"):
        del result["dataset_id"]  # not in the version tables (--fields documented)
    result.update(
        {
            "status": status,
            "update_time": version["_ready"] if status == 1 else version["create_time"],
            "is_current": dataset.get("current_version_id") == version["version_id"],
            "total_sub_sample_count": 0,
            "annotated_sub_sample_count": 0,
            "extract_serial_number": False,
            "include_dataset_data": False,
            "data_validate": False,
            "crop": False,
            "rotate": False,
            "start_processor_task": False,
            "analysis_status": 0,
            "tags": list(_TAGS.get(dataset["dataset_type"], [])),
            "deletion_stats": {},
            "data_statistics": {},
        }
    )
    return result


def listing(
    ctx: Ctx,
    dataset_id: str,
    *,
    status: int | None,
    version_format: str | None,
    ratio: tuple[float, float] | None,
) -> list[Doc]:
    found = []
    for version in ctx.tx.objects("version", dataset_id):
        if status is not None and status_of(ctx, version) != status:
            continue
        if version_format is not None and version["version_format"] != version_format:
            continue
        if ratio is not None:
            try:
                value = float(version["train_evaluate_sample_ratio"])
            except ValueError:
                continue
            if not ratio[0] <= value <= ratio[1]:
                continue
        found.append(version)
    return found


def delete(ctx: Ctx, dataset: Doc, version: Doc) -> None:
    """Delete now, or with --lifecycle async mark it deleting (status 2) until the deletion is due."""
    delay = datasets.lifecycle_ms(ctx)
    if not delay:
        ctx.tx.delete("version", version["version_id"])
    elif version.get("_delete_at") is None:
        version["_delete_at"] = ctx.now_ms + delay
        save(ctx, version)
    if dataset.get("current_version_id") == version["version_id"]:
        remaining = [
            v for v in ctx.tx.objects("version", dataset["dataset_id"]) if v["_final"] and v.get("_delete_at") is None
        ]
        newest = remaining[0] if remaining else None
        dataset["current_version_id"] = newest["version_id"] if newest else None
        dataset["current_version_name"] = newest["version_name"] if newest else None
        datasets.save(ctx, dataset)
