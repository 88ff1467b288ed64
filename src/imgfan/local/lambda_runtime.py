"""The embedded cloud's Lambda runtime: warm worker processes behind moto's Lambda Invoke.

moto runs Lambda code in Docker, which this project cannot rely on. ``imgfan.local.moto.lambda_invoke``
hands each invocation to :meth:`LocalLambdaRuntime.invoke` instead, with the *deployed* code:
the function's zip and its layers' zips, unpacked here.

Each function gets its own pool of warm processes (``sandbox.py``), started with only that
function's environment and credentials of its own, so functions never share environment
variables and two cores are really used. A handler exception or timeout becomes a Lambda
function error (``errorType`` in the payload), which is what the state machine's Retry and
Catch match on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imgfan.local.faults import FaultInjector
from imgfan.local.sandbox import FunctionSpec, WorkerPool, WorkerProcess
from imgfan.local.tally import Tally
from imgfan.local.unpacked_code import unpacked

logger = logging.getLogger("imgfan.local.lambda")


@dataclass(frozen=True)
class DeployedFunction:
    """A function as deployed: its settings, its zip and its layers' zips (in ``spec.layer_shas``'s order)."""

    spec: FunctionSpec
    code: bytes = field(repr=False)
    layers: tuple[bytes, ...] = field(repr=False)


class LocalLambdaRuntime:
    def __init__(self, code_dir: Path, endpoint_url: str, region: str = "us-east-1", workers_per_function: int = 2,
                 log_sink: Callable[[str, str], None] | None = None, faults: FaultInjector | None = None):
        # Where function and layer zips are unpacked (``unpacked_code``); the embedded cloud passes
        # a folder that every cloud on the machine shares.
        self.code_dir = Path(code_dir)
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
            # No PYTHONDONTWRITEBYTECODE: the first sandbox writes the unpacked layer's bytecode
            # and the later ones load it, instead of each compiling the SDK, Powertools and
            # pydantic again (about a sixth of a sandbox's start-up CPU). On AWS the layer's
            # folder is read-only, so this changes how fast a local sandbox starts, not what it runs.
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
        """The zip unpacked once into ``code_dir/kind/<folder named after its digest>``."""
        return unpacked(self.code_dir, kind, digest_folder_name(code_sha256), data)

    def _pool_for(self, function: DeployedFunction) -> WorkerPool:
        spec = function.spec
        with self._lock:
            pool = self._pools.get(spec.arn)
            if pool is not None and pool.spec == spec:
                return pool
        task_root = self.unpack("code", spec.code_sha, function.code)
        layer_paths = [self.unpack("layers", sha, data) / "python" for sha, data in zip(spec.layer_shas, function.layers)]
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

    def invoke(self, function: DeployedFunction, event: Any) -> tuple[str, bool, str]:
        """One invocation, as moto's ``_invoke_lambda`` answers it: (payload JSON, errored, log tail)."""
        if isinstance(event, (str, bytes)):
            event = json.loads(event or "{}")
        started = time.monotonic()
        payload, errored = self._pool_for(function).invoke(event)
        if errored:
            self.failed_functions.append(function.spec.name)
        logger.debug("%s finished in %.0f ms (errored=%s)", function.spec.name,
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
