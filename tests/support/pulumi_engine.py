"""Drive the real Pulumi engine (the `pulumi` CLI built by scripts/pulumi-engine.sh) against the emulator.

Each stack lives in a temporary folder with a file backend and its own PULUMI_HOME, offline. Python programs
run through the Automation API's inline mode: the CLI is started as `pulumi <command> --client=<address>` and
talks to a language server inside this process, which runs the project's own `__main__.py`. That is the engine's
whole path (Check, Diff, Create, Read, Update, Delete through the real dynamic-provider plugin
`pulumi-resource-pulumi-python`), with one difference from a plain `pulumi up`: the program is launched by the
Automation API instead of the `pulumi-language-python` binary (see README, "Verified against the real engine").
"""

from __future__ import annotations

import os
import runpy
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from support.emulator_process import EmulatorProcess

REPO = Path(__file__).resolve().parents[2]
ENGINE_SCRIPT = REPO / "scripts" / "pulumi-engine.sh"
NODE_MODULES_SCRIPT = REPO / "scripts" / "node-modules.sh"
ENABLE_HINT = "bash scripts/pulumi-engine.sh"
STACK = "e2e"
PASSPHRASE = "e2e-passphrase"
# A secret key nobody would type: it must never show up in state, outputs or any command's output.
SENTINEL_SECRET_KEY = "e2e-SENTINEL-secret-4f1c9a7be2d84c0f"

# The write routes the e2e tests count (the emulator counts calls by the client's route templates).
TASKS = "POST /v2/{project_id}/datasets/{dataset_id}/tasks"
EXPORTS = "POST /v2/{project_id}/datasets/{dataset_id}/export-tasks"
VERSIONS = "POST /v2/{project_id}/datasets/{dataset_id}/versions"
IMPORTS = "POST /v2/{project_id}/datasets/{dataset_id}/import-tasks"


def writes(emulator: EmulatorProcess) -> dict[str, int]:
    """The emulator's write calls by route since its last stats reset."""
    stats = emulator.stats()
    return {key: count for key, count in stats["requests"].items() if not key.startswith("GET ")}


def empty_project(tmp_path: Path, name: str) -> Path:
    """A Python project folder with only its Pulumi.yaml (the program is given inline)."""
    project = tmp_path / name
    project.mkdir()
    (project / "Pulumi.yaml").write_text(f"name: {name}\nruntime: python\n")
    return project


def client_for(emulator: EmulatorProcess) -> ModelArtsClient:
    return ModelArtsClient(resolve_settings(**emulator.client_settings()))


def find_engine() -> Path | None:
    """The folder holding a usable `pulumi` (with the dynamic-provider plugin beside it), or None."""
    candidates = []
    if explicit := os.environ.get("PULUMI_MODELARTS_ENGINE_BIN"):
        candidates.append(Path(explicit))
    candidates.append(REPO / ".pulumi-engine" / "bin")
    if on_path := shutil.which("pulumi"):
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if (folder / "pulumi").is_file() and (folder / "pulumi-resource-pulumi-python").is_file():
            return folder
    return None


def copy_project(source: Path, into: Path, *, extra: tuple[str, ...] = ()) -> Path:
    """Copy a Pulumi project (Pulumi.yaml, __main__.py, and named extra paths) into a fresh folder."""
    into.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py", *extra):
        path = source / name
        if path.is_dir():
            shutil.copytree(path, into / name)
        else:
            shutil.copy2(path, into / name)
    return into


def example_project(name: str, into: Path) -> Path:
    """A copy of ``examples/<name>`` laid out as in the checkout, so its relative paths to ``sdk/`` resolve (``sdk`` is
    linked); a Node project gets its dependencies from the cache of ``scripts/node-modules.sh``."""
    source, project = REPO / "examples" / name, into / "examples" / name
    shutil.copytree(source, project, ignore=shutil.ignore_patterns("node_modules", "venv", "Pulumi.*.yaml"))
    if not (into / "sdk").exists():
        (into / "sdk").symlink_to(REPO / "sdk")
    if (project / "package.json").is_file():
        found = subprocess.run(["bash", str(NODE_MODULES_SCRIPT), str(source)], capture_output=True, text=True)
        if found.returncode != 0:
            raise RuntimeError(f"{NODE_MODULES_SCRIPT.name} failed: {found.stderr[-2000:]}")
        (project / "node_modules").symlink_to(found.stdout.strip())
    return project


def project_program(project: Path) -> Callable[[], None]:
    """The project's own `__main__.py`, run as the language host would run it (in the project folder)."""

    def program() -> None:
        previous = Path.cwd()
        os.chdir(project)
        sys.path.insert(0, str(project))
        try:
            runpy.run_path(str(project / "__main__.py"), run_name="__main__")
        finally:
            sys.path.remove(str(project))
            os.chdir(previous)

    return program


