"""The embedded cloud's Lambda runtime: warm worker processes behind moto's Lambda Invoke.

moto runs Lambda code in Docker, which this project cannot rely on. ``install()`` replaces
``moto.awslambda.models.LambdaFunction._invoke_lambda`` (the one hook point, checked by
``assert_hook_point``) with :meth:`LocalLambdaRuntime.invoke`, which runs the *deployed* code:
the function's zip and its layers' zips, unpacked from moto's own records of them.

Each function gets its own pool of warm processes (``sandbox.py``), started with only that
function's environment and credentials of its own, so functions never share environment
variables and two cores are really used. A handler exception or timeout becomes a Lambda
function error (``errorType`` in the payload), which is what the state machine's Retry and
Catch match on.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import io
import json
import logging
import os
import re
import threading
import time
import uuid
import zipfile
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imgfan.local.faults import FaultInjector
from imgfan.local.sandbox import FunctionSpec, WorkerPool, WorkerProcess
from imgfan.local.tally import Tally

logger = logging.getLogger("imgfan.local.lambda")


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


class LocalLambdaRuntime:
    def __init__(self, work_dir: Path, endpoint_url: str, region: str = "us-east-1", workers_per_function: int = 2,
                 log_sink: Callable[[str, str], None] | None = None, faults: FaultInjector | None = None):
        self.work_dir = Path(work_dir)
        self.endpoint_url = endpoint_url
        self.region = region
        self.workers_per_function = workers_per_function
        self.log_sink = log_sink or (lambda name, line: logger.debug("[%s] %s", name, line))
        self.faults = faults or FaultInjector()
        self.tally = Tally()
        # Per function: invocations, and milliseconds a worker was busy with them (init of a
        # fresh worker included, waiting for a free one not): Lambda's billed duration, which
        # with the rate sizes its concurrency.
        self.invocations = Tally()
        self.invocation_ms = Tally()
        self._pools: dict[str, WorkerPool] = {}
        self._access_keys: dict[str, str] = {}
        self._lock = threading.Lock()
        # Names of functions whose invocation failed, newest last; bounded so `local up` can run for days.
        self.failed_functions: deque[str] = deque(maxlen=100)

    def _sandbox_env(self, spec: FunctionSpec, task_root: Path) -> dict[str, str]:
        """What a Lambda sandbox provides, with the function's own variables on top."""
        return {
            **self._base_env(self.access_key_for(spec.arn)),
            **dict(spec.environment),
            "_HANDLER": spec.handler,
            "LAMBDA_TASK_ROOT": str(task_root),
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout),
            "IMGFAN_LOCAL_FUNCTION_ARN": spec.arn,
        }

    def _base_env(self, access_key: str) -> dict[str, str]:
        # Local only, so that the functions can be profiled (worker.py).
        profiling = {name: os.environ[name] for name in ("IMGFAN_PROFILE_DIR",) if os.environ.get(name)}
        return {
            **profiling,
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": access_key,
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            # No X-Ray daemon runs locally; the tracer would only log missing-segment noise.
            "POWERTOOLS_TRACE_DISABLED": "true",
            "PYTHONDONTWRITEBYTECODE": "1",
        }

    def access_key_for(self, function_arn: str) -> str:
        """Each function signs with credentials of its own, as with its role on AWS."""
        key = "ASIA" + hashlib.sha256(function_arn.encode()).hexdigest()[:16].upper()
        with self._lock:
            self._access_keys[key] = function_arn.rsplit(":", 1)[-1]
        return key

    def function_for_access_key(self, access_key: str) -> str | None:
        """The name of the function whose sandbox signs with ``access_key`` (None for other callers)."""
        with self._lock:
            return self._access_keys.get(access_key)

    def unpack(self, kind: str, code_sha256: str, data: bytes) -> Path:
        """The zip unpacked once into ``work_dir/kind/<folder named after its digest>``."""
        target = self.work_dir / kind / digest_folder_name(code_sha256)
        if not target.exists():
            partial = target.with_name(f"{target.name}.partial-{uuid.uuid4().hex[:6]}")
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                archive.extractall(partial)
            try:
                partial.rename(target)
            except OSError:  # another thread unpacked the same zip first
                pass
        return target

    def _spec_of(self, function: Any, layers: list[Any]) -> FunctionSpec:
        # moto's own digests of the code: hashing a 16 MB layer on every invoke cost ~11 ms CPU.
        return FunctionSpec(
            name=function.function_name,
            arn=function.function_arn,
            handler=function.handler,
            timeout=int(function.timeout),
            memory_size=int(function.memory_size),
            environment=tuple(sorted((k, str(v)) for k, v in (function.environment_vars or {}).items())),
            code_sha=function.code_sha_256,
            layer_shas=tuple(layer.code_sha_256 for layer in layers),
        )

    def _pool_for(self, function: Any) -> WorkerPool:
        from moto.awslambda.models import get_backend

        backend = get_backend(function.account_id, function.region)
        layers = [backend.layers_versions_by_arn(layer["Arn"]) for layer in function.layers]
        spec = self._spec_of(function, layers)
        with self._lock:
            pool = self._pools.get(spec.arn)
            if pool is not None and pool.spec == spec:
                return pool
        task_root = self.unpack("code", spec.code_sha, function.code_bytes)
        layer_paths = [self.unpack("layers", sha, layer.code_bytes) / "python"
                       for sha, layer in zip(spec.layer_shas, layers)]
        env = self._sandbox_env(spec, task_root)
        with self._lock:
            pool = self._pools.get(spec.arn)
            if pool is None or pool.spec != spec:
                if pool is not None:
                    pool.close()
                pool = WorkerPool(
                    spec, lambda: WorkerProcess(spec, task_root, layer_paths, env, self.log_sink),
                    self.workers_per_function, self.faults, self.tally, self._count_invocation,
                )
                self._pools[spec.arn] = pool
        return pool

    def _count_invocation(self, function_name: str, busy_seconds: float) -> None:
        name = short_name(function_name)
        self.invocations.add(name)
        self.invocation_ms.add(name, round(busy_seconds * 1000))

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


def digest_folder_name(code_sha256: str) -> str:
    """A folder name for Lambda's ``CodeSha256``, which is base64 and so may hold ``/`` and ``+``.

    Used as it was, a ``/`` nested the folder, and a leading one made the path absolute
    (pathlib drops what came before), unpacking a layer at the filesystem's root. Hex of the
    decoded digest (the zip's SHA-256, as ``sha256sum`` prints it) is safe anywhere.
    """
    return base64.b64decode(code_sha256, validate=True).hex()[:32]


def short_name(function_name: str) -> str:
    """``Imgfan-ResizerC2DB078C-1AB2C3`` -> ``Resizer``: the construct's name, for reports."""
    parts = function_name.split("-")
    return re.sub(r"[0-9A-F]{8}$", "", parts[1]) if len(parts) == 3 else function_name


def install(runtime: LocalLambdaRuntime) -> None:
    """Route every moto Lambda invocation in this process to ``runtime``."""
    assert_hook_point()
    from moto.awslambda.models import LambdaFunction

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return runtime.invoke(self, event)

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
