"""Demo data (``--seed demo``) and seed files (``--seed FILE.json``).

A seed file is a JSON object of this shape (every field but ``name`` is optional)::

    {"datasets": [
      {"name": "flowers",                     # dataset name, 1-100 of A-Z a-z 0-9 _ -
       "dataset_type": 0,                     # 0 image classification, 1 object detection, 100 text ...
       "description": "Demo flowers",
       "work_path": "/demo-bucket/flowers/output/",   # default /demo-bucket/<name>/output/
       "data_path": "/demo-bucket/flowers/input/",    # default /demo-bucket/<name>/input/
       "labels": ["rose", "daisy", "tulip"],  # names, or label objects {"name", "type", "property"}
       "samples": 120,                        # number of samples
       "labelled": {"rose": 15, "daisy": 15, "tulip": 15},  # per label, or a total spread round-robin
       "age_seconds": 259200,                 # how long ago the dataset was created (default 3 days)
       "versions": [                          # released versions, oldest first; the last is current
         {"name": "V001", "annotated": 30, "age_seconds": 172800, "description": "",
          "train_evaluate_sample_ratio": "1.00"}]}]}

``annotated`` is how many of the labelled samples (in order) were labelled when the version was
released (default: all of them). Ids are derived from the names, so they are the same in every run.
A dataset is seeded once per database: restarting with the same ``--db`` does not seed it again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pulumi_modelarts.emulator import datasets, ids, samples, versions
from pulumi_modelarts.emulator.context import Ctx
from pulumi_modelarts.emulator.validate import NAME_RE

Doc = dict[str, Any]

DAY = 86400
COLORS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6", "#bcf60c")

DEMO: Doc = {
    "datasets": [
        {
            "name": "flowers",
            "dataset_type": 0,
            "description": "Demo image classification dataset",
            "work_path": "/demo-bucket/flowers/output/",
            "data_path": "/demo-bucket/flowers/input/",
            "labels": ["rose", "daisy", "tulip"],
            "samples": 120,
            "labelled": {"rose": 15, "daisy": 15, "tulip": 15},
            "age_seconds": 3 * DAY,
            "versions": [
                {"name": "V001", "annotated": 30, "age_seconds": 2 * DAY},
                {"name": "V002", "age_seconds": 1 * DAY},
            ],
        },
        {
            "name": "pets-detection",
            "dataset_type": 1,
            "description": "Demo object detection dataset",
            "work_path": "/demo-bucket/pets-detection/output/",
            "data_path": "/demo-bucket/pets-detection/input/",
            "labels": ["cat", "dog"],
            "samples": 80,
            "labelled": {"cat": 15, "dog": 15},
            "age_seconds": 3 * DAY,
            "versions": [{"name": "V001", "age_seconds": 2 * DAY}],
        },
        {
            "name": "support-tickets",
            "dataset_type": 100,
            "description": "Demo text classification dataset",
            "work_path": "/demo-bucket/support-tickets/output/",
            "data_path": "/demo-bucket/support-tickets/input/",
            "labels": ["billing", "bug", "feature"],
            "samples": 60,
            "labelled": 60,
            "age_seconds": 5 * DAY,
            "versions": [
                {"name": "V001", "annotated": 30, "age_seconds": 4 * DAY},
                {"name": "V002", "annotated": 45, "age_seconds": 3 * DAY},
                {"name": "V003", "age_seconds": 2 * DAY},
            ],
        },
    ]
}


class SeedError(ValueError):
    """The seed file cannot be used; the message says where."""


def load(spec: str) -> Doc:
    if spec == "demo":
        return DEMO
    try:
        data = json.loads(Path(spec).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SeedError(f"cannot read seed file {spec}: {exc.strerror}") from None
    except ValueError as exc:
        raise SeedError(f"seed file {spec} is not valid JSON: {exc}") from None
    check(data, spec)
    result: Doc = data
    return result


def _fail(where: str, message: str) -> SeedError:
    return SeedError(f"{where}: {message}")


def check(data: Any, where: str = "seed") -> None:
    if not isinstance(data, dict) or not isinstance(data.get("datasets"), list):
        raise _fail(where, 'expected {"datasets": [...]}')
    names: set[str] = set()
    for index, item in enumerate(data["datasets"]):
        at = f"{where}: datasets[{index}]"
        if not isinstance(item, dict):
            raise _fail(at, "expected an object")
        name = item.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name) or len(name) > 100:
            raise _fail(at, "'name' must be 1-100 characters from A-Z a-z 0-9 _ -")
        if name in names:
            raise _fail(at, f"dataset name {name!r} is given twice (dataset names are unique)")
        names.add(name)
        for key in ("samples", "dataset_type", "age_seconds"):
            if key in item and (isinstance(item[key], bool) or not isinstance(item[key], int) or item[key] < 0):
                raise _fail(at, f"{key!r} must be a non-negative integer")
        labels = item.get("labels", [])
        if not isinstance(labels, list) or not all(
            isinstance(label, str) or (isinstance(label, dict) and isinstance(label.get("name"), str))
            for label in labels
        ):
            raise _fail(at, "'labels' must be a list of names or of objects with a 'name'")
        labelled = item.get("labelled", 0)
        if not (isinstance(labelled, int) and not isinstance(labelled, bool)) and not (
            isinstance(labelled, dict)
            and all(isinstance(v, int) and not isinstance(v, bool) for v in labelled.values())
        ):
            raise _fail(at, "'labelled' must be an integer or an object of label name to integer")
        total = item.get("samples", 0)
        count = sum(labelled.values()) if isinstance(labelled, dict) else labelled
        if count < 0 or (isinstance(labelled, dict) and any(v < 0 for v in labelled.values())):
            raise _fail(at, "'labelled' must not be negative")
        if count > total:
            raise _fail(at, f"'labelled' ({count}) is more than 'samples' ({total})")
        for v_index, version in enumerate(item.get("versions", [])):
            if not isinstance(version, dict) or not isinstance(version.get("name", "V"), str):
                raise _fail(f"{at}.versions[{v_index}]", "expected an object with a string 'name'")


def _label_defs(item: Doc, dataset_type: int) -> list[Doc]:
    defs = []
    for index, label in enumerate(item.get("labels", [])):
        spec = {"name": label} if isinstance(label, str) else dict(label)
        defs.append(
            {
                "name": spec["name"],
                "type": spec.get("type", samples.label_type_for(dataset_type)),
                "property": spec.get("property") or {"@modelarts:color": COLORS[index % len(COLORS)]},
                "attributes": spec.get("attributes") or [],
            }
        )
    return defs


def _assignments(item: Doc, names: list[str], count: int) -> list[str]:
    """The label of each labelled sample, in sample order."""
    labelled = item.get("labelled", 0)
    if isinstance(labelled, dict):
        # interleaved (rose, daisy, tulip, rose, ...) so that older versions hold every label
        remaining = {name: int(labelled.get(name, 0)) for name in names if name in labelled}
        remaining.update({name: int(n) for name, n in labelled.items() if name not in remaining})
        order: list[str] = []
        while any(n > 0 for n in remaining.values()):
            for name in remaining:
                if remaining[name] > 0:
                    order.append(name)
                    remaining[name] -= 1
        return order[:count]
    if not names:
        return []
    return [names[index % len(names)] for index in range(min(labelled, count))]


def _seed_dataset(ctx: Ctx, item: Doc) -> None:
    name = item["name"]
    dataset_type = item.get("dataset_type", 0)
    dataset_id = ids.derived_id("dataset", name)
    created = ctx.now_ms - int(item.get("age_seconds", 3 * DAY) * 1000)
    work_path = item.get("work_path") or f"/demo-bucket/{name}/output/"
    data_path = item.get("data_path") or f"/demo-bucket/{name}/input/"
    labels = _label_defs(item, dataset_type)
    dataset = datasets.new_dataset(
        dataset_id=dataset_id,
        name=name,
        dataset_type=dataset_type,
        work_path=work_path,
        data_sources=[{"data_type": 0, "data_path": data_path}],
        labels=labels,
        created_ms=created,
        description=item.get("description", ""),
        import_data=True,
    )
    docs = datasets.synthesise_samples(dataset, item.get("samples", 0), created)
    types = {label["name"]: label["type"] for label in labels}
    assigned = _assignments(item, [label["name"] for label in labels], len(docs))
    for sample, label_name in zip(docs, assigned, strict=False):
        sample["labels"] = [samples.make_label(sample, label_name, types.get(label_name, 0))]
    datasets.insert(ctx, dataset, docs)
    labelled_count = len(assigned)
    for number, spec in enumerate(item.get("versions", []), start=1):
        version_name = spec.get("name") or f"V{number:03d}"
        annotated = min(int(spec.get("annotated", labelled_count)), labelled_count)
        at = ctx.now_ms - int(spec.get("age_seconds", DAY) * 1000)
        view_of_then = [dict(sample, labels=[]) if index >= annotated else sample for index, sample in enumerate(docs)]
        doc = versions.build(
            ctx,
            dataset,
            version_id=ids.derived_id("version", name, version_name),
            name=version_name,
            created_ms=at,
            ready_ms=at + 1000,
            options={
                "description": spec.get("description", ""),
                "train_evaluate_sample_ratio": spec.get("train_evaluate_sample_ratio", "1.00"),
            },
            current=view_of_then,
        )
        doc["_final"] = True
        versions.save(ctx, doc)
        dataset["current_version_id"] = doc["version_id"]
        dataset["current_version_name"] = version_name
        dataset["next_version_num"] = number + 1
        dataset["last_release_ms"] = at
    datasets.save(ctx, dataset)


def apply(ctx: Ctx, data: Doc) -> list[str]:
    """Seed every dataset not seeded into this database before; returns the names seeded now."""
    seeded = []
    for item in data["datasets"]:
        key = f"seed:{item['name']}"
        if ctx.tx.get_meta(key) is not None or datasets.find_by_name(ctx, item["name"]) is not None:
            continue
        _seed_dataset(ctx, item)
        ctx.tx.set_meta(key, str(ctx.now_ms))
        seeded.append(item["name"])
    return seeded
