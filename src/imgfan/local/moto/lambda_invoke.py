"""moto's Lambda Invoke, answered by imgfan's local Lambda runtime instead of Docker.

``install()`` replaces ``moto.awslambda.models.LambdaFunction._invoke_lambda`` (the one hook
point, checked by :func:`assert_hooks_present`) with a call to
:meth:`imgfan.local.lambda_runtime.LocalLambdaRuntime.invoke`, handing it the *deployed* code:
the function's zip and its layers' zips, read from moto's own records of them.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from imgfan.local.lambda_runtime import DeployedFunction, LocalLambdaRuntime
from imgfan.local.sandbox import FunctionSpec


def deployed_function(function: Any) -> DeployedFunction:
    """What moto keeps of a ``LambdaFunction``: its settings, its zip and its layers' zips."""
    from moto.awslambda.models import get_backend

    backend = get_backend(function.account_id, function.region)
    layers = [backend.layers_versions_by_arn(layer["Arn"]) for layer in function.layers]
    # moto's own digests of the code: hashing a 16 MB layer on every invoke cost ~11 ms CPU.
    spec = FunctionSpec(
        name=function.function_name,
        arn=function.function_arn,
        handler=function.handler,
        timeout=int(function.timeout),
        memory_size=int(function.memory_size),
        environment=tuple(sorted((k, str(v)) for k, v in (function.environment_vars or {}).items())),
        code_sha=function.code_sha_256,
        layer_shas=tuple(layer.code_sha_256 for layer in layers),
    )
    return DeployedFunction(spec, function.code_bytes, tuple(layer.code_bytes for layer in layers))


def install(runtime: LocalLambdaRuntime) -> None:
    """Route every moto Lambda invocation in this process to ``runtime``."""
    assert_hooks_present()
    from moto.awslambda.models import LambdaFunction

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return runtime.invoke(deployed_function(self), event)

    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]


def assert_hooks_present() -> None:
    """Fail loudly if moto moved the invoke hook or the records the runtime reads.

    Reads moto's module source rather than the class attribute, which ``install`` replaces.
    """
    from moto.awslambda import models

    source = inspect.getsource(models)
    if not re.search(r"def _invoke_lambda\(\s*self,\s*event\b", source):
        raise RuntimeError("moto.awslambda.models.LambdaFunction._invoke_lambda(self, event) is gone or changed; "
                           "the local Lambda runtime cannot hook in")
    if "self._invoke_lambda(event=" not in inspect.getsource(models.LambdaFunction.invoke):
        raise RuntimeError("moto's LambdaFunction.invoke no longer calls self._invoke_lambda(event=...)")
    if not hasattr(models.LambdaBackend, "layers_versions_by_arn"):
        raise RuntimeError("moto's LambdaBackend.layers_versions_by_arn is gone; a function's layers cannot be read")
    for name in ("code_bytes", "code_sha_256", "environment_vars", "layers"):
        if f"self.{name}" not in source:
            raise RuntimeError(f"moto's LambdaFunction no longer keeps {name}; the deployed code cannot be read")
