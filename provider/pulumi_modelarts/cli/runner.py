"""Plan and apply a set of declared resources against the live API, through the reconcile layer.

Stateless like ``kubectl apply``: identity lives in the API (task names, request fingerprints,
version names), so the runner keeps nothing between runs. It is a thin driver: it resolves
``${name.output}`` references, normalizes inputs with the same schema as the Pulumi providers,
and calls the same ``plan``/``ensure`` functions that the providers call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from pulumi_modelarts import schema
from pulumi_modelarts.api.errors import ModelArtsError
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.kinds import kind_of
from pulumi_modelarts.reconcile.plan import Plan
from pulumi_modelarts.specs import DeclaredResource, SpecSet, resolve_references

# What a resource's plan or apply can fail with: API and reconcile errors, bad inputs, references
# whose output is null (UnresolvedReferenceError is a LookupError). Anything else is a bug.
EXPECTED_ERRORS = (ModelArtsError, ValueError, LookupError)
# Live objects a plan may publish as outputs (the resource is not replaced or created).
_LIVE_ACTIONS = frozenset({"in-sync", "wait", "adopt", "update"})


class Unknown:
    """An output that is known only after apply (its resource will be created or replaced)."""

    def __init__(self, reference: str) -> None:
        self.reference = reference

    def __repr__(self) -> str:
        return f"(known after apply: {self.reference})"


@dataclass
class ResourceResult:
    name: str
    type_token: str
    plan: Plan | None = None
    outputs: dict[str, Any] | None = None
    error: str | None = None
    skipped: str | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.error is not None


def _stuck(result: ResourceResult) -> bool:
    """A result its dependents cannot build on: failed, skipped, or blocked."""
    return result.failed or result.skipped is not None or (result.plan is not None and result.plan.action == "blocked")


def _message(name: str, error: BaseException) -> str:
    """One line for the user: ModelArts' code and message are already in API errors' text."""
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    return text if name in text else f"{name}: {text}"


def _find_unknown(value: Any) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, Mapping):
        return next((u for item in value.values() if (u := _find_unknown(item)) is not None), None)
    if isinstance(value, list):
        return next((u for item in value if (u := _find_unknown(item)) is not None), None)
    return None


@dataclass
class Runner:
    specs: SpecSet
    ctx: ReconcileContext
    parallelism: int = 4
    on_result: Callable[[ResourceResult], None] | None = None
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _inputs(self, resource: DeclaredResource) -> dict[str, Any]:
        with self._lock:
            outputs = {name: dict(self.outputs[name]) for name in resource.dependencies if name in self.outputs}
        properties = resolve_references(resource.properties, outputs)
        options = resource.options
        if options.wait is not None:
            properties["wait"] = options.wait
        if options.timeout_seconds is not None:
            properties["timeout_seconds"] = options.timeout_seconds
        return dict(properties)

    def _normalized(self, resource: DeclaredResource, inputs: Mapping[str, Any]) -> dict[str, Any]:
        normalized, violations = schema.validate_inputs(
            resource.type_token, inputs, is_unknown=lambda value: isinstance(value, Unknown)
        )
        if violations:
            raise ValueError("; ".join(str(violation) for violation in violations))
        return normalized

    def _publish(
        self, name: str, inputs: Mapping[str, Any], live: Mapping[str, Any] | None, dataset_id: str | None = None
    ) -> None:
        published = dict(inputs)
        if dataset_id:
            published["dataset_id"] = dataset_id
        if live is None:
            for output in schema.outputs_of(self.specs.resources[name].type_token):
                published.setdefault(output, Unknown(f"{name}.{output}"))
        else:
            published.update({key: value for key, value in live.items() if value is not None})
        with self._lock:
            self.outputs[name] = published

    # --- plan ---
    def prefetch(self) -> None:
        """Observe every dataset the specs name, concurrently: one shared observation per dataset.

        Resources on the same dataset then plan from memory, so a plan costs a handful of list calls
        per dataset (in parallel), not calls per resource. Unresolvable references are skipped here;
        planning reports them.
        """
        wanted: dict[tuple[str | None, str | None], set[str]] = {}
        for name in self.specs.order:
            resource = self.specs.resources[name]
            properties = resource.properties
            dataset_id, dataset_name = properties.get("dataset_id"), properties.get("dataset_name")
            if not isinstance(dataset_id, (str, type(None))) or not isinstance(dataset_name, (str, type(None))):
                continue
            if "${" in (dataset_id or "") or "${" in (dataset_name or ""):
                continue
            kinds = wanted.setdefault((dataset_id, dataset_name), set())
            if resource.type_token == "modelarts:IntelligentTask" and isinstance(properties.get("task_type"), str):
                kinds.add(f"tasks:{properties['task_type']}")
            elif resource.type_token == "modelarts:ExportTask":
                kinds.add("exports")
            else:
                kinds.add("versions")
        observer = self.ctx.observer

        def resolve(ref: tuple[str | None, str | None]) -> str | None:
            try:
                return observer.dataset_id_for(*ref)
            except ModelArtsError:
                return None

        def fetch(job: tuple[str, str]) -> None:
            dataset_id, kind = job
            try:
                if kind == "exports":
                    observer.export_tasks(dataset_id)
                elif kind == "versions":
                    observer.versions(dataset_id)
                else:
                    observer.tasks(dataset_id, kind.split(":", 1)[1])
            except ModelArtsError:
                pass  # the resource's own plan reports it

        workers = max(1, self.parallelism * 2)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            ids = dict(zip(wanted, pool.map(resolve, wanted), strict=True))
            jobs = {(dataset_id, kind) for ref, dataset_id in ids.items() if dataset_id for kind in wanted[ref]}
            list(pool.map(fetch, sorted(jobs)))

    def plan(self) -> list[ResourceResult]:
        """Plan every resource in dependency order; what depends on a failed or blocked one is skipped."""
        self.prefetch()
        results: dict[str, ResourceResult] = {}
        for name in self.specs.order:
            resource = self.specs.resources[name]
            stuck = [dep for dep in resource.dependencies if dep in results and _stuck(results[dep])]
            if stuck:
                result = ResourceResult(name, resource.type_token)
                why = "failed" if results[stuck[0]].failed else "cannot be applied"
                result.skipped = f"not planned: dependency '{stuck[0]}' {why}"
            else:
                result = self._plan_one(resource)
            results[name] = result
            if self.on_result is not None:
                self.on_result(result)
        return [results[name] for name in self.specs.order]

    def _plan_one(self, resource: DeclaredResource) -> ResourceResult:
        kind = kind_of(resource.type_token)
        result = ResourceResult(resource.name, resource.type_token)
        started = time.monotonic()
        try:
            inputs = self._inputs(resource)
            unknown = _find_unknown(inputs)
            if unknown is not None:
                summary = f"inputs known after apply ({unknown.reference}); will create or adopt then"
                result.plan = Plan("create", summary, writes=[summary])
                self._publish(resource.name, inputs, None)
            else:
                normalized = self._normalized(resource, inputs)
                result.plan = kind.plan(self.ctx, kind.spec(resource.name, normalized))
                live = None
                if result.plan.live is not None and result.plan.action in _LIVE_ACTIONS:
                    live = kind.live_outputs(result.plan.live, str(result.plan.dataset_id or ""))
                self._publish(resource.name, normalized, live, result.plan.dataset_id)
        except EXPECTED_ERRORS as error:
            result.error = _message(resource.name, error)
        result.seconds = time.monotonic() - started
        return result

    # --- apply ---
    def apply(self) -> list[ResourceResult]:
        """Ensure every resource in dependency order, at most ``parallelism`` at once."""
        pending = {name: set(self.specs.resources[name].dependencies) for name in self.specs.order}
        results: dict[str, ResourceResult] = {}
        running: dict[Future[ResourceResult], str] = {}
        with ThreadPoolExecutor(max_workers=max(1, self.parallelism)) as pool:
            while pending or running:
                for name in [n for n in self.specs.order if n in pending]:
                    deps = pending[name]
                    failed = [dep for dep in deps if dep in results and (results[dep].failed or results[dep].skipped)]
                    if failed:
                        del pending[name]
                        skipped = ResourceResult(name, self.specs.resources[name].type_token)
                        skipped.skipped = f"not applied: dependency '{failed[0]}' did not succeed"
                        results[name] = skipped
                        if self.on_result is not None:
                            self.on_result(skipped)
                    elif all(dep in results for dep in deps) and len(running) < self.parallelism:
                        del pending[name]
                        running[pool.submit(self._apply_one, self.specs.resources[name])] = name
                if not running:
                    continue
                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in done:
                    name = running.pop(future)
                    results[name] = future.result()
                    if self.on_result is not None:
                        self.on_result(results[name])
        return [results[name] for name in self.specs.order]

    def _apply_one(self, resource: DeclaredResource) -> ResourceResult:
        kind = kind_of(resource.type_token)
        result = ResourceResult(resource.name, resource.type_token)
        started = time.monotonic()
        try:
            normalized = self._normalized(resource, self._inputs(resource))
            live = kind.ensure(self.ctx, kind.spec(resource.name, normalized))
            result.outputs = {**normalized, **live}
            self._publish(resource.name, normalized, live)
        except EXPECTED_ERRORS as error:
            result.error = _message(resource.name, error)
        result.seconds = time.monotonic() - started
        return result
