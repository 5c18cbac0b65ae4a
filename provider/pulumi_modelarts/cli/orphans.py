"""Orphans: running tasks of this namespace whose resource is no longer declared, and pruning them.

The CLI keeps no state, so it cannot remember which resources it applied before. A task's name says
it instead: ``pm-<slug>-<hash of namespace and resource name>-<fingerprint>``. On every dataset the
specs touch, the plan lists each task type's tasks (reusing the lists it read for its resources), and a
task is an **orphan** when

* it runs (queuing, initializing, running, or a status this tool does not know; not one already stopping),
* its name is one this tool generates, and the resource name its slug gives back has exactly that tag
  in this namespace (``identity.resource_name_of``): another namespace's hash never matches, and
  names from before namespaces (the hash of the name alone) or chosen by the user are never ours,
* and no declared resource claims it: no IntelligentTask declared on that dataset (or whose dataset
  this plan does not know) carries its tag or its explicit name, and no decision follows or replaces it.

``plan`` lists orphans; with ``--prune`` each gets a ``stop-task`` write, and ``apply --prune`` (or
``apply --plan`` of a plan made with ``--prune``) stops exactly those: it reads each task again and
stops it only while it still runs and carries this namespace's tag, as a Pulumi delete of that
resource would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulumi_modelarts import schema
from pulumi_modelarts.api.errors import ModelArtsError
from pulumi_modelarts.reconcile import identity
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.decision import Write
from pulumi_modelarts.reconcile.intelligent import describe_task, is_active, name_of, stop_task
from pulumi_modelarts.reconcile.intelligent import read as read_task
from pulumi_modelarts.reconcile.spec import DEFAULT_TIMEOUT_SECONDS
from pulumi_modelarts.reconcile.status import task_status_name

if TYPE_CHECKING:
    from pulumi_modelarts.cli.runner import ResourceResult
    from pulumi_modelarts.specs import SpecSet

TASK_TOKEN = "modelarts:IntelligentTask"
TASK_TYPES: tuple[str, ...] = tuple(schema.load_schema(TASK_TOKEN)["properties"]["task_type"]["enum"])


@dataclass(frozen=True)
class Orphan:
    """A running task of ``resource``, a name no longer declared in this namespace."""

    resource: str
    dataset_id: str
    task_type: str
    task: Mapping[str, Any]

    @property
    def task_id(self) -> str:
        return str(self.task.get("task_id"))

    @property
    def summary(self) -> str:
        return f"{self.task_type} task {describe_task(self.task)} on dataset {self.dataset_id}"

    def stop(self) -> Write:
        text = f"stop task {self.task_id} (resource '{self.resource}' is no longer declared)"
        return Write("stop-task", text, self.dataset_id, self.task_id)

    def to_json(self, prune: bool) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "type": TASK_TOKEN,
            "task_type": self.task_type,
            "dataset_id": self.dataset_id,
            "task_id": self.task_id,
            "task_name": name_of(self.task),
            "status": task_status_name(self.task.get("status")),
            "summary": self.summary,
            "writes": [self.stop().to_json()] if prune else [],
        }


@dataclass(frozen=True)
class OrphanReport:
    """The orphans a plan found; ``prune``: the plan stops them (``--prune``)."""

    orphans: tuple[Orphan, ...] = ()
    prune: bool = False

    @property
    def writes(self) -> list[Write]:
        return [orphan.stop() for orphan in self.orphans] if self.prune else []

    def to_json(self) -> dict[str, Any]:
        return {"prune": self.prune, "tasks": [orphan.to_json(self.prune) for orphan in self.orphans]}


@dataclass(frozen=True)
class _Declared:
    """An IntelligentTask a plan declares: its tag, explicit name, and dataset (None: not known in this plan)."""

    tag: str
    explicit_name: str | None
    dataset_id: str | None

    def claims(self, task: Mapping[str, Any], dataset_id: str) -> bool:
        if self.dataset_id not in (None, dataset_id):
            return False
        name = name_of(task)
        if self.explicit_name and identity.attempt_of(name, self.explicit_name) is not None:
            return True
        parsed = identity.parse_task_name(name)
        return parsed is not None and parsed[0] == self.tag


def _declared(results: Sequence[ResourceResult], specs: SpecSet, namespace: str) -> list[_Declared]:
    declared = []
    for result in results:
        if result.type_token != TASK_TOKEN:
            continue
        config = (result.inputs or specs.resources[result.name].properties).get("config")
        explicit = config.get("name") if isinstance(config, Mapping) else None
        dataset_id = result.decision.dataset_id if result.decision is not None else None
        declared.append(
            _Declared(
                identity.resource_tag(result.name, namespace),
                explicit if isinstance(explicit, str) else None,
                dataset_id if isinstance(dataset_id, str) else None,
            )
        )
    return declared


def _touched(results: Sequence[ResourceResult]) -> tuple[set[str], set[str]]:
    """The dataset ids the plan's decisions name, and the ids of the live objects they follow or replace."""
    datasets: set[str] = set()
    followed: set[str] = set()
    for result in results:
        decision = result.decision
        if decision is None:
            continue
        datasets.update(value for value in (decision.dataset_id,) if isinstance(value, str))
        datasets.update(write.dataset_id for write in decision.writes if isinstance(write.dataset_id, str))
        for item in (decision.target, decision.replaces):
            if item is not None and item.get("task_id"):
                followed.add(str(item["task_id"]))
    return datasets, followed


