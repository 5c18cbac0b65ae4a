"""Error answers in the three body shapes the emulator speaks: ModelArts, API gateway, IAM."""

from __future__ import annotations

from typing import Any

INVALID = "ModelArts.4200"
INVALID_EXPORT = "ModelArts.4384"
INVALID_IMPORT = "ModelArts.4396"  # "Parameter is invalid": the import task parameters
IMPORT_RUNNING = "ModelArts.4356"  # "Dataset already has running import task"
INVALID_PATH = "ModelArts.4374"  # "Invalid path": no such OBS path, or no file in it
RELEASE_RUNNING = "ModelArts.4343"  # a version release runs: no switch, import, sync or release
DATASET_MISSING = "ModelArts.4352"
VERSION_MISSING = "ModelArts.4353"
EXPORT_MISSING = "ModelArts.4359"
TASK_MISSING = "ModelArts.4612"
INTERNAL = "ModelArts.0010"


class ApiError(Exception):
    """An error answer. ``gateway`` bodies get the request id added by the server."""

    def __init__(
        self,
        status: int,
        body: dict[str, Any],
        *,
        headers: dict[str, str] | None = None,
        gateway: bool = False,
    ) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.gateway = gateway


def modelarts(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> ApiError:
    return ApiError(status, {"error_code": code, "error_msg": message}, headers=headers)


def gateway(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> ApiError:
    return ApiError(status, {"error_code": code, "error_msg": message}, headers=headers, gateway=True)


def iam_auth_failed(suffix: str) -> ApiError:
    """APIG.0301 with one of the documented suffixes (NOTES §5.4)."""
    return gateway(401, "APIG.0301", f"Incorrect IAM authentication information: {suffix}")


def iam(status: int, message: str, title: str) -> ApiError:
    """IAM's own error shape: {"error": {"code", "message", "title"}}."""
    return ApiError(status, {"error": {"code": status, "message": message, "title": title}})


def invalid(field: str, message: str, code: str = INVALID) -> ApiError:
    where = f"'{field}'" if field else "the request body"
    return modelarts(400, code, f"Invalid parameter {where}: {message}")


def dataset_missing(dataset_id: str) -> ApiError:
    return modelarts(400, DATASET_MISSING, f"Dataset {dataset_id} does not exist.")


def version_missing(version_id: str) -> ApiError:
    return modelarts(400, VERSION_MISSING, f"Dataset version {version_id} does not exist.")


def export_missing(task_id: str, status: int = 400) -> ApiError:
    return modelarts(status, EXPORT_MISSING, f"Export task {task_id} does not exist.")


def task_missing(task_id: str, status: int = 400) -> ApiError:
    return modelarts(status, TASK_MISSING, f"Task {task_id} does not exist.")
