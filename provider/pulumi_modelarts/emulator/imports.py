"""Dataset import tasks: validation, creation, the state over time, the view, and the import itself.

An import task (``--import-seconds`` = D) is QUEUING for the first 5% of D, STARTING until 10%,
RUNNING until D with its file counts rising, then COMPLETED: only then are the samples added to the
dataset (``settle``). A path with nothing to import (no file of the dataset's kind in the folder, or
no such manifest) is refused at the POST with ModelArts.4374, or with ``--import-path-check
fail-task`` gives a task that goes QUEUING, STARTING and then FAILED with that code. The files are
those of the emulated OBS (``obs.py``) when the task is created; what already exists in the
dataset is decided when the import runs (``--reimport``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

from pulumi_modelarts.emulator import datasets, errors, ids, obs, samples
from pulumi_modelarts.emulator.context import Ctx
from pulumi_modelarts.emulator.errors import INVALID_IMPORT
from pulumi_modelarts.emulator.obs import ObsFile
from pulumi_modelarts.emulator.state import FAILED, INIT_SHARE, INITIALIZING, QUEUING, RUNNING, SUCCEEDED, TaskTimeline
from pulumi_modelarts.emulator.validate import Fields

Doc = dict[str, Any]

KIND = "import"
IMPORT_TYPES = {"dir": 0, "manifest": 1}
# "When a path is imported as a directory, the dataset type can only support image classification, object
# detection, text classification, or sound classification." (NOTES §11)
DIR_DATASET_TYPES = (0, 1, 100, 200)
IMPORT_ORIGINS = ("obs", "dws", "dli", "rds", "mrs", "inference")
DATA_TYPES = (0, 1, 2, 3, 4, 5, 6)  # 0 OBS, 1 DWS, 2 DLI, 3 RDS, 4 MRS, 5 AI Gallery, 6 inference
FLAGS = ("import_annotations", "import_samples", "final_annotation", "difficult_only", "with_column_header")
# The request fields, in the order of the request table; the answers echo them (--import-echo request).
REQUEST_FIELDS = (
    "data_source",
    "difficult_only",
    "excluded_labels",
    "final_annotation",
    "import_annotations",
    "import_folder",
    "import_origin",
    "import_path",
    "import_samples",
    "import_type",
    "included_labels",
    "label_format",
    "with_column_header",
)
# --echo-defaults yes: the documented defaults of the fields a request left out.
REQUEST_DEFAULTS: Doc = {
    "difficult_only": False,
    "final_annotation": True,
    "import_annotations": True,
    "import_origin": "obs",
    "import_samples": True,
    "with_column_header": False,
}
# The fields of the ImportTaskStatusResp table (--fields documented; --import-echo documented keeps these
# request fields only).
DOCUMENTED = frozenset(
    {
        "annotated_sample_count",
        "create_time",
        "data_source",
        "dataset_id",
        "elapsed_time",
        "error_code",
        "error_msg",
        "file_statistics",
        "finished_file_count",
        "finished_file_size",
        "import_path",
        "import_type",
        "imported_sample_count",
        "imported_sub_sample_count",
        "processor_task_id",
        "processor_task_status",
        "status",
        "task_id",
        "total_file_count",
        "total_file_size",
        "total_sample_count",
        "total_sub_sample_count",
        "unconfirmed_sample_count",
        "update_ms",
    }
)
STATUSES = {QUEUING: "QUEUING", INITIALIZING: "STARTING", RUNNING: "RUNNING", SUCCEEDED: "COMPLETED", FAILED: "FAILED"}
NOT_EXIST = "NOT_EXIST"


# --- the request -------------------------------------------------------------------------------------


def _label_names(ctx: Ctx, fields: Fields, name: str) -> list[str]:
    """The names of ``included_labels``/``excluded_labels``: Label objects, or also plain names."""
    value = fields.array(name)
    found: list[str] = []
    for index, item in enumerate(value or []):
        where = f"{fields.path(name)}[{index}]"
        if isinstance(item, str) and not ctx.config.strict("import_label_form"):
            found.append(item)
            continue
        if not isinstance(item, dict):
            raise errors.invalid(where, 'expected a Label object such as {"name": "cat"}', INVALID_IMPORT)
        label = Fields(item, where, INVALID_IMPORT)
        label_name = label.string("name", required=True, min_len=1, max_len=1024)
        label.integer("type", choices=samples.LABEL_TYPES)
        label.obj("property")
        label.array("attributes", items="object")
        assert label_name is not None
        found.append(label_name)
    return found


def _check_sources(fields: Fields) -> None:
    """``import_origin``, ``data_source`` and ``label_format``: checked; only OBS is emulated."""
    origin = fields.string("import_origin", choices=IMPORT_ORIGINS)
    if origin not in (None, "obs"):
        raise fields.fail("import_origin", f"the emulator imports from OBS only, got {origin!r}")
    source = fields.obj("data_source")
    if source is not None:
        data_type = source.integer("data_type", choices=DATA_TYPES)
        if data_type not in (None, 0):
            raise source.fail("data_type", f"the emulator imports from OBS (0) only, got {data_type}")
        source.string("data_path", max_len=1024)
        source.boolean("with_column_header")
        source.obj("source_info")
        for item in source.objects("schema_maps"):
            item.string("src_name")
            item.string("dest_name")
    label_format = fields.obj("label_format")
    if label_format is not None:
        label_format.string("label_type", choices=("0", "1"))
        for separator in ("text_label_separator", "text_sample_separator"):
            label_format.string(separator, min_len=1, max_len=1)


def _import_type(ctx: Ctx, requested: str | None, path: str) -> str:
    if requested is not None:
        return requested
    infer = not ctx.config.strict("import_type_default")
    return "manifest" if infer and path.endswith(obs.MANIFEST_SUFFIX) else "dir"


def _select(files: Sequence[ObsFile], included: list[str], excluded: list[str], hard_only: bool) -> list[ObsFile]:
    chosen = []
    for file in files:
        if hard_only and not file.hard:
            continue
        if included and not set(included) & set(file.labels):
            continue
        if set(excluded) & set(file.labels):
            continue
        chosen.append(file)
    return chosen


def create(ctx: Ctx, dataset: Doc, body: Doc) -> str:
    fields = Fields(body, code=INVALID_IMPORT)
    raw_path = fields.string("import_path", required=True, min_len=1, max_len=1024)
    assert raw_path is not None
    path = obs.normalize(raw_path)
    if path is None:
        raise fields.fail("import_path", 'expected an OBS path such as "/bucket/dir/" or "s3://bucket/dir/"')
    requested_type = fields.string("import_type", choices=tuple(IMPORT_TYPES))
    for flag in FLAGS:
        fields.boolean(flag)
    fields.string("import_folder", min_len=1, max_len=256)
    _check_sources(fields)
    included = _label_names(ctx, fields, "included_labels")
    excluded = _label_names(ctx, fields, "excluded_labels")
    import_type = _import_type(ctx, requested_type, path)
    dataset_id, dataset_type = dataset["dataset_id"], dataset["dataset_type"]
    if import_type == "dir" and dataset_type not in DIR_DATASET_TYPES:
        raise fields.fail(
            "import_type",
            f"a directory import supports image classification, object detection, text classification and "
            f"sound classification datasets only (dataset_type 0, 1, 100, 200), not {dataset_type}",
        )
    if datasets.importing(ctx, dataset_id):
        raise errors.modelarts(400, errors.IMPORT_RUNNING, f"Dataset {dataset_id} already has a running import task.")
    if datasets.releasing(ctx, dataset_id):
        raise errors.modelarts(
            400, errors.RELEASE_RUNNING, f"Dataset {dataset_id} is publishing a version, the import is forbidden."
        )
    found = obs.listing(ctx, path) if import_type == "dir" else obs.manifest(ctx, path)
    kind = samples.sample_type_for(dataset_type)
    files = [file for file in found or [] if file.sample_type == kind]
    failure = None
    if not files:
        what = "no manifest" if import_type == "manifest" else "no file this dataset can import"
        failure = {"error_code": errors.INVALID_PATH, "error_msg": f"Invalid path: {what} at {raw_path[:200]}."}
        if not ctx.config.strict("import_path_check"):
            raise errors.modelarts(400, failure["error_code"], failure["error_msg"])
    duration = int(ctx.config.import_seconds * 1000)
    task_id = f"{dataset_id}_{ids.new_id()}"  # the doc examples' form: "<dataset id>_<19 characters>"
    chosen = _select(files, included, excluded, bool(body.get("difficult_only")))
    doc: Doc = {
        "task_id": task_id,
        "dataset_id": dataset_id,
        "_type": import_type,
        "_request": {key: copy.deepcopy(body[key]) for key in REQUEST_FIELDS if body.get(key) is not None},
        "_path": path,
        "_files": [file.to_json() for file in chosen],
        "_file_count": len(files),
        "_file_size": sum(file.size for file in files),
        "_start": ctx.now_ms,
        "_duration": duration,
        "_fail_at": ctx.now_ms + int(duration * INIT_SHARE) if failure else None,
        "_fail": failure,
        "_final": None,
    }
    _save(ctx, doc)
    return task_id


def _save(ctx: Ctx, doc: Doc) -> None:
    due = None if doc["_final"] is not None else TaskTimeline.of(doc).end
    ctx.tx.put(KIND, doc["task_id"], doc, dataset_id=doc["dataset_id"], created_ms=doc["_start"], due_ms=due)


def answer(ctx: Ctx, dataset_id: str, task_id: str) -> Doc:
    """GET of one import task; one that does not exist is an error, or (--missing-import-task not-exist)
    a 200 with status NOT_EXIST."""
    task = ctx.tx.get(KIND, task_id)
    if task is not None and task["dataset_id"] == dataset_id:
        return view(ctx, task)
    if ctx.config.strict("missing_import_task"):
        return {"task_id": task_id, "dataset_id": dataset_id, "status": NOT_EXIST}
    raise errors.task_missing(task_id, ctx.config.missing_task_status)


# --- the import itself ---------------------------------------------------------------------------------


def _set_labels(sample: Doc, names: Iterable[str], label_type: int, final: bool) -> None:
    """Imported labels: confirmed, or with ``final_annotation: false`` proposed (to be confirmed)."""
    labels = [samples.make_label(sample, name, label_type) for name in names]
    if final:
        sample["labels"], sample["auto_labels"] = labels, []
    else:
        sample["auto_labels"] = [dict(label, score=1.0) for label in labels]


def settle(ctx: Ctx, task: Doc) -> None:
    """Apply the task's end exactly once: a completed import adds its samples (and labels) to the dataset."""
    timeline = TaskTimeline.of(task)
    at = timeline.end
    if timeline.status(at) == FAILED:
        task["_final"] = {"status": FAILED, "at": at, "imported": 0, "annotated": 0, "unconfirmed": 0}
    else:
        task["_final"] = {"status": SUCCEEDED, "at": at, **_run(ctx, task, at)}
    _save(ctx, task)


