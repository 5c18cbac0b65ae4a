"""The fork server that starts the tests' provider hosts (support/host_forks.py): a forked host is the process a new
interpreter would have been, is handled as a Popen is, and nothing of it outlives its pytest worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from support import host_forks
from support.emulator_process import EmulatorProcess
from support.engine import DYNAMIC_HOST_PRELOAD, ProviderHost
from support.plugin_paths import PATHS, SCENARIOS, assert_no_secrets, clean_env


@pytest.fixture(autouse=True)
def _forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are of the fork server itself: they fork even in a run with the escape hatch set; those that
    compare with a new interpreter set it themselves."""
    monkeypatch.delenv(host_forks.MODE_ENV, raising=False)


# Reports what a process started with, then ends as the interpreter ends on Ctrl-C: a traceback, the non-daemon
# threads joined, atexit, death by SIGINT.
PROBE = textwrap.dedent(
    """
    import atexit, importlib, json, os, signal, sys, threading, time

    for name in sys.argv[2:]:
        importlib.import_module(name)  # what a forked child's server imported already
    main = sys.modules["__main__"]
    streams = {
        name: [stream.fileno(), stream.encoding, stream.errors, stream.line_buffering, stream.write_through]
        for name, stream in (("stdin", sys.stdin), ("stdout", sys.stdout), ("stderr", sys.stderr))
    }
    report = {
        "argv": sys.argv,
        "path0": sys.path[0],
        "path": sys.path[1:],
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "fds": sorted(fd for fd in map(int, os.listdir("/proc/self/fd")) if os.path.exists(f"/proc/self/fd/{fd}")),
        "signals": {signum: repr(signal.getsignal(signum)) for signum in sorted(signal.valid_signals())},
        "main": [main.__name__, getattr(main.__spec__, "name", None), main.__file__],
        "package loaded": any(name.split(".")[0] == "pulumi_modelarts" for name in sys.modules),
        "threads": threading.active_count(),
        "streams": streams,
    }
    print(json.dumps(report), flush=True)
    atexit.register(lambda: print("atexit ran", file=sys.stderr))
    threading.Thread(target=lambda: (time.sleep(0.2), print("thread joined", file=sys.stderr))).start()
    if sys.argv[1] == "interrupt":
        raise KeyboardInterrupt
    time.sleep(3600)  # until the caller ends it
    """
)


def _probe_files(folder: Path) -> tuple[Path, Path]:
    """The probe as a module (run with `python -m probe` in ``folder``) and as a console script elsewhere."""
    (folder / "probe.py").write_text(PROBE)
    script = folder / "bin" / "probe-script"
    script.parent.mkdir()
    script.write_text(f"#!{sys.executable}\n{PROBE}")
    script.chmod(0o755)
    return folder / "probe.py", script


def _run(command: list[str], env: dict[str, str], cwd: Path, preload: tuple[str, ...]) -> tuple[Any, str, int]:
    """The probe's report, stderr and exit status: forked, or executed where ``MODE_ENV`` says so."""
    forked = host_forks.spawn(command, env, preload, cwd=str(cwd))
    assert (forked is None) == (os.environ.get(host_forks.MODE_ENV) == "exec")
    process = forked or subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd
    )
    out, err = process.communicate(timeout=60)
    return json.loads(out), err, process.wait()


@pytest.mark.parametrize("form", ["module", "script"])
def test_a_forked_host_starts_as_a_new_interpreter_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """The same probe, forked and executed: the same arguments, paths, environment (exactly the one given), fds,
    signal dispositions, standard streams, ``__main__``; the same exit on an uncaught KeyboardInterrupt."""
    _, script = _probe_files(tmp_path)
    preload = DYNAMIC_HOST_PRELOAD if form == "module" else ()  # a module: as the dynamic hosts' fork server
    command = [sys.executable, "-m", "probe"] if form == "module" else [str(script)]
    env = {**clean_env(), "PROBE_ONLY_HERE": "1"}
    reports = {}
    for mode in ("fork", "exec"):
        monkeypatch.setenv(host_forks.MODE_ENV, mode)
        reports[mode] = _run([*command, "interrupt", *preload], env, tmp_path, preload)

    forked, executed = reports["fork"], reports["exec"]
    assert forked[0] == executed[0]
    assert forked[0]["env"] == env
    assert forked[0]["fds"] == [0, 1, 2]
    assert forked[0]["signals"][str(int(signal.SIGINT))] == repr(signal.default_int_handler)
    assert forked[0]["package loaded"] is False  # the dynamic host imports this package by unpickling alone
    assert forked[2] == executed[2] == -signal.SIGINT
    for _, stderr, _ in reports.values():
        assert stderr.endswith("KeyboardInterrupt\nthread joined\natexit ran\n"), stderr


