"""Start the tests' provider processes and emulators in milliseconds: a fork server per pytest worker and preload set.

A new interpreter spends most of a second importing grpc and the Pulumi SDK before a provider host prints its
port. ``spawn`` instead asks a long-lived server process, started on first use, that has imported ``preload``
once (and never created a gRPC channel or server) to fork a child; the child becomes the command's process:

* its environment is exactly the one asked for, its cwd too, and its stdin, stdout and stderr are the fds the
  caller sent (``socket.send_fds``), as ``subprocess.Popen`` would give it; it holds no other fd;
* ``sys.argv``, ``sys.path[0]`` and ``__main__`` are what ``python -m MODULE ARGS`` or the console script
  ``SCRIPT ARGS`` would have, and it runs that very module or script file; when it ends, the interpreter's own
  exit runs (non-daemon threads joined, atexit, the exit status from SystemExit, death by SIGINT on an uncaught
  KeyboardInterrupt);
* signal dispositions: the server changes none, so a child has those of a fresh interpreter after the same
  imports (tests/plugin/test_host_forks.py compares them with an exec'd process's).

What a fresh interpreter decides from its environment at its start or while importing ``preload`` cannot change
in a child: the server records every variable the preload reads (``os.environ``, ``os.getenv``) and refuses a
request whose environment differs from its own in one of those, or in one the interpreter's start reads
(``PYTHON*``, locale, ``HOME``, ``GRPC_*``); ``spawn`` then returns None and the caller runs the command itself.
So does ``PULUMI_MODELARTS_TEST_HOSTS=exec`` (every host a new interpreter, as before). The server reaps its
children and reports each exit status over the request's connection, and it ends with its pytest worker (the
read end of a pipe only the worker holds reaches EOF), killing the children still running.

Run as a script, this file is the server: ``python host_forks.py DEATH_FD SOCKET_PATH PRELOAD...``.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import runpy
import select
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

MODE_ENV = "PULUMI_MODELARTS_TEST_HOSTS"  # "exec": every host a new interpreter
STARTUP_PREFIXES = ("PYTHON", "LC_", "LANG", "HOME", "GRPC_")  # what an interpreter's start depends on
MESSAGE_BYTES = 1 << 20


# --- the test side -------------------------------------------------------------------------------------------


class ForkedProcess:
    """A forked host, used as the tests use a ``subprocess.Popen`` (text mode, stdout and stderr piped)."""

    def __init__(
        self,
        server: _Server,
        args: Sequence[str],
        pid: int,
        pidfd: int,
        control: socket.socket,
        out: int,
        err: int | None,
    ) -> None:
        self._server = server
        self.args = list(args)
        self.pid = pid
        self.returncode: int | None = None
        self.stdout: TextIO = open(out, encoding=None)  # noqa: SIM115  # as Popen(text=True): locale encoding
        self.stderr: TextIO | None = None if err is None else open(err, encoding=None)  # noqa: SIM115
        self._pidfd = pidfd
        self._control = control
        self._read: dict[int, list[bytes]] = {out: [], **({} if err is None else {err: []})}

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._control], [], [], 0)[0]:
            self._receive_status()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self._control], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(self.args, timeout or 0)
            self._receive_status()
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # exited, not yet reported
                signal.pidfd_send_signal(self._pidfd, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Read stdout and stderr to their end and wait for the exit; what a timeout interrupts is kept for the
        next call (as Popen's; like it, this reads the pipes themselves, not what ``stdout`` buffered)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            for stream in (self.stdout, self.stderr):
                if stream is not None and not stream.closed:
                    selector.register(stream.fileno(), selectors.EVENT_READ)
            if self.returncode is None:
                selector.register(self._control, selectors.EVENT_READ)
            while selector.get_map():
                ready = selector.select(None if deadline is None else max(0.0, deadline - time.monotonic()))
                if not ready:
                    raise subprocess.TimeoutExpired(self.args, timeout or 0)
                for key, _ in ready:
                    if key.fileobj is self._control:
                        selector.unregister(self._control)
                        self._receive_status()
                    elif chunk := os.read(key.fd, 65536):
                        self._read[key.fd].append(chunk)
                    else:
                        selector.unregister(key.fd)
        return self._text(self.stdout), self._text(self.stderr)

    def _text(self, stream: TextIO | None) -> str:
        if stream is None or stream.closed:
            return ""
        data = b"".join(self._read.pop(stream.fileno(), []))
        stream.close()
        return data.decode(stream.encoding).replace("\r\n", "\n").replace("\r", "\n")

    def _receive_status(self) -> None:
        message = self._control.recv(MESSAGE_BYTES)
        if not message and not self._server.stopped:
            raise RuntimeError(f"the fork server ended before reporting the exit of {self.pid}")
        # A server stopped at the worker's exit has killed its children without reporting.
        self.returncode = int(json.loads(message)["returncode"]) if message else -signal.SIGKILL
        self._control.close()
        os.close(self._pidfd)


def spawn(
    command: Sequence[str],
    env: Mapping[str, str],
    preload: Sequence[str],
    cwd: str | None = None,
    *,
    stderr: int | None = None,
) -> ForkedProcess | None:
    """``command`` (``python -m MODULE ...`` with this interpreter, or a console script of it) forked from the
    server that has imported ``preload``; None where it must be a new interpreter (see the module docstring).
    Its stdout is a pipe; so is its stderr, unless ``stderr`` names the fd to give it (as Popen's ``stderr=``)."""
    target = _target(command)
    if target is None or os.environ.get(MODE_ENV, "fork") == "exec":
        return None
    server = _server(tuple(preload))
    arguments = list(command[3 if target[0] == "module" else 1 :])
    request = {"target": target, "argv": arguments, "env": dict(env), "cwd": cwd or os.getcwd()}
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe() if stderr is None else (None, stderr)
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        connection.connect(server.path)
        with _stdin() as stdin:
            socket.send_fds(connection, [json.dumps(request).encode()], [stdin, out_write, err_write])
        message, fds, _, _ = socket.recv_fds(connection, MESSAGE_BYTES, 1)
    except BaseException:
        for fd in (out_read, err_read):
            if fd is not None:
                os.close(fd)
        connection.close()
        raise
    finally:
        os.close(out_write)
        if err_read is not None:
            os.close(err_write)
    reply = json.loads(message) if message else {}
    if "pid" in reply:
        return ForkedProcess(server, command, int(reply["pid"]), fds[0], connection, out_read, err_read)
    for fd in (out_read, err_read, *fds):
        if fd is not None:
            os.close(fd)
    connection.close()
    if "refused" in reply:
        return None
    raise RuntimeError(f"the fork server ended: {server.log()}")


def _target(command: Sequence[str]) -> tuple[str, str] | None:
    """What the child runs: ("module", NAME) for ``python -m NAME``, ("script", PATH) for a Python script whose
    interpreter is this one (a console script); None for anything else."""
    if len(command) >= 3 and command[0] == sys.executable and command[1] == "-m":
        return "module", command[2]
    if command and os.path.isfile(command[0]):
        with open(command[0], "rb") as file:
            first = file.readline().decode(errors="replace")
        interpreter = first[2:].strip() if first.startswith("#!") else ""
        if interpreter and " " not in interpreter and _same_interpreter(interpreter):
            return "script", command[0]
    return None


def _same_interpreter(path: str) -> bool:
    """This interpreter under another name in its folder (python3.11 for python; a venv is its folder)."""
    here = sys.executable
    return os.path.dirname(os.path.abspath(path)) == os.path.dirname(here) and os.path.samefile(path, here)


@contextlib.contextmanager
def _stdin() -> Iterator[int]:
    """Our fd 0, which a Popen child would inherit (/dev/null where it is closed)."""
    try:
        os.fstat(0)
    except OSError:
        with open(os.devnull, "rb") as null:
            yield null.fileno()
    else:
        yield 0


class _Server:
    """The test side of one fork server."""

    def __init__(self, preload: tuple[str, ...]) -> None:
        self.stopped = False
        self.folder = tempfile.mkdtemp(prefix="host-forks-")
        self.path = os.path.join(self.folder, "socket")
        self._log = tempfile.TemporaryFile()  # noqa: SIM115  # the server's stderr, for errors
        death_read, self._death = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, __file__, str(death_read), self.path, *preload],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            pass_fds=(death_read,),
        )
        os.close(death_read)
        assert self.process.stdout is not None
        ready = self.process.stdout.readline()
        self.process.stdout.close()
        if ready != b"ready\n":
            log = self.log()
            self.stop()
            raise RuntimeError(f"the fork server did not start: {log}")

    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        self.stopped = True
        os.close(self._death)  # the server kills what still runs, reaps it and exits
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()
        shutil.rmtree(self.folder, ignore_errors=True)  # the server removes it, unless it failed