def _run(ctx: Ctx, task: Doc, at: int) -> dict[str, int]:
    dataset = ctx.tx.get("dataset", task["dataset_id"])
    if dataset is None:
        return {"imported": 0, "annotated": 0, "unconfirmed": 0}
    request = task["_request"]
    with_labels = request.get("import_annotations", True)
    with_samples = request.get("import_samples", True)
    final = request.get("final_annotation", True)
    folder = request.get("import_folder")
    duplicate = ctx.config.strict("reimport")
    label_type = samples.label_type_for(dataset["dataset_type"])
    dataset_id = dataset["dataset_id"]

    def key(origin: str, sample_folder: str | None) -> str | None:
        """What makes two imports of a file the same sample; None: never the same (--reimport duplicate)."""
        if not duplicate:
            return origin
        return f"{sample_folder}\x1f{origin}" if sample_folder else None

    index: dict[str, list[Doc]] = {}
    for sample in ctx.tx.samples(dataset_id):
        sample_key = key(sample["origin"], sample.get("import_folder"))
        if sample_key is not None:
            index.setdefault(sample_key, []).append(sample)
    changed: dict[str, Doc] = {}
    added: list[Doc] = []
    for file in map(ObsFile.from_json, task["_files"]):
        file_key = key(file.origin, folder)
        matches = index.get(file_key, []) if file_key is not None else []
        if matches:
            if with_labels and file.labels:
                for sample in matches:
                    _set_labels(sample, file.labels, label_type, final)
                    changed[sample["sample_id"]] = sample
            continue
        if not with_samples:
            continue
        bucket, object_key = file.path[1:].split("/", 1)
        scope = (folder or task["task_id"]) if duplicate else ""
        sample = samples.file_sample(
            ids.derived_hex32(dataset_id, "import", scope, file.origin), file.sample_type, bucket, object_key, at
        )
        sample["hard"] = file.hard
        if folder:
            sample["import_folder"] = folder
        if with_labels and file.labels:
            _set_labels(sample, file.labels, label_type, final)
        added.append(sample)
        if file_key is not None:
            index[file_key] = [sample]
    ctx.tx.save_samples(dataset_id, changed.values())
    ctx.tx.add_samples(dataset_id, added)
    known = {label["name"] for label in dataset["labels"]}
    for sample in [*added, *changed.values()]:
        for label in [*sample["labels"], *sample["auto_labels"]]:
            if label["name"] not in known:
                known.add(label["name"])
                dataset["labels"].append({"name": label["name"], "type": label_type, "property": {}, "attributes": []})
    dataset["data_update_time"] = dataset["update_time"] = at
    datasets.save(ctx, dataset)
    return {
        "imported": len(added),
        "annotated": sum(1 for sample in added if sample["labels"]),
        "unconfirmed": sum(1 for sample in added if not sample["labels"] and sample["auto_labels"]),
    }


