from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pulumi_modelarts.api.auth import clear_caches
from support.emulator_process import FAST_FLAGS, EmulatorProcess
from support.faultkit import (
    SENTINEL_AK,
    SENTINEL_PASSWORD,
    SENTINEL_SK,
    Cli,
    EmulatorFactory,
    InProcess,
    RecordedSleep,
    Transcript,
    collect_emulator_output,
)
from support.reconcile import make_ctx


@pytest.fixture(autouse=True)
def transcript(caplog: pytest.LogCaptureFixture) -> Iterator[Transcript]:
    """Collects everything the test produces; afterwards no secret may appear anywhere in it, and no
    emulator may have logged an internal error."""
    caplog.set_level(logging.DEBUG)
    clear_caches()  # cached tokens and project ids belong to emulators of earlier tests
    collected = Transcript()
    yield collected
    internal = collect_emulator_output(collected)
    for phase in ("setup", "call"):  # caplog.text would show the teardown phase only
        records = caplog.get_records(phase)
        collected.add(f"log records ({phase})", "\n".join(f"{r.name} {r.getMessage()}" for r in records))
    leaks = collected.leaks()
    assert not leaks, "secrets leaked:\n" + "\n".join(leaks)
    assert not internal, "the emulator hit internal errors:\n" + "\n".join(internal)


@pytest.fixture
def faulty(emulator_factory: EmulatorFactory, transcript: Transcript) -> EmulatorFactory:
    """Start an emulator with demo data, fast tasks, the admin API and sentinel credentials."""

    def start(*extra: str, seed: str | None = "demo", port: int = 0, fast: bool = True) -> EmulatorProcess:
        flags = [*(FAST_FLAGS if fast else ("--admin",)), *extra]
        if seed:
            flags += ["--seed", seed]
        flags += ["--access-key", SENTINEL_AK, "--secret-key", SENTINEL_SK, "--password", SENTINEL_PASSWORD]
        emulator = emulator_factory(*flags, fast=False, port=port)
        transcript.watch(emulator)
        return emulator

    return start


@pytest.fixture
def cli(transcript: Transcript, tmp_path: Path) -> Cli:
    return Cli(transcript, tmp_path)


@pytest.fixture
def in_process(transcript: Transcript) -> Iterator[Callable[..., InProcess]]:
    made: list[InProcess] = []

    def make(emulator: EmulatorProcess, **settings: Any) -> InProcess:
        sleep = RecordedSleep()
        messages: list[str] = []
        ctx = make_ctx(emulator, messages, client_sleep=sleep, **settings)
        made.append(InProcess(ctx.client, ctx, sleep, messages))
        return made[-1]

    yield make
    for run in made:
        run.client.close()
        transcript.add("reconcile log", "\n".join(run.messages))
