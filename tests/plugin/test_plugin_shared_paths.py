"""Crash safety and lost answers, run through both engine paths: the plugin and the dynamic-provider host.

The API has no idempotency key, so both paths must look before they create again; they run the same
reconcile code, and these scenarios check that each path really does.
"""

from __future__ import annotations

import grpc
import pytest

from support.emulator_process import EmulatorProcess
from support.faultkit import EXPORTS, TASKS, VERSIONS, objects, requests_to, rule
from support.plugin_paths import SCENARIOS, EnginePath, assert_no_secrets, dumped

ROUTES = {"IntelligentTask": TASKS, "ExportTask": EXPORTS, "DatasetVersionRef": VERSIONS}
COUNTERS = {"IntelligentTask": "tasks", "ExportTask": "export_tasks", "DatasetVersionRef": "versions"}


@pytest.mark.parametrize("kind", sorted(SCENARIOS))
def test_lost_create_answer_converges_on_one_object(
    engine_path: EnginePath, sentinel_emulator: EmulatorProcess, kind: str
) -> None:
    before = objects(sentinel_emulator)[COUNTERS[kind]]
    sentinel_emulator.set_faults([rule("drop_after_commit", "POST", ROUTES[kind], times=1)])

    resource_id, outputs = engine_path.create(kind, "lost", SCENARIOS[kind])

    assert requests_to(sentinel_emulator, "POST", ROUTES[kind]) == 1, "the create was repeated blindly"
    assert objects(sentinel_emulator)[COUNTERS[kind]] == before + 1
    assert resource_id and outputs["dataset_id"]
    assert_no_secrets(dumped(outputs))


@pytest.mark.parametrize("kind", sorted(SCENARIOS))
def test_retried_create_adopts_without_writing(
    engine_path: EnginePath, sentinel_emulator: EmulatorProcess, kind: str
) -> None:
    first_id, _ = engine_path.create(kind, "again", SCENARIOS[kind])
    sentinel_emulator.reset_stats()

    again_id, _ = engine_path.create(kind, "again", SCENARIOS[kind])

    assert again_id == first_id
    assert sentinel_emulator.stats()["writes"] == 0


def test_create_dropped_before_commit_is_reported_and_the_rerun_creates_once(
    engine_path: EnginePath, sentinel_emulator: EmulatorProcess
) -> None:
    sentinel_emulator.set_faults([rule("drop", "POST", TASKS, times=1)])

    with pytest.raises(grpc.RpcError) as failure:
        engine_path.create("IntelligentTask", "dropped", SCENARIOS["IntelligentTask"])

    text = str(failure.value.details())  # type: ignore[attr-defined]
    assert "nothing was started. Re-running is safe." in text
    assert "Traceback" not in text and 'File "' not in text  # one line on both paths
    assert objects(sentinel_emulator)["tasks"] == 0
    engine_path.create("IntelligentTask", "dropped", SCENARIOS["IntelligentTask"])
    assert objects(sentinel_emulator)["tasks"] == 1
    assert requests_to(sentinel_emulator, "POST", TASKS) == 2
