"""Stack configuration for the providers, kept in this module and never on a provider instance.

The dynamic-provider host calls ``configure()`` on each deserialized provider with the stack's
config; the values land here, and clients are built from them (with the environment as fallback)
when a provider method first needs one. Nothing here is pickled into ``__provider``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulumi_modelarts.api.client import ModelArtsClient

_lock = threading.Lock()
_explicit: dict[str, Any] = {}
_clients: dict[tuple[tuple[str, Any], ...], ModelArtsClient] = {}


def settings_from_config(get: Any) -> dict[str, Any]:
    """Read every ``modelarts:*`` key of the settings table through ``get(key)`` (pulumi's Config.get)."""
    from pulumi_modelarts.api.config import SETTINGS_TABLE, config_key_warnings, explicit_from_config

    sys.stderr.writelines(
        f"{line}\n" for line in config_key_warnings(getattr(getattr(get, "__self__", None), "_props", None) or ())
    )
    raw = {spec.config_key: get(spec.config_key) for spec in SETTINGS_TABLE}
    return explicit_from_config({key: value for key, value in raw.items() if value is not None})


def set_explicit(settings: Mapping[str, Any]) -> None:
    with _lock:
        _explicit.clear()
        _explicit.update(settings)


def client() -> ModelArtsClient:
    """A client for the configured settings (config first, then the environment); one per settings.

    Its retry backoffs sleep on the process-wide stop signal, and no write starts once a stop was requested
    (Pulumi's Cancel) or the engine is gone (``resources._host``).
    """
    from pulumi_modelarts.api import ModelArtsClient, resolve_settings
    from pulumi_modelarts.reconcile.waiting import STOP
    from pulumi_modelarts.resources import _host

    with _lock:
        key = tuple(sorted(_explicit.items()))
        found = _clients.get(key)
        if found is None:
            found = ModelArtsClient(resolve_settings(**dict(key)), sleep=STOP.sleep, before_write=_host.before_write)
            _clients[key] = found
        return found