_servers: dict[tuple[str, ...], _Server] = {}
_servers_lock = threading.Lock()


def _server(preload: tuple[str, ...]) -> _Server:
    with _servers_lock:
        if not _servers:
            atexit.register(_stop_servers)
        if preload not in _servers:
            _servers[preload] = _Server(preload)
        return _servers[preload]


def _stop_servers() -> None:
    with _servers_lock:
        for server in _servers.values():
            server.stop()
        _servers.clear()


# --- the server --------------------------------------------------------------------------------------------


class _Job:
    """A request: what a forked child becomes."""

    def __init__(self, request: Mapping[str, Any]) -> None:
        self.kind, self.name = request["target"]
        self.argv: list[str] = request["argv"]
        self.env: dict[str, str] = request["env"]
        self.cwd: str = request["cwd"]


_read_names: set[str] = set()


class _RecordingEnviron(os._Environ[str]):
    """The class of ``os.environ`` while the server imports its preload (the object stays the same: a module
    that keeps a reference keeps the real one). Records the names read; iterating reads them all."""

    def __getitem__(self, name: str) -> str:
        _read_names.add(name)
        return str(super().__getitem__(name))

    def __iter__(self) -> Iterator[str]:
        names = list(super().__iter__())
        _read_names.update(names)
        return iter(names)


