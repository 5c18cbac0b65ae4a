"""Differential: no path writes what its plan or preview did not list, recorded at the emulator.

For each observed state in the table, three paths run against their own emulator, each brought to that
state first: the CLI (plan, then apply of that plan, as `apply --yes` and `apply --plan` do), the dynamic
provider (Diff as the preview, then what the engine does with its answer: nothing, Update, or Create and
Delete in the order a replace takes) and the plugin (the same through its bridge, with its preview of
creates). Every write the emulator receives (route, target id, request body) must be one the decision
shown listed; a live change between the preview and the apply (``between``) must stop the apply with
"changed since" rather than do something else; and afterwards a fresh decision writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.runtime import rpc

from pulumi_modelarts import schema
from pulumi_modelarts.api.errors import ModelArtsError
from pulumi_modelarts.cli.runner import Runner, approvals
from pulumi_modelarts.plugin import bridge
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.decision import Decision, Write
from pulumi_modelarts.reconcile.kinds import kind_of
from pulumi_modelarts.reconcile.unknown import Unknown, agrees
from pulumi_modelarts.resources import lifecycle
from pulumi_modelarts.resources._provider import ModelArtsProvider, ProviderError
from pulumi_modelarts.resources.dataset_version_ref import DatasetVersionRefProvider
from pulumi_modelarts.resources.export_task import ExportTaskProvider
from pulumi_modelarts.resources.import_task import ImportTaskProvider
from pulumi_modelarts.resources.intelligent_task import IntelligentTaskProvider
from pulumi_modelarts.specs import load_specs
from support.emulator_process import EmulatorProcess
from support.reconcile import converge, make_ctx

TASK = "modelarts:IntelligentTask"
EXPORT = "modelarts:ExportTask"
VERSION = "modelarts:DatasetVersionRef"
IMPORT = "modelarts:ImportTask"
BASE = "/v2/{project_id}/datasets/{dataset_id}"
KINDS_BY_ROUTE = {
    f"POST {BASE}/tasks": "start-task",
    f"POST {BASE}/tasks/{{task_id}}/stop": "stop-task",
    f"PUT {BASE}/data-annotations/samples": "accept-labels",
    f"POST {BASE}/versions": "release-version",
    f"POST {BASE}/export-tasks": "start-export",
    f"POST {BASE}/import-tasks": "start-import",
}
PROVIDERS: dict[str, type[ModelArtsProvider]] = {
    TASK: IntelligentTaskProvider,
    EXPORT: ExportTaskProvider,
    VERSION: DatasetVersionRefProvider,
    IMPORT: ImportTaskProvider,
}
NAMESPACE = "proj/dev"
CHANGED = ("changed since the plan", "changed since the preview")

Inputs = dict[str, Any]


def label(**overrides: Any) -> Inputs:
    return {"dataset_name": "flowers", "task_type": "auto-label", "config": {"algorithm_type": "fast"}, **overrides}


def grouping(**overrides: Any) -> Inputs:
    return {"dataset_name": "flowers", "task_type": "auto-grouping", "config": {"n_clusters": 3}, **overrides}


def pets(**overrides: Any) -> Inputs:
    return {"dataset_name": "pets-detection", "task_type": "auto-label", "timeout_seconds": 120, **overrides}


def to_obs(**overrides: Any) -> Inputs:
    return {"dataset_name": "flowers", "path": "/demo-bucket/flowers/export/", "export_type": 0, **overrides}


def pin(**overrides: Any) -> Inputs:
    return {"dataset_name": "flowers", "version_name": "V002", **overrides}


RAW = "/demo-bucket/pets-detection/raw/"


def intake(**overrides: Any) -> Inputs:
    return {"dataset_name": "pets-detection", "import_path": f"{RAW}batch-01/", **overrides}


@dataclass
class Case:
    id: str
    type_token: str
    inputs: Inputs  # what is declared now
    action: str  # what the plan (and the preview's decision) says
    before: Inputs | None = None  # what an earlier apply declared (and Pulumi recorded); None: nothing
    before_fails: bool = False  # the earlier apply ended in an error (a failed task)
    flags: tuple[str, ...] = ()
    apply_fails: bool = False
    pulumi: str | None = None  # "none" | "update" | "replace" | "error"; None: no recorded state (a create)
    between: Callable[[EmulatorProcess, ReconcileContext, dict[str, Any]], None] | None = None  # a live change
    setup: Callable[[ReconcileContext], None] | None = None  # state the case needs besides ``before``


def stop_recorded_task(emulator: EmulatorProcess, ctx: ReconcileContext, live: dict[str, Any]) -> None:
    """Someone stops the task between the preview and the apply."""
    ctx.client.stop_task(live["dataset_id"], live["task_id"])
    emulator.advance_clock(5)


def release_a_newer_version(emulator: EmulatorProcess, ctx: ReconcileContext, _live: dict[str, Any]) -> None:
    """Someone releases a version between the plan and the apply (a `latest` selector now means it)."""
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    ctx.client.create_version(dataset_id, {"version_name": "V009"})
    emulator.advance_clock(120)


def start_the_same_export(emulator: EmulatorProcess, ctx: ReconcileContext, _live: dict[str, Any]) -> None:
    """Another run starts the very export planned (the plan's write is then done: applying it writes nothing)."""
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    spec = kind_of(EXPORT).spec("res", normalized(EXPORT, to_obs()))
    ctx.client.create_export_task(dataset_id, spec.request_body())


def start_the_same_import(emulator: EmulatorProcess, ctx: ReconcileContext, _live: dict[str, Any]) -> None:
    """Another run starts the very import planned (applying the plan then writes nothing)."""
    dataset_id = ctx.observer.dataset_id_for(None, "pets-detection")
    ctx.client.create_import_task(dataset_id, kind_of(IMPORT).spec("res", normalized(IMPORT, intake())).request_body())


def foreign_running_import(ctx: ReconcileContext) -> None:
    """Someone's import of another batch runs on the dataset (ModelArts runs one import at a time)."""
    dataset_id = ctx.observer.dataset_id_for(None, "pets-detection")
    ctx.client.create_import_task(dataset_id, {"import_path": f"{RAW}batch-02/", "import_type": "dir"})


def foreign_running_label_task(ctx: ReconcileContext) -> None:
    """Another stack's auto-label task runs on the dataset (same resource name, another namespace)."""
    other = kind_of(TASK).spec("res", normalized(TASK, label(config={"algorithm_type": "accurate"})), "proj/other")
    dataset_id = ctx.observer.dataset_id_for(None, "flowers")
    ctx.client.create_task(dataset_id, other.request_body(other.base_name))


CASES = [
    Case("task-missing", TASK, label(), "create"),
    Case("task-succeeded", TASK, label(), "in-sync", before=label(), pulumi="none"),
    Case(
        "task-running-waited",
        TASK,
        label(),
        "wait",
        before=label(wait=False),
        flags=("--task-seconds", "30"),
        pulumi="update",  # wait changed in place; no API write
    ),
    Case(
        "task-failed-retried",
        TASK,
        label(dataset_name="support-tickets"),  # every sample labelled: the task fails (4407)
        "retry",
        before=label(dataset_name="support-tickets"),
        before_fails=True,
        flags=("--preconditions", "fail-task"),
        apply_fails=True,
        pulumi="replace",
    ),
    Case(
        "task-pending-acceptance",  # the accept rule was added after the task succeeded
        TASK,
        pets(accept={"min_score": 0.5}),
        "update",
        before=pets(),
        pulumi="update",
    ),
    Case(
        "task-replaced-while-running",  # the running task is stopped first (one auto-label per dataset)
        TASK,
        label(wait=True, timeout_seconds=120),
        "replace",
        before=label(config={"algorithm_type": "accurate"}, wait=False),
        flags=("--task-seconds", "30"),
        pulumi="replace",
    ),
    Case(
        "grouping-replaced-while-running",
        TASK,
        grouping(config={"n_clusters": 4}, timeout_seconds=120),
        "replace",
        before=grouping(wait=False),
        flags=("--task-seconds", "30"),
        pulumi="replace",
    ),
    Case(
        "task-dataset-named-by-id",  # the same task: no replace, nothing stopped
        TASK,
        label(dataset_name=None, dataset_id="flowers-id", wait=False),
        "in-sync",
        before=label(wait=False),
        flags=("--task-seconds", "30"),
        pulumi="update",
    ),
    Case(
        "task-adopts-its-own-task",  # adopt_task_id naming the recorded task: no replace, nothing stopped
        TASK,
        label(adopt_task_id="recorded", wait=False),
        "adopt",
        before=label(wait=False),
        flags=("--task-seconds", "30"),
        pulumi="update",
    ),
    Case(
        "task-of-another-namespace-running",  # waited for, never stopped
        TASK,
        label(timeout_seconds=120),
        "create",
        flags=("--task-seconds", "30"),
        setup=foreign_running_label_task,
    ),
    Case(
        "task-explicit-name-new-request",
        TASK,
        label(config={"name": "nightly", "algorithm_type": "accurate"}),
        "blocked",
        before=label(config={"name": "nightly", "algorithm_type": "fast"}),
        apply_fails=True,
        pulumi="error",
    ),
    Case("task-adopt-missing", TASK, label(adopt_task_id="nope"), "blocked", apply_fails=True),
    Case(
        "task-stopped-after-the-preview",  # a timeout change previewed in place; then someone stops the task
        TASK,
        label(wait=False, timeout_seconds=900),
        "in-sync",
        before=label(wait=False),
        flags=("--task-seconds", "30"),
        apply_fails=True,
        pulumi="update",
        between=stop_recorded_task,
    ),
    Case(
        "task-triggers-changed",  # a new task for the new triggers; the finished one is left as it is
        TASK,
        label(triggers=["import-2"]),
        "replace",
        before=label(triggers=["import-1"]),
        pulumi="replace",
    ),
    Case(
        "task-triggers-changed-while-running",  # the running task of the old triggers is stopped first
        TASK,
        label(triggers=["import-2"], timeout_seconds=120),
        "replace",
        before=label(triggers=["import-1"], wait=False),
        flags=("--task-seconds", "30"),
        pulumi="replace",
    ),
    Case(
        "task-triggers-same",
        TASK,
        label(triggers=["import-1"]),
        "in-sync",
        before=label(triggers=["import-1"]),
        pulumi="none",
    ),
    Case("export-missing", EXPORT, to_obs(), "create"),
    Case("export-succeeded", EXPORT, to_obs(), "in-sync", before=to_obs(), pulumi="none"),
    Case(
        "export-running-no-wait",
        EXPORT,
        to_obs(wait=False),
        "in-sync",
        before=to_obs(wait=False),
        flags=("--export-seconds", "60"),
        pulumi="none",
    ),
    Case("export-changed", EXPORT, to_obs(export_type=1), "replace", before=to_obs(), pulumi="replace"),
    Case("export-adopt-missing", EXPORT, to_obs(adopt_task_id="nope"), "blocked", apply_fails=True),
    Case("export-of-a-missing-version", EXPORT, to_obs(version_id="no-such-version"), "blocked", apply_fails=True),
    Case("export-started-meanwhile", EXPORT, to_obs(), "create", between=start_the_same_export),
    Case("import-missing", IMPORT, intake(), "create"),
    Case("import-completed", IMPORT, intake(), "in-sync", before=intake(), pulumi="none"),
    Case(
        "import-running-no-wait",
        IMPORT,
        intake(wait=False),
        "in-sync",
        before=intake(wait=False),
        flags=("--import-seconds", "60"),
        pulumi="none",
    ),
    Case(
        "import-running-waited",
        IMPORT,
        intake(timeout_seconds=120),
        "wait",
        before=intake(wait=False),
        flags=("--import-seconds", "60"),
        pulumi="update",  # wait changed in place; no API write
    ),
    Case(
        "import-new-batch", IMPORT, intake(import_path=f"{RAW}batch-02/"), "create", before=intake(), pulumi="replace"
    ),
    Case(
        "import-path-respelled",  # obs:// names the same folder: the same import, nothing imported again
        IMPORT,
        intake(import_path="obs://demo-bucket/pets-detection/raw/batch-01"),
        "in-sync",
        before=intake(),
        pulumi="update",
    ),
    Case(
        "import-failed-retried",  # nothing at the path: the import fails again, quoting ModelArts
        IMPORT,
        intake(import_path=f"{RAW}nothing/"),
        "retry",
        before=intake(import_path=f"{RAW}nothing/"),
        before_fails=True,
        flags=("--import-path-check", "fail-task"),
        apply_fails=True,
        pulumi="replace",
    ),
    Case(
        "import-after-another-import",  # waited for, then started once
        IMPORT,
        intake(timeout_seconds=120),
        "create",
        flags=("--import-seconds", "30"),
        setup=foreign_running_import,
    ),
    Case("import-adopt-missing", IMPORT, intake(adopt_task_id="nope"), "blocked", apply_fails=True),
    Case("import-started-meanwhile", IMPORT, intake(), "create", between=start_the_same_import),
    Case("version-release", VERSION, pin(version_name="V003", release={}), "create"),
    Case(
        "version-release-gate-unmet",  # judged before the irreversible release: nothing is released
        VERSION,
        pin(version_name="V003", release={}, requirements={"min_annotated_ratio": 0.9}),
        "blocked",
        apply_fails=True,
    ),
    Case("version-missing", VERSION, pin(version_name="V009"), "blocked", apply_fails=True),
    Case(
        "version-gate-pass",
        VERSION,
        pin(requirements={"min_annotated_samples": 40}),
        "in-sync",
        before=pin(requirements={"min_annotated_samples": 40}),
        pulumi="none",
    ),
    Case(
        "version-gate-fail",
        VERSION,
        pin(requirements={"min_annotated_samples": 1000}),
        "blocked",
        before=pin(requirements={"min_annotated_samples": 40}),
        apply_fails=True,
        pulumi="error",
    ),
    Case(
        "version-latest-moved-after-the-plan",
        VERSION,
        pin(version_name=None, selector="latest"),
        "in-sync",
        apply_fails=True,
        between=release_a_newer_version,
    ),
]


def normalized(type_token: str, inputs: Inputs) -> Inputs:
    result, violations = schema.validate_inputs(type_token, {k: v for k, v in inputs.items() if v is not None})
    assert violations == []
    return result


# --- the state each path starts from -------------------------------------------------------------


@dataclass
class World:
    emulator: EmulatorProcess
    ctx: ReconcileContext
    inputs: Inputs  # the case's inputs with the live ids filled in
    olds: dict[str, Any] | None  # what Pulumi recorded, None when nothing was


def fill(inputs: Inputs, ctx: ReconcileContext, live: dict[str, Any] | None) -> Inputs:
    """Placeholders of the table made live: the dataset's real id, the recorded task's id."""
    filled = dict(inputs)
    if filled.get("dataset_id") == "flowers-id":
        filled["dataset_id"] = ctx.observer.dataset_id_for(None, "flowers")
    if filled.get("adopt_task_id") == "recorded" and live is not None:
        filled["adopt_task_id"] = live["task_id"]
    return filled


def world(case: Case, emulator_factory: Callable[..., EmulatorProcess]) -> World:
    emulator = emulator_factory("--seed", "demo", *case.flags)
    ctx = make_ctx(emulator)
    if case.setup is not None:
        case.setup(ctx)
    kind = kind_of(case.type_token)
    olds: dict[str, Any] | None = None
    live: dict[str, Any] | None = None
    if case.before is not None:
        before = normalized(case.type_token, case.before)
        try:
            live = converge(ctx, kind.spec("res", before, NAMESPACE))
        except ModelArtsError:
            assert case.before_fails
            dataset_id = ctx.observer.dataset_id_for(None, case.before["dataset_name"])
            if case.type_token == IMPORT:
                task = next(iter(ctx.client.iter_import_tasks(dataset_id)))
            else:
                task = next(iter(ctx.client.iter_tasks(dataset_id, type="auto-label")))
            live = {"task_id": task["task_id"], "dataset_id": dataset_id, "adopted": False}
        olds = lifecycle.echo_outputs("res", before, live)
    return World(emulator, make_ctx(emulator), fill(case.inputs, ctx, live), olds)


# --- what was written, against what was shown ----------------------------------------------------


def written(emulator: EmulatorProcess) -> list[Write]:
    """The writes the emulator received, as the decision's writes describe them."""
    found = []
    for entry in emulator.writes():
        kind = KINDS_BY_ROUTE.get(entry["route"])
        assert kind is not None, f"a write no decision describes: {entry['route']}"
        params, body = entry["params"], entry["body"]
        target = {
            "start-task": (body or {}).get("config", {}).get("name"),
            "stop-task": params.get("task_id"),
            "release-version": (body or {}).get("version_name"),
        }.get(kind)
        found.append(Write(kind, kind, params["dataset_id"], target, body if kind != "stop-task" else None))  # type: ignore[arg-type]
    return found


def assert_only_listed(shown: Decision | None, writes: list[Write]) -> None:
    """Every write made is one the shown decision listed (its kind, dataset, target and request body; where the
    decision did not know a value yet, any value agrees)."""
    listed = list(shown.writes) if shown is not None else []
    for write in writes:
        match = [
            planned
            for planned in listed
            if planned.kind == write.kind
            and agrees(planned.dataset_id, write.dataset_id)
            and (write.kind == "accept-labels" or agrees(planned.target, write.target))
            and (planned.body is None or agrees(planned.body, write.body))
        ]
        assert match, f"{write.kind} on {write.target} ({write.body}) was not listed: {[w.text for w in listed]}"


def converged(case: Case, state: World) -> None:
    spec = kind_of(case.type_token).spec("res", normalized(case.type_token, state.inputs), NAMESPACE)
    again = kind_of(case.type_token).decision(make_ctx(state.emulator), spec)
    assert not again.pending, again.summary


# --- the paths -----------------------------------------------------------------------------------


def spec_file(case: Case, inputs: Inputs, folder: Path) -> list[str]:
    properties = {k: v for k, v in inputs.items() if k not in ("wait", "timeout_seconds") and v is not None}
    options: dict[str, Any] = {}
    if "wait" in inputs:
        options["wait"] = inputs["wait"]
    if "timeout_seconds" in inputs:
        options["timeoutSeconds"] = inputs["timeout_seconds"]
    resource: dict[str, Any] = {"type": case.type_token, "properties": properties}
    if options:
        resource["options"] = options
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump({"name": NAMESPACE, "resources": {"res": resource}}))
    return [str(path)]


