#!/usr/bin/env python
"""Benchmarks of issues 5, 14 and 19: validate at scale, plan, apply again, long waits, the provider blob,
import cost, emulator load.

Each scenario runs against the emulator started as its own process (``tests/support/emulator_process.py``) with
50 ms of latency injected into every API request unless stated, and prints wall time, API calls by
method and route template, and write calls, next to the target and, where there is one, the obvious
naive approach measured in the same run. Timings of the CLI are whole processes, median of several runs.

    python tests/benchmarks/bench.py            # full sizes: the figures recorded in docs/benchmarks.md
    python tests/benchmarks/bench.py --quick    # small sizes for CI
    python tests/benchmarks/bench.py --json out.json   # also write every figure as JSON ("-" = stdout)
    python tests/benchmarks/bench.py --only plan,wait  # a subset of the scenarios
    python tests/benchmarks/bench.py --json run.json --write-docs  # and regenerate the documents' figures
    python tests/benchmarks/bench.py --docs-from run.json          # the same, from the JSON of an earlier run

Every figure is a ``Target`` (measured value, limit, unit, kind); the tables of docs/benchmarks.md and README.md
("Speed and API economy") are generated from the JSON of one full run, between ``<!-- bench:NAME -->`` markers,
so a figure added to a scenario shows in both with its ratio to the limit.

Exit status: 0 when the run finished; in ``--quick`` mode 1 when a target is missed by a wide margin
(``Target.gate``): COUNT figures (calls, writes, polls, bytes, virtual time, modules imported) gate exactly
at their limit; WALL figures (real time and ratios of real times) only at ``WALL_GATE`` times it, or at their
own margin, so that a loaded machine never fails them; REPORT figures never. Full mode reports and never
gates. 2 when a scenario crashed. The test suite never runs this file's wall-clock gates:
tests/benchmarks/test_bench_counts.py runs the scenarios at small sizes and checks their counts only.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from support.emulator_process import EmulatorProcess, start_emulator  # noqa: E402

LATENCY_MS = 50
PROJECT_ROUTE = "/v2/{project_id}"
DATASETS_ROUTE = PROJECT_ROUTE + "/datasets"
DATASET_ROUTE = DATASETS_ROUTE + "/{dataset_id}"
TASK_ROUTE = DATASET_ROUTE + "/tasks/{task_id}"
LIST_ROUTES = (
    DATASETS_ROUTE,
    DATASET_ROUTE + "/tasks",
    DATASET_ROUTE + "/export-tasks",
    DATASET_ROUTE + "/versions",
)


# --- sizes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    validate_series: tuple[int, ...] = (500, 2000, 5000, 15000)  # resources in one file: the scaling series
    validate_at: int = 5000  # the size with a time limit, also spread over ``validate_files`` files and profiled
    validate_files: int = 50
    plan_sizes: tuple[tuple[int, int], ...] = ((500, 10), (5000, 100))  # (resources in one file, datasets)
    naive_plan_sample: int | None = None  # None: the naive plan walks every resource
    prefetch_widths: tuple[int, ...] = (8, 16, 32, 64)  # threads for Runner.prefetch alone, in process
    wide_prefetch: int | None = 8  # also time the CLI with --parallelism N (PER_SLOT x N prefetch threads); None: not
    apply_sizes: tuple[tuple[int, int], ...] = ((60, 10), (500, 20))  # (resources, datasets)
    reps: int = 5  # in-process timings
    cli_reps: int = 3  # CLI subprocess timings
    import_reps: int = 9
    load_seconds: float = 5.0
    load_requests: int = 10_000
    load_threads: int = 4
    naive_wait: bool = True
    as_configured: bool = True  # also time subprocesses without a bytecode cache (this machine's setting)
    latency_ms: float = LATENCY_MS
    apply_task_seconds: tuple[float, float] = (0.5, 0.3)  # how long the emulator runs a task, an export
    profile: bool = True  # show where validation's time goes (cProfile of the largest one-file load)
    pulumi_sizes: tuple[tuple[int, int], ...] = ((50, 2), (500, 10))  # (exports, datasets) under the real engine
    quick_exports: int = 50  # exports the emulator finishes in 0.05 s: apply and `pulumi up` wall times
    interrupt_after: float = 25.0  # seconds the API takes to answer while a plan is interrupted


FULL = Sizes()
QUICK = Sizes(
    validate_series=(500, 2000),
    validate_at=2000,
    plan_sizes=((500, 10),),
    naive_plan_sample=40,
    prefetch_widths=(),
    wide_prefetch=None,
    apply_sizes=((20, 5),),
    reps=3,
    cli_reps=1,
    import_reps=5,
    load_seconds=2.0,
    load_requests=3_000,
    naive_wait=False,
    as_configured=False,
    profile=False,
    pulumi_sizes=((50, 2),),
    interrupt_after=5.0,
)
# Quick mode gates a wall time only when it is this many times its target: a loaded CI machine never gets
# there, a quadratic step does.
WALL_GATE = 10.0

# What kind of figure a target is, which decides how CI gates it (``Target.gate_at``).
COUNT = "count"  # calls, writes, polls, bytes, virtual time, modules: load-independent, gated exactly
WALL = "wall"  # real time or a ratio of real times: gated only far beyond the target (WALL_GATE)
REPORT = "report"  # shown beside the others, never gated (a setting of this machine, a what-if)


# --- results ----------------------------------------------------------------------------------------


@dataclass
class Target:
    """One figure with its limit: adding a figure to the benchmark (and to the generated tables of
    docs/benchmarks.md and README.md) is one ``scenario.target(Target(...))``.

    ``kind`` decides the CI gate (COUNT: exactly the limit; WALL: ``WALL_GATE`` times it; REPORT: none);
    ``wide`` overrides it where a figure needs its own margin. ``headline`` is the figure's label in
    README's table (None: docs/benchmarks.md only).
    """

    name: str
    value: float
    limit: float
    unit: str
    kind: str = COUNT
    higher_is_better: bool = False
    wide: float | None = None  # the quick-mode gate, when not the one of ``kind``
    note: str = ""
    gate_value: float | None = None  # what the gate compares, when it is not ``value`` (a noise-robust figure)
    headline: str | None = None

    @property
    def wall(self) -> bool:
        """A wall-clock figure: depends on the machine's load (the test suite never checks these)."""
        return self.kind == WALL

    @property
    def met(self) -> bool:
        return self.value >= self.limit if self.higher_is_better else self.value <= self.limit

    @property
    def gate_at(self) -> float | None:
        """The value beyond which quick mode fails (None: never gated)."""
        if self.wide is not None:
            return self.wide
        if self.kind == COUNT:
            return self.limit
        if self.kind == WALL:
            return self.limit / WALL_GATE if self.higher_is_better else self.limit * WALL_GATE
        return None

    @property
    def gate(self) -> bool:
        """True when this is a wide miss (quick mode exits non-zero)."""
        at = self.gate_at
        if at is None:
            return False
        value = self.value if self.gate_value is None else self.gate_value
        return value < at if self.higher_is_better else value > at

    @property
    def ratio(self) -> float | None:
        """The figure as a share of its limit, 1.0 at the limit and below it when met (None for a limit of 0)."""
        if self.higher_is_better:
            return self.limit / self.value if self.value else None
        return self.value / self.limit if self.limit else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "limit": self.limit,
            "unit": self.unit,
            "kind": self.kind,
            "higher_is_better": self.higher_is_better,
            "ratio": self.ratio,
            "met": self.met,
            "gate_at": self.gate_at,
            "wide_miss": self.gate,
            "note": self.note,
            "headline": self.headline,
        }


@dataclass
class Scenario:
    name: str
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)  # (label, value) lines of the table
    targets: list[Target] = field(default_factory=list)
    calls: dict[str, dict[str, Any]] = field(default_factory=dict)  # label -> emulator stats
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    def row(self, label: str, value: str) -> None:
        self.rows.append((label, value))

    def target(self, target: Target) -> Target:
        self.targets.append(target)
        return target

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "rows": [{"label": label, "value": value} for label, value in self.rows],
            "targets": [target.as_dict() for target in self.targets],
            "api_calls": self.calls,
            "data": self.data,
            "error": self.error,
            "seconds": self.seconds,
        }


# --- helpers ----------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:.3g}"


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "n/a"


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def short_route(key: str) -> str:
    return key.replace(PROJECT_ROUTE, "").replace("{dataset_id}", "{ds}")


