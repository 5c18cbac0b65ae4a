"""Start the emulator as its own process on a free loopback port, as users and CI do."""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import IO, Any

import httpx

from support import host_forks

DEFAULT_PROJECT_ID = "0b9c1f8a2d3e4f5061728394a5b6c7d8"
DEFAULT_ACCESS_KEY = "EMULATORACCESSKEY001"
DEFAULT_SECRET_KEY = "emulator-secret-key-000000000000000000000"
DEFAULT_USERNAME = "emulator-user"
DEFAULT_PASSWORD = "emulator-password"
DEFAULT_DOMAIN_NAME = "emulator-domain"
DEFAULT_PROJECT_NAME = "eu-de"
READY_PREFIX = "pulumi-modelarts emulator listening on "
# An emulator is forked from a server that has imported these (support/host_forks.py): a new interpreter spends a
# third of a second of CPU importing them. PULUMI_MODELARTS_TEST_HOSTS=exec starts each as a new interpreter.
EMULATOR_PRELOAD = (
    "pulumi_modelarts.emulator.cli",
    "pulumi_modelarts.emulator.app",
    "pulumi_modelarts.emulator.server",
)
Process = subprocess.Popen[str] | host_forks.ForkedProcess  # what an emulator runs as
# Tasks finish in about a second in tests; faults and the admin API are reachable.
FAST_FLAGS = (
    "--admin",
    "--task-seconds",
    "1",
    "--export-seconds",
    "0.5",
    "--version-seconds",
    "0.3",
    "--import-seconds",
    "1",
)
# For the provider processes (the plugin and the dynamic-provider host), whose waits are in real time: work is done
# by the first look of the production poll policy (0.1 s after the create).
QUICK_FLAGS = (
    *FAST_FLAGS,
    "--task-seconds",
    "0.05",
    "--export-seconds",
    "0.05",
    "--version-seconds",
    "0.05",
    "--import-seconds",
    "0.05",
)


