"""The readings: where the API documents are silent or ambiguous, the emulator can play each answer.

One ``Reading`` per open point of docs/api.md. Each has a command-line flag and a field of
``EmulatorConfig`` of the same name, a ``lenient`` value (the emulator's historical answer) and a
``strict`` value (the answer hardest for a client). ``--reading cloud-strict`` takes the strict value
of every reading; a flag given explicitly wins over the preset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Reading:
    field: str  # EmulatorConfig field; the flag is --<field with dashes>
    choices: tuple[str, ...]
    lenient: str
    strict: str
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.field.replace("_", "-")


READINGS: tuple[Reading, ...] = (
    Reading(
        "task_name",
        ("filled", "empty"),
        "filled",
        "empty",
        "task answers fill 'task_name' with the task's name, or leave it empty as every doc example does",
    ),
    Reading(
        "config_name",
        ("kept", "generated"),
        "kept",
        "generated",
        "a requested config.name is kept, or replaced by a server-generated 19-character name",
    ),
    Reading(
        "sample_count",
        ("total", "page"),
        "total",
        "page",
        "'sample_count' of the auto-annotation sample list is the total, or the length of this page",
    ),
    Reading(
        "task_time_zone",
        ("UTC", "UTC+8"),
        "UTC",
        "UTC+8",
        "zone of the zone-less task 'create_time' string",
    ),
    Reading(
        "echo_defaults",
        ("no", "yes"),
        "no",
        "yes",
        "task and export answers echo server-filled defaults the request never sent",
    ),
    Reading(
        "grouping_conflict",
        ("4409", "4964"),
        "4409",
        "4964",
        "a second auto-grouping task: 400 ModelArts.4409, or 200 ModelArts.4964 without a task_id",
    ),
    Reading(
        "release_locks",
        ("off", "on"),
        "off",
        "on",
        "a running release refuses label updates (ModelArts.4381) and auto-label/pre-label starts (ModelArts.4821)",
    ),
    Reading(
        "lifecycle",
        ("instant", "async"),
        "instant",
        "async",
        "datasets are created and deleted, and versions deleted, instantly or over --dataset-seconds "
        "(status 0 creating / 2 deleting)",
    ),
    Reading(
        "fields",
        ("all", "documented"),
        "all",
        "documented",
        "GET task and GET export answer extra fields, or only the documented ones",
    ),
    Reading(
        "export_path",
        ("dir", "always"),
        "dir",
        "always",
        "'path' is required for exports to OBS only, or also for exports to a new dataset",
    ),
    Reading(
        "elapsed_time_unit",
        ("s", "ms"),
        "s",
        "ms",
        "unit of a task's 'elapsed_time'",
    ),
    Reading(
        "empty_answer",
        ("204", "200"),
        "204",
        "200",
        "stop task and the deletes answer 204 with no body, or 200 with the '{}' the doc examples print",
    ),
    Reading(
        "credential_form",
        ("both", "access"),
        "both",
        "access",
        "AK/SK Authorization headers in the 'Access=' form and the older 'Credential=' form, or 'Access=' only",
    ),
    Reading(
        "label_update_errors",
        ("reject", "partial"),
        "reject",
        "partial",
        "a label update naming unknown samples: 400 and nothing changed, or 200 with success false and "
        "per-sample results, the known samples updated",
    ),
    Reading(
        "import_type_answer",
        ("string", "integer"),
        "string",
        "integer",
        "import task answers give 'import_type' as the request's string (dir, manifest), or as the documented "
        "integer (0 dir, 1 manifest)",
    ),
    Reading(
        "import_echo",
        ("request", "documented"),
        "request",
        "documented",
        "import task answers echo every request field, or only the documented import_path, import_type and data_source",
    ),
    Reading(
        "import_path_echo",
        ("as-sent", "obs"),
        "as-sent",
        "obs",
        "an import task's 'import_path' is echoed as sent, or as obs://bucket/... as the doc examples answer",
    ),
    Reading(
        "import_label_form",
        ("both", "objects"),
        "both",
        "objects",
        "included_labels/excluded_labels take label names (as the doc example sends) and Label objects, or "
        "Label objects only (as the request table says)",
    ),
    Reading(
        "missing_import_task",
        ("error", "not-exist"),
        "error",
        "not-exist",
        "GET of an import task that does not exist: 400 ModelArts.4612 (status per --missing-task-status), or "
        "200 with status NOT_EXIST",
    ),
    Reading(
        "import_path_check",
        ("reject", "fail-task"),
        "reject",
        "fail-task",
        "an import path with nothing to import or a manifest that is not there: 400 ModelArts.4374 at the "
        "POST, or a task that fails (FAILED, ModelArts.4374)",
    ),
    Reading(
        "import_type_default",
        ("infer", "dir"),
        "infer",
        "dir",
        "an import without 'import_type': a manifest when the path ends in .manifest, else a directory; or "
        "always a directory",
    ),
    Reading(
        "reimport",
        ("skip", "duplicate"),
        "skip",
        "duplicate",
        "importing files the dataset already has: they are skipped, or imported again as new samples unless "
        "the same import_folder is given",
    ),
    Reading(
        "error_request_id",
        ("no", "yes"),
        "no",
        "yes",
        "ModelArts error bodies carry a 'request_id' (gateway errors always do)",
    ),
)

BY_FIELD: Mapping[str, Reading] = {reading.field: reading for reading in READINGS}
PRESETS = ("lenient", "cloud-strict")


def preset(name: str) -> dict[str, str]:
    """The value of every reading under a preset (``lenient`` or ``cloud-strict``)."""
    if name not in PRESETS:
        raise ValueError(f"reading preset must be one of {', '.join(PRESETS)}, got {name!r}")
    return {r.field: (r.strict if name == "cloud-strict" else r.lenient) for r in READINGS}


def check(values: Mapping[str, str]) -> None:
    for name, value in values.items():
        reading = BY_FIELD[name]
        if value not in reading.choices:
            raise ValueError(f"{name} must be one of {', '.join(reading.choices)}, got {value!r}")
