"""The one module of the plugin that calls into reconcile and the shared lifecycle.

Everything here works on plain Python values (dicts of the API's field names, unknowns as
``reconcile.unknown.Unknown``). Each resource kind's lifecycle is ``resources.lifecycle``, the same as
the dynamic providers', run with a reconcile context whose ``sleep`` honours the engine's timeout and
Cancel. What the dynamic path cannot do is added here: a preview of creates (the decision, approved
for the Create that follows), reading by id alone (import) and the functions.

The interface the plugin uses: ``KINDS`` (plugin token -> ``reconcile.kinds.Kind``), ``FUNCTIONS``,
``Operation``, ``cancel_all``, ``configure``, ``check``, ``diff``, ``create``, ``preview_outputs``,
``read``, ``update``, ``delete`` and ``invoke``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from pulumi_modelarts import schema
from pulumi_modelarts.api.errors import ModelArtsError, NotFoundError
from pulumi_modelarts.reconcile import versions
from pulumi_modelarts.reconcile.context import ReconcileContext, stderr_log
from pulumi_modelarts.reconcile.errors import ReconcileError
from pulumi_modelarts.reconcile.kinds import KINDS as REGISTRY
from pulumi_modelarts.reconcile.kinds import Kind
from pulumi_modelarts.reconcile.unknown import Unknown, contains_unknown
from pulumi_modelarts.reconcile.waiting import STOP, Interrupted
from pulumi_modelarts.resources import _config, lifecycle
from pulumi_modelarts.resources.lifecycle import (
    RESOURCE_NAME,
    SPEC_KEYS,
    Change,
    ProviderError,
    echo_outputs,
    live_outputs,
)

UserError = ProviderError  # a message for the user: ModelArts' code and text, no secrets, no traceback
INTERNAL_OUTPUTS = (RESOURCE_NAME, SPEC_KEYS)  # kept in state like the dynamic resources, not in the schema
LogSink = Callable[[str], None]


def plugin_token(kind: Kind) -> str:
    """``modelarts:index:ExportTask`` for the registry's ``modelarts:ExportTask``."""
    return f"modelarts:index:{kind.name}"


KINDS: dict[str, Kind] = {plugin_token(kind): kind for kind in REGISTRY.values()}

# --- timeouts and Cancel ---------------------------------------------------------------------------


def cancel_all() -> None:
    """The engine's Cancel: every wait in progress, and any later one, stops at once (the process-wide STOP)."""
    STOP.request()


class StoppedWaiting(ReconcileError):
    """The engine's timeout ran out, or it cancelled the operation; the work goes on in ModelArts."""


class Operation:
    """One engine call: its name for messages, its deadline (the engine's timeout; 0 means none) and where its
    progress goes.

    Waiting happens in the reconcile context's ``sleep``: it sleeps on the process-wide stop signal
    (which Cancel requests, as Ctrl-C does in the CLI) and never past the engine's deadline.
    """

    def __init__(
        self,
        label: str,
        timeout: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        log: LogSink = stderr_log,
    ) -> None:
        self.label = label
        self.timeout = timeout
        self.clock = clock
        self.log = log
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
        return lifecycle.SESSION.context(log=self.log, sleep=self.sleep)


def _split_id(kind: Kind, resource_id: str) -> tuple[str, str]:
    dataset_id, _, own_id = resource_id.partition("/")
    if not dataset_id or not own_id or "/" in own_id:
        raise UserError(
            f"{plugin_token(kind)}: the id {resource_id!r} is not of the form <dataset_id>/<{kind.id_output}>"
        )
    return dataset_id, own_id


# --- configuration ---------------------------------------------------------------------------------

_namespace_override: list[str] = []


def configure(config: Mapping[str, Any]) -> None:
    """Provider config (bare keys such as ``region``), read exactly as the dynamic resources read it."""
    from pulumi_modelarts.api.config import explicit_from_config

    texts = {key: _config_text(value) for key, value in config.items()}
    _namespace_override[:] = [str(texts.pop("namespace"))] if texts.get("namespace") else []
    _config.set_explicit(explicit_from_config(texts))


def namespace(project: str, stack: str) -> str:
    """The owner of this stack's work: the provider config's ``namespace``, else ``<project>/<stack>``."""
    return _namespace_override[0] if _namespace_override else f"{project}/{stack}"


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