def cli_path(case: Case, state: World, folder: Path) -> None:
    specs = load_specs(spec_file(case, state.inputs, folder))
    planned = Runner(specs, state.ctx, namespace=NAMESPACE).plan()
    decision = planned[0].decision
    assert decision is not None and decision.action == case.action, decision and decision.summary
    if case.between is not None:
        case.between(state.emulator, state.ctx, (state.olds or {}))
    state.emulator.reset_stats()
    applied = Runner(specs, make_ctx(state.emulator), namespace=NAMESPACE).apply(approvals(planned))
    assert_only_listed(decision, written(state.emulator))
    if case.apply_fails:
        assert applied[0].error is not None
        if case.between is not None:
            assert any(text in applied[0].error for text in CHANGED), applied[0].error
            assert written(state.emulator) == []
        return
    assert applied[0].error is None, applied[0].error
    converged(case, state)


@dataclass
class Adapter:
    """One Pulumi adapter, driven as the engine drives it (plain values in, outputs out)."""

    diff: Callable[[dict[str, Any], Inputs], lifecycle.Change]
    preview_create: Callable[[Inputs], Decision | None]
    create: Callable[[Inputs], dict[str, Any]]
    update: Callable[[dict[str, Any], Inputs], dict[str, Any]]
    delete: Callable[[dict[str, Any]], None]


