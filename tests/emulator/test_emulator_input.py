"""Input the emulator must read right or refuse: seed files that cannot be true, chunked request bodies."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from pulumi_modelarts.emulator import seed
from support.emu_helpers import FLOWERS, dataset_id, get_token, token_client
from support.emulator_process import EmulatorProcess


def _dataset(**extra: Any) -> dict[str, Any]:
    return {"name": "d", "labels": ["a", "b"], "samples": 10, **extra}


@pytest.mark.parametrize(
    ("datasets", "message"),
    [
        ([_dataset(labelled=11)], r"'labelled' \(11\) is more than 'samples' \(10\)"),
        ([_dataset(labelled={"a": 6, "b": 5})], r"'labelled' \(11\) is more than 'samples' \(10\)"),
        ([_dataset(samples=0, labelled=1)], r"'labelled' \(1\) is more than 'samples' \(0\)"),
        ([_dataset(labelled={"a": -1})], "must not be negative"),
        ([_dataset(), _dataset()], r"datasets\[1\]: dataset name 'd' is given twice"),
    ],
)
def test_impossible_seed_files_are_refused(tmp_path: Path, datasets: list[dict[str, Any]], message: str) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"datasets": datasets}), encoding="utf-8")
    with pytest.raises(seed.SeedError, match=message):
        seed.load(str(path))


@pytest.mark.parametrize("labelled", [10, {"a": 5, "b": 5}, 0])
def test_seed_files_at_the_limits_are_accepted(tmp_path: Path, labelled: Any) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"datasets": [_dataset(labelled=labelled), _dataset(name="e")]}), encoding="utf-8")
    assert [item["name"] for item in seed.load(str(path))["datasets"]] == ["d", "e"]


def _read_answer(sock: socket.socket) -> bytes:
    """Status line, headers and the Content-Length body of one answer."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += sock.recv(4096)
    return head + b"\r\n\r\n" + body


def test_a_chunked_body_with_extensions_and_trailers_is_read_whole(emulator: EmulatorProcess) -> None:
    """A raw HTTP/1.1 request with Transfer-Encoding: chunked; the task must carry the name sent."""
    token = get_token(emulator)
    with token_client(emulator, token) as client:
        flowers = dataset_id(client, FLOWERS)
        body = json.dumps({"task_type": "auto-grouping", "config": {"name": "chunky", "n_clusters": 2}}).encode()
        parts = (body[:7], body[7:30], body[30:])
        chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\nX-Trailer: t\r\n\r\n"
        address = urlsplit(emulator.url)
        head = (
            f"POST /v2/{emulator.project_id}/datasets/{flowers}/tasks HTTP/1.1\r\nHost: {address.netloc}\r\n"
            f"X-Auth-Token: {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        with socket.create_connection((address.hostname, address.port or 80), timeout=10) as sock:
            sock.sendall(head.encode() + chunks)
            answer = _read_answer(sock)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
        task_id = json.loads(answer.split(b"\r\n\r\n", 1)[1])["task_id"]
        task = client.get(f"/datasets/{flowers}/tasks/{task_id}").json()
        assert task["config"] == {"name": "chunky", "n_clusters": 2}
