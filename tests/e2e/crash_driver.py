"""Run `pulumi up` of the export program in its own process group, so that a test can kill it mid-create.

Usage: python crash_driver.py ENGINE_BIN PROJECT STATE HOME
(the stack's config was written by the test before; the program is programs.export_program).
"""

from __future__ import annotations

import sys
from pathlib import Path

from programs import export_program
from pulumi_engine import EngineStack

if __name__ == "__main__":
    engine, project, state, home = (Path(arg) for arg in sys.argv[1:5])
    EngineStack(engine=engine, project=project, state=state, home=home, program=export_program({})).up()