def dynamic_adapter(type_token: str, emulator: EmulatorProcess, name: str = "res") -> Adapter:
    provider = PROVIDERS[type_token]()
    provider.context = lambda: make_ctx(emulator)  # type: ignore[method-assign]
    props = {"resource_name": name, "namespace": NAMESPACE}
    kind = provider.kind

    def diff(olds: dict[str, Any], news: Inputs) -> lifecycle.Change:
        result = provider.diff(str(olds.get(kind.id_output)), olds, {**news, **props})
        approved = lifecycle.SESSION.approval(
            lifecycle.approval_key(kind, name, NAMESPACE, normalized(type_token, news))
        )
        decision = Decision(approved.action, approved.summary, writes=approved.writes) if approved else None
        replaces = tuple(result.replaces or ())
        return lifecycle.Change(
            replaces,
            () if replaces or not result.changes else ("x",),
            bool(result.delete_before_replace),
            decision=decision,
        )

    return Adapter(
        diff=diff,
        preview_create=lambda news: None,  # dynamic providers get no preview call for creates
        create=lambda news: dict(provider.create({**news, **props}).outs or {}),
        update=lambda olds, news: dict(provider.update("", olds, {**news, **props}).outs or {}),
        delete=lambda olds: provider.delete(str(olds[kind.id_output]), {**olds, **props}),
    )


