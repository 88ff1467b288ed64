"""Warm Lambda sandboxes: one worker process each, and a pool of them per function version.

A worker that died while idle is replaced before the next invocation, which then does not fail:
on AWS a dead execution environment is simply not reused. A worker that dies while its handler
runs fails that invocation with ``Runtime.ExitError``, as on AWS. The worker's ack (see
``worker.py``) tells the two apart: no ack means the event never reached the handler.
"""

from __future__ import annotations

import json
import queue
import site
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imgfan.local.faults import FaultInjector
from imgfan.local.layer_imports import host_supplied_modules
from imgfan.local.tally import Tally

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
# Lambda gives the init phase (imports, module-level clients) 10 s of its own, apart from the
# function's timeout; when it runs over, init is retried inside the invocation's timeout.
INIT_SECONDS = 10
# A kill injected "while the handler runs" lands this long after the handler started, at most.
KILL_WINDOW_SECONDS = 0.2


@dataclass(frozen=True)
class FunctionSpec:
    """What identifies a warm pool: a change of code or configuration starts fresh workers."""

    name: str
    arn: str
    handler: str
    timeout: int
    memory_size: int
    environment: tuple[tuple[str, str], ...]
    code_sha: str
    layer_shas: tuple[str, ...]


@dataclass(frozen=True)
class SandboxFaults:
    """The faults decided for one invocation."""

    delay: float = 0.0
    kill_after: float | None = None
    idle_kill: bool = False


class NotDelivered(Exception):
    """The worker died before its handler received the event; another worker may take it."""


def runtime_error(error_type: str, message: str, request_id: str) -> dict:
    return {"errorType": error_type, "errorMessage": message, "requestId": request_id}


def _exit_reason(returncode: int | None) -> str:
    # Lambda's wording: "Runtime exited with error: signal: killed" / "exit status 3".
    if returncode is not None and returncode < 0:
        return "signal: killed" if returncode == -9 else f"signal: {-returncode}"
    return f"exit status {returncode}"


class WorkerProcess:
    def __init__(self, spec: FunctionSpec, task_root: Path, layer_paths: list[Path], env: dict[str, str],
                 log_sink: Callable[[str, str], None]):
        self.spec = spec
        boot = {
            "task_root": str(task_root),
            "handler": spec.handler,
            "layer_paths": [str(p) for p in layer_paths],
            "site_packages": site.getsitepackages(),
            "from_host": sorted({name for p in layer_paths for name in host_supplied_modules(p)}),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-S", "-u", str(WORKER_SCRIPT), json.dumps(boot)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, text=True, bufsize=1,
        )
        self._lines: queue.Queue[dict | None] = queue.Queue()
        # True once the worker has sent the reply of the request in hand: a death after that
        # happened while idle, however soon the pool notices it.
        self.answered = False
        threading.Thread(target=self._pump_lines, daemon=True).start()
        threading.Thread(target=self._pump_logs, args=(log_sink,), daemon=True).start()

    def _pump_lines(self) -> None:
        for line in self.process.stdout:  # type: ignore[union-attr]
            self._lines.put(json.loads(line))
        self._lines.put(None)

    def _pump_logs(self, sink: Callable[[str, str], None]) -> None:
        for line in self.process.stderr:  # type: ignore[union-attr]
            sink(self.spec.name, line.rstrip("\n"))

    def _next_line(self, timeout: float) -> dict | None:
        """The worker's next line; None once it has exited. queue.Empty when it is too slow."""
        return self._lines.get(timeout=timeout)

    def wait_ready(self) -> bool:
        """True once the init phase is over; False if the worker died or overran it (then killed)."""
        try:
            ready = self._next_line(INIT_SECONDS + self.spec.timeout)
        except queue.Empty:
            ready = None
        if ready is None:
            self.kill()
            return False
        return True

    def call(self, event: Any, request_id: str, faults: SandboxFaults) -> tuple[Any, bool]:
        """(payload, errored); raises NotDelivered if the worker was already dead."""
        request = {"request_id": request_id, "event": event, "timeout": self.spec.timeout, "delay": faults.delay}
        self.answered = False
        try:
            self.process.stdin.write(json.dumps(request) + "\n")  # type: ignore[union-attr]
            self.process.stdin.flush()  # type: ignore[union-attr]
            if self._next_line(self.spec.timeout) is None:
                raise NotDelivered
            if faults.kill_after is not None:
                time.sleep(faults.kill_after)
                self.kill()
                return self._exit_error(request_id), True
            reply = self._next_line(self.spec.timeout)
        except (BrokenPipeError, OSError):
            raise NotDelivered from None
        except queue.Empty:
            # Like Lambda: the sandbox is torn down and the invocation fails with a timeout.
            self.kill()
            message = f"Task timed out after {self.spec.timeout:.2f} seconds"
            return runtime_error("Sandbox.Timedout", message, request_id), True
        if reply is None:
            return self._exit_error(request_id), True
        self.answered = True
        if faults.idle_kill:
            self.process.kill()  # not reaped here: the pool must notice on its own
        return reply["payload"], reply["errored"]

    def _exit_error(self, request_id: str) -> dict:
        reason = _exit_reason(self.process.wait())
        return runtime_error("Runtime.ExitError", f"RequestId: {request_id} Error: Runtime exited with error: {reason}",
                             request_id)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive:
            self.process.kill()
        self.process.wait()


