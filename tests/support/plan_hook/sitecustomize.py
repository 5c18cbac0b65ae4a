"""Test-only: wraps pulumi_modelarts.cli.plan_file.dumps in subprocesses so the tests validate every plan document.

On PYTHONPATH only while the tests run (tests/support/plan_schema.py puts it there). It imports nothing of the
package ahead of time; another sitecustomize further on the path still runs.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_here = Path(__file__).resolve().parent
sys.path.insert(0, str(_here.parent.parent))  # tests/: the support package
try:
    from support.plan_schema import install_import_hook

    install_import_hook()
finally:
    sys.path.remove(str(_here.parent.parent))

# Chain to a sitecustomize this one shadows, if any.
for _entry in sys.path:
    if _entry and Path(_entry).resolve() != _here:
        _other = Path(_entry) / "sitecustomize.py"
        if _other.is_file():
            _spec = importlib.util.spec_from_file_location("_chained_sitecustomize", _other)
            if _spec is not None and _spec.loader is not None:
                _spec.loader.exec_module(importlib.util.module_from_spec(_spec))
            break
