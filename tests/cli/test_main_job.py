"""The README's main job, `pulumi-modelarts apply specs --emulator --yes`, under the default and the hardest reading
(in process, on the embedded emulator's virtual clock), and the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from support import cli
from support.emulator_process import cli_env

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> cli.Result:
    return cli.run(*args, cwd=ROOT)


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


def test_a_reading_without_the_embedded_emulator_is_a_usage_error_of_the_console_script() -> None:
    """The command `pip install` put on PATH, as its own process: its exit code and its one line."""
    command = shutil.which("pulumi-modelarts")
    assert command is not None, "pulumi-modelarts is not on PATH (pip install -e '.[test]')"
    result = subprocess.run(
        [command, "plan", "specs", "--emulator-reading", "cloud-strict"],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=ROOT,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--emulator-reading" in lines[0] and "--emulator" in lines[0]
    assert "Traceback" not in result.stderr