@dataclass
class EmulatorProcess:
    url: str
    process: Process
    args: list[str]
    project_id: str = DEFAULT_PROJECT_ID
    access_key: str = DEFAULT_ACCESS_KEY
    secret_key: str = DEFAULT_SECRET_KEY
    username: str = DEFAULT_USERNAME
    password: str = DEFAULT_PASSWORD
    domain_name: str = DEFAULT_DOMAIN_NAME
    project_name: str = DEFAULT_PROJECT_NAME
    stderr_from: int = 0  # where the part of its stderr that belongs to this start or borrowing begins
    _admin: httpx.Client | None = field(default=None, repr=False)

    def stderr(self) -> str | None:
        """What the emulator wrote to stderr since this start or borrowing, or None once it has exited. It writes
        to an unlinked temporary file, reachable through its descriptor table (Linux /proc only)."""
        if self.process.poll() is not None:
            return None
        try:
            with open(f"/proc/{self.process.pid}/fd/2", "rb") as stream:
                stream.seek(self.stderr_from)
                return stream.read().decode("utf-8", errors="replace")
        except OSError:
            return None

    # --- the admin API (the emulator must be started with --admin) ---
    @property
    def admin(self) -> httpx.Client:
        if self._admin is None:
            # plain HTTP on loopback: verify=False spares loading the CA bundle (about 50 ms a client)
            self._admin = httpx.Client(base_url=self.url + "/_emulator", timeout=10, verify=False)
        return self._admin

    def stats(self) -> dict[str, Any]:
        return self.admin.get("/stats").raise_for_status().json()

    def writes(self) -> list[dict[str, Any]]:
        """Every write since the last reset of the stats: ``{"route", "params", "body"}``, oldest first."""
        result: list[dict[str, Any]] = self.admin.get("/writes").raise_for_status().json()["writes"]
        return result

    def reset_stats(self) -> None:
        self.admin.delete("/stats").raise_for_status()

    def set_faults(self, rules: list[dict[str, Any]]) -> None:
        self.admin.put("/faults", json={"rules": rules}).raise_for_status()

    def clear_faults(self) -> None:
        self.admin.delete("/faults").raise_for_status()

    def advance_clock(self, seconds: float) -> None:
        self.admin.post("/clock", json={"advance_seconds": seconds}).raise_for_status()

    def expire_tokens(self) -> None:
        self.admin.post("/tokens/expire").raise_for_status()

    def stop(self) -> None:
        """SIGTERM, without waiting for the exit (see ``start_emulator``)."""
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        _terminate(self.process)

    def kill(self) -> None:
        """Simulate a crash: SIGKILL, no clean shutdown."""
        self.process.kill()
        self.process.wait()

    def stack_config(self, *, prefix: str = "modelarts:", credentials: bool = True) -> dict[str, str]:
        """Provider config pointing at this emulator: Pulumi stack keys, or bare keys with ``prefix=""``.

        Without ``credentials`` a test adds its own (sentinels, or the secret key set as a secret).
        """
        config = {
            "endpoint": self.url,
            "iamEndpoint": self.url + "/v3",
            "region": self.project_name,
            "projectId": self.project_id,
        }
        if credentials:
            config.update(accessKey=self.access_key, secretKey=self.secret_key)
        return {prefix + key: value for key, value in config.items()}

    def env(self) -> dict[str, str]:
        """Environment variables that point the CLI at this emulator with AK/SK, as a user would set them."""
        return {
            "MODELARTS_ENDPOINT": self.url,
            "HW_AUTH_URL": self.url + "/v3",
            "HW_REGION_NAME": self.project_name,
            "HW_PROJECT_ID": self.project_id,
            "HW_ACCESS_KEY": self.access_key,
            "HW_SECRET_KEY": self.secret_key,
        }

    def client_settings(self, **overrides: Any) -> dict[str, Any]:
        """Keyword arguments for resolve_settings() pointing at this emulator with AK/SK."""
        settings: dict[str, Any] = {
            "endpoint": self.url,
            "iam_endpoint": self.url + "/v3",
            "region": self.project_name,
            "project_id": self.project_id,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
        }
        settings.update(overrides)
        return settings


# --- starting and stopping, without waiting where nothing needs it -------------------------------------
#
# stop() sends SIGTERM and returns; the process is reaped later. A start on a fixed port or with a database file
# first waits until every stopping emulator has exited, so that a restart never meets its predecessor. At exit,
# idle shared emulators are stopped and every stopping emulator is waited for.

_stopping: list[Process] = []
_stopping_lock = threading.Lock()

# The flags that name the credentials and the project an EmulatorProcess describes (argparse: the last one wins).
_DESCRIBED = {
    "--project-id": "project_id",
    "--access-key": "access_key",
    "--secret-key": "secret_key",
    "--username": "username",
    "--password": "password",
    "--domain-name": "domain_name",
    "--project-name": "project_name",
}


def _command(flags: tuple[str, ...], port: int = 0) -> list[str]:
    return [sys.executable, "-m", "pulumi_modelarts.emulator", "--host", "127.0.0.1", "--port", str(port), *flags]


def _describe(url: str, process: Process, args: list[str]) -> EmulatorProcess:
    """The EmulatorProcess of a process that plays ``args``: its credentials and project as those flags set them."""
    described: dict[str, str] = {}
    for index, token in enumerate(args):
        name, equals, value = token.partition("=")
        if name in _DESCRIBED and (equals or index + 1 < len(args)):
            described[_DESCRIBED[name]] = value if equals else args[index + 1]
    return EmulatorProcess(url=url, process=process, args=args, **described)


def _ready(process: Process, errors: IO[str], args: list[str], timeout: float) -> EmulatorProcess:
    try:
        deadline = time.monotonic() + timeout
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith(READY_PREFIX):
                return _describe(line[len(READY_PREFIX) :].split()[0].rstrip("/"), process, args)
        process.kill()
        process.wait()
        errors.seek(0)
        raise RuntimeError(f"emulator did not start: {errors.read()[-2000:]}")
    finally:
        errors.close()  # the child keeps its own handle on the (unlinked) file


