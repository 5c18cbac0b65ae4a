"""One observation per dataset for every resource of a run, through both engine paths (issue 19).

The engine calls Diff (preview) and Create (up) of many resources at once; each provider process reads a
dataset once per wave and shares it, and a write of one resource is seen by the next decision. Calls are
counted at the emulator.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from support.emulator_process import EmulatorProcess
from support.faultkit import EXPORT, EXPORTS
from support.plugin_paths import PATHS, EnginePath, assert_no_secrets, captured_resource

DATASETS = "GET /v2/{project_id}/datasets"
LISTS = f"GET {EXPORTS}"
GETS = f"GET {EXPORT}"
POSTS = f"POST {EXPORTS}"
COUNT = 8


def export_inputs(index: int) -> dict[str, Any]:
    return {"dataset_name": "flowers", "path": f"/demo-bucket/flowers/shared-{index}/", "export_type": 0}


@pytest.fixture
def start_path(sentinel_emulator: EmulatorProcess) -> Any:
    captured_resource("ExportTask")  # Pulumi's mocks run in this thread, not in the test's pool
    started: list[EnginePath] = []

    def start(path: str) -> EnginePath:
        engine_path = PATHS[path](sentinel_emulator)
        started.append(engine_path)
        return engine_path

    yield start
    for engine_path in started:
        stderr = engine_path.close()
        assert_no_secrets(stderr)
        assert "Traceback" not in stderr, stderr


def requests(emulator: EmulatorProcess) -> dict[str, int]:
    return dict(emulator.stats()["requests"])


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(PATHS))
def test_concurrent_diffs_of_a_preview_read_the_dataset_once(
    path: str, start_path: Callable[[str], EnginePath], sentinel_emulator: EmulatorProcess
) -> None:
    first = start_path(path)
    created = [first.create("ExportTask", f"export-{n}", export_inputs(n)) for n in range(COUNT)]
    preview = start_path(path)  # the next command: a new provider process, as the engine starts one per command
    sentinel_emulator.reset_stats()

    def diff(n: int) -> Any:
        resource_id, outputs = created[n]
        return preview.diff("ExportTask", f"export-{n}", resource_id, outputs, export_inputs(n))

    with ThreadPoolExecutor(max_workers=COUNT) as pool:
        diffs = list(pool.map(diff, range(COUNT)))
    assert all(not result.replaces for result in diffs)
    # Before: a name lookup and a list per resource (16 calls); now one of each for the whole preview.
    assert requests(sentinel_emulator) == {DATASETS: 1, LISTS: 1}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_concurrent_creates_share_their_reads_and_their_status_polls(
    path: str, start_path: Callable[[str], EnginePath], sentinel_emulator: EmulatorProcess
) -> None:
    engine_path = start_path(path)
    sentinel_emulator.reset_stats()
    with ThreadPoolExecutor(max_workers=COUNT) as pool:
        done = list(pool.map(lambda n: engine_path.create("ExportTask", f"new-{n}", export_inputs(n)), range(COUNT)))
    assert all(outputs["status"] == "SUCCESSED" for _, outputs in done)
    calls = requests(sentinel_emulator)
    assert calls[POSTS] == COUNT and calls[DATASETS] == 1
    # Before: per export a lookup, a list and at least two GETs while waiting (32 reads). Now the decisions share
    # one list (the creates are noted, not read again) and the waits share their polls: one list per look of
    # those waiting together (the dynamic host serves 4 calls at once, so its creates come in two waves).
    assert calls.get(LISTS, 0) + calls.get(GETS, 0) <= 2 * COUNT, calls


@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_write_of_one_resource_is_seen_by_the_next_decision(
    path: str, start_path: Callable[[str], EnginePath], sentinel_emulator: EmulatorProcess
) -> None:
    engine_path = start_path(path)
    first_id, _ = engine_path.create("ExportTask", "first", export_inputs(0))
    sentinel_emulator.reset_stats()
    # The same request under another name, decided from the shared observation: it must see the export the
    # first one started (and adopt it) although no list call was made since that write.
    second_id, outputs = engine_path.create("ExportTask", "second", export_inputs(0))
    assert second_id == first_id and outputs["adopted"] is True
    assert requests(sentinel_emulator) == {}
