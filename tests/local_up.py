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
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Started:
    """What a running ``imgfan local up`` printed until it was ready, line by line (newlines kept),
    and its process: ``process.returncode`` is its exit status once the ``with`` block has left."""

    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.lines)


@contextlib.contextmanager
def local_up(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 240):
    """Start ``command`` (an ``imgfan local up``), yield it (``Started``) once it is ready, stop it
    with Ctrl-C (SIGINT) as a user would; killed if it has not exited 30 s later."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=env | {"PYTHONUNBUFFERED": "1"})
    started = Started(process)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            started.lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        yield started
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def denied_calls(endpoint_url: str) -> list[dict]:
    """The calls its functions made that their roles do not allow (the IAM audit, GET /_imgfan/faults)."""
    with urllib.request.urlopen(f"{endpoint_url}/_imgfan/faults", timeout=10) as response:
        return json.loads(response.read())["denied"]
