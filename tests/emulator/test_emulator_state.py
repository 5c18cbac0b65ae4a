"""The state machines as pure functions of a timeline and the time."""

from __future__ import annotations

from pulumi_modelarts.emulator import state
from pulumi_modelarts.emulator.faults import FaultEngine, parse_rule
from pulumi_modelarts.emulator.routes import Router, api_routes
from pulumi_modelarts.emulator.state import TaskTimeline


def test_task_timeline() -> None:
    timeline = TaskTimeline(start=1000, duration=100_000)
    assert timeline.status(1000) == state.QUEUING
    assert timeline.status(1000 + 5_000) == state.INITIALIZING
    assert timeline.status(1000 + 10_000) == state.RUNNING
    assert timeline.progress(1000 + 10_000) == 0.0
    assert timeline.progress(1000 + 55_000) == 50.0
    assert timeline.status(1000 + 100_000) == state.SUCCEEDED
    assert timeline.progress(1000 + 200_000) == 100.0
    assert timeline.elapsed_seconds(1000 + 500_000) == 100


def test_stop_and_failure() -> None:
    stopped = TaskTimeline(start=0, duration=100_000, stop=55_000)
    assert stopped.status(55_000) == state.STOPPING
    assert stopped.status(65_000) == state.STOPPED
    assert stopped.progress(90_000) == 50.0
    assert stopped.end == 65_000
    failed = TaskTimeline(start=0, duration=100_000, fail_at=7_500)
    assert failed.status(7_000) == state.INITIALIZING
    assert failed.status(7_500) == state.FAILED
    assert [e["status"] for e in failed.events(10_000, "labeling")][:3] == ["success", "failed", "waiting"]


def test_zero_duration_task_is_done_at_once() -> None:
    timeline = TaskTimeline(start=0, duration=0)
    assert timeline.status(0) == state.SUCCEEDED and timeline.progress(0) == 100.0


def test_export_and_version_status() -> None:
    assert state.export_status(0, 10_000, 500) == ("INIT", 0.0)
    assert state.export_status(0, 10_000, 5_500) == ("RUNNING", 50.0)
    assert state.export_status(0, 10_000, 10_000) == ("SUCCESSED", 100.0)
    assert state.version_status(1000, 999) == 0 and state.version_status(1000, 1000) == 1


def test_router() -> None:
    router = Router(api_routes())
    route, params = router.match("/v2/p1/datasets/d1/tasks/t1/stop") or (None, None)
    assert route is not None and route.template == "/v2/{project_id}/datasets/{dataset_id}/tasks/{task_id}/stop"
    assert params == {"project_id": "p1", "dataset_id": "d1", "task_id": "t1"}
    assert router.match("/v2/p1/datasets/") is not None  # one trailing slash is tolerated
    assert router.match("/v2//datasets") is None
    assert router.match("/v2/p1/datasets/d%201")[1]["dataset_id"] == "d 1"  # type: ignore[index]


def test_fault_engine_times_and_order() -> None:
    routes = [route.template for route in api_routes()]
    engine = FaultEngine(
        [
            parse_rule({"action": "latency", "latency_ms": 5}, routes),
            parse_rule({"action": "error", "method": "post", "times": 1}, routes),
        ]
    )
    first = engine.decide("POST", routes[0])
    assert first.latency_ms == 5 and first.rule is not None and first.rule.action == "error"
    second = engine.decide("POST", routes[0])
    assert second.rule is None and second.latency_ms == 5
    assert engine.decide("GET", routes[0]).rule is None
