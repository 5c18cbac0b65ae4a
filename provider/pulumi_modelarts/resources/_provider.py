"""What the three providers share: normalizing inputs, the Pulumi result types, and clean errors.

Provider classes hold no state. Their import paths are public interface: Pulumi records them in
every stack's state (the pickled ``__provider``), and refresh/delete run the recorded path.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown
from pulumi.runtime import rpc

from pulumi_modelarts import schema
from pulumi_modelarts.api.errors import ModelArtsError
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.decision import Decision
from pulumi_modelarts.reconcile.identity import canonical
from pulumi_modelarts.reconcile.kinds import Kind, kind_of
from pulumi_modelarts.resources import _config

RESOURCE_NAME = "resource_name"
STOP_TIMEOUT_SECONDS = 600.0
SPEC = "spec"
_RESERVED = frozenset({"__provider", RESOURCE_NAME})

R = TypeVar("R")


class ProviderError(Exception):
    """An error shown to the user by the Pulumi engine: ModelArts' code and message, no secrets."""


def is_unknown(value: Any) -> bool:
    """A preview-time value that depends on another resource's output.

    Check and Diff deserialize with ``keep_unknowns``, which yields ``pulumi.output.Unknown``
    instances; the wire form is the ``rpc.UNKNOWN`` string.
    """
    return isinstance(value, Unknown) or (isinstance(value, str) and value == rpc.UNKNOWN)


def contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_unknown(item) for item in value)
    return False


def log(message: str) -> None:
    """pulumi.log is unreliable inside the provider host; stderr reaches the engine's diagnostics."""
    print(message, file=sys.stderr, flush=True)


