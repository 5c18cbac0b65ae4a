"""``pulumi-resource-modelarts``: the gRPC server the Pulumi engine starts; it prints its port, then serves.

The SDK's servicer appends a Python traceback to every error; here a failure reaches the engine as its
one-line message instead (ModelArts' code and text for API errors, never a traceback or a secret).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import grpc.aio
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import provider_pb2_grpc

from pulumi_modelarts import __version__
from pulumi_modelarts.plugin.bridge import UserError
from pulumi_modelarts.plugin.provider import PluginProvider

SERVED = ("GetSchema", "Configure", "Check", "Diff", "Create", "Read", "Update", "Delete", "Invoke")

Handler = Callable[[Any, Any, Any], Awaitable[Any]]


def message_of(error: BaseException) -> str:
    """What the engine shows: the user-facing message, or a one-line description of a defect."""
    if isinstance(error, UserError):
        return str(error)
    if isinstance(error, NotImplementedError):
        return str(error) or "not implemented by the ModelArts provider"
    return f"internal error in the ModelArts provider: {type(error).__name__}: {error}"


def _clean(name: str) -> Handler:
    parent: Handler = getattr(ProviderServicer, name)

    async def handler(self: Any, request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        try:
            return await parent(self, request, context)
        except Exception as error:  # the SDK re-raises our error wrapped, with the original as context
            cause = error.__context__ if isinstance(error.__context__, Exception) else error
            await context.abort(grpc.StatusCode.UNKNOWN, message_of(cause))

    handler.__name__ = name
    return handler


class Servicer(ProviderServicer):
    """The SDK's servicer with clean errors."""


for _name in SERVED:
    setattr(Servicer, _name, _clean(_name))


async def serve(engine: str, args: list[str]) -> None:
    server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
    servicer = Servicer(args, __version__, PluginProvider(), engine_address=engine)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    await server.wait_for_termination()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="pulumi-resource-modelarts", description="The ModelArts provider plugin")
    parser.add_argument("engine", nargs="?", default="", help="the Pulumi engine's address (given by the engine)")
    parser.add_argument("--logflow", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--logtostderr", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("-v", dest="verbosity", help=argparse.SUPPRESS)
    parser.add_argument("--tracing", help=argparse.SUPPRESS)
    known, _ = parser.parse_known_args(args)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(known.engine, args))


if __name__ == "__main__":
    main()