def test_a_forked_host_is_handled_as_a_popen(tmp_path: Path) -> None:
    _probe_files(tmp_path)
    process = host_forks.spawn([sys.executable, "-m", "probe", "wait"], clean_env(), (), cwd=str(tmp_path))
    assert isinstance(process, host_forks.ForkedProcess)
    assert json.loads(process.stdout.readline())["argv"][1:] == ["wait"]
    assert process.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(timeout=0.05)
    with pytest.raises(subprocess.TimeoutExpired):
        process.communicate(timeout=0.05)

    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == -signal.SIGTERM == process.wait() == process.poll()
    assert stderr == ""
    assert not Path(f"/proc/{process.pid}").exists()  # reaped by the server before it reported the status


def test_a_forked_process_writes_its_stderr_to_the_fd_given(tmp_path: Path) -> None:
    """As ``Popen(stderr=file)``, the way emulators are started (support/emulator_process.py): the child's fd 2 is
    that file, and the parent reads no pipe for it."""
    _probe_files(tmp_path)
    with tempfile.TemporaryFile() as errors:
        process = host_forks.spawn(
            [sys.executable, "-m", "probe", "interrupt"], clean_env(), (), cwd=str(tmp_path), stderr=errors.fileno()
        )
        assert isinstance(process, host_forks.ForkedProcess) and process.stderr is None
        out, err = process.communicate(timeout=30)
        errors.seek(0)
        written = errors.read().decode()
    assert json.loads(out)["fds"] == [0, 1, 2] and err == ""
    assert written.endswith("KeyboardInterrupt\nthread joined\natexit ran\n"), written
    assert process.returncode == -signal.SIGINT
    process.kill()  # ended already: nothing happens, as with Popen


def test_a_host_is_executed_where_a_fork_could_differ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An environment that differs where the interpreter's start or the preload read it (the SDK reads
    PULUMI_ENABLE_LEGACY_APPLY when it is imported, something in it tempfile's TMPDIR), and the escape hatch,
    start a new interpreter."""
    command = [sys.executable, "-m", "pulumi.dynamic"]
    changes = ({"PYTHONHASHSEED": "7"}, {"GRPC_VERBOSITY": "debug"}, {"PULUMI_ENABLE_LEGACY_APPLY": "true"})
    for changed in (*changes, {"TMPDIR": str(tmp_path)}):
        assert host_forks.spawn(command, {**clean_env(), **changed}, DYNAMIC_HOST_PRELOAD) is None, changed
    monkeypatch.setenv(host_forks.MODE_ENV, "exec")
    host = ProviderHost()
    try:
        assert isinstance(host.process, subprocess.Popen)
    finally:
        host.close()


def test_the_fork_server_and_its_hosts_end_with_their_worker(tmp_path: Path) -> None:
    """The pytest worker killed (SIGKILL): its fork server ends, and the hosts it started with it."""
    _probe_files(tmp_path)
    worker_code = textwrap.dedent(
        f"""
        import os, sys, time
        sys.path.insert(0, {str(Path(__file__).parents[1])!r})
        from support import host_forks
        command = [sys.executable, "-m", "probe", "wait"]
        host = host_forks.spawn(command, dict(os.environ), (), cwd={str(tmp_path)!r})
        host.stdout.readline()
        print(host_forks._servers[()].process.pid, host.pid, flush=True)
        time.sleep(3600)
        """
    )
    worker = subprocess.Popen([sys.executable, "-c", worker_code], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None
        server, host = map(int, worker.stdout.readline().split())
        folder = Path(f"/proc/{server}/cmdline").read_bytes().split(b"\0")[3].decode()
        assert _running(server) and _running(host)
    finally:
        worker.kill()
        worker.wait()

    deadline = time.monotonic() + 30  # a bound for a hung machine, not a measurement
    while (_running(server) or _running(host)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(server) and not _running(host)
    assert not Path(folder).parent.exists()  # the socket's folder


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (one whose parent is gone is init's to reap)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.parametrize("mode", ["fork", "exec"])
@pytest.mark.parametrize("path", sorted(PATHS))
def test_a_provider_behaves_the_same_forked_and_executed(
    sentinel_emulator: EmulatorProcess, monkeypatch: pytest.MonkeyPatch, path: str, mode: str
) -> None:
    monkeypatch.setenv(host_forks.MODE_ENV, mode)
    engine_path = PATHS[path](sentinel_emulator)
    host = engine_path.host  # type: ignore[attr-defined]
    assert isinstance(host.process, host_forks.ForkedProcess if mode == "fork" else subprocess.Popen)

    first_id, outputs = engine_path.create("ExportTask", "again", SCENARIOS["ExportTask"])
    sentinel_emulator.reset_stats()
    again_id, _ = engine_path.create("ExportTask", "again", SCENARIOS["ExportTask"])
    stderr = engine_path.close()

    assert again_id == first_id and outputs["dataset_id"]
    assert sentinel_emulator.stats()["writes"] == 0
    assert_no_secrets(stderr, json.dumps(outputs, default=str))
    assert "Traceback" not in stderr
