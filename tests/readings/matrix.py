"""The reading matrix's kit: the readings, the seed, and a runner per emulator.

A reading is a set of emulator flags (``pulumi_modelarts.emulator.readings``): ``lenient``, every
single open point at its strict value, and the ``cloud-strict`` preset of all of them at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator_process import EmulatorProcess
from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from pulumi_modelarts.cli.runner import ResourceResult, Runner
from pulumi_modelarts.emulator.readings import READINGS
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.reconcile.waiting import PollPolicy
from pulumi_modelarts.specs import load_specs
from support.runs import apply_plan

# Every reading by name: the flags that play it.
ALL_READINGS: dict[str, tuple[str, ...]] = {
    "lenient": (),
    **{f"{r.field}={r.strict}": (r.flag, r.strict) for r in READINGS},
    "cloud-strict": ("--reading", "cloud-strict"),
}
# Short durations keep the matrix fast; the reconcile layer polls accordingly.
MATRIX_FLAGS = (
    "--admin",
    "--task-seconds",
    "0.4",
    "--export-seconds",
    "0.3",
    "--version-seconds",
    "0.3",
    "--dataset-seconds",
    "0.3",
)
POLLS = PollPolicy(first_delay=0.05, growth=1.5, max_delay=0.3, min_latency=0.1)
LABELLED = {"cat": 6, "dog": 6}
ACCEPT_SAMPLES = 300


# Each scenario works on a dataset of its own name: scenario -> samples (12 of them labelled).
SCENARIOS = {
    "create": 40,
    "rerun": 40,
    "lost": 40,
    "accept": ACCEPT_SAMPLES,
    "refresh": 40,
    "adopt": 40,
    "busy": 40,
}


def write_seed(path: Path) -> Path:
    datasets = [
        {"name": name, "labels": list(LABELLED), "samples": samples, "labelled": LABELLED, "versions": [{}]}
        for name, samples in SCENARIOS.items()
    ]
    path.write_text(json.dumps({"datasets": datasets}), encoding="utf-8")
    return path


@dataclass
class Played:
    """An emulator playing one reading, and a fresh reconcile context per run."""

    reading: str
    emulator: EmulatorProcess
    contexts: list[ReconcileContext] = field(default_factory=list)

    def context(self) -> ReconcileContext:
        """A new client and context, as a new CLI process would have (no state kept between runs)."""
        client = ModelArtsClient(resolve_settings(**self.emulator.client_settings()))
        ctx = ReconcileContext.for_client(client, poll_policy=POLLS, log=lambda message: None)
        self.contexts.append(ctx)
        return ctx

    def apply(self, specs_dir: Path) -> tuple[list[ResourceResult], ReconcileContext]:
        ctx = self.context()
        return apply_plan(Runner(load_specs([specs_dir]), ctx)), ctx

    def plan(self, specs_dir: Path) -> tuple[list[ResourceResult], ReconcileContext]:
        ctx = self.context()
        return Runner(load_specs([specs_dir]), ctx).plan(), ctx

    def objects(self, dataset: str) -> dict[str, int]:
        """Tasks, export tasks and versions of a dataset, from the emulator's state dump."""
        state = self.emulator.admin.get("/state").raise_for_status().json()
        for item in state["datasets"]:
            if item["dataset_name"] == dataset:
                return {key: item[key] for key in ("tasks", "export_tasks", "versions")}
        raise AssertionError(f"no dataset {dataset!r}")

    def state_of(self, dataset: str) -> dict[str, Any]:
        state = self.emulator.admin.get("/state").raise_for_status().json()
        found: dict[str, Any] = next(item for item in state["datasets"] if item["dataset_name"] == dataset)
        return found

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.client.close()
        self.emulator.stop()


def errors_of(results: list[ResourceResult]) -> list[str]:
    return [f"{r.name}: {r.error or r.skipped}" for r in results if r.failed or r.skipped]
