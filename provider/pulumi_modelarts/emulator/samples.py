"""Samples: synthesis, deterministic auto-annotation, selection for exports, label statistics, views.

A stored sample holds ``labels`` (confirmed) and ``auto_labels`` (proposed by an intelligent task and
not yet confirmed). A sample is *labelled* when it has labels and *unconfirmed* when it only has
auto labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_modelarts.emulator import ids

Doc = dict[str, Any]

LABEL_TYPES = (0, 1, 3, 100, 101, 102, 103, 200, 201, 202, 600)
IMAGE_TYPES = (0, 1, 3)
HARD_SHARE = 0.15

_SAMPLE_TYPES = {0: 0, 1: 0, 3: 0, 100: 1, 101: 1, 102: 1, 200: 2, 201: 2, 202: 2, 400: 4, 600: 6, 900: 9}
_EXTENSIONS = {0: ".jpg", 1: ".txt", 2: ".wav", 4: ".csv", 6: ".mp4", 9: ".bin"}
_STEMS = {0: "IMG", 1: "text", 2: "audio", 4: "table", 6: "video", 9: "file"}


def sample_type_for(dataset_type: int) -> int:
    return _SAMPLE_TYPES.get(dataset_type, 9)


def label_type_for(dataset_type: int) -> int:
    return dataset_type if dataset_type in LABEL_TYPES else 0


def file_name(sample_type: int, index: int) -> str:
    """The name of the ``index``-th file of a kind, e.g. ``IMG_00007.jpg``."""
    return f"{_STEMS[sample_type]}_{index:05d}{_EXTENSIONS[sample_type]}"


def sample_type_of(name: str) -> int | None:
    """The sample type of a file by its extension (None for a file no dataset imports)."""
    for sample_type, extension in _EXTENSIONS.items():
        if name.endswith(extension):
            return sample_type
    return None


def interleave(counts: Mapping[str, int]) -> list[str]:
    """One name per count, interleaved (rose, daisy, tulip, rose, ...) so that any prefix holds every name."""
    remaining = {name: int(count) for name, count in counts.items()}
    order: list[str] = []
    while any(count > 0 for count in remaining.values()):
        for name in remaining:
            if remaining[name] > 0:
                order.append(name)
                remaining[name] -= 1
    return order


def _bucket_and_key(data_path: str, name: str) -> tuple[str, str]:
    parts = [part for part in data_path.split("/") if part]
    bucket = parts[0] if parts else "emulator-bucket"
    key = "/".join([*parts[1:], name])
    return bucket, key


def make_sample(dataset_id: str, index: int, dataset_type: int, data_path: str, created_ms: int) -> Doc:
    """An unlabelled sample whose id and attributes depend only on the dataset id and the index."""
    sample_type = sample_type_for(dataset_type)
    bucket, key = _bucket_and_key(data_path, file_name(sample_type, index))
    return file_sample(ids.derived_hex32(dataset_id, "sample", str(index)), sample_type, bucket, key, created_ms)


def file_sample(sample_id: str, sample_type: int, bucket: str, key: str, created_ms: int) -> Doc:
    """An unlabelled sample of the OBS file ``bucket``/``key``."""
    doc: Doc = {
        "sample_id": sample_id,
        "sample_type": sample_type,
        "name": key.rsplit("/", 1)[-1],
        "source": f"https://{bucket}.obs.emulator.invalid/{key}",
        "origin": f"s3://{bucket}/{key}",
        "created_ms": created_ms,
        "labels": [],
        "auto_labels": [],
        "hard": False,
        "hard_coefficient": 0.0,
        "hard_reasons": [],
    }
    if sample_type == 0:
        width = 200 + int(ids.fraction(sample_id, "width") * 600)
        height = 150 + int(ids.fraction(sample_id, "height") * 450)
        doc["size"] = [width, height, 3]
    return doc


def _box(sample: Doc, salt: str) -> list[list[int]]:
    width, height = (sample.get("size") or [640, 480])[:2]
    x1 = int(ids.fraction(sample["sample_id"], salt, "x") * width * 0.5)
    y1 = int(ids.fraction(sample["sample_id"], salt, "y") * height * 0.5)
    x2 = x1 + max(1, int(width * (0.2 + 0.3 * ids.fraction(sample["sample_id"], salt, "w"))))
    y2 = y1 + max(1, int(height * (0.2 + 0.3 * ids.fraction(sample["sample_id"], salt, "h"))))
    return [[x1, y1], [min(x2, width), min(y2, height)]]


def make_label(sample: Doc, name: str, label_type: int) -> Doc:
    """A confirmed label as a person would have drawn it."""
    label: Doc = {"name": name, "type": label_type, "property": {}}
    if label_type == 1:
        label["property"] = {"@modelarts:shape": "bndbox", "@modelarts:feature": _box(sample, name)}
    return label


def auto_annotate(sample: Doc, labels: Sequence[Mapping[str, Any]], dataset_type: int) -> None:
    """Propose one of the dataset's labels; choice, score and hardness depend only on the sample id."""
    if not labels:
        return
    sample_id = sample["sample_id"]
    chosen = labels[int(ids.fraction(sample_id, "label") * len(labels)) % len(labels)]
    score = round(0.3 + 0.7 * ids.fraction(sample_id, "score"), 4)
    hard = ids.fraction(sample_id, "hard") < HARD_SHARE
    coefficient = round(0.6 + 0.4 * ids.fraction(sample_id, "coefficient"), 3) if hard else 0.0
    reasons = sorted({int(ids.fraction(sample_id, "reason", str(n)) * 31) for n in range(2)}) if hard else []
    label_type = label_type_for(dataset_type)
    label_type = chosen.get("type", label_type) if isinstance(chosen.get("type"), int) else label_type
    proposal: Doc = {
        "name": chosen["name"],
        "type": label_type,
        "id": "1",
        "property": {
            "@modelarts:hard_coefficient": str(coefficient),
            "@modelarts:hard": "true" if hard else "false",
        },
        "score": score,
    }
    if label_type == 1:
        proposal["property"]["@modelarts:shape"] = "bndbox"
        proposal["property"]["@modelarts:feature"] = _box(sample, "auto")
    sample["auto_labels"] = [proposal]
    sample["hard"] = hard
    sample["hard_coefficient"] = coefficient
    sample["hard_reasons"] = reasons


