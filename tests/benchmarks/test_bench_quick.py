"""CI runs the benchmark in its small size: `bench.py --quick` must finish and meet its wide-margin gates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).with_name("bench.py")


@pytest.mark.slow
def test_quick_benchmark(tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["mode"] == "quick"
    names = {scenario["name"] for scenario in document["scenarios"]}
    assert names == {"validate", "plan", "apply", "wait", "blob", "import", "load"}
    assert all(scenario["error"] is None for scenario in document["scenarios"])
