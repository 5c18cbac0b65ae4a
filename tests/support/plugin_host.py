"""Run `pulumi-resource-modelarts` as its own process and call it over gRPC as the engine does."""

from __future__ import annotations

import json
import os
import shutil
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from google.protobuf import empty_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from support.engine import HostProcess, _deserialize, _serialize

SCRIPT = "pulumi-resource-modelarts"
# What the fork server of plugins imports once: the plugin's server module, which the console script imports
# before anything else it does.
PLUGIN_PRELOAD = ("grpc.aio", "pulumi.provider.experimental.server", "pulumi_modelarts.plugin.server")


def plugin_command() -> list[str]:
    """The console script installed for this interpreter (not a shim in front of it, such as pyenv's), another
    on PATH, or the same entry point through this interpreter (editable checkouts installed before the script
    existed)."""
    beside = Path(sysconfig.get_path("scripts")) / SCRIPT
    script = str(beside) if beside.is_file() else shutil.which(SCRIPT)
    return [script] if script else [sys.executable, "-m", "pulumi_modelarts.plugin.server"]


def urn(token: str, name: str) -> str:
    return f"urn:pulumi:dev::proj::{token}::{name}"


class PluginHost(HostProcess):
    def __init__(
        self, env: Mapping[str, str] | None = None, *, address: str = "127.0.0.1:1", engine: Sequence[str] = ()
    ) -> None:
        """``address``: where the engine's services (Log) listen; by default nothing listens there.
        ``engine``: instead, a command that starts the plugin with an engine of its own (fake_engine.py);
        ``process`` is then that engine."""
        environment = dict(os.environ if env is None else env)
        plugin = plugin_command()
        forkable = not engine and plugin[0] != sys.executable  # `python -m` of a preloaded module would differ
        self.start(
            [*engine, *plugin, *(() if engine else (address,))],
            environment,
            "plugin",
            PLUGIN_PRELOAD if forkable else None,
        )

    def get_schema(self) -> dict[str, Any]:
        reply = self.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0))
        schema: dict[str, Any] = json.loads(reply.schema)
        return schema

    def configure(self, config: Mapping[str, Any], secrets: tuple[str, ...] = ()) -> Any:
        """Provider config as the engine sends it: bare keys, secrets wrapped."""
        secret = rpc._special_sig_key, rpc._special_secret_sig
        args = {
            key: {secret[0]: secret[1], "value": value} if key in secrets else value for key, value in config.items()
        }
        variables = {f"modelarts:config:{key}": str(value) for key, value in config.items()}
        return self.stub.Configure(
            provider_pb2.ConfigureRequest(variables=variables, args=_serialize(args), acceptSecrets=True)
        )

    def check(
        self, token: str, name: str, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        reply = self.stub.Check(
            provider_pb2.CheckRequest(urn=urn(token, name), olds=_serialize(olds or {}), news=_serialize(news))
        )
        return _deserialize(reply.inputs), [(f.property, f.reason) for f in reply.failures]

    def diff(self, token: str, name: str, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
        return self.stub.Diff(
            provider_pb2.DiffRequest(id=id_, urn=urn(token, name), olds=_serialize(olds), news=_serialize(news))
        )

    def create(
        self, token: str, name: str, props: Mapping[str, Any], *, preview: bool = False, timeout: float = 0
    ) -> tuple[str, dict[str, Any]]:
        request = provider_pb2.CreateRequest(
            urn=urn(token, name), properties=_serialize(props), preview=preview, timeout=timeout
        )
        reply = self.stub.Create(request, timeout=120)
        return reply.id, _deserialize(reply.properties)

    def read(
        self, token: str, name: str, id_: str, props: Mapping[str, Any] | None = None
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        request = provider_pb2.ReadRequest(id=id_, urn=urn(token, name), properties=_serialize(props or {}))
        reply = self.stub.Read(request, timeout=60)
        return reply.id, _deserialize(reply.properties), _deserialize(reply.inputs)

    def update(
        self,
        token: str,
        name: str,
        id_: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        preview: bool = False,
        timeout: float = 0,
    ) -> dict[str, Any]:
        request = provider_pb2.UpdateRequest(
            id=id_, urn=urn(token, name), olds=_serialize(olds), news=_serialize(news), preview=preview, timeout=timeout
        )
        return _deserialize(self.stub.Update(request, timeout=120).properties)

    def delete(self, token: str, name: str, id_: str, props: Mapping[str, Any], timeout: float = 0) -> None:
        request = provider_pb2.DeleteRequest(
            id=id_, urn=urn(token, name), properties=_serialize(props), timeout=timeout
        )
        self.stub.Delete(request, timeout=120)

    def invoke(self, token: str, args: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        reply = self.stub.Invoke(provider_pb2.InvokeRequest(tok=token, args=_serialize(args)), timeout=60)
        return _deserialize(getattr(reply, "return")), [(f.property, f.reason) for f in reply.failures]

    def cancel(self) -> None:
        self.stub.Cancel(empty_pb2.Empty())
