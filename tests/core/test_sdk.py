"""The init-time check that the SDK in use can send the finalizer's conditional writes."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import boto3
import botocore
import pytest
from botocore.loaders import Loader
from botocore.model import ServiceModel

from imgfan_core.sdk import SdkTooOld, require_conditional_writes


@pytest.fixture(scope="module")
def s3_model() -> dict:
    return Loader().load_service_model("s3", "service-2")


def client_with(model: dict):
    return SimpleNamespace(meta=SimpleNamespace(service_model=ServiceModel(model, "s3")))


def test_the_pinned_sdk_sends_conditional_writes():
    require_conditional_writes(boto3.client("s3", region_name="us-east-1"))


@pytest.mark.parametrize("dropped", [("IfMatch",), ("IfMatch", "IfNoneMatch")])
def test_an_sdk_from_before_conditional_writes_fails_naming_itself(s3_model, dropped):
    # The S3 model as botocore shipped it before late 2024: PutObjectRequest without the members.
    old = copy.deepcopy(s3_model)
    for name in dropped:
        del old["shapes"]["PutObjectRequest"]["members"][name]
    with pytest.raises(SdkTooOld) as refused:
        require_conditional_writes(client_with(old))
    message = str(refused.value)
    assert f"botocore {botocore.__version__}" in message and botocore.__file__ in message
    assert " or ".join(dropped) in message
    assert "src/imgfan/cdk/layer_requirements.txt" in message
