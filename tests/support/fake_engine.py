"""A stand-in for the Pulumi engine that a test can kill: it serves a gRPC server (the engine's address, which a
provider watches), starts a provider command with that address as its last argument, as the engine does, and
relays the provider's first line (its port). Killing this process is what `kill -9` of `pulumi up` does.

Usage: python fake_engine.py [--shell] COMMAND...
  --shell  start the provider through a shell that stays its parent, as `pulumi-resource-pulumi-python` does
           (so the provider's parent outlives the engine and only the engine's address tells it is gone)
"""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import grpc

if __name__ == "__main__":
    arguments = sys.argv[1:]
    through_shell = arguments[:1] == ["--shell"]
    command = arguments[1:] if through_shell else arguments
    server = grpc.server(ThreadPoolExecutor(max_workers=1))
    address = f"127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}"
    server.start()
    if through_shell:
        command = ["sh", "-c", '"$@"; exit $?', "sh", *command]
    provider = subprocess.Popen([*command, address], stdout=subprocess.PIPE, text=True)
    assert provider.stdout is not None
    print(provider.stdout.readline().strip(), flush=True)
    while True:
        time.sleep(3600)
