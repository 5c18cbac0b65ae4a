"""Plan and apply a set of declared resources against the live API, through the reconcile layer.

Stateless like ``kubectl apply``: identity lives in the API (task names, request fingerprints,
version names), so the runner keeps nothing between runs. It is a thin driver: it resolves
``${name.output}`` references, normalizes inputs with the same schema as the Pulumi providers, and
asks each kind for its decision.

``plan`` decides every resource (reads only). ``apply`` carries out an approved plan: per resource it
decides again from a fresh observation and, when that decision keeps to the approved one
(``reconcile.contract``), executes it; otherwise it writes nothing for the resource, says what
changed, and skips what depends on it. At most ``parallelism`` resources decide and write at once; a
resource that only waits gives its slot back meanwhile (``workers.WriteSlots``), so many waits never
hold up the writes of others. Work runs on threads that a stop does not wait for (``workers.Workers``):
after Ctrl-C the run ends at once, abandoning reads in flight.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from pulumi_modelarts import schema
from pulumi_modelarts.api.errors import ModelArtsError
from pulumi_modelarts.cli import orphans
from pulumi_modelarts.cli.claims import SameRequests
from pulumi_modelarts.cli.workers import Workers, WriteSlots
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.contract import Approved
from pulumi_modelarts.reconcile.decision import Decision
from pulumi_modelarts.reconcile.kinds import kind_of
from pulumi_modelarts.reconcile.observe import ListKey
from pulumi_modelarts.reconcile.spec import DEFAULT_NAMESPACE
from pulumi_modelarts.reconcile.unknown import Unknown, contains_unknown
from pulumi_modelarts.reconcile.waiting import STOP
from pulumi_modelarts.specs import DeclaredResource, SpecSet, resolve_references

# What a resource's plan or apply can fail with: API and reconcile errors, bad inputs, references
# whose output is null (UnresolvedReferenceError is a LookupError). Anything else is a bug.
EXPECTED_ERRORS = (ModelArtsError, ValueError, LookupError)
# Live objects a plan may publish as outputs (the resource is not replaced or created).
_LIVE_ACTIONS = frozenset({"in-sync", "wait", "adopt", "update"})
PREFETCH_THREADS_PER_SLOT = 8  # reads of the prefetch at once, per --parallelism slot (32 by default)
MAX_THREADS = 512  # resources worked on (mostly waiting) at once
STOP_CHECK_SECONDS = 0.2  # how soon the driver notices a stop request while resources work


@dataclass
class ResourceResult:
    name: str
    type_token: str
    decision: Decision | None = None
    inputs: Mapping[str, Any] | None = None  # normalized, references resolved (unknowns where not known yet)
    outputs: dict[str, Any] | None = None
    error: str | None = None
    skipped: str | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def blocked(self) -> bool:
        return self.decision is not None and self.decision.action == "blocked"


def _stuck(result: ResourceResult) -> bool:
    """A result its dependents cannot build on: failed, skipped, or blocked."""
    return result.failed or result.skipped is not None or result.blocked


def _message(name: str, error: BaseException) -> str:
    """One line for the user: ModelArts' code and message are already in API errors' text."""
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    return text if name in text else f"{name}: {text}"


@dataclass
class Runner:
    specs: SpecSet
    ctx: ReconcileContext
    namespace: str = DEFAULT_NAMESPACE
    parallelism: int = 4
    on_result: Callable[[ResourceResult], None] | None = None
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _requests: SameRequests = field(default_factory=SameRequests)
    _referred: frozenset[str] = field(init=False)  # the resources whose outputs another one's inputs refer to
    observed_seconds: float = field(default=0.0, init=False)  # the last plan's reads before deciding (--timings)

    def __post_init__(self) -> None:
        resources = self.specs.resources.values()
        self._referred = frozenset(reference.resource for item in resources for reference in item.references)

    def _inputs(self, resource: DeclaredResource) -> dict[str, Any]:
        with self._lock:
            outputs = {name: dict(self.outputs[name]) for name in resource.dependencies if name in self.outputs}
        properties = resolve_references(resource.properties, outputs)
        return {**properties, **resource.options.inputs()}

    def _spec(self, resource: DeclaredResource) -> Any:
        """The kind's spec of the resource's inputs (references resolved; unknowns where not known yet)."""
        if resource.inputs is not None:  # no references: the loader validated these very inputs
            return kind_of(resource.type_token).spec(resource.name, resource.inputs, self.namespace)
        normalized, violations = schema.validate_inputs(
            resource.type_token, self._inputs(resource), is_unknown=lambda value: isinstance(value, Unknown)
        )
        if violations:
            raise ValueError("; ".join(str(violation) for violation in violations))
        return kind_of(resource.type_token).spec(resource.name, normalized, self.namespace)

    def _publish(self, name: str, inputs: Mapping[str, Any], live: Mapping[str, Any] | None, dataset_id: Any) -> None:
        """Keep the outputs of a resource that others refer to, for their inputs."""
        if name not in self._referred:
            return
        published = dict(inputs)
        if isinstance(dataset_id, str):
            published["dataset_id"] = dataset_id
        if live is None:
            for output in schema.outputs_of(self.specs.resources[name].type_token):
                published.setdefault(output, Unknown(f"{name}.{output}"))
        else:
            published.update({key: value for key, value in live.items() if value is not None})
        with self._lock:
            self.outputs[name] = published

    def _report(self, result: ResourceResult) -> None:
        if self.on_result is not None:
            self.on_result(result)

    # --- plan ---
    def prefetch(self, *, orphan_scan: bool = False) -> None:
        """Observe every dataset the specs name, concurrently: one shared observation per dataset.

        Resources on the same dataset then plan from memory, so a plan costs a handful of list calls
        per dataset (in parallel), not calls per resource. With ``orphan_scan``, also the task lists the
        scan for orphaned tasks reads after the plan (``find_orphans``), in the same wave. A dataset's lists
        are queued as soon as its lookup answers. Unresolvable references are skipped here; planning
        reports them.
        """
        wanted: dict[tuple[str | None, str | None], set[ListKey]] = {}
        for name in self.specs.order:
            resource = self.specs.resources[name]
            properties = resource.properties
            dataset = (properties.get("dataset_id"), properties.get("dataset_name"))
            if not all(isinstance(value, (str, type(None))) and "${" not in (value or "") for value in dataset):
                continue
            wanted.setdefault(dataset, set()).update(kind_of(resource.type_token).lists(properties))
        if orphan_scan:
            for keys in wanted.values():
                keys.update(("tasks", task_type) for task_type in orphans.TASK_TYPES)
        observer = self.ctx.observer

        def resolve(ref: tuple[str | None, str | None]) -> str | None:
            try:
                return observer.dataset_id_for(*ref)
            except ModelArtsError:
                return None

        def fetch(dataset_id: str, key: ListKey) -> None:
            with suppress(ModelArtsError):  # the resource's own plan reports it
                observer.fetch(dataset_id, key)

        with Workers(PREFETCH_THREADS_PER_SLOT * self.parallelism, name="prefetch") as pool:
            # Ctrl-C: the queued reads never start
            lookups = {ref: pool.submit(functools.partial(resolve, ref)) for ref in wanted}
            reads: list[Future[None]] = []
            for ref, lookup in lookups.items():
                dataset_id = lookup.result()
                if dataset_id:
                    reads.extend(
                        pool.submit(functools.partial(fetch, dataset_id, key)) for key in sorted(wanted[ref], key=repr)
                    )
            for read in reads:
                read.result()

    def plan(self) -> list[ResourceResult]:
        """Decide every resource in dependency order; what depends on a failed or blocked one is skipped."""
        started = time.perf_counter()
        self.prefetch(orphan_scan=True)
        self.observed_seconds = time.perf_counter() - started
        self._requests = SameRequests()
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
            self._report(result)
        return [results[name] for name in self.specs.order]

    def _plan_one(self, resource: DeclaredResource) -> ResourceResult:
        kind = kind_of(resource.type_token)
        result = ResourceResult(resource.name, resource.type_token)
        started = time.monotonic()
        try:
            spec = self._spec(resource)
            result.inputs = spec.inputs
            if resource.references and contains_unknown(spec.inputs):  # only references bring unknowns
                result.decision = kind.deferred(self.ctx, spec)
                self._publish(resource.name, spec.inputs, None, None)
            else:
                decision = kind.decision(self.ctx, spec)
                decision = result.decision = self._requests.check(resource.name, kind.type_token, spec.inputs, decision)
                self.ctx.pending.note(resource.name, decision)
                live = None
                if decision.target is not None and decision.action in _LIVE_ACTIONS:
                    live = kind.live_outputs(decision.target, str(decision.dataset_id or ""))
                self._publish(resource.name, spec.inputs, live, decision.dataset_id)
        except EXPECTED_ERRORS as error:
            result.error = _message(resource.name, error)
        result.seconds = time.monotonic() - started
        return result

    def find_orphans(self, results: Sequence[ResourceResult], prune: bool) -> orphans.OrphanReport:
        """Running tasks of this namespace on the datasets the plan touches whose resource is no longer declared."""
        return orphans.find(self.ctx, self.specs, results, self.namespace, prune=prune, parallelism=self.parallelism)

    # --- apply ---
    def apply(self, approved: Mapping[str, Approved]) -> list[ResourceResult]:
        """Carry out the approved decisions in dependency order, at most ``parallelism`` deciding and writing at
        once (waiting resources hold no slot); a stop request ends it at once (``waiting.Interrupted``)."""
        pending = {name: set(self.specs.resources[name].dependencies) for name in self.specs.order}
        after = self._one_at_a_time()
        results: dict[str, ResourceResult] = {}
        running: dict[Future[ResourceResult], str] = {}
        slots = WriteSlots(self.parallelism)
        idle, self.ctx.idle = self.ctx.idle, slots.idle
        try:
            with Workers(min(len(pending), MAX_THREADS), name="apply") as pool:
                while pending or running:
                    for name in [n for n in self.specs.order if n in pending]:
                        deps = pending[name]
                        failed = [d for d in deps if d in results and (results[d].failed or results[d].skipped)]
                        if failed:
                            del pending[name]
                            skipped = ResourceResult(name, self.specs.resources[name].type_token)
                            skipped.skipped = f"not applied: dependency '{failed[0]}' did not succeed"
                            results[name] = skipped
                            self._report(skipped)
                        elif all(dep in results for dep in deps | after[name]):
                            del pending[name]
                            job = self._holding_a_slot(slots, self.specs.resources[name], approved.get(name))
                            running[pool.submit(job)] = name
                    if not running:
                        continue
                    done, _ = wait(list(running), timeout=STOP_CHECK_SECONDS, return_when=FIRST_COMPLETED)
                    STOP.check()  # calls in flight are abandoned, not waited for
                    for future in done:
                        name = running.pop(future)
                        results[name] = future.result()
                        self._report(results[name])
        finally:
            self.ctx.idle = idle
        return [results[name] for name in self.specs.order]

    def _holding_a_slot(
        self, slots: WriteSlots, resource: DeclaredResource, approved: Approved | None
    ) -> Callable[[], ResourceResult]:
        def job() -> ResourceResult:
            with slots.held():
                return self._apply_one(resource, approved)

        return job

    def _one_at_a_time(self) -> dict[str, set[str]]:
        """Resources whose work ModelArts runs one at a time (``Kind.exclusive_key``) apply in spec order, each
        after the one before has finished (whatever its outcome): none is refused for the other's task."""
        before: dict[tuple[str, ...], list[str]] = {}
        after: dict[str, set[str]] = {}
        for name in self.specs.order:
            resource = self.specs.resources[name]
            key = kind_of(resource.type_token).exclusive_key(resource.properties)
            earlier = before.setdefault(key, []) if key is not None else []
            after[name] = set(earlier)
            earlier.append(name)
        return after

    def _apply_one(self, resource: DeclaredResource, approved: Approved | None) -> ResourceResult:
        kind = kind_of(resource.type_token)
        result = ResourceResult(resource.name, resource.type_token)
        started = time.monotonic()
        try:
            if approved is None:
                raise ValueError(f"{resource.name} is not in the approved plan; nothing was written for it")
            spec = self._spec(resource)
            decision = result.decision = kind.decision(self.ctx, spec)
            approved.check(resource.name, decision)
            live = kind.execute(self.ctx, spec, decision)
            result.outputs = {**spec.inputs, **live}
            self._publish(resource.name, spec.inputs, live, decision.dataset_id)
        except EXPECTED_ERRORS as error:
            result.error = _message(resource.name, error)
        result.seconds = time.monotonic() - started
        return result


def approvals(results: Sequence[ResourceResult]) -> dict[str, Approved]:
    """The approved decision of each planned resource (a plan just made, shown and confirmed)."""
    return {result.name: Approved.of(result.decision) for result in results if result.decision is not None}
