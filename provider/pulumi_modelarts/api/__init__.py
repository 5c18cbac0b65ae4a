"""HTTP client of the ModelArts v2 dataset API: settings, authentication, retries, errors.

This package knows nothing of Pulumi, specs or reconciliation (see docs/design.md).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pulumi_modelarts.api.errors import (
    AlreadyRunningError,
    APIError,
    AuthenticationError,
    ConfigurationError,
    ModelArtsError,
    NotFoundError,
    ResponseLostError,
    ServerError,
    ThrottledError,
    TransportError,
    error_class_for,
)

if TYPE_CHECKING:
    from pulumi_modelarts.api.client import ClientStats, ModelArtsClient
    from pulumi_modelarts.api.config import (
        SETTINGS_TABLE,
        Settings,
        SettingSpec,
        explicit_from_config,
        resolve_settings,
    )
    from pulumi_modelarts.api.retry import RetryPolicy

# The client (and httpx with it) loads on first use: the Pulumi provider host imports the resources,
# and hence this package, on every run, while Check and most Diffs never make an HTTP call.
_LAZY = {
    "ClientStats": "pulumi_modelarts.api.client",
    "ModelArtsClient": "pulumi_modelarts.api.client",
    "SETTINGS_TABLE": "pulumi_modelarts.api.config",
    "Settings": "pulumi_modelarts.api.config",
    "SettingSpec": "pulumi_modelarts.api.config",
    "explicit_from_config": "pulumi_modelarts.api.config",
    "resolve_settings": "pulumi_modelarts.api.config",
    "RetryPolicy": "pulumi_modelarts.api.retry",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pulumi_modelarts.api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "SETTINGS_TABLE",
    "APIError",
    "AlreadyRunningError",
    "AuthenticationError",
    "ClientStats",
    "ConfigurationError",
    "ModelArtsClient",
    "ModelArtsError",
    "NotFoundError",
    "ResponseLostError",
    "RetryPolicy",
    "ServerError",
    "SettingSpec",
    "Settings",
    "ThrottledError",
    "TransportError",
    "error_class_for",
    "explicit_from_config",
    "resolve_settings",
]