class WorkerPool:
    """Up to ``size`` warm workers for one function version; callers wait for a free one."""

    def __init__(self, spec: FunctionSpec, factory: Callable[[], WorkerProcess], size: int,
                 faults: FaultInjector, tally: Tally, on_invoked: Callable[[str, float], None] = lambda *_: None):
        self.spec = spec
        self._factory = factory
        self._faults = faults
        self._tally = tally
        self._on_invoked = on_invoked  # (function name, seconds a worker was busy with it)
        self._idle: queue.LifoQueue[WorkerProcess] = queue.LifoQueue()
        self._slots = threading.Semaphore(size)
        self._all: list[WorkerProcess] = []
        self._lock = threading.Lock()

    def invoke(self, event: Any) -> tuple[Any, bool]:
        request_id = str(uuid.uuid4())
        faults = self._decide_faults()
        with self._slots:
            started = time.monotonic()
            try:
                return self._deliver(event, request_id, faults)
            finally:
                self._on_invoked(self.spec.name, time.monotonic() - started)

    def _deliver(self, event: Any, request_id: str, faults: SandboxFaults) -> tuple[Any, bool]:
        # A worker found dead is replaced and the event handed to another. Any number of idle
        # ones may be dead (a killed process looks alive until the kernel has reaped it, so
        # several can wait in the pool); two *fresh* ones dying before they take the event
        # means something kills fresh workers, which the caller must hear about.
        fresh_deaths = 0
        while fresh_deaths < 2:
            worker, fresh = self._checkout()
            if worker is None:
                return runtime_error("Runtime.ExitError", "Runtime exited during init", request_id), True
            try:
                payload, errored = worker.call(event, request_id, faults)
            except NotDelivered:
                self._tally.add("idle_deaths_replaced")
                self._retire(worker)
                fresh_deaths += fresh
                continue
            self._checkin(worker)
            return payload, errored
        return runtime_error("Runtime.ExitError", "two fresh workers exited before the invocation", request_id), True

    def _decide_faults(self) -> SandboxFaults:
        name = self.spec.name
        delay = self._faults.plan.latency_seconds if self._faults.roll("latency", name) else 0.0
        kill_after = self._faults.uniform("kill", 0, KILL_WINDOW_SECONDS) if self._faults.roll("kill", name) else None
        return SandboxFaults(delay, kill_after, self._faults.roll("idle-kill", name))

    def _checkout(self) -> tuple[WorkerProcess | None, bool]:
        """(an idle live worker, False), or (a fresh one after its init, True); None if that init failed."""
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            if worker.alive:
                return worker, False
            self._tally.add("idle_deaths_replaced")
            self._retire(worker)
        worker = self._factory()
        self._tally.add("cold_starts")
        with self._lock:
            self._all.append(worker)
        if worker.wait_ready():
            return worker, True
        self._retire(worker)
        return None, True

    def _checkin(self, worker: WorkerProcess) -> None:
        if worker.alive:
            self._idle.put(worker)
            return
        # Dead after answering is an idle death, found here rather than by the next checkout
        # when it dies quickly: uncounted, the tally depended on how fast the kernel reaped it.
        # Dead without an answer died in its invocation, which call() already failed.
        if worker.answered:
            self._tally.add("idle_deaths_replaced")
        self._retire(worker)

    def _retire(self, worker: WorkerProcess) -> None:
        worker.kill()
        with self._lock:
            if worker in self._all:  # close() may have emptied the list meanwhile
                self._all.remove(worker)

    def close(self) -> None:
        with self._lock:
            for worker in self._all:
                worker.kill()
            self._all.clear()
