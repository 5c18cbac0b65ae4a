#!/usr/bin/env python
"""Benchmark scenarios of issue 19 under Pulumi and the CLI, each a function returning its figures (for bench.py).

* ``pulumi_calls``: API calls of `pulumi up` of N new exports over K datasets, then of `pulumi preview` of them
  (the real engine, the dynamic-provider host): the shared observation's economy.
* ``quick_exports``: wall time of `pulumi-modelarts apply --yes` and of `pulumi up --skip-preview` for N exports
  that the emulator finishes in 0.05 s (the first look soon after the create, waits sharing polls, waits
  holding no parallelism slot), with their API calls.
* ``plan_interrupt``: seconds from Ctrl-C to the end of `pulumi-modelarts plan` while the API answers each read
  only after ``answer_after`` seconds (queued reads cancelled, reads in flight abandoned).

Each function starts its own emulators (50 ms of latency per request unless stated) and returns a plain dict:
``{"figures": {name: value}, "calls": {...}, "command": "..."}``; ``python tests/benchmarks/scenarios_pulumi.py``
runs them all and prints the dict as JSON. The Pulumi scenarios need the engine (scripts/pulumi-engine.sh,
or PULUMI_MODELARTS_ENGINE_BIN).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
for folder in (TESTS, TESTS / "benchmarks"):  # support.*, and bench.py beside this file
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from support.emulator_process import EmulatorProcess, cli_env  # noqa: E402

LATENCY_MS = 50
CLI = [sys.executable, "-m", "pulumi_modelarts.cli.main"]


def _bench() -> Any:
    """bench.py, for its emulator and dataset helpers (imported when used: bench.py may import this module)."""
    import bench

    return bench


def counted(emulator: EmulatorProcess) -> dict[str, Any]:
    """The emulator's calls since its last reset: total, writes, lists, and by route."""
    stats = emulator.stats()
    requests: dict[str, int] = dict(stats["requests"])
    lists = sum(
        count for route, count in requests.items() if route.startswith("GET ") and route[4:] in _bench().LIST_ROUTES
    )
    return {"total": stats["total"], "writes": stats["writes"], "lists": lists, "by_route": requests}


# --- Pulumi -----------------------------------------------------------------------------------------


def _stack(emulator: EmulatorProcess, work: Path, program: Callable[[], None]) -> Any:
    from support.pulumi_engine import EngineStack, find_engine

    engine = find_engine()
    if engine is None:
        raise RuntimeError("no Pulumi engine: run `bash scripts/pulumi-engine.sh` (or set PULUMI_MODELARTS_ENGINE_BIN)")
    project = work / "project"
    project.mkdir(parents=True)
    (project / "Pulumi.yaml").write_text("name: bench\nruntime: python\n")
    stack = EngineStack(engine=engine, project=project, state=work / "state", home=work / "home", program=program)
    values = emulator.stack_config()
    secret = values.pop("modelarts:secretKey")
    stack.configure(values, secrets={"modelarts:secretKey": secret})
    return stack


def exports_program(count: int, datasets: list[str], prefix: str = "e") -> Callable[[], None]:
    def program() -> None:
        import pulumi_modelarts as modelarts

        for i in range(count):
            name = datasets[i % len(datasets)]
            modelarts.ExportTask(
                f"{prefix}{i}", dataset_name=name, path=f"/bench-bucket/{name}/{prefix}{i}/", export_type=0
            )

    return program


def exports_yaml(count: int, datasets: list[str], prefix: str = "e") -> str:
    """The spec file of what ``exports_program`` declares (the same names, datasets and paths)."""
    return "resources:\n" + "".join(
        f"  {prefix}{i}:\n    type: modelarts:ExportTask\n"
        f"    properties: {{dataset_name: {datasets[i % len(datasets)]},"
        f" path: /bench-bucket/{datasets[i % len(datasets)]}/{prefix}{i}/, export_type: 0}}\n"
        for i in range(count)
    )