def sample_view(sample: Doc, *, auto: bool = False) -> Doc:
    """A sample as the sample endpoints answer it (``auto``: show the proposed labels)."""
    metadata: Doc = {
        "@modelarts:import_origin": 0,
        "@modelarts:origin_source": sample["origin"],
        "@modelarts:new_source": sample["origin"],
        "@modelarts:origin_source_id": sample["sample_id"],
        "@modelarts:source_image_info": sample["source"],
        "@modelarts:data_checked": True,
        "@modelarts:hard": bool(sample.get("hard")),
        "@modelarts:hard_coefficient": sample.get("hard_coefficient", 0.0),
        "@modelarts:hard_reasons": list(sample.get("hard_reasons", [])),
    }
    if "size" in sample:
        metadata["@modelarts:size"] = list(sample["size"])
    labels = sample["auto_labels"] if auto else sample["labels"]
    if sample["labels"]:
        status = "ALL"
    elif sample["auto_labels"]:
        status = "UN_ANNOTATION"
    else:
        status = "NONE"
    return {
        "sample_id": sample["sample_id"],
        "sample_type": sample["sample_type"],
        "labels": labels,
        "source": sample["source"],
        "preview": sample["source"],
        "metadata": metadata,
        "sample_time": sample["created_ms"],
        "sample_status": "UN_ANNOTATION" if auto else status,
        "annotated_by": "",
    }


def label_stats(label_defs: Sequence[Mapping[str, Any]], labelled: Iterable[Sequence[Mapping[str, Any]]]) -> list[Doc]:
    """Per dataset label: instances (``count``) and samples carrying it (``sample_count``)."""
    counts: dict[str, int] = {}
    sample_counts: dict[str, int] = {}
    for labels in labelled:
        seen: set[str] = set()
        for label in labels:
            name = str(label.get("name", ""))
            counts[name] = counts.get(name, 0) + 1
            seen.add(name)
        for name in seen:
            sample_counts[name] = sample_counts.get(name, 0) + 1
    return [
        {
            "name": label["name"],
            "type": label.get("type", 0),
            "property": dict(label.get("property") or {}),
            "count": counts.get(label["name"], 0),
            "sample_count": sample_counts.get(label["name"], 0),
            "attributes": list(label.get("attributes") or []),
        }
        for label in label_defs
    ]


