"""A warm Lambda worker process: imports one handler once, then serves invocations.

Started by ``sandbox.WorkerProcess`` as ``python -S worker.py SPEC_JSON``. ``-S`` keeps
site-packages' ``.pth`` files out, in particular the editable install's path to the working
tree, so the handler sees exactly what was deployed: its own asset, then the layers, as on
Lambda (``/var/task``, ``/opt/python``, then the runtime). The layer's pure-Python packages,
the AWS SDK among them, therefore run from the layer. The modules named in ``from_host`` (native
code built for Lambda's arm64, see ``layer_imports.py``) come from the host's site-packages.

Protocol, one JSON object per line: on the original stdout the worker says ``{"ready": true}``
once its init phase (importing the handler) is over, then for each request read from stdin
``{"ack": id}`` before the handler starts and ``{"errored": ..., "payload": ...}`` when it
returns. The ack lets the parent tell a worker that died idle (the event never reached the
handler, so it can go to a fresh worker) from one that died during the invocation. A request's
``delay`` (fault injection) is slept inside the handler's time. The handler's own stdout is
redirected to stderr, which the parent collects as logs. Only the standard library may be
imported at module level here.

With ``IMGFAN_PROFILE_DIR`` set, each worker profiles its handler calls (wall clock, which is
what Lambda bills) and writes ``<function>-<pid>.pstats`` there every 20 invocations.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import json
import os
import sys
import time
import traceback


class LambdaContext:
    """The attributes of the Lambda context object that handlers and Powertools read."""

    def __init__(self, request_id: str, deadline: float):
        self.aws_request_id = request_id
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.invoked_function_arn = os.environ.get("IMGFAN_LOCAL_FUNCTION_ARN", "")
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error_payload(exc: BaseException, request_id: str) -> dict:
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


class _FromHost:
    """Finds the named top-level modules in the host's site-packages only, ahead of the layers."""

    def __init__(self, names: list[str], paths: list[str]):
        self.names, self.paths = frozenset(names), paths

    def find_spec(self, fullname, path=None, target=None):
        if path is not None or fullname not in self.names:
            return None  # submodules follow their package's __path__, already on the host
        return importlib.machinery.PathFinder.find_spec(fullname, self.paths)


def _load_handler(spec: dict):
    # Deployed code first, then the standard library, the layers, and the host's libraries last
    # (where Lambda has its runtime), apart from the layer's native packages built for arm64.
    here = os.path.dirname(os.path.abspath(__file__))
    interpreter_paths = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path[:] = [spec["task_root"], *interpreter_paths, *spec["layer_paths"], *spec["site_packages"]]
    sys.meta_path.insert(0, _FromHost(spec["from_host"], spec["site_packages"]))
    module_name, _, function_name = spec["handler"].rpartition(".")
    module = importlib.import_module(module_name)
    return getattr(module, function_name)


class _Profiler:
    """cProfile around each handler call, written out every ``every`` calls."""

    def __init__(self, path: str, every: int = 20):
        import cProfile

        self.profile, self.path, self.every, self.calls = cProfile.Profile(), path, every, 0

    @classmethod
    def from_environment(cls) -> _Profiler | None:
        folder = os.environ.get("IMGFAN_PROFILE_DIR")
        if not folder:
            return None
        return cls(os.path.join(folder, f"{os.environ['AWS_LAMBDA_FUNCTION_NAME']}-{os.getpid()}.pstats"))

    def __call__(self, function, *args):
        try:
            return self.profile.runcall(function, *args)
        finally:
            self.calls += 1
            if self.calls % self.every == 0:
                self.profile.dump_stats(self.path)


def main() -> None:
    spec = json.loads(sys.argv[1])
    # The parent reads results from our original stdout; everything the handler prints
    # (Powertools Logger writes to stdout) must go to stderr, the log stream.
    results = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    os.chdir(spec["task_root"])

    try:
        handler = _load_handler(spec)
        init_error = None
    except BaseException as exc:  # noqa: BLE001 - an import error is reported on every invocation, like Lambda's
        handler, init_error = None, exc
        traceback.print_exc()

    profiler = _Profiler.from_environment() or (lambda function, *args: function(*args))
    results.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        request_id = request["request_id"]
        results.write(json.dumps({"ack": request_id}) + "\n")
        if init_error is not None:
            payload = _error_payload(init_error, request_id)
            payload["errorType"] = "Runtime.ImportModuleError"
            results.write(json.dumps({"errored": True, "payload": payload}) + "\n")
            continue
        context = LambdaContext(request_id, time.monotonic() + request["timeout"])
        print(f"START RequestId: {request_id}", file=sys.stderr, flush=True)
        try:
            time.sleep(request.get("delay", 0))
            result = profiler(handler, request["event"], context)
            reply = {"errored": False, "payload": result}
            encoded = json.dumps(reply, default=str)
        except BaseException as exc:  # noqa: BLE001 - any handler failure is a function error
            traceback.print_exc()
            encoded = json.dumps({"errored": True, "payload": _error_payload(exc, request_id)})
        print(f"END RequestId: {request_id}", file=sys.stderr, flush=True)
        results.write(encoded + "\n")


if __name__ == "__main__":
    main()
