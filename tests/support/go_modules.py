"""Files of Pulumi's Go modules in the local Go module cache (schemas the tests validate against, offline).

The engine build (scripts/pulumi-engine.sh) fills the cache; without it, the tests that need a file skip.
"""

from __future__ import annotations

import os
from pathlib import Path


def module_file(pattern: str) -> Path | None:
    """The newest file matching ``pattern`` (``github.com/pulumi/pulumi/sdk/v3@*/...``) in the module cache."""
    roots = [os.environ.get("GOMODCACHE"), str(Path(os.environ.get("GOPATH") or Path.home() / "go") / "pkg" / "mod")]
    for root in filter(None, roots):
        found = sorted(Path(root).glob(pattern))
        if found:
            return found[-1]
    return None
