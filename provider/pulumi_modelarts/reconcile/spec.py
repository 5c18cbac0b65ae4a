"""What every declared resource has: its logical name, its owner's namespace and its normalized inputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_TIMEOUT_SECONDS = 3600
DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True)
class ResourceSpec:
    """``namespace`` names the owner: a Pulumi project and stack, or a CLI spec tree. Work that carries
    another namespace's identity is never adopted, replaced or stopped."""

    resource_name: str
    inputs: Mapping[str, Any]
    namespace: str = DEFAULT_NAMESPACE

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
