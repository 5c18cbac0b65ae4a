"""Export tasks: validation, creation, view and settling (including export to a new dataset)."""

from __future__ import annotations

import copy
from typing import Any

from pulumi_modelarts.emulator import datasets, errors, ids, samples
from pulumi_modelarts.emulator.context import Ctx
from pulumi_modelarts.emulator.errors import INVALID_EXPORT
from pulumi_modelarts.emulator.state import EXPORT_DONE, EXPORT_FAILED, export_status
from pulumi_modelarts.emulator.validate import Fields, check_name, check_ratio

Doc = dict[str, Any]

EXPORT_DESTS = ("DIR", "NEW_DATASET")
_STATES: tuple[str, ...] = (
    "",
    "__ALL__",
    "__NONE__",
    "__UNCHECK__",
    "__ACCEPTED__",
    "__REJECTED__",
    "__UNREVIEWED__",
    "__REVIEWED__",
    "__WORKFORCE_SAMPLED__",
    "__WORKFORCE_SAMPLED_UNCHECK__",
    "__WORKFORCE_SAMPLED_CHECKED__",
    "__WORKFORCE_SAMPLED_ACCEPTED__",
    "__WORKFORCE_SAMPLED_REJECTED__",
    "__AUTO_ANNOTATION__",
)
# The documents show both "__ALL__" and "ALL"; both spellings are accepted.
SAMPLE_STATES = _STATES + tuple(state.strip("_") for state in _STATES if state)
VERSION_FORMATS = ("Default", "CarbonData", "CSV")
# The request fields echoed back by GET (NOTES §2.2, §2.4).
ECHOED = (
    "path",
    "export_type",
    "export_format",
    "export_params",
    "version_id",
    "version_format",
    "annotation_format",
    "sample_state",
    "source_type_header",
    "with_column_header",
    "search_conditions",
    "samples",
)
DEFAULT_EXPORT_TYPE = 0
# --echo-defaults yes: what the doc examples return although the request never sent it (NOTES §10.10).
ECHOED_DEFAULTS: Doc = {"version_format": "Default", "export_format": 2}
PARAMS_DEFAULTS: Doc = {
    "export_dest": "DIR",
    "clear_hard_property": True,
    "clear_difficult": False,
    "ratio_sample_usage": False,
    "train_sample_ratio": 1.0,
}
# --fields documented: the fields of the export task tables (NOTES §2.2).
DOCUMENTED = frozenset(
    {
        "task_id",
        "path",
        "export_type",
        "export_format",
        "version_format",
        "version_id",
        "export_params",
        "status",
        "progress",
        "total_sample_count",
        "finished_sample_count",
        "create_time",
        "update_time",
        "error_code",
        "error_msg",
    }
)


def check_conditions(fields: Fields, name: str) -> None:
    for condition in fields.objects(name):
        for key in ("coefficient", "hard", "import_origin", "kvp", "labeler", "parent_sample_id"):
            condition.string(key)
        for key in ("sample_dir", "sample_name", "sample_time", "score", "slice_thickness", "study_date"):
            condition.string(key)
        condition.string("time_in_video")
        condition.integer("frame_in_video")
        label_list = condition.obj("label_list")
        if label_list is not None:
            label_list.string("op", choices=("AND", "OR"))
            for label in label_list.objects("labels"):
                label.string("name")
                label.string("op", choices=("AND", "OR"))
                label.integer("type")
                label.obj("property")
        metadata = condition.obj("metadata")
        if metadata is not None:
            metadata.string("op", choices=("AND", "OR"))
            metadata.obj("props")


