"""The one module of the plugin that calls into the resources and reconcile code.

Everything here works on plain Python values (dicts of the API's field names). Each resource kind's
lifecycle is the dynamic provider's own (``pulumi_modelarts.resources``): the same normalization,
diff keys, create/adopt, read, update and delete, run with a reconcile context made here, whose
``sleep`` honours the engine's timeout and Cancel. What the dynamic path cannot do is added here:
reading by id alone (import) and the functions.

The interface the plugin uses: ``KINDS`` (``Kind``), ``FUNCTIONS``, ``Operation``, ``cancel_all``,
``configure``, ``check``, ``diff``, ``create``, ``preview_outputs``, ``read``, ``update``, ``delete``
and ``invoke``. Switching onto a registry of kinds changes this module only.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulumi.runtime import rpc

from pulumi_modelarts import schema
from pulumi_modelarts.api.errors import ModelArtsError, NotFoundError
from pulumi_modelarts.plugin.logs import log
from pulumi_modelarts.reconcile import export, identity, intelligent, versions
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.errors import ReconcileError
from pulumi_modelarts.reconcile.kinds import kind_of
from pulumi_modelarts.reconcile.waiting import STOP, Interrupted
from pulumi_modelarts.resources import _config
from pulumi_modelarts.resources._provider import (
    RESOURCE_NAME,
    SPEC,
    ModelArtsProvider,
    ProviderError,
    echo_outputs,
    live_outputs,
)
from pulumi_modelarts.resources.dataset_version_ref import DatasetVersionRefProvider
from pulumi_modelarts.resources.export_task import ExportTaskProvider
from pulumi_modelarts.resources.intelligent_task import IntelligentTaskProvider

if TYPE_CHECKING:
    from collections.abc import Callable

UNKNOWN = rpc.UNKNOWN
UserError = ProviderError  # a message for the user: ModelArts' code and text, no secrets, no traceback
INTERNAL_OUTPUTS = (RESOURCE_NAME, SPEC)  # kept in state like the dynamic resources, not in the schema


@dataclass(frozen=True)
class Kind:
    """What the plugin needs to know of one resource type."""

    token: str  # the plugin's type token, modelarts:index:ExportTask
    spec_token: str  # the JSON Schema / spec-file token, modelarts:ExportTask
    id_output: str  # the output whose value, after ``<dataset_id>/``, is the resource id
    replace_keys: tuple[str, ...]
    update_keys: tuple[str, ...]
    stables: tuple[str, ...]  # outputs an in-place update never changes
    provider: type[ModelArtsProvider]

    @property
    def name(self) -> str:
        return self.token.rsplit(":", 1)[-1]

    def outputs(self) -> list[str]:
        return schema.outputs_of(self.spec_token)

    def output_annotations(self) -> dict[str, Any]:
        """The dynamic resource class's typed output attributes, by name."""
        import inspect

        import pulumi_modelarts.resources as classes

        return inspect.get_annotations(getattr(classes, self.name), eval_str=True)


def _kind(provider: type[ModelArtsProvider], stables: tuple[str, ...]) -> Kind:
    """The plugin's view of a kind of the registry (``reconcile.kinds``), served by its dynamic provider."""
    registered = kind_of(provider.type_token)
    name = provider.type_token.split(":", 1)[1]
    return Kind(
        token=f"modelarts:index:{name}",
        spec_token=provider.type_token,
        id_output=registered.id_output,
        replace_keys=registered.replace_keys,
        update_keys=registered.update_keys,
        stables=stables,
        provider=provider,
    )


KINDS: dict[str, Kind] = {
    kind.token: kind
    for kind in (
        _kind(IntelligentTaskProvider, ("task_id", "task_name", "dataset_id", "fingerprint", "create_time")),
        _kind(ExportTaskProvider, ("task_id", "dataset_id", "fingerprint", "create_time")),
        _kind(DatasetVersionRefProvider, ("version_id", "version_name", "dataset_id", "fingerprint", "create_time")),
    )
}

# --- timeouts and Cancel ---------------------------------------------------------------------------


def cancel_all() -> None:
    """The engine's Cancel: every wait in progress, and any later one, stops at once (the process-wide STOP)."""
    STOP.request()


class StoppedWaiting(ReconcileError):
    """The engine's timeout ran out, or it cancelled the operation; the work goes on in ModelArts."""