def pulumi_calls(count: int = 50, datasets: int = 2, latency_ms: float = LATENCY_MS) -> dict[str, Any]:
    """API calls of `pulumi up` of ``count`` new exports over ``datasets`` datasets, then of `pulumi preview`
    (nothing changed); beside them, on a fresh emulator, those of `apply --yes` and then `plan` of the same."""
    bench = _bench()
    flags = ("--export-seconds", "0.05")
    with bench.emulator_running(*flags, latency_ms=latency_ms) as emulator, _work() as work:
        stack = _stack(emulator, work, exports_program(count, list(bench.create_datasets(emulator, datasets))))
        emulator.reset_stats()
        up_s, _ = bench.timed(lambda: stack.up())
        up = counted(emulator)
        emulator.reset_stats()
        preview_s, _ = bench.timed(lambda: stack.preview(expect_no_changes=True))
        preview = counted(emulator)
    with bench.emulator_running(*flags, latency_ms=latency_ms) as emulator, _work() as work:
        specs = work / "specs.yaml"
        specs.write_text(exports_yaml(count, list(bench.create_datasets(emulator, datasets))))
        emulator.reset_stats()
        _cli(emulator, "apply", str(specs), "--yes")
        apply = counted(emulator)
        emulator.reset_stats()
        _cli(emulator, "plan", str(specs))
        plan = counted(emulator)
    return {
        "figures": {
            "pulumi up: API calls": up["total"],
            "pulumi up: writes": up["writes"],
            "pulumi up: seconds": round(up_s, 2),
            "pulumi preview: API calls": preview["total"],
            "pulumi preview: list calls": preview["lists"],
            "pulumi preview: seconds": round(preview_s, 2),
            "apply: API calls": apply["total"],
            "apply: writes": apply["writes"],
            "plan: API calls": plan["total"],
        },
        "calls": {"up": up, "preview": preview, "apply": apply, "plan": plan},
        "command": f"pulumi up, then pulumi preview; apply --yes, then plan: {count} exports over {datasets}"
        f" datasets, {latency_ms:g} ms latency",
    }


def _cli(emulator: EmulatorProcess, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*CLI, *args], env=cli_env(emulator), capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:1])} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done


# --- 50 quick exports: apply and pulumi up ----------------------------------------------------------


def quick_exports(count: int = 50, export_seconds: float = 0.05, latency_ms: float = 0.0) -> dict[str, Any]:
    """Wall time of `apply --yes` and of `pulumi up --skip-preview` for ``count`` exports finishing in
    ``export_seconds`` (each on a fresh emulator), with the API calls and the longest reported duration."""
    flags = ("--seed", "demo", "--export-seconds", str(export_seconds))
    figures: dict[str, Any] = {}
    calls: dict[str, Any] = {}
    bench = _bench()
    with bench.emulator_running(*flags, latency_ms=latency_ms) as emulator, _work() as work:
        specs = work / "specs.yaml"
        specs.write_text(exports_yaml(count, ["flowers"], prefix="q"))  # what the Pulumi program declares
        emulator.reset_stats()
        seconds, _ = bench.timed(lambda: _cli(emulator, "apply", str(specs), "--yes"))
        figures["apply: seconds"] = round(seconds, 2)
        figures["apply: API calls"] = emulator.stats()["total"]
        calls["apply"] = counted(emulator)
    with bench.emulator_running(*flags, latency_ms=latency_ms) as emulator, _work() as work:
        stack = _stack(emulator, work, exports_program(count, ["flowers"], prefix="q"))
        emulator.reset_stats()
        seconds, _ = bench.timed(lambda: stack.up())  # the Automation API runs `pulumi up --yes --skip-preview`
        figures["pulumi up --skip-preview: seconds"] = round(seconds, 2)
        figures["pulumi up --skip-preview: API calls"] = emulator.stats()["total"]
        calls["pulumi up"] = counted(emulator)
    return {
        "figures": figures,
        "calls": calls,
        "command": f"apply --yes and pulumi up --skip-preview of {count} exports of {export_seconds:g} s,"
        f" {latency_ms:g} ms latency",
    }


# --- Ctrl-C while planning ----------------------------------------------------------------------------


def plan_interrupt(answer_after: float = 25.0) -> dict[str, Any]:
    """Seconds from SIGINT to the end of `plan --format json` while every read is answered after ``answer_after``
    seconds; the signal comes once the first read has reached the API."""
    root = TESTS.parent
    with _bench().emulator_running("--seed", "demo", latency_ms=0) as emulator:
        emulator.set_faults([{"action": "latency", "method": "GET", "route": "*", "latency_ms": answer_after * 1000}])
        process = subprocess.Popen(
            [*CLI, "plan", str(root / "specs"), "--format", "json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(emulator),
            stdin=subprocess.DEVNULL,
        )
        while emulator.stats()["total"] < 1:
            time.sleep(0.02)
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=answer_after * 4)
        seconds = time.monotonic() - started
    try:
        printed = bool(json.loads(stdout).get("interrupted"))
    except ValueError:
        printed = False
    return {
        "figures": {
            "Ctrl-C to exit: seconds": round(seconds, 2),
            "exit status": process.returncode,
            "JSON document printed": printed,
        },
        "calls": {},
        "command": f"plan specs --format json, SIGINT after the first read, reads answered after {answer_after:g} s",
    }


@contextmanager
def _work() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="modelarts-bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {
    "pulumi-50": lambda: pulumi_calls(50, 2),
    "pulumi-500": lambda: pulumi_calls(500, 10),
    "quick-exports": quick_exports,
    "plan-interrupt": plan_interrupt,
}


if __name__ == "__main__":
    chosen = sys.argv[1:] or list(SCENARIOS)
    print(json.dumps({name: SCENARIOS[name]() for name in chosen}, indent=2))
