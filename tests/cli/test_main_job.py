"""The README's main job, `pulumi-modelarts apply specs --emulator --yes`, under the default and the hardest reading."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.emulator_process import cli_env

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "pulumi_modelarts.cli.main"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=cli_env(), cwd=ROOT, timeout=300)


@pytest.mark.parametrize("reading", [[], ["--emulator-reading", "cloud-strict"]], ids=["lenient", "cloud-strict"])
def test_the_main_job_applies_every_resource(reading: list[str]) -> None:
    result = run("apply", "specs", "--emulator", *reading, "--yes", "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["failed"] == [] and report["blocked"] == []
    names = {item["name"]: item for item in report["resources"]}
    assert set(names) == {"pets-intake", "pets-autolabel", "pets-version", "pets-release", "candidate", "promote"}
    assert names["pets-intake"]["outputs"]["imported_sample_count"] == 20  # the demo's raw batch-01
    # the auto-label task ran after the import, so the version counts the batch and what was confirmed of it
    accepted = names["pets-autolabel"]["outputs"]["accepted_count"]
    version = names["pets-version"]["outputs"]
    assert accepted > 0 and version["total_sample_count"] == 100
    assert version["annotated_sample_count"] == 30 + accepted


def test_a_reading_without_the_embedded_emulator_is_a_usage_error() -> None:
    result = run("plan", "specs", "--emulator-reading", "cloud-strict")
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--emulator-reading" in lines[0] and "--emulator" in lines[0]
    assert "Traceback" not in result.stderr
