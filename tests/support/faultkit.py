"""Shared pieces of the fault-injection suite: sentinel credentials, the transcript that is scanned for
them, running the CLI against an emulator, reading the emulator's objects, and in-process runs.

Every scenario in tests/faults runs with sentinel credentials (unique strings that must never show up in
anything the suite can see), and everything it produces goes into a ``Transcript``: CLI stdout, stderr and
DEBUG log lines, exception texts, provider outputs and ``__provider`` blobs, the emulators' stderr.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi_modelarts.api import ModelArtsClient
from pulumi_modelarts.api.auth import TOKEN_ROUTE
from pulumi_modelarts.api.client import DATASET as DATASET
from pulumi_modelarts.api.client import DATASETS as DATASETS
from pulumi_modelarts.api.client import EXPORT_TASK, EXPORT_TASKS
from pulumi_modelarts.api.client import TASK as TASK
from pulumi_modelarts.api.client import TASKS as TASKS
from pulumi_modelarts.api.client import VERSION as VERSION
from pulumi_modelarts.api.client import VERSIONS as VERSIONS
from pulumi_modelarts.reconcile.context import ReconcileContext
from support import cli
from support.emulator_process import EmulatorProcess

SENTINEL_AK = "SENTINELFAULTSAK0001"
SENTINEL_SK = "SENTINEL-faults-sk-do-not-leak-7f3a90c1"
SENTINEL_PASSWORD = "SENTINEL-faults-password-do-not-leak-5e21"
SENTINELS = (SENTINEL_AK, SENTINEL_SK, SENTINEL_PASSWORD)

# The client's own route templates: the emulator counts calls by the same templates.
EXPORTS, EXPORT, TOKENS = EXPORT_TASKS, EXPORT_TASK, TOKEN_ROUTE

EmulatorFactory = Callable[..., EmulatorProcess]

# Runs the CLI with every logger at DEBUG into the file named by FAULTS_LOG_FILE, so that log lines are
# scanned for secrets too (the CLI configures no logging of its own).
LOG_FORMAT = "%(relativeCreated)d %(name)s %(levelname)s %(message)s"
_CLI_WITH_LOGS = (
    "import logging, os, sys\n"
    f"logging.basicConfig(filename=os.environ['FAULTS_LOG_FILE'], level=logging.DEBUG, format={LOG_FORMAT!r})\n"
    "from pulumi_modelarts.cli.main import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)

# One intelligent task, one version release and one export on the demo dataset `flowers`: the three
# kinds of create the API offers no idempotency key for.
THREE_CREATES = """\
resources:
  group:
    type: modelarts:IntelligentTask
    properties:
      dataset_name: flowers
      task_type: auto-grouping
      config:
        n_clusters: "3"
  release:
    type: modelarts:DatasetVersionRef
    properties:
      dataset_name: flowers
      version_name: V003-faults
      release:
        description: released by the fault suite
  export:
    type: modelarts:ExportTask
    properties:
      dataset_name: flowers
      path: /demo-bucket/flowers/faults/
      export_type: 0
      export_params:
        export_dest: DIR