def plugin_adapter(
    type_token: str, emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch, name: str = "res"
) -> Adapter:
    kind = kind_of(type_token)

    def context(self: bridge.Operation) -> ReconcileContext:
        ctx = make_ctx(emulator)
        ctx.pending = lifecycle.SESSION.pending  # the plugin's writes in flight, as the bridge's context has them
        return ctx

    monkeypatch.setattr(bridge.Operation, "context", context)
    log = lambda _: None  # noqa: E731

    def preview_create(news: Inputs) -> Decision | None:
        bridge.preview_create(kind, name, NAMESPACE, news, log)
        approved = lifecycle.SESSION.approval(
            lifecycle.approval_key(kind, name, NAMESPACE, normalized(type_token, news))
        )
        return Decision(approved.action, approved.summary, writes=approved.writes) if approved else None

    def delete(olds: dict[str, Any]) -> None:
        bridge.delete(kind, name, NAMESPACE, f"{olds['dataset_id']}/{olds[kind.id_output]}", olds, 0.0, log)

    return Adapter(
        diff=lambda olds, news: bridge.diff(kind, name, NAMESPACE, olds, news, log),
        preview_create=preview_create,
        create=lambda news: bridge.create(kind, name, NAMESPACE, news, 0.0, log)[1],
        update=lambda olds, news: bridge.update(kind, name, NAMESPACE, olds, news, 0.0, log),
        delete=delete,
    )


