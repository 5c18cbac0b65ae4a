"""Drive the Pulumi SDK's real dynamic-provider host over gRPC, as the engine does on `pulumi up`.

The Pulumi CLI cannot be installed here, but the host it starts (`python -m pulumi.dynamic`) ships
with the SDK. ``capture_resources`` runs resource constructors under ``pulumi.runtime.set_mocks`` to
get the exact inputs (``__provider`` blob included) that a program sends; ``ProviderHost`` then
calls Configure/Check/Diff/Create/Read/Update/Delete with them over gRPC.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import grpc
import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from support import host_forks

PROVIDER_KEY = "__provider"
# What the fork server of dynamic hosts imports once: the SDK's, never this package (a host imports that by
# unpickling the provider, as a real one does).
DYNAMIC_HOST_PRELOAD = ("grpc", "dill", "pulumi.dynamic", "pulumi.runtime.proto")


@dataclass
class CapturedResource:
    type_token: str
    name: str
    inputs: dict[str, Any]

    @property
    def urn(self) -> str:
        return f"urn:pulumi:dev::proj::{self.type_token}::{self.name}"

    @property
    def blob(self) -> str:
        return str(self.inputs[PROVIDER_KEY])


def _unwrap(value: Any) -> Any:
    if isinstance(value, Mapping):
        if rpc._special_sig_key in value and "value" in value:  # a secret wrapper
            return _unwrap(value["value"])
        return {key: _unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrap(item) for item in value]
    return value


class _CaptureMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[CapturedResource] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(CapturedResource(args.typ, args.name, _unwrap(dict(args.inputs))))
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return {}, []


def capture_resources(build: Callable[[], list[pulumi.Resource]], *, stack: str = "dev") -> list[CapturedResource]:
    """Run ``build`` as a Pulumi program of stack ``stack`` under mocks and return what each resource registered."""
    mocks = _CaptureMocks()
    pulumi.runtime.set_mocks(mocks, project="proj", stack=stack, preview=False)

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        resources = build()
        return pulumi.Output.all(*[resource.urn for resource in resources])

    program()
    return mocks.resources


def _serialize(props: Mapping[str, Any]) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(dict(props), {}))
    finally:
        loop.close()


def _deserialize(struct: Any) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct, keep_unknowns=True))


class HostProcess:
    """A provider process that prints its gRPC port first (the dynamic host, the plugin), and a stub to it."""

    process: subprocess.Popen[str] | host_forks.ForkedProcess
    _stderr = ""

    def start(
        self, command: Sequence[str], environment: Mapping[str, str], what: str, preload: Sequence[str] | None
    ) -> None:
        """``preload``: fork the process from the fork server that has imported these (host_forks.py), where it
        can; None: always a new interpreter (a command that is not the host itself, such as a fake engine)."""
        forked = None if preload is None else host_forks.spawn(command, environment, preload)
        self.process = forked or subprocess.Popen(
            list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(environment)
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().strip()
        if not port.isdigit():
            self.close()
            raise RuntimeError(f"{what} did not start: {port!r} {self._stderr[-2000:]}")
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)

    def stderr(self) -> str:
        """Everything the process wrote to stderr (only after close())."""
        return self._stderr

    def close(self) -> None:
        if hasattr(self, "channel"):
            self.channel.close()
        self.process.terminate()
        try:
            _, self._stderr = self.process.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, self._stderr = self.process.communicate()


class ProviderHost(HostProcess):
    """A running `python -m pulumi.dynamic` process and a gRPC stub to it."""

    def __init__(self, env: Mapping[str, str] | None = None, *, engine: Sequence[str] = ()) -> None:
        """``engine``: a command that starts the host with an engine address of its own (fake_engine.py);
        ``process`` is then that engine."""
        environment = dict(os.environ if env is None else env)
        environment.setdefault("PULUMI_PROJECT", "proj")
        command = [*engine, sys.executable, "-m", "pulumi.dynamic"]
        self.start(command, environment, "provider host", None if engine else DYNAMIC_HOST_PRELOAD)

    def configure(self, config: Mapping[str, str]) -> None:
        self.stub.Configure(provider_pb2.ConfigureRequest(args=_serialize(config), acceptSecrets=False))

    def check(
        self, res: CapturedResource, news: Mapping[str, Any], olds: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        reply = self.stub.Check(
            provider_pb2.CheckRequest(urn=res.urn, olds=_serialize(olds or {}), news=_serialize(news))
        )
        return _deserialize(reply.inputs), [(f.property, f.reason) for f in reply.failures]

    def diff(self, res: CapturedResource, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
        return self.stub.Diff(
            provider_pb2.DiffRequest(id=id_, urn=res.urn, olds=_serialize(olds), news=_serialize(news))
        )

    def create(
        self, res: CapturedResource, props: Mapping[str, Any], timeout: float = 120
    ) -> tuple[str, dict[str, Any]]:
        reply = self.stub.Create(provider_pb2.CreateRequest(urn=res.urn, properties=_serialize(props)), timeout=timeout)
        return reply.id, _deserialize(reply.properties)

    def read(
        self, res: CapturedResource, id_: str, props: Mapping[str, Any]
    ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        reply = self.stub.Read(provider_pb2.ReadRequest(id=id_, urn=res.urn, properties=_serialize(props)))
        return reply.id, _deserialize(reply.properties), _deserialize(reply.inputs)

    def update(
        self, res: CapturedResource, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        reply = self.stub.Update(
            provider_pb2.UpdateRequest(id=id_, urn=res.urn, olds=_serialize(olds), news=_serialize(news))
        )
        return _deserialize(reply.properties)

    def delete(self, res: CapturedResource, id_: str, props: Mapping[str, Any]) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(id=id_, urn=res.urn, properties=_serialize(props)))
