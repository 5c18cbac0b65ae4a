"""The SDKs generated from the plugin's schema (sdk/), run the way users run them: project folders under examples/
through the real language hosts and the plugin; the root Python project through the Python language host; and the
install steps of the README in a clean environment, where only the plugin is on PATH (CI runs that one with
PULUMI_MODELARTS_INSTALL_TEST=1: it installs from PyPI)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from pulumi_modelarts.api import ModelArtsClient, resolve_settings
from support.emulator_process import EmulatorProcess
from support.pulumi_engine import (
    EXPORTS,
    IMPORTS,
    REPO,
    SENTINEL_SECRET_KEY,
    TASKS,
    VERSIONS,
    EngineStack,
    copy_project,
    example_project,
    writes,
)

# Each example project, with the language host and the tool it needs.
EXAMPLES = {"typescript": ("nodejs", "npm"), "go": ("go", "go"), "python-sdk": ("python", None)}


def need_host(engine: Path, language: str, tool: str | None = None) -> None:
    """Skip without the language host (or its tool); CI (PULUMI_MODELARTS_E2E=require) fails instead."""
    missing = None
    if not (engine / f"pulumi-language-{language}").is_file():
        missing = (
            f"no pulumi-language-{language} beside the engine (scripts/pulumi-engine.sh builds the language hosts)"
        )
    elif tool is not None and shutil.which(tool) is None:
        missing = f"{tool} is not installed"
    if missing and os.environ.get("PULUMI_MODELARTS_E2E") == "require":
        pytest.fail(missing)
    if missing:
        pytest.skip(missing)


def run(*command: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{' '.join(command)}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done.stdout


def python_venv(project: Path) -> None:
    """The project's `virtualenv: venv` with the Python SDK installed from sdk/ (the project itself from the tests')."""
    run(sys.executable, "-m", "venv", "--system-site-packages", "venv", cwd=project)
    run("venv/bin/pip", "install", "-q", "--no-deps", "../../sdk/python", cwd=project)


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_sdk_example_previews_exports_once_previews_a_promotion_as_a_replace_and_destroys(
    engine: Path,
    tmp_path: Path,
    e2e_emulator: Callable[..., EmulatorProcess],
    make_stack: Callable[..., EngineStack],
    example: str,
) -> None:
    need_host(engine, *EXAMPLES[example])
    if shutil.which("pulumi-resource-modelarts") is None:
        pytest.skip("pulumi-resource-modelarts is not on PATH (pip install -e .)")
    project = example_project(example, tmp_path)
    if example == "python-sdk":
        python_venv(project)
    name = str(yaml.safe_load((project / "Pulumi.yaml").read_text())["name"])
    emulator = e2e_emulator()
    stack = make_stack(project, emulator, None)

    preview = stack.preview()
    assert "+ 3 to create" in preview.stdout  # the stack, the pinned version and its export
    assert writes(emulator) == {}, "a preview writes nothing"

    up = stack.up()
    assert writes(emulator) == {EXPORTS: 1}
    assert stack.outputs()["promotedVersion"] == "V002"
    # The plugin's progress, at info severity on the resource it concerns.
    assert re.search(
        r"ExportTask \(promote\):\s+promote: started the export to new dataset 'flowers-release-V002'",
        up.stdout,
    ), up.stdout

    stack.configure({f"{name}:versionName": "V001"})
    emulator.reset_stats()
    promotion = stack.preview(diff=True)
    assert "+-modelarts:index:DatasetVersionRef: (replace)" in promotion.stdout
    assert "+-modelarts:index:ExportTask: (replace)" in promotion.stdout
    assert re.search(r'~ versionName\s*: "V002" => "V001"', promotion.stdout)
    assert re.search(r'~ exportNewDatasetName\s*: "flowers-release-V002" => "flowers-release-V001"', promotion.stdout)
    assert writes(emulator) == {}

    destroyed = stack.destroy()
    assert "- 3 deleted" in destroyed.stdout
    assert stack.resources() == []
    assert writes(emulator) == {}, "destroying forgets the export (its data stays) and the pin"
    for text in (up.stdout, promotion.stdout, stack.state_text()):
        assert SENTINEL_SECRET_KEY not in text


def test_root_project_runs_through_the_python_language_host(
    engine: Path, tmp_path: Path, e2e_emulator: Callable[..., EmulatorProcess], make_stack: Callable[..., EngineStack]
) -> None:
    """`pulumi up` in the root folder as a user runs it: Pulumi.yaml's `virtualenv: .venv`, then __main__.py."""
    need_host(engine, "python")
    project = copy_project(REPO, tmp_path / "root", extra=("specs",))
    run(sys.executable, "-m", "venv", "--system-site-packages", ".venv", cwd=project)
    emulator = e2e_emulator()
    stack = make_stack(project, emulator, None)

    stack.up()
    done = writes(emulator)
    assert (done[TASKS], done[EXPORTS], done[VERSIONS], done[IMPORTS]) == (1, 2, 1, 1)
    assert set(stack.outputs()["resources"]) == {
        "pets-intake",
        "pets-autolabel",
        "pets-version",
        "pets-release",
        "candidate",
        "promote",
    }
    emulator.reset_stats()
    stack.preview(expect_no_changes=True)
    assert writes(emulator) == {}


# --- install as the README says -----------------------------------------------------------------------------------