def pulumi_path(case: Case, state: World, adapter: Adapter) -> None:
    """What the engine does: preview (Diff, or a preview Create), then the step it previewed."""
    news = state.inputs
    try:
        if state.olds is None:
            shown = adapter.preview_create(news)
            if shown is None:  # the dynamic path: what a plan of the same state lists
                kind = kind_of(case.type_token)
                shown = kind.decision(state.ctx, kind.spec("res", normalized(case.type_token, news), NAMESPACE))
            change = None
        else:
            change = adapter.diff(state.olds, news)
            shown = change.decision
    except ProviderError as error:
        assert case.pulumi == "error" or case.action == "blocked", str(error)
        return
    if change is not None:
        step = "replace" if change.replaces else "update" if change.changes else "none"
        assert step == case.pulumi, (step, shown and shown.summary)
    if case.between is not None:
        case.between(state.emulator, state.ctx, state.olds or {})
    state.emulator.reset_stats()
    try:
        if change is None:
            adapter.create(news)
        elif change.replaces and change.delete_before_replace:
            adapter.delete(state.olds or {})
            adapter.create(news)
        elif change.replaces:
            adapter.create(news)
            adapter.delete(state.olds or {})
        elif change.changes:
            adapter.update(state.olds or {}, news)
        assert not case.apply_fails
    except ProviderError as error:
        assert case.apply_fails, str(error)
        if case.between is not None:
            assert any(text in str(error) for text in CHANGED), str(error)
    assert_only_listed(shown, written(state.emulator))
    if not case.apply_fails:
        converged(case, state)