# --- the answer ----------------------------------------------------------------------------------------


def _echo(ctx: Ctx, task: Doc) -> Doc:
    """The request as the answers echo it (the readings import_echo, import_path_echo, import_type_answer,
    echo_defaults)."""
    request: Doc = copy.deepcopy(task["_request"])
    if ctx.config.strict("echo_defaults"):
        request = {**REQUEST_DEFAULTS, **request}
    if ctx.config.strict("import_echo"):
        request = {key: value for key, value in request.items() if key in DOCUMENTED}
    if ctx.config.strict("import_path_echo"):
        request["import_path"] = obs.as_obs_url(task["_path"])
    import_type = task["_type"]
    request["import_type"] = IMPORT_TYPES[import_type] if ctx.config.strict("import_type_answer") else import_type
    return request


def view(ctx: Ctx, task: Doc) -> Doc:
    timeline = TaskTimeline.of(task)
    final = task["_final"]
    now = ctx.now_ms
    status = final["status"] if final is not None else timeline.status(now)
    share = {SUCCEEDED: 1.0, FAILED: 0.0}.get(status, timeline.progress(now) / 100)
    files, size = task["_file_count"], task["_file_size"]
    finished_files, finished_size = int(files * share), int(size * share)
    counts = final or {"imported": 0, "annotated": 0, "unconfirmed": 0}
    result: Doc = {
        "task_id": task["task_id"],
        "dataset_id": task["dataset_id"],
        "status": STATUSES[status],
        **_echo(ctx, task),
        "total_sample_count": len(task["_files"]),
        "imported_sample_count": counts["imported"],
        "annotated_sample_count": counts["annotated"],
        "unconfirmed_sample_count": counts["unconfirmed"],
        "total_sub_sample_count": 0,
        "imported_sub_sample_count": 0,
        "total_file_count": files,
        "total_file_size": size,
        "finished_file_count": finished_files,
        "finished_file_size": finished_size,
        "file_statistics": {
            "file_num_total": files,
            "file_num_finished": finished_files,
            "file_size_total": size,
            "file_size_finished": finished_size,
        },
        "create_time": task["_start"],
        "update_ms": min(now, timeline.end),
        "elapsed_time": timeline.elapsed_seconds(now),
        "progress": round(100.0 * share, 2),  # not in the tables (--fields documented drops it)
    }
    if status == FAILED and task.get("_fail"):
        result["error_code"] = task["_fail"]["error_code"]
        result["error_msg"] = task["_fail"]["error_msg"]
    if ctx.config.strict("fields"):
        result = {key: value for key, value in result.items() if key in DOCUMENTED}
    return result