def check(kind: Kind, news: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Normalized inputs (floats back to integers, defaults filled) and the violations, by property path."""
    inputs, violations = lifecycle.normalize(kind, news)
    return inputs, [(violation.path, violation.message) for violation in violations]


def diff(kind: Kind, name: str, owner: str, olds: Mapping[str, Any], news: Mapping[str, Any], log: LogSink) -> Change:
    operation = Operation(f"{kind.type_token} '{name}'", log=log)
    return lifecycle.diff(kind, operation.context(), name, owner, olds, news)


def create(
    kind: Kind, name: str, owner: str, inputs: Mapping[str, Any], timeout: float = 0.0, log: LogSink = stderr_log
) -> tuple[str, dict[str, Any]]:
    """Decide, keep to the preview, carry it out, wait. The id is ``<dataset_id>/<own id>``."""
    operation = Operation(f"{kind.type_token} '{name}'", timeout, log=log)
    outputs = lifecycle.create(kind, operation.context(), name, owner, inputs)
    return f"{outputs['dataset_id']}/{outputs[kind.id_output]}", outputs


def preview_create(kind: Kind, name: str, owner: str, inputs: Mapping[str, Any], log: LogSink) -> dict[str, Any]:
    """The preview of a create: with known inputs, the decision (approved for the Create that follows, its
    writes logged) and the live state it would follow; unknowns for what only the create can tell."""
    normalized, violations = lifecycle.normalize(kind, inputs)
    if violations or contains_unknown(normalized):
        return preview_outputs(kind, name, inputs)
    operation = Operation(f"{kind.type_token} '{name}'", log=log)
    ctx = operation.context()
    decision = lifecycle.guarded(kind, name, lambda: kind.decision(ctx, kind.spec(name, normalized, owner)))
    if decision.action == "blocked":
        raise UserError(f"{kind.type_token} '{name}': blocked: {decision.summary}")
    lifecycle.SESSION.approve(lifecycle.approval_key(kind, name, owner, normalized), decision)
    ctx.pending.note(name, decision)
    for write in decision.writes:
        log(f"will {write.text}")
    live: dict[str, Any] = {}
    if decision.target is not None and not decision.creates:
        live = kind.live_outputs(decision.target, str(decision.dataset_id))
    elif decision.dataset_id:
        live = {"dataset_id": decision.dataset_id}
    unknown = {key: Unknown() for key in kind.outputs if key not in normalized and key not in live}
    return echo_outputs(name, normalized, {**unknown, **live})


def preview_outputs(
    kind: Kind, name: str, inputs: Mapping[str, Any], olds: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Outputs of a preview: the inputs echoed, the recorded live state (update) or unknowns (create)."""
    if olds is not None:
        return echo_outputs(name, inputs, live_outputs(olds))
    return echo_outputs(name, inputs, {key: Unknown() for key in kind.outputs if key not in inputs})


def update(
    kind: Kind,
    name: str,
    owner: str,
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    timeout: float = 0.0,
    log: LogSink = stderr_log,
) -> dict[str, Any]:
    operation = Operation(f"{kind.type_token} '{name}'", timeout, log=log)
    return lifecycle.update(kind, operation.context(), name, owner, olds, news)


def delete(
    kind: Kind,
    name: str,
    owner: str,
    resource_id: str,
    state: Mapping[str, Any],
    timeout: float = 0.0,
    log: LogSink = stderr_log,
) -> None:
    _, own_id = _split_id(kind, resource_id)
    operation = Operation(f"{kind.type_token} '{name}'", timeout, log=log)
    done = lifecycle.delete(kind, operation.context(), name, owner, own_id, state)
    if kind.delete is not None:
        log(f"delete: {done}")


def read(
    kind: Kind, name: str, owner: str, resource_id: str, state: Mapping[str, Any]
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Refresh (with state) or import (the id alone): the live id, outputs and inputs.

    An object that does not exist is an error on import (nothing would be recorded) and gone on refresh.
    """
    dataset_id, own_id = _split_id(kind, resource_id)
    ctx = Operation(f"{kind.type_token} '{name}'").context()
    if state.get(SPEC_KEYS) is not None or state.get(lifecycle.LEGACY_SPEC) is not None:
        outputs = lifecycle.read(kind, ctx, name, own_id, {**state, "dataset_id": dataset_id})
        if outputs is None:
            return "", {}, {}
        return resource_id, outputs, lifecycle.recorded_inputs(state)
    found = lifecycle.guarded(kind, name, lambda: kind.import_inputs(ctx, name, owner, dataset_id, own_id))
    if found is None:
        raise UserError(
            f"{plugin_token(kind)} '{name}': {kind.id_output} {own_id} does not exist on dataset {dataset_id}"
            " (nothing to import)"
        )
    inputs, live = found
    return resource_id, echo_outputs(name, inputs, live), inputs


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
_VERSION_REF = REGISTRY["modelarts:DatasetVersionRef"]
VERSION_OUTPUTS = tuple(key for key in _VERSION_REF.outputs if key not in ("released", "fingerprint"))


def output_annotations(kind: Kind) -> dict[str, Any]:
    """The dynamic resource class's typed output attributes, by name."""
    import inspect

    import pulumi_modelarts.resources as classes

    return inspect.get_annotations(getattr(classes, kind.name), eval_str=True)


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
            {key: output_annotations(_VERSION_REF)[key] for key in VERSION_OUTPUTS},
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
