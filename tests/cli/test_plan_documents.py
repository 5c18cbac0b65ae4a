"""What `plan` prints for a pull request, over a real emulator: the markdown head, and a document when it fails.

A failed run (wrong secret key, unreachable endpoint, invalid specs) still prints one document on
stdout, markdown or JSON with ``ok: false``, and exits 1: the comment step then replaces the old
plan with what failed instead of leaving a stale plan up.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pulumi_modelarts import __version__
from support import cli
from support.emulator_process import EmulatorProcess, cli_env

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
CLI = [sys.executable, "-m", "pulumi_modelarts.cli.main"]
SHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
WRONG_SECRET = "a-mistyped-secret-key-0000"


def run(*args: str, env: dict[str, str], cwd: Path | None = None) -> cli.Result:
    """The CLI in process, with ``env`` as its whole environment."""
    return cli.run(*args, environment=env, cwd=cwd)


@pytest.fixture
def specs_copy(tmp_path: Path) -> Path:
    target = tmp_path / "specs"
    shutil.copytree(SPECS, target)
    return target


def test_markdown_opens_with_where_the_plan_was_made(emulator: EmulatorProcess, specs_copy: Path) -> None:
    env = cli_env(
        emulator,
        GITHUB_SHA=SHA,
        GITHUB_SERVER_URL="https://github.com",
        GITHUB_REPOSITORY="acme/infra",
        GITHUB_RUN_ID="42",
    )
    result = run("plan", str(specs_copy), "--format", "markdown", env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    port = emulator.url.rsplit(":", 1)[1]
    assert lines[:4] == [
        "### ModelArts plan",
        f"<sub>commit `{SHA[:12]}` · endpoint `127.0.0.1:{port}` · region `{emulator.project_name}` · project"
        f" `{emulator.project_id}` · pulumi-modelarts `{__version__}`</sub>",
        "",
        "**Plan: 5 create, 1 in-sync**",
    ]
    assert "1 resource in sync, not listed." in lines
    assert "| + | `pets-autolabel` | IntelligentTask | **create** |" in result.stdout
    assert "<br>• accept auto\\-labels by the rule |" in result.stdout  # every write, also of a deferred decision


def test_the_commit_comes_from_git_outside_ci_and_the_embedded_emulator_is_marked(tmp_path: Path) -> None:
    shutil.copytree(SPECS, tmp_path / "specs")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q", str(tmp_path)], check=True)
    subprocess.run([*git, "-C", str(tmp_path), "add", "specs"], check=True)
    subprocess.run([*git, "-C", str(tmp_path), "commit", "-qm", "specs"], check=True)
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    env = {key: value for key, value in cli_env().items() if not key.startswith("GITHUB_")}
    result = run("plan", "specs", "--emulator", "--format", "markdown", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    head_line = result.stdout.splitlines()[1]
    assert head_line.startswith(f"<sub>commit `{head.strip()[:12]}` · endpoint `127.0.0.1:")
    assert "· **emulator** (not a cloud) ·" in head_line


def _document(result: cli.Result, fmt: str) -> str:
    """The document a failed run printed on stdout, as text to search (markdown without its escapes)."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if fmt == "json":
        document = json.loads(result.stdout)
        assert document["ok"] is False and document["error"]
        return result.stdout
    assert result.stdout.startswith("### ModelArts plan")
    return result.stdout.replace("\\", "")


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_a_wrong_secret_key_prints_what_failed_never_the_key(
    emulator: EmulatorProcess, specs_copy: Path, fmt: str
) -> None:
    result = run("plan", str(specs_copy), "--format", fmt, env=cli_env(emulator, HW_SECRET_KEY=WRONG_SECRET))
    text = _document(result, fmt)
    assert "authentication failed" in text and "HW_SECRET_KEY" in text
    assert WRONG_SECRET not in result.stdout + result.stderr
    if fmt == "markdown":
        assert text.splitlines()[0] == "### ModelArts plan failed"
        assert text.splitlines()[3].startswith("**Error**: authentication failed: APIG.0301")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_an_unreachable_endpoint_prints_what_failed_at_once(specs_copy: Path, fmt: str) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    env = cli_env(HW_ACCESS_KEY="AK", HW_SECRET_KEY=WRONG_SECRET, HW_REGION_NAME="eu-de", HW_PROJECT_ID="p1")
    timings = ("--timings",) if fmt == "json" else ()  # api_calls are in the JSON with --timings
    args = ("plan", str(specs_copy), "--format", fmt, "--endpoint", url, "--iam-endpoint", f"{url}/v3", *timings)
    result = run(*args, env=env)
    text = _document(result, fmt)
    assert "Connection refused" in text and url.removeprefix("http://") in text
    assert WRONG_SECRET not in result.stdout + result.stderr
    if fmt == "markdown":
        assert "**Nothing can be applied**: errors in pets-intake, candidate" in text.splitlines()
    else:
        stats = json.loads(result.stdout)["api_calls"]
        assert stats["retries"] == 0  # a refused loopback connection is not retried for 20 s


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_invalid_specs_print_every_problem(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "bad.yaml").write_text("resources:\n  a:\n    type: modelarts:Nope\n")
    result = run("plan", str(tmp_path), "--format", fmt, "--emulator", env=cli_env())
    text = _document(result, fmt)
    assert "the specs are not valid (1 problem)" in result.stderr
    if fmt == "markdown":
        assert "**Error**: the specs are not valid (1 problem)" in text
        assert f"{tmp_path / 'bad.yaml'}:3:11: resource 'a': unknown type 'modelarts:Nope'" in text
    else:
        assert json.loads(result.stdout)["problems"][0]["line"] == 3


def test_a_dataset_name_typo_gets_a_suggestion_without_another_call(emulator: EmulatorProcess, tmp_path: Path) -> None:
    (tmp_path / "pin.yaml").write_text(
        "resources:\n"
        "  pin:\n"
        "    type: modelarts:DatasetVersionRef\n"
        "    properties: {dataset_name: flower, version_name: V001}\n"
    )
    emulator.reset_stats()
    result = run("plan", str(tmp_path), env=cli_env(emulator))
    assert result.returncode == 1
    assert "no dataset named 'flower' in this project" in result.stdout
    assert "did you mean 'flowers'?" in result.stdout
    assert emulator.stats()["total"] == 1  # the one lookup by name


# --- small ones: no traceback, one line --------------------------------------------------------------


def test_apply_with_stdin_closed_asks_for_yes_instead_of_a_traceback(
    emulator: EmulatorProcess, specs_copy: Path
) -> None:
    result = subprocess.run(
        ["sh", "-c", '"$@" <&-', "sh", *CLI, "apply", str(specs_copy)],
        capture_output=True,
        text=True,
        env=cli_env(emulator),
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "refusing to apply without confirmation: pass --yes (no terminal to ask on)" in result.stderr
    assert emulator.stats()["writes"] == 0


@pytest.mark.parametrize("command", ["plan", "apply", "validate"])
def test_an_unknown_flag_is_reported_by_the_subcommand(command: str) -> None:
    result = run(command, "specs", "--colour", env=cli_env())
    assert result.returncode == 2
    assert result.stderr == (
        f"pulumi-modelarts {command}: error: unrecognized arguments: --colour (see pulumi-modelarts {command} --help)\n"
    )
