"""Comparing a request we would send with the request the API echoes back for a live object.

The API fills defaults the request never sent (NOTES §10: task ``config`` gains ``ambiguity``,
``worker_server_num``, ``collect_sample``, ...; exports gain ``version_format: Default``,
``export_format: 2`` and ``export_params`` defaults). A field we send must come back equal (a field
the API does not echo at all agrees); a field we did not send may only be one of those server-filled
defaults. So a server default is never a different request (no duplicate, no phantom drift), and a
live object with something we did not ask for is not ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Task config fields the API fills when the request leaves them out (any value).
TASK_CONFIG_SERVER_FILLED = frozenset(
    {
        "name",
        "ambiguity",
        "worker_server_num",
        "collect_sample",
        "collect_rule",
        "stop_time",
        "image_brightness",
        "image_colorfulness",
        "confidence_scope",
    }
)
# Documented defaults our schema fills in. Sending one is the same request as leaving it out, and the
# server may echo its own value instead (NOTES §10: collect_sample comes back false), so they are
# not compared.
TASK_CONFIG_DEFAULTS: dict[str, Any] = {"collect_sample": True, "collect_rule": "all", "stop_time": 15}
EXPORT_DEFAULTS: dict[str, Any] = {"source_type_header": "obs://", "with_column_header": True}
EXPORT_PARAMS_DEFAULTS: dict[str, Any] = {
    "clear_hard_property": True,
    "ratio_sample_usage": False,
    "train_sample_ratio": "1.00",
}
# The request fields of an import task, in the order of the request table (docs/api.md §11.1).
IMPORT_REQUEST_FIELDS = (
    "import_path",
    "import_type",
    "import_annotations",
    "import_samples",
    "import_folder",
    "final_annotation",
    "difficult_only",
    "included_labels",
    "excluded_labels",
    "label_format",
    "data_source",
    "import_origin",
    "with_column_header",
)
# Documented defaults of an import request (our schema fills them in, a server may echo them unasked).
IMPORT_DEFAULTS: dict[str, Any] = {
    "import_annotations": True,
    "import_samples": True,
    "final_annotation": True,
    "difficult_only": False,
    "with_column_header": False,
    "import_origin": "obs",
}
_OBS_SCHEMES = ("s3://", "obs://")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def same(ours: Any, theirs: Any) -> bool:
    """Whether the API's echo of a value agrees with what we sent; a value it does not echo agrees."""
    if theirs is None:
        return True
    if isinstance(ours, Mapping):
        return isinstance(theirs, Mapping) and all(same(value, theirs.get(key)) for key, value in ours.items())
    if isinstance(ours, list):
        return isinstance(theirs, list) and len(ours) == len(theirs) and all(map(same, ours, theirs))
    if ours == theirs:
        return True
    if ours in ("", None) and theirs in ("", None):
        return True
    a, b = _number(ours), _number(theirs)
    return a is not None and b is not None and abs(a - b) < 1e-9


def extras(ours: Mapping[str, Any], theirs: Mapping[str, Any], server_filled: frozenset[str]) -> list[str]:
    """Echoed keys we did not send and the server does not fill: signs of another request."""
    return sorted(
        key for key, value in theirs.items() if key not in ours and key not in server_filled and value is not None
    )


def without_defaults(ours: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Our request without the fields that only carry a documented default."""
    return {key: value for key, value in ours.items() if not (key in defaults and same(defaults[key], value))}


def task_config_matches(ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> bool:
    """The API echoes the task config it got, so every field we sent must come back, and equal."""
    ours = {key: value for key, value in without_defaults(ours, TASK_CONFIG_DEFAULTS).items() if key != "name"}
    sent_back = all(key in theirs and same(value, theirs[key]) for key, value in ours.items())
    return sent_back and not extras(ours, theirs, TASK_CONFIG_SERVER_FILLED)


def export_matches(task: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    """Whether an export task's echoed fields are our request; what the API adds (its defaults) is ignored."""
    ours = without_defaults(body, EXPORT_DEFAULTS)
    if isinstance(ours.get("export_params"), Mapping):
        ours["export_params"] = without_defaults(ours["export_params"], EXPORT_PARAMS_DEFAULTS)
    return all(same(value, task.get(key)) for key, value in ours.items())


def obs_path(path: Any) -> Any:
    """One spelling of an OBS path: ``/bucket/key`` for ``/bucket/key``, ``s3://bucket/key`` and
    ``obs://bucket/key``, without trailing slashes (a folder is the same folder with or without one)."""
    if not isinstance(path, str):
        return path
    for scheme in _OBS_SCHEMES:
        if path.startswith(scheme):
            path = "/" + path[len(scheme) :]
            break
    return path.rstrip("/") or "/"


def import_matches(task: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    """Whether an import task's echo is our request: the path as one OBS path, every other field we sent
    equal where it comes back, and nothing echoed that we did not send but a documented default."""
    if obs_path(task.get("import_path")) != obs_path(body.get("import_path")):
        return False
    ours = {key: value for key, value in body.items() if key != "import_path"}
    theirs = {key: value for key, value in task.items() if key in IMPORT_REQUEST_FIELDS and key != "import_path"}
    if not all(same(value, theirs.get(key)) for key, value in ours.items()):
        return False
    unasked = [key for key in extras(ours, theirs, frozenset()) if not same(IMPORT_DEFAULTS.get(key), theirs[key])]
    return not unasked


def without_server_filled(config: Mapping[str, Any], ours: Mapping[str, Any]) -> dict[str, Any]:
    """An echoed task config as a reviewer should see it: server-filled fields we did not send dropped."""
    return {key: value for key, value in config.items() if key in ours or key not in TASK_CONFIG_SERVER_FILLED}
