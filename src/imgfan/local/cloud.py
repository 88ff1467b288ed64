"""The embedded cloud: moto server + local Lambda runtime + SQS poller + the deployed stack.

moto is imported only inside :meth:`EmbeddedCloud.start`, after ``MOTO_PORT`` is set, because
moto's Step Functions interpreter calls Lambda at ``http://localhost:$MOTO_PORT``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import urllib.request
import warnings
from pathlib import Path
from typing import Any, Self

import boto3
from botocore.config import Config

from imgfan.cache import cache_dir
from imgfan.local.deploy import default_account_region, deploy_stack, let_browsers_read
from imgfan.local.faults import FaultInjector, FaultPlan
from imgfan.local.iam_audit import IamAudit
from imgfan_core.stack_names import STACK_NAME, Output

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566
STATE_DIR = Path(".imgfan-cache") / "local"
LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def shared_cache(name: str) -> Path:
    """A cache shared by every embedded cloud on this machine, beside the layer's wheels: the assets'
    zips (``asset_zips``) and the zips unpacked with the bytecode their sandboxes write (``unpacked_code``)."""
    return (cache_dir() / name).resolve()


logger = logging.getLogger("imgfan.local")


class CloudError(RuntimeError):
    pass


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = DEFAULT_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class FunctionLogFiles:
    """Each function's output in its own file, where `imgfan local up` users can tail it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, function_name: str, line: str) -> None:
        # Kept open: opening the file for every line was a syscall storm under load.
        with self._lock:
            log = self._files.get(function_name)
            if log is None:
                log = open(self.folder / f"{function_name}.log", "a", encoding="utf-8")  # noqa: SIM115 - kept open, see above
                self._files[function_name] = log
            log.write(line + "\n")
            log.flush()

    def close(self) -> None:
        with self._lock:
            for log in self._files.values():
                log.close()
            self._files.clear()


