"""The embedded cloud relies on a few moto internals; these tests fail loudly if moto moves them.

One section per module of ``imgfan.local.moto``, in the order of its folder.
"""

from __future__ import annotations

import inspect
import json
import pkgutil
from pathlib import Path

import pytest

from imgfan.local import moto
from imgfan.local.moto import (
    cloudformation,
    iam,
    lambda_invoke,
    s3_notifications,
    server,
    speedups,
    sqs_lambda_trigger,
    stepfunctions_lambda,
)

MODULES = sorted(name for _, name, _ in pkgutil.iter_modules(moto.__path__))


def test_every_patched_moto_hook_point_is_still_there():
    moto.assert_hooks_present()


def test_the_package_check_runs_the_check_of_every_module_of_the_folder(monkeypatch):
    checked = []
    for name in MODULES:
        monkeypatch.setattr(getattr(moto, name), "assert_hooks_present", lambda name=name: checked.append(name))
    moto.assert_hooks_present()
    assert sorted(checked) == MODULES


@pytest.mark.parametrize("name", MODULES)
def test_every_module_of_the_folder_has_a_section_here_and_is_in_the_package_all(name):
    assert f"\n# ---- {name} " in Path(__file__).read_text(encoding="utf-8"), f"no section for {name} here"
    assert name in moto.__all__


# ---- cloudformation --------------------------------------------------------------------------


def test_custom_resource_callbacks_use_the_patchable_host_setting():
    from moto.cloudformation import custom_model

    # Module source: the class attribute itself is replaced once the embedded cloud has started.
    assert "settings.moto_server_host()" in inspect.getsource(custom_model)
    cloudformation.assert_hooks_present()


def test_custom_resource_properties_become_strings_like_cloudformation_sends_them():
    converted = cloudformation._as_cloudformation_strings({"Managed": True, "Count": 3, "Nested": [{"On": False}], "S": "x"})
    assert converted == {"Managed": "true", "Count": "3", "Nested": [{"On": "false"}], "S": "x"}


# ---- iam -------------------------------------------------------------------------------------


def test_the_iam_audit_still_finds_roles_policies_and_moto_statement_matching():
    iam.assert_hooks_present()


# ---- lambda_invoke ---------------------------------------------------------------------------


def test_lambda_invoke_hook_has_the_signature_the_runtime_replaces():
    from moto.awslambda import models

    lambda_invoke.assert_hooks_present()
    assert "def _invoke_lambda(self, event" in inspect.getsource(models)
    assert "self._invoke_lambda(event=" in inspect.getsource(models.LambdaFunction.invoke)


# ---- s3_notifications ------------------------------------------------------------------------


def test_s3_notification_hooks_are_where_the_patches_wrap_them():
    s3_notifications.assert_hooks_present()


def test_s3_events_carry_the_version_id_and_an_increasing_sequencer_as_on_aws(aws):
    s3_notifications.add_version_and_sequencer_to_s3_events()
    s3_notifications.add_version_and_sequencer_to_s3_events()  # idempotent: wrapped once
    s3, sqs = aws("s3"), aws("sqs")
    queue = sqs.create_queue(QueueName="s3-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.create_bucket(Bucket="versions")
    s3.put_bucket_notification_configuration(Bucket="versions", NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_object(Bucket="versions", Key="plain.jpg", Body=b"1")
    s3.put_bucket_versioning(Bucket="versions", VersioningConfiguration={"Status": "Enabled"})
    versioned = s3.put_object(Bucket="versions", Key="a.jpg", Body=b"2")["VersionId"]
    s3.put_bucket_versioning(Bucket="versions", VersioningConfiguration={"Status": "Suspended"})
    s3.put_object(Bucket="versions", Key="a.jpg", Body=b"3")
    objects = []
    while len(objects) < 3:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        assert messages, f"only {len(objects)} of 3 events arrived"
        for message in messages:
            body = json.loads(message["Body"])
            objects += [record["s3"]["object"] for record in body.get("Records", [])]
    by_body = sorted(objects, key=lambda o: o["sequencer"])
    assert [o.get("versionId") for o in by_body] == [None, versioned, "null"]
    assert len({o["sequencer"] for o in by_body}) == 3


# ---- server ----------------------------------------------------------------------------------


def test_the_moto_server_serves_through_the_wsgi_app_attribute_the_embedded_cloud_wraps():
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from werkzeug.serving import WSGIRequestHandler

    assert "self._server = make_server(" in inspect.getsource(ThreadedMotoServer._server_entry)
    assert "self.server.app" in inspect.getsource(WSGIRequestHandler.run_wsgi)
    server.assert_hooks_present()


# ---- speedups --------------------------------------------------------------------------------


def test_what_the_speedups_patch_is_still_there():
    # Their behaviour is tests/local/test_moto_speedups.py.
    speedups.assert_hooks_present()


# ---- sqs_lambda_trigger ----------------------------------------------------------------------


def test_moto_still_triggers_lambda_through_the_attribute_the_patch_empties():
    # What the poller does instead is tests/local/test_sqs_poller.py.
    sqs_lambda_trigger.assert_hooks_present()


# ---- stepfunctions_lambda --------------------------------------------------------------------


def test_lambda_tasks_still_get_their_client_where_the_in_process_one_hooks_in():
    stepfunctions_lambda.assert_hooks_present()


def test_stepfunctions_interpreter_still_calls_lambda_over_http_on_moto_port():
    from moto.stepfunctions.parser.asl.utils import boto_client

    source = inspect.getsource(boto_client.boto_client_for)
    assert "moto_server_port()" in source, "moto's Step Functions no longer calls Lambda at MOTO_PORT"
