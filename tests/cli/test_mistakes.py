"""The CLI under a new user's mistakes (issue 10): secrets, bad credentials, Ctrl-C, JSON, exit codes, usage errors.

The CLI runs in process (support.cli) against an emulator process, and as its own process where a signal or a
terminal is the point; calls, writes and rejected signatures are counted at the emulator.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support import cli
from support.emulator_process import EmulatorProcess, cli_env

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
CLI = [sys.executable, "-m", "pulumi_modelarts.cli.main"]


def run(*args: str, env: dict[str, str] | None = None) -> cli.Result:
    """The CLI in process with ``env`` as its whole environment (default: no credentials)."""
    return cli.run(*args, environment=env)


def one_line_error(result: cli.Result | subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def specs_copy(tmp_path: Path) -> Path:
    target = tmp_path / "specs"
    shutil.copytree(SPECS, target)
    return target


def blocked_specs(specs_copy: Path) -> Path:
    promotion = specs_copy / "promotion.yaml"
    promotion.write_text(promotion.read_text().replace("min_annotated_samples: 40", "min_annotated_samples: 1000"))
    (specs_copy / "autolabel.yaml").unlink()
    return specs_copy


# --- exit codes (issue 9) and JSON on every path --------------------------------------------------


def test_exit_codes_blocked_is_1_with_and_without_detailed_exitcode(
    emulator: EmulatorProcess, specs_copy: Path
) -> None:
    env = cli_env(emulator)
    assert run("plan", str(specs_copy), "--detailed-exitcode", env=env).returncode == 2  # changes pending
    blocked = blocked_specs(specs_copy)
    emulator.reset_stats()
    for flags in ([], ["--detailed-exitcode"]):
        result = run("plan", str(blocked), *flags, env=env)
        assert result.returncode == 1, result.stdout + result.stderr
        assert "blocked: candidate" in result.stderr
    applied = run("apply", str(blocked), "--yes", env=env)
    assert applied.returncode == 1 and "required at least 1000" in applied.stderr
    assert emulator.stats()["writes"] == 0


def test_apply_json_prints_one_document_for_blocked_and_failed_runs(
    emulator: EmulatorProcess, specs_copy: Path
) -> None:
    env = cli_env(emulator)
    blocked = run("apply", str(blocked_specs(specs_copy)), "--yes", "--format", "json", env=env)
    assert blocked.returncode == 1
    document: dict[str, Any] = json.loads(blocked.stdout)
    assert document["ok"] is False and document["blocked"] == ["candidate"]
    by_name = {item["name"]: item for item in document["resources"]}
    assert "required at least 1000" in by_name["candidate"]["reason"]
    assert "version_id" in by_name["candidate"] and "task_id" not in by_name["candidate"]

    failing = run("apply", str(specs_copy), "--yes", "--format", "json", env={**env, "HW_SECRET_KEY": "wrong-key"})
    assert failing.returncode == 1
    document = json.loads(failing.stdout)
    assert document["ok"] is False and "authentication failed" in document["error"]

    no_credentials = run("plan", str(specs_copy), "--format", "json", env=cli_env())
    assert no_credentials.returncode == 1 and "--region" in json.loads(no_credentials.stdout)["error"]


def test_validate_json_has_one_shape_for_success_and_failure(tmp_path: Path) -> None:
    good = json.loads(run("validate", str(SPECS), "--format", "json").stdout)
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text("resources:\n  x:\n    type: modelarts:Nope\n    properties: {}\n")
    result = run("validate", str(bad_file), "--format", "json")
    bad = json.loads(result.stdout)
    assert result.returncode == 1
    assert set(good) == set(bad) == {"valid", "resources", "files", "problems"}
    assert good["valid"] is True and good["problems"] == []
    assert bad["valid"] is False and bad["problems"][0]["file"].endswith("bad.yaml")


# --- authentication fails fast: one rejected signature per run --------------------------------------


@pytest.mark.parametrize("project_id", [True, False])
def test_wrong_secret_key_is_one_rejected_signature_per_run_and_never_locks_the_key(
    emulator: EmulatorProcess, specs_copy: Path, project_id: bool
) -> None:
    env = cli_env(emulator, HW_SECRET_KEY="a-mistyped-secret-key")
    if not project_id:
        del env["HW_PROJECT_ID"]  # the project id is looked up in IAM: that lookup fails, once
    for _ in range(3):  # three runs: the gateway locks an AK after more than 5 bad signatures
        emulator.reset_stats()
        result = run("plan", str(specs_copy), env=env)
        assert result.returncode == 1
        stats = emulator.stats()
        assert stats["total"] + stats["auth"] == 1, stats
        error = one_line_error(result)
        assert "authentication failed" in error and "HW_ACCESS_KEY" in error and "HW_SECRET_KEY" in error
        assert "a-mistyped-secret-key" not in result.stdout + result.stderr
    fixed = run("plan", str(specs_copy), env=cli_env(emulator))
    assert fixed.returncode == 0, fixed.stderr  # the key was not locked


# --- Ctrl-C ------------------------------------------------------------------------------------------


def start(emulator: EmulatorProcess, *args: str) -> subprocess.Popen[str]:
    """The CLI as its own process, for a signal to reach it (stdin closed, as in CI)."""
    return subprocess.Popen(
        [*CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(emulator),
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_a_long_wait_stops_within_seconds_without_another_write(
    emulator_factory: Callable[..., EmulatorProcess], specs_copy: Path, sig: signal.Signals
) -> None:
    emulator = emulator_factory(
        "--seed", "demo", "--task-seconds", "3600", "--import-seconds", "0.05"
    )  # a quick import
    (specs_copy / "promotion.yaml").unlink()
    process = start(emulator, "apply", str(specs_copy), "--yes")
    try:
        assert process.stderr is not None
        for line in process.stderr:  # a progress line: the task was started and is being waited on
            if "pets-autolabel:" in line and "%" in line:
                break
        writes = emulator.stats()["writes"]
        assert writes >= 1
        process.send_signal(sig)
        status = process.wait(timeout=2)
        stderr = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert status == 130, stderr
    assert emulator.stats()["writes"] == writes  # nothing was written after the signal
    assert "Still running remotely" in stderr and "pets-autolabel: task" in stderr
    assert "Run the same apply again" in stderr and "Traceback" not in stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_planning_ends_the_run_at_once_with_its_json_document(
    emulator_factory: Callable[..., EmulatorProcess], specs_copy: Path, sig: signal.Signals
) -> None:
    """Every read takes 30 s (the API overloaded): a signal after the first read went out ends the run long
    before its answer comes back, with exit 130 and the JSON document, and no read queued is sent after it
    (the first call with a set of credentials goes alone, so the other reads wait behind it)."""
    emulator = emulator_factory("--seed", "demo")
    emulator.set_faults([{"action": "latency", "method": "GET", "route": "*", "latency_ms": 30_000}])
    process = start(emulator, "plan", str(specs_copy), "--format", "json")
    try:
        for _ in range(600):
            if emulator.stats()["total"] >= 1:  # the prefetch's first read is on its way
                break
            time.sleep(0.05)
        sent = emulator.stats()["total"]
        process.send_signal(sig)
        stdout, stderr = process.communicate(timeout=10)  # an answer would take 30 s
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr
    document = json.loads(stdout)
    assert document["ok"] is False and document["interrupted"] is True and document["error"] == "interrupted"
    assert "interrupted; nothing was changed" in stderr and "Traceback" not in stderr
    assert emulator.stats()["total"] == sent == 1, "a queued read was sent after the signal"


# --- usage errors are one line, never a traceback -----------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-1", "65", "many"])
def test_parallelism_outside_1_to_64_is_a_one_line_usage_error(value: str) -> None:
    result = run("plan", "specs", "--parallelism", value)
    assert result.returncode == 2
    assert "--parallelism" in one_line_error(result)


@pytest.mark.parametrize(
    ("env", "flags", "names"),
    [
        ({"HW_ACCESS_KEY": "SENTINEL\u00e9AK"}, [], "HW_ACCESS_KEY"),
        ({"HW_SECRET_KEY": "SENTINEL\nSK"}, [], "HW_SECRET_KEY"),
        ({}, ["--access-key", "SENTINEL\u00e9AK"], "--access-key"),
        ({"HW_AUTH_TOKEN": "SENTINEL\rTOK", "HW_ACCESS_KEY": "", "HW_SECRET_KEY": ""}, [], "HW_AUTH_TOKEN"),
    ],
)
def test_credentials_that_cannot_be_sent_are_refused_naming_the_setting(
    emulator: EmulatorProcess, specs_copy: Path, env: dict[str, str], flags: list[str], names: str
) -> None:
    emulator.reset_stats()
    result = run("plan", str(specs_copy), *flags, env=cli_env(emulator, **env))
    assert result.returncode == 1
    error = one_line_error(result)
    assert names in error and "SENTINEL" not in result.stdout + result.stderr
    stats = emulator.stats()
    assert stats["total"] + stats["auth"] == 0  # refused before any call


@pytest.mark.parametrize(
    ("flags", "phrase"),
    [
        (["--emulator", "--endpoint", "https://modelarts.example"], "--endpoint"),
        (["--emulator", "--access-key", "AK"], "--access-key"),
        (["--endpoint", "modelarts.example"], "https://"),
        (["--region", "eu-dee", "--access-key", "a", "--secret-key", "s"], "--region flag"),
    ],
)
def test_wrong_settings_are_one_line_naming_the_flag(specs_copy: Path, flags: list[str], phrase: str) -> None:
    result = run("plan", str(specs_copy), *flags, env=cli_env(HW_ACCESS_KEY="a", HW_SECRET_KEY="s"))
    assert result.returncode == 1
    assert phrase in one_line_error(result)


def test_connection_errors_name_the_host(specs_copy: Path) -> None:
    env = cli_env(HW_ACCESS_KEY="a", HW_SECRET_KEY="s", HW_PROJECT_ID="p", HW_MAX_RETRIES="0")
    result = run("plan", str(specs_copy), "--endpoint", "http://nonexistent-host.invalid:8443", env=env)
    assert result.returncode == 1
    assert "nonexistent-host.invalid:8443" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_ctrl_d_at_the_confirmation_prompt_cancels_in_one_line(emulator: EmulatorProcess, specs_copy: Path) -> None:
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [*CLI, "apply", str(specs_copy)],
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(emulator),
        )
        os.write(leader, b"\x04")  # Ctrl-D: end of input at the prompt
        stdout, stderr = process.communicate(timeout=60)
    finally:
        os.close(leader)
        os.close(follower)
    assert process.returncode == 1
    assert "Traceback" not in stderr and "cancelled; nothing was applied" in stderr
    assert "Apply these changes?" in stdout


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["--task-seconds", "nan"], "--task-seconds"),
        (["--export-seconds", "inf"], "--export-seconds"),
        (["--version-seconds", "-1"], "--version-seconds"),
        (["--db", "/"], "is a directory"),
        (["--db", "/nonexistent-folder/state.db"], "does not exist"),
    ],
)
def test_emulator_refuses_bad_flag_values_in_one_line(args: list[str], phrase: str) -> None:
    result = run("emulator", "--port", "0", *args)
    assert result.returncode == 2
    line = one_line_error(result)
    assert phrase in line and line.startswith("pulumi-modelarts emulator: error:")


def test_emulator_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    not_a_db = tmp_path / "state.db"
    not_a_db.write_text("this is not SQLite\n" * 100)
    result = run("emulator", "--port", "0", "--db", str(not_a_db))
    assert result.returncode == 1
    assert "not a usable SQLite database" in one_line_error(result)


def test_emulator_help_names_the_command_the_user_typed() -> None:
    result = run("emulator", "--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: pulumi-modelarts emulator ")


# --- secrets with whitespace: the sentinel never shows ------------------------------------------------


@pytest.mark.parametrize("variable", ["HW_ACCESS_KEY", "HW_SECRET_KEY"])
def test_credentials_with_a_trailing_newline_work_and_never_show(
    emulator: EmulatorProcess, specs_copy: Path, variable: str
) -> None:
    env = cli_env(emulator)
    value = env[variable]
    env[variable] = f"  {value}\n"
    result = run("plan", str(specs_copy), "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    assert value not in result.stdout + result.stderr


@pytest.mark.parametrize("setting", ["access-key", "secret-key", "security-token", "auth-token", "password"])
def test_sentinel_secrets_in_every_setting_never_show(
    emulator: EmulatorProcess, specs_copy: Path, setting: str
) -> None:
    sentinel = "SENTINEL-SECRET-0123456789"
    extra = {"password": ["--username", "u", "--domain-name", "d"]}.get(setting, [])
    for value in (sentinel, f"{sentinel}\n", f"{sentinel}\nX", f"{sentinel}\u00e9"):
        for fmt in ("text", "json"):
            result = run("plan", str(specs_copy), "--format", fmt, f"--{setting}", value, *extra, env=cli_env(emulator))
            assert sentinel not in result.stdout + result.stderr, (setting, value, result.stdout + result.stderr)
            assert "Traceback" not in result.stderr
