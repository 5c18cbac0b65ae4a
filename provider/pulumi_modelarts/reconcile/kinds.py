"""The registry of resource kinds: everything a driver (CLI runner, ``specs.declare``, a Pulumi adapter)
needs to know of a kind. Drivers use only this interface, never the kind modules:

* ``spec(resource_name, inputs, namespace)``: the typed spec of schema-normalized inputs;
* ``decision(ctx, spec)``: observe, then the one pure decision; ``deferred(spec)`` when inputs are
  known only after apply (every write the resource may make then);
* ``execute(ctx, spec, decision) -> outputs``: the decision's writes, nothing else;
* ``read``, ``delete`` (what a Pulumi delete undoes), ``import_inputs`` (``pulumi import``);
* ``live_outputs(obj, dataset_id)``: outputs of a live API object (published by a plan);
* ``lists(inputs)``: the observer's lists a resource reads, so a driver can fetch them ahead, in parallel;
* ``outputs`` (the schema's ``x-outputs``), ``id_output``, ``replace_keys``, ``update_keys``,
  ``kept_on_read``, ``stables``;
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
from pulumi_modelarts.reconcile.observe import ListKey
from pulumi_modelarts.reconcile.spec import DEFAULT_NAMESPACE, ResourceSpec

DATASET_KEYS = ("dataset_id", "dataset_name")
CONTROL_KEYS = ("wait", "timeout_seconds")
Imported = tuple[dict[str, Any], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    type_token: str
    spec_class: type[ResourceSpec]
    observe: Callable[[ReconcileContext, Any], Any]
    decide: Callable[[Any, Any], Decision]
    deferred: Callable[[Any], Decision]
    execute: Callable[[ReconcileContext, Any, Decision], dict[str, Any]]
    read: Callable[[ReconcileContext, str, str], dict[str, Any] | None]
    import_inputs: Callable[[ReconcileContext, str, str, str, str], Imported | None]
    live_outputs: Callable[[Mapping[str, Any], str], dict[str, Any]]
    identities: Callable[[Any], tuple[str, ...]]
    lists: Callable[[Mapping[str, Any]], tuple[ListKey, ...]]
    id_output: str
    replace_keys: tuple[str, ...]
    update_keys: tuple[str, ...]
    kept_on_read: tuple[str, ...]  # outputs only create knows (read cannot see them)
    stables: tuple[str, ...]  # outputs an in-place update never changes
    # What a Pulumi delete undoes (ctx, spec, dataset_id, id, timeout, started -> what was done); None: nothing.
    delete: Callable[[ReconcileContext, Any, str, str, float, bool], str] | None = None
    # Resources with the same key start work ModelArts runs one at a time (one auto-label task per dataset):
    # drivers run their creates one after the other. None: no such limit.
    exclusive_key: Callable[[Mapping[str, Any]], tuple[str, ...] | None] = lambda _inputs: None

    @property
    def name(self) -> str:
        """``ExportTask`` of ``modelarts:ExportTask``: the class name in every SDK."""
        return self.type_token.split(":", 1)[1]

    @property
    def outputs(self) -> tuple[str, ...]:
        from pulumi_modelarts import schema

        return tuple(schema.outputs_of(self.type_token))

    def spec(self, resource_name: str, inputs: Mapping[str, Any], namespace: str = DEFAULT_NAMESPACE) -> Any:
        return self.spec_class(resource_name, inputs, namespace)

    def decision(self, ctx: ReconcileContext, spec: Any) -> Decision:
        return self.decide(self.observe(ctx, spec), spec)

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


def _task_exclusive_key(inputs: Mapping[str, Any]) -> tuple[str, ...] | None:
    task_type = inputs.get("task_type")
    if task_type not in intelligent.EXCLUSIVE_TYPES:
        return None
    return (str(inputs.get("dataset_id") or inputs.get("dataset_name")), str(task_type))


def _task_lists(inputs: Mapping[str, Any]) -> tuple[ListKey, ...]:
    task_type = inputs.get("task_type")
    return (("tasks", task_type),) if isinstance(task_type, str) else ()


def _export_lists(inputs: Mapping[str, Any]) -> tuple[ListKey, ...]:
    return (("exports", None), ("versions", None)) if inputs.get("version_id") else (("exports", None),)


def _version_lists(_inputs: Mapping[str, Any]) -> tuple[ListKey, ...]:
    return (("versions", None),)


KINDS: dict[str, Kind] = {
    kind.type_token: kind
    for kind in (
        Kind(
            type_token="modelarts:IntelligentTask",
            spec_class=intelligent.IntelligentTaskSpec,
            observe=intelligent.observe,
            decide=intelligent.decide,
            deferred=intelligent.deferred,
            execute=intelligent.execute,
            read=intelligent.read,
            import_inputs=intelligent.import_inputs,
            live_outputs=intelligent.task_outputs,
            identities=_task_identities,
            lists=_task_lists,
            id_output="task_id",
            replace_keys=(*DATASET_KEYS, *intelligent.API_FIELDS, "adopt_task_id"),
            update_keys=(*CONTROL_KEYS, "accept"),
            kept_on_read=("fingerprint", "adopted", "accepted_count", "skipped_counts"),
            stables=("task_id", "task_name", "dataset_id", "fingerprint", "create_time"),
            delete=intelligent.stop_if_owned,
            exclusive_key=_task_exclusive_key,
        ),
        Kind(
            type_token="modelarts:ExportTask",
            spec_class=export.ExportTaskSpec,
            observe=export.observe,
            decide=export.decide,
            deferred=export.deferred,
            execute=export.execute,
            read=export.read,
            import_inputs=export.import_inputs,
            live_outputs=export.export_outputs,
            identities=_export_identities,
            lists=_export_lists,
            id_output="task_id",
            replace_keys=(*DATASET_KEYS, *export.API_FIELDS, "adopt_task_id"),
            update_keys=CONTROL_KEYS,
            kept_on_read=("fingerprint", "adopted", "new_dataset_id"),
            stables=("task_id", "dataset_id", "fingerprint", "create_time"),
        ),
        Kind(
            type_token="modelarts:DatasetVersionRef",
            spec_class=versions.VersionRefSpec,
            observe=versions.observe,
            decide=versions.decide,
            deferred=versions.deferred,
            execute=versions.execute,
            read=versions.read,
            import_inputs=versions.import_inputs,
            live_outputs=versions.version_outputs,
            identities=_version_identities,
            lists=_version_lists,
            id_output="version_id",
            replace_keys=(*DATASET_KEYS, *versions.PIN_FIELDS, "release"),
            update_keys=(*CONTROL_KEYS, "requirements"),
            kept_on_read=("fingerprint", "released"),
            stables=("version_id", "version_name", "dataset_id", "fingerprint", "create_time"),
        ),
    )
}


def kind_of(type_token: str) -> Kind:
    """The kind of a type token; a KeyError names the known ones."""
    try:
        return KINDS[type_token]
    except KeyError:
        raise KeyError(f"unknown resource type {type_token!r} (known: {', '.join(sorted(KINDS))})") from None