def calls_text(stats: Mapping[str, Any]) -> str:
    requests: Mapping[str, int] = stats.get("requests", {})
    parts = [f"{short_route(key)}={count}" for key, count in sorted(requests.items())]
    return ", ".join(parts) or "none"


def base_env() -> dict[str, str]:
    """The environment for subprocesses, without credentials or endpoints from the caller."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("HW_", "OS_", "MODELARTS_", "HUAWEICLOUD_"))}


class Bytecode:
    """A pycache prefix that subprocesses can share, so that they import cached bytecode like a normal install.

    This machine sets PYTHONDONTWRITEBYTECODE=1 and the editable package has no __pycache__, so every
    fresh interpreter would compile the package from source. Runs labelled "bytecode cached" use
    ``-X pycache_prefix`` with writing enabled (after a warm-up); runs labelled "as configured" use
    the environment unchanged.
    """

    def __init__(self) -> None:
        self.prefix = Path(tempfile.mkdtemp(prefix="bench-pycache-"))
        self.warm = False  # set once a CLI run has filled the cache

    def argv(self, cached: bool) -> list[str]:
        return [sys.executable, "-X", f"pycache_prefix={self.prefix}"] if cached else [sys.executable]

    def env(self, cached: bool, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = base_env()
        if cached:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(extra or {})
        return env

    def close(self) -> None:
        shutil.rmtree(self.prefix, ignore_errors=True)


def run_cli(
    bytecode: Bytecode, args: Sequence[str], *, emulator: EmulatorProcess | None = None, cached: bool = True
) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = bytecode.env(cached, {"CI": "true", **emulator.env()} if emulator is not None else None)
    command = [*bytecode.argv(cached), "-m", "pulumi_modelarts.cli.main", *args]
    if cached and not bytecode.warm:
        # Fill the bytecode cache, untimed: `plan` without credentials imports everything a plan or an
        # apply does (specs, schema, api, reconcile, runner, render) before it stops at the settings.
        warm = [*bytecode.argv(True), "-m", "pulumi_modelarts.cli.main", "plan", str(ROOT / "specs")]
        subprocess.run(warm, env=bytecode.env(True), capture_output=True, cwd=ROOT, timeout=120)
        bytecode.warm = True
    start = time.perf_counter()
    result = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=600, stdin=subprocess.DEVNULL, cwd=ROOT
    )
    return time.perf_counter() - start, result


def check_cli(result: subprocess.CompletedProcess[str], what: str, allowed: Sequence[int] = (0,)) -> None:
    if result.returncode not in allowed:
        raise RuntimeError(f"{what} exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


@contextlib.contextmanager
def emulator_running(*flags: str, latency_ms: float = LATENCY_MS) -> Iterator[EmulatorProcess]:
    emulator = start_emulator("--admin", "--latency-ms", str(latency_ms), *flags)
    try:
        yield emulator
    finally:
        emulator.stop()


def make_client(emulator: EmulatorProcess, **overrides: Any) -> Any:
    from pulumi_modelarts.api import ModelArtsClient, resolve_settings

    return ModelArtsClient(resolve_settings(**emulator.client_settings(**overrides)))


def dataset_name(d: int) -> str:
    return f"bench-ds-{d:02d}"


def create_datasets(emulator: EmulatorProcess, count: int) -> dict[str, str]:
    """Create ``count`` image-classification datasets through the API; returns name -> id."""
    client = make_client(emulator)
    created: dict[str, str] = {}
    try:
        for d in range(count):
            name = dataset_name(d)
            created[name] = client.create_dataset(
                {
                    "dataset_name": name,
                    "dataset_type": 0,
                    "data_sources": [{"data_type": 0, "data_path": f"/bench-bucket/{name}/input/"}],
                    "work_path": f"/bench-bucket/{name}/output/",
                    "work_path_type": 0,
                    "labels": [{"name": "cat", "type": 0}, {"name": "dog", "type": 0}],
                }
            )
    finally:
        client.close()
    return created


# --- the generated specs ----------------------------------------------------------------------------

SPECS_PER_FILE = 50


def _resource_yaml(i: int, k: int) -> str:
    """Resource number ``i`` of a set spread over ``k`` datasets (round robin).

    Per dataset: the first resource is an auto-grouping task, then every third a version release and
    the rest exports to OBS; one export in five exports the release declared just before it (a
    reference), the others name the dataset directly. Every dataset has at most one intelligent task,
    so the set can be applied without two tasks of a kind racing on one dataset.
    """
    d, j = i % k, i // k
    ds = dataset_name(d)
    if j == 0:
        return (
            f"  t{i}:\n"
            "    type: modelarts:IntelligentTask\n"
            "    properties:\n"
            f"      dataset_name: {ds}\n"
            "      task_type: auto-grouping\n"
            "      config:\n"
            f'        n_clusters: "{2 + d % 5}"\n'
            "        ambiguity: false\n"
            "    options:\n"
            "      timeoutSeconds: 900\n"
        )
    if j % 3 == 1:
        return (
            f"  r{i}:\n"
            "    type: modelarts:DatasetVersionRef\n"
            "    properties:\n"
            f"      dataset_name: {ds}\n"
            f"      version_name: rel-{i}\n"
            "      release:\n"
            f"        description: nightly {i}\n"
            '        train_evaluate_sample_ratio: "0.80"\n'
        )
    previous = i - k if j % 3 == 2 else i - 2 * k  # the release declared on this dataset just before
    if j % 5 == 2:
        return (
            f"  e{i}:\n"
            "    type: modelarts:ExportTask\n"
            "    properties:\n"
            f"      dataset_id: ${{r{previous}.dataset_id}}\n"
            f"      version_id: ${{r{previous}.version_id}}\n"
            f"      path: /bench-bucket/{ds}/release/${{r{previous}.version_name}}/\n"
            "      export_type: 0\n"
            "      export_params:\n"
            "        export_dest: DIR\n"
        )
    return (
        f"  e{i}:\n"
        "    type: modelarts:ExportTask\n"
        "    properties:\n"
        f"      dataset_name: {ds}\n"
        f"      path: /bench-bucket/{ds}/export-{i}/\n"
        f"      export_type: {(0, 2, 3)[i % 3]}\n"
        "      export_params:\n"
        "        export_dest: DIR\n"
        '        sample_state: ""\n'
    )


def generate_specs(directory: Path, n: int, k: int, files: int = 1) -> Path:
    """Write ``n`` resources over ``k`` datasets into ``files`` files of ``directory``; returns the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    per_file = -(-n // files)
    for number, start in enumerate(range(0, n, per_file)):
        end = min(n, start + per_file)
        lines = [f"# generated by tests/benchmarks/bench.py: resources {start}..{end - 1}\n", "resources:\n"]
        lines.extend(_resource_yaml(i, k) for i in range(start, end))
        (directory / f"bench-{number:03d}.yaml").write_text("".join(lines), encoding="utf-8")
    return directory


# --- scenarios --------------------------------------------------------------------------------------


_LAZY_CHECK = """\
import sys
from pulumi_modelarts.cli.main import main
code = main(["validate", sys.argv[1]])
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"pulumi", "httpx", "rich", "grpc"})
print("HEAVY", ",".join(heavy))
sys.exit(code)
"""


def _validate_profile(specs: Path) -> tuple[list[tuple[str, str]], dict[str, float]]:
    """Where an in-process load of ``specs`` spends its time: the phases, then the costliest functions."""
    import cProfile
    import pstats

    from pulumi_modelarts.schema import _validation
    from pulumi_modelarts.specs import load_specs

    _validation._MEMO.clear()
    profiler = cProfile.Profile()
    profiler.enable()
    load_specs([specs])
    profiler.disable()
    stats = pstats.Stats(profiler)
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = max(entry[3] for entry in entries.values())

    def cumulative(function: str, file_part: str) -> float:
        return sum(entry[3] for key, entry in entries.items() if key[2] == function and file_part in key[0])

    phases = {
        "total": total,
        "YAML (parse_yaml: libyaml compose + positions)": cumulative("parse_yaml", "specs"),
        "schema (validate_inputs: normalize + jsonschema)": cumulative("validate_inputs", "schema"),
        "references (read_references)": cumulative("read_references", "specs"),
    }
    rows = [(f"  {name}", f"{seconds / total:.0%}") for name, seconds in phases.items() if name != "total"]
    costliest = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[:8]
    for (file, line, function), entry in costliest:
        where = f"{Path(file).parent.name}/{Path(file).name}:{line}" if file != "~" else "builtin"
        rows.append((f"  self time: {function} ({where})", f"{entry[2] / total:.0%}, {entry[1]} calls"))
    return rows, phases


def bench_validate(sizes: Sizes, work: Path, bytecode: Bytecode) -> Scenario:
    series = sizes.validate_series
    largest, smallest, at, files = max(series), min(series), sizes.validate_at, sizes.validate_files
    scenario = Scenario("validate", f"validate {', '.join(map(str, series))} resources in one file (no network)")
    from pulumi_modelarts.schema import _validation
    from pulumi_modelarts.specs import load_specs

    def cli_median(specs: Path) -> float:
        times = []
        for _ in range(sizes.cli_reps):
            elapsed, result = run_cli(bytecode, ["validate", str(specs)])
            check_cli(result, "validate")
            times.append(elapsed)
        return median(times)

    one_file: dict[int, float] = {}
    in_process: dict[int, float] = {}
    cpu: dict[int, float] = {}  # in process, the least CPU time of the loads: other work on the machine
    for n in series:  # adds little to it, so the growth is judged on it
        specs = generate_specs(work / f"validate-{n}", n, 10)
        spec_set = load_specs([specs])
        assert len(spec_set.resources) == n
        references = sum(len(resource.references) for resource in spec_set.resources.values())
        times, cpu_times = [], []
        for _ in range(sizes.reps if n == smallest else max(1, sizes.reps // 2)):
            _validation._MEMO.clear()  # each timed load validates from scratch, as a fresh CLI process does
            cpu_start = time.process_time()
            elapsed, _ = timed(lambda: load_specs([specs]))  # noqa: B023
            cpu_times.append(time.process_time() - cpu_start)
            times.append(elapsed)
        in_process[n] = median(times)
        cpu[n] = min(cpu_times)
        one_file[n] = cli_median(specs)
        scenario.row(
            f"{n} resources in one file ({references} references): CLI / in process",
            f"{fmt_s(one_file[n])} / {fmt_s(in_process[n])} (CPU {cpu[n] / n * 1e6:.0f} us per resource in process)",
        )
    spread = generate_specs(work / f"validate-{at}-files", at, 10, files=files)
    many_files = cli_median(spread)
    scenario.row(f"{at} resources over {files} files: CLI", fmt_s(many_files))
    growth = one_file[at] / one_file[smallest]
    scenario.row(f"growth: time({at}) / time({smallest}), CLI", f"{growth:.1f}x for {at / smallest:.0f}x")
    # Linear: the CPU time per resource of a load stays the same from the smallest size to the largest.
    per_resource = (cpu[largest] / largest) / (cpu[smallest] / smallest)
    scenario.row(
        f"CPU time per resource in process, {largest} / {smallest}",
        f"{per_resource:.2f}x for {largest / smallest:.0f}x the resources",
    )

    # What `validate` imports: none of the heavy dependencies of plan/apply or of the Pulumi program.
    lazy = subprocess.run(
        [*bytecode.argv(True), "-c", _LAZY_CHECK, str(work / f"validate-{smallest}")],
        capture_output=True,
        text=True,
        env=bytecode.env(True),
        timeout=120,
        cwd=ROOT,
    )
    check_cli(lazy, "validate (import check)")
    heavy = [name for name in lazy.stdout.rsplit("HEAVY", 1)[-1].strip().split(",") if name]
    scenario.row("heavy modules imported by validate (pulumi, httpx, rich, grpc)", ", ".join(heavy) or "none")

    phases: dict[str, float] = {}
    if sizes.profile:
        rows, phases = _validate_profile(work / f"validate-{at}")
        scenario.row(f"where the time goes: cProfile of load_specs, {at} in one file", "")
        scenario.rows.extend(rows)

    if 500 in one_file:
        scenario.target(
            Target("validate 500 in one file, CLI", one_file[500], 0.5, "s", WALL, headline="`validate` 500 resources")
        )
    limit = 2.5 * at / 5000
    scenario.target(
        Target(f"validate {at} in one file, CLI", one_file[at], limit, "s", WALL, headline=f"`validate` {at:,}")
    )
    scenario.target(Target(f"validate {at} over {files} files, CLI", many_files, limit, "s", WALL))
    # Linear growth keeps the ratio under the ratio of sizes (start-up is paid once); quadratic would square it.
    scenario.target(
        Target(f"time({at}) / time({smallest}), CLI", growth, at / smallest, "x", WALL, wide=3 * at / smallest)
    )
    scenario.target(
        Target(
            f"CPU time per resource, {largest} / {smallest} in one file, in process",
            per_resource,
            1.5,
            "x",
            WALL,
            wide=3.0,
            headline=f"`validate` CPU time per resource, {largest:,} vs {smallest:,} (linear)",
        )
    )
    scenario.target(Target("heavy modules imported by validate", len(heavy), 0, "modules"))
    scenario.data = {
        "one_file_cli_s": one_file,
        "in_process_s": in_process,
        "many_files_cli_s": many_files,
        "growth": growth,
        "in_process_cpu_s": cpu,
        "per_resource_ratio": per_resource,
        "heavy_imports": heavy,
        "profile_s": phases,
    }
    return scenario


def _naive_plan(emulator: EmulatorProcess, spec_set: Any, ids: Mapping[str, str], sample: int | None) -> dict[str, Any]:
    """The obvious approach: one GET per resource, one resource after another (dataset ids known)."""
    client = make_client(emulator)
    names = list(spec_set.order)
    walked = names if sample is None else names[:sample]
    emulator.reset_stats()
    start = time.perf_counter()
    try:
        for name in walked:
            resource = spec_set.resources[name]
            dataset = resource.properties.get("dataset_name")
            dataset_id = ids.get(dataset) if isinstance(dataset, str) else None
            if dataset_id is None:  # an export of a declared release: its one GET is what counts here
                dataset_id = next(iter(ids.values()))
            if resource.type_token == "modelarts:IntelligentTask":
                client.list_tasks_page(dataset_id, type="auto-grouping", task_name=f"pm-{name}", limit=100)
            elif resource.type_token == "modelarts:ExportTask":
                client.list_export_tasks_page(dataset_id, limit=100)
            else:
                client.list_versions_page(dataset_id)
    finally:
        client.close()
    elapsed = time.perf_counter() - start
    stats = emulator.stats()
    scale = len(names) / len(walked)
    return {
        "walked": len(walked),
        "seconds": elapsed * scale,
        "calls": stats["total"] * scale,
        "stats": stats,
        "extrapolated": sample is not None and len(walked) < len(names),
    }


def _plan_size(
    scenario: Scenario, sizes: Sizes, work: Path, bytecode: Bytecode, n: int, k: int, naive: bool
) -> dict[str, Any]:
    """Plan ``n`` resources in one file over ``k`` datasets, in process and with the CLI."""
    specs = generate_specs(work / f"plan-{n}", n, k)
    from pulumi_modelarts.cli.runner import PREFETCH_THREADS_PER_SLOT as PER_SLOT
    from pulumi_modelarts.cli.runner import Runner
    from pulumi_modelarts.reconcile.context import ReconcileContext
    from pulumi_modelarts.specs import load_specs

    label = f"{n} over {k} datasets"
    with emulator_running(latency_ms=sizes.latency_ms) as emulator:
        ids = create_datasets(emulator, k)
        spec_set = load_specs([specs])

        # In process: the CLI's own driver (Runner.plan: prefetch then plan each resource).
        runs = []
        for _ in range(sizes.reps if n <= 500 else max(1, sizes.reps // 2)):
            client = make_client(emulator)
            ctx = ReconcileContext.for_client(client, log=lambda _message: None)
            emulator.reset_stats()
            elapsed, results = timed(lambda: Runner(spec_set, ctx, parallelism=4).plan())  # noqa: B023
            client.close()
            failed = [result for result in results if result.failed]
            if failed:
                raise RuntimeError(f"plan failed for {failed[0].name}: {failed[0].error}")
            runs.append(elapsed)
        stats = emulator.stats()
        actions = Counter(result.decision.action for result in results if result.decision is not None)
        in_process = median(runs)
        scenario.calls[f"in-process plan, {label}"] = stats

        # Runner.prefetch alone, at several widths of its thread pool (PREFETCH_THREADS_PER_SLOT x --parallelism).
        prefetch: dict[int, float] = {}
        for width in sizes.prefetch_widths:
            times = []
            for _ in range(max(1, sizes.reps // 2)):
                client = make_client(emulator)
                ctx = ReconcileContext.for_client(client, log=lambda _message: None)
                elapsed, _ = timed(lambda: Runner(spec_set, ctx, parallelism=width // PER_SLOT).prefetch())  # noqa: B023
                client.close()
                times.append(elapsed)
            prefetch[width] = median(times)
        if prefetch:
            scenario.row(
                f"{label}: Runner.prefetch alone, by threads",
                ", ".join(f"{width}: {fmt_s(seconds)}" for width, seconds in prefetch.items()),
            )

        # The CLI as a user runs it.
        def cli_plan(*flags: str) -> tuple[list[float], dict[str, Any]]:
            times: list[float] = []
            stats: dict[str, Any] = {}
            for _ in range(sizes.cli_reps):
                emulator.reset_stats()
                elapsed, result = run_cli(bytecode, ["plan", str(specs), "--format", "json", *flags], emulator=emulator)
                check_cli(result, "plan")
                times.append(elapsed)
                stats = emulator.stats()
            return times, stats

        cli_runs, cli_stats = cli_plan()
        cli = median(cli_runs)
        scenario.calls[f"CLI plan, {label}"] = cli_stats
        scenario.row(
            f"{label}: CLI `plan --format json` / in-process Runner.plan", f"{fmt_s(cli)} / {fmt_s(in_process)}"
        )
        # Where the CLI's time goes: the phases it reports with --timings; the rest of the process is start,
        # imports, printing and exit.
        emulator.reset_stats()
        elapsed, result = run_cli(bytecode, ["plan", str(specs), "--format", "json", "--timings"], emulator=emulator)
        check_cli(result, "plan --timings")
        phases = json.loads(result.stdout)["phases"]
        rest = elapsed - sum(phases.values())
        scenario.row(
            f"{label}: CLI phases (--timings, one run of {fmt_s(elapsed)})",
            ", ".join(f"{name} {fmt_s(seconds)}" for name, seconds in phases.items())
            + f"; start, imports, printing and exit {fmt_s(rest)}",
        )
        wider: float | None = None
        if sizes.wide_prefetch:
            wider = median(cli_plan("--parallelism", str(sizes.wide_prefetch))[0])
            wide = f"--parallelism {sizes.wide_prefetch} ({PER_SLOT * sizes.wide_prefetch} prefetch threads)"
            scenario.row(
                f"{label}: CLI with {wide}",
                fmt_s(wider),
            )
        scenario.row(f"{label}: plan actions", ", ".join(f"{a}={c}" for a, c in sorted(actions.items())))
        scenario.row(f"{label}: API calls (CLI)", f"{cli_stats['total']} total, {cli_stats['writes']} writes")
        scenario.row("  by endpoint", calls_text(cli_stats))

        walked: dict[str, Any] = {}
        if naive:
            walked = _naive_plan(emulator, spec_set, ids, sizes.naive_plan_sample)
            scenario.calls["naive plan"] = walked["stats"]
            how = f" (extrapolated from {walked['walked']} resources)" if walked["extrapolated"] else ""
            scenario.row(
                f"{label}: naive, one GET per resource, sequential" + how,
                f"{fmt_s(walked['seconds'])}, {walked['calls']:.0f} calls",
            )
            scenario.row(
                "  naive / ours (CLI)",
                f"wall {ratio(walked['seconds'], cli)}, calls {ratio(walked['calls'], cli_stats['total'])}",
            )

    list_calls = sum(count for key, count in cli_stats["requests"].items() if key.split(" ", 1)[1] in LIST_ROUTES)
    limit = PLAN_LIMITS.get(n, max(0.6, 2.5 * n / 5000))
    shown = f"{n:,} over {k} datasets"
    scenario.target(Target(f"plan {label}, CLI", cli, limit, "s", WALL, headline=f"`plan` {shown}"))
    if wider is not None:
        threads = PER_SLOT * (sizes.wide_prefetch or 0)
        scenario.target(
            Target(
                f"plan {label}, CLI, {threads} prefetch threads",
                wider,
                limit,
                "s",
                REPORT,
                note=f"--parallelism {sizes.wide_prefetch}: what a wider prefetch gives",
                headline=f"`plan` {shown}, {threads} prefetch threads",
            )
        )
    # Per dataset: the name lookup plus one list per kind of resource on it (tasks of a type, exports,
    # versions), and the orphan scan's lists of the other task types (auto-label, pre-label): 6 here; no
    # call may be per resource.
    scenario.target(
        Target(
            f"list calls per dataset, plan {label}",
            list_calls / k,
            6,
            "calls",
            headline=f"API calls per dataset, `plan` {shown}",
        )
    )
    scenario.target(Target(f"calls that are not lists, plan {label}", cli_stats["total"] - list_calls, 0, "calls"))
    scenario.target(Target(f"write calls, plan {label}", cli_stats["writes"], 0, "calls"))
    return {
        "in_process_s": runs,
        "prefetch_s": prefetch,
        "wide_prefetch_cli_s": wider,
        "cli_s": cli_runs,
        "cli_phases_s": {**phases, "rest": rest},
        "naive": {key: value for key, value in walked.items() if key != "stats"},
        "actions": dict(actions),
        "list_calls_per_dataset": list_calls / k,
    }


_UNUSED_CHECK = """\
import sys
from pulumi_modelarts.cli.main import main
code = main(["plan", sys.argv[1], "--format", "json"])
unused = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[2].split(",")))
print("UNUSED", ",".join(unused))
sys.exit(code)
"""
# Modules installed here that a plan of valid specs never needs: the Pulumi SDK and gRPC, httpx's command line
# (rich, click, pygments), trio (async httpcore), jsonschema (only for inputs the compiled checks do not pass).
PLAN_UNUSED = ("pulumi", "grpc", "rich", "click", "pygments", "trio", "jsonschema", "referencing")
PLAN_LIMITS = {500: 0.6, 5000: 2.5}


def _plan_imports(work: Path, bytecode: Bytecode) -> list[str]:
    """Which of PLAN_UNUSED a CLI plan of valid specs imports (against an emulator without latency)."""
    specs = generate_specs(work / "plan-imports", 20, 2)
    with emulator_running(latency_ms=0) as emulator:
        create_datasets(emulator, 2)
        result = subprocess.run(
            [*bytecode.argv(True), "-c", _UNUSED_CHECK, str(specs), ",".join(PLAN_UNUSED)],
            capture_output=True,
            text=True,
            env=bytecode.env(True, {"CI": "true", **emulator.env()}),
            timeout=120,
            cwd=ROOT,
        )
    check_cli(result, "plan (import check)")
    return [name for name in result.stdout.rsplit("UNUSED", 1)[-1].strip().split(",") if name]


def bench_plan(sizes: Sizes, work: Path, bytecode: Bytecode) -> Scenario:
    shown = ", ".join(f"{n} over {k} datasets" for n, k in sizes.plan_sizes)
    scenario = Scenario("plan", f"plan {shown}, one file, nothing applied ({sizes.latency_ms:g} ms latency)")
    for index, (n, k) in enumerate(sizes.plan_sizes):
        scenario.data[f"{n}x{k}"] = _plan_size(scenario, sizes, work, bytecode, n, k, naive=index == 0)
    unused = _plan_imports(work, bytecode)
    scenario.row(f"modules a plan imports but never uses ({', '.join(PLAN_UNUSED)})", ", ".join(unused) or "none")
    scenario.target(Target("unused modules imported by plan", len(unused), 0, "modules"))
    scenario.data["unused_imports"] = unused
    return scenario


def _apply_size(scenario: Scenario, sizes: Sizes, work: Path, bytecode: Bytecode, n: int, k: int) -> dict[str, Any]:
    specs = generate_specs(work / f"apply-{n}", n, k, files=max(1, n // 50))
    label = f"{n} over {k} datasets"
    flags = (
        "--task-seconds",
        str(sizes.apply_task_seconds[0]),
        "--export-seconds",
        str(sizes.apply_task_seconds[1]),
        "--version-seconds",
        "0",
        "--release-interval-seconds",
        "0",
    )
    with emulator_running(*flags, latency_ms=sizes.latency_ms) as emulator:
        create_datasets(emulator, k)
        emulator.reset_stats()
        first_s, first = run_cli(
            bytecode, ["apply", str(specs), "--yes", "--format", "json", "--parallelism", "16"], emulator=emulator
        )
        check_cli(first, "first apply")
        first_stats = emulator.stats()
        state = emulator.admin.get("/state").json()["totals"]
        scenario.calls[f"first apply, {label}"] = first_stats
        scenario.row(
            f"{label}: first apply (CLI, --parallelism 16)", f"{fmt_s(first_s)}, {first_stats['writes']} writes"
        )
        scenario.row("  by endpoint", calls_text(first_stats))
        scenario.row(
            "  objects after it",
            f"tasks={state['tasks']}, export_tasks={state['export_tasks']}, versions={state['versions']}",
        )

        emulator.reset_stats()
        plan_s, plan = run_cli(
            bytecode, ["plan", str(specs), "--format", "json", "--detailed-exitcode"], emulator=emulator
        )
        check_cli(plan, "plan after apply")
        plan_stats = emulator.stats()
        scenario.calls[f"plan after apply, {label}"] = plan_stats

        emulator.reset_stats()
        again_s, again = run_cli(bytecode, ["apply", str(specs), "--yes", "--format", "json"], emulator=emulator)
        check_cli(again, "second apply")
        again_stats = emulator.stats()
        scenario.calls[f"apply again, {label}"] = again_stats
        document = json.loads(again.stdout)

    same = again_stats["requests"] == plan_stats["requests"]
    scenario.row(
        f"{label}: plan after apply (CLI)", f"{fmt_s(plan_s)}, {plan_stats['total']} calls, exit {plan.returncode}"
    )
    scenario.row(
        f"{label}: apply again (CLI)",
        f"{fmt_s(again_s)}, {again_stats['total']} calls, {again_stats['writes']} writes,"
        f" changes_pending={document.get('changes_pending')}",
    )
    scenario.row("  by endpoint", calls_text(again_stats))
    scenario.row("  apply again observes exactly like plan", "yes" if same else f"NO: plan {calls_text(plan_stats)}")
    scenario.target(
        Target(
            f"write calls when applying again, {label}",
            again_stats["writes"],
            0,
            "calls",
            headline=f"writes when applying {n} resources again",
        )
    )
    scenario.target(
        Target(
            f"apply-again calls minus plan calls, {label}",
            abs(again_stats["total"] - plan_stats["total"]),
            0,
            "calls",
            note="same routes and counts" if same else "routes differ",
        )
    )
    scenario.target(Target(f"plan after apply shows no change (exit 0), {label}", plan.returncode, 0, "exit code"))
    return {"first_apply_s": first_s, "plan_s": plan_s, "again_s": again_s, "objects": state, "same_routes": same}


def bench_apply(sizes: Sizes, work: Path, bytecode: Bytecode) -> Scenario:
    shown = ", ".join(f"{n} over {k} datasets" for n, k in sizes.apply_sizes)
    scenario = Scenario("apply", f"apply {shown}, then apply again ({sizes.latency_ms:g} ms latency)")
    for n, k in sizes.apply_sizes:
        scenario.data[f"{n}x{k}"] = _apply_size(scenario, sizes, work, bytecode, n, k)
    return scenario


class VirtualTime:
    """Sleeping advances the emulator's clock instead of waiting; ``now`` tracks the virtual time."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.offset = 0.0
        self.slept: list[float] = []

    def now(self) -> float:
        return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.slept.append(seconds)
        self.emulator.advance_clock(seconds)
        self.offset += seconds


def bench_wait(sizes: Sizes, work: Path, bytecode: Bytecode) -> Scenario:
    duration = 600.0
    scenario = Scenario(
        "wait", f"wait for a {duration / 60:.0f}-minute task (virtual time, {sizes.latency_ms:g} ms latency)"
    )
    from pulumi_modelarts import schema
    from pulumi_modelarts.reconcile import intelligent
    from pulumi_modelarts.reconcile.context import ReconcileContext

    with emulator_running("--task-seconds", str(duration), latency_ms=sizes.latency_ms) as emulator:
        ids = create_datasets(emulator, 2)
        client = make_client(emulator)
        vtime = VirtualTime(emulator)
        ctx = ReconcileContext.for_client(client, clock=vtime.now, sleep=vtime.sleep, log=lambda _message: None)
        inputs, violations = schema.validate_inputs(
            "modelarts:IntelligentTask",
            {"dataset_name": dataset_name(0), "task_type": "auto-grouping", "timeout_seconds": 3600},
        )
        assert not violations, violations
        emulator.reset_stats()
        started_virtual = vtime.now()
        spec = intelligent.IntelligentTaskSpec("long-task", inputs)
        real_s, outputs = timed(
            lambda: intelligent.execute(ctx, spec, intelligent.decide(intelligent.observe(ctx, spec), spec))
        )
        noticed = vtime.now() - started_virtual - duration
        stats = emulator.stats()
        polls = stats["requests"].get(f"GET {TASK_ROUTE}", 0)
        scenario.calls["ours"] = stats
        scenario.row("status calls (GET task)", str(polls))
        scenario.row("completion noticed after the task ended", f"{noticed:.1f} s (virtual; an upper bound)")
        scenario.row("delays slept", ", ".join(f"{s:.0f}" for s in vtime.slept) + " s")
        longest = max(vtime.slept, default=0.0)
        bound = max(30.0, 0.1 * duration)
        scenario.row(
            "longest single delay",
            f"{longest:.0f} s"
            + (f" (> the {bound:.0f} s bound: an end inside it is noticed late)" if longest > bound else ""),
        )
        scenario.row("real time for the whole wait", fmt_s(real_s))
        scenario.row("outputs", f"status={outputs['status_name']}, elapsed_time={outputs['elapsed_time']} s")

        naive: dict[str, Any] = {}
        if sizes.naive_wait:
            naive_time = VirtualTime(emulator)
            naive_time.offset = vtime.offset
            body = {"task_type": "auto-grouping", "config": {"name": "naive-poll"}}
            task_id = client.create_task(ids[dataset_name(1)], body)
            begin = naive_time.now()
            emulator.reset_stats()
            naive_polls = 0
            while True:
                task = client.get_task(ids[dataset_name(1)], task_id)
                naive_polls += 1
                if not intelligent.is_active(task):
                    break
                naive_time.sleep(5.0)
            naive = {"polls": naive_polls, "noticed_s": naive_time.now() - begin - duration}
            scenario.calls["naive 5 s polling"] = emulator.stats()
        else:  # quick mode: the fixed-interval loop is arithmetic, and 121 real calls cost 7 s of CI
            naive = {"polls": int(duration // 5) + 1, "noticed_s": 5.0, "computed": True}
        client.close()
    how = " (computed, not run)" if naive.get("computed") else ""
    bound = max(30.0, 0.1 * duration)
    scenario.row(
        "naive: fixed 5 s polling" + how, f"{naive['polls']} status calls, noticed within {naive['noticed_s']:.1f} s"
    )
    scenario.row("naive / ours", f"status calls {ratio(naive['polls'], polls)}")
    scenario.target(
        Target(
            "status calls for a 10-minute task", polls, 20, "calls", headline="status calls waiting on a 10-minute task"
        )
    )
    scenario.target(
        Target(
            "completion noticed within max(30 s, 10%)",
            noticed,
            bound,
            "s",
            note="virtual time",
            headline="its end noticed after (virtual time)",
        )
    )
    scenario.data = {"polls": polls, "noticed_s": noticed, "slept": vtime.slept, "naive": naive, "real_s": real_s}
    return scenario


def bench_blob(sizes: Sizes, work: Path, bytecode: Bytecode) -> Scenario:
    scenario = Scenario("blob", "serialized __provider per resource type (captured under Pulumi mocks)")
    import pulumi_modelarts as modelarts
    from support.engine import capture_resources

    per_type = 20

    def program() -> list[Any]:
        resources: list[Any] = []
        for i in range(per_type):
            ds = dataset_name(i % 7)
            resources.append(
                modelarts.IntelligentTask(
                    f"task-{i}",
                    dataset_name=ds,
                    task_type=("auto-label", "auto-grouping")[i % 2],
                    config={"algorithm_type": "fast"} if i % 2 == 0 else {"n_clusters": str(2 + i % 5)},
                    timeout_seconds=60 + i,
                )
            )
            resources.append(
                modelarts.ExportTask(
                    f"export-{i}",
                    dataset_name=ds,
                    path=f"/bench-bucket/{ds}/export-{i}/",
                    export_type=i % 4,
                    export_params={"export_dest": "DIR", "sample_state": ""},
                )
            )
            resources.append(
                modelarts.DatasetVersionRef(
                    f"version-{i}",
                    dataset_name=ds,
                    version_name=f"V{i:03d}",
                    requirements={"min_annotated_samples": i},
                )
            )
        return resources

    captured = capture_resources(program)
    by_type: dict[str, list[str]] = {}
    for resource in captured:
        by_type.setdefault(resource.type_token, []).append(resource.blob)
    largest = 0
    variants = 0
    for type_token, blobs in sorted(by_type.items()):
        sizes_ = {len(blob) for blob in blobs}
        distinct = len(set(blobs))
        decoded = len(base64.b64decode(blobs[0]))
        largest = max(largest, max(sizes_))
        variants = max(variants, distinct)
        scenario.row(
            f"{type_token} ({len(blobs)} resources)",
            f"{max(sizes_)} bytes base64 ({decoded} pickled), {distinct} distinct",
        )
    scenario.target(
        Target("largest __provider blob", largest, 1024, "bytes", headline="largest serialized `__provider`")
    )
    scenario.target(Target("distinct blobs within a type", variants, 1, "per type"))
    scenario.data = {t: {"bytes": len(b[0]), "distinct": len(set(b)), "count": len(b)} for t, b in by_type.items()}
    return scenario


_IMPORT_CODE = """\
import time
start = time.perf_counter()
import pulumi.dynamic
middle = time.perf_counter()
{extra}
end = time.perf_counter()
print(middle - start, end - start)
"""


def _import_once(bytecode: Bytecode, cached: bool, with_package: bool) -> tuple[float, float, float]:
    extra = "import pulumi_modelarts.resources" if with_package else ""
    start = time.perf_counter()
    result = subprocess.run(
        [*bytecode.argv(cached), "-c", _IMPORT_CODE.format(extra=extra)],
        capture_output=True,
        text=True,
        env=bytecode.env(cached),
        check=True,
        cwd=tempfile.gettempdir(),
    )
    wall = time.perf_counter() - start
    base, total = (float(value) for value in result.stdout.split())
    return base, total, wall


def _costliest_imports(bytecode: Bytecode) -> list[tuple[str, float]]:
    """What pulumi_modelarts imports from outside itself on top of pulumi.dynamic, costliest first (-X importtime).

    The output lists a module after everything it imported, indented by depth; a module's importer is
    the next line below it with a smaller depth.
    """
    result = subprocess.run(
        [*bytecode.argv(True), "-X", "importtime", "-c", "import pulumi.dynamic; import pulumi_modelarts.resources"],
        capture_output=True,
        text=True,
        env=bytecode.env(True),
        check=True,
        cwd=tempfile.gettempdir(),
    )
    entries: list[tuple[int, str, float]] = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if not cumulative.strip().isdigit():
            continue  # the header line
        module = name.strip()
        depth = (len(name.rstrip()) - len(module) - 1) // 2
        entries.append((depth, module, int(cumulative) / 1e6))
    after = next((i for i, entry in enumerate(entries) if entry[1] == "pulumi.dynamic" and entry[0] == 0), -1)
    found: list[tuple[str, float]] = []
    stack: list[tuple[int, str]] = []
    for depth, module, seconds in reversed(entries[after + 1 :]):
        while stack and stack[-1][0] >= depth:
            stack.pop()
        importer = stack[-1][1] if stack else ""
        if importer.startswith("pulumi_modelarts") and not module.startswith("pulumi_modelarts"):
            found.append((module, seconds))
        elif module == "httpx._main":
            found.append(("httpx._main (httpx's CLI: rich, click, pygments)", seconds))
        stack.append((depth, module))
    found.sort(key=lambda item: item[1], reverse=True)
    return found[:5]


def bench_import(sizes: Sizes, work: Path, bytecode: Bytecode) -> Scenario:
    scenario = Scenario("import", "provider host start: import pulumi_modelarts.resources on top of pulumi.dynamic")
    results: dict[str, dict[str, float]] = {}
    for cached in (True, False) if sizes.as_configured else (True,):
        if cached:
            _import_once(bytecode, True, True)  # fill the bytecode cache
            _import_once(bytecode, True, False)
        base, total, walls_a, walls_b = [], [], [], []
        for _ in range(sizes.import_reps):
            a_base, _, a_wall = _import_once(bytecode, cached, False)
            _, b_total, b_wall = _import_once(bytecode, cached, True)
            base.append(a_base)
            total.append(b_total)
            walls_a.append(a_wall)
            walls_b.append(b_wall)
        label = "bytecode cached" if cached else "as configured (no bytecode)"
        short = "cached" if cached else "as configured"
        summary = {
            "pulumi_dynamic_s": median(base),
            "with_package_s": median(total),
            "ratio": median(total) / median(base),
            "ratio_of_minimums": min(total) / min(base),
            "process_wall_a_s": median(walls_a),
            "process_wall_b_s": median(walls_b),
        }
        results[label] = summary
        scenario.row(
            f"{short}: import pulumi.dynamic / with pulumi_modelarts.resources",
            f"{fmt_s(summary['pulumi_dynamic_s'])} / {fmt_s(summary['with_package_s'])}"
            f" = {summary['ratio']:.2f}x (median of {sizes.import_reps})",
        )
        scenario.row(
            f"{short}: whole interpreter start, wall",
            f"{fmt_s(summary['process_wall_a_s'])} / {fmt_s(summary['process_wall_b_s'])}"
            f" = {summary['process_wall_b_s'] / summary['process_wall_a_s']:.2f}x",
        )
    top = _costliest_imports(bytecode)
    scenario.row(
        "costliest imports added (cumulative, bytecode cached)",
        ", ".join(f"{module} {seconds * 1000:.0f} ms" for module, seconds in top),
    )
    cached_ratio = results["bytecode cached"]["ratio"]
    scenario.target(
        Target(
            "import cost ratio (bytecode cached)",
            cached_ratio,
            1.3,
            "x",
            WALL,
            wide=3.0,
            gate_value=results["bytecode cached"]["ratio_of_minimums"],  # load on a CI machine inflates medians
            headline="provider host import over `import pulumi.dynamic`",
        )
    )
    if "as configured (no bytecode)" in results:
        scenario.target(
            Target(
                "import cost ratio (as configured)",
                results["as configured (no bytecode)"]["ratio"],
                1.3,
                "x",
                REPORT,
                note="PYTHONDONTWRITEBYTECODE=1 here",
            )
        )
    scenario.data = {"results": results, "costliest": top}
    return scenario


def bench_load(sizes: Sizes, work: Path, bytecode: Bytecode) -> Scenario:
    scenario = Scenario("load", "emulator throughput: GET task, AK/SK, keep-alive, no injected latency")
    with emulator_running("--task-seconds", "30", latency_ms=0) as emulator:
        ids = create_datasets(emulator, 1)
        dataset_id = ids[dataset_name(0)]
        client = make_client(emulator, max_retries=0)
        task_id = client.create_task(dataset_id, {"task_type": "auto-grouping", "config": {"name": "load"}})
        for _ in range(20):  # warm the connection pool
            client.get_task(dataset_id, task_id)
        emulator.reset_stats()
        deadline = time.perf_counter() + sizes.load_seconds
        remaining = [sizes.load_requests]
        lock = threading.Lock()
        errors: list[str] = []

        def worker() -> int:
            done = 0
            while time.perf_counter() < deadline:
                with lock:
                    if remaining[0] <= 0:
                        break
                    remaining[0] -= 1
                try:
                    client.get_task(dataset_id, task_id)
                    done += 1
                except Exception as error:  # counted, not raised: the figure is successful requests
                    errors.append(type(error).__name__)
            return done

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=sizes.load_threads) as pool:
            counts = list(pool.map(lambda _: worker(), range(sizes.load_threads)))
        elapsed = time.perf_counter() - start
        client.close()
        served = emulator.stats()["requests"].get(f"GET {TASK_ROUTE}", 0)
    done = sum(counts)
    rate = done / elapsed
    scenario.row("requests", f"{done} ok, {len(errors)} failed, in {elapsed:.2f} s with {sizes.load_threads} threads")
    scenario.row("emulator counted", str(served))
    scenario.row("throughput", f"{rate:.0f} req/s (load and emulator share the 2 cores)")
    scenario.target(
        Target(
            "GET task throughput",
            rate,
            300,
            "req/s",
            WALL,
            higher_is_better=True,
            headline="emulator throughput, GET task",
        )
    )
    scenario.target(Target("failed requests", len(errors), 0, "requests"))
    scenario.data = {"requests": done, "seconds": elapsed, "rate": rate, "errors": Counter(errors)}
    return scenario


def bench_pulumi(sizes: Sizes, work: Path, bytecode: Bytecode) -> Scenario:
    """Under the real engine (scenarios_pulumi.py) beside the CLI: API calls of `pulumi up` and `pulumi preview`
    next to `apply` and `plan` of the same exports; wall times of 50 quick exports; Ctrl-C in the plan phase."""
    import scenarios_pulumi

    scenario = Scenario("pulumi", "`pulumi up`/`preview` beside `apply`/`plan`; quick exports; Ctrl-C while planning")
    for n, k in sizes.pulumi_sizes:
        result = scenarios_pulumi.pulumi_calls(n, k, sizes.latency_ms)
        figures = result["figures"]
        scenario.calls.update({f"{phase} {n}x{k}": stats for phase, stats in result["calls"].items()})
        scenario.data[f"{n}x{k}"] = figures
        shown = f"{n} exports over {k} datasets"
        scenario.row(
            f"{shown}: pulumi up / apply, API calls",
            f"{figures['pulumi up: API calls']} / {figures['apply: API calls']}",
        )
        scenario.row(
            f"{shown}: pulumi preview / plan, API calls",
            f"{figures['pulumi preview: API calls']} / {figures['plan: API calls']}",
        )
        scenario.row(
            f"{shown}: pulumi up, pulumi preview",
            f"{fmt_s(figures['pulumi up: seconds'])}, {fmt_s(figures['pulumi preview: seconds'])}",
        )
        # A preview reads per dataset its lookup and one list, never a call per resource (deterministic).
        scenario.target(
            Target(
                f"pulumi preview {shown}: API calls",
                figures["pulumi preview: API calls"],
                2 * k,
                "calls",
                note=f"2 per dataset; the CLI's plan of the same: {figures['plan: API calls']} (with the orphan scan)",
                headline=f"API calls, `pulumi preview` of {shown}",
            )
        )
        # An up writes each export once and its waits share list calls. How many polls a wait takes depends on
        # when the engine's calls arrive, so the limit is a budget (2 per export and 2 per dataset) and CI's
        # gate has a margin.
        budget = 2 * n + 2 * k
        scenario.target(
            Target(
                f"pulumi up {shown}: API calls",
                figures["pulumi up: API calls"],
                budget,
                "calls",
                wide=1.5 * budget,
                note=f"2 per export + 2 per dataset; the CLI's apply of the same: {figures['apply: API calls']}",
                headline=f"API calls, `pulumi up` of {shown}",
            )
        )
        scenario.target(Target(f"pulumi up {shown}: writes", figures["pulumi up: writes"], n, "calls"))
        scenario.target(Target(f"apply {shown}: writes", figures["apply: writes"], n, "calls"))

    quick = scenarios_pulumi.quick_exports(sizes.quick_exports)
    scenario.data["quick_exports"] = quick["figures"]
    scenario.calls.update({f"quick exports, {phase}": stats for phase, stats in quick["calls"].items()})
    count = sizes.quick_exports
    for label, key, limit in (
        ("apply", "apply: seconds", 3.0),
        ("pulumi up", "pulumi up --skip-preview: seconds", 8.0),
    ):
        scenario.target(
            Target(
                f"{label}, {count} exports of 0.05 s",
                quick["figures"][key],
                limit,
                "s",
                WALL,
                headline=f"`{label}` of {count} exports the API finishes in 0.05 s",
            )
        )

    interrupt = scenarios_pulumi.plan_interrupt(sizes.interrupt_after)
    figures = interrupt["figures"]
    scenario.data["plan_interrupt"] = figures
    scenario.row(
        "Ctrl-C while planning: exit status, JSON document printed",
        f"{figures['exit status']}, {figures['JSON document printed']}",
    )
    scenario.target(
        Target(
            f"Ctrl-C to exit, plan with reads answered after {sizes.interrupt_after:g} s",
            figures["Ctrl-C to exit: seconds"],
            2.0,
            "s",
            WALL,
            headline="Ctrl-C to exit while planning",
        )
    )
    ended_well = figures["exit status"] == 130 and figures["JSON document printed"]
    scenario.target(
        Target("Ctrl-C while planning: runs without exit 130 and the JSON document", int(not ended_well), 0, "runs")
    )
    return scenario


SCENARIOS: dict[str, Callable[[Sizes, Path, Bytecode], Scenario]] = {
    "validate": bench_validate,
    "plan": bench_plan,
    "apply": bench_apply,
    "wait": bench_wait,
    "blob": bench_blob,
    "import": bench_import,
    "load": bench_load,
    "pulumi": bench_pulumi,
}


# --- report -----------------------------------------------------------------------------------------


class LoadWatch:
    """The machine's 1-minute load average while the benchmark runs: other work on the same cores
    lengthens every wall time, so a run records how busy the machine was."""

    def __init__(self, every: float = 5.0) -> None:
        self.every = every
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="load-watch", daemon=True)

    def _sample(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> LoadWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(os.getloadavg()[0])

    def summary(self) -> dict[str, float]:
        samples = self.samples or [os.getloadavg()[0]]
        return {
            "start": samples[0],
            "end": samples[-1],
            "max": max(samples),
            "mean": statistics.fmean(samples),
        }


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _commit() -> str:
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT, check=False)
        return result.stdout.strip() if result.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    generated = [f":!{path.relative_to(ROOT)}" for path in (DOCS, README)]  # what --write-docs itself changes
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", *generated)
    return commit + (" with uncommitted changes" if changed else "")


def machine(load: Mapping[str, float] | None = None) -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "venv": sys.prefix != sys.base_prefix,  # as .ci/run and a user's install; else the machine's interpreter
        "platform": platform.platform(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "load": dict(load or {}),
    }


# Figures as text: the same functions print the report and write the documents, from the JSON document.


def value_text(value: float, unit: str) -> str:
    if unit == "s":
        return fmt_s(value)
    if unit == "x":
        return f"{value:.2f}x"
    return f"{number(value)} {unit}"


def limit_text(target: Mapping[str, Any]) -> str:
    sign = ">=" if target["higher_is_better"] else "<="
    return f"{sign} {value_text(target['limit'], target['unit'])}"


def ratio_text(target: Mapping[str, Any]) -> str:
    """The figure as a share of its limit (1.00 at the limit; a count whose limit is 0 is exact)."""
    ratio_ = target["ratio"]
    if ratio_ is None:
        return "exact" if target["met"] else "over"
    return f"{ratio_:.2f}"


def gate_text(target: Mapping[str, Any]) -> str:
    """How `--quick` in CI gates the figure."""
    at = target["gate_at"]
    if at is None:
        return "not gated"
    if target["kind"] == COUNT and at == target["limit"]:
        return "exactly"
    sign = "<" if target["higher_is_better"] else ">"
    return f"fails {sign} {value_text(at, target['unit'])}"


def result_text(target: Mapping[str, Any]) -> str:
    if target["kind"] == REPORT:
        return "report only"
    return "met" if target["met"] else ("MISSED (wide)" if target["wide_miss"] else "missed")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def run_text(document: Mapping[str, Any]) -> list[str]:
    info = document["machine"]
    load = info.get("load") or {}
    busy = "load not recorded"
    if load:
        busy = f"1-minute load average {load['start']:.1f} at the start, {load['max']:.1f} at most"
        busy += f", {load['mean']:.1f} on average"
    return [
        f"- Command: `{document['command']}` ({document['mode']} sizes; the run took {document['seconds']:.0f} s)",
        f"- Date: {info['date']}, commit {info.get('commit', 'unknown')}",
        f"- Machine: {info['nproc']} CPUs ({info.get('cpu', 'unknown')}), Python {info['python']}"
        + (" in a virtual environment" if info.get("venv") else "")
        + f", {info['platform']}",
        f"- Load: {busy} (the machine has {info['nproc']} CPUs; wall times grow with it, counts do not)",
    ]


def targets_text(document: Mapping[str, Any], *, headline: bool = False) -> list[str]:
    """One table of every figure (``headline``: only README's, under their README labels)."""
    if headline:
        lines = ["| | measured | limit | of limit |", "|---|---|---|---|"]
    else:
        lines = ["| figure | measured | limit | of limit | result | gate in CI |", "|---|---|---|---|---|---|"]
    for scenario in document["scenarios"]:
        for target in scenario["targets"]:
            measured = value_text(target["value"], target["unit"])
            cells = [measured, limit_text(target), ratio_text(target)]
            if headline:
                if target["headline"]:
                    lines.append("| " + " | ".join(_cell(c) for c in [target["headline"], *cells]) + " |")
                continue
            name = target["name"] + (f" ({target['note']})" if target["note"] else "")
            row = [name, *cells, result_text(target), gate_text(target)]
            lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    return lines


def scenario_text(scenario: Mapping[str, Any]) -> list[str]:
    lines = [f"{scenario['title']} (scenario `{scenario['name']}`, {scenario['seconds']:.0f} s)", ""]
    if scenario["error"]:
        return [*lines, f"CRASHED: {scenario['error']}"]
    lines += ["| | |", "|---|---|"]
    lines += [f"| {_cell(row['label'].strip())} | {_cell(row['value'])} |" for row in scenario["rows"]]
    return lines


def print_report(document: Mapping[str, Any]) -> None:
    print(f"\npulumi-modelarts benchmarks ({document['mode']})")
    print("\n".join(run_text(document)))
    width = 64
    for scenario in document["scenarios"]:
        print(f"\n== {scenario['name']}: {scenario['title']}  [{scenario['seconds']:.1f} s]")
        if scenario["error"]:
            print(f"   CRASHED: {scenario['error']}")
            continue
        for row in scenario["rows"]:
            print(f"   {row['label']:<{width}} {row['value']}")
    print("\n== targets")
    print(f"   {'target':<{width}} {'value':>12} {'limit':>14} {'of limit':>8}  result")
    for scenario in document["scenarios"]:
        for target in scenario["targets"]:
            note = f"  [{target['note']}]" if target["note"] else ""
            print(
                f"   {target['name']:<{width}} {value_text(target['value'], target['unit']):>12}"
                f" {limit_text(target):>14} {ratio_text(target):>8}  {result_text(target)}{note}"
            )


# --- the documents: docs/benchmarks.md and README.md's figures, generated from one run ----------------

DOCS = ROOT / "docs" / "benchmarks.md"
README = ROOT / "README.md"


def replace_block(text: str, name: str, lines: Sequence[str]) -> str:
    """``text`` with what stands between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` replaced."""
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    first = text.find(begin)
    last = text.find(end, first)
    if first < 0 or last < 0:
        raise ValueError(f"no {begin} ... {end} block")
    return text[: first + len(begin)] + "\n" + "\n".join(lines) + "\n" + text[last:]


def document_blocks(document: Mapping[str, Any]) -> dict[Path, dict[str, list[str]]]:
    """The generated blocks of each file, by block name."""
    docs: dict[str, list[str]] = {"run": run_text(document), "targets": targets_text(document)}
    for scenario in document["scenarios"]:
        docs[scenario["name"]] = scenario_text(scenario)
    info = document["machine"]
    load = info.get("load") or {}
    readme = [
        *targets_text(document, headline=True),
        "",
        f"From one run of `{document['command']}` on {info['date']} (commit {info.get('commit', 'unknown')}),"
        f" {info['nproc']} CPUs"
        + (f", load average {load['start']:.1f} at the start and {load['max']:.1f} at most" if load else "")
        + ". Every figure, its CI gate, the scaling series and where the time goes:"
        " [docs/benchmarks.md](docs/benchmarks.md).",
    ]
    return {DOCS: docs, README: {"readme": readme}}


def check_complete(document: Mapping[str, Any]) -> None:
    """The documents are written only from a full run of every scenario, none crashed."""
    names = [scenario["name"] for scenario in document["scenarios"]]
    if document["mode"] != "full" or names != list(SCENARIOS):
        raise SystemExit(
            f"--write-docs needs a full run (not --quick) of every scenario ({', '.join(SCENARIOS)});"
            f" this was a {document['mode']} run of {', '.join(names)}"
        )
    crashed = [scenario["name"] for scenario in document["scenarios"] if scenario["error"]]
    if crashed:
        raise SystemExit(f"--write-docs: scenario(s) crashed: {', '.join(crashed)}")


def write_docs(document: Mapping[str, Any]) -> list[Path]:
    """Regenerate the marked blocks of docs/benchmarks.md and README.md; returns the files that changed."""
    changed = []
    for path, blocks in document_blocks(document).items():
        text = original = path.read_text(encoding="utf-8")
        for name, lines in blocks.items():
            text = replace_block(text, name, lines)
        if text != original:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def run(names: Sequence[str], sizes: Sizes, mode: str, command: str) -> dict[str, Any]:
    """Run the scenarios; the JSON document of the run."""
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    bytecode = Bytecode()
    scenarios: list[Scenario] = []
    with LoadWatch() as load:
        try:
            for name in names:
                print(f"running {name} ...", file=sys.stderr, flush=True)
                begin = time.perf_counter()
                try:
                    scenario = SCENARIOS[name](sizes, work, bytecode)
                except Exception as error:
                    scenario = Scenario(name, "crashed")
                    scenario.error = f"{type(error).__name__}: {error}"
                    traceback.print_exc()
                scenario.seconds = time.perf_counter() - begin
                scenarios.append(scenario)
        finally:
            bytecode.close()
            shutil.rmtree(work, ignore_errors=True)
    document: dict[str, Any] = {
        "mode": mode,
        "command": command,
        "machine": machine(load.summary()),
        "seconds": time.perf_counter() - started,
        "scenarios": [scenario.as_dict() for scenario in scenarios],
    }
    # Through JSON once, so that what is printed and written is exactly what --docs-from reads back.
    loaded: dict[str, Any] = json.loads(json.dumps(document, default=str))
    return loaded


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and few repetitions (CI)")
    parser.add_argument("--json", metavar="FILE", help="write all figures as JSON to FILE ('-' for stdout)")
    parser.add_argument("--only", metavar="NAMES", help=f"comma-separated subset of: {', '.join(SCENARIOS)}")
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="regenerate the figures of docs/benchmarks.md and README.md from this run (full, every scenario)",
    )
    parser.add_argument(
        "--docs-from", metavar="FILE", help="regenerate the documents from the JSON of an earlier full run; no run"
    )
    args = parser.parse_args(argv)
    if args.docs_from:
        document = json.loads(Path(args.docs_from).read_text(encoding="utf-8"))
        check_complete(document)
        changed = write_docs(document)
        print("updated: " + (", ".join(str(path.relative_to(ROOT)) for path in changed) or "nothing (already current)"))
        return 0
    sizes = QUICK if args.quick else FULL
    names = [name.strip() for name in args.only.split(",")] if args.only else list(SCENARIOS)
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; known: {', '.join(SCENARIOS)}")
    if args.write_docs and (args.quick or args.only):
        parser.error("--write-docs needs a full run of every scenario (no --quick, no --only)")

    command = " ".join(["python", "tests/benchmarks/bench.py", *(argv if argv is not None else sys.argv[1:])])
    document = run(names, sizes, "quick" if args.quick else "full", command)
    print_report(document)

    if args.json:
        text = json.dumps(document, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    if any(scenario["error"] for scenario in document["scenarios"]):
        return 2
    if args.write_docs:
        check_complete(document)
        changed = write_docs(document)
        print("\nupdated: " + (", ".join(str(path.relative_to(ROOT)) for path in changed) or "nothing"))
    if args.quick:
        wide = [
            target["name"]
            for scenario in document["scenarios"]
            for target in scenario["targets"]
            if target["wide_miss"]
        ]
        if wide:
            print(f"\nquick mode: missed by a wide margin: {'; '.join(wide)}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
