"""The reading matrix's kit: the readings, the seed, and a runner per emulator.

A reading is a set of emulator flags (``pulumi_modelarts.emulator.readings``): ``lenient``, every
single open point at its strict value, and the ``cloud-strict`` preset of all of them at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_modelarts.cli.runner import ResourceResult, Runner
from pulumi_modelarts.emulator.readings import READINGS
from pulumi_modelarts.reconcile.context import ReconcileContext
from pulumi_modelarts.specs import load_specs
from support.emulator_process import EmulatorProcess
from support.reconcile import make_ctx
from support.runs import apply_plan

# Every reading by name: the flags that play it.
ALL_READINGS: dict[str, tuple[str, ...]] = {
    "lenient": (),
    **{f"{r.field}={r.strict}": (r.flag, r.strict) for r in READINGS},
    "cloud-strict": ("--reading", "cloud-strict"),
}
# Waits advance the emulator's virtual clock (support.reconcile.make_ctx); tasks take less than a second of it.
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
    "--import-seconds",
    "0.3",
)
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
    "import": 40,
    "import-lost": 40,
    "pipeline": 40,
    "import-fail": 40,
}
# What the import scenarios find in OBS, per dataset: two raw batches and a labelled manifest.
RAW_BATCHES = {"batch-01": 8, "batch-02": 5}
MANIFEST_FILES = {"cat": 3, "dog": 3}


def obs_of(dataset: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [
        {"path": f"/bucket/{dataset}/raw/{batch}/", "files": files, "type": "image"}
        for batch, files in RAW_BATCHES.items()
    ]
    entries.append(
        {
            "path": f"/bucket/{dataset}/labelled/batch-01.manifest",
            "files": sum(MANIFEST_FILES.values()),
            "type": "image",
            "labels": MANIFEST_FILES,
            "hard": 1,
        }
    )
    return entries


def write_seed(path: Path) -> Path:
    datasets = [
        {"name": name, "labels": list(LABELLED), "samples": samples, "labelled": LABELLED, "versions": [{}]}
        for name, samples in SCENARIOS.items()
    ]
    obs = [entry for name in ("import", "import-lost", "pipeline") for entry in obs_of(name)]
    path.write_text(json.dumps({"datasets": datasets, "obs": obs}), encoding="utf-8")
    return path


@dataclass
class Played:
    """An emulator playing one reading, and a fresh reconcile context per run."""

    reading: str
    emulator: EmulatorProcess
    contexts: list[ReconcileContext] = field(default_factory=list)

    def context(self) -> ReconcileContext:
        """A new client and context, as a new CLI process would have (no state kept between runs)."""
        ctx = make_ctx(self.emulator)
        self.contexts.append(ctx)
        return ctx

    def apply(self, specs_dir: Path) -> tuple[list[ResourceResult], ReconcileContext]:
        ctx = self.context()
        return apply_plan(Runner(load_specs([specs_dir]), ctx)), ctx

    def plan(self, specs_dir: Path) -> tuple[list[ResourceResult], ReconcileContext]:
        ctx = self.context()
        return Runner(load_specs([specs_dir]), ctx).plan(), ctx

    def objects(self, dataset: str) -> dict[str, int]:
        """Tasks, export tasks, import tasks and versions of a dataset, from the emulator's state dump."""
        state = self.emulator.admin.get("/state").raise_for_status().json()
        for item in state["datasets"]:
            if item["dataset_name"] == dataset:
                return {key: item[key] for key in ("tasks", "export_tasks", "import_tasks", "versions")}
        raise AssertionError(f"no dataset {dataset!r}")

    def state_of(self, dataset: str) -> dict[str, Any]:
        state = self.emulator.admin.get("/state").raise_for_status().json()
        found: dict[str, Any] = next(item for item in state["datasets"] if item["dataset_name"] == dataset)
        return found

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.client.close()


def errors_of(results: list[ResourceResult]) -> list[str]:
    return [f"{r.name}: {r.error or r.skipped}" for r in results if r.failed or r.skipped]
