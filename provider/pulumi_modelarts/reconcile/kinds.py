"""The registry of resource kinds: everything a driver (CLI runner, ``specs.declare``, a provider) needs.

One :class:`Kind` per type token. Drivers use only this interface, never the kind modules:

* ``spec(resource_name, inputs)``: the typed spec of schema-normalized inputs;
* ``plan(ctx, spec) -> Plan``: observe, decide, render (reads only);
* ``decision(ctx, spec) -> Decision``: observe and decide (what ``plan`` renders);
* ``ensure(ctx, spec) -> outputs``: observe, decide, execute that decision;
* ``read(ctx, dataset_id, id) -> outputs | None`` (None: gone) and ``delete(ctx, dataset_id, id, timeout)``;
* ``live_outputs(obj, dataset_id)``: outputs of a live API object (a plan's ``live``);
* ``outputs`` (the schema's ``x-outputs``), ``id_output``, ``replace_keys``, ``update_keys``, ``kept_on_read``;
* ``request_identities(inputs)``: what two resources must not share (same request on the same dataset).

No Pulumi imports here: the plugin and the dynamic providers both build on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_modelarts.reconcile import export, identity, intelligent, versions
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.decision import Decision
from pulumi_modelarts.reconcile.plan import Plan
from pulumi_modelarts.reconcile.spec import ResourceSpec

DATASET_KEYS = ("dataset_id", "dataset_name")
CONTROL_KEYS = ("wait", "timeout_seconds")


@dataclass(frozen=True)
class Kind:
    type_token: str
    spec_class: type[ResourceSpec]
    observe: Callable[[ReconcileContext, Any], Any]
    decide: Callable[[Any, Any], Decision]
    execute: Callable[[ReconcileContext, Any, Decision], dict[str, Any]]
    read: Callable[[ReconcileContext, str, str], dict[str, Any] | None]
    live_outputs: Callable[[Mapping[str, Any], str], dict[str, Any]]
    identities: Callable[[Any], tuple[str, ...]]
    id_output: str
    replace_keys: tuple[str, ...]
    update_keys: tuple[str, ...]
    kept_on_read: tuple[str, ...]  # outputs only create knows (read cannot see them)
    stops_on_delete: bool = False

    @property
    def outputs(self) -> tuple[str, ...]:
        from pulumi_modelarts import schema

        return tuple(schema.outputs_of(self.type_token))

    def spec(self, resource_name: str, inputs: Mapping[str, Any]) -> Any:
        return self.spec_class(resource_name, inputs)

    def decision(self, ctx: ReconcileContext, spec: Any) -> Decision:
        return self.decide(self.observe(ctx, spec), spec)

    def plan(self, ctx: ReconcileContext, spec: Any) -> Plan:
        return self.decision(ctx, spec).to_plan()

    def ensure(self, ctx: ReconcileContext, spec: Any) -> dict[str, Any]:
        return self.execute(ctx, spec, self.decision(ctx, spec))

    def delete(self, ctx: ReconcileContext, dataset_id: str, id_: str, timeout: float) -> None:
        """Undo what can be undone: a running task is stopped; exports and versions are kept."""
        if self.stops_on_delete:
            intelligent.delete(ctx, dataset_id, id_, timeout)

    def request_identities(self, resource_name: str, inputs: Mapping[str, Any]) -> tuple[str, ...]:
        """Keys two resources must not share; inputs are schema-normalized (references may stay literal)."""
        spec = self.spec(resource_name, inputs)
        dataset = next((f"{key}={inputs[key]}" for key in DATASET_KEYS if inputs.get(key)), "")
        found = [f"{self.type_token} on {dataset}: {item}" for item in self.identities(spec)]
        if inputs.get("adopt_task_id"):
            found.append(f"{self.type_token} on {dataset}: adopts {inputs['adopt_task_id']}")
        return tuple(found)


def _task_identities(spec: intelligent.IntelligentTaskSpec) -> tuple[str, ...]:
    # When the API does not echo task names, the request is the identity: it must be unique per dataset.
    found = [f"request {identity.canonical_json(spec.request_body())}"]
    if spec.explicit_name:
        found.append(f"task name '{spec.explicit_name}'")
    return tuple(found)


def _export_identities(spec: export.ExportTaskSpec) -> tuple[str, ...]:
    return (f"request {identity.canonical_json(spec.request_body())}",)


def _version_identities(spec: versions.VersionRefSpec) -> tuple[str, ...]:
    if spec.release is not None and spec.inputs.get("version_name"):
        return (f"release of version '{spec.inputs['version_name']}'",)
    return ()


def _task_live(task: Mapping[str, Any], dataset_id: str) -> dict[str, Any]:
    return intelligent.task_outputs(task, dataset_id)


def _export_live(task: Mapping[str, Any], dataset_id: str) -> dict[str, Any]:
    return export.export_outputs(task, dataset_id)


KINDS: dict[str, Kind] = {
    kind.type_token: kind
    for kind in (
        Kind(
            type_token="modelarts:IntelligentTask",
            spec_class=intelligent.IntelligentTaskSpec,
            observe=intelligent.observe,
            decide=intelligent.decide,
            execute=intelligent.execute,
            read=intelligent.read,
            live_outputs=_task_live,
            identities=_task_identities,
            id_output="task_id",
            replace_keys=(*DATASET_KEYS, *intelligent.API_FIELDS, "adopt_task_id"),
            update_keys=(*CONTROL_KEYS, "accept"),
            kept_on_read=("fingerprint", "adopted", "accepted_count", "skipped_counts"),
            stops_on_delete=True,
        ),
        Kind(
            type_token="modelarts:ExportTask",
            spec_class=export.ExportTaskSpec,
            observe=export.observe,
            decide=export.decide,
            execute=export.execute,
            read=export.read,
            live_outputs=_export_live,
            identities=_export_identities,
            id_output="task_id",
            replace_keys=(*DATASET_KEYS, *export.API_FIELDS, "adopt_task_id"),
            update_keys=CONTROL_KEYS,
            kept_on_read=("fingerprint", "adopted", "new_dataset_id"),
        ),
        Kind(
            type_token="modelarts:DatasetVersionRef",
            spec_class=versions.VersionRefSpec,
            observe=versions.observe,
            decide=versions.decide,
            execute=versions.execute,
            read=versions.read,
            live_outputs=versions.version_outputs,
            identities=_version_identities,
            id_output="version_id",
            replace_keys=(*DATASET_KEYS, *versions.PIN_FIELDS, "release"),
            update_keys=(*CONTROL_KEYS, "requirements"),
            kept_on_read=("fingerprint", "released"),
        ),
    )
}


def kind_of(type_token: str) -> Kind:
    """The kind of a type token; a KeyError names the known ones."""
    try:
        return KINDS[type_token]
    except KeyError:
        raise KeyError(f"unknown resource type {type_token!r} (known: {', '.join(sorted(KINDS))})") from None
