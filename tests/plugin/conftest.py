"""Fixtures of the plugin tests: a sentinel-credential emulator, the plugin process, and both engine paths
(the plugin and the SDK's dynamic-provider host); what they share lives in support/plugin_paths.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from support.emulator_process import EmulatorProcess
from support.plugin_host import PluginHost
from support.plugin_paths import PATHS, EnginePath, assert_no_secrets, clean_env, start_sentinel_emulator


@pytest.fixture
def sentinel_emulator(emulator_factory: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    return start_sentinel_emulator(emulator_factory)


@pytest.fixture
def plugin_factory() -> Iterator[Callable[[EmulatorProcess], PluginHost]]:
    """Configured plugin processes; at the end none may have written a secret to stderr."""
    started: list[PluginHost] = []

    def start(emulator: EmulatorProcess) -> PluginHost:
        host = PluginHost(env=clean_env())
        started.append(host)
        host.configure(emulator.stack_config(prefix=""), secrets=("accessKey", "secretKey"))
        return host

    yield start
    for host in started:
        host.close()
        assert_no_secrets(host.stderr())
        assert "Traceback" not in host.stderr(), host.stderr()


@pytest.fixture
def plugin(plugin_factory: Callable[[EmulatorProcess], PluginHost], sentinel_emulator: EmulatorProcess) -> PluginHost:
    return plugin_factory(sentinel_emulator)


@pytest.fixture(params=sorted(PATHS))
def engine_path(request: pytest.FixtureRequest, sentinel_emulator: EmulatorProcess) -> Iterator[EnginePath]:
    path = PATHS[request.param](sentinel_emulator)
    yield path
    stderr = path.close()
    assert_no_secrets(stderr)
    assert "Traceback" not in stderr, stderr
