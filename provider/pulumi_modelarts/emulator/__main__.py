"""``python -m pulumi_modelarts.emulator``: run the local ModelArts emulator."""

from __future__ import annotations

import sys

from pulumi_modelarts.emulator.cli import build_parser, main

__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
