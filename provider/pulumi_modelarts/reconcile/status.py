"""Status enums of the API (NOTES §1.1, §2.1, §3.1, §11.2) and readable names for them."""

from __future__ import annotations

TASK_STATUS_NAMES = {
    -1: "queuing",
    0: "initializing",
    1: "running",
    2: "failed",
    3: "succeeded",
    4: "stopping",
    5: "stopped",
}
TASK_TERMINAL = frozenset({2, 3, 5})
TASK_SUCCEEDED = 3
TASK_FAILED = 2
TASK_STOPPED = 5

EXPORT_SUCCEEDED = "SUCCESSED"  # the API's own spelling
EXPORT_FAILED = "FAILED"

# Import tasks: strings (docs/api.md §11.2); NOT_EXIST is "not found" (the client raises NotFoundError for it).
IMPORT_STATUS_NAMES = {
    "QUEUING": "queuing",
    "STARTING": "starting",
    "RUNNING": "running",
    "COMPLETED": "completed",
    "FAILED": "failed",
}
IMPORT_COMPLETED = "COMPLETED"
IMPORT_FAILED = "FAILED"
IMPORT_NOT_EXIST = "NOT_EXIST"

VERSION_STATUS_NAMES = {0: "creating", 1: "ready", 2: "deleting", 3: "deleted", 4: "error"}
VERSION_CREATING = 0
VERSION_READY = 1
VERSION_ERROR = 4
VERSION_GONE = frozenset({2, 3})
VERSION_SETTLED = frozenset({1, 2, 3, 4})


def task_status_name(status: object) -> str:
    if isinstance(status, (int, float)) and int(status) in TASK_STATUS_NAMES:
        return TASK_STATUS_NAMES[int(status)]
    return "unknown"


def version_status_name(status: object) -> str:
    if isinstance(status, (int, float)) and int(status) in VERSION_STATUS_NAMES:
        return VERSION_STATUS_NAMES[int(status)]
    return "unknown"


def export_status_name(status: object) -> str:
    return {"INIT": "initializing", "RUNNING": "running", "SUCCESSED": "succeeded", "FAILED": "failed"}.get(
        str(status), "unknown"
    )


def import_status_name(status: object) -> str:
    return IMPORT_STATUS_NAMES.get(str(status), "unknown")