def check_export_params(params: Fields) -> str:
    """Validate ExportParams (§2.4); returns the export destination."""
    params = Fields(params.data, params.prefix, INVALID_EXPORT)
    dest = params.string("export_dest", choices=EXPORT_DESTS) or "DIR"
    for flag in ("clear_hard_property", "ratio_sample_usage", "clear_difficult"):
        params.boolean(flag)
    check_ratio(params, "train_sample_ratio", allow_number=True)
    params.string("sample_state", choices=SAMPLE_STATES)
    params.array("samples", items="string")
    check_conditions(params, "search_conditions")
    params.string("export_dataset_version_format", choices=VERSION_FORMATS)
    check_name(params, "export_dataset_version_name", max_len=32)
    check_name(params, "export_new_dataset_name", max_len=100, required=dest == "NEW_DATASET")
    work_path = params.string("export_new_dataset_work_path", required=dest == "NEW_DATASET", min_len=1)
    if work_path is not None and not work_path.startswith("/"):
        raise params.fail("export_new_dataset_work_path", 'expected an OBS path starting with "/"')
    return dest


def create(ctx: Ctx, dataset: Doc, body: Doc) -> str:
    fields = Fields(body, code=INVALID_EXPORT)
    path = fields.string("path")
    export_type = fields.integer("export_type", choices=(0, 1, 2, 3))
    fields.integer("export_format", choices=(1, 2))
    params = fields.obj("export_params")
    dest = check_export_params(params) if params is not None else "DIR"
    version_id = fields.string("version_id")
    fields.string("version_format", choices=VERSION_FORMATS)
    fields.string("annotation_format", choices=("VOC", "COCO"))
    state = fields.string("sample_state")
    sample_ids = fields.array("samples", items="string")
    check_conditions(fields, "search_conditions")
    fields.string("source_type_header", choices=("obs://", "s3://"))
    fields.boolean("with_column_header")
    fields.string("dataset_id")
    fields.integer("dataset_type")
    fields.integer("status")
    fields.string("task_id")
    if path is None and (dest == "DIR" or ctx.config.strict("export_path")):
        where = "to OBS" if dest == "DIR" else "to OBS or to a new dataset"
        raise errors.modelarts(400, "ModelArts.4358", f"Invalid export path: 'path' is required to export {where}.")
    if path is not None and not path.startswith("/"):
        raise errors.modelarts(
            400,
            "ModelArts.4358",
            f'Invalid export path {path[:100]!r}: expected an OBS path such as "/bucket/dir/".',
        )
    dataset_id = dataset["dataset_id"]
    source = ctx.tx.samples(dataset_id)
    if version_id is not None:
        version = ctx.tx.get("version", version_id)
        if version is None or version["dataset_id"] != dataset_id:
            raise errors.version_missing(version_id)
        snapshot = version["_labels"]
        present = set(version["_ids"])
        source = [
            dict(s, labels=snapshot.get(s["sample_id"], []), auto_labels=[])
            for s in source
            if s["sample_id"] in present
        ]
    params_data: Doc = dict(params.data) if params is not None else {}
    chosen = samples.select_samples(
        source,
        export_type=DEFAULT_EXPORT_TYPE if export_type is None else export_type,
        sample_state=state if state is not None else params_data.get("sample_state"),
        sample_ids=sample_ids or params_data.get("samples"),
        conditions=body.get("search_conditions") or params_data.get("search_conditions"),
    )
    task_id = ids.new_id()
    doc: Doc = {key: copy.deepcopy(body[key]) for key in ECHOED if body.get(key) is not None}
    doc.setdefault("export_type", DEFAULT_EXPORT_TYPE)
    doc.update(
        {
            "task_id": task_id,
            "dataset_id": dataset_id,
            "_start": ctx.now_ms,
            "_duration": int(ctx.config.export_seconds * 1000),
            "_selection": [[s["sample_id"], s["labels"]] for s in chosen],
            "_final": None,
        }
    )
    _save(ctx, doc)
    return task_id


def _save(ctx: Ctx, doc: Doc) -> None:
    due = None if doc["_final"] is not None else doc["_start"] + doc["_duration"]
    ctx.tx.put("export", doc["task_id"], doc, dataset_id=doc["dataset_id"], created_ms=doc["_start"], due_ms=due)


