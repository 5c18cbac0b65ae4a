"""Messages for the engine's log service: `pulumi up` shows them on the resource they concern.

The engine shows a plugin's stderr only as debug output, so progress (``started export ...``) is sent
to the engine's ``Log`` at info severity instead, on the URN of the engine call that is being served.
Each gRPC call runs in its own asyncio task, so the URN set at its start (``about``) stays with that call,
and ``provider`` carries it into the worker thread the call's blocking work runs in. Without a
reachable engine (the plugin run by hand), messages go to stderr as before.
"""

from __future__ import annotations

import sys
from contextvars import ContextVar

import grpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

_RESOURCE: ContextVar[str] = ContextVar("modelarts_resource_urn", default="")
_TIMEOUT_SECONDS = 10.0


class _Engine:
    def __init__(self, address: str) -> None:
        self.channel = grpc.insecure_channel(address)
        self.stub = engine_pb2_grpc.EngineStub(self.channel)


_engine: _Engine | None = None


def connect(address: str) -> None:
    """Send messages to the engine at ``address`` (the plugin's first argument)."""
    global _engine
    _engine = _Engine(address) if address else None


def close() -> None:
    global _engine
    if _engine is not None:
        _engine.channel.close()
        _engine = None


def about(urn: str) -> None:
    """The resource that messages of the current engine call concern."""
    _RESOURCE.set(urn)


def _send(severity: engine_pb2.LogSeverity.ValueType, message: str, urn: str) -> None:
    engine = _engine
    if engine is not None:
        try:
            engine.stub.Log(
                engine_pb2.LogRequest(severity=severity, message=message, urn=urn), timeout=_TIMEOUT_SECONDS
            )
            return
        except grpc.RpcError:
            pass  # no engine listening (the plugin run by hand, or the engine gone): stderr instead
    print(message, file=sys.stderr, flush=True)


def log(message: str) -> None:
    """Progress of the current engine call, at info severity on its resource."""
    _send(engine_pb2.INFO, message, _RESOURCE.get())


def warn(message: str) -> None:
    """A warning that concerns no resource (the provider's configuration)."""
    _send(engine_pb2.WARNING, message, "")
