"""What this package adds to the processes that serve it to the Pulumi engine: the SDK's dynamic-provider host
(``python -m pulumi.dynamic``) and the plugin (``pulumi-resource-modelarts``).

* ``watch_engine``: a provider whose engine is gone (``pulumi up`` killed: the provider lives on with another
  parent) stops within seconds and writes nothing more. The engine counts as gone when the parent process
  changed, or when the engine's address, reachable before, refuses connections (this matters for the
  dynamic host, whose parent is a shell the engine starts, ``pulumi-resource-pulumi-python``, which outlives
  the engine). A daemon thread looks every second; every write looks first too (``before_write``, the hook of
  the hosts' clients), so no write starts once the engine is gone, even between two looks of the thread.
  Then the process-wide stop is requested (``reconcile.waiting.STOP``: every wait ends) and the process exits.
* ``install_in_dynamic_host``: inside the dynamic host only, our own errors (``ProviderError``) reach the
  engine as their one-line message instead of the host's Python traceback, and the watchdog runs. The host
  formats every error with ``traceback.format_exc()`` of its own module; that name is what is adjusted, for
  our errors alone. Its Cancel stays a no-op (the SDK registers it before this package is imported).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from pulumi_modelarts.reconcile.waiting import STOP
from pulumi_modelarts.resources.lifecycle import ProviderError

CHECK_SECONDS = 1.0  # how often the watchdog looks
CONNECT_SECONDS = 2.0  # how long a connection to the engine may take before it counts as failed
_ADDRESS = re.compile(r"^(?:\[[0-9a-fA-F:]+\]|[\w.-]+):\d+$")
_installed: list[str] = []
_watches: list[_Watch] = []


def engine_address(argv: Sequence[str]) -> str | None:
    """The engine's address among a provider's arguments (the engine passes it first), if any."""
    return next((arg for arg in argv if _ADDRESS.match(arg)), None)


def watch_engine(address: str | None, *, exit_process: Callable[[int], Any] = os._exit) -> threading.Thread:
    """Start the watchdog (see the module docstring); returns its daemon thread."""
    watch = _Watch(address, exit_process)
    _watches.append(watch)
    thread = threading.Thread(target=watch.run, name="modelarts-engine-watchdog", daemon=True)
    thread.start()
    return thread


def before_write() -> None:
    """Raise ``Interrupted`` instead of writing once a stop was requested or the engine is gone."""
    STOP.check()
    for watch in _watches:
        watch.check()


class _Watch:
    def __init__(self, address: str | None, exit_process: Callable[[int], Any]) -> None:
        self.parent = os.getppid()
        self.address = address
        self.engine = _Engine(address) if address else None
        self.exit_process = exit_process
        self._gone = threading.Event()
        self._reason = ""

    def run(self) -> None:
        failures = 0
        if self.engine is not None:
            self.engine.lost()  # connect now, while the engine that has just started this process listens
        while not self._gone.wait(CHECK_SECONDS):
            if os.getppid() != self.parent:
                self._stop(f"its parent process {self.parent} exited")
            elif self.engine is not None and self.engine.lost():
                failures += 1
                if failures >= 2:  # twice in a row: not a moment's hiccup of a busy engine
                    self._stop(f"the engine at {self.address} no longer accepts connections")
            else:
                failures = 0
        with contextlib.suppress(OSError, ValueError):  # stderr may be a pipe to the engine that is gone
            print(
                f"pulumi-modelarts: the Pulumi engine is gone ({self._reason}); stopping without another write."
                " Work already started goes on in ModelArts; the next `pulumi up` finds it.",
                file=sys.stderr,
                flush=True,
            )
        self.exit_process(1)

    def check(self) -> None:
        """Before a write: the parent, and the engine's address if it was reached before (refused twice: gone)."""
        if os.getppid() != self.parent:
            self._stop(f"its parent process {self.parent} exited")
        elif self.engine is not None and self.engine.seen and self.engine.lost() and self.engine.lost():
            self._stop(f"the engine at {self.address} no longer accepts connections")
        STOP.check()

    def _stop(self, reason: str) -> None:
        if not self._gone.is_set():
            self._reason = reason
            STOP.request()  # from here no write starts, every wait and backoff ends
            self._gone.set()


class _Engine:
    """The engine's address. ``lost`` is whether a TCP connection to it fails, once one has succeeded: an engine
    that is busy still has its listening socket, whose connections the kernel accepts, so a refused or unanswered
    connection means the listener is gone. An address that never answered (a test harness's placeholder) is never
    judged lost."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self._target = (host.strip("[]"), int(port))
        self.seen = False  # connected once: from then on, failing to connect means the engine is gone

    def lost(self) -> bool:
        try:
            socket.create_connection(self._target, timeout=CONNECT_SECONDS).close()
        except OSError:
            return self.seen
        self.seen = True
        return False


def install_in_dynamic_host(main: ModuleType | None = None) -> bool:
    """Inside ``python -m pulumi.dynamic`` (and nowhere else): the watchdog, and one-line errors for ours where
    the host formats errors itself (older SDKs let gRPC report them).

    Returns whether it installed anything (once per process).
    """
    main = main if main is not None else sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if _installed or main is None or spec is None or spec.name != "pulumi.dynamic.__main__":
        return False
    _installed.append("dynamic")
    if isinstance(getattr(main, "traceback", None), ModuleType) and callable(
        getattr(main, "_abort_with_traceback", None)
    ):
        main.traceback = _OwnErrorsInOneLine(main.traceback)  # type: ignore[attr-defined]
    watch_engine(engine_address(sys.argv[1:]))
    return True


class _OwnErrorsInOneLine:
    """The ``traceback`` module as the dynamic host sees it: ``format_exc()`` of a ``ProviderError`` is its
    message; every other error keeps its traceback (a defect should be reported with it)."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module

    def format_exc(self, *args: Any, **kwargs: Any) -> str:
        error = sys.exc_info()[1]
        if isinstance(error, ProviderError):
            return str(error)
        return str(self._module.format_exc(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)
