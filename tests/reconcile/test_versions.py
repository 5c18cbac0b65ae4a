"""DatasetVersionRef reconcile: resolve, gate, release once (even when the answer is lost)."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_modelarts.reconcile import versions
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.errors import ReconcileError, RequirementsNotMetError
from support.emulator_process import EmulatorProcess
from support.reconcile import converge, decide, make_ctx

RELEASE_ROUTE = "/v2/{project_id}/datasets/{dataset_id}/versions"


def ref(**inputs: Any) -> versions.VersionRefSpec:
    return versions.VersionRefSpec("candidate", {"dataset_name": "flowers", "timeout_seconds": 60, **inputs})


def test_resolves_by_name_current_and_latest(ctx: ReconcileContext) -> None:
    by_name = converge(ctx, ref(version_name="V001"))
    current = converge(ctx, ref(selector="current"))
    latest = converge(ctx, ref(selector="latest"))
    assert by_name["version_name"] == "V001" and by_name["is_current"] is False
    assert current["version_name"] == latest["version_name"] == "V002"
    assert current["annotated_ratio"] == pytest.approx(45 / 120, abs=1e-6)


def test_requirements_fail_with_what_was_found(ctx: ReconcileContext) -> None:
    with pytest.raises(RequirementsNotMetError) as failure:
        converge(ctx, ref(version_name="V002", requirements={"min_annotated_ratio": 0.9}))
    assert "annotated ratio is 0.375 (45/120), required at least 0.9" in str(failure.value)


def test_missing_version_is_not_found_unless_released(ctx: ReconcileContext) -> None:
    plan = decide(ctx, ref(version_name="V003"))
    assert plan.action == "blocked" and "does not exist" in plan.summary
    assert decide(ctx, ref(version_name="V003", release={"description": "x"})).action == "create"


def test_release_once_even_when_the_answer_is_lost(ctx: ReconcileContext, emulator: EmulatorProcess) -> None:
    emulator.set_faults([{"action": "drop_after_commit", "method": "POST", "route": RELEASE_ROUTE, "times": 1}])
    outputs = converge(ctx, ref(version_name="V003", release={"description": "nightly"}))
    assert outputs["released"] is True and outputs["status_name"] == "ready"
    again = converge(make_ctx(emulator), ref(version_name="V003", release={"description": "nightly"}))
    assert again["version_id"] == outputs["version_id"]
    names = [v["version_name"] for v in ctx.client.iter_versions(outputs["dataset_id"])]
    assert names.count("V003") == 1
    assert emulator.stats()["requests"]["POST " + RELEASE_ROUTE] == 1


def test_one_release_per_minute_is_waited_out(emulator_factory: Any, messages: list[str]) -> None:
    emulator = emulator_factory("--seed", "demo", "--release-interval-seconds", "60")
    ctx = make_ctx(emulator, messages)
    converge(ctx, ref(version_name="V003", release={}))
    # The next release is refused with ModelArts.4370 "try again in N s": one sleep of N s (the sleep
    # advances the emulator's clock), then one more POST, never a POST every few seconds.
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        emulator.advance_clock(seconds)

    ctx.sleep = sleep
    emulator.reset_stats()
    outputs = converge(ctx, ref(version_name="V004", release={}, timeout_seconds=120))
    assert outputs["version_name"] == "V004"
    assert any("ModelArts.4370" in message for message in messages)
    assert emulator.stats()["requests"]["POST " + RELEASE_ROUTE] == 2
    assert 60 <= slept[0] <= 62 and all(seconds < 1 for seconds in slept[1:])  # then only polls


def test_a_release_that_cannot_happen_within_the_timeout_fails_at_once(emulator_factory: Any) -> None:
    emulator = emulator_factory("--seed", "demo", "--release-interval-seconds", "600")
    ctx = make_ctx(emulator)
    converge(ctx, ref(version_name="V003", release={}))
    ctx.sleep = lambda seconds: pytest.fail("slept although the wait exceeds timeout_seconds")
    with pytest.raises(ReconcileError, match=r"within timeout_seconds \(60s\).*ModelArts\.4370"):
        converge(ctx, ref(version_name="V004", release={}))