class Operation:
    """One engine call: its name for messages and its deadline (the engine's timeout; 0 means none).

    Waiting happens in the reconcile context's ``sleep``: it sleeps on the process-wide stop signal
    (which Cancel requests, as Ctrl-C does in the CLI) and never past the engine's deadline.
    """

    def __init__(self, label: str, timeout: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.timeout = timeout
        self.clock = clock
        self.deadline = clock() + timeout if timeout > 0 else None

    def sleep(self, seconds: float) -> None:
        self._check()
        with suppress(Interrupted):  # reported as StoppedWaiting by the check below
            STOP.sleep(seconds if self.deadline is None else min(seconds, max(0.0, self.deadline - self.clock())))
        self._check()

    def _check(self) -> None:
        resume = "The work goes on in ModelArts; the next `pulumi up` resumes waiting on it."
        if STOP.requested:
            raise StoppedWaiting(f"{self.label}: cancelled by the engine. {resume}")
        if self.deadline is not None and self.clock() >= self.deadline:
            raise StoppedWaiting(f"{self.label}: the engine's timeout of {self.timeout:.0f}s ran out. {resume}")

    def context(self) -> ReconcileContext:
        return ReconcileContext.for_client(_config.client(), log=log, sleep=self.sleep)


def _provider(kind: Kind, operation: Operation) -> ModelArtsProvider:
    """The dynamic provider of the kind, running its reconcile code in this operation's context."""
    provider = kind.provider()
    setattr(provider, "context", operation.context)  # noqa: B010 (a method replaced on this instance only)
    return provider


def _guarded(kind: Kind, name: str, action: Callable[[], Any]) -> Any:
    return kind.provider().guarded(name, action)


def _split_id(kind: Kind, resource_id: str) -> tuple[str, str]:
    dataset_id, _, own_id = resource_id.partition("/")
    if not dataset_id or not own_id or "/" in own_id:
        what = "version_id" if kind.id_output == "version_id" else "task_id"
        raise UserError(f"{kind.token}: the id {resource_id!r} is not of the form <dataset_id>/<{what}>")
    return dataset_id, own_id


def _named(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    return {**props, RESOURCE_NAME: name}


# --- configuration ---------------------------------------------------------------------------------


def configure(config: Mapping[str, Any]) -> None:
    """Provider config (bare keys such as ``region``), read exactly as the dynamic resources read it."""
    from pulumi_modelarts.api.config import explicit_from_config

    _config.set_explicit(explicit_from_config({key: _config_text(value) for key, value in config.items()}))


def _config_text(value: Any) -> Any:
    """Stack config reaches the dynamic resources as strings; typed values from a program become the same."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return value


# --- the resource lifecycle ------------------------------------------------------------------------


def check(kind: Kind, name: str, news: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Normalized inputs (floats back to integers, defaults filled) and the violations, by property path."""
    result = kind.provider().check({}, _named(name, news))
    inputs = {key: value for key, value in result.inputs.items() if key != RESOURCE_NAME}
    return inputs, [(failure.property, failure.reason) for failure in result.failures or []]


@dataclass(frozen=True)
class Changes:
    replaces: list[str]
    updates: list[str]
    from_live: list[str]  # replaces not caused by an input: a selector now resolving to another version


def diff(kind: Kind, name: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Changes:
    """Which inputs replace and which change in place (the selector of a version ref may re-resolve)."""
    provider = _provider(kind, Operation(f"{kind.spec_token} '{name}'"))
    _, by_inputs, updates = provider.changes(dict(olds), _named(name, news))
    replaces = list(provider.diff("", dict(olds), _named(name, news)).replaces or [])
    return Changes(
        replaces,
        [key for key in updates if key not in replaces],
        [key for key in replaces if key not in by_inputs],
    )


def create(kind: Kind, name: str, inputs: Mapping[str, Any], timeout: float = 0.0) -> tuple[str, dict[str, Any]]:
    """Adopt or create, and wait: the dynamic resource's create. The id is ``<dataset_id>/<own id>``."""
    operation = Operation(f"{kind.spec_token} '{name}'", timeout)
    result = _provider(kind, operation).create(_named(name, inputs))
    outputs = dict(result.outs or {})
    return f"{outputs['dataset_id']}/{result.id}", outputs


def preview_outputs(
    kind: Kind, name: str, inputs: Mapping[str, Any], olds: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Outputs of a preview: the inputs echoed, the recorded live state (update) or unknowns (create)."""
    if olds is not None:
        return echo_outputs(name, inputs, live_outputs(olds))
    return echo_outputs(name, inputs, {key: UNKNOWN for key in kind.outputs() if key not in inputs})


def update(
    kind: Kind, name: str, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any], timeout: float = 0.0
) -> dict[str, Any]:
    _, own_id = _split_id(kind, resource_id)
    operation = Operation(f"{kind.spec_token} '{name}'", timeout)
    result = _provider(kind, operation).update(own_id, dict(olds), _named(name, news))
    return dict(result.outs or {})


def delete(kind: Kind, name: str, resource_id: str, state: Mapping[str, Any], timeout: float = 0.0) -> None:
    _, own_id = _split_id(kind, resource_id)
    operation = Operation(f"{kind.spec_token} '{name}'", timeout)
    _provider(kind, operation).delete(own_id, _named(name, state))


def read(
    kind: Kind, name: str, resource_id: str, state: Mapping[str, Any]
) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """Refresh (with state) or import (the id alone): the live id, outputs and inputs, or None when gone."""
    dataset_id, own_id = _split_id(kind, resource_id)
    operation = Operation(f"{kind.spec_token} '{name}'")
    if isinstance(state.get(SPEC), Mapping):
        result = _provider(kind, operation).read(own_id, {**_named(name, state), "dataset_id": dataset_id})
        if not result.id:
            return None
        inputs = {key: value for key, value in (result.inputs or {}).items() if key != RESOURCE_NAME}
        return resource_id, dict(result.outs or {}), inputs
    found = _guarded(kind, name, lambda: _import(kind, operation.context(), name, dataset_id, own_id))
    if found is None:
        return None
    inputs, live = found
    return resource_id, echo_outputs(name, inputs, live), inputs


# --- import: inputs reconstructed from the live object ----------------------------------------------


def _import(
    kind: Kind, ctx: ReconcileContext, name: str, dataset_id: str, own_id: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    try:
        if kind.provider is ExportTaskProvider:
            return _import_export(kind, ctx, name, dataset_id, own_id)
        if kind.provider is IntelligentTaskProvider:
            return _import_task(kind, ctx, name, dataset_id, own_id)
        return _import_version(kind, ctx, name, dataset_id, own_id)
    except NotFoundError:
        return None


def _fit(kind: Kind, name: str, candidate: Mapping[str, Any]) -> dict[str, Any]:
    """Normalize reconstructed inputs; a field of the live object the schema refuses is left out."""
    inputs, violations = schema.validate_inputs(kind.spec_token, dict(candidate))
    if violations:
        refused = {violation.path.split(".")[0].split("[")[0] for violation in violations}
        kept = {key: value for key, value in candidate.items() if key not in refused or key == "dataset_id"}
        inputs, violations = schema.validate_inputs(kind.spec_token, kept)
    if violations:
        details = "; ".join(str(violation) for violation in violations)
        raise UserError(f"{kind.token} '{name}': the live object cannot be imported: {details}")
    return inputs


def _import_export(
    kind: Kind, ctx: ReconcileContext, name: str, dataset_id: str, task_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    task = ctx.client.get_export_task(dataset_id, task_id)
    task.setdefault("task_id", task_id)
    echoed = {key: task[key] for key in export.API_FIELDS if task.get(key) is not None}
    inputs = _fit(kind, name, {"dataset_id": dataset_id, **echoed})
    live = export.export_outputs(task, dataset_id, adopted=True)
    live["fingerprint"] = export.ExportTaskSpec(name, inputs).fingerprint
    return inputs, live


_TASK_TYPE_CODES = {0: "auto-label", 1: "pre-label"}


def _import_task(
    kind: Kind, ctx: ReconcileContext, name: str, dataset_id: str, task_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    task = ctx.client.get_task(dataset_id, task_id)
    task.setdefault("task_id", task_id)
    code = task.get("type")
    task_type = task.get("task_type") or (_TASK_TYPE_CODES.get(code) if isinstance(code, int) else None)
    if task_type is None:
        # The integer type of auto-grouping tasks is not documented: find the task in that list instead.
        listed = ctx.observer.tasks(dataset_id, "auto-grouping")
        if not any(item.get("task_id") == task_id for item in listed):
            raise UserError(f"{kind.token} '{name}': cannot tell the type of task {task_id} (type {task.get('type')})")
        task_type = "auto-grouping"
    config = dict(task.get("config") or {})
    generated = identity.parse_task_name(str(config.get("name") or ""))
    if generated is not None and generated[0] == identity.resource_tag(name):
        config.pop("name")  # our own generated name: it follows from the resource name and the request
    candidate: dict[str, Any] = {"dataset_id": dataset_id, "task_type": task_type}
    for key in ("collect_key_sample", "model_id"):
        if task.get(key) is not None:
            candidate[key] = task[key]
    if config:
        candidate["config"] = config
    inputs = _fit(kind, name, candidate)
    live = intelligent.task_outputs(task, dataset_id, adopted=True)
    live["fingerprint"] = intelligent.IntelligentTaskSpec(name, inputs).fingerprint
    return inputs, live


def _import_version(
    kind: Kind, ctx: ReconcileContext, name: str, dataset_id: str, version_id: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    live = versions.read(ctx, dataset_id, version_id)
    if live is None:
        return None
    inputs = _fit(kind, name, {"dataset_id": dataset_id, "version_id": version_id})
    live["released"] = False
    live["fingerprint"] = versions.VersionRefSpec(name, inputs).fingerprint
    return inputs, live


# --- functions -------------------------------------------------------------------------------------

DATASET_OUTPUTS: dict[str, type] = {
    "dataset_id": str,
    "dataset_name": str,
    "dataset_type": int,
    "description": str,
    "work_path": str,
    "total_sample_count": int,
    "annotated_sample_count": int,
    "unconfirmed_sample_count": int,
    "current_version_id": str,
    "current_version_name": str,
    "dataset_version_count": int,
}
DATASET_ARGS = ("dataset_id", "dataset_name")
VERSION_ARGS = (*DATASET_ARGS, *versions.PIN_FIELDS)
_VERSION_REF = KINDS["modelarts:index:DatasetVersionRef"]
VERSION_OUTPUTS = tuple(key for key in _VERSION_REF.outputs() if key not in ("released", "fingerprint"))


@dataclass(frozen=True)
class Function:
    token: str
    description: str
    args: tuple[str, ...]  # input properties, typed as in the DatasetVersionRef schema
    output_types: Mapping[str, Any]  # Python types, or the dynamic classes' pulumi.Output[T] annotations

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(self.output_types)


FUNCTIONS: dict[str, Function] = {
    function.token: function
    for function in (
        Function(
            "modelarts:index:getDataset",
            "Look up a dataset by dataset_id or dataset_name: its id, name, type and sample counts.",
            DATASET_ARGS,
            DATASET_OUTPUTS,
        ),
        Function(
            "modelarts:index:getDatasetVersion",
            "Resolve a dataset version (by version_id, version_name, or selector `current`/`latest`) of a dataset"
            " given by dataset_id or dataset_name: its id, name, status and counts.",
            VERSION_ARGS,
            {key: _VERSION_REF.output_annotations()[key] for key in VERSION_OUTPUTS},
        ),
    )
}


def invoke(token: str, args: Mapping[str, Any]) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """Run a function: its outputs, or the argument violations by property path.

    Arguments are validated by the DatasetVersionRef schema (getDataset's with a stand-in pin).
    """
    function = FUNCTIONS[token]
    unknown = sorted(set(args) - set(function.args))
    if unknown:
        return None, [(key, f"unknown argument; allowed: {', '.join(function.args)}") for key in unknown]
    given = {key: value for key, value in args.items() if value is not None}
    by_dataset = function.args == DATASET_ARGS
    inputs, violations = schema.validate_inputs(
        "modelarts:DatasetVersionRef", {**given, "selector": "latest"} if by_dataset else given
    )
    if violations:
        return None, [(violation.path, violation.message) for violation in violations]
    label = f"{token}({', '.join(f'{key}={value}' for key, value in sorted(given.items()))})"
    ctx = Operation(label).context
    try:
        return (_get_dataset(ctx(), inputs) if by_dataset else _get_version(ctx(), label, inputs)), []
    except ModelArtsError as error:
        message = str(error)
        raise UserError(message if token in message else f"{token}: {message}") from None


def _get_dataset(ctx: ReconcileContext, inputs: Mapping[str, Any]) -> dict[str, Any]:
    dataset_id = ctx.observer.dataset_id_for(inputs.get("dataset_id"), inputs.get("dataset_name"))
    dataset = ctx.observer.dataset(dataset_id)
    return {key: dataset.get(key) for key in DATASET_OUTPUTS}


def _get_version(ctx: ReconcileContext, label: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    spec = versions.VersionRefSpec(label, inputs)
    dataset_id = ctx.observer.dataset_id_for(spec.dataset_id, spec.dataset_name)
    found = versions.resolve_live(ctx, spec)
    if found is None:
        raise NotFoundError(
            f"{spec.describe_pin()} does not exist on dataset {dataset_id}", error_code="ModelArts.4353"
        )
    outputs = versions.version_outputs(found, dataset_id)
    return {key: outputs.get(key) for key in VERSION_OUTPUTS}
