"""HTTP client of the ModelArts v2 dataset API: settings, authentication, retries, errors.

This package knows nothing of Pulumi, specs or reconciliation (see docs/design.md).
"""

from __future__ import annotations

from pulumi_modelarts.api.client import ClientStats, ModelArtsClient
from pulumi_modelarts.api.config import (
    SETTINGS_TABLE,
    Settings,
    SettingSpec,
    explicit_from_config,
    resolve_settings,
)
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
from pulumi_modelarts.api.retry import RetryPolicy

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