def test_install_as_the_readme_says_with_only_the_plugin_on_path(
    engine: Path, tmp_path: Path, e2e_emulator: Callable[..., EmulatorProcess]
) -> None:
    """The plugin from a wheel with pipx, the Python SDK from sdk/python with `pulumi install`, nothing else: no
    PYTHONPATH, no checkout on sys.path, no pulumi-resource-modelarts but pipx's."""
    if os.environ.get("PULUMI_MODELARTS_INSTALL_TEST") != "1":
        pytest.skip("installs from PyPI into fresh environments: set PULUMI_MODELARTS_INSTALL_TEST=1 (CI does)")
    need_host(engine, "python")
    dist, tools, bin_dir = tmp_path / "dist", tmp_path / "tools", tmp_path / "bin"
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(REPO), cwd=tmp_path)
    run(sys.executable, "-m", "venv", str(tools), cwd=tmp_path)
    run(str(tools / "bin" / "pip"), "install", "-q", "pipx", cwd=tmp_path)
    system = [str(Path(shutil.which(tool) or tool).parent) for tool in ("git", "node", "go")]
    clean = {
        "HOME": str(tmp_path / "home"),
        "PATH": os.pathsep.join([str(bin_dir), str(engine), *dict.fromkeys(system), "/usr/bin", "/bin"]),
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(bin_dir),
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
        "PULUMI_CONFIG_PASSPHRASE": "install-test",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }
    (tmp_path / "state").mkdir()
    (wheel,) = dist.glob("pulumi_modelarts-*.whl")
    run(str(tools / "bin" / "pipx"), "install", str(wheel), cwd=tmp_path, env=clean)
    assert sorted(path.name for path in bin_dir.iterdir()) == ["pulumi-modelarts", "pulumi-resource-modelarts"]

    project = example_project("python-sdk", tmp_path / "checkout")
    emulator = e2e_emulator()

    def pulumi(*args: str) -> str:
        return run("pulumi", *args, "--non-interactive", "--color", "never", cwd=project, env=clean)

    # venv/ as Pulumi.yaml says, with requirements.txt (pulumi and ../../sdk/python); the plugin is pipx's, on PATH
    # (without --no-plugins, `pulumi install` would try to download it from get.pulumi.com, where it is not published)
    pulumi("install", "--no-plugins")
    pulumi("stack", "init", "dev")
    for key, value in emulator.stack_config().items():
        pulumi("config", "set", *(["--secret"] if key.endswith("Key") else []), key, value)
    up = pulumi("up", "--yes")
    assert "+ 3 created" in up and "promote: started the export" in up
    assert writes(emulator) == {EXPORTS: 1}
    assert "warning: using pulumi-resource-modelarts from $PATH at " + str(bin_dir) in up
    pulumi("destroy", "--yes")
    assert writes(emulator) == {EXPORTS: 1}

    # examples/python-promotion installs this package from the checkout it is in (it is not on PyPI).
    promotion = REPO / "examples" / "python-promotion"
    run(sys.executable, "-m", "venv", str(tmp_path / "promotion-venv"), cwd=tmp_path, env=clean)
    pip = str(tmp_path / "promotion-venv" / "bin" / "pip")
    planned = run(pip, "install", "--dry-run", "--no-deps", "-r", "requirements.txt", cwd=promotion, env=clean)
    assert "Would install pulumi-modelarts-" in planned


# --- beyond one machine -------------------------------------------------------------------------------------------


def test_operator_program_runs_as_pulumi_yaml_and_a_refresh_preview_shows_drift(
    engine: Path, tmp_path: Path, e2e_emulator: Callable[..., EmulatorProcess], make_stack: Callable[..., EngineStack]
) -> None:
    """examples/deployments-etc: the Kubernetes Operator's Program is a Pulumi YAML program; drift detection (as
    Pulumi Deployments runs it) is `pulumi refresh --preview-only`, which reports and changes nothing."""
    need_host(engine, "yaml")
    if shutil.which("pulumi-resource-modelarts") is None:
        pytest.skip("pulumi-resource-modelarts is not on PATH (pip install -e .)")
    manifests = (REPO / "examples" / "deployments-etc" / "kubernetes-operator.yml").read_text()
    program = next(doc for doc in yaml.safe_load_all(manifests) if doc["kind"] == "Program")
    project = tmp_path / "operator"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        yaml.safe_dump({"name": program["metadata"]["name"], "runtime": "yaml", **program["program"]})
    )
    emulator = e2e_emulator()
    stack = make_stack(project, emulator, None)
    stack.up()
    assert writes(emulator) == {EXPORTS: 1}
    assert stack.outputs()["promotedVersion"] == "V002"

    preview_only = {"PULUMI_SKIP_CONFIRMATIONS": "false"}  # a preview takes no --yes
    in_sync = stack.pulumi("refresh", "--preview-only", env=preview_only)
    assert re.search(r"Resources:\s+3 unchanged", in_sync.stdout), in_sync.stdout

    # The pinned version is deleted out of band: the refresh preview shows it gone, and the state keeps it.
    client = ModelArtsClient(resolve_settings(**emulator.client_settings()))
    pinned = next(item for item in stack.resources() if item["type"] == "modelarts:index:DatasetVersionRef")
    client.delete_version(pinned["outputs"]["datasetId"], pinned["outputs"]["versionId"])
    emulator.reset_stats()
    drift = stack.pulumi("refresh", "--preview-only", env=preview_only)
    assert re.search(r"- +modelarts:index:DatasetVersionRef +candidate +delete", drift.stdout), drift.stdout
    assert pinned["id"] in [item.get("id") for item in stack.resources()]
    assert writes(emulator) == {}
