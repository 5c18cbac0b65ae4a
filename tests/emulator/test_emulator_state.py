"""The state machines as pure functions of a timeline and the time."""

from __future__ import annotations

import re

import pytest

from pulumi_modelarts.emulator import ids, state
from pulumi_modelarts.emulator.app import Application
from pulumi_modelarts.emulator.config import EmulatorConfig
from pulumi_modelarts.emulator.context import Response
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


def test_unexpected_exceptions_become_500_modelarts_0010(capsys: pytest.CaptureFixture[str]) -> None:
    app = Application(EmulatorConfig(seed="demo"))
    try:
        token, _ = app.auth.issue_token(app.config.project_id, app.config.project_name)
        found = app.router.match(f"/v2/{app.config.project_id}/datasets")
        assert found is not None

        def boom(ctx: object, req: object) -> Response:
            raise RuntimeError("bug")

        found[0].handlers["GET"] = boom  # type: ignore[index]
        outcome = app.handle("GET", f"/v2/{app.config.project_id}/datasets", {"x-auth-token": token}, b"", "http://x")
        assert outcome.response is not None and outcome.response.status == 500
        assert outcome.response.body == {"error_code": "ModelArts.0010", "error_msg": "Internal server error."}
        assert "RuntimeError: bug" in capsys.readouterr().err
        # the next request is served normally
        other = app.handle("GET", f"/v2/{app.config.project_id}/datasets/x", {"x-auth-token": token}, b"", "http://x")
        assert other.response is not None and other.response.status == 400
    finally:
        app.close()


def test_id_formats() -> None:
    assert re.fullmatch(r"[A-Za-z0-9]{19}", ids.new_id())
    assert ids.derived_id("dataset", "flowers") == ids.derived_id("dataset", "flowers")
    assert re.fullmatch(r"[A-Za-z0-9]{19}", ids.derived_id("dataset", "flowers"))
    assert re.fullmatch(r"[0-9a-f]{32}", ids.derived_hex32("x"))
    assert ids.new_token().startswith("MII")
