"""The embedded cloud relies on a few moto internals; these tests fail loudly if moto moves them."""

from __future__ import annotations

import inspect

from imgfan.local import lambda_runtime, moto_cfn, moto_patches


def test_every_patched_moto_hook_point_is_still_there():
    moto_patches.assert_moto_hooks_present()


def test_lambda_invoke_hook_has_the_signature_the_runtime_replaces():
    from moto.awslambda import models

    lambda_runtime.assert_hook_point()
    assert "def _invoke_lambda(self, event" in inspect.getsource(models)
    assert "self._invoke_lambda(event=" in inspect.getsource(models.LambdaFunction.invoke)


def test_stepfunctions_interpreter_still_calls_lambda_over_http_on_moto_port():
    from moto.stepfunctions.parser.asl.utils import boto_client

    source = inspect.getsource(boto_client.boto_client_for)
    assert "moto_server_port()" in source, "moto's Step Functions no longer calls Lambda at MOTO_PORT"


def test_custom_resource_callbacks_use_the_patchable_host_setting():
    from moto.cloudformation import custom_model

    # Module source: the class attribute itself is replaced once the embedded cloud has started.
    assert "settings.moto_server_host()" in inspect.getsource(custom_model)
    moto_cfn.assert_hooks_present()


def test_custom_resource_properties_become_strings_like_cloudformation_sends_them():
    converted = moto_cfn._as_cloudformation_strings({"Managed": True, "Count": 3, "Nested": [{"On": False}], "S": "x"})
    assert converted == {"Managed": "true", "Count": "3", "Nested": [{"On": "false"}], "S": "x"}


def test_the_moto_server_serves_through_the_wsgi_app_attribute_the_embedded_cloud_wraps():
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from werkzeug.serving import WSGIRequestHandler

    assert "self._server = make_server(" in inspect.getsource(ThreadedMotoServer._server_entry)
    assert "self.server.app" in inspect.getsource(WSGIRequestHandler.run_wsgi)


def test_the_iam_audit_still_finds_roles_policies_and_moto_statement_matching():
    from imgfan.local import iam_audit

    iam_audit.assert_hooks_present()
