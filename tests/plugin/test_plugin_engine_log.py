"""What the plugin tells the engine besides answers: progress at info severity on the resource it concerns,
warnings about its configuration, and a clean shutdown. A small gRPC server plays the engine's Log service."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

from support.emulator_process import EmulatorProcess
from support.plugin_host import PluginHost, urn
from support.plugin_paths import PLUGIN_SCENARIOS, clean_env, start_sentinel_emulator

EXPORT = "modelarts:index:ExportTask"


class Engine(engine_pb2_grpc.EngineServicer):
    """The engine's Log service, recording (severity, urn, message)."""

    def __init__(self) -> None:
        self.logs: list[tuple[int, str, str]] = []
        self._lock = threading.Lock()

    def Log(self, request: engine_pb2.LogRequest, context: Any) -> empty_pb2.Empty:
        with self._lock:
            self.logs.append((request.severity, request.urn, request.message))
        return empty_pb2.Empty()


@pytest.fixture
def engine() -> Iterator[tuple[Engine, str]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    servicer = Engine()
    engine_pb2_grpc.add_EngineServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, f"127.0.0.1:{port}"
    server.stop(None)


@pytest.fixture
def logged_plugin(
    engine: tuple[Engine, str], emulator_factory: Callable[..., EmulatorProcess]
) -> Iterator[tuple[PluginHost, Engine]]:
    servicer, address = engine
    host = PluginHost(env=clean_env(), address=address)
    emulator = start_sentinel_emulator(emulator_factory)
    # `version` is the engine's own input: the SDK's package version, no setting to warn about
    config = {**emulator.stack_config(prefix=""), "regoin": "eu-de", "version": "0.1.0"}
    host.configure(config, secrets=("accessKey", "secretKey"))
    yield host, servicer
    host.close()


def test_a_mistyped_config_key_is_warned_with_the_closest_setting(logged_plugin: tuple[PluginHost, Engine]) -> None:
    _, engine = logged_plugin
    assert engine.logs == [
        (
            engine_pb2.WARNING,
            "",
            "Pulumi config key modelarts:regoin is not a pulumi-modelarts setting; did you mean modelarts:region?",
        )
    ]


def test_progress_reaches_the_engine_at_info_on_the_resource_it_concerns(
    logged_plugin: tuple[PluginHost, Engine],
) -> None:
    plugin, engine = logged_plugin
    names = [f"export-{n}" for n in range(3)]
    news = {name: {**PLUGIN_SCENARIOS["ExportTask"], "path": f"/demo-bucket/flowers/{name}/"} for name in names}
    checked = {name: plugin.check(EXPORT, name, news[name])[0] for name in names}
    threads = [threading.Thread(target=plugin.create, args=(EXPORT, name, checked[name])) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    started = [(severity, resource, text) for severity, resource, text in engine.logs if "started the export" in text]
    assert len(started) == 3  # three calls at once, each message on its own resource
    for severity, resource, text in started:
        assert severity == engine_pb2.INFO
        assert text.startswith(resource.rsplit("::", 1)[1] + ": started the export to OBS path /demo-bucket/flowers/")
    assert {resource for _, resource, _ in started} == {urn(EXPORT, name) for name in names}
    plugin.close()
    assert "started the export" not in plugin.stderr()  # the engine has it; stderr is its debug log


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_plugin_stops_cleanly_when_the_engine_ends_it(signum: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine ends a plugin with SIGINT: no `Event loop is closed` traceback on the way out."""
    monkeypatch.setenv("PULUMI_MODELARTS_TEST_HOSTS", "exec")  # a whole interpreter's start and end, not a fork's
    plugin = PluginHost()
    plugin.get_schema()
    plugin.channel.close()
    plugin.process.send_signal(signum)
    _, stderr = plugin.process.communicate(timeout=30)
    assert plugin.process.returncode == 0
    assert stderr == ""