def _terminate(process: Process) -> None:
    if process.poll() is None:
        process.terminate()
        with _stopping_lock:
            _stopping.append(process)


def _stopped(process: Process) -> bool:
    with _stopping_lock:
        return process in _stopping or process.poll() is not None


def _reap(wait: bool = False) -> None:
    """Forget stopped emulators that have exited; with ``wait``, wait for all of them first."""
    with _stopping_lock:
        stopping = list(_stopping)
    for process in stopping:
        if wait:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.poll() is not None:
            with _stopping_lock:
                if process in _stopping:
                    _stopping.remove(process)
            if process.stdout is not None:
                process.stdout.close()


@atexit.register
def _stop_everything() -> None:
    with _lock:
        idle = list(_idle)
        _idle.clear()
    for emulator in idle:
        _terminate(emulator.process)
    _reap(wait=True)


def start_emulator(*extra: str, port: int = 0, timeout: float = 20.0) -> EmulatorProcess:
    """Start ``python -m pulumi_modelarts.emulator`` with these flags and wait for its ready line."""
    args = _command(extra, port)
    _reap(wait=port != 0 or "--db" in extra)
    # stderr goes to a file, not a pipe: a pipe nobody reads could fill up and block the emulator.
    errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed once the emulator is ready or has failed)
    process: Process | None = host_forks.spawn(args, os.environ, EMULATOR_PRELOAD, stderr=errors.fileno())
    if process is None:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors, text=True)
    return _ready(process, errors, args, timeout)


# --- shared emulators -------------------------------------------------------------------------------------
#
# An emulator with the admin API and its state in memory can be reset to the start that any flags describe
# (POST /_emulator/reset {"flags": [...]}: config, seed, faults, clock, tokens and stats anew), which costs
# milliseconds where a new process costs a third of a second of CPU and as much waiting. So every such emulator,
# whatever it was started with, waits in one idle pool for the next test; each borrowing gets an EmulatorProcess
# of its own that describes the borrowed flags (args, credentials, project; its own admin client). One that was
# stopped or killed is not given back.

_idle: list[EmulatorProcess] = []
_lock = threading.Lock()


def poolable(flags: tuple[str, ...], port: int = 0) -> bool:
    return port == 0 and "--admin" in flags and "--db" not in flags


def borrow_emulator(*flags: str) -> EmulatorProcess:
    """An emulator playing ``flags`` (``poolable``) from their start: an idle one reset to them, else a new one."""
    while True:
        with _lock:
            shared = _idle.pop() if _idle else None
        if shared is None:
            return start_emulator(*flags)
        if _stopped(shared.process):  # stopped after it was given back
            continue
        borrowed = _describe(shared.url, shared.process, _command(flags))
        with contextlib.suppress(OSError):
            borrowed.stderr_from = os.stat(f"/proc/{shared.process.pid}/fd/2").st_size
        try:
            answer = borrowed.admin.post("/reset", json={"flags": list(flags)})
        except httpx.TransportError:
            borrowed.stop()
            continue
        if answer.status_code != 204:
            give_back(borrowed)  # a refused reset changes nothing
            raise RuntimeError(f"the emulator refused the flags {list(flags)}: {answer.text}")
        return borrowed


def give_back(emulator: EmulatorProcess) -> None:
    """End a borrowing: the emulator waits for the next test, unless it was stopped or killed."""
    if emulator._admin is not None:
        emulator._admin.close()
        emulator._admin = None
    if not _stopped(emulator.process):
        with _lock:
            _idle.append(emulator)


def cli_env(emulator: EmulatorProcess | None = None, **overrides: str) -> dict[str, str]:
    """The environment for a CLI process: this one's without any credentials or endpoint, plain output (CI),
    then the emulator's settings (if given) and ``overrides``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HW_", "OS_", "MODELARTS_"))}
    env["CI"] = "true"
    if emulator is not None:
        env.update(emulator.env())
    env.update(overrides)
    return env
