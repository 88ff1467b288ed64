"""Where moto's CloudFormation differs from AWS's in ways our stack depends on.

Each patch is small, idempotent and checked by :func:`assert_hooks_present`, so a moto upgrade
that moves a hook fails loudly (tests/local/test_moto_hooks.py) instead of deploying wrongly.

1. A custom resource's ResponseURL points at ``host.docker.internal`` because moto expects
   Lambda to run in Docker; our Lambda runtime runs on the host.
2. CloudFormation hands custom resources their properties as strings (``true`` → ``"true"``);
   moto passes JSON types through, and CDK's bucket-notifications handler calls ``.lower()``.
3. moto's ``AWS::Lambda::Function`` drops ``Layers``, so the shared layer would be missing.
4. With Step Functions execution on, the API serves state machines from the parser backend,
   but moto's CloudFormation still creates them in the plain backend, where nobody sees them.
5. moto creates a stack's resources lazily through ``ResourceMap.__getitem__``, which is not
   thread-safe; a custom resource's callback (another thread) can make it create a resource
   twice, e.g. two state machines, one of them orphaned. A re-entrant lock serialises it.
"""

from __future__ import annotations

import threading
from typing import Any

from moto import settings
from moto.awslambda.models import LambdaFunction
from moto.cloudformation.custom_model import CustomModel
from moto.cloudformation.parsing import ResourceMap
from moto.stepfunctions import responses as stepfunctions_responses
from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.utils import cfn_to_api_tags

_PATCHED_FLAG = "_imgfan_patched"


def _as_cloudformation_strings(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return [_as_cloudformation_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_cloudformation_strings(v) for k, v in value.items()}
    return value


def point_custom_resources_at(host: str) -> None:
    """Make custom-resource callbacks reach the server at ``http://{host}:{MOTO_PORT}``."""
    settings.moto_server_host = lambda: f"http://{host}"  # read by CustomModel at call time


def stringify_custom_resource_properties() -> None:
    def make(create):
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
            properties = cloudformation_json.get("Properties", {})
            cloudformation_json = {**cloudformation_json, "Properties": _as_cloudformation_strings(properties)}
            return create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
        return create_from_cloudformation_json

    _wrap_classmethod(CustomModel, "create_from_cloudformation_json", make)


def _wrap_classmethod(owner: type, name: str, make_wrapper) -> None:
    original = owner.__dict__[name]
    if getattr(original, _PATCHED_FLAG, False):
        return
    wrapper = make_wrapper(original.__func__)
    setattr(wrapper, _PATCHED_FLAG, True)
    setattr(owner, name, classmethod(wrapper))


def keep_lambda_layers() -> None:
    def make(create):
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
            function = create(cls, resource_name, cloudformation_json, account_id, region_name, **kw)
            layers = cloudformation_json.get("Properties", {}).get("Layers")
            if layers:
                # moto resolves {"Ref": layer} to its LayerVersion object, not to the ARN.
                arns = [getattr(layer, "arn", layer) for layer in layers]
                function.layers = function._get_layers_data(arns)
            return function
        return create_from_cloudformation_json

    _wrap_classmethod(LambdaFunction, "create_from_cloudformation_json", make)


def create_state_machines_where_the_api_reads_them() -> None:
    def make(_create):
        def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
            properties = cloudformation_json["Properties"]
            backend = stepfunctions_responses.get_backend(account_id, region_name)
            return backend.create_state_machine(
                properties.get("StateMachineName", resource_name),
                properties.get("DefinitionString", ""),
                properties.get("RoleArn", ""),
                tags=cfn_to_api_tags(properties.get("Tags", [])),
            )
        return create_from_cloudformation_json

    _wrap_classmethod(StateMachine, "create_from_cloudformation_json", make)


_RESOURCE_MAP_LOCK = threading.RLock()


def serialise_resource_creation() -> None:
    original = ResourceMap.__dict__["__getitem__"]
    if getattr(original, _PATCHED_FLAG, False):
        return

    def __getitem__(self, key):
        with _RESOURCE_MAP_LOCK:
            return original(self, key)

    setattr(__getitem__, _PATCHED_FLAG, True)
    ResourceMap.__getitem__ = __getitem__


def apply(host: str) -> None:
    assert_hooks_present()
    serialise_resource_creation()
    point_custom_resources_at(host)
    stringify_custom_resource_properties()
    keep_lambda_layers()
    create_state_machines_where_the_api_reads_them()


def assert_hooks_present() -> None:
    if "__getitem__" not in ResourceMap.__dict__:
        raise RuntimeError("moto's cloudformation ResourceMap.__getitem__ moved")
    for owner in (CustomModel, LambdaFunction, StateMachine):
        if "create_from_cloudformation_json" not in owner.__dict__:
            raise RuntimeError(f"moto's {owner.__name__}.create_from_cloudformation_json moved")
    if not callable(getattr(stepfunctions_responses, "get_backend", None)):
        raise RuntimeError("moto.stepfunctions.responses.get_backend is gone")
    if not hasattr(LambdaFunction, "_get_layers_data"):
        raise RuntimeError("moto's LambdaFunction._get_layers_data is gone")
    if not callable(getattr(settings, "moto_server_host", None)):
        raise RuntimeError("moto.settings.moto_server_host is gone; custom resources cannot call back")