class ModelArtsProvider(ResourceProvider):
    """Base of the three providers: every lifecycle method goes through the kind's registry entry.

    ``diff`` and ``update`` use the same decision as ``pulumi-modelarts plan``/``apply``: a resource
    whose inputs did not change still shows a change when its decision lists writes (labels to
    accept, a failed task to retry, a selector that now resolves to another version).
    """

    type_token: ClassVar[str]

    @property
    def kind(self) -> Kind:
        return kind_of(self.type_token)

    def ensure(self, ctx: ReconcileContext, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        kind = self.kind
        return kind.ensure(ctx, kind.spec(name, inputs))

    def configure(self, req: ConfigureRequest) -> None:
        _config.set_explicit(_config.settings_from_config(req.config.get))

    # --- inputs ---
    def normalize(self, props: Mapping[str, Any]) -> tuple[str, dict[str, Any], list[schema.Violation]]:
        """Schema-normalized inputs (floats back to integers, defaults filled) and any violations."""
        name = str(props.get(RESOURCE_NAME) or "")
        raw = {key: value for key, value in props.items() if key not in _RESERVED and value is not None}
        normalized, violations = schema.validate_inputs(self.type_token, raw, is_unknown=is_unknown)
        return name, normalized, violations

    def inputs_of(self, props: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        name, normalized, violations = self.normalize(props)
        if violations:
            details = "; ".join(str(violation) for violation in violations)
            raise ProviderError(f"{self.type_token} '{name}': invalid inputs: {details}")
        return name, normalized

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        name, normalized, violations = self.normalize(news)
        normalized[RESOURCE_NAME] = name
        failures = [CheckFailure(violation.path, violation.message) for violation in violations]
        return CheckResult(normalized, failures)

    # --- running reconcile code with clean errors ---
    def context(self) -> ReconcileContext:
        return ReconcileContext.for_client(_config.client(), log=log)

    def changes(self, olds: dict[str, Any], news: dict[str, Any]) -> tuple[str, list[str], list[str]]:
        """The name, the inputs whose change replaces, and those that change in place."""
        name, new_inputs, _ = self.normalize(news)
        old_inputs = recorded_inputs(olds)
        return (
            name,
            changed_keys(old_inputs, new_inputs, self.kind.replace_keys),
            changed_keys(old_inputs, new_inputs, self.kind.update_keys),
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Changed inputs, then the decision: writes pending in place are an update, a new object a replace."""
        name, replaces, updates = self.changes(olds, news)
        _, new_inputs, violations = self.normalize(news)
        decision: Decision | None = None
        kind = self.kind
        if not violations and not contains_unknown(new_inputs) and olds.get("dataset_id"):
            decision = self.guarded(name, lambda: kind.decision(self.context(), kind.spec(name, new_inputs)))
            if decision.action == "blocked":
                raise ProviderError(f"{self.type_token} '{name}': blocked: {decision.summary}")
        if not replaces and decision is not None:
            recorded = olds.get(kind.id_output)
            moved = decision.target_id is not None and recorded is not None and decision.target_id != recorded
            if moved or decision.action in ("create", "retry", "replace"):
                replaces = [kind.id_output]
            elif decision.writes and not updates:
                updates = [kind.id_output]
        return DiffResult(changes=bool(replaces or updates), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        name, inputs = self.inputs_of(props)
        live = self.guarded(name, lambda: self.ensure(self.context(), name, inputs))
        return CreateResult(str(live[self.kind.id_output]), echo_outputs(name, inputs, live))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """In-place changes (options, an accept rule, requirements): the same decision, executed."""
        name, inputs = self.inputs_of(news)
        live = self.guarded(name, lambda: self.ensure(self.context(), name, inputs))
        for key in self.kind.kept_on_read:
            if key in olds and key not in ("accepted_count", "skipped_counts", "fingerprint"):
                live[key] = olds[key]
        return UpdateResult(echo_outputs(name, inputs, {**live_outputs(olds), **live}))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: live state, or gone; the recorded inputs come back so refresh leaves no phantom diff."""
        name = str(props.get(RESOURCE_NAME) or "")
        inputs = recorded_inputs(props)
        dataset_id = props.get("dataset_id")
        if not dataset_id:
            return ReadResult(None, {})
        live = self.guarded(name, lambda: self.kind.read(self.context(), str(dataset_id), id_))
        if live is None:
            return ReadResult(None, {})
        live.update({key: props[key] for key in self.kind.kept_on_read if key in props})
        return ReadResult(id_, echo_outputs(name, inputs, live), {**inputs, RESOURCE_NAME: name})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """A running task is stopped (and waited for); exports and versions own nothing to undo."""
        name = str(props.get(RESOURCE_NAME) or "")
        dataset_id = props.get("dataset_id")
        if dataset_id:
            self.guarded(name, lambda: self.kind.delete(self.context(), str(dataset_id), id_, STOP_TIMEOUT_SECONDS))

    def guarded(self, name: str, action: Callable[[], R]) -> R:
        try:
            return action()
        except ModelArtsError as error:
            message = str(error)
            if name and name not in message:
                message = f"{self.type_token} '{name}': {message}"
            raise ProviderError(message) from None


def resource_props(resource_name: str, args: Mapping[str, Any], outputs: Any) -> dict[str, Any]:
    """The props a resource class registers: the inputs given, its logical name (which the provider
    needs for task names and messages), and ``None`` for each output so Pulumi exposes it as an
    attribute. ``None`` values are not sent to the provider."""
    props = {key: value for key, value in args.items() if value is not None}
    props[RESOURCE_NAME] = resource_name
    for output in outputs:
        props.setdefault(output, None)
    return props


def echo_outputs(name: str, inputs: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """Outputs echo the inputs (so the engine's olds compare with news) and add the live state."""
    outputs = {
        **inputs,
        **{key: value for key, value in live.items() if value is not None or key not in inputs},
    }
    outputs[RESOURCE_NAME] = name
    outputs[SPEC] = dict(inputs)
    return outputs


def live_outputs(olds: Mapping[str, Any]) -> dict[str, Any]:
    """The recorded outputs that are not echoed inputs."""
    inputs = recorded_inputs(olds)
    return {key: value for key, value in olds.items() if key not in inputs}


def recorded_inputs(olds: Mapping[str, Any]) -> dict[str, Any]:
    spec = olds.get(SPEC)
    return dict(spec) if isinstance(spec, Mapping) else {}


def changed_keys(old: Mapping[str, Any], new: Mapping[str, Any], keys: Any) -> list[str]:
    return [key for key in keys if contains_unknown(new.get(key)) or canonical(old.get(key)) != canonical(new.get(key))]
