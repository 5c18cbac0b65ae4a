"""What every declared resource has: its logical name and its normalized inputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class ResourceSpec:
    resource_name: str
    inputs: Mapping[str, Any]

    @property
    def dataset_id(self) -> str | None:
        return self.inputs.get("dataset_id")

    @property
    def dataset_name(self) -> str | None:
        return self.inputs.get("dataset_name")

    @property
    def wait(self) -> bool:
        return bool(self.inputs.get("wait", True))

    @property
    def timeout_seconds(self) -> float:
        return float(self.inputs.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS))

    @property
    def adopt_task_id(self) -> str | None:
        return self.inputs.get("adopt_task_id")
