"""Test-only: wraps pulumi_modelarts.cli.plan_file.dumps in subprocesses so the tests validate every plan document.

On PYTHONPATH only while the tests run (tests/support/plan_schema.py puts it there). It imports nothing of the
package ahead of time, registers no module name a program could expect to be its own, and a sitecustomize it
shadows further on the path still runs.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_here = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("_pulumi_modelarts_plan_spool", _here.parent / "plan_schema.py")
if _spec is not None and _spec.loader is not None:
    _module = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_module)
    _module.install_import_hook()

for _entry in sys.path:  # chain to a sitecustomize this one shadows, if any
    if _entry and Path(_entry).resolve() != _here:
        _other = Path(_entry) / "sitecustomize.py"
        if _other.is_file():
            _chained = importlib.util.spec_from_file_location("_chained_sitecustomize", _other)
            if _chained is not None and _chained.loader is not None:
                _chained.loader.exec_module(importlib.util.module_from_spec(_chained))
            break
