"""Handlers of the ModelArts routes (/v2/{project_id}/...): parse the request, call the domain, answer.

Every handler runs inside one transaction with the request's virtual time (``Ctx``); the
authentication and the project check have already passed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pulumi_modelarts.emulator import datasets, errors, exports, ids, imports, samples, tasks, versions
from pulumi_modelarts.emulator.context import Ctx, Request, Response
from pulumi_modelarts.emulator.validate import (
    Fields,
    check_description,
    check_name,
    paginate,
    parse_json_body,
)

Doc = dict[str, Any]

DATA_TYPES = (0, 1, 2, 3, 4, 5, 6)
FILE_PREVIEWS = 4  # file_preview=true: up to 4 samples per dataset (NOTES §4.2)
VERSION_FORMAT_CODES = {0: "Default", 1: "CarbonData", 2: "CSV"}
AUTO_SAMPLES_DEFAULT_LIMIT, AUTO_SAMPLES_MAX_LIMIT = 10, 100  # documented: 1..100, default 10


def _no_content(ctx: Ctx) -> Response:
    """The answer of a call documented as 204 (the doc examples print ``{}``; --empty-answer 200)."""
    return Response(200, {}) if ctx.config.strict("empty_answer") else Response(204)


# --- datasets ---


def _label_defs(items: list[Fields], dataset_type: int) -> list[Doc]:
    labels: list[Doc] = []
    seen: set[str] = set()
    for item in items:
        name = item.string("name", required=True, min_len=1, max_len=1024)
        assert name is not None
        label_type = item.integer("type", choices=samples.LABEL_TYPES)
        prop = item.obj("property")
        attributes = item.array("attributes", items="object")
        if name in seen:
            raise item.fail("name", f"label {name!r} is given twice")
        seen.add(name)
        labels.append(
            {
                "name": name,
                "type": samples.label_type_for(dataset_type) if label_type is None else label_type,
                "property": dict(prop.data) if prop is not None else {},
                "attributes": attributes or [],
            }
        )
    return labels


def list_datasets(ctx: Ctx, req: Request) -> Response:
    query = req.query
    offset, limit = query.page(10, 100)
    search = query.raw("search_content")
    dataset_type = query.integer("dataset_type", None, 0, 10_000)
    order = query.choice("order", ("asc", "desc"), "desc")
    sort_by = query.choice("sort_by", ("create_time", "dataset_name"), "create_time")
    check_running = query.boolean("check_running_task")
    running_type = query.integer("running_task_type", None, 0, 7)
    contain_versions = query.boolean("contain_versions")
    with_labels = query.boolean("with_labels", False)
    file_preview = query.boolean("file_preview")
    query.boolean("support_export")  # every emulated dataset supports export
    query.choice("dataset_version", ("v1", "v2", "all"))  # every emulated dataset is of the v2 API
    workspace_id = query.raw("workspace_id") or None
    format_code = query.integer("version_format", None, 0, 2)
    ratio = _ratio_range(query.raw("train_evaluate_ratio"))
    items = ctx.tx.objects("dataset")
    if search:
        items = [d for d in items if search.lower() in d["dataset_name"].lower()]
    if dataset_type is not None:
        items = [d for d in items if d["dataset_type"] == dataset_type]
    if workspace_id is not None and workspace_id != "0":
        items = []  # every emulated dataset is in the default workspace "0"
    if format_code is not None or ratio is not None:
        version_format = None if format_code is None else VERSION_FORMAT_CODES[format_code]
        items = [
            d
            for d in items
            if versions.listing(ctx, d["dataset_id"], status=None, version_format=version_format, ratio=ratio)
        ]
    if sort_by == "dataset_name":
        items.sort(key=lambda d: d["dataset_name"], reverse=order == "desc")
    elif order == "asc":
        items.reverse()
    page = paginate(items, offset, limit)
    views = []
    for dataset in page:
        versions_view = None
        if contain_versions:
            versions_view = [versions.view(ctx, v, dataset) for v in ctx.tx.objects("version", dataset["dataset_id"])]
        views.append(
            datasets.view(
                ctx,
                dataset,
                check_running=check_running,
                running_task_type=running_type,
                with_labels=with_labels,
                versions=versions_view,
            )
        )
        if file_preview:
            previews = ctx.tx.samples(dataset["dataset_id"])[:FILE_PREVIEWS]
            views[-1]["samples"] = [{"url": s["source"], "create_time": s["created_ms"]} for s in previews]
    return Response(200, {"total_number": len(items), "datasets": views})


def create_dataset(ctx: Ctx, req: Request) -> Response:
    fields = Fields(parse_json_body(req.body))
    name = check_name(fields, "dataset_name", max_len=100, required=True)
    assert name is not None
    dataset_type = fields.integer("dataset_type", choices=datasets.DATASET_TYPES)
    dataset_type = 0 if dataset_type is None else dataset_type
    description = check_description(fields) or ""
    work_path = fields.string("work_path", required=True, min_len=1, max_len=1024)
    assert work_path is not None
    if not work_path.startswith("/"):
        raise fields.fail("work_path", 'expected an OBS path such as "/bucket/output/"')
    work_path_type = fields.integer("work_path_type", required=True, choices=(0,))
    sources = fields.objects("data_sources", required=True)
    if not sources:
        raise fields.fail("data_sources", "expected at least one data source")
    for source in sources:
        source.integer("data_type", choices=DATA_TYPES)
        source.string("data_path", max_len=1024)
        source.boolean("with_column_header")
        source.obj("source_info")
        source.array("schema_maps")
    labels = _label_defs(fields.objects("labels"), dataset_type)
    import_data = fields.boolean("import_data")
    fields.boolean("import_annotations")
    fields.string("workspace_id")
    fields.array("schema", items="object")
    fields.obj("label_format")
    if datasets.find_by_name(ctx, name) is not None:
        raise errors.modelarts(400, "ModelArts.4351", f"Dataset name {name} already exists.")
    dataset = datasets.new_dataset(
        dataset_id=ids.new_id(),
        name=name,
        dataset_type=dataset_type,
        work_path=work_path,
        data_sources=[dict(source.data) for source in sources],
        labels=labels,
        created_ms=ctx.now_ms,
        description=description,
        work_path_type=work_path_type or 0,
        import_data=bool(import_data),
    )
    sample_docs = datasets.synthesise_samples(dataset, ctx.config.samples_per_dataset, ctx.now_ms)
    datasets.insert(ctx, dataset, sample_docs)
    return Response(201, {"dataset_id": dataset["dataset_id"]})


def get_dataset(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    check_running = req.query.boolean("check_running_task")
    running_type = req.query.integer("running_task_type", None, 0, 7)
    return Response(200, datasets.view(ctx, dataset, check_running=check_running, running_task_type=running_type))


def update_dataset(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    fields = Fields(parse_json_body(req.body))
    name = check_name(fields, "dataset_name", max_len=100)
    description = check_description(fields)
    added = _label_defs(fields.objects("add_labels"), dataset["dataset_type"])
    removed = {item.string("name", required=True) for item in fields.objects("delete_labels")}
    if name is not None and name != dataset["dataset_name"]:
        other = datasets.find_by_name(ctx, name)
        if other is not None:
            raise errors.modelarts(400, "ModelArts.4351", f"Dataset name {name} already exists.")
        dataset["dataset_name"] = name
    if description is not None:
        dataset["description"] = description
    known = {label["name"] for label in dataset["labels"]}
    dataset["labels"].extend(label for label in added if label["name"] not in known)
    if removed:
        dataset["labels"] = [label for label in dataset["labels"] if label["name"] not in removed]
        changed = []
        for sample in ctx.tx.samples(dataset["dataset_id"]):
            kept = [label for label in sample["labels"] if label.get("name") not in removed]
            kept_auto = [label for label in sample["auto_labels"] if label.get("name") not in removed]
            if kept != sample["labels"] or kept_auto != sample["auto_labels"]:
                sample["labels"], sample["auto_labels"] = kept, kept_auto
                changed.append(sample)
        ctx.tx.save_samples(dataset["dataset_id"], changed)
    dataset["update_time"] = ctx.now_ms
    datasets.save(ctx, dataset)
    return Response(200, {"dataset_id": dataset["dataset_id"]})


def delete_dataset(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    datasets.delete(ctx, dataset)
    return _no_content(ctx)


# --- intelligent tasks ---


def create_task(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    task_id = tasks.create(ctx, dataset, parse_json_body(req.body, required=False))
    return Response(200, {"task_id": task_id})


def list_tasks(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    offset, limit = req.query.page(10, 100)
    task_type = req.query.choice("type", tasks.TASK_TYPES)
    task_name = req.query.raw("task_name")
    found = tasks.listing(ctx, dataset["dataset_id"], task_type, task_name or None)
    views = [tasks.view(ctx, task, listed=True) for task in paginate(found, offset, limit)]
    return Response(200, {"tasks": views, "total_count": len(found), "exist_running_deploy_task": False})


def get_task(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    return Response(200, tasks.view(ctx, tasks.get(ctx, dataset["dataset_id"], req.params["task_id"])))


def stop_task(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    tasks.stop(ctx, tasks.get(ctx, dataset["dataset_id"], req.params["task_id"]))
    return _no_content(ctx)


# --- export tasks ---


def create_export(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    body = parse_json_body(req.body, code=errors.INVALID_EXPORT)
    return Response(200, {"task_id": exports.create(ctx, dataset, body)})


def _task_page(ctx: Ctx, req: Request, found: list[Doc], view: Callable[[Ctx, Doc], Doc], key: str) -> Response:
    """One page of export or import tasks: ``limit`` 1..100 (default 10), ``offset`` a page index."""
    offset, limit = req.query.page(10, 100)
    return Response(200, {"total_count": len(found), key: [view(ctx, item) for item in paginate(found, offset, limit)]})


def list_exports(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    export_type = req.query.integer("export_type", None, 0, 3)
    found = ctx.tx.objects("export", dataset["dataset_id"])
    if export_type is not None:
        found = [e for e in found if e.get("export_type") == export_type]
    return _task_page(ctx, req, found, exports.view, "export_tasks")


def get_export(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    return Response(200, exports.view(ctx, exports.get(ctx, dataset["dataset_id"], req.params["task_id"])))


# --- import tasks ---


def create_import(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    body = parse_json_body(req.body, code=errors.INVALID_IMPORT)
    return Response(200, {"task_id": imports.create(ctx, dataset, body)})


def list_imports(ctx: Ctx, req: Request) -> Response:
    """Newest first (the order is not documented)."""
    dataset = datasets.get(ctx, req.params["dataset_id"])
    return _task_page(ctx, req, ctx.tx.objects(imports.KIND, dataset["dataset_id"]), imports.view, "import_tasks")


def get_import(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    return Response(200, imports.answer(ctx, dataset["dataset_id"], req.params["task_id"]))


# --- versions ---


def _ratio_range(text: str | None) -> tuple[float, float] | None:
    if text is None or text == "":
        return None
    parts = text.split(",")
    try:
        low, high = (float(part) for part in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        low = high = None
    if low is None or high is None or not 0.0 <= low <= high <= 1.0:
        raise errors.invalid("train_evaluate_ratio", f'expected "min,max" with 0 <= min <= max <= 1, got {text[:40]!r}')
    return low, high


def list_versions(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    offset, limit = req.query.page(1000, 1000)
    status = req.query.integer("status", None, 0, 4)
    format_code = req.query.integer("version_format", None, 0, 2)
    ratio = _ratio_range(req.query.raw("train_evaluate_ratio"))
    found = versions.listing(
        ctx,
        dataset["dataset_id"],
        status=status,
        version_format=None if format_code is None else VERSION_FORMAT_CODES[format_code],
        ratio=ratio,
    )
    views = [versions.view(ctx, v, dataset) for v in paginate(found, offset, limit)]
    return Response(200, {"total_number": len(found), "versions": views})


def create_version(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    version_id = versions.create(ctx, dataset, parse_json_body(req.body, required=False))
    return Response(201, {"version_id": version_id})


def get_version(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    version = versions.get(ctx, dataset["dataset_id"], req.params["version_id"])
    return Response(200, versions.view(ctx, version, dataset))


def delete_version(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    versions.delete(ctx, dataset, versions.get(ctx, dataset["dataset_id"], req.params["version_id"]))
    return _no_content(ctx)


# --- samples (seed 001) ---


def _search_conditions(text: str | None) -> list[Doc]:
    """``search_conditions``: a JSON list of SearchCondition objects (or one object), URL-encoded."""
    if text is None or text == "":
        return []
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise errors.invalid("search_conditions", "expected a JSON list of search condition objects")
    conditions = [dict(item) for item in value]
    exports.check_conditions(Fields({"search_conditions": conditions}), "search_conditions")
    return conditions


def list_auto_annotations(ctx: Ctx, req: Request) -> Response:
    """Proposed labels not yet confirmed, filtered as documented (NOTES §10.8), newest first by default.

    ``process_parameter`` (image processing of previews) is accepted and has no effect here."""
    dataset = datasets.get(ctx, req.params["dataset_id"])
    query = req.query
    offset, limit = query.page(AUTO_SAMPLES_DEFAULT_LIMIT, AUTO_SAMPLES_MAX_LIMIT)
    high_score = query.fraction("high_score", 1.0)
    low_score = query.fraction("low_score", 0.0)
    label_name = query.raw("label_name") or None
    label_type = query.integer("label_type", None, 0, 10_000)
    order = query.choice("order", ("asc", "desc"), "desc")
    conditions = _search_conditions(query.raw("search_conditions"))
    if low_score > high_score:
        raise errors.invalid("low_score", f"must not be above high_score ({high_score:g})")
    dataset_id = dataset["dataset_id"]
    if (low_score, high_score, label_name, label_type, conditions) == (0.0, 1.0, None, None, []):
        # no filter: page in SQL (the common case, and the one large datasets need to be fast)
        page = ctx.tx.unconfirmed_page(dataset_id, offset=offset * limit, limit=limit, newest_first=order == "desc")
        total = ctx.tx.sample_counts(dataset_id)[2]
    else:
        found = samples.filter_auto(
            ctx.tx.samples(dataset_id, unconfirmed_only=True),
            low_score=low_score,
            high_score=high_score,
            label_name=label_name,
            label_type=label_type,
            conditions=conditions,
        )
        if order == "desc":
            found.reverse()
        page, total = paginate(found, offset, limit), len(found)
    count = len(page) if ctx.config.strict("sample_count") else total
    return Response(200, {"sample_count": count, "samples": [samples.sample_view(s, auto=True) for s in page]})


def _sample_label(item: Fields, dataset_type: int) -> Doc:
    name = item.string("name", required=True, min_len=1, max_len=1024)
    label_type = item.integer("type", choices=samples.LABEL_TYPES)
    prop = item.obj("property")
    label: Doc = {
        "name": name,
        "type": samples.label_type_for(dataset_type) if label_type is None else label_type,
        "property": dict(prop.data) if prop is not None else {},
    }
    label_id = item.string("id")
    if label_id is not None:
        label["id"] = label_id
    score = item.number("score")
    if score is not None:
        label["score"] = score
    annotated_by = item.string("annotated_by")
    if annotated_by is not None:
        label["annotated_by"] = annotated_by
    return label


def update_sample_labels(ctx: Ctx, req: Request) -> Response:
    dataset = datasets.get(ctx, req.params["dataset_id"])
    dataset_id = dataset["dataset_id"]
    fields = Fields(parse_json_body(req.body))
    updates: dict[str, list[Doc]] = {}
    for item in fields.objects("samples", required=True):
        sample_id = item.string("sample_id", required=True, min_len=1)
        assert sample_id is not None
        item.obj("metadata")
        item.integer("sample_type")
        for key in ("source", "sample_usage", "worker_id"):
            item.string(key)
        updates[sample_id] = [_sample_label(label, dataset["dataset_type"]) for label in item.objects("labels")]
    if ctx.config.strict("release_locks") and datasets.releasing(ctx, dataset_id):
        raise errors.modelarts(400, "ModelArts.4381", "Dataset is publishing, annotation is forbidden.")
    found = ctx.tx.samples_by_id(dataset_id, updates)
    missing = [sample_id for sample_id in updates if sample_id not in found]
    if missing and not ctx.config.strict("label_update_errors"):
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise errors.invalid("samples", f"sample(s) {shown} do not exist in dataset {dataset_id}")
    known = {label["name"] for label in dataset["labels"]}
    for sample_id, labels in updates.items():
        if sample_id not in found:
            continue
        sample = found[sample_id]
        sample["labels"] = labels
        sample["auto_labels"] = []
        for label in labels:
            if label["name"] not in known:
                known.add(label["name"])
                dataset["labels"].append(
                    {"name": label["name"], "type": label["type"], "property": {}, "attributes": []}
                )
    ctx.tx.save_samples(dataset_id, found.values())
    dataset["data_update_time"] = ctx.now_ms
    dataset["update_time"] = ctx.now_ms
    datasets.save(ctx, dataset)
    if missing:  # --label-update-errors partial: the known samples were updated
        results = [
            {"sample_id": sample_id, "success": False, "error_code": errors.INVALID, "error_msg": "Sample not found."}
            for sample_id in missing
        ]
        message = f"{len(missing)} of {len(updates)} samples were not updated."
        return Response(200, {"success": False, "error_code": errors.INVALID, "error_msg": message, "results": results})
    return Response(200, {"success": True})