def former_resource(task: Mapping[str, Any], namespace: str) -> str | None:
    """The resource name of this namespace that the task's generated name carries, if any."""
    parsed = identity.parse_task_name(name_of(task))
    return identity.resource_name_of(parsed[0], namespace) if parsed is not None else None


def find(
    ctx: ReconcileContext,
    specs: SpecSet,
    results: Sequence[ResourceResult],
    namespace: str,
    *,
    prune: bool = False,
    parallelism: int = 4,
) -> OrphanReport:
    """The orphans on the datasets the plan touches (see the module); raises ModelArtsError when a list fails."""
    datasets, followed = _touched(results)
    declared = _declared(results, specs, namespace)
    jobs = [(dataset_id, task_type) for dataset_id in sorted(datasets) for task_type in TASK_TYPES]

    def listed(job: tuple[str, str]) -> list[dict[str, Any]]:
        return ctx.observer.tasks(*job)  # the plan's own lists are read once, shared

    with ThreadPoolExecutor(max_workers=max(1, parallelism * 2)) as pool:
        lists = list(pool.map(listed, jobs))
    found = []
    for (dataset_id, task_type), tasks in zip(jobs, lists, strict=True):
        for task in tasks:
            stopping = task_status_name(task.get("status")) == "stopping"
            if not is_active(task) or stopping or str(task.get("task_id")) in followed:
                continue
            former = former_resource(task, namespace)
            if former is None or any(item.claims(task, dataset_id) for item in declared):
                continue
            found.append(Orphan(former, dataset_id, task_type, task))
    found.sort(key=lambda orphan: (orphan.dataset_id, orphan.resource, orphan.task_id))
    return OrphanReport(tuple(found), prune)


# --- apply: the approved stops ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Stopped:
    """What pruning did with one approved stop: ``outcome`` is what was done, or ``error`` why it failed."""

    write: Write
    outcome: str | None = None
    error: str | None = None

    @property
    def task_id(self) -> str:
        return str(self.write.target)

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "dataset_id": self.write.dataset_id,
            "ok": self.error is None,
            "outcome": self.outcome,
            "error": self.error,
        }


def stop(
    ctx: ReconcileContext,
    writes: Iterable[Write],
    namespace: str,
    *,
    parallelism: int = 4,
    on_stopped: Callable[[Stopped], None] | None = None,
) -> list[Stopped]:
    """Carry out approved ``stop-task`` writes of orphans, as a Pulumi delete of their former resource would.

    Each task is read again: one that ended meanwhile is left as it is (a write fewer than approved), one
    whose name is not this namespace's is left running and reported; otherwise it is stopped and waited
    on until it has stopped.
    """

    def one(write: Write) -> Stopped:
        dataset_id, task_id = str(write.dataset_id), str(write.target)
        try:
            task = read_task(ctx, dataset_id, task_id)
            if task is None or not is_active(task):
                return Stopped(write, f"task {task_id} ended meanwhile; nothing to stop")
            if former_resource(task, namespace) is None:
                return Stopped(write, error=f"task {task_id} is not this namespace's ({namespace!r}); left running")
            stop_task(ctx, dataset_id, task_id, DEFAULT_TIMEOUT_SECONDS)
            return Stopped(write, f"stopped task {task_id} '{task.get('task_name')}'")
        except ModelArtsError as error:
            return Stopped(write, error=f"task {task_id}: {error}")

    results = []
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        for stopped in pool.map(one, list(writes)):
            results.append(stopped)
            if on_stopped is not None:
                on_stopped(stopped)
    return results
