"""A sanity check of throughput (the target is 300 req/s on two cores; this bound is very loose)."""

from __future__ import annotations

import time

from emu_helpers import FLOWERS, aksk_client, dataset_id, token_client

from emulator_process import EmulatorProcess


def test_get_task_throughput(emulator: EmulatorProcess) -> None:
    with aksk_client(emulator) as http:
        flowers = dataset_id(http, FLOWERS)
        task_id = http.post(f"/datasets/{flowers}/tasks", json={"task_type": "auto-grouping"}).json()["task_id"]
    for make in (token_client, aksk_client):
        with make(emulator) as http:
            count = 200
            started = time.perf_counter()
            for _ in range(count):
                assert http.get(f"/datasets/{flowers}/tasks/{task_id}").status_code == 200
            rate = count / (time.perf_counter() - started)
            assert rate > 50, (make.__name__, rate)
