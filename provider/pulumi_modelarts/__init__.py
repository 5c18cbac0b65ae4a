"""Pulumi dynamic resources, a GitOps CLI and a local emulator for ModelArts dataset operations.

The public names are loaded lazily, so that the Pulumi dynamic-provider host (which imports
this package on every run) pays only for what it uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pulumi_modelarts._version import __version__

_LAZY = {
    "IntelligentTask": "pulumi_modelarts.resources",
    "ExportTask": "pulumi_modelarts.resources",
    "ImportTask": "pulumi_modelarts.resources",
    "DatasetVersionRef": "pulumi_modelarts.resources",
    "load_specs": "pulumi_modelarts.specs",
    "declare": "pulumi_modelarts.specs",
    "ModelArtsClient": "pulumi_modelarts.api",
    "resolve_settings": "pulumi_modelarts.api",
    "ModelArtsError": "pulumi_modelarts.api.errors",
    "APIError": "pulumi_modelarts.api.errors",
    "NotFoundError": "pulumi_modelarts.api.errors",
    "ConfigurationError": "pulumi_modelarts.api.errors",
}

__all__ = [
    "APIError",
    "ConfigurationError",
    "DatasetVersionRef",
    "ExportTask",
    "ImportTask",
    "IntelligentTask",
    "ModelArtsClient",
    "ModelArtsError",
    "NotFoundError",
    "__version__",
    "declare",
    "load_specs",
    "resolve_settings",
]

if TYPE_CHECKING:
    from pulumi_modelarts.api import ModelArtsClient, resolve_settings
    from pulumi_modelarts.api.errors import APIError, ConfigurationError, ModelArtsError, NotFoundError
    from pulumi_modelarts.resources import DatasetVersionRef, ExportTask, ImportTask, IntelligentTask
    from pulumi_modelarts.specs import declare, load_specs


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pulumi_modelarts' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
