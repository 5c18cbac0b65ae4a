"""The plugin's ``Provider``: the engine's requests in Pulumi's property values, the work in ``bridge``.

Handlers are async; the reconcile code is blocking (httpx), so every call into the bridge runs in a
thread of a pool large enough for any engine parallelism in practice (asyncio's default pool has
``cpu_count + 4`` threads: six on two cores).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from pulumi.provider.experimental import provider as p
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.runtime import rpc

from pulumi_modelarts.plugin import bridge, schema
from pulumi_modelarts.reconcile.context import stderr_log as log
from pulumi_modelarts.reconcile.kinds import Kind
from pulumi_modelarts.reconcile.unknown import Unknown

R = TypeVar("R")
MAX_CALLS = 128  # engine calls worked on at once; most of them are waiting on a task
_POOL = ThreadPoolExecutor(max_workers=MAX_CALLS, thread_name_prefix="modelarts")


# --- property values <-> plain Python values --------------------------------------------------------


def to_plain(value: PropertyValue) -> Any:
    """A property value as plain Python, the engine's unknowns as ``reconcile.unknown.Unknown``."""
    inner = value.value
    if isinstance(inner, Computed) or (isinstance(inner, str) and inner == rpc.UNKNOWN):
        return Unknown()
    if isinstance(inner, Mapping):
        return {key: to_plain(item) for key, item in inner.items()}
    if isinstance(inner, tuple):
        return [to_plain(item) for item in inner]
    return inner


def plain_map(values: Mapping[str, PropertyValue]) -> dict[str, Any]:
    return {key: to_plain(value) for key, value in values.items()}


def secret_keys(values: Mapping[str, PropertyValue]) -> set[str]:
    return {key for key, value in values.items() if value.contains_secret()}


