"""What imgfan's IAM audit reads from moto: a function's role as deployed, and moto's matching of
a statement's Action and Resource (moto/iam/access_control.py).

``imgfan.local.iam_audit`` evaluates the rest (conditions, Allow and Deny) itself.
:func:`assert_hooks_present` fails loudly if moto moves any of it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from imgfan.local.iam_calls import PARTITION


def action_and_resource_effect(statement: dict[str, Any], action: str, resource: str) -> str | None:
    """"Allow" or "Deny" if the statement's Action and Resource match, else None; a Condition in
    ``statement`` is not looked at."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    # moto matches Action and Resource as regular expressions with * made .*: actions case-sensitively
    # (IAM ignores their case) and ? is no wildcard. The template names actions as AWS spells them
    # and uses only * in resources, where this is exact.
    unconditional = {name: value for name, value in statement.items() if name != "Condition"}
    result = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
    return {PermissionResult.PERMITTED: "Allow", PermissionResult.DENIED: "Deny"}.get(result)


@lru_cache(maxsize=256)
def _parsed(document: str) -> dict[str, Any]:
    return json.loads(document)


def role_documents(function_name: str, account: str, region: str) -> list[dict[str, Any]]:
    """The policy documents of the function's role as deployed: inline policies (CloudFormation's
    ``AWS::IAM::Policy`` puts them on the role) and attached managed policies. moto's
    CloudFormation does not attach ``ManagedPolicyArns``: the project's functions have none
    (tests/infra/test_iam.py); CDK's bucket-notifications handler has AWSLambdaBasicExecutionRole,
    for logs, which nothing writes through the API locally."""
    from moto.awslambda.models import lambda_backends
    from moto.iam.access_control import IAMPolicy
    from moto.iam.models import iam_backends

    role_arn = lambda_backends[account][region].get_function(function_name).role
    role = iam_backends[account][PARTITION].get_role_by_arn(role_arn)
    managed = [IAMPolicy(policy)._policy_json for policy in role.managed_policies.values()]
    return [_parsed(document) for document in role.policies.values()] + managed


def assert_hooks_present() -> None:
    """Fail loudly if moto moved what the audit reads (tests/local/test_moto_hooks.py)."""
    from moto.awslambda.models import LambdaBackend
    from moto.iam.access_control import IAMPolicy, IAMPolicyStatement, PermissionResult
    from moto.iam.models import IAMBackend, Role

    assert callable(LambdaBackend.get_function) and callable(IAMBackend.get_role_by_arn)
    role = Role("1", PARTITION, "id", "r", "{}", "/", None, "", [], None)
    assert role.policies == {} and role.managed_policies == {}, "moto's Role moved policies or managed_policies"
    allow = IAMPolicyStatement({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/p/*"})
    assert allow.is_action_permitted("s3:GetObject", "arn:aws:s3:::b/p/k") == PermissionResult.PERMITTED
    assert allow.is_action_permitted("s3:GetObject", "arn:aws:s3:::b/q/k") == PermissionResult.NEUTRAL
    assert IAMPolicy('{"Statement": []}')._policy_json == {"Statement": []}
