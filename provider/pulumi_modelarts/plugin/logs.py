"""Messages for the engine's log service: `pulumi up` shows them on the resource they concern.

The engine shows a plugin's stderr only as debug output, so progress (``started export ...``) goes to the
engine's ``Log`` at info severity, on the URN of the resource, and warnings about the provider's config at
warning severity. Without a reachable engine (the plugin run by hand), messages go to stderr as before.
"""

from __future__ import annotations

import sys

import grpc
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

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


def _send(severity: engine_pb2.LogSeverity.ValueType, message: str, urn: str) -> None:
    engine = _engine
    if engine is not None:
        request = engine_pb2.LogRequest(severity=severity, message=message, urn=urn)
        try:
            engine.stub.Log(request, timeout=_TIMEOUT_SECONDS)
            return
        except grpc.RpcError:
            pass  # no engine listening (the plugin run by hand, or the engine gone): stderr instead
    print(message, file=sys.stderr, flush=True)


def info(urn: str, message: str) -> None:
    """Progress on the resource ``urn``, at info severity."""
    _send(engine_pb2.INFO, message, urn)


def warn(message: str) -> None:
    """A warning that concerns no resource (the provider's configuration)."""
    _send(engine_pb2.WARNING, message, "")
