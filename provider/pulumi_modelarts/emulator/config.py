"""Every setting of the emulator in one frozen dataclass (one field per command-line flag)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulumi_modelarts.emulator import readings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8380
DEFAULT_PROJECT_ID = "0b9c1f8a2d3e4f5061728394a5b6c7d8"
DEFAULT_PROJECT_NAME = "eu-de"
DEFAULT_ACCESS_KEY = "EMULATORACCESSKEY001"
DEFAULT_SECRET_KEY = "emulator-secret-key-000000000000000000000"
DEFAULT_USERNAME = "emulator-user"
DEFAULT_PASSWORD = "emulator-password"
DEFAULT_DOMAIN_NAME = "emulator-domain"

PRECONDITION_MODES = ("reject", "fail-task")
MISSING_TASK_STATUSES = (400, 404)

# Request bodies larger than this are refused with 413 ModelArts.4104 (NOTES §5.3, §6.3).
MAX_BODY_BYTES = 12 * 1024 * 1024


@dataclass(frozen=True)
class EmulatorConfig:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    db: str | None = None
    project_id: str = DEFAULT_PROJECT_ID
    project_name: str = DEFAULT_PROJECT_NAME
    access_key: str = DEFAULT_ACCESS_KEY
    secret_key: str = field(default=DEFAULT_SECRET_KEY, repr=False)
    username: str = DEFAULT_USERNAME
    password: str = field(default=DEFAULT_PASSWORD, repr=False)
    domain_name: str = DEFAULT_DOMAIN_NAME
    seed: str | None = None
    samples_per_dataset: int = 50
    task_seconds: float = 30.0
    export_seconds: float = 10.0
    version_seconds: float = 5.0
    import_seconds: float = 10.0
    release_interval_seconds: float = 60.0
    clock_skew_seconds: float = 900.0
    token_ttl_seconds: float = 86400.0
    latency_ms: float = 0.0
    faults: tuple[dict[str, Any], ...] = ()
    admin: bool = False
    auto_grouping_type: int = 2
    preconditions: str = "reject"
    missing_task_status: int = 400
    verbose: bool = False
    # The readings of the open points (readings.py); the defaults are the lenient ones.
    task_name: str = "filled"
    config_name: str = "kept"
    sample_count: str = "total"
    task_time_zone: str = "UTC"
    echo_defaults: str = "no"
    grouping_conflict: str = "4409"
    release_locks: str = "off"
    lifecycle: str = "instant"
    fields: str = "all"
    export_path: str = "dir"
    elapsed_time_unit: str = "s"
    error_request_id: str = "no"
    empty_answer: str = "204"
    credential_form: str = "both"
    label_update_errors: str = "reject"
    import_type_answer: str = "string"
    import_echo: str = "request"
    import_path_echo: str = "as-sent"
    import_label_form: str = "both"
    missing_import_task: str = "error"
    import_path_check: str = "reject"
    import_type_default: str = "infer"
    reimport: str = "skip"
    dataset_seconds: float = 5.0

    def strict(self, name: str) -> bool:
        """Whether the reading ``name`` plays its strict (cloud-strict) value."""
        return bool(getattr(self, name) == readings.BY_FIELD[name].strict)

    def __post_init__(self) -> None:
        readings.check({reading.field: getattr(self, reading.field) for reading in readings.READINGS})
        if self.preconditions not in PRECONDITION_MODES:
            raise ValueError(f"preconditions must be one of {PRECONDITION_MODES}, got {self.preconditions!r}")
        if self.missing_task_status not in MISSING_TASK_STATUSES:
            raise ValueError(f"missing_task_status must be 400 or 404, got {self.missing_task_status!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {self.port}")
        if self.samples_per_dataset < 0:
            raise ValueError("samples_per_dataset must not be negative")
        for name in (
            "task_seconds",
            "export_seconds",
            "version_seconds",
            "import_seconds",
            "release_interval_seconds",
            "clock_skew_seconds",
            "token_ttl_seconds",
            "latency_ms",
            "dataset_seconds",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
