"""The command line: flags, ready line, shutdown, seed files, admin off by default."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pulumi_modelarts.emulator import cli
from support.emu_helpers import aksk_client, dataset_id
from support.emulator_process import READY_PREFIX, EmulatorProcess, start_emulator

FLAGS = [
    "--host",
    "--port",
    "--db",
    "--project-id",
    "--project-name",
    "--access-key",
    "--secret-key",
    "--username",
    "--password",
    "--domain-name",
    "--seed",
    "--samples-per-dataset",
    "--task-seconds",
    "--export-seconds",
    "--version-seconds",
    "--release-interval-seconds",
    "--clock-skew-seconds",
    "--token-ttl-seconds",
    "--latency-ms",
    "--fault",
    "--admin",
    "--auto-grouping-type",
    "--preconditions",
    "--missing-task-status",
]


def test_help_lists_every_flag_with_defaults() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pulumi_modelarts.emulator", "--help"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    for flag in FLAGS:
        assert flag in result.stdout, flag
    assert (
        "8380" in result.stdout and "127.0.0.1" in result.stdout and "0b9c1f8a2d3e4f5061728394a5b6c7d8" in result.stdout
    )
    assert "seed files" in result.stdout
    # the secret key is not printed
    assert "emulator-secret-key" not in result.stdout


def test_parser_defaults_match_the_contract() -> None:
    args = cli.build_parser().parse_args([])
    config = cli.config_from_args(args)
    assert (config.host, config.port, config.db) == ("127.0.0.1", 8380, None)
    assert config.project_id == "0b9c1f8a2d3e4f5061728394a5b6c7d8" and config.project_name == "eu-de"
    assert config.access_key == "EMULATORACCESSKEY001"
    assert config.secret_key == "emulator-secret-key-000000000000000000000"
    assert (config.username, config.password, config.domain_name) == (
        "emulator-user",
        "emulator-password",
        "emulator-domain",
    )
    assert (config.task_seconds, config.export_seconds, config.version_seconds) == (30, 10, 5)
    assert (config.release_interval_seconds, config.clock_skew_seconds, config.token_ttl_seconds) == (60, 900, 86400)
    assert config.samples_per_dataset == 50 and config.latency_ms == 0 and config.admin is False
    assert config.auto_grouping_type == 2 and config.preconditions == "reject" and config.missing_task_status == 400
    assert "emulator-secret-key" not in repr(config) and "emulator-password" not in repr(config)


def test_ready_line_and_clean_sigterm(emulator_factory: Callable[..., EmulatorProcess]) -> None:
    em = emulator_factory()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", em.url)
    assert httpx.get(em.url + "/_emulator/clock").status_code == 200
    em.process.send_signal(signal.SIGTERM)
    assert em.process.wait(timeout=10) == 0


def test_sigint_stops_cleanly(emulator_factory: Callable[..., EmulatorProcess]) -> None:
    em = emulator_factory()
    em.process.send_signal(signal.SIGINT)
    assert em.process.wait(timeout=10) == 0


def test_ready_line_is_exactly_one_line_with_the_project() -> None:
    args = [sys.executable, "-m", "pulumi_modelarts.emulator", "--port", "0", "--project-id", "abc123"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert re.fullmatch(re.escape(READY_PREFIX) + r"http://127\.0\.0\.1:\d+ \(project_id=abc123\)\n", line), line
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert out == ""  # nothing else on stdout
    assert process.returncode == 0


def test_admin_api_is_off_by_default(emulator_factory: Callable[..., EmulatorProcess]) -> None:
    em = emulator_factory(fast=False)
    for method, path in (("GET", "/stats"), ("POST", "/clock"), ("PUT", "/faults"), ("GET", "/state")):
        response = httpx.request(method, em.url + "/_emulator" + path, json={})
        assert response.status_code == 404
        assert response.json() == {"error_code": "ModelArts.2836", "error_msg": "PathNotFound"}


def test_seed_file(tmp_path: Path, emulator_factory: Callable[..., EmulatorProcess]) -> None:
    seed = {
        "datasets": [
            {
                "name": "birds",
                "dataset_type": 0,
                "labels": ["owl", "crow"],
                "samples": 12,
                "labelled": {"owl": 5, "crow": 5},
                "versions": [{"name": "V001", "annotated": 4}, {"name": "V002"}],
            }
        ]
    }
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    em = emulator_factory("--seed", str(path))
    with aksk_client(em) as http:
        birds = http.get(f"/datasets/{dataset_id(http, 'birds')}").json()
        assert birds["total_sample_count"] == 12 and birds["annotated_sample_count"] == 10
        assert [label["name"] for label in birds["labels"]] == ["owl", "crow"]
        assert birds["current_version_name"] == "V002" and birds["next_version_num"] == 3
        versions = http.get(f"/datasets/{birds['dataset_id']}/versions").json()["versions"]
        assert [(v["version_name"], v["annotated_sample_count"]) for v in versions] == [("V002", 10), ("V001", 4)]


def test_bad_seed_file_fails_with_a_message(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"datasets": [{"name": "bad name!"}]}))
    result = subprocess.run(
        [sys.executable, "-m", "pulumi_modelarts.emulator", "--port", "0", "--seed", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "datasets[0]" in result.stderr and "name" in result.stderr


@pytest.mark.parametrize(
    "flags",
    [["--fault", "{not json"], ["--fault", '{"action": "explode"}'], ["--preconditions", "maybe"], ["--port", "-1"]],
)
def test_bad_flags_exit_2(flags: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pulumi_modelarts.emulator", "--port", "0", *flags],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr


def test_demo_seed_is_deterministic() -> None:
    first, second = start_emulator("--seed", "demo"), start_emulator("--seed", "demo")
    try:
        with aksk_client(first) as a, aksk_client(second) as b:
            ids_a = sorted(d["dataset_id"] for d in a.get("/datasets").json()["datasets"])
            ids_b = sorted(d["dataset_id"] for d in b.get("/datasets").json()["datasets"])
            assert ids_a == ids_b
            flowers = dataset_id(a, "flowers")
            versions_a = a.get(f"/datasets/{flowers}/versions").json()["versions"]
            versions_b = b.get(f"/datasets/{flowers}/versions").json()["versions"]
            assert [v["version_id"] for v in versions_a] == [v["version_id"] for v in versions_b]
    finally:
        first.stop()
        second.stop()