@pytest.fixture(autouse=True)
def fresh_session(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each case is one deployment: a provider process of its own (approvals, claims, pending writes)."""
    monkeypatch.setattr(lifecycle, "SESSION", lifecycle.Session())
    yield


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_cli_writes_only_what_its_plan_listed(
    case: Case, emulator_factory: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    cli_path(case, world(case, emulator_factory), tmp_path)


PULUMI_CASES = [case for case in CASES if case.pulumi is not None or case.before is None]


# A dynamic provider gets no preview call for a create, so nothing can tell its Create what the preview
# showed: a `latest` selector that moved in between is pinned as it is then (the plugin refuses it).
DYNAMIC_CASES = [case for case in PULUMI_CASES if case.id != "version-latest-moved-after-the-plan"]


@pytest.mark.parametrize("case", DYNAMIC_CASES, ids=[case.id for case in DYNAMIC_CASES])
def test_dynamic_provider_writes_only_what_its_preview_showed(
    case: Case, emulator_factory: Callable[..., EmulatorProcess]
) -> None:
    state = world(case, emulator_factory)
    pulumi_path(case, state, dynamic_adapter(case.type_token, state.emulator))


@pytest.mark.parametrize("case", PULUMI_CASES, ids=[case.id for case in PULUMI_CASES])
def test_plugin_writes_only_what_its_preview_showed(
    case: Case, emulator_factory: Callable[..., EmulatorProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    state = world(case, emulator_factory)
    pulumi_path(case, state, plugin_adapter(case.type_token, state.emulator, monkeypatch))


# --- the triggered pipeline: a new batch re-runs auto-labeling ------------------------------------


def labelling(trigger: Any) -> Inputs:
    return pets(config={"algorithm_type": "fast"}, accept={"min_score": 0.5}, triggers=[trigger])


@dataclass
class Pipeline:
    """An import and the auto-label task it triggers, applied for batch-01 (what Pulumi recorded of them)."""

    emulator: EmulatorProcess
    olds: dict[str, dict[str, Any]]

    def writes_by_resource(self) -> dict[str, list[Write]]:
        found: dict[str, list[Write]] = {"intake": [], "label": []}
        for write in written(self.emulator):
            found["intake" if write.kind == "start-import" else "label"].append(write)
        return found

    def assert_converged(self, batch: str) -> None:
        """A fresh look finds the import of ``batch`` and the task its id triggered: nothing to write."""
        ctx = make_ctx(self.emulator)
        imported = self._decided(ctx, IMPORT, "intake", intake(import_path=batch))
        labelled = self._decided(ctx, TASK, "label", labelling(imported.target_id))
        assert (imported.action, labelled.action) == ("in-sync", "in-sync"), labelled.summary

    @staticmethod
    def _decided(ctx: ReconcileContext, token: str, name: str, inputs: Inputs) -> Decision:
        decision = kind_of(token).decision(ctx, kind_of(token).spec(name, normalized(token, inputs), NAMESPACE))
        assert not decision.pending, decision.summary
        return decision


@pytest.fixture
def batch_one(emulator_factory: Callable[..., EmulatorProcess]) -> Pipeline:
    emulator = emulator_factory("--seed", "demo")
    ctx = make_ctx(emulator)
    first = normalized(IMPORT, intake())
    imported = converge(ctx, kind_of(IMPORT).spec("intake", first, NAMESPACE))
    label_inputs = normalized(TASK, labelling(imported["task_id"]))
    labelled = converge(ctx, kind_of(TASK).spec("label", label_inputs, NAMESPACE))
    olds = {
        "intake": lifecycle.echo_outputs("intake", first, imported),
        "label": lifecycle.echo_outputs("label", label_inputs, labelled),
    }
    return Pipeline(emulator, olds)


BATCH_TWO = f"{RAW}batch-02/"


def test_cli_a_new_batch_writes_only_what_the_plan_listed(batch_one: Pipeline, tmp_path: Path) -> None:
    """The plan lists the import and, for the task whose trigger is not known yet, every write it may make."""
    resources = {
        "intake": {"type": IMPORT, "properties": intake(import_path=BATCH_TWO)},
        "label": {"type": TASK, "properties": labelling("${intake.task_id}")},
    }
    resources["label"]["properties"].pop("timeout_seconds")
    path = tmp_path / "pipeline.yaml"
    path.write_text(yaml.safe_dump({"name": NAMESPACE, "resources": resources}))
    specs = load_specs([str(path)])
    planned = Runner(specs, make_ctx(batch_one.emulator), namespace=NAMESPACE).plan()
    shown = {result.name: result.decision for result in planned}
    assert [shown[name] and shown[name].action for name in ("intake", "label")] == ["create", "create"]
    assert "inputs known after apply (intake.task_id)" in (shown["label"].summary if shown["label"] else "")

    batch_one.emulator.reset_stats()
    applied = Runner(specs, make_ctx(batch_one.emulator), namespace=NAMESPACE).apply(approvals(planned))

    assert [result.error for result in applied] == [None, None]
    made = batch_one.writes_by_resource()
    assert [w.kind for w in made["intake"]] == ["start-import"]
    assert [w.kind for w in made["label"]] == ["start-task", "accept-labels"]  # the old task had finished
    for name, writes in made.items():
        assert_only_listed(shown[name], writes)
    batch_one.assert_converged(BATCH_TWO)


@pytest.mark.parametrize("adapter", ["dynamic", "plugin"])
def test_pulumi_a_new_batch_writes_only_what_each_diff_showed(
    batch_one: Pipeline, monkeypatch: pytest.MonkeyPatch, adapter: str
) -> None:
    """Preview: the import is replaced, and the task whose trigger is unknown until then is a replace too.
    Up: each Diff runs once its inputs are known (the task's after the import's Create) and decides; Create
    makes only the writes that decision showed."""
    emulator = batch_one.emulator
    if adapter == "dynamic":
        adapters = {
            name: dynamic_adapter(token, emulator, name) for name, token in (("intake", IMPORT), ("label", TASK))
        }
        pending: Any = rpc.UNKNOWN
    else:
        adapters = {
            name: plugin_adapter(token, emulator, monkeypatch, name)
            for name, token in (("intake", IMPORT), ("label", TASK))
        }
        pending = Unknown("intake.task_id")
    emulator.reset_stats()
    preview_import = adapters["intake"].diff(batch_one.olds["intake"], intake(import_path=BATCH_TWO))
    preview_label = adapters["label"].diff(batch_one.olds["label"], labelling(pending))
    assert "import_path" in preview_import.replaces and "triggers" in preview_label.replaces
    assert written(emulator) == [], "a preview writes nothing"

    shown_import = adapters["intake"].diff(batch_one.olds["intake"], intake(import_path=BATCH_TWO))
    imported = adapters["intake"].create(intake(import_path=BATCH_TWO))
    adapters["intake"].delete(batch_one.olds["intake"])  # forgets the old import; its samples stay
    shown_label = adapters["label"].diff(batch_one.olds["label"], labelling(imported["task_id"]))
    assert shown_label.replaces and shown_label.decision is not None
    adapters["label"].create(labelling(imported["task_id"]))
    adapters["label"].delete(batch_one.olds["label"])  # the old task has finished: nothing to stop

    made = batch_one.writes_by_resource()
    assert [w.kind for w in made["intake"]] == ["start-import"]
    assert [w.kind for w in made["label"]] == ["start-task", "accept-labels"]
    assert_only_listed(shown_import.decision, made["intake"])
    assert_only_listed(shown_label.decision, made["label"])
    batch_one.assert_converged(BATCH_TWO)