@dataclass
class Run:
    """What one pulumi command printed."""

    stdout: str
    stderr: str = ""


@dataclass
class EngineStack:
    """One stack of one project, in its own folder, file backend and PULUMI_HOME."""

    engine: Path
    project: Path
    state: Path
    home: Path
    program: Callable[[], None] | None = None
    project_name: str = ""
    _stack: auto.Stack | None = field(default=None, repr=False)

    @property
    def env(self) -> dict[str, str]:
        return {
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_HOME": str(self.home),
            "PULUMI_BACKEND_URL": f"file://{self.state}",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "PATH": os.pathsep.join((str(self.engine), str(Path(sys.executable).parent), os.environ.get("PATH", ""))),
        }

    @property
    def stack(self) -> auto.Stack:
        if self._stack is None:
            self.state.mkdir(parents=True, exist_ok=True)
            self.home.mkdir(parents=True, exist_ok=True)
            options = auto.LocalWorkspaceOptions(
                work_dir=str(self.project),
                pulumi_home=str(self.home),
                env_vars=self.env,
                pulumi_command=auto.PulumiCommand(root=str(self.engine.parent)),
            )
            if self.program is None:  # a program the language host runs from the project folder (YAML)
                self._stack = auto.create_or_select_stack(STACK, work_dir=str(self.project), opts=options)
            else:
                name = self.project_name or str(yaml.safe_load((self.project / "Pulumi.yaml").read_text())["name"])
                self._stack = auto.create_or_select_stack(STACK, project_name=name, program=self.program, opts=options)
        return self._stack

    def configure(self, values: Mapping[str, str], secrets: Mapping[str, str] = {}) -> None:
        config = {key: auto.ConfigValue(value) for key, value in values.items()}
        config.update({key: auto.ConfigValue(value, secret=True) for key, value in secrets.items()})
        self.stack.set_all_config(config)

    def up(self, **options: Any) -> Run:
        lines: list[str] = []
        result = self.stack.up(on_output=lines.append, color="never", **options)
        return Run(result.stdout or "\n".join(lines), result.stderr)

    def preview(self, **options: Any) -> Run:
        lines: list[str] = []
        result = self.stack.preview(on_output=lines.append, color="never", **options)
        return Run(result.stdout or "\n".join(lines), result.stderr)

    def refresh(self, **options: Any) -> Run:
        lines: list[str] = []
        result = self.stack.refresh(on_output=lines.append, color="never", **options)
        return Run(result.stdout or "\n".join(lines), result.stderr)

    def destroy(self, **options: Any) -> Run:
        lines: list[str] = []
        result = self.stack.destroy(on_output=lines.append, color="never", **options)
        return Run(result.stdout or "\n".join(lines), result.stderr)

    def outputs(self) -> dict[str, Any]:
        return {key: value.value for key, value in self.stack.outputs().items()}

    def state_text(self) -> str:
        """The stack's state file as stored (secrets encrypted), the way `pulumi stack export` shows it."""
        return "\n".join(path.read_text() for path in self.state.rglob("*.json"))

    def resources(self) -> list[dict[str, Any]]:
        deployment = self.stack.export_stack().deployment or {}
        return list(deployment.get("resources") or [])

    def pulumi(self, *args: str, check: bool = True, env: Mapping[str, str] = {}) -> subprocess.CompletedProcess[str]:
        """A plain `pulumi` command in the project folder (for commands that do not run the program)."""
        return subprocess.run(
            [str(self.engine / "pulumi"), *args, "--stack", STACK, "--non-interactive", "--color", "never"],
            cwd=self.project,
            env={**os.environ, **self.env, **env},
            capture_output=True,
            text=True,
            check=check,
            timeout=300,
        )


@contextmanager
def clock_running(advance: Callable[[float], None], step_seconds: float = 30.0) -> Iterator[None]:
    """Advance the emulator's virtual clock in the background while the engine waits on it.

    A command that waits for the emulator (a stop that takes 10% of a long task, say) would otherwise wait in
    real time; with the clock running, virtual minutes pass in fractions of a second.
    """
    done = threading.Event()

    def run() -> None:
        while not done.wait(0.1):
            advance(step_seconds)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def processes_with(marker: str) -> list[int]:
    """The processes whose environment holds ``marker`` (besides this one). Linux only.

    The engine starts each provider plugin in a process group of its own, so killing the engine's group spares
    them; they keep our per-test PULUMI_HOME in their environment, which identifies them.
    """
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


def kill_orphans(marker: str) -> int:
    """Kill the processes whose environment holds ``marker`` (a killed engine leaves its plugins running)."""
    killed = 0
    for pid in processes_with(marker):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            killed += 1
    return killed