class EmbeddedCloud:
    def __init__(self, port: int = DEFAULT_PORT, host: str = DEFAULT_HOST, state_dir: Path = STATE_DIR,
                 workers_per_function: int | None = None, function_log_sink=None, faults: FaultPlan | None = None,
                 enforce_iam: bool = False):
        self.host, self.port = host, port
        self.endpoint_url = f"http://{host}:{port}"
        # Absolute: worker processes chdir into their task root.
        self.state_dir = Path(state_dir).resolve()
        self.account, self.region = default_account_region()
        # One more worker than cores: while one waits for S3, the others keep every core busy.
        self.workers_per_function = workers_per_function or (os.cpu_count() or 1) + 1
        self.function_log_sink = function_log_sink or FunctionLogFiles(self.state_dir / "logs")
        self.faults = FaultInjector(faults)
        # Every call a function makes is checked against its role; enforce_iam answers a denied one 403.
        self.iam_audit = IamAudit(self.account, self.region, enforce=enforce_iam)
        self.outputs: dict[str, str] = {}
        self.runtime = None
        self._server = None
        self._server_thread: threading.Thread | None = None
        self._poller = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> EmbeddedCloud:
        if not port_is_free(self.host, self.port):
            raise CloudError(
                f"port {self.port} on {self.host} is in use: is another 'imgfan local up' running? "
                f"Stop it or pass --port."
            )
        os.environ["MOTO_PORT"] = str(self.port)
        # moto skips resources it cannot model (bucket/queue policies, alarms) with a warning each;
        # locally they are not enforced anyway, and the warnings bury the progress output.
        warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
        logging.getLogger("moto").setLevel(logging.ERROR)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        from imgfan.local import moto
        from imgfan.local.lambda_runtime import LocalLambdaRuntime

        self.runtime = LocalLambdaRuntime(
            shared_cache("unpacked-code"), self.endpoint_url, self.region, self.workers_per_function,
            log_sink=self.function_log_sink, faults=self.faults,
        )
        moto.apply_all(self.host, self.faults, self.runtime)
        self._serve()
        self._configure_moto({"stepfunctions": {"execute_state_machine": True}})
        return self

    def mount(self, claims, app) -> None:
        """Serve requests that ``claims(environ)`` accepts with the WSGI ``app``, on moto's port."""
        from imgfan.local.moto import server

        server.serve_beside(self._server, claims, app)

    def _serve(self) -> None:
        """moto's threaded server behind the fault middleware."""
        from imgfan.local.fault_middleware import FaultMiddleware
        from imgfan.local.moto import server

        self._server = server.make_server(self.host, self.port, lambda moto_app: FaultMiddleware(
            moto_app, self.faults, self.runtime.function_for_access_key, self.counts, audit=self.iam_audit))
        self._server_thread = threading.Thread(target=self._server.serve_forever, name="imgfan-moto-server",
                                               daemon=True)
        self._server_thread.start()

    def _configure_moto(self, config: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.endpoint_url}/moto-api/config", data=json.dumps(config).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def deploy(self, assembly_dir: Path | None = None, stack_name: str = STACK_NAME, progress=print,
               context: dict[str, str] | None = None) -> dict[str, str]:
        if assembly_dir is None:
            from imgfan.synth import synthesize

            assembly_dir = synthesize(context=context)
        # Faults are for the pipeline, not for CloudFormation: a custom resource killed mid-deploy
        # never answers and the whole stack fails. The plan starts, streams fresh, once deployed.
        plan = self.faults.plan
        self.faults.set_plan(FaultPlan())
        try:
            self.outputs = deploy_stack(self.client, Path(assembly_dir), stack_name, self.account, self.region,
                                        progress, check=self._fail_on_function_errors, endpoint_url=self.endpoint_url,
                                        zip_cache=shared_cache("asset-zips"))
        finally:
            self.faults.set_plan(plan)
        let_browsers_read(self.client, self.outputs[Output.OUTPUT_BUCKET])
        return self.outputs

    def _fail_on_function_errors(self) -> None:
        """During deployment any function error is a custom resource that will never answer."""
        failed = list(self.runtime.failed_functions)
        if failed:
            raise CloudError(
                f"Lambda function {failed[0]} failed while the stack was being created; "
                f"its log is in {self.state_dir / 'logs'}"
            )

    def counts(self) -> dict[str, dict[str, int]]:
        """What the sandboxes, the functions and the event source did so far (for `GET /_imgfan/faults`)."""
        runtime, poller = self.runtime, self._poller
        return {"sandboxes": runtime.tally.snapshot() if runtime else {},
                "invocations": runtime.invocations.snapshot() if runtime else {},
                "invocation_ms": runtime.invocation_ms.snapshot() if runtime else {},
                "event_source": poller.tally.snapshot() if poller else {}}

    def start_poller(self) -> None:
        from imgfan.local.sqs_poller import SqsEventSourcePoller

        self._poller = SqsEventSourcePoller(self.endpoint_url, region=self.region, faults=self.faults)
        self._poller.start()

    def wait_until_idle(self, timeout: float = 60) -> None:
        """Block until the queues are drained and no dispatcher batch is in flight."""
        if self._poller is not None and not self._poller.wait_until_idle(timeout):
            raise CloudError(f"the event queue was still busy after {timeout:.0f}s")

    def stop(self) -> None:
        if self._poller is not None:
            self._poller.stop()
            self._poller = None
        if self._server is not None:
            self._server.shutdown()
            self._server_thread.join()
            self._server.server_close()
            self._server = None
        if self.runtime is not None:
            self.runtime.close()
        if isinstance(self.function_log_sink, FunctionLogFiles):
            self.function_log_sink.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- clients ---------------------------------------------------------------------------
    def client(self, service: str):
        return boto3.client(
            service, endpoint_url=self.endpoint_url, region_name=self.region,
            config=Config(retries={"mode": "standard", "max_attempts": 3}), **LOCAL_CREDENTIALS,
        )

    def environment(self) -> dict[str, str]:
        """What a shell needs to talk to this cloud with the aws CLI or boto3."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": LOCAL_CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": LOCAL_CREDENTIALS["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": self.region,
        }
