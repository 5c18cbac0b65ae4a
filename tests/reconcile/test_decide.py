"""The decision table of every kind, without I/O: observed state + spec -> action and listed writes."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_modelarts.reconcile import echo, export, intelligent, versions
from pulumi_modelarts.reconcile.decision import Decision

DS = "ds1"


def task_spec(name: str = "label", **overrides: Any) -> intelligent.IntelligentTaskSpec:
    inputs: dict[str, Any] = {
        "dataset_id": DS,
        "task_type": "auto-label",
        "config": {"algorithm_type": "fast"},
        "wait": True,
        "timeout_seconds": 60,
    }
    inputs.update(overrides)
    return intelligent.IntelligentTaskSpec(name, inputs)


def task(spec: intelligent.IntelligentTaskSpec, status: Any, attempt: int = 1, **fields: Any) -> dict[str, Any]:
    name = spec.name_for_attempt(attempt)
    config = {**(spec.request_body().get("config") or {}), "name": name}
    return {"task_id": f"t-{status}-{attempt}", "task_name": name, "status": status, "config": config, **fields}


def tasks_decision(spec: intelligent.IntelligentTaskSpec, live: list[dict[str, Any]], **extra: Any) -> Decision:
    observed = intelligent.classify(spec, DS, live)
    if extra:
        from dataclasses import replace

        observed = replace(observed, **extra)
    return intelligent.decide(observed, spec)


def writes(decision: Decision) -> list[str]:
    return [write.kind for write in decision.writes]


# --- IntelligentTask ---------------------------------------------------------------------------------

ACCEPT = {"min_score": 0.5}


@pytest.mark.parametrize(
    ("status", "action", "kinds"),
    [
        (-1, "wait", []),  # queuing
        (0, "wait", []),  # initializing
        (1, "wait", []),  # running
        (4, "wait", []),  # stopping
        (3, "in-sync", []),  # succeeded
        (2, "retry", ["start-task"]),  # failed: the next attempt
        (5, "retry", ["start-task"]),  # stopped: the next attempt
        (7, "wait", []),  # unknown status: not finished, never success
        (None, "wait", []),  # no status at all: not finished
    ],
)
def test_task_status_table(status: Any, action: str, kinds: list[str]) -> None:
    spec = task_spec()
    decision = tasks_decision(spec, [task(spec, status)])
    assert (decision.action, writes(decision)) == (action, kinds)
    assert decision.pending == bool(kinds)


def test_unknown_task_status_is_quoted() -> None:
    spec = task_spec()
    assert "unknown status 7" in tasks_decision(spec, [task(spec, 7)]).summary


def test_missing_task_is_created_and_the_retry_is_numbered() -> None:
    spec = task_spec()
    assert (tasks_decision(spec, []).action, writes(tasks_decision(spec, []))) == ("create", ["start-task"])
    retry = tasks_decision(spec, [task(spec, 2, attempt=1), task(spec, 5, attempt=2)])
    assert retry.attempt == 3 and "-r3" in retry.writes[0].text


@pytest.mark.parametrize(
    ("status", "acceptable", "action", "kinds"),
    [
        (3, 37, "update", ["accept-labels"]),  # pending acceptance is a pending change
        (3, 0, "in-sync", []),
        (1, None, "wait", ["accept-labels"]),  # accepted once it succeeds
        (None, None, "create", ["start-task", "accept-labels"]),
    ],
)
def test_acceptance_is_a_listed_write(status: Any, acceptable: int | None, action: str, kinds: list[str]) -> None:
    spec = task_spec(accept=ACCEPT)
    live = [] if status is None else [task(spec, status)]
    decision = tasks_decision(spec, live, acceptable=acceptable)
    assert (decision.action, writes(decision)) == (action, kinds)
    if acceptable:
        assert decision.writes[0].text.startswith("accept 37 auto-labels") and decision.writes[0].count == 37


def test_wait_false_never_plans_a_wait() -> None:
    spec = task_spec(wait=False)
    decision = tasks_decision(spec, [task(spec, 1)])
    assert decision.action == "in-sync" and "does not wait" in decision.summary and not decision.writes


def test_replacing_a_running_exclusive_task_stops_it_first() -> None:
    old = task_spec(config={"algorithm_type": "accurate"})
    spec = task_spec()
    running = task(old, 1)
    decision = tasks_decision(spec, [running])
    assert (decision.action, writes(decision)) == ("replace", ["stop-task", "start-task"])
    assert decision.writes[0].target == running["task_id"] and decision.replaces == running
    assert [(c.path, c.old, c.new) for c in decision.changes] == [("config.algorithm_type", "accurate", "fast")]
    finished = tasks_decision(spec, [task(old, 3)])
    assert writes(finished) == ["start-task"]


def test_replacing_a_running_grouping_task_lists_its_stop() -> None:
    """One auto-grouping task runs per dataset too (4964/4409): the replaced one is stopped first, as a listed write."""
    old = task_spec(task_type="auto-grouping", config={"n_clusters": 3})
    spec = task_spec(task_type="auto-grouping", config={"n_clusters": 4})
    running = task(old, 1)
    decision = tasks_decision(spec, [running])
    assert writes(decision) == ["stop-task", "start-task"] and decision.writes[0].target == running["task_id"]


def test_names_are_matched_exactly_never_by_prefix() -> None:
    grp_b = task_spec("grp-b")
    grp = task_spec("grp")
    decision = tasks_decision(grp, [task(grp_b, 3)])
    assert decision.action == "create"  # grp does not claim grp-b's task
    label_a, label_dash = task_spec("Label_A"), task_spec("label-a")
    assert label_a.base_name != label_dash.base_name
    assert tasks_decision(label_dash, [task(label_a, 3)]).action == "create"


def test_explicit_name_with_another_request_is_blocked_not_adopted() -> None:
    before = task_spec(config={"name": "nightly", "algorithm_type": "fast"})
    after = task_spec(config={"name": "nightly", "algorithm_type": "accurate"})
    decision = tasks_decision(after, [task(before, 3)])
    assert decision.action == "blocked" and "another request" in decision.summary
    assert [c.path for c in decision.changes] == ["config.algorithm_type"]
    assert tasks_decision(before, [task(before, 3)]).action == "in-sync"


@pytest.mark.parametrize(
    "echo",
    [
        {"task_name": ""},  # the API leaves task_name empty
        {"task_name": "ouIsrAuG226MgMknu9j", "config_name": "ouIsrAuG226MgMknu9j"},  # replaced by its own name
    ],
)
def test_identity_falls_back_to_the_echoed_request(echo: dict[str, str]) -> None:
    spec = task_spec()
    live = task(spec, 3)
    live["task_name"] = echo["task_name"]
    live["config"] = {
        **live["config"],
        "name": echo.get("config_name", ""),
        # server-filled defaults echoed back are not a different request
        "ambiguity": False,
        "worker_server_num": 0,
        "collect_sample": False,
        "confidence_scope": "0.10-0.90",
    }
    assert tasks_decision(spec, [live]).action == "in-sync"
    other = {**live, "config": {**live["config"], "algorithm_type": "accurate"}}
    assert tasks_decision(spec, [other]).action == "create"
    extra = {**live, "config": {**live["config"], "n_clusters": 9}}  # something we did not ask for
    assert tasks_decision(spec, [extra]).action == "create"


def test_a_foreign_running_task_is_waited_for_not_adopted() -> None:
    spec = task_spec()
    foreign = {"task_id": "f", "task_name": "someone-else", "status": 1, "config": {"name": "someone-else"}}
    decision = tasks_decision(spec, [foreign])
    assert decision.action == "create" and "after the running task f" in decision.summary


@pytest.mark.parametrize(
    ("adopted", "action", "kinds"),
    [
        (None, "blocked", []),  # does not exist
        ({"status": 3}, "adopt", []),
        ({"status": 1}, "wait", []),
        ({"status": 2, "error_msg": "boom"}, "blocked", []),  # failed: apply would fail, so plan says so
        ({"status": 3, "config": {"algorithm_type": "accurate"}}, "blocked", []),  # not the declared request
        ({"status": 3, "task_type": "pre-label"}, "blocked", []),
    ],
)
def test_adopt_task_id_table(adopted: dict[str, Any] | None, action: str, kinds: list[str]) -> None:
    spec = task_spec(adopt_task_id="t9")
    live = None if adopted is None else {"task_id": "t9", "config": {"algorithm_type": "fast"}, **adopted}
    observed = intelligent.TaskObservation(DS, adopt_requested=True, adopted=live)
    decision = intelligent.decide(observed, spec)
    assert (decision.action, writes(decision)) == (action, kinds)


# --- ExportTask --------------------------------------------------------------------------------------


def export_spec(**overrides: Any) -> export.ExportTaskSpec:
    inputs = {"dataset_id": DS, "path": "/b/out/", "export_type": 0, "wait": True, "timeout_seconds": 60}
    return export.ExportTaskSpec("to-obs", {**inputs, **overrides})


def an_export(spec: export.ExportTaskSpec, status: str, **fields: Any) -> dict[str, Any]:
    return {"task_id": f"e-{status}", "status": status, **spec.request_body(), **fields}


def export_decision(spec: export.ExportTaskSpec, live: list[dict[str, Any]], **extra: Any) -> Decision:
    matching = tuple(t for t in live if echo.export_matches(t, spec.request_body()))
    previous = tuple(t for t in live if t not in matching)
    observed = export.ExportObservation(DS, matching, previous, **extra)
    return export.decide(observed, spec)


@pytest.mark.parametrize(
    ("status", "action", "kinds"),
    [
        ("INIT", "wait", []),
        ("RUNNING", "wait", []),
        ("SUCCESSED", "in-sync", []),
        ("FAILED", "retry", ["start-export"]),
        ("CANCELED", "wait", []),  # unknown: not finished, never success
    ],
)
def test_export_status_table(status: str, action: str, kinds: list[str]) -> None:
    spec = export_spec()
    decision = export_decision(spec, [an_export(spec, status)])
    assert (decision.action, writes(decision)) == (action, kinds)


def test_export_defaults_echoed_back_are_the_same_request() -> None:
    spec = export_spec()
    echoed = an_export(
        spec,
        "SUCCESSED",
        version_format="Default",
        export_format=2,
        export_params={"clear_hard_property": True, "train_sample_ratio": 1.0, "ratio_sample_usage": False},
    )
    assert export_decision(spec, [echoed]).action == "in-sync"


def test_export_missing_replaced_blocked_and_wait_false() -> None:
    spec = export_spec()
    assert writes(export_decision(spec, [])) == ["start-export"]
    changed = export_decision(export_spec(export_type=1), [an_export(spec, "SUCCESSED")])
    assert (changed.action, writes(changed)) == ("replace", ["start-export"])
    taken = export_decision(spec, [], name_taken_by={"dataset_id": "other"})
    assert taken.action == "blocked"
    no_wait = export_decision(export_spec(wait=False), [an_export(spec, "RUNNING")])
    assert no_wait.action == "in-sync" and not no_wait.summary.startswith("wait for")


@pytest.mark.parametrize(
    ("adopted", "action"),
    [
        (None, "blocked"),
        ({"status": "SUCCESSED"}, "adopt"),
        ({"status": "RUNNING"}, "wait"),
        ({"status": "FAILED"}, "blocked"),
        ({"status": "SUCCESSED", "path": "/elsewhere/"}, "blocked"),  # not the declared request
    ],
)
def test_export_adopt_task_id_table(adopted: dict[str, Any] | None, action: str) -> None:
    spec = export_spec(adopt_task_id="e9")
    live = None if adopted is None else {**spec.request_body(), "task_id": "e9", **adopted}
    decision = export.decide(export.ExportObservation(DS, adopt_requested=True, adopted=live), spec)
    assert decision.action == action and not decision.writes


# --- DatasetVersionRef -------------------------------------------------------------------------------


def version(status: Any, annotated: int = 45, total: int = 120) -> dict[str, Any]:
    return {
        "version_id": "v2",
        "version_name": "V002",
        "status": status,
        "annotated_sample_count": annotated,
        "total_sample_count": total,
    }


def ref(**inputs: Any) -> versions.VersionRefSpec:
    return versions.VersionRefSpec("cand", {"dataset_id": DS, "version_name": "V002", "timeout_seconds": 60, **inputs})


@pytest.mark.parametrize(
    ("status", "requirements", "action"),
    [
        (0, None, "wait"),  # creating
        (1, None, "in-sync"),
        (2, None, "blocked"),  # deleting
        (3, None, "blocked"),  # deleted
        (4, None, "blocked"),  # error
        (4, {"status": "any"}, "blocked"),  # an error version is never in sync, whatever the gate
        (9, None, "wait"),  # unknown: not settled
        (1, {"min_annotated_samples": 40}, "in-sync"),  # gate passes
        (1, {"min_annotated_samples": 1000}, "blocked"),  # gate fails
        (0, {"min_annotated_samples": 1000}, "blocked"),  # counts known while creating
        (1, {"min_annotated_ratio": 0.5}, "blocked"),
    ],
)
def test_version_status_and_gate_table(status: Any, requirements: dict[str, Any] | None, action: str) -> None:
    spec = ref(**({"requirements": requirements} if requirements else {}))
    decision = versions.decide(versions.VersionObservation(DS, version(status)), spec)
    assert decision.action == action and not decision.writes


def test_missing_version_is_released_or_blocked() -> None:
    missing = versions.VersionObservation(DS, None)
    release = versions.decide(missing, ref(version_name="V003", release={}))
    assert (release.action, writes(release)) == ("create", ["release-version"])
    assert versions.decide(missing, ref(version_name="V003")).action == "blocked"


def test_creating_version_without_wait() -> None:
    creating = versions.VersionObservation(DS, version(0))
    assert versions.decide(creating, ref(wait=False)).action == "blocked"  # ready required, not waited for
    assert versions.decide(creating, ref(wait=False, requirements={"status": "any"})).action == "in-sync"


def test_a_task_a_client_named_is_never_claimed_by_its_request() -> None:
    spec = task_spec(task_type="auto-grouping", config={})
    foreign = {"task_id": "f", "task_name": "someone-else", "status": 3, "config": {"name": "someone-else"}}
    assert tasks_decision(spec, [foreign]).action == "create"
    server_named = {**foreign, "task_name": "ouIsrAuG226MgMknu9j", "config": {"name": "ouIsrAuG226MgMknu9j"}}
    assert tasks_decision(spec, [server_named]).action == "in-sync"


def test_schema_defaults_we_send_are_not_compared_with_the_servers_echo() -> None:
    """Normalized inputs carry documented defaults (collect_sample: true, ...); the server may echo its own."""
    from pulumi_modelarts import schema

    inputs, _ = schema.validate_inputs(
        "modelarts:IntelligentTask",
        {"dataset_id": DS, "task_type": "auto-label", "config": {"name": "nightly", "algorithm_type": "fast"}},
    )
    spec = intelligent.IntelligentTaskSpec("label", inputs)
    assert spec.request_body()["config"]["collect_sample"] is True
    live = {
        "task_id": "t1",
        "task_name": "nightly",
        "status": 3,
        "config": {"name": "nightly", "algorithm_type": "fast", "collect_sample": False, "worker_server_num": 0},
    }
    assert tasks_decision(spec, [live]).action == "in-sync"  # not "blocked: another request"

    exported, _ = schema.validate_inputs("modelarts:ExportTask", {"dataset_id": DS, "path": "/b/", "export_type": 0})
    export_spec_ = export.ExportTaskSpec("to-obs", exported)
    echoed = {
        "task_id": "e1",
        "status": "SUCCESSED",
        "path": "/b/",
        "export_type": 0,
        "export_format": 2,
        "version_format": "Default",
        "with_column_header": False,
        "export_params": {"export_dest": "DIR", "train_sample_ratio": 1.0, "clear_hard_property": False},
    }
    assert echo.export_matches(echoed, export_spec_.request_body())
    elsewhere = {**echoed, "export_params": {"export_dest": "NEW_DATASET"}}
    assert not echo.export_matches(elsewhere, export_spec_.request_body())
