"""The benchmark's scenarios at small sizes, checking what does not depend on the machine's load: API calls
per dataset, writes when applying again, status polls and detection latency in virtual time, the provider
blob, and what `validate` and `plan` import. Wall times are never checked here: CI runs `bench.py --quick` as
its own step for those (see docs/benchmarks.md). And the documents' figures are generated from a run's JSON."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench", Path(__file__).with_name("bench.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench", module)
    spec.loader.exec_module(module)
    return module


bench = load_bench()

TINY = bench.Sizes(
    validate_series=(20, 40),
    validate_at=40,
    validate_files=4,
    plan_sizes=((30, 3),),
    naive_plan_sample=3,
    prefetch_widths=(),
    wide_prefetch=None,
    apply_sizes=((12, 3),),
    reps=1,
    cli_reps=1,
    naive_wait=False,
    as_configured=False,
    latency_ms=0,
    apply_task_seconds=(0, 0),
    profile=False,
)


@pytest.fixture(scope="module")
def bytecode() -> Iterator[object]:
    cache = bench.Bytecode()
    yield cache
    cache.close()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["validate", "plan", "apply", "wait", "blob"])
def test_scenario_meets_its_count_targets(name: str, bytecode: object, tmp_path: Path) -> None:
    scenario = bench.SCENARIOS[name](TINY, tmp_path, bytecode)
    checked = [target for target in scenario.targets if target.kind == bench.COUNT]
    assert checked, "a scenario without a load-independent target"
    missed = [f"{t.name}: {t.value} {t.unit} (limit {t.limit})" for t in checked if not t.met]
    assert not missed, missed


def test_counts_gate_exactly_and_wall_times_only_far_beyond_their_target() -> None:
    assert bench.Target("calls", 5, 4, "calls").gate  # one call too many fails CI
    assert not bench.Target("calls", 4, 4, "calls").gate
    slow = bench.Target("plan, CLI", 5.0, 0.8, "s", bench.WALL)
    assert not slow.met and not slow.gate  # 6x over a wall-time target on a loaded machine: reported, not failed
    assert bench.Target("plan, CLI", 0.8 * 30, 0.8, "s", bench.WALL).gate  # a quadratic step is
    assert not bench.Target("what if", 99.0, 0.8, "s", bench.REPORT).gate
    slow_server = bench.Target("throughput", 29.0, 300, "req/s", bench.WALL, higher_is_better=True)
    assert slow_server.gate and slow_server.ratio == pytest.approx(300 / 29)


def _document(*targets: object, mode: str = "full") -> dict[str, Any]:
    """The JSON document of a run with one scenario per name in SCENARIOS, the first holding ``targets``."""
    scenarios = []
    for index, name in enumerate(bench.SCENARIOS):
        scenario = bench.Scenario(name, f"the {name} scenario", rows=[("a row", "a value")])
        if index == 0:
            scenario.targets = list(targets)  # type: ignore[arg-type]
        scenarios.append(scenario.as_dict())
    return {
        "mode": mode,
        "command": "python tests/benchmarks/bench.py --write-docs",
        "machine": bench.machine({"start": 0.4, "end": 0.5, "max": 1.2, "mean": 0.6}),
        "seconds": 300.0,
        "scenarios": scenarios,
    }


def test_the_documents_figures_are_generated_from_the_run_side_by_side_with_their_limits() -> None:
    document = _document(
        bench.Target("plan 5000 over 100 datasets, CLI", 2.0, 2.5, "s", bench.WALL, headline="`plan` 5,000"),
        bench.Target("status calls for a 10-minute task", 18, 20, "calls", headline="status calls"),
        bench.Target("write calls, plan", 0, 0, "calls"),
    )
    for path, blocks in bench.document_blocks(document).items():
        text = path.read_text(encoding="utf-8")
        generated = text
        for name, lines in blocks.items():
            generated = bench.replace_block(generated, name, lines)  # every block has its markers in the file
        again = generated
        for name, lines in blocks.items():
            again = bench.replace_block(again, name, lines)
        assert again == generated  # writing twice changes nothing
    readme = "\n".join(bench.document_blocks(document)[bench.README]["readme"])
    assert "| `plan` 5,000 | 2.00 s | <= 2.50 s | 0.80 |" in readme
    assert "| status calls | 18 calls | <= 20 calls | 0.90 |" in readme
    assert "write calls, plan" not in readme  # not a headline: docs/benchmarks.md only
    targets = "\n".join(bench.document_blocks(document)[bench.DOCS]["targets"])
    assert "| write calls, plan | 0 calls | <= 0 calls | exact | met | exactly |" in targets
    assert "| plan 5000 over 100 datasets, CLI | 2.00 s | <= 2.50 s | 0.80 | met | fails > 25.00 s |" in targets
    run = "\n".join(bench.document_blocks(document)[bench.DOCS]["run"])
    assert "python tests/benchmarks/bench.py --write-docs" in run and "load average 0.4 at the start" in run


def test_documents_are_written_only_from_a_full_run_of_every_scenario() -> None:
    with pytest.raises(SystemExit):
        bench.check_complete(_document(mode="quick"))
    partial = _document()
    partial["scenarios"] = partial["scenarios"][1:]
    with pytest.raises(SystemExit):
        bench.check_complete(partial)
    crashed = _document()
    crashed["scenarios"][0]["error"] = "RuntimeError: boom"
    with pytest.raises(SystemExit):
        bench.check_complete(crashed)
    bench.check_complete(_document())
    with pytest.raises(ValueError, match="no <!-- bench:missing -->"):
        bench.replace_block("no markers here", "missing", ["x"])