def _startup_view(env: Mapping[str, str], read: set[str]) -> dict[str, str]:
    return {name: value for name, value in env.items() if name.startswith(STARTUP_PREFIXES) or name in read}


def _preload(names: Sequence[str]) -> tuple[set[str], bytes]:
    """Import ``names``; the environment variables that read, and what it wrote to stderr (each child writes it
    again, as a fresh interpreter importing them would). Nothing before it here reads the environment (not even
    tempfile: the stderr is caught in a memfd)."""
    import importlib

    saved_stderr, written = os.dup(2), os.memfd_create("preload-stderr")
    os.dup2(written, 2)
    os.environ.__class__ = _RecordingEnviron
    try:
        for name in names:
            importlib.import_module(name)
    finally:
        os.environ.__class__ = os._Environ
        sys.stderr.flush()
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)
    with open(written, "rb") as output:
        output.seek(0)
        return set(_read_names), output.read()


def _serve(death: int, path: str, preload: Sequence[str]) -> tuple[_Job, bytes]:
    """Fork a child per request until the worker is gone; returns only in a child, with its job."""
    del sys.path[0]  # this file's folder: a child's sys.path[0] is its command's
    read, output = _preload(preload)
    threads = Path("/proc/self/status").read_text().split("Threads:")[1].split()[0]
    if threads != "1":
        raise RuntimeError(f"the preload started threads ({threads}): forking it is unsafe")
    own = _startup_view(os.environ, read)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(64)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(death, selectors.EVENT_READ)
    children: dict[int, tuple[int, socket.socket]] = {}  # pidfd: (pid, the request's connection)
    os.write(1, b"ready\n")
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.close(null)
    while True:
        for key, _ in selector.select():
            if key.fileobj is listener:
                connection, _ = listener.accept()
                message, fds, flags, _ = socket.recv_fds(connection, MESSAGE_BYTES, 3)
                if flags & socket.MSG_TRUNC:
                    raise RuntimeError("a request longer than MESSAGE_BYTES")
                job = _Job(json.loads(message))
                if _startup_view(job.env, read) != own:
                    connection.send(json.dumps({"refused": "its environment differs where the preload read"}).encode())
                    for fd in fds:
                        os.close(fd)
                    connection.close()
                    continue
                pid = os.fork()
                if pid == 0:
                    selector.close()
                    listener.close()
                    os.close(death)
                    for pidfd, (_, other) in children.items():
                        os.close(pidfd)
                        other.close()
                    connection.close()
                    for target, fd in enumerate(fds):
                        os.dup2(fd, target)
                        os.close(fd)
                    return job, output
                for fd in fds:
                    os.close(fd)
                pidfd = os.pidfd_open(pid)
                socket.send_fds(connection, [json.dumps({"pid": pid}).encode()], [pidfd])
                children[pidfd] = pid, connection
                selector.register(pidfd, selectors.EVENT_READ)
            elif key.fileobj == death:  # the worker is gone: so are its hosts and the socket's folder
                for pidfd, (pid, _) in children.items():
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                    os.waitpid(pid, 0)
                shutil.rmtree(os.path.dirname(path))
                sys.exit(0)
            else:
                pidfd = key.fd
                pid, connection = children.pop(pidfd)
                selector.unregister(pidfd)
                os.close(pidfd)
                _, status = os.waitpid(pid, 0)
                with contextlib.suppress(OSError):  # the test may have closed its end already
                    connection.send(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}).encode())
                connection.close()


def _become(job: _Job, preload_output: bytes) -> None:
    """In the forked child: the job's process, as the interpreter would have started it."""
    leaked = [fd for fd in map(int, os.listdir("/proc/self/fd")) if fd > 2 and _is_open(fd)]
    if leaked:
        os.write(2, f"fork server: the child holds fds {leaked}\n".encode())
        os._exit(70)
    os.chdir(job.cwd)
    os.environ.clear()
    os.environ.update(job.env)
    if preload_output:
        os.write(2, preload_output)
    sys.argv = ["-m", *job.argv]  # argv[0]: runpy sets it, as `python -m MODULE` and `python SCRIPT` do
    if job.kind == "module":
        sys.path.insert(0, os.getcwd())
        runpy.run_module(job.name, run_name="__main__", alter_sys=True)
    else:
        sys.path.insert(0, os.path.dirname(os.path.realpath(job.name)))
        runpy.run_path(job.name, run_name="__main__")


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


if __name__ == "__main__":
    _become(*_serve(int(sys.argv[1]), sys.argv[2], sys.argv[3:]))