def to_value(value: Any) -> PropertyValue:
    if isinstance(value, Unknown):  # the SDK cannot marshal its Computed value: the engine's unknown string
        return PropertyValue(rpc.UNKNOWN)
    if isinstance(value, Mapping):
        return PropertyValue({str(key): to_value(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return PropertyValue([to_value(item) for item in value])
    if isinstance(value, int) and not isinstance(value, bool):
        return PropertyValue(float(value))
    return PropertyValue(value)


def value_map(values: Mapping[str, Any], secrets: Collection[str] = ()) -> dict[str, PropertyValue]:
    """Property values; those named in ``secrets`` stay secret (outputs echo inputs under their own names)."""
    result = {key: to_value(value) for key, value in values.items()}
    for key in set(secrets) & set(result):
        result[key] = result[key].with_secret(True)
    return result


# --- the provider ---------------------------------------------------------------------------------


class PluginProvider(p.Provider):
    """The plugin's provider: the engine's calls in property values, the work in ``bridge`` (the dynamic resources
    have their own, ``resources._provider.ModelArtsProvider``)."""

    def __init__(self) -> None:
        self._schema: str | None = None

    @staticmethod
    async def _run(action: Callable[[], R]) -> R:
        return await asyncio.get_running_loop().run_in_executor(_POOL, action)

    @staticmethod
    def _resource(urn: str) -> tuple[Kind, str, str]:
        """The kind, the resource name and its owner's namespace, from the URN."""
        token, name = p._extract_type(urn), p._extract_name(urn)
        kind = bridge.KINDS.get(token)
        if kind is None:
            raise bridge.UserError(f"unknown resource type {token!r}; this provider serves {', '.join(bridge.KINDS)}")
        stack, _, rest = urn.removeprefix("urn:pulumi:").partition("::")
        project = rest.split("::", 1)[0]
        return kind, name, bridge.namespace(project, stack)

    def _log(self, urn: str) -> Callable[[str], None]:
        """Where one resource's progress goes."""
        name = p._extract_name(urn)
        return lambda message: log(f"{name}: {message}")

    async def get_schema(self, request: p.GetSchemaRequest) -> p.GetSchemaResponse:
        if self._schema is None:
            self._schema = schema.package_schema_json()
        return p.GetSchemaResponse(schema=self._schema)

    async def configure(self, request: p.ConfigureRequest) -> p.ConfigureResponse:
        config = plain_map(request.args)
        if not config:  # older engines send only the variables, keyed modelarts:config:<key>
            config = {key.rsplit(":", 1)[-1]: value for key, value in request.variables.items()}
        bridge.configure(config)
        return p.ConfigureResponse(accept_secrets=True, supports_preview=True)

    async def check(self, request: p.CheckRequest) -> p.CheckResponse:
        kind, _, _ = self._resource(request.urn)
        news = request.new_inputs
        inputs, failures = bridge.check(kind, plain_map(news))
        return p.CheckResponse(
            inputs=value_map(inputs, secret_keys(news)),
            failures=[p.CheckFailure(path, reason) for path, reason in failures],
        )

    async def diff(self, request: p.DiffRequest) -> p.DiffResponse:
        kind, name, owner = self._resource(request.urn)
        olds, news = plain_map(request.old_state), plain_map(request.new_inputs)
        log_sink = self._log(request.urn)
        change = await self._run(lambda: bridge.diff(kind, name, owner, olds, news, log_sink))
        detailed = {
            key: p.PropertyDiff(_DIFF_KINDS[(item.kind, item.replace)], item.input_diff)
            for key, item in change.detailed.items()
        }
        return p.DiffResponse(
            changes=change.changes,
            replaces=list(change.replaces),
            stables=list(change.stables),
            delete_before_replace=change.delete_before_replace,
            diffs=list(detailed),
            detailed_diff=detailed,
        )

    async def create(self, request: p.CreateRequest) -> p.CreateResponse:
        kind, name, owner = self._resource(request.urn)
        inputs = plain_map(request.properties)
        secrets = secret_keys(request.properties)
        log_sink = self._log(request.urn)
        if request.preview:
            outputs = await self._run(lambda: bridge.preview_create(kind, name, owner, inputs, log_sink))
            return p.CreateResponse("", value_map(outputs, secrets))
        resource_id, created = await self._run(
            lambda: bridge.create(kind, name, owner, inputs, request.timeout, log_sink)
        )
        return p.CreateResponse(resource_id, value_map(created, secrets))

    async def read(self, request: p.ReadRequest) -> p.ReadResponse:
        kind, name, owner = self._resource(request.urn)
        state = plain_map(request.properties)
        secrets = secret_keys(request.properties) | secret_keys(request.inputs)
        resource_id, outputs, inputs = await self._run(
            lambda: bridge.read(kind, name, owner, request.resource_id, state)
        )
        if not resource_id:
            return p.ReadResponse()
        return p.ReadResponse(resource_id, value_map(outputs, secrets), value_map(inputs, secrets))

    async def update(self, request: p.UpdateRequest) -> p.UpdateResponse:
        kind, name, owner = self._resource(request.urn)
        olds, news = plain_map(request.olds), plain_map(request.news)
        secrets = secret_keys(request.news)
        if request.preview:
            return p.UpdateResponse(value_map(bridge.preview_outputs(kind, name, news, olds), secrets))
        log_sink = self._log(request.urn)
        outputs = await self._run(lambda: bridge.update(kind, name, owner, olds, news, request.timeout, log_sink))
        return p.UpdateResponse(value_map(outputs, secrets))

    async def delete(self, request: p.DeleteRequest) -> None:
        kind, name, owner = self._resource(request.urn)
        state = plain_map(request.properties)
        log_sink = self._log(request.urn)
        await self._run(lambda: bridge.delete(kind, name, owner, request.resource_id, state, request.timeout, log_sink))

    async def invoke(self, request: p.InvokeRequest) -> p.InvokeResponse:
        if request.tok not in bridge.FUNCTIONS:
            raise bridge.UserError(
                f"unknown function {request.tok!r}; this provider serves {', '.join(bridge.FUNCTIONS)}"
            )
        args = plain_map(request.args)
        outputs, failures = await self._run(lambda: bridge.invoke(request.tok, args))
        return p.InvokeResponse(
            return_value=None if outputs is None else value_map(outputs),
            failures=[p.CheckFailure(path, reason) for path, reason in failures],
        )

    async def cancel(self) -> None:
        bridge.cancel_all()


_DIFF_KINDS = {
    ("add", False): p.PropertyDiffKind.ADD,
    ("delete", False): p.PropertyDiffKind.DELETE,
    ("update", False): p.PropertyDiffKind.UPDATE,
    ("add", True): p.PropertyDiffKind.ADD_REPLACE,
    ("delete", True): p.PropertyDiffKind.DELETE_REPLACE,
    ("update", True): p.PropertyDiffKind.UPDATE_REPLACE,
}
