"""examples/pulumi-yaml: the Pulumi YAML program, run through the plugin the way the engine would.

Without the Pulumi CLI, a few lines below play the YAML language host: config defaults, ``fn::invoke``,
``${resource.output}`` references in declaration order, ``customTimeouts``. Each resource goes through
the plugin's Check, Diff and Create, as `pulumi up` does.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml

from pulumi_modelarts.plugin import names
from support.emulator_process import EmulatorProcess
from support.plugin_host import PluginHost

PROGRAM = Path(__file__).resolve().parents[2] / "examples" / "pulumi-yaml" / "Pulumi.yaml"
REFERENCE = re.compile(r"\$\{([^}]+)\}")
UNITS = {"s": 1, "m": 60, "h": 3600}


def _resolve(value: Any, scope: dict[str, Any]) -> Any:
    def lookup(path: str) -> Any:
        head, _, attribute = path.partition(".")
        found = scope[head]
        return found[attribute] if attribute else found

    if isinstance(value, str):
        whole = REFERENCE.fullmatch(value)
        return lookup(whole.group(1)) if whole else REFERENCE.sub(lambda m: str(lookup(m.group(1))), value)
    if isinstance(value, dict):
        return {key: _resolve(item, scope) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, scope) for item in value]
    return value


def run_program(
    plugin: PluginHost, config: dict[str, Any], state: dict[str, tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    """One `pulumi up`: creates what is new, replaces what the plugin's diff says; returns the outputs."""
    program = yaml.safe_load(PROGRAM.read_text(encoding="utf-8"))
    scope: dict[str, Any] = {key: config.get(key, spec["default"]) for key, spec in program["config"].items()}
    for name, variable in program["variables"].items():
        call = variable["fn::invoke"]
        result, failures = plugin.invoke(call["function"], _resolve(call["arguments"], scope))
        assert failures == []
        scope[name] = result
    for name, resource in program["resources"].items():
        token, news = resource["type"], _resolve(resource["properties"], scope)
        inputs, failures = plugin.check(token, name, news)
        assert failures == [], failures
        timeout = resource.get("options", {}).get("customTimeouts", {}).get("create", "0s")
        if name in state:
            resource_id, olds = state[name]
            diff = plugin.diff(token, name, resource_id, olds, inputs)
            if diff.changes != diff.DIFF_SOME:
                scope[name] = olds
                continue
            assert list(diff.replaces), "the example's resources change only by replacement"
        state[name] = plugin.create(token, name, inputs, timeout=int(timeout[:-1]) * UNITS[timeout[-1]])
        scope[name] = state[name][1]
    return _resolve(program["outputs"], scope)  # type: ignore[no-any-return]


def test_yaml_promotion_flow(plugin: PluginHost, sentinel_emulator: EmulatorProcess) -> None:
    state: dict[str, tuple[str, dict[str, Any]]] = {}

    outputs = run_program(plugin, {}, state)

    assert outputs["promotedVersion"] == "V002" == outputs["currentVersion"]
    released, _ = plugin.invoke("modelarts:index:getDataset", {"datasetName": "flowers-release-V002"})
    assert outputs["newDatasetId"] == released["datasetId"]

    # `pulumi up` again: every diff is empty, nothing is written.
    sentinel_emulator.reset_stats()
    assert run_program(plugin, {}, state) == outputs
    assert sentinel_emulator.stats()["writes"] == 0

    # The promotion to V001 is one config line; the gate stops it at the preview (Diff), before any
    # merge: V001 has 30 of 120 samples annotated.
    ref_id, ref_state = state["candidate"]
    recorded = {names.camel(key): ref_state[names.camel(key)] for key in ref_state["spec_keys"]}
    with pytest.raises(grpc.RpcError) as failure:
        plugin.diff(
            "modelarts:index:DatasetVersionRef",
            "candidate",
            ref_id,
            ref_state,
            {**recorded, "versionName": "V001"},
        )
    assert "annotated ratio is 0.250 (30/120), required at least 0.3" in str(failure.value.details())  # type: ignore[attr-defined]
    assert state["promote"][1]["versionId"] == outputs["promotedVersionId"]
