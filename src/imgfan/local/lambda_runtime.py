"""The embedded cloud's Lambda runtime: warm worker processes behind moto's Lambda Invoke.

moto runs Lambda code in Docker, which this project cannot rely on. ``install()`` replaces
``moto.awslambda.models.LambdaFunction._invoke_lambda`` (the one hook point, checked by
``assert_hook_point``) with :meth:`LocalLambdaRuntime.invoke`, which runs the *deployed* code:
the function's zip and its layers' zips, unpacked from moto's own records of them.

Each function gets its own pool of warm processes, started with only that function's
environment, so functions never share environment variables and two cores are really used.
A handler exception or timeout becomes a Lambda function error (``errorType`` in the payload),
which is what the state machine's Retry and Catch match on.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import json
import logging
import os
import queue
import re
import site
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger("imgfan.local.lambda")

WORKER_SCRIPT = Path(__file__).with_name("worker.py")


def assert_hook_point() -> None:
    """Fail loudly if moto moved the invoke hook this runtime replaces.

    Reads moto's module source rather than the class attribute, which ``install`` replaces.
    """
    from moto.awslambda import models

    source = inspect.getsource(models)
    if not re.search(r"def _invoke_lambda\(\s*self,\s*event\b", source):
        raise RuntimeError("moto.awslambda.models.LambdaFunction._invoke_lambda(self, event) is gone or changed; "
                           "the local Lambda runtime cannot hook in")
    if "self._invoke_lambda(event=" not in inspect.getsource(models.LambdaFunction.invoke):
        raise RuntimeError("moto's LambdaFunction.invoke no longer calls self._invoke_lambda(event=...)")


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


class WorkerProcess:
    def __init__(self, spec: FunctionSpec, task_root: Path, layer_paths: list[Path], base_env: dict[str, str],
                 log_sink: Callable[[str, str], None]):
        self.spec = spec
        env = {
            **base_env,
            **dict(spec.environment),
            "_HANDLER": spec.handler,
            "LAMBDA_TASK_ROOT": str(task_root),
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout),
            "IMGFAN_LOCAL_FUNCTION_ARN": spec.arn,
        }
        boot = {
            "task_root": str(task_root),
            "handler": spec.handler,
            "layer_paths": [str(p) for p in layer_paths],
            "site_packages": site.getsitepackages(),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-S", "-u", str(WORKER_SCRIPT), json.dumps(boot)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            bufsize=1,
        )
        self._results: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump_results, daemon=True).start()
        threading.Thread(target=self._pump_logs, args=(log_sink,), daemon=True).start()

    def _pump_results(self) -> None:
        for line in self.process.stdout:  # type: ignore[union-attr]
            self._results.put(line)
        self._results.put(None)

    def _pump_logs(self, sink: Callable[[str, str], None]) -> None:
        for line in self.process.stderr:  # type: ignore[union-attr]
            sink(self.spec.name, line.rstrip("\n"))

    def call(self, event: Any, request_id: str) -> tuple[dict | Any, bool]:
        request = {"request_id": request_id, "event": event, "timeout": self.spec.timeout}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")  # type: ignore[union-attr]
            self.process.stdin.flush()  # type: ignore[union-attr]
        except (BrokenPipeError, OSError):
            return _runtime_error("Runtime.ExitError", "worker process exited before the invocation", request_id), True
        try:
            line = self._results.get(timeout=self.spec.timeout)
        except queue.Empty:
            # Like Lambda: the sandbox is torn down and the invocation fails with a timeout.
            self.kill()
            message = f"Task timed out after {self.spec.timeout:.2f} seconds"
            return _runtime_error("Sandbox.Timedout", message, request_id), True
        if line is None:
            code = self.process.wait()
            return _runtime_error("Runtime.ExitError", f"worker exited with status {code}", request_id), True
        reply = json.loads(line)
        return reply["payload"], reply["errored"]

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive:
            self.process.kill()
        self.process.wait()


def _runtime_error(error_type: str, message: str, request_id: str) -> dict:
    return {"errorType": error_type, "errorMessage": message, "requestId": request_id}


class WorkerPool:
    """Up to ``size`` warm workers for one function version; callers wait for a free one."""

    def __init__(self, spec: FunctionSpec, factory: Callable[[], WorkerProcess], size: int):
        self.spec = spec
        self._factory = factory
        self._idle: queue.LifoQueue[WorkerProcess] = queue.LifoQueue()
        self._slots = threading.Semaphore(size)
        self._all: list[WorkerProcess] = []
        self._lock = threading.Lock()

    def invoke(self, event: Any) -> tuple[Any, bool]:
        request_id = str(uuid.uuid4())
        with self._slots:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                worker = self._factory()
                with self._lock:
                    self._all.append(worker)
            payload, errored = worker.call(event, request_id)
            if worker.alive:
                self._idle.put(worker)
            else:
                with self._lock:
                    if worker in self._all:  # close() may have emptied the list meanwhile
                        self._all.remove(worker)
            return payload, errored

    def close(self) -> None:
        with self._lock:
            for worker in self._all:
                worker.kill()
            self._all.clear()


class LocalLambdaRuntime:
    def __init__(self, work_dir: Path, endpoint_url: str, region: str = "us-east-1", workers_per_function: int = 2,
                 log_sink: Callable[[str, str], None] | None = None):
        self.work_dir = Path(work_dir)
        self.endpoint_url = endpoint_url
        self.region = region
        self.workers_per_function = workers_per_function
        self.log_sink = log_sink or (lambda name, line: logger.debug("[%s] %s", name, line))
        self._pools: dict[str, WorkerPool] = {}
        self._lock = threading.Lock()
        # Names of functions whose invocation failed, newest last; bounded so `local up` can run for days.
        self.failed_functions: deque[str] = deque(maxlen=100)

    # The base environment a Lambda sandbox provides; the function's own variables go on top.
    def _base_env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            # No X-Ray daemon runs locally; the tracer would only log missing-segment noise.
            "POWERTOOLS_TRACE_DISABLED": "true",
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def _unpack(self, kind: str, data: bytes) -> tuple[str, Path]:
        sha = hashlib.sha256(data).hexdigest()[:20]
        target = self.work_dir / kind / sha
        if not target.exists():
            partial = target.with_name(f"{sha}.partial-{uuid.uuid4().hex[:6]}")
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                archive.extractall(partial)
            try:
                partial.rename(target)
            except OSError:  # another thread unpacked the same zip first
                pass
        return sha, target

    def _pool_for(self, function: Any) -> WorkerPool:
        from moto.awslambda.models import get_backend

        code_sha, task_root = self._unpack("code", function.code_bytes)
        backend = get_backend(function.account_id, function.region)
        layer_shas, layer_paths = [], []
        for layer in function.layers:
            layer_version = backend.layers_versions_by_arn(layer["Arn"])
            sha, root = self._unpack("layers", layer_version.code_bytes)
            layer_shas.append(sha)
            layer_paths.append(root / "python")
        spec = FunctionSpec(
            name=function.function_name,
            arn=function.function_arn,
            handler=function.handler,
            timeout=int(function.timeout),
            memory_size=int(function.memory_size),
            environment=tuple(sorted((k, str(v)) for k, v in (function.environment_vars or {}).items())),
            code_sha=code_sha,
            layer_shas=tuple(layer_shas),
        )
        with self._lock:
            pool = self._pools.get(spec.arn)
            if pool is None or pool.spec != spec:
                if pool is not None:
                    pool.close()
                pool = WorkerPool(
                    spec,
                    lambda: WorkerProcess(spec, task_root, layer_paths, self._base_env(), self.log_sink),
                    self.workers_per_function,
                )
                self._pools[spec.arn] = pool
        return pool

    def invoke(self, function: Any, event: Any) -> tuple[str, bool, str]:
        """The replacement for moto's ``_invoke_lambda``: (payload JSON, errored, log tail)."""
        if isinstance(event, (str, bytes)):
            event = json.loads(event or "{}")
        started = time.monotonic()
        payload, errored = self._pool_for(function).invoke(event)
        if errored:
            self.failed_functions.append(function.function_name)
        logger.debug("%s finished in %.0f ms (errored=%s)", function.function_name,
                     (time.monotonic() - started) * 1000, errored)
        return json.dumps(payload), errored, ""

    def close(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()


def install(runtime: LocalLambdaRuntime) -> None:
    """Route every moto Lambda invocation in this process to ``runtime``."""
    assert_hook_point()
    from moto.awslambda.models import LambdaFunction

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return runtime.invoke(self, event)

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
