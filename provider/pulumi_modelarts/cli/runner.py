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
from pulumi_modelarts.reconcile import export, intelligent, versions
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.plan import Plan
from pulumi_modelarts.specs import DeclaredResource, SpecSet, resolve_references


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


@dataclass
class _Kind:
    spec: Callable[[str, Mapping[str, Any]], Any]
    plan: Callable[[ReconcileContext, Any], Plan]
    ensure: Callable[[ReconcileContext, Any], dict[str, Any]]
    live_outputs: Callable[[Plan], dict[str, Any] | None]


def _task_live(plan: Plan) -> dict[str, Any] | None:
    if plan.live is None or plan.action not in ("in-sync", "wait", "adopt"):
        return None
    return intelligent.task_outputs(plan.live, str(plan.live.get("dataset_id") or plan.live.get("resource_id") or ""))


def _export_live(plan: Plan) -> dict[str, Any] | None:
    if plan.live is None or plan.action not in ("in-sync", "wait"):
        return None
    return export.export_outputs(plan.live, str(plan.live.get("dataset_id") or ""))


def _version_live(plan: Plan) -> dict[str, Any] | None:
    if plan.live is None or plan.action not in ("in-sync", "wait"):
        return None
    return versions.version_outputs(plan.live, str(plan.dataset_id or ""))


KINDS: dict[str, _Kind] = {
    "modelarts:IntelligentTask": _Kind(
        intelligent.IntelligentTaskSpec, intelligent.plan, intelligent.ensure, _task_live
    ),
    "modelarts:ExportTask": _Kind(export.ExportTaskSpec, export.plan, export.ensure, _export_live),
    "modelarts:DatasetVersionRef": _Kind(versions.VersionRefSpec, versions.plan, versions.ensure, _version_live),
}


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
        self.prefetch()
        results = []
        for name in self.specs.order:
            result = self._plan_one(self.specs.resources[name])
            results.append(result)
            if self.on_result is not None:
                self.on_result(result)
        return results

    def _plan_one(self, resource: DeclaredResource) -> ResourceResult:
        kind = KINDS[resource.type_token]
        result = ResourceResult(resource.name, resource.type_token)
        started = time.monotonic()
        try:
            inputs = self._inputs(resource)
            unknown = _find_unknown(inputs)
            if unknown is not None:
                result.plan = Plan(
                    "create", f"inputs known after apply ({unknown.reference}); will create or adopt then"
                )
                self._publish(resource.name, inputs, None)
            else:
                normalized = self._normalized(resource, inputs)
                result.plan = kind.plan(self.ctx, kind.spec(resource.name, normalized))
                self._publish(resource.name, normalized, kind.live_outputs(result.plan), result.plan.dataset_id)
        except (ModelArtsError, ValueError, KeyError) as error:
            result.error = str(error)
            self._publish(resource.name, {}, None)
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
        kind = KINDS[resource.type_token]
        result = ResourceResult(resource.name, resource.type_token)
        started = time.monotonic()
        try:
            normalized = self._normalized(resource, self._inputs(resource))
            live = kind.ensure(self.ctx, kind.spec(resource.name, normalized))
            result.outputs = {**normalized, **live}
            self._publish(resource.name, normalized, live)
        except (ModelArtsError, ValueError, KeyError) as error:
            result.error = str(error)
        result.seconds = time.monotonic() - started
        return result