"""


# --- the transcript ---------------------------------------------------------------------------------


@dataclass
class Transcript:
    """Everything a scenario produced, scanned for the secrets of every emulator it started."""

    secrets: set[str] = field(default_factory=lambda: set(SENTINELS))
    entries: list[tuple[str, str]] = field(default_factory=list)
    emulators: list[EmulatorProcess] = field(default_factory=list)

    def add(self, label: str, text: Any) -> None:
        self.entries.append((label, text if isinstance(text, str) else json.dumps(text, default=str)))

    def add_run(self, run: CliRun) -> None:
        label = "cli " + " ".join(run.args[:1])
        self.add(f"{label} stdout", run.stdout)
        self.add(f"{label} stderr", run.stderr)
        self.add(f"{label} log", run.log)

    def watch(self, emulator: EmulatorProcess) -> None:
        self.emulators.append(emulator)
        self.secrets.update(s for s in (emulator.access_key, emulator.secret_key, emulator.password) if s)

    def leaks(self) -> list[str]:
        return [
            f"{label} contains secret {secret[:8]}..."
            for label, text in self.entries
            for secret in self.secrets
            if secret in text
        ]

    def __len__(self) -> int:
        return len(self.entries)


def collect_emulator_output(transcript: Transcript) -> list[str]:
    """Add what the watched emulators wrote to stderr during the test to the transcript; returns internal-error
    lines."""
    internal: list[str] = []
    for emulator in transcript.emulators:
        text = emulator.stderr()
        if text is None:
            continue
        transcript.add(f"emulator {emulator.url} stderr", text)
        internal += [line for line in text.splitlines() if "internal error" in line or "Traceback" in line]
    return internal


# --- running the CLI --------------------------------------------------------------------------------


@dataclass
class CliRun:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    log: str
    seconds: float

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.stdout)
        return document

    def describe(self) -> str:
        return f"exit {self.returncode} after {self.seconds:.1f}s\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def cli_env(emulator: EmulatorProcess, *, auth: str = "aksk", log_file: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HW_", "OS_", "MODELARTS_", "HUAWEICLOUD_"))}
    env.update(
        {
            "CI": "true",
            "MODELARTS_ENDPOINT": emulator.url,
            "HW_AUTH_URL": emulator.url + "/v3",
            "HW_REGION_NAME": emulator.project_name,
            "HW_PROJECT_ID": emulator.project_id,
        }
    )
    if auth == "aksk":
        env.update({"HW_ACCESS_KEY": emulator.access_key, "HW_SECRET_KEY": emulator.secret_key})
    else:
        env.update(
            {
                "HW_USER_NAME": emulator.username,
                "HW_USER_PASSWORD": emulator.password,
                "HW_DOMAIN_NAME": emulator.domain_name,
            }
        )
    if log_file is not None:
        env["FAULTS_LOG_FILE"] = str(log_file)
    return env


class CliProcess:
    """A CLI run in the background (for runs that overlap with something else)."""

    def __init__(
        self,
        transcript: Transcript,
        emulator: EmulatorProcess,
        args: Sequence[str],
        log_file: Path,
        *,
        auth: str = "aksk",
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.transcript = transcript
        self.args = tuple(args)
        self.log_file = log_file
        environment = cli_env(emulator, auth=auth, log_file=log_file)
        environment.update(env or {})
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _CLI_WITH_LOGS, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=environment,
        )

    def wait(self, timeout: float = 120) -> CliRun:
        try:
            stdout, stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            stdout, stderr = self.process.communicate()
        seconds = time.monotonic() - self.started
        log = self.log_file.read_text(encoding="utf-8", errors="replace") if self.log_file.exists() else ""
        run = CliRun(self.args, self.process.returncode, stdout, stderr, log, seconds)
        self.transcript.add_run(run)
        return run


class Cli:
    """Runs `pulumi-modelarts` against one emulator with credentials in the environment, as CI does: in this process
    (``run``), or as a process of its own in the background (``start``, for runs that overlap or are cut short)."""

    def __init__(self, transcript: Transcript, workdir: Path) -> None:
        self.transcript = transcript
        self.workdir = workdir
        self.runs = 0

    def _log_file(self) -> Path:
        self.runs += 1
        return self.workdir / f"cli-{self.runs}.log"

    def start(
        self, emulator: EmulatorProcess, *args: str, auth: str = "aksk", env: Mapping[str, str] | None = None
    ) -> CliProcess:
        return CliProcess(self.transcript, emulator, args, self._log_file(), auth=auth, env=env)

    def run(
        self, emulator: EmulatorProcess, *args: str, auth: str = "aksk", env: Mapping[str, str] | None = None
    ) -> CliRun:
        """A run in this process (``support.cli.run``: on the emulator's virtual clock), with every logger at DEBUG
        into the run's log."""
        environment = {**cli_env(emulator, auth=auth), **(env or {})}
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root = logging.getLogger()
        level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        started = time.monotonic()
        try:
            result = cli.run(*args, emulator=emulator, environment=environment)
        finally:
            root.removeHandler(handler)
            root.setLevel(level)
        run = CliRun(
            args, result.returncode, result.stdout, result.stderr, stream.getvalue(), time.monotonic() - started
        )
        self.transcript.add_run(run)
        return run


# --- the emulator's side ----------------------------------------------------------------------------


def objects(emulator: EmulatorProcess, dataset_name: str = "flowers") -> dict[str, int]:
    """How many tasks, export tasks and versions the dataset has, from the emulator's state dump."""
    state = emulator.admin.get("/state").raise_for_status().json()
    for dataset in state["datasets"]:
        if dataset["dataset_name"] == dataset_name:
            return {key: dataset[key] for key in ("tasks", "export_tasks", "versions")}
    raise AssertionError(f"no dataset {dataset_name!r} in {state}")


def requests_to(emulator: EmulatorProcess, method: str, route: str) -> int:
    count: int = emulator.stats()["requests"].get(f"{method} {route}", 0)
    return count


def faults_applied(emulator: EmulatorProcess) -> list[int]:
    """How often each installed fault rule has been applied."""
    rules = emulator.admin.get("/faults").raise_for_status().json()["rules"]
    return [int(rule["applied"]) for rule in rules]


def rule(action: str, method: str, route: str, **extra: Any) -> dict[str, Any]:
    return {"action": action, "method": method, "route": route, **extra}


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def write_specs(directory: Path, text: str, name: str = "specs.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")
    return directory


# --- in-process runs --------------------------------------------------------------------------------


@dataclass
class RecordedSleep:
    """A ``sleep`` for the client that records the delays instead of waiting (retry tests)."""

    delays: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@dataclass
class InProcess:
    """A client and reconcile context against one emulator, whose retry sleeps are recorded, not slept."""

    client: ModelArtsClient
    ctx: ReconcileContext
    sleep: RecordedSleep
    messages: list[str] = field(default_factory=list)


def errors_of(results: Iterable[Any]) -> list[str]:
    return [f"{result.name}: {result.error or result.skipped}" for result in results if result.failed or result.skipped]
