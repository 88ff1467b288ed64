"""The state machine the embedded cloud runs is the ASL file with the stack's substitutions.

deploy.py rewrites DefinitionSubstitutions for moto (which ignores them); a slip there would
run a different workflow locally than on AWS.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from imgfan.cdk.retry import attempts_for
from imgfan_core.errors import CRASH_ERROR_NAMES, PERMANENT_ERROR_NAMES, TRANSIENT_ERROR_NAMES
from tests.conftest import TEST_STACK_CONTEXT

pytestmark = pytest.mark.cloud

REPO_ROOT = Path(__file__).resolve().parents[2]
ASL_TEXT = (REPO_ROOT / "statemachine" / "imgfan.asl.json").read_text("utf-8")
DELETE_ASL_TEXT = (REPO_ROOT / "statemachine" / "delete.asl.json").read_text("utf-8")


def function_arn(pipeline, logical_name: str) -> str:
    [arn] = [f["FunctionArn"] for f in pipeline.cloud.client("lambda").list_functions()["Functions"]
             if logical_name in f["FunctionName"]]
    return arn


def test_the_running_definition_is_the_asl_file_with_real_arns_and_error_lists(pipeline):
    presets = json.loads((REPO_ROOT / "presets.json").read_text("utf-8"))  # what the test stack deployed
    values = {
        "ResizerFunctionArn": function_arn(pipeline, "Resizer"),
        "FinalizerFunctionArn": function_arn(pipeline, "Finalizer"),
        "CleanerFunctionArn": function_arn(pipeline, "Cleaner"),
        "MaxConcurrency": str(presets.get("max_concurrency", 4)),
        "TransientErrors": json.dumps(list(TRANSIENT_ERROR_NAMES)),
        "CrashErrors": json.dumps(list(CRASH_ERROR_NAMES)),
        "PermanentErrors": json.dumps(list(PERMANENT_ERROR_NAMES)),
        "RetryMaxDelaySeconds": TEST_STACK_CONTEXT["retryMaxDelaySeconds"],
        "RetryMaxAttempts": str(attempts_for(60 * int(TEST_STACK_CONTEXT["retryPatienceMinutes"]),
                                             int(TEST_STACK_CONTEXT["retryMaxDelaySeconds"]))),
    }
    for output, text in (("StateMachineArn", ASL_TEXT), ("DeleteStateMachineArn", DELETE_ASL_TEXT)):
        expected = json.loads(re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], text))
        running = pipeline.stepfunctions.describe_state_machine(stateMachineArn=pipeline.outputs[output])
        assert json.loads(running["definition"]) == expected, output
