"""`imgfan local up` as a foreground process for the tests: a cloud of its own, in a process of
its own (moto's state is process-wide, so a second cloud inside the suite's process would share
and then reset the suite's)."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Started:
    """What a running ``imgfan local up`` printed, line by line (newlines kept): until it was ready
    inside the ``with`` block, everything once the block has left; and its process, whose
    ``process.returncode`` is its exit status then."""

    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.lines)


def with_sigint(disposition: signal.Handlers, command: list[str]) -> list[str]:
    """``command``, exec'd with SIGINT set to ``disposition`` and SIGTERM and SIGHUP to their defaults
    first. Dispositions are inherited, and an ignored signal stays ignored across exec: a suite run
    in the background or under ``nohup`` would otherwise hand its children SIGINT or SIGHUP ignored.
    (preexec_fn would do the same but is unsafe in a suite that runs threads.)"""
    launcher = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.Handlers(int(sys.argv[1]))); "
                "[signal.signal(s, signal.SIG_DFL) for s in (signal.SIGTERM, signal.SIGHUP)]; "
                "os.execvp(sys.argv[2], sys.argv[2:])")
    return [sys.executable, "-c", launcher, str(int(disposition)), *command]


def from_a_terminal(command: list[str]) -> list[str]:
    """``command`` with Ctrl-C's default action, as a user's terminal starts it: a suite started in the
    background by a non-interactive shell (``make test &``, a load harness) hands its children SIGINT
    ignored, and one under ``nohup`` SIGHUP."""
    return with_sigint(signal.SIG_DFL, command)


def from_a_script(command: list[str]) -> list[str]:
    """``command`` as ``imgfan local up &`` in a script starts it: SIGINT ignored, only ``kill`` (SIGTERM) reaches it."""
    return with_sigint(signal.SIG_IGN, command)


READY_PROMPTS = ("Press Ctrl-C", "Stop it with: kill")


@contextlib.contextmanager
def local_up(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 240, background: bool = False):
    """Start ``command`` (an ``imgfan local up``), yield it (``Started``) once it is ready, then stop it
    as its user would: Ctrl-C (SIGINT) from a terminal, ``kill`` (SIGTERM) when it was started in the
    ``background`` by a script. Killed if it has not exited 30 s later (its exit status is then -9)."""
    started_as = from_a_script if background else from_a_terminal
    process = subprocess.Popen(started_as(command), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, env=env | {"PYTHONUNBUFFERED": "1"})
    started = Started(process)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            started.lines.append(line)
            if line.startswith(READY_PROMPTS):
                break
        yield started
    finally:
        process.send_signal(signal.SIGTERM if background else signal.SIGINT)
        try:
            started.lines.extend(process.communicate(timeout=30)[0].splitlines(keepends=True))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def denied_calls(endpoint_url: str) -> list[dict]:
    """The calls its functions made that their roles do not allow (the IAM audit, GET /_imgfan/faults)."""
    with urllib.request.urlopen(f"{endpoint_url}/_imgfan/faults", timeout=10) as response:
        return json.loads(response.read())["denied"]
