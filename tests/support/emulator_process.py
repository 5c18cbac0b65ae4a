"""Start the emulator as its own process on a free loopback port, as users and CI do."""

from __future__ import annotations

import atexit
import dataclasses
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import IO, Any

import httpx

DEFAULT_PROJECT_ID = "0b9c1f8a2d3e4f5061728394a5b6c7d8"
DEFAULT_ACCESS_KEY = "EMULATORACCESSKEY001"
DEFAULT_SECRET_KEY = "emulator-secret-key-000000000000000000000"
DEFAULT_USERNAME = "emulator-user"
DEFAULT_PASSWORD = "emulator-password"
DEFAULT_DOMAIN_NAME = "emulator-domain"
DEFAULT_PROJECT_NAME = "eu-de"
READY_PREFIX = "pulumi-modelarts emulator listening on "
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
    process: subprocess.Popen[str]
    args: list[str]
    project_id: str = DEFAULT_PROJECT_ID
    access_key: str = DEFAULT_ACCESS_KEY
    secret_key: str = DEFAULT_SECRET_KEY
    username: str = DEFAULT_USERNAME
    password: str = DEFAULT_PASSWORD
    domain_name: str = DEFAULT_DOMAIN_NAME
    project_name: str = DEFAULT_PROJECT_NAME
    _admin: httpx.Client | None = field(default=None, repr=False)

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
# Most tests want a fresh emulator with the same flags as the test before. Starting one costs about 0.15 s
# and a clean stop 0.25 s (the server's shutdown poll), for each of a few hundred tests. So:
# - after the second request for the same flags, the next emulator with those flags is started in the
#   background (a spare), and handed out if it is still young (seed data is aged in days, so a few
#   seconds of age change nothing a test sees);
# - stop() sends SIGTERM and returns; the process is reaped later. A start on a fixed port or with a
#   database file first waits until every stopping emulator has exited, so that a restart never meets
#   its predecessor.
# At exit, spares are stopped and every stopping emulator is waited for.

_SPARE_MAX_AGE = 20.0


@dataclass
class _Launch:
    process: subprocess.Popen[str]
    errors: IO[str]
    args: list[str]
    started: float = field(default_factory=time.monotonic)


_spares: dict[tuple[str, ...], _Launch] = {}
_requests: Counter[tuple[str, ...]] = Counter()
_stopping: list[subprocess.Popen[str]] = []
_lock = threading.Lock()  # spares and requests
_stopping_lock = threading.Lock()


def _launch(args: list[str]) -> _Launch:
    # stderr goes to a file, not a pipe: a pipe nobody reads could fill up and block the emulator.
    errors = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed once the emulator is ready or discarded)
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors, text=True)
    return _Launch(process, errors, args)


def _ready(launch: _Launch, timeout: float) -> EmulatorProcess:
    process = launch.process
    try:
        deadline = time.monotonic() + timeout
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith(READY_PREFIX):
                url = line[len(READY_PREFIX) :].split()[0].rstrip("/")
                return EmulatorProcess(url=url, process=process, args=launch.args)
        process.kill()
        process.wait()
        launch.errors.seek(0)
        raise RuntimeError(f"emulator did not start: {launch.errors.read()[-2000:]}")
    finally:
        launch.errors.close()  # the child keeps its own handle on the (unlinked) file


def _discard(launch: _Launch) -> None:
    launch.errors.close()
    _terminate(launch.process)


def _terminate(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        with _stopping_lock:
            _stopping.append(process)


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
    for launch in _spares.values():
        _discard(launch)
    _spares.clear()
    for idle in _idle.values():
        for emulator in idle:
            _terminate(emulator.process)
    _idle.clear()
    _reap(wait=True)


def start_emulator(*extra: str, port: int = 0, timeout: float = 20.0) -> EmulatorProcess:
    """Start ``python -m pulumi_modelarts.emulator`` (or take a spare started for the same flags) and wait
    for its ready line."""
    args = [
        sys.executable,
        "-m",
        "pulumi_modelarts.emulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *extra,
    ]
    fixed = port != 0 or "--db" in extra
    with _lock:
        _reap(wait=fixed)
        if fixed:
            launch = _launch(args)
        else:
            key = tuple(extra)
            spare = _spares.pop(key, None)
            young = spare is not None and time.monotonic() - spare.started < _SPARE_MAX_AGE
            if spare is not None and (not young or spare.process.poll() is not None):
                _discard(spare)
                spare = None
            launch = spare or _launch(args)
            _requests[key] += 1
            if _requests[key] >= 2:
                _spares[key] = _launch(args)
    return _ready(launch, timeout)


# --- shared emulators -------------------------------------------------------------------------------------
#
# An emulator with the admin API and its state in memory can be reset to its start (POST /_emulator/reset: the seed
# anew, the clock without offset, no tokens, stats or faults), which costs milliseconds where a new process costs a
# quarter of a second of CPU. Tests borrow one for their flags and give it back at their end; each borrowing gets an
# EmulatorProcess of its own (default credentials, its own admin client) for the same process. One that was stopped
# or killed is not given back.

_idle: dict[tuple[str, ...], list[EmulatorProcess]] = {}


def poolable(flags: tuple[str, ...], port: int = 0) -> bool:
    return port == 0 and "--admin" in flags and "--db" not in flags


def borrow_emulator(*flags: str) -> EmulatorProcess:
    """An emulator started with ``flags`` (``poolable``), reset to its start: a shared one if one is idle."""
    while True:
        with _lock:
            idle = _idle.get(flags)
            shared = idle.pop() if idle else None
        if shared is None:
            return start_emulator(*flags)
        borrowed = dataclasses.replace(shared, _admin=None)
        try:
            borrowed.admin.post("/reset").raise_for_status()
        except httpx.HTTPError:
            borrowed.stop()
            continue
        return borrowed


def give_back(emulator: EmulatorProcess) -> None:
    """End a borrowing: the emulator waits for the next test with its flags, unless it was stopped or killed."""
    if emulator._admin is not None:
        emulator._admin.close()
        emulator._admin = None
    with _stopping_lock:
        stopped = emulator.process in _stopping
    if stopped or emulator.process.poll() is not None:
        return
    flags = tuple(emulator.args[emulator.args.index("--port") + 2 :])
    with _lock:
        _idle.setdefault(flags, []).append(dataclasses.replace(emulator, **_DEFAULTS))


_DEFAULTS = {
    "access_key": DEFAULT_ACCESS_KEY,
    "secret_key": DEFAULT_SECRET_KEY,
    "username": DEFAULT_USERNAME,
    "password": DEFAULT_PASSWORD,
    "project_id": DEFAULT_PROJECT_ID,
    "domain_name": DEFAULT_DOMAIN_NAME,
    "project_name": DEFAULT_PROJECT_NAME,
}


def cli_env(emulator: EmulatorProcess | None = None, **overrides: str) -> dict[str, str]:
    """The environment for a CLI process: this one's without any credentials or endpoint, plain output (CI),
    then the emulator's settings (if given) and ``overrides``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("HW_", "OS_", "MODELARTS_"))}
    env["CI"] = "true"
    if emulator is not None:
        env.update(emulator.env())
    env.update(overrides)
    return env
