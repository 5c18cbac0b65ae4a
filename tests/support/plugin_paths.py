"""What the plugin tests share besides fixtures: sentinel credentials, one create of each kind, and both engine
paths (the plugin and the SDK's dynamic-provider host) behind one small interface. A module of its own: a test's
`from conftest import ...` would resolve to whichever test folder's conftest was imported first."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import pulumi_modelarts as modelarts
from pulumi_modelarts.plugin import names
from support.emulator_process import QUICK_FLAGS, EmulatorProcess
from support.engine import CapturedResource, ProviderHost, capture_resources
from support.plugin_host import PluginHost

SENTINEL_AK = "SENTINELPLUGINAK0001"
SENTINEL_SK = "SENTINEL-plugin-sk-do-not-leak-3c9e1d22"
SENTINELS = (SENTINEL_AK, SENTINEL_SK)

# One create of each kind on the demo dataset `flowers`, in the API's field names.
SCENARIOS: dict[str, dict[str, Any]] = {
    "IntelligentTask": {"dataset_name": "flowers", "task_type": "auto-grouping", "config": {"n_clusters": "3"}},
    "ExportTask": {"dataset_name": "flowers", "path": "/demo-bucket/flowers/plugin/", "export_type": 0},
    "DatasetVersionRef": {
        "dataset_name": "flowers",
        "version_name": "V003-plugin",
        "release": {"description": "released by the plugin tests"},
    },
}
# The same in the plugin's (camelCase) names.
PLUGIN_SCENARIOS = {kind: names.resource(f"modelarts:{kind}").to_camel(news) for kind, news in SCENARIOS.items()}


def clean_env() -> dict[str, str]:
    """The environment without credentials: the provider must use what Configure gave it."""
    return {key: value for key, value in os.environ.items() if not key.startswith(("HW_", "OS_", "MODELARTS_"))}


def assert_no_secrets(*texts: str) -> None:
    for text in texts:
        for sentinel in SENTINELS:
            assert sentinel not in text


def start_sentinel_emulator(factory: Callable[..., EmulatorProcess], *extra: str) -> EmulatorProcess:
    """Demo data, quick work (the provider processes wait in real time), the sentinel credentials; ``extra`` last."""
    flags = (*QUICK_FLAGS, "--seed", "demo", "--access-key", SENTINEL_AK, "--secret-key", SENTINEL_SK, *extra)
    emulator = factory(*flags, fast=False)
    emulator.access_key, emulator.secret_key = SENTINEL_AK, SENTINEL_SK
    return emulator


# --- both engine paths behind one interface ---------------------------------------------------------


class EnginePath(Protocol):
    """Check then Create a resource of a kind (``ExportTask``, ...), as the engine does on `pulumi up`; inputs and
    outputs in the API's names."""

    def create(self, kind: str, name: str, news: Mapping[str, Any]) -> tuple[str, dict[str, Any]]: ...
    def diff(self, kind: str, name: str, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any: ...
    def close(self) -> str: ...  # returns the provider process's stderr


class PluginPath:
    def __init__(
        self, emulator: EmulatorProcess, env: Mapping[str, str] | None = None, engine: Sequence[str] = ()
    ) -> None:
        self.host = PluginHost(env=env or clean_env(), engine=engine)
        self.host.configure(emulator.stack_config(prefix=""), secrets=("accessKey", "secretKey"))

    def create(self, kind: str, name: str, news: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        token, shape = f"modelarts:index:{kind}", names.resource(f"modelarts:{kind}")
        inputs, failures = self.host.check(token, name, shape.to_camel(news))
        assert failures == []
        resource_id, outputs = self.host.create(token, name, inputs)
        return resource_id, shape.to_api(outputs)

    def diff(self, kind: str, name: str, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
        token, shape = f"modelarts:index:{kind}", names.resource(f"modelarts:{kind}")
        recorded = shape.to_camel(olds)
        inputs, failures = self.host.check(token, name, shape.to_camel(news), recorded)
        assert failures == []
        return self.host.diff(token, name, resource_id, recorded, inputs)

    def close(self) -> str:
        self.host.close()
        return self.host.stderr()


@functools.cache
def captured_resource(kind: str) -> CapturedResource:
    """What a program registers for a resource of this kind (the ``__provider`` blob is the same for all)."""
    resource_class = getattr(modelarts, kind)
    (captured,) = capture_resources(lambda: [resource_class("captured", **SCENARIOS[kind])])
    return captured


class DynamicPath:
    def __init__(
        self, emulator: EmulatorProcess, env: Mapping[str, str] | None = None, engine: Sequence[str] = ()
    ) -> None:
        self.host = ProviderHost(env=env or clean_env(), engine=engine)
        self.host.configure(emulator.stack_config())

    def create(self, kind: str, name: str, news: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        resource, checked = self._checked(kind, name, news)
        return self.host.create(resource, checked)

    def diff(self, kind: str, name: str, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
        resource, checked = self._checked(kind, name, news)
        return self.host.diff(resource, resource_id, olds, checked)

    def _checked(self, kind: str, name: str, news: Mapping[str, Any]) -> tuple[CapturedResource, dict[str, Any]]:
        captured = captured_resource(kind)
        inputs = {"__provider": captured.blob, "resource_name": name, **news}
        resource = CapturedResource(captured.type_token, name, inputs)
        checked, failures = self.host.check(resource, inputs)
        assert failures == []
        return resource, checked

    def close(self) -> str:
        self.host.close()
        return self.host.stderr()


PATHS: dict[str, Callable[[EmulatorProcess], EnginePath]] = {"plugin": PluginPath, "dynamic": DynamicPath}


def dumped(value: Any) -> str:
    return json.dumps(value, default=str)
