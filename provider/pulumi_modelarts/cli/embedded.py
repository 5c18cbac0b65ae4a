"""An emulator inside the CLI process (``--emulator``): demo data, short task durations, loopback only."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# Fast enough for a demo, slow enough to watch the progress bars move.
DEMO_TASK_SECONDS = 4.0
DEMO_EXPORT_SECONDS = 2.0
DEMO_VERSION_SECONDS = 1.0
DEMO_IMPORT_SECONDS = 2.0


@dataclass(frozen=True)
class EmbeddedEmulator:
    url: str
    project_id: str
    project_name: str
    access_key: str
    secret_key: str

    def settings(self) -> dict[str, Any]:
        """resolve_settings() arguments that point a client at this emulator."""
        return {
            "endpoint": self.url,
            "iam_endpoint": f"{self.url}/v3",
            "region": self.project_name,
            "project_id": self.project_id,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
        }


@contextmanager
def start_embedded_emulator(reading: str = "lenient") -> Iterator[EmbeddedEmulator]:
    """Start the emulator in a thread; ``reading`` is a preset of emulator/readings.py (lenient, cloud-strict)."""
    from pulumi_modelarts.emulator import readings
    from pulumi_modelarts.emulator.app import Application
    from pulumi_modelarts.emulator.config import EmulatorConfig
    from pulumi_modelarts.emulator.server import EmulatorServer

    values: dict[str, Any] = readings.preset(reading)
    config = EmulatorConfig(
        port=0,
        seed="demo",
        task_seconds=DEMO_TASK_SECONDS,
        export_seconds=DEMO_EXPORT_SECONDS,
        version_seconds=DEMO_VERSION_SECONDS,
        import_seconds=DEMO_IMPORT_SECONDS,
        **values,
    )
    app = Application(config)
    server = EmulatorServer(app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    thread.start()
    try:
        yield EmbeddedEmulator(
            url=server.url,
            project_id=config.project_id,
            project_name=config.project_name,
            access_key=config.access_key,
            secret_key=config.secret_key,
        )
    finally:
        server.shutdown()
        server.server_close()
        app.close()
