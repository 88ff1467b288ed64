"""The transient retrier: patience turned into attempts, the Express limit, the history quota,
and the retriers as deployed in the synthesized definition."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from imgfan.cdk.retry import BACKOFF_RATE, HISTORY_EVENT_LIMIT, INTERVAL_SECONDS, TransientRetry, attempts_for
from imgfan_core import errors
from infra.settings import SettingsError, read_settings

STATEMACHINE = Path(__file__).resolve().parents[2] / "statemachine"
ASL_TEXTS = {"render": (STATEMACHINE / "imgfan.asl.json").read_text("utf-8"),
             "delete": (STATEMACHINE / "delete.asl.json").read_text("utf-8")}


def simulated_wait(attempts: int, cap: int, rng: random.Random) -> float:
    """What Step Functions waits over ``attempts`` retries with full jitter (its documented formula)."""
    return sum(rng.uniform(0, min(cap, INTERVAL_SECONDS * BACKOFF_RATE ** n)) for n in range(attempts))


@pytest.mark.parametrize(("patience", "cap"), [(45, 3), (180, 3), (12 * 3600, 300), (3600, 60), (240, 300)])
def test_the_attempts_wait_about_the_patience_on_average(patience, cap):
    attempts = attempts_for(patience, cap)
    rng = random.Random(7)
    runs = [simulated_wait(attempts, cap, rng) for _ in range(400)]
    mean = sum(runs) / len(runs)
    # The expected total reaches the patience, and one attempt fewer would fall short of it.
    assert patience <= mean * 1.1
    assert sum(min(cap, INTERVAL_SECONDS * BACKOFF_RATE ** n) / 2 for n in range(attempts - 1)) < patience


def test_a_longer_patience_or_a_shorter_cap_means_more_attempts():
    assert attempts_for(3600, 300) < attempts_for(7200, 300)
    assert attempts_for(3600, 60) > attempts_for(3600, 300)
    assert attempts_for(1, 300) >= 1


def test_express_cannot_wait_longer_than_its_executions_live():
    with pytest.raises(SettingsError, match="retryPatienceMinutes: an EXPRESS execution stops after 5 minutes"):
        read_settings({"workflowType": "EXPRESS", "retryPatienceMinutes": "30"}, Path("/p"))
    express = read_settings({"workflowType": "EXPRESS"}, Path("/p"))
    standard = read_settings({}, Path("/p"))
    assert express.retry_patience_seconds < 5 * 60 < standard.retry_patience_seconds


def test_the_worst_case_history_grows_with_presets_and_attempts():
    retry = TransientRetry.for_patience(12 * 3600, 300)
    assert retry.worst_case_events(5) < HISTORY_EVENT_LIMIT
    assert retry.worst_case_events(40) > retry.worst_case_events(5)
    assert TransientRetry.for_patience(7 * 24 * 3600, 1).worst_case_events(1) > HISTORY_EVENT_LIMIT


@pytest.mark.synth
def test_synthesis_refuses_a_patience_whose_retries_could_pass_the_history_quota(synth_cfn):
    with pytest.raises(Exception, match="could pass an execution history's 25,000 events"):
        synth_cfn({"retryPatienceMinutes": "10080", "retryMaxDelaySeconds": "1"})


def definition(cfn, kind: str = "render") -> dict:
    _, machine = cfn.state_machine(kind)
    values = machine["Properties"]["DefinitionSubstitutions"]
    return json.loads(re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)] if isinstance(values[m.group(1)], str)
                             else "arn:aws:lambda:r:1:function:f", ASL_TEXTS[kind]))


def tasks(states: dict):
    for name, state in states.items():
        if state["Type"] == "Task":
            yield name, state
        yield from tasks((state.get("ItemProcessor") or {}).get("States", {}))


@pytest.mark.synth
@pytest.mark.parametrize("kind", ["render", "delete"])
def test_every_task_waits_out_transient_errors_with_capped_jitter_and_catches_the_rest(standard, kind):
    states = definition(standard, kind)["States"]
    expected = TransientRetry.for_patience(12 * 3600, 300)
    for name, state in tasks(states):
        by_errors = {tuple(r["ErrorEquals"]): r for r in state["Retry"]}
        transient = by_errors[errors.TRANSIENT_ERROR_NAMES]
        assert transient["JitterStrategy"] == "FULL", name
        assert (transient["MaxDelaySeconds"], transient["MaxAttempts"]) == (300, expected.max_attempts), name
        crash = by_errors[errors.CRASH_ERROR_NAMES]
        assert crash["MaxAttempts"] <= 3 and crash["JitterStrategy"] == "FULL", name
        # The catch-all comes last (ASL requires it); Finalize catches ImageFailed before it.
        assert state["Catch"][-1]["ErrorEquals"] == ["States.ALL"], name
        assert all(states.get(c["Next"], {}).get("Type") in ("Fail", "Task", None) for c in state["Catch"]), name
