"""The `missing-key-403` switch: moto's 404 for a missing key becomes S3's 403 AccessDenied, for
requests functions sign, over HTTP through the fault middleware in front of moto (no stack)."""

from __future__ import annotations

import threading
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from imgfan.local.cloud import free_port
from imgfan.local.fault_middleware import FaultMiddleware
from imgfan.local.faults import FaultInjector, FaultPlan
from imgfan_core import storage
from imgfan_core.contract import SourceRef
from imgfan_core.errors import SourceMissing

RESIZER = "Imgfan-ResizerC2DB078C-T"
NO_RETRIES = Config(retries={"total_max_attempts": 1})


@pytest.fixture(scope="module")
def door():
    """moto behind the fault middleware, as the embedded cloud serves it; one access key is a function's."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    faults = FaultInjector()
    app = FaultMiddleware(DomainDispatcherApplication(create_backend_app), faults,
                          {"resizer-key": RESIZER}.get, dict)
    server = make_server("127.0.0.1", free_port(), app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield faults, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def s3_client(endpoint: str, access_key: str):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", config=NO_RETRIES,
                        aws_access_key_id=access_key, aws_secret_access_key="secret")


@pytest.fixture
def clients(door):
    faults, endpoint = door
    faults.set_plan(FaultPlan.parse("missing-key-403=1"))
    try:
        yield s3_client(endpoint, "resizer-key"), s3_client(endpoint, "someone-else")
    finally:
        faults.set_plan(FaultPlan())


@pytest.fixture
def bucket(clients) -> str:
    name = f"source-{uuid.uuid4().hex[:12]}"
    clients[1].create_bucket(Bucket=name)
    clients[1].put_object(Bucket=name, Key="here.jpg", Body=b"jpeg")
    return name


def answer(call) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response["Error"]
    return raised.value.response["ResponseMetadata"]["HTTPStatusCode"], error["Code"], error.get("Message", "")


def test_a_function_s_get_and_head_of_a_missing_key_answer_403_access_denied(clients, bucket, door):
    function, _ = clients
    before = door[0].injected().get("missing-key-403", 0)
    assert answer(lambda: function.get_object(Bucket=bucket, Key="gone.jpg")) == (
        403, "AccessDenied", "Access Denied (injected)")
    # A HEAD's error has no body: botocore names it by its status.
    assert answer(lambda: function.head_object(Bucket=bucket, Key="gone.jpg"))[:2] == (403, "403")
    assert door[0].injected()["missing-key-403"] - before == 2


def test_what_is_not_a_missing_key_is_answered_as_moto_answers_it(clients, bucket):
    function, _ = clients
    assert function.get_object(Bucket=bucket, Key="here.jpg")["Body"].read() == b"jpeg"
    assert function.head_object(Bucket=bucket, Key="here.jpg")["ContentLength"] == 4
    assert answer(lambda: function.get_object(Bucket=f"{bucket}-none", Key="here.jpg"))[:2] == (404, "NoSuchBucket")
    # A conditional PUT is not a read: its 404 stays (publish's lost swap sees both codes).
    assert answer(lambda: function.put_object(Bucket=bucket, Key="gone.jpg", Body=b"x", IfMatch='"e"'))[:2] == (
        404, "NoSuchKey")


def test_other_callers_and_functions_not_named_still_get_404(clients, bucket, door):
    function, someone = clients
    assert answer(lambda: someone.get_object(Bucket=bucket, Key="gone.jpg"))[:2] == (404, "NoSuchKey")
    door[0].set_plan(FaultPlan.parse("missing-key-403=1,functions=Finalizer"))
    assert answer(lambda: function.get_object(Bucket=bucket, Key="gone.jpg"))[:2] == (404, "NoSuchKey")


def test_storage_tells_the_403_of_a_missing_key_from_a_denial_by_listing(clients, bucket):
    function, someone = clients
    someone.put_object(Bucket=bucket, Key="gone.jpg.bak", Body=b"x")  # listed under Prefix=gone.jpg
    with pytest.raises(SourceMissing):
        storage.read_source(function, SourceRef(bucket, "gone.jpg"), max_bytes=100)
    assert not storage.source_state(function, bucket, "gone.jpg").exists
    assert storage.source_state(function, bucket, "here.jpg").exists
