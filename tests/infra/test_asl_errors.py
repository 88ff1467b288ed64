"""The state machine's retry lists against imgfan_core.errors: the ASL names them once, as
substitutions, and the stack fills them from the error module."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from imgfan_core import errors

REPO_ROOT = Path(__file__).resolve().parents[2]
ASL_TEXT = (REPO_ROOT / "statemachine" / "imgfan.asl.json").read_text(encoding="utf-8")


def permanent_classes() -> set[str]:
    return {cls.__name__ for cls in vars(errors).values()
            if isinstance(cls, type) and issubclass(cls, errors.PermanentImageError)
            and cls is not errors.PermanentImageError}


def test_every_permanent_error_class_is_in_the_no_retry_list_and_no_other_name_is():
    assert set(errors.PERMANENT_ERROR_NAMES) == permanent_classes()
    assert errors.TransientError.__name__ in errors.TRANSIENT_ERROR_NAMES
    lists = [set(errors.PERMANENT_ERROR_NAMES), set(errors.TRANSIENT_ERROR_NAMES), set(errors.CRASH_ERROR_NAMES)]
    assert sum(map(len, lists)) == len(set().union(*lists)), "an error name is in two lists"


def test_the_asl_file_spells_no_error_list_of_its_own():
    lists = re.findall(r'"ErrorEquals":\s*(\$\{\w+\}|\[[^\]]*\])', ASL_TEXT)
    assert lists, "no ErrorEquals found"
    allowed = {"${TransientErrors}", "${CrashErrors}", "${PermanentErrors}", '["States.ALL"]'}
    assert set(lists) <= allowed, f"literal error lists in the ASL: {set(lists) - allowed}"


def substituted(definition: str, substitutions: dict) -> dict:
    arns = {k: f"arn:aws:lambda:r:1:function:{k}" for k, v in substitutions.items() if not isinstance(v, str)}
    values = {k: v for k, v in substitutions.items() if isinstance(v, str)} | arns
    return json.loads(re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], definition))


def task_states(definition: dict):
    for name, state in definition["States"].items():
        if state["Type"] == "Task":
            yield name, state
        for nested in (state.get("ItemProcessor") or {}).get("States", {}).items():
            if nested[1]["Type"] == "Task":
                yield nested


@pytest.mark.synth
def test_the_deployed_retry_lists_are_the_error_modules(standard):
    _, machine = standard.one("AWS::StepFunctions::StateMachine")
    definition = substituted(ASL_TEXT, machine["Properties"]["DefinitionSubstitutions"])
    seen = 0
    for name, state in task_states(definition):
        retriers = state["Retry"]
        transient = [r for r in retriers if r["ErrorEquals"] == list(errors.TRANSIENT_ERROR_NAMES)]
        assert len(transient) == 1 and transient[0]["MaxAttempts"] >= 1, name
        permanent = [i for i, r in enumerate(retriers) if r["ErrorEquals"] == list(errors.PERMANENT_ERROR_NAMES)]
        if name in ("Analyze", "Resize"):
            # Never retried, and matched before the catch-all retrier could retry them.
            assert len(permanent) == 1 and retriers[permanent[0]]["MaxAttempts"] == 0, name
            catch_all = [i for i, r in enumerate(retriers) if r["ErrorEquals"] == ["States.ALL"]]
            assert all(permanent[0] < i for i in catch_all), name
        seen += 1
    assert seen == 4  # DeleteOutputs, Analyze, Resize, Finalize