def get(ctx: Ctx, dataset_id: str, task_id: str) -> Doc:
    export = ctx.tx.get("export", task_id)
    if export is None or export["dataset_id"] != dataset_id:
        raise errors.export_missing(task_id, ctx.config.missing_task_status)
    return export


def _export_to_new_dataset(ctx: Ctx, export: Doc, at: int) -> tuple[str, str] | None:
    params = export.get("export_params") or {}
    name = params["export_new_dataset_name"]
    if datasets.find_by_name(ctx, name) is not None:
        return "ModelArts.4351", f"Dataset name {name} already exists."
    source = ctx.tx.get("dataset", export["dataset_id"])
    if source is None:
        return "ModelArts.4352", f"Dataset {export['dataset_id']} does not exist."
    new_id = ids.new_id()
    work_path = datasets.with_slash(params["export_new_dataset_work_path"])
    data_path = export.get("path") or work_path + "data/"
    dataset = datasets.new_dataset(
        dataset_id=new_id,
        name=name,
        dataset_type=source["dataset_type"],
        work_path=work_path,
        data_sources=[{"data_type": 0, "data_path": data_path}],
        labels=copy.deepcopy(source["labels"]),
        created_ms=at,
        description=f"Exported from dataset {source['dataset_name']} by export task {export['task_id']}.",
    )
    originals = ctx.tx.samples_by_id(export["dataset_id"], [sample_id for sample_id, _ in export["_selection"]])
    copies: list[Doc] = []
    for sample_id, labels in export["_selection"]:
        original = originals.get(sample_id)
        if original is None:
            continue
        copied = dict(original, labels=labels, auto_labels=[], hard=False, hard_coefficient=0.0, hard_reasons=[])
        copied["sample_id"] = ids.derived_hex32(new_id, "sample", sample_id)
        copied["created_ms"] = at
        copies.append(copied)
    datasets.insert(ctx, dataset, copies)
    return None


def settle(ctx: Ctx, export: Doc) -> None:
    at = export["_start"] + export["_duration"]
    failure = None
    if (export.get("export_params") or {}).get("export_dest") == "NEW_DATASET":
        failure = _export_to_new_dataset(ctx, export, at)
    if failure is None:
        export["_final"] = {"status": EXPORT_DONE, "at": at}
    else:
        export["_final"] = {
            "status": EXPORT_FAILED,
            "at": at,
            "error_code": failure[0],
            "error_msg": failure[1],
        }
    _save(ctx, export)


def view(ctx: Ctx, export: Doc) -> Doc:
    total = len(export["_selection"])
    final = export.get("_final")
    if final is not None:
        status, progress, updated = final["status"], 100.0, final["at"]
        if status == EXPORT_FAILED:
            progress = 0.0
    else:
        status, progress = export_status(export["_start"], export["_duration"], ctx.now_ms)
        updated = min(ctx.now_ms, export["_start"] + export["_duration"])
    result: Doc = {key: copy.deepcopy(export[key]) for key in ECHOED if key in export}
    finished = total if status == EXPORT_DONE else int(total * progress / 100)
    result.update(
        {
            "task_id": export["task_id"],
            "dataset_id": export["dataset_id"],
            "status": status,
            "progress": progress,
            "total_sample_count": total,
            "finished_sample_count": finished,
            "create_time": export["_start"],
            "update_time": updated,
        }
    )
    if final is not None and status == EXPORT_FAILED:
        result["error_code"] = final["error_code"]
        result["error_msg"] = final["error_msg"]
    if ctx.config.strict("echo_defaults"):
        result = {**ECHOED_DEFAULTS, **result}
        result["export_params"] = {**PARAMS_DEFAULTS, **(result.get("export_params") or {})}
    if ctx.config.strict("fields"):
        result = {key: value for key, value in result.items() if key in DOCUMENTED}
    return result
