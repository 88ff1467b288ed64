"""`imgfan local up` as a foreground process for the tests: a cloud of its own, in a process of
its own (moto's state is process-wide, so a second cloud inside the suite's process would share
and then reset the suite's)."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import time
import urllib.request
from pathlib import Path


@contextlib.contextmanager
def local_up(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 240):
    """Start ``command`` (an ``imgfan local up``), yield what it printed once it is ready, stop it."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=env | {"PYTHONUNBUFFERED": "1"})
    printed: list[str] = []
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            printed.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        yield "".join(printed)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def denied_calls(endpoint_url: str) -> list[dict]:
    """The calls its functions made that their roles do not allow (the IAM audit, GET /_imgfan/faults)."""
    with urllib.request.urlopen(f"{endpoint_url}/_imgfan/faults", timeout=10) as response:
        return json.loads(response.read())["denied"]
