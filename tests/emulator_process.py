"""Start the emulator as its own process on a free loopback port, as users and CI do."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

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
FAST_FLAGS = ("--admin", "--task-seconds", "1", "--export-seconds", "0.5", "--version-seconds", "0.3")


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
            self._admin = httpx.Client(base_url=self.url + "/_emulator", timeout=10)
        return self._admin

    def stats(self) -> dict[str, Any]:
        return self.admin.get("/stats").raise_for_status().json()

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
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """Simulate a crash: SIGKILL, no clean shutdown."""
        self.process.kill()
        self.process.wait()

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


def start_emulator(*extra: str, port: int = 0, timeout: float = 20.0) -> EmulatorProcess:
    """Start ``python -m pulumi_modelarts.emulator`` and wait for its ready line."""
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
    # stderr goes to a file, not a pipe: a pipe nobody reads could fill up and block the emulator.
    # The child keeps its own handle on the (unlinked) file after ours is closed.
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors, text=True)
        deadline = time.monotonic() + timeout
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith(READY_PREFIX):
                url = line[len(READY_PREFIX) :].split()[0].rstrip("/")
                return EmulatorProcess(url=url, process=process, args=args)
        process.kill()
        process.wait()
        errors.seek(0)
        raise RuntimeError(f"emulator did not start: {errors.read()[-2000:]}")
