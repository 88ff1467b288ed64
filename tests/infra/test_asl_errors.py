"""The state machines' retry lists against imgfan_core.errors: the ASL names them once, as
substitutions, and the stack fills them from the error module. The one literal name is the
finalizer's ImageFailed, which Finalize must never retry and must tell from its own failures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from imgfan_core import errors

REPO_ROOT = Path(__file__).resolve().parents[2]
ASL_TEXT = (REPO_ROOT / "statemachine" / "imgfan.asl.json").read_text(encoding="utf-8")
DELETE_ASL_TEXT = (REPO_ROOT / "statemachine" / "delete.asl.json").read_text(encoding="utf-8")
IMAGE_FAILED = f'["{errors.IMAGE_FAILED_ERROR_NAME}"]'


def permanent_classes() -> set[str]:
    return {cls.__name__ for cls in vars(errors).values()
            if isinstance(cls, type) and issubclass(cls, errors.PermanentImageError)
            and cls is not errors.PermanentImageError}


def test_every_permanent_error_class_is_in_the_no_retry_list_and_no_other_name_is():
    assert set(errors.PERMANENT_ERROR_NAMES) == permanent_classes()
    assert errors.TransientError.__name__ in errors.TRANSIENT_ERROR_NAMES
    lists = [set(errors.PERMANENT_ERROR_NAMES), set(errors.TRANSIENT_ERROR_NAMES), set(errors.CRASH_ERROR_NAMES),
             {errors.IMAGE_FAILED_ERROR_NAME}]
    assert sum(map(len, lists)) == len(set().union(*lists)), "an error name is in two lists"


@pytest.mark.parametrize("text", [ASL_TEXT, DELETE_ASL_TEXT], ids=["render", "delete"])
def test_the_asl_files_spell_no_error_list_of_their_own(text):
    lists = re.findall(r'"ErrorEquals":\s*(\$\{\w+\}|\[[^\]]*\])', text)
    assert lists, "no ErrorEquals found"
    allowed = {"${TransientErrors}", "${CrashErrors}", "${PermanentErrors}", '["States.ALL"]', IMAGE_FAILED}
    assert set(lists) <= allowed, f"literal error lists in the ASL: {set(lists) - allowed}"
    assert (IMAGE_FAILED in lists) == (text is ASL_TEXT), "only Finalize names the finalizer's ImageFailed"


def test_finalize_never_retries_image_failed_and_ends_in_a_fail_state_of_its_own():
    states = substituted(ASL_TEXT, {})["States"]
    finalize = states["Finalize"]
    assert finalize.get("End") is True and "Next" not in finalize, "no state after Finalize is billed"
    retriers = [r["ErrorEquals"] for r in finalize["Retry"]]
    image_failed = retriers.index([errors.IMAGE_FAILED_ERROR_NAME])
    assert finalize["Retry"][image_failed]["MaxAttempts"] == 0
    assert image_failed < retriers.index(["States.ALL"]), "the catch-all retrier would repeat the write and event"
    catches = {tuple(c["ErrorEquals"]): c["Next"] for c in finalize["Catch"]}
    assert catches == {(errors.IMAGE_FAILED_ERROR_NAME,): "ImageFailed", ("States.ALL",): "ManifestNotWritten"}
    assert [c["ErrorEquals"] for c in finalize["Catch"]][-1] == ["States.ALL"]
    for name in ("ImageFailed", "ManifestNotWritten"):
        assert states[name]["Type"] == "Fail"
        assert (states[name]["ErrorPath"], states[name]["CausePath"]) == ("$.failure.Error", "$.failure.Cause")


def substituted(definition: str, substitutions: dict) -> dict:
    """The definition with the stack's substitutions; without them, placeholders as empty lists
    and numbers (the states' shape is what is read then)."""
    arns = {k: f"arn:aws:lambda:r:1:function:{k}" for k, v in substitutions.items() if not isinstance(v, str)}
    values = {k: v for k, v in substitutions.items() if isinstance(v, str)} | arns
    fallback = {"MaxConcurrency": "1", "RetryMaxDelaySeconds": "1", "RetryMaxAttempts": "1"}
    return json.loads(re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1)) or fallback.get(m.group(1))
                             or ("arn" if m.group(1).endswith("Arn") else "[]"), definition))


def task_states(definition: dict):
    for name, state in definition["States"].items():
        if state["Type"] == "Task":
            yield name, state
        for nested in (state.get("ItemProcessor") or {}).get("States", {}).items():
            if nested[1]["Type"] == "Task":
                yield nested


def deployed_tasks(cfn):
    for kind, text in (("render", ASL_TEXT), ("delete", DELETE_ASL_TEXT)):
        _, machine = cfn.state_machine(kind)
        yield from task_states(substituted(text, machine["Properties"]["DefinitionSubstitutions"]))


@pytest.mark.synth
def test_the_deployed_retry_lists_are_the_error_modules(standard):
    seen = 0
    for name, state in deployed_tasks(standard):
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
    assert seen == 4  # DeleteOutputs (its own state machine), Analyze, Resize, Finalize