# --- selection for export tasks ---

_STATE_FILTERS = {
    "__ALL__": lambda s: bool(s["labels"]),
    "__NONE__": lambda s: not s["labels"],
    "__AUTO_ANNOTATION__": lambda s: not s["labels"] and bool(s["auto_labels"]),
    "__UNCHECK__": lambda s: not s["labels"] and bool(s["auto_labels"]),
}


def _label_names(sample: Doc) -> set[str]:
    return {str(label.get("name")) for label in sample["labels"]}


def _matches_condition(sample: Doc, condition: Mapping[str, Any]) -> bool:
    label_list = condition.get("label_list")
    if isinstance(label_list, dict):
        wanted = [
            str(item.get("name"))
            for item in label_list.get("labels") or []
            if isinstance(item, dict) and item.get("name")
        ]
        if wanted:
            names = _label_names(sample)
            hits = [name in names for name in wanted]
            if not (all(hits) if label_list.get("op") == "AND" else any(hits)):
                return False
    hard = condition.get("hard")
    if hard in ("0", "1") and bool(sample.get("hard")) != (hard == "1"):
        return False
    sample_name = condition.get("sample_name")
    if isinstance(sample_name, str) and sample_name and sample_name != sample["name"]:
        return False
    sample_dir = condition.get("sample_dir")
    if isinstance(sample_dir, str) and sample_dir:
        directory = "/" + str(sample["origin"]).split("://", 1)[-1].rsplit("/", 1)[0] + "/"
        return directory == sample_dir or directory.endswith(sample_dir)
    return True


def select_samples(
    samples: Sequence[Doc],
    *,
    export_type: int,
    sample_state: str | None,
    sample_ids: Sequence[str] | None,
    conditions: Sequence[Mapping[str, Any]] | None,
) -> list[Doc]:
    """export_type 0 labelled, 1 unlabelled, 2 all, 3 search (state, ids and OR-ed conditions)."""
    if export_type == 0:
        return [s for s in samples if s["labels"]]
    if export_type == 1:
        return [s for s in samples if not s["labels"]]
    if export_type == 2:
        return list(samples)
    chosen = list(samples)
    state = sample_state or ""
    state_filter = _STATE_FILTERS.get(state if state.startswith("__") or not state else f"__{state}__")
    if state_filter is not None:
        chosen = [s for s in chosen if state_filter(s)]
    if sample_ids:
        wanted = set(sample_ids)
        chosen = [s for s in chosen if s["sample_id"] in wanted]
    if conditions:
        chosen = [s for s in chosen if any(_matches_condition(s, c) for c in conditions)]
    return chosen


# --- the auto-annotation sample list (GET .../auto-annotations/samples) ---


def _auto_score(sample: Doc) -> float:
    scores = [float(label.get("score", 0.0)) for label in sample["auto_labels"]]
    return max(scores, default=0.0)


def filter_auto(
    unconfirmed: Sequence[Doc],
    *,
    low_score: float,
    high_score: float,
    label_name: str | None,
    label_type: int | None,
    conditions: Sequence[Mapping[str, Any]],
) -> list[Doc]:
    """The documented filters: proposal score within [low, high], label name and type, and search
    conditions (OR-ed, matched against the proposed labels)."""
    chosen = []
    for sample in unconfirmed:
        if not low_score <= _auto_score(sample) <= high_score:
            continue
        proposed = sample["auto_labels"]
        if label_name is not None and all(label.get("name") != label_name for label in proposed):
            continue
        if label_type is not None and all(label.get("type") != label_type for label in proposed):
            continue
        if conditions and not any(_matches_condition(dict(sample, labels=proposed), c) for c in conditions):
            continue
        chosen.append(sample)
    return chosen
