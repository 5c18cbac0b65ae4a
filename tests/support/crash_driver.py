"""Run `pulumi up` of a program in its own process group, so that a test can kill it mid-create.

Usage: python -m support.crash_driver ENGINE_BIN PROJECT STATE HOME [PROGRAM]
(the stack's config was written by the test before; PROGRAM names a program of programs.py: export (the
default, programs.export_program) or grouping (programs.grouping_program)).
"""

from __future__ import annotations

import sys
from pathlib import Path

from support.programs import export_program, grouping_program
from support.pulumi_engine import EngineStack

PROGRAMS = {"export": export_program, "grouping": grouping_program}

if __name__ == "__main__":
    engine, project, state, home = (Path(arg) for arg in sys.argv[1:5])
    program = PROGRAMS[sys.argv[5] if len(sys.argv) > 5 else "export"]({})
    EngineStack(engine=engine, project=project, state=state, home=home, program=program).up()
