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

``obs`` (optional, next to ``datasets``) is what import tasks find in OBS (``obs.py``)::

    "obs": [
      {"path": "/demo-bucket/pets-detection/raw/batch-01/", "files": 20, "type": "image"},  # a folder
      {"path": "/demo-bucket/pets-detection/labelled/batch-01.manifest", "files": 10,      # a manifest
       "labels": {"cat": 5, "dog": 5}, "hard": 2}]

``type`` is ``image`` (the default), ``text`` or ``audio``; a manifest's files are in the folder of its
name (``.../labelled/batch-01/``), labelled per ``labels`` (interleaved), the first ``hard`` of them hard
examples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pulumi_modelarts.emulator import datasets, ids, obs, samples, versions
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
    ],
    # New pet images waiting in OBS to be imported into pets-detection: a first raw batch, a second one
    # for the "second batch" walk-through, and a labelled batch with its manifest.
    "obs": [
        {"path": "/demo-bucket/pets-detection/raw/batch-01/", "files": 20, "type": "image"},
        {"path": "/demo-bucket/pets-detection/raw/batch-02/", "files": 12, "type": "image"},
        {
            "path": "/demo-bucket/pets-detection/labelled/batch-01.manifest",
            "files": 10,
            "type": "image",
            "labels": {"cat": 5, "dog": 5},
            "hard": 2,
        },
    ],
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
    entries = data.get("obs", [])
    if not isinstance(entries, list):
        raise _fail(where, "'obs' must be a list of folders and manifests")
    for index, entry in enumerate(entries):
        _check_obs(entry, f"{where}: obs[{index}]")


def _count(entry: Any, key: str, at: str) -> int:
    value = entry.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(at, f"{key!r} must be a non-negative integer")
    return value


def _check_obs(entry: Any, at: str) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        raise _fail(at, "expected an object with a string 'path'")
    path = obs.normalize(entry["path"])
    manifest = entry["path"].endswith(obs.MANIFEST_SUFFIX)
    if path is None or not (path.endswith("/") or manifest) or path.count("/") < 2:
        raise _fail(at, "'path' must be an OBS folder (/bucket/dir/) or manifest (/bucket/name.manifest)")
    files = _count(entry, "files", at)
    if entry.get("type", "image") not in obs.FILE_TYPES:
        raise _fail(at, f"'type' must be one of {', '.join(obs.FILE_TYPES)}")
    labels = entry.get("labels", {})
    if (labels or "hard" in entry) and not manifest:
        raise _fail(at, "'labels' and 'hard' are for manifests only")
    if not isinstance(labels, dict) or not all(isinstance(name, str) and name for name in labels):
        raise _fail(at, "'labels' must be an object of label name to integer")
    counted = sum(_count(labels, name, at) for name in labels)
    if counted > files or _count(entry, "hard", at) > files:
        raise _fail(at, f"'labels' and 'hard' must not count more than 'files' ({files})")


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
        # interleaved so that older versions hold every label, in the order of the dataset's labels
        ordered = {name: int(labelled.get(name, 0)) for name in names if name in labelled}
        ordered.update({name: int(n) for name, n in labelled.items() if name not in ordered})
        return samples.interleave(ordered)[:count]
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
    """Seed every dataset and OBS entry not seeded into this database before; returns the dataset names
    seeded now."""
    seeded = []
    for item in data["datasets"]:
        key = f"seed:{item['name']}"
        if ctx.tx.get_meta(key) is not None or datasets.find_by_name(ctx, item["name"]) is not None:
            continue
        _seed_dataset(ctx, item)
        ctx.tx.set_meta(key, str(ctx.now_ms))
        seeded.append(item["name"])
    for entry in data.get("obs", []):
        key = f"seed-obs:{entry['path']}"
        if ctx.tx.get_meta(key) is None:
            obs.put(ctx, entry)
            ctx.tx.set_meta(key, str(ctx.now_ms))
    return seeded
