"""Shared fixtures for the CDK tests: each context is synthesized once per session (and cached
on disk by imgfan.synth), and the template is read as plain JSON with a few helpers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from imgfan.synth import synthesize, template_path
from tests import synth_contexts

REPO_ROOT = Path(__file__).resolve().parents[2]

CONTEXTS = {"standard": synth_contexts.STANDARD, "express": synth_contexts.EXPRESS,
            "hardened": synth_contexts.HARDENED}


def _flatten(value) -> str:
    """A readable string for a CloudFormation value: tokens become <LogicalId> / <LogicalId.Attr>."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Ref":
            return f"<{arg}>"
        if fn == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>"
        if fn == "Fn::Join":
            return arg[0].join(_flatten(part) for part in arg[1])
        if fn == "Fn::Sub":
            return arg if isinstance(arg, str) else arg[0]
    return json.dumps(value, sort_keys=True)


class Cfn:
    def __init__(self, assembly: Path, context: dict):
        self.assembly = assembly
        presets_file = Path(context.get("presetsFile", REPO_ROOT / "presets.json"))
        self.presets = json.loads(presets_file.read_text())
        self.path = template_path(assembly)
        self.template = json.loads(self.path.read_text())
        self.resources = self.template["Resources"]

    def of_type(self, cfn_type: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if v["Type"] == cfn_type}

    def one(self, cfn_type: str) -> tuple[str, dict]:
        found = self.of_type(cfn_type)
        assert len(found) == 1, f"expected one {cfn_type}, found {sorted(found)}"
        return next(iter(found.items()))

    def logical_id(self, prefix: str, cfn_type: str) -> str:
        found = [k for k in self.of_type(cfn_type) if k.startswith(prefix)]
        assert len(found) == 1, f"expected one {cfn_type} named {prefix}*, found {found}"
        return found[0]

    def state_machine(self, kind: str = "render") -> tuple[str, dict]:
        """The render state machine, or (``kind="delete"``) the one deletes run in."""
        logical_id = self.logical_id("StateMachine" if kind == "render" else "DeleteStateMachine",
                                     "AWS::StepFunctions::StateMachine")
        return logical_id, self.resources[logical_id]

    def function(self, name: str) -> tuple[str, dict]:
        """A project function by its service name (imgfan-<name>), not CDK's helper functions."""
        for logical_id, fn in self.of_type("AWS::Lambda::Function").items():
            env = fn["Properties"].get("Environment", {}).get("Variables", {})
            if env.get("POWERTOOLS_SERVICE_NAME") == f"imgfan-{name}":
                return logical_id, fn["Properties"]
        raise AssertionError(f"no function imgfan-{name}")

    def statements(self, role_logical_id: str) -> list[tuple[tuple[str, ...], tuple[str, ...], str]]:
        """(actions, resources, condition-json) of every statement attached to a role."""
        result = []
        for policy in self.of_type("AWS::IAM::Policy").values():
            roles = [_flatten(r) for r in policy["Properties"].get("Roles", [])]
            if f"<{role_logical_id}>" not in roles:
                continue
            for st in policy["Properties"]["PolicyDocument"]["Statement"]:
                assert st["Effect"] == "Allow"
                actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
                resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
                result.append((tuple(sorted(actions)), tuple(sorted(_flatten(r) for r in resources)),
                               json.dumps(st.get("Condition"), sort_keys=True) if "Condition" in st else ""))
        return result

    flatten = staticmethod(_flatten)

    def role_of(self, function_props: dict) -> str:
        role = function_props["Role"]
        assert "Fn::GetAtt" in role
        return role["Fn::GetAtt"][0]


@pytest.fixture(scope="session", autouse=True)
def _needs_node():
    # `make test` refuses to start without Node, so its absence is a broken setup, not a skip.
    if shutil.which("node") is None:
        pytest.fail("CDK synthesis needs Node.js 20 (jsii runs the CDK in it): install it, e.g. "
                    "`apt-get install nodejs` or from https://nodejs.org, and run the tests again", pytrace=False)


@pytest.fixture(scope="session")
def standard() -> Cfn:
    return Cfn(synthesize(CONTEXTS["standard"], quiet=True), CONTEXTS["standard"])


@pytest.fixture(scope="session")
def express() -> Cfn:
    return Cfn(synthesize(CONTEXTS["express"], quiet=True), CONTEXTS["express"])


@pytest.fixture(scope="session")
def hardened() -> Cfn:
    return Cfn(synthesize(CONTEXTS["hardened"], quiet=True), CONTEXTS["hardened"])


@pytest.fixture(scope="session")
def synth_cfn():
    """Synthesize (or reuse) another context; conftest is not importable from tests by name."""
    return lambda context: Cfn(synthesize(context, quiet=True), context)


@pytest.fixture(scope="session", params=sorted(CONTEXTS))
def any_variant(request) -> Cfn:
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="session")
def presets() -> dict:
    return json.loads((REPO_ROOT / "presets.json").read_text())
