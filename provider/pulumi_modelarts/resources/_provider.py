"""The dynamic providers: Pulumi's dynamic-provider calls mapped onto the shared lifecycle.

Provider classes hold no state. Their import paths are public interface: Pulumi records them in
every stack's state (the pickled ``__provider``), and refresh/delete run the recorded path. All they
add to ``lifecycle`` is the wire format: Pulumi's unknowns, the result types, and the namespace the
program passes (``namespace``, the Pulumi project and stack unless ``modelarts:namespace`` is set).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, ClassVar

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
from pulumi.output import Unknown as PulumiUnknown
from pulumi.runtime import rpc

from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.kinds import Kind, kind_of
from pulumi_modelarts.reconcile.spec import DEFAULT_NAMESPACE
from pulumi_modelarts.reconcile.unknown import Unknown
from pulumi_modelarts.reconcile.waiting import STOP
from pulumi_modelarts.resources import _config, lifecycle
from pulumi_modelarts.resources.lifecycle import NAMESPACE, RESOURCE_NAME, ProviderError

__all__ = ["ModelArtsProvider", "ProviderError", "resource_props"]


def from_pulumi(value: Any) -> Any:
    """Plain values with Pulumi's unknowns (the ``Unknown`` instance or the wire string) as ours."""
    if isinstance(value, PulumiUnknown) or (isinstance(value, str) and value == rpc.UNKNOWN):
        return Unknown()
    if isinstance(value, Mapping):
        return {key: from_pulumi(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_pulumi(item) for item in value]
    return value


def to_pulumi(value: Any) -> Any:
    """The inverse of ``from_pulumi`` for values going back to the engine (Check's inputs)."""
    if isinstance(value, Unknown):
        return PulumiUnknown()  # type: ignore[no-untyped-call]
    if isinstance(value, Mapping):
        return {key: to_pulumi(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_pulumi(item) for item in value]
    return value


def log(message: str) -> None:
    """pulumi.log is unreliable inside the provider host; stderr reaches the engine's diagnostics."""
    print(message, file=sys.stderr, flush=True)


def _name(props: Mapping[str, Any]) -> str:
    return str(props.get(RESOURCE_NAME) or "")


def _namespace(props: Mapping[str, Any]) -> str:
    return str(props.get(NAMESPACE) or DEFAULT_NAMESPACE)


class ModelArtsProvider(ResourceProvider):
    """Base of the providers: every lifecycle method is the shared lifecycle of the kind."""

    type_token: ClassVar[str]

    @property
    def kind(self) -> Kind:
        return kind_of(self.type_token)

    def configure(self, req: ConfigureRequest) -> None:
        _config.set_explicit(_config.settings_from_config(req.config.get))

    def context(self) -> ReconcileContext:
        return lifecycle.SESSION.context(log=log, sleep=STOP.sleep)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, violations = lifecycle.normalize(self.kind, from_pulumi(news))
        normalized = to_pulumi(inputs)
        normalized[RESOURCE_NAME] = _name(news)
        if news.get(NAMESPACE):
            normalized[NAMESPACE] = news[NAMESPACE]
        return CheckResult(normalized, [CheckFailure(violation.path, violation.message) for violation in violations])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        news = from_pulumi(news)
        change = lifecycle.diff(self.kind, self.context(), _name(news), _namespace(news), olds, news)
        return DiffResult(
            changes=change.changes,
            replaces=list(change.replaces),
            stables=list(change.stables),
            delete_before_replace=change.delete_before_replace,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        outputs = lifecycle.create(self.kind, self.context(), _name(props), _namespace(props), props)
        return CreateResult(str(outputs[self.kind.id_output]), self._with_namespace(outputs, props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        outputs = lifecycle.update(self.kind, self.context(), _name(news), _namespace(news), olds, news)
        return UpdateResult(self._with_namespace(outputs, news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: live state, or gone; the recorded inputs come back so refresh leaves no phantom diff."""
        outputs = lifecycle.read(self.kind, self.context(), _name(props), id_, props)
        if outputs is None:
            return ReadResult(None, {})
        inputs = {**lifecycle.recorded_inputs(props), RESOURCE_NAME: _name(props)}
        if props.get(NAMESPACE):
            inputs[NAMESPACE] = props[NAMESPACE]
        return ReadResult(id_, self._with_namespace(outputs, props), inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """A running task this resource owns is stopped (and waited for); exports and versions stay."""
        done = lifecycle.delete(self.kind, self.context(), _name(props), _namespace(props), id_, props)
        if self.kind.delete is not None:
            log(f"{self.type_token} '{_name(props)}': delete: {done}")

    @staticmethod
    def _with_namespace(outputs: dict[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
        if props.get(NAMESPACE):
            outputs[NAMESPACE] = props[NAMESPACE]
        return outputs


def resource_props(resource_name: str, args: Mapping[str, Any], outputs: Any) -> dict[str, Any]:
    """The props a resource class registers: the inputs given, its logical name and its owner's namespace
    (which the provider needs for task identity and messages), and ``None`` for each output so Pulumi
    exposes it as an attribute. ``None`` values are not sent to the provider."""
    props = {key: value for key, value in args.items() if value is not None}
    props[RESOURCE_NAME] = resource_name
    props[NAMESPACE] = program_namespace()
    for output in outputs:
        props.setdefault(output, None)
    return props


def program_namespace() -> str:
    """``modelarts:namespace`` from the stack config, else ``<project>/<stack>``."""
    import pulumi

    configured = pulumi.Config("modelarts").get("namespace")
    return configured or f"{pulumi.get_project()}/{pulumi.get_stack()}"
